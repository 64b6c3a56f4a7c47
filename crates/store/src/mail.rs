//! Outgoing mail and one-time sign-in links. Mail is queued in the database in the same
//! transaction as what it announces, and any process sends it: a row is claimed with a
//! conditional update (no `SKIP LOCKED`, which SQLite lacks), so two processes never send
//! one row at once, and a claim left by a crashed process lapses and is retried.

use crate::backend::{in_transaction, with_reader};
use crate::trust::{NewAudit, insert_audit};
use crate::{Result, Store};
use sqlx::FromRow;

#[derive(Debug, Clone)]
pub struct NewMail {
    /// What the mail is for (`signin_link`), for logs and reports.
    pub purpose: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct MailRow {
    pub id: i64,
    pub purpose: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
}

const MAIL_COLUMNS: &str = "id, purpose, to_address, subject, body_text, body_html, created_at, \
     attempts, next_attempt_at, sent_at, failed_at, last_error";

/// A link to grant, with the mail that carries it.
#[derive(Debug, Clone)]
pub struct NewSigninLink {
    pub token_hash: String,
    pub user_id: i64,
    pub expires_at: i64,
    /// Becomes the user's password when the link is used (a sign-up, confirmed).
    pub password_hash: Option<String>,
    pub purpose: LinkPurpose,
    pub mail: NewMail,
}

/// What a mailed link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Sign in (a sign-in link, or a sign-up's confirmation).
    SignIn,
    /// Choose a new password (a reset, or a new staff member's first password).
    Password,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::SignIn => "signin",
            LinkPurpose::Password => "password",
        }
    }
}

/// Appends a mail to the outbox inside the caller's transaction.
macro_rules! queue_mail {
    ($tx:ident, $m:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO mail_outbox (purpose, to_address, subject, body_text, body_html, created_at, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&$m.purpose)
        .bind(&$m.to_address)
        .bind(&$m.subject)
        .bind(&$m.body_text)
        .bind(&$m.body_html)
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}

/// Records a request for mail to `address_hash` inside the caller's transaction; the
/// number of earlier ones since `since`, for the per-address limit.
macro_rules! record_request {
    ($tx:ident, $address_hash:expr, $since:expr, $now:expr) => {{
        let earlier: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM signin_link_requests WHERE address_hash = $1 AND created_at >= $2",
        )
        .bind($address_hash)
        .bind($since)
        .fetch_one(&mut *$tx)
        .await?;
        sqlx::query("INSERT INTO signin_link_requests (address_hash, created_at) VALUES ($1, $2)")
            .bind($address_hash)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        earlier
    }};
}

