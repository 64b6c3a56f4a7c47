//! The physical limit for durable writes: how many one-row transactions per second SQLite
//! commits on this disk with the settings heard uses (WAL, `synchronous=FULL`), with no
//! server in between. Every ticket creation is at least one such commit, so this bounds it.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Transactions per second: one writer, then `tasks` tasks sharing the one connection
/// (SQLite allows one writer, so both should come out alike).
pub struct BareSqlite {
    pub single_tx_per_s: f64,
    pub shared_tx_per_s: f64,
}

const FILE: &str = "heard-bench-bare.sqlite";

fn files(dir: &Path) -> [PathBuf; 3] {
    [
        dir.join(FILE),
        dir.join(format!("{FILE}-wal")),
        dir.join(format!("{FILE}-shm")),
    ]
}

fn remove(dir: &Path) -> anyhow::Result<()> {
    for f in files(dir) {
        match std::fs::remove_file(&f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => anyhow::bail!("cannot remove {}: {e}", f.display()),
        }
    }
    Ok(())
}

pub async fn measure(dir: &Path, duration: Duration, tasks: usize) -> anyhow::Result<BareSqlite> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    remove(dir)?;
    let options = SqliteConnectOptions::new()
        .filename(dir.join(FILE))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30));
    // One connection, as heard's writer pool has.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    sqlx::query(
        "CREATE TABLE rows (id INTEGER PRIMARY KEY, task INTEGER NOT NULL, \
         n INTEGER NOT NULL, body TEXT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let single_tx_per_s = commit_for(&pool, 1, duration).await?;
    let shared_tx_per_s = commit_for(&pool, tasks, duration).await?;
    pool.close().await;
    remove(dir)?;
    Ok(BareSqlite {
        single_tx_per_s,
        shared_tx_per_s,
    })
}

/// Commits one row per transaction from `tasks` tasks until `duration` is up.
async fn commit_for(pool: &Pool<Sqlite>, tasks: usize, duration: Duration) -> anyhow::Result<f64> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut set = tokio::task::JoinSet::new();
    for task in 0..tasks {
        let pool = pool.clone();
        set.spawn(async move {
            let mut n: u64 = 0;
            while Instant::now() < deadline {
                let mut conn = pool.acquire().await?;
                sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
                sqlx::query("INSERT INTO rows (task, n, body) VALUES (?, ?, ?)")
                    .bind(task as i64)
                    .bind(n as i64)
                    .bind("a small row, about the size of an event")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("COMMIT").execute(&mut *conn).await?;
                n += 1;
            }
            Ok::<u64, sqlx::Error>(n)
        });
    }
    let mut total = 0;
    while let Some(done) = set.join_next().await {
        total += done??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}
