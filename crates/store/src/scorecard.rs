//! What the balanced scorecard reads: the whole event logs of the tickets in a scope
//! touched since a period began (the most recently changed first, capped), and the
//! ratings and reviews given within it. Each query reads through an index on time
//! (`tickets(updated_at)`, `surveys(updated_at)`, `reviews(created_at)`), so the cost
//! follows the window and the cap, not the size of the desk.

use crate::backend::with_reader;
use crate::rows::EventRow;
use crate::{Result, Store};
use sqlx::FromRow;

/// Whose figures: the whole desk (both `None`), one team's tickets or one agent's.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScorecardScope {
    pub team_id: Option<i64>,
    pub agent_id: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ScorecardTicketRow {
    pub id: i64,
    pub subject: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct ScorecardRatingRow {
    pub ticket_id: i64,
    pub subject: String,
    pub rating: i64,
    pub recovery: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct ScorecardReviewRow {
    pub ticket_id: i64,
    pub subject: String,
    pub score: Option<i64>,
    pub created_at: i64,
}

/// The tickets of a scope changed since `$1` and opened before `$2`, newest change first.
const PICKED: &str = "SELECT id FROM (SELECT id FROM tickets
     WHERE updated_at >= $1 AND created_at < $2
       AND ($3 IS NULL OR team_id = $3) AND ($4 IS NULL OR assignee_id = $4)
     ORDER BY updated_at DESC, id DESC LIMIT $5) picked";

impl Store {
    /// The tickets the scorecard counts (at most `limit`), with their subjects.
    pub async fn scorecard_tickets(
        &self,
        scope: ScorecardScope,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<ScorecardTicketRow>> {
        let sql = format!("SELECT id, subject FROM tickets WHERE id IN ({PICKED}) ORDER BY id");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ScorecardTicketRow>(&sql)
                .bind(from)
                .bind(to)
                .bind(scope.team_id)
                .bind(scope.agent_id)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    /// The whole event logs of the same tickets, by ticket then event.
    pub async fn scorecard_logs(
        &self,
        scope: ScorecardScope,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<EventRow>> {
        let sql = format!(
            "SELECT id, ticket_id, actor_id, kind, data, created_at FROM events
             WHERE ticket_id IN ({PICKED}) ORDER BY ticket_id, id"
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, EventRow>(&sql)
                .bind(from)
                .bind(to)
                .bind(scope.team_id)
                .bind(scope.agent_id)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    /// Ratings given (or last changed) in `[from, to)`, for the team or agent who had the
    /// ticket when it was rated.
    pub async fn scorecard_ratings(
        &self,
        scope: ScorecardScope,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<ScorecardRatingRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ScorecardRatingRow>(
                "SELECT s.ticket_id, t.subject, s.rating, s.recovery, s.updated_at
                 FROM surveys s JOIN tickets t ON t.id = s.ticket_id
                 WHERE s.updated_at >= $1 AND s.updated_at < $2
                   AND ($3 IS NULL OR s.team_id = $3) AND ($4 IS NULL OR s.agent_id = $4)
                 ORDER BY s.updated_at LIMIT $5",
            )
            .bind(from)
            .bind(to)
            .bind(scope.team_id)
            .bind(scope.agent_id)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// Reviews written in `[from, to)` of the team's or the agent's work.
    pub async fn scorecard_reviews(
        &self,
        scope: ScorecardScope,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<ScorecardReviewRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ScorecardReviewRow>(
                "SELECT r.ticket_id, t.subject, r.score, r.created_at
                 FROM reviews r JOIN tickets t ON t.id = r.ticket_id
                 WHERE r.created_at >= $1 AND r.created_at < $2
                   AND ($3 IS NULL OR r.team_id = $3) AND ($4 IS NULL OR r.agent_id = $4)
                 ORDER BY r.created_at LIMIT $5",
            )
            .bind(from)
            .bind(to)
            .bind(scope.team_id)
            .bind(scope.agent_id)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }
}
