//! Backups of the embedded database. Attachments live in it (the `blobs` table), and the
//! search index is rebuilt from it, so one file holds everything worth keeping.
//! PostgreSQL is backed up with its own tools (`pg_dump`), which do the same online.

use crate::backend::Backend;
use crate::{Result, Store, StoreError};
use std::path::Path;

impl Store {
    /// Writes a consistent copy of the whole database to `to` while others keep writing:
    /// `VACUUM INTO` reads one snapshot, so every write committed before it began is in
    /// the copy and no write is half in it.
    pub async fn backup_to(&self, to: &Path) -> Result<()> {
        let Backend::Sqlite { reader, .. } = &self.backend else {
            return Err(StoreError::Url(
                "a PostgreSQL database is backed up with pg_dump (see the README)".into(),
            ));
        };
        let to = to
            .to_str()
            .ok_or_else(|| StoreError::Url(format!("{} is not a UTF-8 path", to.display())))?;
        sqlx::query("VACUUM INTO $1")
            .bind(to)
            .execute(reader)
            .await?;
        Ok(())
    }

    /// Whether SQLite finds the database whole (`PRAGMA integrity_check`); PostgreSQL
    /// checks itself.
    pub async fn integrity_ok(&self) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite { reader, .. } => {
                let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_one(reader)
                    .await?;
                Ok(verdict == "ok")
            }
            Backend::Postgres(_) => Ok(true),
        }
    }
}