impl Store {
    pub async fn queue_mail(&self, m: &NewMail, now: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            queue_mail!(tx, m, now);
        });
        Ok(())
    }

    /// Mail due for a (first or next) attempt, oldest due first. Claim each before sending.
    pub async fn mail_due(&self, now: i64, limit: i64) -> Result<Vec<MailRow>> {
        let sql = format!(
            "SELECT {MAIL_COLUMNS} FROM mail_outbox
             WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
               AND (claimed_until IS NULL OR claimed_until < $1)
             ORDER BY next_attempt_at, id LIMIT $2"
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, MailRow>(&sql)
                .bind(now)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    /// Claims a mail for one attempt until `until`. False when another process holds it
    /// or it was sent meanwhile: the conditional update decides, on either backend.
    pub async fn claim_mail(&self, id: i64, now: i64, until: i64) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE mail_outbox SET claimed_until = $1, attempts = attempts + 1
                 WHERE id = $2 AND sent_at IS NULL AND failed_at IS NULL
                   AND (claimed_until IS NULL OR claimed_until < $3)",
            )
            .bind(until)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }))
    }

    pub async fn mail_sent(&self, id: i64, now: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE mail_outbox SET sent_at = $1, claimed_until = NULL, last_error = NULL WHERE id = $2",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Records a failed attempt: tried again at `retry_at`, or given up when `None`.
    pub async fn mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE mail_outbox SET claimed_until = NULL, last_error = $1,
                        next_attempt_at = COALESCE($2, next_attempt_at),
                        failed_at = CASE WHEN $2 IS NULL THEN $3 ELSE NULL END
                 WHERE id = $4",
            )
            .bind(error)
            .bind(retry_at)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The newest mail, newest first (reports and tests).
    pub async fn recent_mail(&self, limit: i64) -> Result<Vec<MailRow>> {
        let sql = format!("SELECT {MAIL_COLUMNS} FROM mail_outbox ORDER BY id DESC LIMIT $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, MailRow>(&sql)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    /// Records a request for a sign-in link to `address_hash` and, when fewer than `max`
    /// were recorded since `since` and there is a link to grant, stores the link and
    /// queues its mail, all in one transaction. Returns whether a link was granted.
    pub async fn request_signin_link(
        &self,
        address_hash: &str,
        since: i64,
        max: i64,
        grant: Option<&NewSigninLink>,
        now: i64,
    ) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            let earlier = record_request!(tx, address_hash, since, now);
            match grant {
                Some(link) if earlier < max => {
                    sqlx::query(
                        "INSERT INTO signin_links (token_hash, user_id, created_at, expires_at, password_hash, purpose)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&link.token_hash)
                    .bind(link.user_id)
                    .bind(now)
                    .bind(link.expires_at)
                    .bind(&link.password_hash)
                    .bind(link.purpose.as_str())
                    .execute(&mut *tx)
                    .await?;
                    queue_mail!(tx, link.mail, now);
                    true
                }
                _ => false,
            }
        }))
    }

    /// Queues `mail` to an address under the same per-address limit as sign-in links
    /// (a notice that carries no link). False when the limit held it back.
    pub async fn request_address_mail(
        &self,
        address_hash: &str,
        since: i64,
        max: i64,
        mail: &NewMail,
        now: i64,
    ) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            let earlier = record_request!(tx, address_hash, since, now);
            if earlier < max {
                queue_mail!(tx, mail, now);
            }
            earlier < max
        }))
    }

    /// Whether a link of this purpose would still work (without using it).
    pub async fn signin_link_usable(
        &self,
        token_hash: &str,
        purpose: LinkPurpose,
        now: i64,
    ) -> Result<bool> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM signin_links
                 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
            )
            .bind(token_hash)
            .bind(purpose.as_str())
            .bind(now)
            .fetch_one(db)
            .await?
                == 1
        }))
    }

    /// Uses a password link: marks it used (only if unused, unexpired and meant for
    /// choosing a password), sets the password and ends every session of its owner, all
    /// in one transaction, so whoever held the old password is signed out. Returns whose
    /// link it was.
    pub async fn use_password_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        audit: &NewAudit,
        now: i64,
    ) -> Result<Option<i64>> {
        Ok(in_transaction!(self, |tx| {
            let user_id = sqlx::query_scalar::<_, i64>(
                "UPDATE signin_links SET used_at = $1
                 WHERE token_hash = $2 AND purpose = 'password' AND used_at IS NULL AND expires_at > $1
                 RETURNING user_id",
            )
            .bind(now)
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(user_id) = user_id {
                sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                    .bind(password_hash)
                    .bind(now)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                // Other password links of the same person are spent with it.
                sqlx::query(
                    "UPDATE signin_links SET used_at = $1
                     WHERE user_id = $2 AND purpose = 'password' AND used_at IS NULL",
                )
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                insert_audit!(tx, audit, "user", user_id, now);
            }
            user_id
        }))
    }

    /// Uses a link: one statement marks it used only if it is unused and unexpired, so
    /// two clicks racing in two processes sign in once. Returns whose link it was. A
    /// sign-up's link sets the password chosen, in the same transaction.
    pub async fn use_signin_link(&self, token_hash: &str, now: i64) -> Result<Option<i64>> {
        Ok(in_transaction!(self, |tx| {
            let used = sqlx::query_as::<_, (i64, Option<String>)>(
                "UPDATE signin_links SET used_at = $1
                 WHERE token_hash = $2 AND purpose = 'signin' AND used_at IS NULL AND expires_at > $1
                 RETURNING user_id, password_hash",
            )
            .bind(now)
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((user_id, Some(hash))) = &used {
                sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                    .bind(hash)
                    .bind(now)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            used.map(|(user_id, _)| user_id)
        }))
    }

    /// Forgets link requests and links older than `before` (the rate limit only looks back
    /// a little while, and a used or expired link is of no further use).
    pub async fn prune_signin_links(&self, before: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("DELETE FROM signin_link_requests WHERE created_at < $1")
                .bind(before)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM signin_links WHERE expires_at < $1")
                .bind(before)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }
}
