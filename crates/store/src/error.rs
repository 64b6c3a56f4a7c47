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
}
