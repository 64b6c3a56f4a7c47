use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint refused the write: the thing already exists.
    #[error("{0} already exists")]
    Duplicate(String),
    /// A referenced row does not exist.
    #[error("a referenced record does not exist")]
    MissingReference,
    /// Someone else changed the row since it was read; reload and decide again.
    #[error("the record changed while it was being updated")]
    Stale,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The store's writer stopped (the process is shutting down).
    #[error("the store is closed")]
    Closed,
    #[error("database url: {0}")]
    Url(String),
}

impl StoreError {
    /// Classifies driver errors that callers can act on; everything else stays opaque.
    pub(crate) fn classify(e: sqlx::Error, what: &str) -> StoreError {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Duplicate(what.to_string());
            }
            if db.is_foreign_key_violation() {
                return StoreError::MissingReference;
            }
        }
        StoreError::Database(e)
    }

    /// Whether the database (or the disk under it) cannot take the request now but may
    /// again by itself: unreachable or restarting, out of space, read-only, failing I/O.
    /// Nothing was written; the caller answers 503 and the client tries again.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    // SQLite's extended code: its low byte is the primary one. BUSY (past
                    // the 30 s busy timeout), READONLY, IOERR, FULL, CANTOPEN.
                    let n = code.parse::<i64>().unwrap_or(0);
                    matches!(n & 0xff, 5 | 8 | 10 | 13 | 14)
                } else {
                    // PostgreSQL's SQLSTATE: connection lost (08), out of resources such as
                    // disk (53), shutting down or starting (57P0x), I/O error (58030), a
                    // standby that cannot write (25006), a database not accepting
                    // connections (55000).
                    code.starts_with("08")
                        || code.starts_with("53")
                        || code.starts_with("57P0")
                        || matches!(code.as_ref(), "58030" | "25006" | "55000")
                }
            }
            _ => false,
        }
    }
}
