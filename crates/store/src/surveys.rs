//! Satisfaction surveys, recovery tasks and satisfaction counts for reports.

use crate::backend::with_reader;
use crate::rows::{RecoveryRow, SatisfactionRow, SurveyRow};
use crate::{Result, Store};

impl Store {
    pub async fn survey(&self, ticket_id: i64) -> Result<Option<SurveyRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, SurveyRow>(
                "SELECT s.ticket_id, s.rating, s.comment, s.recovery, s.recovery_note,
                        u.name AS recovered_by_name, s.recovered_at, s.created_at, s.updated_at
                 FROM surveys s LEFT JOIN users u ON u.id = s.recovered_by
                 WHERE s.ticket_id = $1",
            )
            .bind(ticket_id)
            .fetch_optional(db)
            .await?
        }))
    }

    /// Open recovery tasks, the longest waiting first.
    pub async fn open_recoveries(&self, limit: i64) -> Result<Vec<RecoveryRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, RecoveryRow>(
                "SELECT s.ticket_id, t.subject, s.rating, s.comment, r.name AS customer_name,
                        a.name AS agent_name, s.updated_at
                 FROM surveys s
                 JOIN tickets t ON t.id = s.ticket_id
                 JOIN users r ON r.id = s.requester_id
                 LEFT JOIN users a ON a.id = s.agent_id
                 WHERE s.recovery = 'open'
                 ORDER BY s.updated_at, s.ticket_id LIMIT $1",
            )
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// Ratings given since `since`, counted per team and agent.
    pub async fn satisfaction_since(&self, since: i64) -> Result<Vec<SatisfactionRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, SatisfactionRow>(
                "SELECT s.team_id, tm.name AS team_name, s.agent_id, a.name AS agent_name,
                        COUNT(*) AS rated,
                        SUM(CASE WHEN s.rating >= 4 THEN 1 ELSE 0 END) AS satisfied,
                        SUM(CASE WHEN s.rating <= 2 THEN 1 ELSE 0 END) AS poor
                 FROM surveys s
                 LEFT JOIN teams tm ON tm.id = s.team_id
                 LEFT JOIN users a ON a.id = s.agent_id
                 WHERE s.updated_at >= $1
                 GROUP BY s.team_id, tm.name, s.agent_id, a.name
                 ORDER BY tm.name, a.name",
            )
            .bind(since)
            .fetch_all(db)
            .await?
        }))
    }
}
