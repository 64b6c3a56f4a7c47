//! A mailbox's IMAP settings and the state of its poller: how far it got in the folder,
//! its last error and last good poll, and the lease that lets one process at a time poll
//! it.

use crate::backend::{in_transaction, with_reader};
use crate::{Result, Store};
use sqlx::FromRow;

/// Settings as written by an admin (the password in clear: the poller must log in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapSettingsRow {
    pub host: String,
    pub port: i64,
    pub security: String,
    pub username: String,
    pub password: String,
    pub folder: String,
    pub after_import: String,
    pub move_to: Option<String>,
}

/// What a mailbox write does to its IMAP settings.
#[derive(Debug, Clone)]
pub enum ImapChange {
    /// Leave them (and the poller's progress) as they are.
    Keep,
    /// Stop fetching: the settings and progress go.
    Remove,
    /// Fetch with these; a running poller reconnects. Progress is kept while the server
    /// and folder stay the same.
    Set(ImapSettingsRow),
}

#[derive(Debug, Clone, FromRow)]
pub struct MailboxImapRow {
    pub mailbox_id: i64,
    pub address: String,
    pub host: String,
    pub port: i64,
    pub security: String,
    pub username: String,
    pub password: String,
    pub folder: String,
    pub after_import: String,
    pub move_to: Option<String>,
    pub settings_version: i64,
    pub uid_validity: Option<i64>,
    pub last_uid: i64,
    pub scan_until: i64,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub lease_owner: Option<String>,
    pub lease_until: i64,
}

const IMAP_COLUMNS: &str = "i.mailbox_id, m.address, i.host, i.port, i.security, i.username, i.password, i.folder, i.after_import, i.move_to, i.settings_version, i.uid_validity, i.last_uid, i.scan_until, i.last_success_at, i.last_error, i.last_error_at, i.lease_owner, i.lease_until";

/// Applies an IMAP change to a mailbox inside the caller's transaction.
macro_rules! apply_imap_change {
    ($tx:ident, $id:expr, $change:expr) => {
        match $change {
            ImapChange::Keep => {}
            ImapChange::Remove => {
                sqlx::query("DELETE FROM mailbox_imap WHERE mailbox_id = $1")
                    .bind($id)
                    .execute(&mut *$tx)
                    .await?;
            }
            ImapChange::Set(s) => {
                // Another server or folder is another sequence of UIDs: start afresh there.
                sqlx::query(
                    "UPDATE mailbox_imap SET uid_validity = NULL, last_uid = 0, scan_until = 0
                     WHERE mailbox_id = $1 AND (host <> $2 OR port <> $3 OR username <> $4 OR folder <> $5)",
                )
                .bind($id)
                .bind(&s.host)
                .bind(s.port)
                .bind(&s.username)
                .bind(&s.folder)
                .execute(&mut *$tx)
                .await?;
                sqlx::query(
                    "INSERT INTO mailbox_imap (mailbox_id, host, port, security, username, password, folder, after_import, move_to)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (mailbox_id) DO UPDATE SET host = $2, port = $3, security = $4, username = $5,
                        password = $6, folder = $7, after_import = $8, move_to = $9,
                        settings_version = mailbox_imap.settings_version + 1",
                )
                .bind($id)
                .bind(&s.host)
                .bind(s.port)
                .bind(&s.security)
                .bind(&s.username)
                .bind(&s.password)
                .bind(&s.folder)
                .bind(&s.after_import)
                .bind(&s.move_to)
                .execute(&mut *$tx)
                .await?;
                // The settings replace an IMAP URL kept by an older version.
                sqlx::query("UPDATE mailboxes SET imap_url = NULL WHERE id = $1")
                    .bind($id)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    };
}
pub(crate) use apply_imap_change;

impl Store {
    /// Every mailbox fetched over IMAP, with its poller's state.
    pub async fn imap_mailboxes(&self) -> Result<Vec<MailboxImapRow>> {
        let sql = format!(
            "SELECT {IMAP_COLUMNS} FROM mailbox_imap i JOIN mailboxes m ON m.id = i.mailbox_id ORDER BY i.mailbox_id"
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, MailboxImapRow>(&sql)
                .fetch_all(db)
                .await?
        }))
    }

    pub async fn mailbox_imap(&self, mailbox_id: i64) -> Result<Option<MailboxImapRow>> {
        let sql = format!(
            "SELECT {IMAP_COLUMNS} FROM mailbox_imap i JOIN mailboxes m ON m.id = i.mailbox_id WHERE i.mailbox_id = $1"
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, MailboxImapRow>(&sql)
                .bind(mailbox_id)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Sets a mailbox's IMAP settings (turning an IMAP URL of an older version into them).
    pub async fn set_mailbox_imap(&self, mailbox_id: i64, change: ImapChange) -> Result<()> {
        in_transaction!(self, |tx| {
            apply_imap_change!(tx, mailbox_id, &change);
        });
        Ok(())
    }

    /// Takes (or keeps) the right to poll a mailbox until `until`: granted when nobody
    /// holds it, `owner` already does, or the holder let it lapse (its process died).
    pub async fn take_imap_lease(
        &self,
        mailbox_id: i64,
        owner: &str,
        now: i64,
        until: i64,
    ) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE mailbox_imap SET lease_owner = $1, lease_until = $2
                 WHERE mailbox_id = $3 AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until < $4)",
            )
            .bind(owner)
            .bind(until)
            .bind(mailbox_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }))
    }

    pub async fn release_imap_lease(&self, mailbox_id: i64, owner: &str) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE mailbox_imap SET lease_owner = NULL, lease_until = 0 WHERE mailbox_id = $1 AND lease_owner = $2",
            )
            .bind(mailbox_id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Records how far the poller got, if `owner` still holds the lease and the settings
    /// are still those of `settings_version`. False when not (the caller stops).
    pub async fn save_imap_progress(
        &self,
        mailbox_id: i64,
        owner: &str,
        settings_version: i64,
        uid_validity: i64,
        last_uid: i64,
        scan_until: i64,
    ) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE mailbox_imap SET uid_validity = $1, last_uid = $2, scan_until = $3
                 WHERE mailbox_id = $4 AND lease_owner = $5 AND settings_version = $6",
            )
            .bind(uid_validity)
            .bind(last_uid)
            .bind(scan_until)
            .bind(mailbox_id)
            .bind(owner)
            .bind(settings_version)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }))
    }

    /// A poll that went through to the end.
    pub async fn imap_polled(&self, mailbox_id: i64, now: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("UPDATE mailbox_imap SET last_success_at = $1 WHERE mailbox_id = $2")
                .bind(now)
                .bind(mailbox_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// What went wrong last, for admins.
    pub async fn imap_failed(&self, mailbox_id: i64, error: &str, now: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE mailbox_imap SET last_error = $1, last_error_at = $2 WHERE mailbox_id = $3",
            )
            .bind(error)
            .bind(now)
            .bind(mailbox_id)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Mailboxes whose IMAP URL an older version kept (to turn into settings).
    pub async fn legacy_imap_urls(&self) -> Result<Vec<(i64, String)>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT m.id, m.imap_url FROM mailboxes m WHERE m.imap_url IS NOT NULL AND m.imap_url <> ''
                 AND NOT EXISTS (SELECT 1 FROM mailbox_imap i WHERE i.mailbox_id = m.id)",
            )
            .fetch_all(db)
            .await?
        }))
    }
}
