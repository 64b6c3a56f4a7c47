//! Tickets, their messages, tags, attachments and the append-only event log.

use crate::backend::{in_transaction, with_reader};
use crate::rows::*;
use crate::{Result, Store, StoreError};
use heard_domain::access::TicketScope;

/// The mutable columns of a ticket, written whole on every change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketState {
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub tier: i64,
    pub transfers: i64,
    /// The frustration of the customer's latest message, 0–100, and its level.
    pub frustration_score: Option<i64>,
    pub frustration_level: Option<String>,
    /// A message was abusive towards the agent: a supervisor may take over.
    pub abusive: bool,
    /// "Had to repeat" events: customer messages restating an earlier one.
    pub repeats: i64,
    /// Derived from the event log by the service-level rules on every write.
    pub policy_id: Option<String>,
    pub next_update_due: Option<i64>,
    pub due_at: Option<i64>,
    pub queue_rank: i64,
    pub next_alert_at: Option<i64>,
    /// When the ticket, stuck at its tier, escalates on its own (derived like the above).
    pub escalate_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub author_id: i64,
    pub kind: String,
    pub channel: String,
    pub body_text: String,
    pub body_html: Option<String>,
    /// JSON: the frustration score of a customer's message or the tone review of a reply.
    pub analysis: Option<String>,
}

