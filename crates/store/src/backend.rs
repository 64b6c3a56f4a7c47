use crate::group::GroupCommit;
use crate::{Result, StoreError};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// The database behind a [`Store`].
#[derive(Clone, Debug)]
pub enum Backend {
    /// SQLite allows one writer at a time, so writes go through a single connection
    /// (queued in-process instead of failing with "database is locked") and reads use a
    /// pool of their own that WAL lets run beside the writer.
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
        /// Ticket openings, committed in groups through `writer`.
        group: GroupCommit,
    },
    Postgres(PgPool),
}

#[derive(Clone, Debug)]
pub struct Store {
    pub backend: Backend,
}

/// Runs `$body` with `$db` bound to a pool that reads. Expanded once per backend.
macro_rules! with_reader {
    ($store:expr, |$db:ident| $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite { reader, .. } => {
                let $db = reader;
                $body
            }
            $crate::Backend::Postgres(pool) => {
                let $db = pool;
                $body
            }
        }
    };
}

/// Runs `$body` inside one write transaction bound to `$tx`, committing when the body
/// finishes; an early `?` drops the transaction, which rolls it back, so nothing is
/// ever half-written. SQLite transactions start IMMEDIATE so a writer in another
/// process makes us wait (busy timeout) rather than fail halfway.
macro_rules! in_transaction {
    ($store:expr, |$tx:ident| $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite { writer, .. } => {
                let mut $tx = $crate::backend::begin_immediate(writer).await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::Backend::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

pub(crate) use {in_transaction, with_reader};

/// Starts a SQLite write transaction. When SQLite rolls a transaction back by itself (a
/// full disk, an I/O error), sqlx's count of open transactions on that connection stays
/// up and every later BEGIN on it is refused: such a connection is closed and a fresh one
/// used, so writes work again as soon as the disk does.
pub(crate) async fn begin_immediate(
    writer: &SqlitePool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    match writer.begin_with("BEGIN IMMEDIATE").await {
        Err(sqlx::Error::InvalidSavePointStatement) => {
            tracing::warn!("the write connection lost track of a failed transaction; reopening it");
            let mut stuck = writer.acquire().await?;
            stuck.close_on_drop();
            drop(stuck);
            Ok(writer.begin_with("BEGIN IMMEDIATE").await?)
        }
        other => Ok(other?),
    }
}

impl Store {
    /// Opens (creating if needed) the embedded database in `data_dir`.
    pub async fn open_data_dir(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Url(format!("cannot create {}: {e}", data_dir.display())))?;
        Store::open_sqlite(&data_dir.join("heard.sqlite")).await
    }

    pub async fn open_sqlite(path: &Path) -> Result<Store> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a ticket acknowledged with 201 survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-32000");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.clone())
            .await?;
        // Readers keep a smaller page cache each: every commit of the writer empties it
        // (WAL), and four large ones would hold the same pages four times.
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.read_only(true).pragma("cache_size", "-8000"))
            .await;
        // A read-only pool cannot open a database file that does not exist yet; the
        // writer has created it by now, so this only fails for real problems.
        let reader = reader?;
        let group = GroupCommit::start(writer.clone());
        let store = Store {
            backend: Backend::Sqlite {
                writer,
                reader,
                group,
            },
        };
        sqlx::migrate!("migrations/sqlite")
            .run(store.sqlite_writer())
            .await?;
        Ok(store)
    }

    pub async fn open_postgres(url: &str) -> Result<Store> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        // Several processes may start at once: the migrator takes an advisory lock.
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Store {
            backend: Backend::Postgres(pool),
        })
    }

    /// Opens by URL: `postgres://…`, `sqlite://PATH` or `sqlite:PATH`.
    pub async fn open_url(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Store::open_postgres(url).await
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or(path);
            SqliteConnectOptions::from_str(url).map_err(|e| StoreError::Url(e.to_string()))?;
            Store::open_sqlite(Path::new(path)).await
        } else {
            Err(StoreError::Url(format!(
                "unsupported database url `{url}`: use postgres://… or sqlite:PATH"
            )))
        }
    }

    fn sqlite_writer(&self) -> &SqlitePool {
        match &self.backend {
            Backend::Sqlite { writer, .. } => writer,
            Backend::Postgres(_) => unreachable!("only called on SQLite stores"),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Answers when the database does (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        with_reader!(self, |db| {
            sqlx::query("SELECT 1").execute(db).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { writer, reader, .. } => {
                reader.close().await;
                writer.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// The counter that moves with every change to what decisions read (settings,
    /// teams, routing settings, who takes work): a snapshot read at this version is current.
    pub async fn config_version(&self) -> Result<i64> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>("SELECT version FROM config_version WHERE id = 1")
                .fetch_one(db)
                .await?
        }))
    }

    /// Reads a setting (small configuration values such as the demo marker).
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(db)
                .await?
        }))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }
}
