//! Who has a ticket open: heartbeats with a short time to live, kept in the database so
//! agents served by different processes over one PostgreSQL still see each other.

use crate::backend::{in_transaction, with_reader};
use crate::{Result, Store};
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct ViewerRow {
    pub user_id: i64,
    pub name: String,
    pub role: String,
    pub activity: String,
    pub since: i64,
    pub seen_at: i64,
}

impl Store {
    /// Records that `user_id` has the ticket open (`viewing` or `replying`) as of `now`,
    /// and forgets every heartbeat older than `stale_before`. `since` is kept while the
    /// viewer stays (their heartbeats arrive before the previous one went stale).
    pub async fn ticket_heartbeat(
        &self,
        ticket_id: i64,
        user_id: i64,
        activity: &str,
        now: i64,
        stale_before: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("DELETE FROM ticket_viewers WHERE seen_at < $1")
                .bind(stale_before)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO ticket_viewers (ticket_id, user_id, activity, since, seen_at)
                 VALUES ($1, $2, $3, $4, $4)
                 ON CONFLICT (ticket_id, user_id) DO UPDATE
                 SET activity = excluded.activity, seen_at = excluded.seen_at",
            )
            .bind(ticket_id)
            .bind(user_id)
            .bind(activity)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The viewer left the ticket.
    pub async fn ticket_left(&self, ticket_id: i64, user_id: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("DELETE FROM ticket_viewers WHERE ticket_id = $1 AND user_id = $2")
                .bind(ticket_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Everyone whose heartbeat on the ticket is newer than `fresh_after`, longest there first.
    pub async fn ticket_viewers(&self, ticket_id: i64, fresh_after: i64) -> Result<Vec<ViewerRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ViewerRow>(
                "SELECT v.user_id, u.name, u.role, v.activity, v.since, v.seen_at
                 FROM ticket_viewers v JOIN users u ON u.id = v.user_id
                 WHERE v.ticket_id = $1 AND v.seen_at >= $2
                 ORDER BY v.since, v.user_id",
            )
            .bind(ticket_id)
            .bind(fresh_after)
            .fetch_all(db)
            .await?
        }))
    }
}