/// One entry of the audit log: `data` is a JSON object saying what changed and why.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub actor_id: Option<i64>,
    pub kind: String,
    pub data: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct NewTicket {
    pub state: TicketState,
    pub channel: String,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    pub tags: Vec<String>,
    pub message: NewMessage,
    pub events: Vec<NewEvent>,
    /// Agents the ticket is given to as it opens.
    pub agents: Vec<crate::AgentTouch>,
    /// (user id, key, hash of the request) of an `Idempotency-Key`.
    pub idempotency: Option<(i64, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// A new ticket and its first message.
    New { ticket_id: i64, message_id: i64 },
    /// The idempotency key was used before: the ticket it created, and whether the earlier
    /// request was the same one.
    Replayed { ticket_id: i64, same_request: bool },
}

/// A complete change to one ticket, applied only if nobody changed it since `expected_version`.
#[derive(Debug, Clone)]
pub struct TicketWrite {
    pub id: i64,
    pub expected_version: i64,
    pub state: TicketState,
    /// Replaces the tags when `Some`.
    pub tags: Option<Vec<String>>,
    pub message: Option<NewMessage>,
    pub events: Vec<NewEvent>,
    /// What the change does to agents' routing state (assignments, hard conversations),
    /// with the optimistic checks the router relies on.
    pub agents: Vec<crate::AgentTouch>,
    pub collaborator: Option<crate::CollaboratorChange>,
    /// What the change does to the ticket's live chat, if it has one.
    pub chat: Option<crate::ChatTouch>,
}

/// A duplicate ticket folded into another: the source closes, the target gets its
/// conversation. Both are version-checked writes.
#[derive(Debug, Clone)]
pub struct TicketMerge {
    pub source: TicketWrite,
    pub target: TicketWrite,
}

/// A customer's rating as stored: who had the ticket then, and the recovery state the
/// rating leads to.
#[derive(Debug, Clone)]
pub struct NewSurvey {
    pub requester_id: i64,
    pub rating: i64,
    pub comment: Option<String>,
    pub agent_id: Option<i64>,
    pub team_id: Option<i64>,
    /// none, open or done
    pub recovery: String,
}

/// What an agent found: the root cause, how it was fixed, and the problem it belongs to.
#[derive(Debug, Clone)]
pub struct NewDiagnosis {
    pub root_cause: String,
    pub resolution: Option<String>,
    pub problem_id: Option<i64>,
    pub recorded_by: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ListTickets {
    pub statuses: Vec<String>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub requester_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub tag: Option<String>,
    /// Tickets diagnosed as caused by this problem.
    pub problem_id: Option<i64>,
    /// Keyset pagination: tickets with an id below this one (lists are newest first).
    pub before_id: Option<i64>,
    /// Order by what is due soonest, weighted by frustration (the queue key) instead of
    /// newest first; paginated by `after_rank` (queue key, id) of the previous page's last.
    pub by_due: bool,
    pub after_rank: Option<(i64, i64)>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub ticket_id: i64,
    pub message_id: Option<i64>,
    pub uploaded_by: i64,
    pub file_name: String,
    pub content_type: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

const TICKET_SELECT: &str = "SELECT t.id, t.version, t.subject, t.status, t.priority, t.channel,
        t.requester_id, r.name AS requester_name, r.email AS requester_email,
        t.organization_id, t.assignee_id, a.name AS assignee_name,
        t.team_id, tm.name AS team_name, t.tier, t.transfers, t.created_at, t.updated_at,
        t.frustration_score, t.frustration_level, t.abusive, t.repeats, t.policy_id,
        t.next_update_due, t.due_at, t.queue_rank, t.next_alert_at, t.escalate_at
     FROM tickets t
     JOIN users r ON r.id = t.requester_id
     LEFT JOIN users a ON a.id = t.assignee_id
     LEFT JOIN teams tm ON tm.id = t.team_id";

const MESSAGE_SELECT: &str = "SELECT m.id, m.ticket_id, m.author_id, u.name AS author_name,
        u.role AS author_role, m.kind, m.channel, m.body_text, m.body_html, m.analysis, m.created_at
     FROM messages m JOIN users u ON u.id = m.author_id";

/// Appends ` AND (…)` limiting a query over `tickets t` to what an agent may see: their
/// teams' tickets, those assigned to them and those they collaborate on. Every list
/// scoped by ticket access (tickets, calls) uses this one rule. The team test comes
/// first: it reads only the index, so SQLite defers (and for a team's queue skips)
/// fetching the row.
macro_rules! agent_sees {
    ($q:ident, $user_id:expr, $team_ids:expr) => {{
        let (user_id, team_ids): (&i64, &Vec<i64>) = ($user_id, $team_ids);
        $q.push(" AND (");
        if !team_ids.is_empty() {
            $q.push("t.team_id IN (");
            let mut sep = $q.separated(", ");
            for team in team_ids {
                sep.push_bind(*team);
            }
            $q.push(") OR ");
        }
        $q.push("t.assignee_id = ").push_bind(*user_id);
        $q.push(" OR t.id IN (SELECT ticket_id FROM ticket_collaborators WHERE user_id = ")
            .push_bind(*user_id)
            .push("))");
    }};
}
pub(crate) use agent_sees;

/// Appends the WHERE of a ticket list to a query that selects from `tickets t`: the
/// caller's scope, the filter and the keyset cursor.
macro_rules! ticket_where {
    ($q:ident, $scope:expr, $filter:expr) => {
        $q.push(" WHERE 1 = 1");
        match $scope {
            TicketScope::All => {}
            TicketScope::Agent { user_id, team_ids } => {
                agent_sees!($q, user_id, team_ids);
            }
            TicketScope::Customer {
                user_id,
                shared_organization_id,
            } => {
                $q.push(" AND (t.requester_id = ").push_bind(*user_id);
                if let Some(org) = shared_organization_id {
                    $q.push(" OR t.organization_id = ").push_bind(*org);
                }
                $q.push(")");
            }
        }
        if !$filter.statuses.is_empty() {
            $q.push(" AND t.status IN (");
            let mut sep = $q.separated(", ");
            for s in &$filter.statuses {
                sep.push_bind(s.clone());
            }
            $q.push(")");
        }
        if let Some(team) = $filter.team_id {
            $q.push(" AND t.team_id = ").push_bind(team);
        }
        if let Some(a) = $filter.assignee_id {
            $q.push(" AND t.assignee_id = ").push_bind(a);
        }
        if let Some(r) = $filter.requester_id {
            $q.push(" AND t.requester_id = ").push_bind(r);
        }
        if let Some(o) = $filter.organization_id {
            $q.push(" AND t.organization_id = ").push_bind(o);
        }
        if let Some(tag) = &$filter.tag {
            $q.push(" AND t.id IN (SELECT ticket_id FROM ticket_tags WHERE tag = ")
                .push_bind(tag.clone())
                .push(")");
        }
        if let Some(problem) = $filter.problem_id {
            $q.push(" AND t.id IN (SELECT ticket_id FROM ticket_diagnoses WHERE problem_id = ")
                .push_bind(problem)
                .push(")");
        }
        if $filter.by_due {
            if let Some((rank, id)) = $filter.after_rank {
                $q.push(" AND (t.queue_rank > ").push_bind(rank);
                $q.push(" OR (t.queue_rank = ").push_bind(rank);
                $q.push(" AND t.id > ").push_bind(id);
                $q.push("))");
            }
        } else if let Some(before) = $filter.before_id {
            $q.push(" AND t.id < ").push_bind(before);
        }
    };
}

/// Appends the ORDER BY and LIMIT of a ticket list: due order or newest first.
macro_rules! ticket_order {
    ($q:ident, $filter:expr) => {
        $q.push(if $filter.by_due {
            " ORDER BY t.queue_rank, t.id LIMIT "
        } else {
            " ORDER BY t.id DESC LIMIT "
        })
        .push_bind($filter.limit);
    };
}

/// Appends events inside the caller's transaction, all in one statement.
macro_rules! append_events {
    ($tx:ident, $ticket_id:expr, $events:expr, $now:expr) => {
        let events = $events;
        if !events.is_empty() {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO events (ticket_id, actor_id, kind, data, created_at) ",
            );
            q.push_values(events.iter(), |mut row, e| {
                row.push_bind($ticket_id)
                    .push_bind(e.actor_id)
                    .push_bind(&e.kind)
                    .push_bind(e.data.to_string())
                    .push_bind($now);
            });
            q.build().execute(&mut *$tx).await?;
        }
    };
}

macro_rules! insert_message {
    ($tx:ident, $ticket_id:expr, $m:expr, $now:expr) => {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO messages (ticket_id, author_id, kind, channel, body_text, body_html, analysis, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind($ticket_id)
        .bind($m.author_id)
        .bind(&$m.kind)
        .bind(&$m.channel)
        .bind(&$m.body_text)
        .bind(&$m.body_html)
        .bind(&$m.analysis)
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?
    };
}

/// Binds a [`TicketState`] as parameters $1–$17, in the order both the insert and the
/// update name its columns.
macro_rules! bind_state {
    ($query:expr, $s:expr) => {
        $query
            .bind(&$s.subject)
            .bind(&$s.status)
            .bind(&$s.priority)
            .bind($s.assignee_id)
            .bind($s.team_id)
            .bind($s.tier)
            .bind($s.transfers)
            .bind($s.frustration_score)
            .bind(&$s.frustration_level)
            .bind($s.abusive)
            .bind($s.repeats)
            .bind(&$s.policy_id)
            .bind($s.next_update_due)
            .bind($s.due_at)
            .bind($s.queue_rank)
            .bind($s.next_alert_at)
            .bind($s.escalate_at)
    };
}

/// Inserts a ticket's tags in one statement.
macro_rules! insert_tags {
    ($tx:ident, $ticket_id:expr, $tags:expr) => {
        let tags = $tags;
        if !tags.is_empty() {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO ticket_tags (ticket_id, tag) ");
            q.push_values(tags.iter(), |mut row, tag| {
                row.push_bind($ticket_id).push_bind(tag);
            });
            q.build().execute(&mut *$tx).await?;
        }
    };
}

/// Writes a [`TicketWrite`] inside the caller's transaction (version-checked; a stale
/// version returns [`StoreError::Stale`], which rolls the transaction back). Evaluates to
/// the id of the message written, if any.
macro_rules! write_in {
    ($tx:ident, $w:expr, $now:expr) => {{
        let w: &TicketWrite = &$w;
        let s = &w.state;
        let updated = bind_state!(
            sqlx::query(
                "UPDATE tickets SET subject = $1, status = $2, priority = $3, assignee_id = $4,
                        team_id = $5, tier = $6, transfers = $7, frustration_score = $8,
                        frustration_level = $9, abusive = $10, repeats = $11, policy_id = $12,
                        next_update_due = $13, due_at = $14, queue_rank = $15, next_alert_at = $16,
                        escalate_at = $17, version = version + 1, updated_at = $18
                 WHERE id = $19 AND version = $20",
            ),
            s
        )
        .bind($now)
        .bind(w.id)
        .bind(w.expected_version)
        .execute(&mut *$tx)
        .await
        .map_err(|e| StoreError::classify(e, "ticket"))?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Stale);
        }
        if let Some(tags) = &w.tags {
            sqlx::query("DELETE FROM ticket_tags WHERE ticket_id = $1")
                .bind(w.id)
                .execute(&mut *$tx)
                .await?;
            insert_tags!($tx, w.id, tags);
        }
        let message_id = match &w.message {
            Some(m) => Some(insert_message!($tx, w.id, m, $now)),
            None => None,
        };
        append_events!($tx, w.id, &w.events, $now);
        crate::routing::touch_agents!($tx, w.id, &w.agents, $now);
        if let Some(change) = &w.collaborator {
            crate::routing::change_collaborator!($tx, w.id, change, $now);
        }
        if let Some(chat) = &w.chat {
            crate::chats::touch_chat!($tx, chat, message_id);
        }
        crate::kb::outbox!($tx, "ticket", w.id, $now);
        message_id
    }};
}

/// Opens a ticket with its first message, tags and events inside the caller's
/// transaction; evaluates to what was created (or the earlier ticket of a replayed key).
macro_rules! create_in {
    ($tx:ident, $t:expr, $now:expr) => {{
        let t: &NewTicket = $t;
        let now: i64 = $now;
        let replay = match &t.idempotency {
            Some((user, key, hash)) => sqlx::query_as::<_, (i64, String)>(
                "SELECT ticket_id, request_hash FROM idempotency_keys WHERE user_id = $1 AND key = $2",
            )
            .bind(user)
            .bind(key)
            .fetch_optional(&mut *$tx)
            .await?
            .map(|(ticket_id, earlier)| Created::Replayed {
                ticket_id,
                same_request: &earlier == hash,
            }),
            None => None,
        };
        match replay {
            Some(replayed) => replayed,
            None => {
                let s = &t.state;
                let id: i64 = bind_state!(
                    sqlx::query_scalar(
                        "INSERT INTO tickets (subject, status, priority, assignee_id, team_id, tier,
                             transfers, frustration_score, frustration_level, abusive, repeats,
                             policy_id, next_update_due, due_at, queue_rank, next_alert_at,
                             escalate_at, channel, requester_id, organization_id, version,
                             created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                                 $16, $17, $18, $19, $20, 1, $21, $21) RETURNING id",
                    ),
                    s
                )
                .bind(&t.channel)
                .bind(t.requester_id)
                .bind(t.organization_id)
                .bind(now)
                .fetch_one(&mut *$tx)
                .await
                .map_err(|e| StoreError::classify(e, "ticket"))?;
                let message_id = insert_message!($tx, id, t.message, now);
                insert_tags!($tx, id, &t.tags);
                append_events!($tx, id, &t.events, now);
                crate::routing::touch_agents!($tx, id, &t.agents, now);
                crate::kb::outbox!($tx, "ticket", id, now);
                if let Some((user, key, hash)) = &t.idempotency {
                    sqlx::query(
                        "INSERT INTO idempotency_keys (user_id, key, request_hash, ticket_id, created_at)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(user)
                    .bind(key)
                    .bind(hash)
                    .bind(id)
                    .bind(now)
                    .execute(&mut *$tx)
                    .await
                    .map_err(|e| StoreError::classify(e, "idempotency key"))?;
                }
                Created::New {
                    ticket_id: id,
                    message_id,
                }
            }
        }
    }};
}

/// [`create_in!`] on SQLite, for the group commit.
pub(crate) async fn create_in_sqlite(
    tx: &mut sqlx::SqliteConnection,
    t: &NewTicket,
    now: i64,
) -> Result<Created> {
    Ok(create_in!(tx, t, now))
}

/// [`write_in!`] on SQLite, for the group commit.
pub(crate) async fn write_in_sqlite(
    tx: &mut sqlx::SqliteConnection,
    w: &TicketWrite,
    now: i64,
) -> Result<Option<i64>> {
    Ok(write_in!(tx, w, now))
}

impl Store {
    /// Opens a ticket with its first message, tags and events in one transaction. On
    /// SQLite the transaction is shared with other requests' openings (group commit); the
    /// answer comes once the commit holding this one is on disk.
    #[tracing::instrument(name = "store.create_ticket", level = "debug", skip_all)]
    pub async fn create_ticket(&self, t: &NewTicket, now: i64) -> Result<Created> {
        match &self.backend {
            crate::Backend::Sqlite { group, .. } => group.create_ticket(t.clone(), now).await,
            crate::Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let created = create_in!(tx, t, now);
                tx.commit().await?;
                Ok(created)
            }
        }
    }

    /// Applies a change decided on a ticket read at `expected_version`; fails with
    /// [`StoreError::Stale`] (writing nothing) when someone changed it in between.
    /// Returns the id of the message written, if any.
    /// On SQLite the transaction is shared with other requests' writes (group commit).
    #[tracing::instrument(name = "store.write_ticket", level = "debug", skip_all)]
    pub async fn write_ticket(&self, w: &TicketWrite, now: i64) -> Result<Option<i64>> {
        match &self.backend {
            crate::Backend::Sqlite { group, .. } => group.write_ticket(w.clone(), now).await,
            crate::Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let message_id = write_in!(tx, w, now);
                tx.commit().await?;
                Ok(message_id)
            }
        }
    }

    /// Merges `m.source` into `m.target`: the source's messages and attachments move to
    /// the target, then both tickets' changes are written — all in one transaction, and
    /// only if neither ticket changed since it was read.
    pub async fn merge_tickets(&self, m: &TicketMerge, now: i64) -> Result<Option<i64>> {
        Ok(in_transaction!(self, |tx| {
            write_in!(tx, m.source, now);
            for table in ["messages", "attachments", "calls"] {
                sqlx::query(&format!(
                    "UPDATE {table} SET ticket_id = $1 WHERE ticket_id = $2"
                ))
                .bind(m.target.id)
                .bind(m.source.id)
                .execute(&mut *tx)
                .await?;
            }
            write_in!(tx, m.target, now)
        }))
    }

    /// Writes a logged call: the ticket's change (its phone entry in the conversation, its
    /// events, a call-back promise) and the call's row, in one transaction, only if the
    /// ticket did not change since it was read. Returns (call id, message id).
    pub async fn log_call(
        &self,
        w: &TicketWrite,
        c: &crate::NewCall,
        now: i64,
    ) -> Result<(i64, i64)> {
        Ok(in_transaction!(self, |tx| {
            let message_id = write_in!(tx, w, now).ok_or(StoreError::Stale)?;
            let call_id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO calls (ticket_id, message_id, customer_id, agent_id, direction, number,
                                    duration_seconds, outcome, notes, call_back_due, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(w.id)
            .bind(message_id)
            .bind(c.customer_id)
            .bind(c.agent_id)
            .bind(&c.direction)
            .bind(&c.number)
            .bind(c.duration_seconds)
            .bind(&c.outcome)
            .bind(&c.notes)
            .bind(c.call_back_due)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "call"))?;
            (call_id, message_id)
        }))
    }

    /// Opens a chat: its ticket (first message, events, clocks) and the chat row waiting
    /// for an agent, in one transaction. Returns (chat id, ticket id).
    pub async fn start_chat(
        &self,
        t: &NewTicket,
        guest_token_hash: Option<&str>,
        now: i64,
    ) -> Result<(i64, i64)> {
        Ok(in_transaction!(self, |tx| {
            let ticket_id = match create_in!(tx, t, now) {
                Created::New { ticket_id, .. } => ticket_id,
                Created::Replayed { ticket_id, .. } => ticket_id,
            };
            let chat_id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO chats (ticket_id, state, guest_token_hash, started_at)
                 VALUES ($1, 'waiting', $2, $3) RETURNING id",
            )
            .bind(ticket_id)
            .bind(guest_token_hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "chat"))?;
            (chat_id, ticket_id)
        }))
    }

    /// Records (or corrects) a ticket's diagnosis together with the ticket's write and
    /// its `diagnosed` event.
    pub async fn record_diagnosis(
        &self,
        w: &TicketWrite,
        d: &NewDiagnosis,
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO ticket_diagnoses (ticket_id, root_cause, resolution, problem_id, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (ticket_id) DO UPDATE SET root_cause = excluded.root_cause,
                     resolution = excluded.resolution, problem_id = excluded.problem_id,
                     recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
            )
            .bind(w.id)
            .bind(&d.root_cause)
            .bind(&d.resolution)
            .bind(d.problem_id)
            .bind(d.recorded_by)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "diagnosis"))?;
            write_in!(tx, w, now);
        });
        Ok(())
    }

    /// Stores the customer's rating with the ticket's `rated` event and, when the rating
    /// opened a recovery task, the supervisors' notification — all in one transaction.
    pub async fn rate_ticket(
        &self,
        w: &TicketWrite,
        s: &NewSurvey,
        notify: Option<&crate::NewNotification>,
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO surveys (ticket_id, requester_id, rating, comment, agent_id, team_id, recovery,
                                      created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
                 ON CONFLICT (ticket_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment,
                     agent_id = excluded.agent_id, team_id = excluded.team_id,
                     recovery = excluded.recovery, updated_at = excluded.updated_at",
            )
            .bind(w.id)
            .bind(s.requester_id)
            .bind(s.rating)
            .bind(&s.comment)
            .bind(s.agent_id)
            .bind(s.team_id)
            .bind(&s.recovery)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "survey"))?;
            if let Some(n) = notify {
                sqlx::query(
                    "INSERT INTO notifications (user_id, role, ticket_id, kind, message, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(n.user_id)
                .bind(&n.role)
                .bind(w.id)
                .bind(&n.kind)
                .bind(&n.message)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            write_in!(tx, w, now);
        });
        Ok(())
    }

    /// Marks a poor rating's recovery task done with the supervisor's note, together with
    /// the ticket's `recovered` event. Returns false, writing nothing, when no task was open.
    pub async fn complete_recovery(
        &self,
        w: &TicketWrite,
        note: &str,
        by: i64,
        now: i64,
    ) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            let done = sqlx::query(
                "UPDATE surveys SET recovery = 'done', recovery_note = $1, recovered_by = $2,
                     recovered_at = $3, updated_at = $3
                 WHERE ticket_id = $4 AND recovery = 'open'",
            )
            .bind(note)
            .bind(by)
            .bind(now)
            .bind(w.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if done {
                write_in!(tx, w, now);
            }
            done
        }))
    }

    #[tracing::instrument(name = "store.ticket", level = "debug", skip(self))]
    pub async fn ticket(&self, id: i64) -> Result<Option<TicketRow>> {
        let sql = format!("{TICKET_SELECT} WHERE t.id = $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, TicketRow>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Tickets in `scope` matching `filter`, newest first. The scope is part of the SQL,
    /// so nothing outside it is ever read, counted or paginated over.
    #[tracing::instrument(name = "store.tickets", level = "debug", skip_all)]
    pub async fn tickets(
        &self,
        scope: &TicketScope,
        filter: &ListTickets,
    ) -> Result<Vec<TicketRow>> {
        // A queue of several statuses in due order: one index range per status, merged
        // here, instead of sorting every open ticket of the team (6 s at 1M tickets). The
        // ranges read only (queue key, id) from the index; the full rows, with their
        // joins, are read for the page's tickets alone, under the same scope and filter.
        if filter.by_due && filter.statuses.len() > 1 {
            let mut keys = Vec::new();
            for status in &filter.statuses {
                let one = ListTickets {
                    statuses: vec![status.clone()],
                    ..filter.clone()
                };
                keys.extend(self.queue_keys(scope, &one).await?);
            }
            keys.sort_unstable();
            keys.truncate(filter.limit.max(0) as usize);
            let ids: Vec<i64> = keys.iter().map(|&(_, id)| id).collect();
            return self.list(scope, filter, Some(&ids)).await;
        }
        self.list(scope, filter, None).await
    }

    /// Whole rows of the list, restricted to `ids` when given.
    async fn list(
        &self,
        scope: &TicketScope,
        filter: &ListTickets,
        ids: Option<&[i64]>,
    ) -> Result<Vec<TicketRow>> {
        if ids.is_some_and(|ids| ids.is_empty()) {
            return Ok(Vec::new());
        }
        Ok(with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new(TICKET_SELECT);
            ticket_where!(q, scope, filter);
            if let Some(ids) = ids {
                q.push(" AND t.id IN (");
                let mut sep = q.separated(", ");
                for id in ids {
                    sep.push_bind(*id);
                }
                q.push(")");
            }
            ticket_order!(q, filter);
            q.build_query_as::<TicketRow>().fetch_all(db).await?
        }))
    }

    /// (queue key, id) of the tickets a one-status queue range holds, in due order.
    async fn queue_keys(
        &self,
        scope: &TicketScope,
        filter: &ListTickets,
    ) -> Result<Vec<(i64, i64)>> {
        Ok(with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new("SELECT t.queue_rank, t.id FROM tickets t");
            ticket_where!(q, scope, filter);
            ticket_order!(q, filter);
            q.build_query_as::<(i64, i64)>().fetch_all(db).await?
        }))
    }

    /// The tags of many tickets in one query (a page of a list), each list sorted.
    pub async fn tags_of_many(
        &self,
        ticket_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<String>>> {
        self.tags_by_owner("ticket_tags", "ticket_id", ticket_ids)
            .await
    }

    /// `SELECT owner, tag FROM table WHERE owner IN (ids)`, grouped by owner, each list
    /// sorted: the tags of many tickets or articles in one query. The names come from the
    /// code, never from input.
    pub(crate) async fn tags_by_owner(
        &self,
        table: &'static str,
        owner: &'static str,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<String>>> {
        let mut out: std::collections::HashMap<i64, Vec<String>> = Default::default();
        if ids.is_empty() {
            return Ok(out);
        }
        let rows: Vec<(i64, String)> = with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new(format!(
                "SELECT {owner}, tag FROM {table} WHERE {owner} IN ("
            ));
            let mut sep = q.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            q.push(format!(") ORDER BY {owner}, tag"));
            q.build_query_as().fetch_all(db).await?
        });
        for (id, tag) in rows {
            out.entry(id).or_default().push(tag);
        }
        Ok(out)
    }

    pub async fn tags_of(&self, ticket_id: i64) -> Result<Vec<String>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, String>(
                "SELECT tag FROM ticket_tags WHERE ticket_id = $1 ORDER BY tag",
            )
            .bind(ticket_id)
            .fetch_all(db)
            .await?
        }))
    }

    /// A ticket's conversation in order; internal notes only when asked for.
    pub async fn messages(&self, ticket_id: i64, with_internal: bool) -> Result<Vec<MessageRow>> {
        let sql = format!(
            "{MESSAGE_SELECT} WHERE m.ticket_id = $1 {} ORDER BY m.id",
            if with_internal {
                ""
            } else {
                "AND m.kind = 'public'"
            }
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, MessageRow>(&sql)
                .bind(ticket_id)
                .fetch_all(db)
                .await?
        }))
    }

    /// One message, internal or not (the caller checks who may see it).
    pub async fn message(&self, id: i64) -> Result<Option<MessageRow>> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.id = $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, MessageRow>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    pub async fn events(&self, ticket_id: i64) -> Result<Vec<EventRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, EventRow>(
                "SELECT id, ticket_id, actor_id, kind, data, created_at FROM events WHERE ticket_id = $1 ORDER BY id",
            )
            .bind(ticket_id)
            .fetch_all(db)
            .await?
        }))
    }

    /// Stores an attachment's bytes once per content (by SHA-256) and links it to the ticket.
    pub async fn add_attachment(
        &self,
        a: &NewAttachment,
        events: &[NewEvent],
        now: i64,
    ) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query("INSERT INTO blobs (sha256, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING")
                .bind(&a.sha256)
                .bind(a.bytes.len() as i64)
                .bind(&a.bytes)
                .execute(&mut *tx)
                .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO attachments (ticket_id, message_id, uploaded_by, file_name, content_type, size, sha256, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(a.ticket_id)
            .bind(a.message_id)
            .bind(a.uploaded_by)
            .bind(&a.file_name)
            .bind(&a.content_type)
            .bind(a.bytes.len() as i64)
            .bind(&a.sha256)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "attachment"))?;
            append_events!(tx, a.ticket_id, events, now);
            id
        }))
    }

    pub async fn attachments(&self, ticket_id: i64) -> Result<Vec<AttachmentRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, AttachmentRow>(
                "SELECT id, ticket_id, message_id, uploaded_by, file_name, content_type, size, sha256, created_at
                 FROM attachments WHERE ticket_id = $1 ORDER BY id",
            )
            .bind(ticket_id)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn attachment(&self, id: i64) -> Result<Option<AttachmentRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, AttachmentRow>(
                "SELECT id, ticket_id, message_id, uploaded_by, file_name, content_type, size, sha256, created_at
                 FROM attachments WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(db)
            .await?
        }))
    }

    pub async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, Vec<u8>>("SELECT bytes FROM blobs WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(db)
                .await?
        }))
    }
}

