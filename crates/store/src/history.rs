//! What an agent handled and who could take a ticket: the tickets a person acted on (their
//! history, readable after they handed a ticket on), and the tiers each team's agents work.

use crate::backend::with_reader;
use crate::{Result, Store};

impl Store {
    /// Whether `user_id` ever acted on the ticket (replied, noted, changed, escalated,
    /// handed it over…): what makes it part of their history.
    pub async fn acted_on(&self, ticket_id: i64, user_id: i64) -> Result<bool> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE actor_id = $1 AND ticket_id = $2 LIMIT 1) x",
            )
            .bind(user_id)
            .bind(ticket_id)
            .fetch_one(db)
            .await?
        }) > 0)
    }

    /// The tickets `user_id` acted on, the most recently handled first, as (ticket, id of
    /// their latest event on it); `before` is the previous page's last event id.
    pub async fn handled_by(
        &self,
        user_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, i64)>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT ticket_id, MAX(id) AS last_id FROM events WHERE actor_id = $1
                 GROUP BY ticket_id HAVING MAX(id) < $2 ORDER BY last_id DESC LIMIT $3",
            )
            .bind(user_id)
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// The highest tier of the active agents of each team, and of all agents.
    pub async fn tier_coverage(&self) -> Result<(Vec<(i64, i64)>, Option<i64>)> {
        Ok(with_reader!(self, |db| {
            let by_team = sqlx::query_as::<_, (i64, i64)>(
                "SELECT m.team_id, MAX(COALESCE(u.tier, 1)) FROM users u
                 JOIN team_members m ON m.user_id = u.id
                 WHERE u.role = 'agent' AND u.active = TRUE GROUP BY m.team_id",
            )
            .fetch_all(db)
            .await?;
            let anywhere = sqlx::query_scalar::<_, Option<i64>>(
                "SELECT MAX(COALESCE(tier, 1)) FROM users WHERE role = 'agent' AND active = TRUE",
            )
            .fetch_one(db)
            .await?;
            (by_team, anywhere)
        }))
    }
}
