//! What `/metrics` reads from the store: the pools and the group-commit writer (in
//! memory, free), and a few counts that indexes keep cheap (open tickets by status through
//! `tickets_status`, pending mail through the partial `mail_outbox_due`). The caller
//! caches the counts for a scrape interval.

use crate::backend::{Backend, with_reader};
use crate::{Result, Store};

pub use crate::group::{BATCH_BUCKETS, WriterStats};

/// One connection pool's occupancy.
#[derive(Debug, Clone)]
pub struct PoolStats {
    /// `main` (PostgreSQL), or `writer` / `reader` (SQLite).
    pub name: &'static str,
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

impl PoolStats {
    pub fn in_use(&self) -> u32 {
        self.size.saturating_sub(self.idle)
    }
}

/// The statuses in which a ticket counts as open.
pub const OPEN_STATUSES: [&str; 4] = ["new", "open", "pending_customer", "pending_third_party"];

/// Counts over the open tickets' promises: lapsed, and falling due within the window.
#[derive(Debug, Clone, Default)]
pub struct PromiseCounts {
    pub lapsed: i64,
    pub at_risk: i64,
}

impl Store {
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        fn stats<DB: sqlx::Database>(name: &'static str, p: &sqlx::Pool<DB>) -> PoolStats {
            PoolStats {
                name,
                size: p.size(),
                idle: p.num_idle() as u32,
                max: p.options().get_max_connections(),
            }
        }
        match &self.backend {
            Backend::Sqlite { writer, reader, .. } => {
                vec![stats("writer", writer), stats("reader", reader)]
            }
            Backend::Postgres(pool) => vec![stats("main", pool)],
        }
    }

    /// The group-commit writer's queue and batch sizes (SQLite only: PostgreSQL writes
    /// each request in its own transaction).
    pub fn writer_stats(&self) -> Option<WriterStats> {
        match &self.backend {
            Backend::Sqlite { group, .. } => Some(group.stats.read()),
            Backend::Postgres(_) => None,
        }
    }

    /// Open tickets per status (statuses with none are absent).
    pub async fn open_tickets_by_status(&self) -> Result<Vec<(String, i64)>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, (String, i64)>(
                "SELECT status, COUNT(*) FROM tickets
                 WHERE status IN ('new', 'open', 'pending_customer', 'pending_third_party')
                 GROUP BY status",
            )
            .fetch_all(db)
            .await?
        }))
    }

    /// Open tickets whose customer-visible promise has lapsed at `now`, and those whose
    /// promise falls due within `window_ms` of it.
    pub async fn promise_counts(&self, now: i64, window_ms: i64) -> Result<PromiseCounts> {
        let (lapsed, at_risk) = with_reader!(self, |db| {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT COALESCE(SUM(CASE WHEN next_update_due < $1 THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN next_update_due >= $1 AND next_update_due <= $2
                                     THEN 1 ELSE 0 END), 0)
                 FROM tickets
                 WHERE status IN ('new', 'open', 'pending_customer', 'pending_third_party')
                   AND next_update_due IS NOT NULL",
            )
            .bind(now)
            .bind(now + window_ms)
            .fetch_one(db)
            .await?
        });
        Ok(PromiseCounts { lapsed, at_risk })
    }

    /// Mail queued and neither sent nor given up on.
    pub async fn mail_backlog(&self) -> Result<i64> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL",
            )
            .fetch_one(db)
            .await?
        }))
    }
}
