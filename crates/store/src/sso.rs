//! Sign-ins started with the OpenID Connect provider, kept until its answer takes them.

use crate::backend::in_transaction;
use crate::{Result, Store};
use sqlx::FromRow;

/// A started sign-in: what the provider's answer must match.
#[derive(Debug, Clone, FromRow)]
pub struct SsoAttemptRow {
    pub state_hash: String,
    pub browser_hash: String,
    pub nonce: String,
    pub code_verifier: String,
    /// Where to go once signed in (a path on this site, or empty).
    pub next_path: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Store {
    /// Keeps a started sign-in; attempts that expired before `now` go.
    pub async fn insert_sso_attempt(&self, a: &SsoAttemptRow, now: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("DELETE FROM sso_attempts WHERE expires_at < $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO sso_attempts (state_hash, browser_hash, nonce, code_verifier,
                     next_path, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&a.state_hash)
            .bind(&a.browser_hash)
            .bind(&a.nonce)
            .bind(&a.code_verifier)
            .bind(&a.next_path)
            .bind(a.created_at)
            .bind(a.expires_at)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Takes the attempt named by `state_hash`: it is deleted in the same statement, so of
    /// two answers carrying the same state only one finds it.
    pub async fn take_sso_attempt(&self, state_hash: &str) -> Result<Option<SsoAttemptRow>> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query_as::<_, SsoAttemptRow>(
                "DELETE FROM sso_attempts WHERE state_hash = $1
                 RETURNING state_hash, browser_hash, nonce, code_verifier, next_path,
                     created_at, expires_at",
            )
            .bind(state_hash)
            .fetch_optional(&mut *tx)
            .await?
        }))
    }
}
