//! The durable side of routing: agents' presence (current and an append-only history),
//! routing settings, what the router reads (candidates and the waiting queue), the hard
//! conversations of each shift, colleagues invited to a ticket, break reminders fired once
//! per stretch, and tickets stuck at their tier.

use crate::backend::{in_transaction, with_reader};
use crate::service_levels::NewNotification;
use crate::{Result, Store, StoreError};
use sqlx::FromRow;

/// The statuses of tickets an agent still carries (they count against capacity).
const OPEN: &str = "('new','open','pending_customer','pending_third_party')";

/// An agent's presence as stored; `version` is bumped by every assignment and presence
/// change, so a routing decision made on an older reading is refused.
#[derive(Debug, Clone, FromRow)]
pub struct PresenceRow {
    pub user_id: i64,
    pub presence: String,
    pub since: i64,
    pub shift_started_at: Option<i64>,
    pub stretch_started_at: Option<i64>,
    pub break_due_at: Option<i64>,
    pub hard_in_a_row: i64,
    pub last_assigned_at: Option<i64>,
    pub version: i64,
}

/// A new presence, written whole.
#[derive(Debug, Clone)]
pub struct PresenceWrite {
    pub presence: String,
    pub since: i64,
    pub shift_started_at: Option<i64>,
    pub stretch_started_at: Option<i64>,
    pub break_due_at: Option<i64>,
    pub hard_in_a_row: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct PresenceHistoryRow {
    pub id: i64,
    pub user_id: i64,
    pub presence: String,
    pub previous: String,
    pub changed_by: Option<i64>,
    pub at: i64,
}

/// A staff member as the router and the supervisor's view see them, in one query.
#[derive(Debug, Clone, FromRow)]
pub struct StaffRoutingRow {
    pub user_id: i64,
    pub name: String,
    pub role: String,
    pub tier: Option<i64>,
    pub capacity: i64,
    pub presence: String,
    pub since: Option<i64>,
    pub shift_started_at: Option<i64>,
    pub stretch_started_at: Option<i64>,
    pub hard_in_a_row: i64,
    pub last_assigned_at: Option<i64>,
    /// -1 when the agent never set a presence.
    pub version: i64,
    pub open_tickets: i64,
    pub hard_this_shift: i64,
}

/// An unassigned open ticket waiting for an agent.
#[derive(Debug, Clone, FromRow)]
pub struct WaitingRow {
    pub id: i64,
    pub team_id: Option<i64>,
    pub tier: i64,
    pub frustration_score: Option<i64>,
    pub abusive: bool,
    pub due_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RoutingPolicyRow {
    /// `desk`, or `team:<id>`.
    pub scope: String,
    pub team_id: Option<i64>,
    pub mode: String,
    pub upset_at: i64,
    pub hard_streak_limit: i64,
    pub break_every_minutes: i64,
    pub break_minutes: i64,
    pub stuck_after_minutes: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct HardInteractionRow {
    pub agent_id: i64,
    pub ticket_id: i64,
    pub subject: String,
    pub frustration: i64,
    pub abusive: bool,
    pub at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct CollaboratorRow {
    pub user_id: i64,
    pub name: String,
    pub invited_by: i64,
    pub created_at: i64,
}

/// What a ticket write does to one agent, in the ticket's transaction.
#[derive(Debug, Clone)]
pub struct AgentTouch {
    pub user_id: i64,
    /// The agent's routing version the decision was made on: when someone else assigned
    /// them a ticket or changed their presence since, the whole write fails
    /// [`StoreError::Stale`]. `None` for an assignment a person chose.
    pub expected_version: Option<i64>,
    /// The ticket is given to the agent now.
    pub assigned: bool,
    /// The ticket is an upset or abusive conversation the agent handles: recorded once
    /// per ticket and shift, and it lengthens their hard streak.
    pub hard: Option<HardConversation>,
}

#[derive(Debug, Clone, Copy)]
pub struct HardConversation {
    pub frustration: i64,
    pub abusive: bool,
}

#[derive(Debug, Clone)]
pub enum CollaboratorChange {
    Invite { user_id: i64, invited_by: i64 },
    Remove { user_id: i64 },
}

/// Applies [`AgentTouch`]es inside the caller's transaction.
macro_rules! touch_agents {
    ($tx:ident, $ticket_id:expr, $touches:expr, $now:expr) => {
        for a in $touches {
            sqlx::query(
                "INSERT INTO agent_presence (user_id, presence, since) VALUES ($1, 'offline', $2)
                 ON CONFLICT (user_id) DO NOTHING",
            )
            .bind(a.user_id)
            .bind($now)
            .execute(&mut *$tx)
            .await
            .map_err(|e| $crate::StoreError::classify(e, "agent"))?;
            let mut recorded = false;
            if let Some(h) = &a.hard {
                recorded = sqlx::query(
                    "INSERT INTO hard_interactions (agent_id, ticket_id, shift_started_at, frustration, abusive, at)
                     SELECT $1, $2, COALESCE(shift_started_at, 0), $3, $4, $5 FROM agent_presence WHERE user_id = $1
                     ON CONFLICT (agent_id, shift_started_at, ticket_id) DO NOTHING",
                )
                .bind(a.user_id)
                .bind($ticket_id)
                .bind(h.frustration)
                .bind(h.abusive)
                .bind($now)
                .execute(&mut *$tx)
                .await?
                .rows_affected()
                    == 1;
            }
            let calm_assignment = a.assigned && a.hard.is_none();
            let mut update = sqlx::query(if a.expected_version.is_some() {
                "UPDATE agent_presence SET
                     hard_in_a_row = CASE WHEN $2 THEN hard_in_a_row + 1 WHEN $3 THEN 0 ELSE hard_in_a_row END,
                     last_assigned_at = CASE WHEN $4 THEN $5 ELSE last_assigned_at END,
                     version = version + 1
                 WHERE user_id = $1 AND version = $6"
            } else {
                "UPDATE agent_presence SET
                     hard_in_a_row = CASE WHEN $2 THEN hard_in_a_row + 1 WHEN $3 THEN 0 ELSE hard_in_a_row END,
                     last_assigned_at = CASE WHEN $4 THEN $5 ELSE last_assigned_at END,
                     version = version + 1
                 WHERE user_id = $1"
            })
            .bind(a.user_id)
            .bind(recorded)
            .bind(calm_assignment)
            .bind(a.assigned)
            .bind($now);
            if let Some(v) = a.expected_version {
                update = update.bind(v);
            }
            let updated = update.execute(&mut *$tx).await?;
            if updated.rows_affected() != 1 {
                return Err($crate::StoreError::Stale);
            }
        }
    };
}
pub(crate) use touch_agents;

macro_rules! change_collaborator {
    ($tx:ident, $ticket_id:expr, $change:expr, $now:expr) => {
        match $change {
            $crate::CollaboratorChange::Invite {
                user_id,
                invited_by,
            } => {
                sqlx::query(
                    "INSERT INTO ticket_collaborators (ticket_id, user_id, invited_by, created_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (ticket_id, user_id) DO NOTHING",
                )
                .bind($ticket_id)
                .bind(*user_id)
                .bind(*invited_by)
                .bind($now)
                .execute(&mut *$tx)
                .await
                .map_err(|e| $crate::StoreError::classify(e, "collaborator"))?;
            }
            $crate::CollaboratorChange::Remove { user_id } => {
                sqlx::query(
                    "DELETE FROM ticket_collaborators WHERE ticket_id = $1 AND user_id = $2",
                )
                .bind($ticket_id)
                .bind(*user_id)
                .execute(&mut *$tx)
                .await?;
            }
        }
    };
}
pub(crate) use change_collaborator;

const PRESENCE_COLUMNS: &str = "user_id, presence, since, shift_started_at, stretch_started_at, \
     break_due_at, hard_in_a_row, last_assigned_at, version";

const POLICY_COLUMNS: &str = "scope, team_id, mode, upset_at, hard_streak_limit, \
     break_every_minutes, break_minutes, stuck_after_minutes";

impl Store {
    pub async fn presence(&self, user_id: i64) -> Result<Option<PresenceRow>> {
        let sql = format!("SELECT {PRESENCE_COLUMNS} FROM agent_presence WHERE user_id = $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, PresenceRow>(&sql)
                .bind(user_id)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Changes an agent's presence and appends the change to its history, in one
    /// transaction. `read` is the row the change was decided on (`None`: there was none);
    /// when the stored one moved on since, nothing is written and [`StoreError::Stale`]
    /// asks the caller to decide again.
    pub async fn set_presence(
        &self,
        user_id: i64,
        read: Option<&PresenceRow>,
        to: &PresenceWrite,
        changed_by: i64,
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            let written = match read {
                None => sqlx::query(
                    "INSERT INTO agent_presence (user_id, presence, since, shift_started_at,
                         stretch_started_at, break_due_at, hard_in_a_row, version)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 1) ON CONFLICT (user_id) DO NOTHING",
                )
                .bind(user_id)
                .bind(&to.presence)
                .bind(to.since)
                .bind(to.shift_started_at)
                .bind(to.stretch_started_at)
                .bind(to.break_due_at)
                .bind(to.hard_in_a_row)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::classify(e, "agent"))?,
                Some(r) => sqlx::query(
                    "UPDATE agent_presence SET presence = $2, since = $3, shift_started_at = $4,
                         stretch_started_at = $5, break_due_at = $6, hard_in_a_row = $7,
                         version = version + 1
                     WHERE user_id = $1 AND version = $8",
                )
                .bind(user_id)
                .bind(&to.presence)
                .bind(to.since)
                .bind(to.shift_started_at)
                .bind(to.stretch_started_at)
                .bind(to.break_due_at)
                .bind(to.hard_in_a_row)
                .bind(r.version)
                .execute(&mut *tx)
                .await?,
            };
            if written.rows_affected() != 1 {
                return Err(StoreError::Stale);
            }
            sqlx::query(
                "INSERT INTO presence_history (user_id, presence, previous, changed_by, at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(user_id)
            .bind(&to.presence)
            .bind(read.map_or("offline", |r| r.presence.as_str()))
            .bind(changed_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// An agent's changes of presence, newest first, `limit` before `before` (keyset).
    pub async fn presence_history(
        &self,
        user_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<PresenceHistoryRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, PresenceHistoryRow>(
                "SELECT id, user_id, presence, previous, changed_by, at FROM presence_history
                 WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
            )
            .bind(user_id)
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// Active staff with their presence, load and hard conversations this shift (one of
    /// them with `only`). Only agents (`agents_only`) are routed to; supervisors see all.
    pub async fn staff_for_routing(
        &self,
        agents_only: bool,
        only: Option<i64>,
    ) -> Result<Vec<StaffRoutingRow>> {
        let roles = if agents_only {
            "('agent')"
        } else {
            "('agent','supervisor','admin')"
        };
        let sql = format!(
            "SELECT u.id AS user_id, u.name, u.role, u.tier, u.capacity,
                    COALESCE(p.presence, 'offline') AS presence, p.since, p.shift_started_at,
                    p.stretch_started_at, COALESCE(p.hard_in_a_row, 0) AS hard_in_a_row,
                    p.last_assigned_at, COALESCE(p.version, -1) AS version,
                    (SELECT COUNT(*) FROM tickets t
                      WHERE t.assignee_id = u.id AND t.status IN {OPEN}) AS open_tickets,
                    (SELECT COUNT(*) FROM hard_interactions h
                      WHERE h.agent_id = u.id AND h.shift_started_at = p.shift_started_at) AS hard_this_shift
             FROM users u LEFT JOIN agent_presence p ON p.user_id = u.id
             WHERE u.role IN {roles} AND u.active = TRUE AND ($1 = 0 OR u.id = $1) ORDER BY u.id"
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, StaffRoutingRow>(&sql)
                .bind(only.unwrap_or(0))
                .fetch_all(db)
                .await?
        }))
    }

    /// Everyone's presence as (user, presence), for pages that name colleagues.
    pub async fn presences(&self) -> Result<Vec<(i64, String)>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, (i64, String)>("SELECT user_id, presence FROM agent_presence")
                .fetch_all(db)
                .await?
        }))
    }

