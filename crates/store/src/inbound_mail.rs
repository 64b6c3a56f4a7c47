//! Mail taken in: the claim that makes each mail count once, what it became, the
//! threading lookups, the desk's mailboxes, quarantine, people copied on a ticket and
//! delivery failures. Raw mail is kept content-addressed in `blobs`.

use crate::backend::{in_transaction, with_reader};
use crate::imap::{ImapChange, apply_imap_change};
use crate::{Result, Store, StoreError};
use sqlx::FromRow;

/// A mail about to be taken in.
#[derive(Debug, Clone)]
pub struct NewInboundMail {
    pub message_id: Option<String>,
    pub content_hash: String,
    pub sender: Option<String>,
    pub raw: Vec<u8>,
    /// JSON: `[[name, value], …]`.
    pub headers: String,
    pub folded: String,
}

/// The result of claiming a mail before acting on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailClaim {
    /// Ours to act on (new, or a claim a crashed process left behind).
    Claimed(i64),
    /// Taken in before.
    Seen,
    /// Another process is taking it in right now.
    Busy,
}

/// What a claimed mail became.
#[derive(Debug, Clone, Default)]
pub struct MailOutcome {
    pub outcome: String,
    pub ticket_id: Option<i64>,
    pub ticket_message_id: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct MailboxRow {
    pub id: i64,
    pub address: String,
    pub team_id: i64,
    pub imap_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewQuarantine {
    pub reason: String,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub subject: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct QuarantineRow {
    pub id: i64,
    pub reason: String,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub subject: String,
    pub size: i64,
    pub raw_sha256: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct BounceRow {
    pub id: i64,
    pub address: String,
    pub status: String,
    pub diagnostic: Option<String>,
    pub created_at: i64,
}

/// The mail a ticket message came from: its headers, folded text and original.
#[derive(Debug, Clone, FromRow)]
pub struct MessageMailRow {
    pub message_id: Option<String>,
    pub raw_sha256: Option<String>,
    pub headers: String,
    pub folded: String,
}

const QUARANTINE_COLUMNS: &str =
    "id, reason, sender, recipient, subject, size, raw_sha256, created_at";
const MAILBOX_COLUMNS: &str = "id, address, team_id, imap_url, created_at, updated_at";

/// `$first, $first+1, …` for an `IN (…)` list of `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Keeps the raw mail and claims it, in one transaction. A mail whose bytes or
    /// Message-ID were taken in before is `Seen`; one another process claimed within
    /// the last moments is `Busy`; a claim older than `stale_before` (its process died
    /// between claiming and finishing) is taken over. Two processes inserting the same
    /// new mail at the same instant: the unique indexes let one in, and the other gets
    /// `StoreError::Duplicate`.
    pub async fn claim_inbound_mail(
        &self,
        m: &NewInboundMail,
        now: i64,
        stale_before: i64,
    ) -> Result<MailClaim> {
        let claimed = in_transaction!(self, |tx| {
            sqlx::query("INSERT INTO blobs (sha256, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING")
                .bind(&m.content_hash)
                .bind(m.raw.len() as i64)
                .bind(&m.raw)
                .execute(&mut *tx)
                .await?;
            let earlier: Option<(i64, String, i64)> = sqlx::query_as(
                "SELECT id, state, claimed_at FROM mail_messages
                 WHERE content_hash = $1 OR (direction = 'in' AND message_id = $2)
                 ORDER BY id LIMIT 1",
            )
            .bind(&m.content_hash)
            .bind(&m.message_id)
            .fetch_optional(&mut *tx)
            .await?;
            match earlier {
                Some((_, state, _)) if state == "done" => MailClaim::Seen,
                Some((id, _, claimed_at)) if claimed_at < stale_before => {
                    let took = sqlx::query(
                        "UPDATE mail_messages SET claimed_at = $1 WHERE id = $2 AND claimed_at = $3 AND state = 'pending'",
                    )
                    .bind(now)
                    .bind(id)
                    .bind(claimed_at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if took == 1 {
                        MailClaim::Claimed(id)
                    } else {
                        MailClaim::Busy
                    }
                }
                Some(_) => MailClaim::Busy,
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO mail_messages (direction, message_id, content_hash, state, sender, raw_sha256, headers, folded, claimed_at, created_at)
                         VALUES ('in', $1, $2, 'pending', $3, $2, $4, $5, $6, $6) RETURNING id",
                    )
                    .bind(&m.message_id)
                    .bind(&m.content_hash)
                    .bind(&m.sender)
                    .bind(&m.headers)
                    .bind(&m.folded)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| StoreError::classify(e, "mail"))?;
                    MailClaim::Claimed(id)
                }
            }
        });
        Ok(claimed)
    }

    /// Records what a claimed mail became; it then counts as taken in.
    pub async fn finish_inbound_mail(&self, claim: i64, o: &MailOutcome) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE mail_messages SET state = 'done', outcome = $1, ticket_id = $2, ticket_message_id = $3 WHERE id = $4",
            )
            .bind(&o.outcome)
            .bind(o.ticket_id)
            .bind(o.ticket_message_id)
            .bind(claim)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Gives a claim up (taking the mail in failed), so a redelivery is tried afresh.
    pub async fn release_inbound_mail(&self, claim: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("DELETE FROM mail_messages WHERE id = $1 AND state = 'pending'")
                .bind(claim)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Keeps a mail aside with its reason, and finishes its claim, in one transaction.
    pub async fn quarantine_mail(&self, claim: i64, q: &NewQuarantine, now: i64) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            let (sha, size): (String, i64) = sqlx::query_as(
                "SELECT b.sha256, b.size FROM mail_messages m JOIN blobs b ON b.sha256 = m.raw_sha256 WHERE m.id = $1",
            )
            .bind(claim)
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO mail_quarantine (reason, sender, recipient, subject, size, raw_sha256, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(&q.reason)
            .bind(&q.sender)
            .bind(&q.recipient)
            .bind(&q.subject)
            .bind(size)
            .bind(&sha)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE mail_messages SET state = 'done', outcome = 'quarantined' WHERE id = $1",
            )
            .bind(claim)
            .execute(&mut *tx)
            .await?;
            id
        }))
    }

    /// Records a delivery failure on an address, and finishes the bounce's claim.
    pub async fn record_bounce(
        &self,
        claim: i64,
        address: &str,
        status: &str,
        diagnostic: Option<&str>,
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO mail_bounces (address, status, diagnostic, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(address)
            .bind(status)
            .bind(diagnostic)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE mail_messages SET state = 'done', outcome = 'bounce' WHERE id = $1",
            )
            .bind(claim)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    pub async fn bounces_of(&self, address: &str, limit: i64) -> Result<Vec<BounceRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, BounceRow>(
                "SELECT id, address, status, diagnostic, created_at FROM mail_bounces WHERE address = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(address)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// The ticket a mail answers: the newest of `ids` that heard took in or sent for a
    /// ticket (following the message if it moved with a merge).
    pub async fn ticket_for_message_ids(&self, ids: &[String]) -> Result<Option<i64>> {
        if ids.is_empty() {
            return Ok(None);
        }
        let ids = &ids[..ids.len().min(50)];
        let sql = format!(
            "SELECT COALESCE(m.ticket_id, mm.ticket_id) FROM mail_messages mm
             LEFT JOIN messages m ON m.id = mm.ticket_message_id
             WHERE mm.message_id IN ({}) AND mm.ticket_id IS NOT NULL
             ORDER BY mm.id DESC LIMIT 1",
            placeholders(1, ids.len())
        );
        Ok(with_reader!(self, |db| {
            let mut q = sqlx::query_scalar::<_, i64>(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_optional(db).await?
        }))
    }

    pub async fn ticket_for_reply_token(&self, token: &str) -> Result<Option<i64>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>("SELECT ticket_id FROM ticket_mail WHERE reply_token = $1")
                .bind(token)
                .fetch_optional(db)
                .await?
        }))
    }

    /// The ticket's reply token, made on first use (`token` is the one to keep if none
    /// was made before), and the desk address it was written to.
    pub async fn ticket_reply_token(
        &self,
        ticket_id: i64,
        token: &str,
        desk_address: Option<&str>,
    ) -> Result<String> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO ticket_mail (ticket_id, reply_token, desk_address) VALUES ($1, $2, $3) ON CONFLICT (ticket_id) DO NOTHING",
            )
            .bind(ticket_id)
            .bind(token)
            .bind(desk_address)
            .execute(&mut *tx)
            .await?;
            sqlx::query_scalar::<_, String>(
                "SELECT reply_token FROM ticket_mail WHERE ticket_id = $1",
            )
            .bind(ticket_id)
            .fetch_one(&mut *tx)
            .await?
        }))
    }

    /// The requester's e-mail addresses and the people copied, for threading.
    pub async fn ticket_mail_people(&self, ticket_id: i64) -> Result<(Vec<String>, Vec<String>)> {
        Ok(with_reader!(self, |db| {
            let requester = sqlx::query_scalar::<_, String>(
                "SELECT u.email FROM tickets t JOIN users u ON u.id = t.requester_id WHERE t.id = $1
                 UNION SELECT i.value FROM tickets t JOIN identities i ON i.user_id = t.requester_id AND i.kind = 'email' WHERE t.id = $1",
            )
            .bind(ticket_id)
            .fetch_all(db)
            .await?;
            let copied = sqlx::query_scalar::<_, String>(
                "SELECT address FROM ticket_copied WHERE ticket_id = $1 ORDER BY address",
            )
            .bind(ticket_id)
            .fetch_all(db)
            .await?;
            (requester, copied)
        }))
    }

    pub async fn add_ticket_copied(&self, ticket_id: i64, addresses: &[String]) -> Result<()> {
        if addresses.is_empty() {
            return Ok(());
        }
        in_transaction!(self, |tx| {
            for a in addresses {
                sqlx::query(
                    "INSERT INTO ticket_copied (ticket_id, address) VALUES ($1, $2) ON CONFLICT (ticket_id, address) DO NOTHING",
                )
                .bind(ticket_id)
                .bind(a)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// The claim of the mail with these bytes, if it was ever taken in.
    pub async fn inbound_mail_by_hash(&self, content_hash: &str) -> Result<Option<i64>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>("SELECT id FROM mail_messages WHERE content_hash = $1")
                .bind(content_hash)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Mail taken in from `sender` since `since` (the flood limit).
    pub async fn inbound_mail_from(&self, sender: &str, since: i64) -> Result<i64> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM mail_messages WHERE sender = $1 AND created_at >= $2 AND direction = 'in'",
            )
            .bind(sender)
            .bind(since)
            .fetch_one(db)
            .await?
        }))
    }

    /// The mail a ticket message came from, if it came by mail.
    pub async fn message_mail(&self, ticket_message_id: i64) -> Result<Option<MessageMailRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, MessageMailRow>(
                "SELECT message_id, raw_sha256, headers, folded FROM mail_messages WHERE ticket_message_id = $1 ORDER BY id LIMIT 1",
            )
            .bind(ticket_message_id)
            .fetch_optional(db)
            .await?
        }))
    }

    pub async fn quarantined(&self, after: Option<i64>, limit: i64) -> Result<Vec<QuarantineRow>> {
        let sql = format!(
            "SELECT {QUARANTINE_COLUMNS} FROM mail_quarantine WHERE id < $1 ORDER BY id DESC LIMIT $2"
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, QuarantineRow>(&sql)
                .bind(after.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    pub async fn quarantined_mail(&self, id: i64) -> Result<Option<QuarantineRow>> {
        let sql = format!("SELECT {QUARANTINE_COLUMNS} FROM mail_quarantine WHERE id = $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, QuarantineRow>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Takes a mail out of quarantine (released or deleted). False when it was gone.
    pub async fn unquarantine(&self, id: i64) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query("DELETE FROM mail_quarantine WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1
        }))
    }

    pub async fn mailboxes(&self) -> Result<Vec<MailboxRow>> {
        let sql = format!("SELECT {MAILBOX_COLUMNS} FROM mailboxes ORDER BY id");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, MailboxRow>(&sql).fetch_all(db).await?
        }))
    }

    pub async fn mailbox(&self, id: i64) -> Result<Option<MailboxRow>> {
        let sql = format!("SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE id = $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, MailboxRow>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    pub async fn create_mailbox(
        &self,
        address: &str,
        team_id: i64,
        imap: ImapChange,
        now: i64,
    ) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO mailboxes (address, team_id, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
            )
            .bind(address)
            .bind(team_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "mailbox"))?;
            apply_imap_change!(tx, id, &imap);
            id
        }))
    }

    /// Replaces a mailbox's fields. False when it does not exist.
    pub async fn update_mailbox(
        &self,
        id: i64,
        address: &str,
        team_id: i64,
        imap: ImapChange,
        now: i64,
    ) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            let found = sqlx::query(
                "UPDATE mailboxes SET address = $1, team_id = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(address)
            .bind(team_id)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "mailbox"))?
            .rows_affected()
                == 1;
            if found {
                if matches!(imap, ImapChange::Remove) {
                    sqlx::query("UPDATE mailboxes SET imap_url = NULL WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                apply_imap_change!(tx, id, &imap);
            }
            found
        }))
    }

    pub async fn delete_mailbox(&self, id: i64) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query("DELETE FROM mailbox_imap WHERE mailbox_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM mailboxes WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1
        }))
    }
}
