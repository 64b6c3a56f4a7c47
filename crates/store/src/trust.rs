//! The audit log of acts that change who sees what (organization membership and ticket
//! sharing), and the attempts counted to throttle sign-in, sign-up and sign-in links.

use crate::backend::{in_transaction, with_reader};
use crate::{Result, Store};
use sqlx::FromRow;

/// An audit entry; the store fills in its subject and time in the same transaction as
/// the change it records.
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub actor_id: Option<i64>,
    /// e.g. `organization_created`, `organization_changed`, `customer_organization_changed`
    pub action: String,
    /// JSON: what it was and what it became.
    pub data: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: i64,
    pub data: String,
    pub created_at: i64,
}

/// Appends an audit entry inside the caller's transaction.
macro_rules! insert_audit {
    ($tx:ident, $a:expr, $kind:expr, $id:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (actor_id, action, subject_kind, subject_id, data, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($a.actor_id)
        .bind(&$a.action)
        .bind($kind)
        .bind($id)
        .bind(&$a.data)
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use insert_audit;

/// How many attempts of one kind a key made since some instant, and the latest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct AttemptCount {
    pub count: i64,
    pub latest: Option<i64>,
}

impl Store {
    /// Appends an audit entry about `subject_kind` `subject_id` on its own (an act whose
    /// change is written elsewhere, such as a mail sent).
    pub async fn append_audit(
        &self,
        audit: &NewAudit,
        subject_kind: &str,
        subject_id: i64,
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            insert_audit!(tx, audit, subject_kind, subject_id, now);
        });
        Ok(())
    }

    /// The audit log, oldest first, after the entry `after` (keyset pagination).
    pub async fn audit_log(&self, after: Option<i64>, limit: i64) -> Result<Vec<AuditRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, AuditRow>(
                "SELECT id, actor_id, action, subject_kind, subject_id, data, created_at
                 FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after.unwrap_or(0))
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// Attempts with `outcome` by `key_hash` made after `since` (a bounded window, so the
    /// count reads few rows).
    pub async fn auth_attempts(
        &self,
        key_hash: &str,
        outcome: &str,
        since: i64,
    ) -> Result<AttemptCount> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, AttemptCount>(
                "SELECT COUNT(*) AS count, MAX(created_at) AS latest FROM auth_attempts
                 WHERE key_hash = $1 AND outcome = $2 AND created_at > $3",
            )
            .bind(key_hash)
            .bind(outcome)
            .bind(since)
            .fetch_one(db)
            .await?
        }))
    }

    /// Records one attempt under each key; attempts older than `prune_before` go.
    pub async fn record_auth_attempt(
        &self,
        key_hashes: &[&str],
        outcome: &str,
        now: i64,
        prune_before: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            for key in key_hashes {
                sqlx::query(
                    "INSERT INTO auth_attempts (key_hash, outcome, created_at) VALUES ($1, $2, $3)",
                )
                .bind(*key)
                .bind(outcome)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("DELETE FROM auth_attempts WHERE created_at < $1")
                .bind(prune_before)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// The setting `key`, set to `value` first if it has none; two processes racing both
    /// get the one that was stored first.
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
            sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_one(&mut *tx)
                .await?
        }))
    }

    /// Forgets the failures of `key_hash` (its owner proved who they are).
    pub async fn clear_auth_failures(&self, key_hash: &str) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("DELETE FROM auth_attempts WHERE key_hash = $1 AND outcome = 'failure'")
                .bind(key_hash)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }
}