    /// How many agents take new work right now (the router's cheap first question).
    pub async fn agents_available(&self) -> Result<i64> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM agent_presence p JOIN users u ON u.id = p.user_id
                 WHERE p.presence = 'available' AND u.role = 'agent' AND u.active = TRUE",
            )
            .fetch_one(db)
            .await?
        }))
    }

    /// Open tickets `user_id` was invited to join, newest first.
    pub async fn collaborating_on(&self, user_id: i64, limit: i64) -> Result<Vec<i64>> {
        let sql = format!(
            "SELECT c.ticket_id FROM ticket_collaborators c JOIN tickets t ON t.id = c.ticket_id
             WHERE c.user_id = $1 AND t.status IN {OPEN} ORDER BY c.ticket_id DESC LIMIT $2"
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(&sql)
                .bind(user_id)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    /// Every (user, skill) and (user, team) of active agents, for the router's candidates.
    pub async fn agent_skills_and_teams(&self) -> Result<(Vec<(i64, String)>, Vec<(i64, i64)>)> {
        Ok(with_reader!(self, |db| {
            let skills = sqlx::query_as::<_, (i64, String)>(
                "SELECT s.user_id, s.skill FROM agent_skills s JOIN users u ON u.id = s.user_id
                 WHERE u.role = 'agent' AND u.active = TRUE ORDER BY s.user_id, s.skill",
            )
            .fetch_all(db)
            .await?;
            let teams = sqlx::query_as::<_, (i64, i64)>(
                "SELECT m.user_id, m.team_id FROM team_members m JOIN users u ON u.id = m.user_id
                 WHERE u.role = 'agent' AND u.active = TRUE ORDER BY m.user_id, m.team_id",
            )
            .fetch_all(db)
            .await?;
            (skills, teams)
        }))
    }

    /// Unassigned open tickets, most pressing first (the queue key), at most `limit`.
    pub async fn waiting_tickets(&self, limit: i64) -> Result<Vec<WaitingRow>> {
        let sql = format!(
            "SELECT id, team_id, tier, frustration_score, abusive, due_at FROM tickets
             WHERE assignee_id IS NULL AND status IN {OPEN}
               AND NOT EXISTS (SELECT 1 FROM chats c
                                WHERE c.ticket_id = tickets.id AND c.state = 'waiting')
             ORDER BY queue_rank, id LIMIT $1"
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, WaitingRow>(&sql)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    /// The tags of several tickets at once, as (ticket, tag).
    pub async fn tags_of_tickets(&self, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT ticket_id, tag FROM ticket_tags WHERE ticket_id IN (",
            );
            let mut sep = q.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            q.push(") ORDER BY ticket_id, tag");
            q.build_query_as::<(i64, String)>().fetch_all(db).await?
        }))
    }

    pub async fn routing_policies(&self) -> Result<Vec<RoutingPolicyRow>> {
        let sql = format!("SELECT {POLICY_COLUMNS} FROM routing_policies ORDER BY scope");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, RoutingPolicyRow>(&sql)
                .fetch_all(db)
                .await?
        }))
    }

    pub async fn set_routing_policy(&self, p: &RoutingPolicyRow, by: i64, now: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO routing_policies (scope, team_id, mode, upset_at, hard_streak_limit,
                     break_every_minutes, break_minutes, stuck_after_minutes, updated_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (scope) DO UPDATE SET mode = excluded.mode,
                     upset_at = excluded.upset_at, hard_streak_limit = excluded.hard_streak_limit,
                     break_every_minutes = excluded.break_every_minutes,
                     break_minutes = excluded.break_minutes,
                     stuck_after_minutes = excluded.stuck_after_minutes,
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(&p.scope)
            .bind(p.team_id)
            .bind(&p.mode)
            .bind(p.upset_at)
            .bind(p.hard_streak_limit)
            .bind(p.break_every_minutes)
            .bind(p.break_minutes)
            .bind(p.stuck_after_minutes)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "routing policy"))?;
        });
        Ok(())
    }

    /// Removes a team's own settings (it follows the desk's again).
    pub async fn delete_routing_policy(&self, scope: &str) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("DELETE FROM routing_policies WHERE scope = $1")
                .bind(scope)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Moves the break reminders of agents who are working now to what the settings say.
    pub async fn reschedule_breaks(&self, user_id: i64, break_due_at: Option<i64>) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE agent_presence SET break_due_at = $2
                 WHERE user_id = $1 AND stretch_started_at IS NOT NULL
                   AND stretch_started_at NOT IN
                       (SELECT stretch_started_at FROM break_reminders WHERE user_id = $1)",
            )
            .bind(user_id)
            .bind(break_due_at)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The hard conversations of one shift, newest first.
    pub async fn hard_interactions(
        &self,
        agent_id: i64,
        shift_started_at: i64,
        limit: i64,
    ) -> Result<Vec<HardInteractionRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, HardInteractionRow>(
                "SELECT h.agent_id, h.ticket_id, t.subject, h.frustration, h.abusive, h.at
                 FROM hard_interactions h JOIN tickets t ON t.id = h.ticket_id
                 WHERE h.agent_id = $1 AND h.shift_started_at = $2 ORDER BY h.at DESC, h.id DESC LIMIT $3",
            )
            .bind(agent_id)
            .bind(shift_started_at)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn collaborators(&self, ticket_id: i64) -> Result<Vec<CollaboratorRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, CollaboratorRow>(
                "SELECT c.user_id, u.name, c.invited_by, c.created_at
                 FROM ticket_collaborators c JOIN users u ON u.id = c.user_id
                 WHERE c.ticket_id = $1 ORDER BY c.created_at, c.user_id",
            )
            .bind(ticket_id)
            .fetch_all(db)
            .await?
        }))
    }

    /// Agents whose break reminder is due by `now`, as (user, stretch start).
    pub async fn breaks_due(&self, now: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT user_id, stretch_started_at FROM agent_presence
                 WHERE break_due_at IS NOT NULL AND break_due_at <= $1
                   AND stretch_started_at IS NOT NULL
                 ORDER BY break_due_at LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// Fires the break reminder of one stretch: records it, notifies the agent and clears
    /// the schedule, in one transaction. Returns false, notifying nobody, when this
    /// stretch's reminder already fired (another process, or before a restart).
    pub async fn fire_break_reminder(
        &self,
        user_id: i64,
        stretch_started_at: i64,
        notification: &NewNotification,
        now: i64,
    ) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            let first = sqlx::query(
                "INSERT INTO break_reminders (user_id, stretch_started_at, fired_at) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id, stretch_started_at) DO NOTHING",
            )
            .bind(user_id)
            .bind(stretch_started_at)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if first {
                sqlx::query(
                    "INSERT INTO notifications (user_id, role, ticket_id, kind, message, created_at)
                     VALUES ($1, $2, NULL, $3, $4, $5)",
                )
                .bind(notification.user_id)
                .bind(&notification.role)
                .bind(&notification.kind)
                .bind(&notification.message)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE agent_presence SET break_due_at = NULL
                 WHERE user_id = $1 AND stretch_started_at = $2",
            )
            .bind(user_id)
            .bind(stretch_started_at)
            .execute(&mut *tx)
            .await?;
            first
        }))
    }

    /// Whether this stretch's reminder fired.
    pub async fn break_reminded(&self, user_id: i64, stretch_started_at: i64) -> Result<bool> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM break_reminders WHERE user_id = $1 AND stretch_started_at = $2",
            )
            .bind(user_id)
            .bind(stretch_started_at)
            .fetch_one(db)
            .await?
                > 0
        }))
    }

    /// Moves a ticket's automatic escalation (after its team's settings changed). Derived
    /// state, so it does not bump the version: every write recomputes it anyway.
    pub async fn set_escalate_at(&self, ticket_id: i64, escalate_at: Option<i64>) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("UPDATE tickets SET escalate_at = $1 WHERE id = $2")
                .bind(escalate_at)
                .bind(ticket_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Tickets whose time at their tier ran out by `now`, the longest overdue first.
    pub async fn tickets_stuck(&self, now: i64, limit: i64) -> Result<Vec<i64>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM tickets WHERE escalate_at IS NOT NULL AND escalate_at <= $1
                 ORDER BY escalate_at LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }
}