/// The filters of a saved view beyond the ordinary list's: newest first, keyset by id.
#[derive(Debug, Clone, Default)]
pub struct ViewFilter {
    pub list: ListTickets,
    pub priorities: Vec<String>,
    pub frustration_levels: Vec<String>,
    /// Only tickets with nobody on them.
    pub unassigned: bool,
    /// Lowercased words the subject must contain, each.
    pub words: Vec<String>,
}

impl Store {
    /// A saved view's tickets under `scope`, newest first.
    pub async fn view_tickets(
        &self,
        scope: &TicketScope,
        filter: &ViewFilter,
    ) -> Result<Vec<TicketRow>> {
        let list = ListTickets {
            by_due: false,
            ..filter.list.clone()
        };
        Ok(with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new(TICKET_SELECT);
            ticket_where!(q, scope, &list);
            for (column, values) in [
                ("t.priority", &filter.priorities),
                ("t.frustration_level", &filter.frustration_levels),
            ] {
                if !values.is_empty() {
                    q.push(format_args!(" AND {column} IN ("));
                    let mut sep = q.separated(", ");
                    for v in values {
                        sep.push_bind(v.clone());
                    }
                    q.push(")");
                }
            }
            if filter.unassigned {
                q.push(" AND t.assignee_id IS NULL");
            }
            for w in &filter.words {
                q.push(" AND LOWER(t.subject) LIKE ")
                    .push_bind(format!("%{}%", w.replace(['%', '_'], "")));
            }
            ticket_order!(q, &list);
            q.build_query_as::<TicketRow>().fetch_all(db).await?
        }))
    }
}
