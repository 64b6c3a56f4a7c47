//! Live chats: the chat row beside its ticket (state, agent, times, a guest's token hash),
//! written together with the ticket's change (see `touch_chat!` in `write_in!`), the
//! Idempotency-Keys of lines sent, and the wake-up signal other processes listen for
//! (PostgreSQL NOTIFY; one process on SQLite has nobody else to wake).

use crate::Result;
use crate::Store;
use crate::backend::{in_transaction, with_reader};
use crate::tickets::agent_sees;
use heard_domain::access::TicketScope;
use sqlx::FromRow;

/// The PostgreSQL channel chat signals travel on.
pub const CHAT_CHANNEL: &str = "heard_chat";

/// What a ticket's change does to its chat, checked against the chat's version as read,
/// so two agents accepting at once, or a line racing the end, cannot both win.
#[derive(Debug, Clone)]
pub struct ChatTouch {
    pub chat_id: i64,
    pub expected_version: i64,
    pub state: String,
    pub agent_id: Option<i64>,
    pub accepted_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// (author, Idempotency-Key, hash of the request) of a line sent with a key; the
    /// message the change writes is recorded under it.
    pub send_key: Option<(i64, String, String)>,
}

/// Applies a [`ChatTouch`] inside the ticket's write transaction; `$message_id` is the
/// message that write inserted, if any.
macro_rules! touch_chat {
    ($tx:ident, $c:expr, $message_id:expr) => {{
        let c: &$crate::ChatTouch = $c;
        let updated = sqlx::query(
            "UPDATE chats SET state = $1, agent_id = $2, accepted_at = $3, ended_at = $4,
                    version = version + 1
             WHERE id = $5 AND version = $6",
        )
        .bind(&c.state)
        .bind(c.agent_id)
        .bind(c.accepted_at)
        .bind(c.ended_at)
        .bind(c.chat_id)
        .bind(c.expected_version)
        .execute(&mut *$tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err($crate::StoreError::Stale);
        }
        if let (Some((author, key, hash)), Some(message_id)) = (&c.send_key, $message_id) {
            sqlx::query(
                "INSERT INTO chat_sends (chat_id, author_id, key, request_hash, message_id)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(c.chat_id)
            .bind(author)
            .bind(key)
            .bind(hash)
            .bind(message_id)
            .execute(&mut *$tx)
            .await
            .map_err(|e| $crate::StoreError::classify(e, "chat line"))?;
        }
    }};
}
pub(crate) use touch_chat;

/// A chat with what its lists and pages show of its ticket.
#[derive(Debug, Clone, FromRow)]
pub struct ChatRow {
    pub id: i64,
    pub ticket_id: i64,
    pub state: String,
    pub agent_id: Option<i64>,
    pub agent_name: Option<String>,
    pub guest_token_hash: Option<String>,
    pub agent_read_id: i64,
    pub started_at: i64,
    pub accepted_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub version: i64,
    pub subject: String,
    pub team_id: Option<i64>,
    pub requester_id: i64,
    pub customer_name: String,
    pub frustration_score: Option<i64>,
    /// The customer's public lines the holding agent has not read.
    pub unread: i64,
}

const CHAT_SELECT: &str = "SELECT c.id, c.ticket_id, c.state, c.agent_id, ag.name AS agent_name,
        c.guest_token_hash, c.agent_read_id, c.started_at, c.accepted_at, c.ended_at, c.version,
        t.subject, t.team_id, t.requester_id, cu.name AS customer_name, t.frustration_score,
        (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = c.ticket_id AND m.kind = 'public'
            AND m.author_id = t.requester_id AND m.id > c.agent_read_id) AS unread
     FROM chats c
     JOIN tickets t ON t.id = c.ticket_id
     JOIN users cu ON cu.id = t.requester_id
     LEFT JOIN users ag ON ag.id = c.agent_id
     WHERE 1 = 1";

/// Which chats a list reads.
#[derive(Debug, Clone, Default)]
pub struct ListChats {
    pub state: Option<String>,
    pub agent_id: Option<i64>,
    pub id: Option<i64>,
    pub limit: i64,
}

impl Store {
    /// Chats whose tickets are in `scope`, oldest first (the order waiting ones are served).
    pub async fn chats(&self, scope: &TicketScope, filter: &ListChats) -> Result<Vec<ChatRow>> {
        Ok(with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new(CHAT_SELECT);
            match scope {
                TicketScope::All => {}
                TicketScope::Agent { user_id, team_ids } => {
                    agent_sees!(q, user_id, team_ids);
                }
                TicketScope::Customer { user_id, .. } => {
                    q.push(" AND t.requester_id = ").push_bind(*user_id);
                }
            }
            if let Some(s) = &filter.state {
                q.push(" AND c.state = ").push_bind(s.clone());
            }
            if let Some(a) = filter.agent_id {
                q.push(" AND c.agent_id = ").push_bind(a);
            }
            if let Some(id) = filter.id {
                q.push(" AND c.id = ").push_bind(id);
            }
            q.push(" ORDER BY c.id LIMIT ").push_bind(filter.limit);
            q.build_query_as::<ChatRow>().fetch_all(db).await?
        }))
    }

    /// One chat, whoever may see it (the caller checks).
    pub async fn chat(&self, id: i64) -> Result<Option<ChatRow>> {
        Ok(self
            .chats(
                &TicketScope::All,
                &ListChats {
                    id: Some(id),
                    limit: 1,
                    ..Default::default()
                },
            )
            .await?
            .into_iter()
            .next())
    }

    /// The ids of every waiting chat in the order they are served (the live queue).
    pub async fn waiting_chat_ids(&self) -> Result<Vec<i64>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM chats WHERE state = 'waiting' ORDER BY id LIMIT 1000",
            )
            .fetch_all(db)
            .await?
        }))
    }

    /// How many chats each agent holds now, as (agent, chats).
    pub async fn active_chat_counts(&self) -> Result<Vec<(i64, i64)>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT agent_id, COUNT(*) FROM chats
                 WHERE state = 'active' AND agent_id IS NOT NULL GROUP BY agent_id",
            )
            .fetch_all(db)
            .await?
        }))
    }

    /// How long the latest accepted chats waited for an agent, in milliseconds.
    pub async fn recent_chat_waits(&self, limit: i64) -> Result<Vec<i64>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT accepted_at - started_at FROM chats WHERE accepted_at IS NOT NULL
                 ORDER BY accepted_at DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// The message an earlier line with this Idempotency-Key wrote, and that request's hash.
    pub async fn chat_send(
        &self,
        chat_id: i64,
        author_id: i64,
        key: &str,
    ) -> Result<Option<(i64, String)>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT message_id, request_hash FROM chat_sends
                 WHERE chat_id = $1 AND author_id = $2 AND key = $3",
            )
            .bind(chat_id)
            .bind(author_id)
            .bind(key)
            .fetch_optional(db)
            .await?
        }))
    }

    /// Records that the agent holding the chat has read up to `message_id`.
    pub async fn mark_chat_read(&self, chat_id: i64, agent_id: i64, message_id: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE chats SET agent_read_id = $1
                 WHERE id = $2 AND agent_id = $3 AND agent_read_id < $1",
            )
            .bind(message_id)
            .bind(chat_id)
            .bind(agent_id)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Wakes every process listening for chat signals (PostgreSQL); on SQLite the one
    /// process delivers in memory and this does nothing.
    pub async fn notify_chat(&self, payload: &str) -> Result<()> {
        if let crate::Backend::Postgres(pool) = &self.backend {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHAT_CHANNEL)
                .bind(payload)
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// A connection listening for chat signals from every process (PostgreSQL only).
    pub async fn chat_listener(&self) -> Result<Option<sqlx::postgres::PgListener>> {
        match &self.backend {
            crate::Backend::Postgres(pool) => {
                let mut l = sqlx::postgres::PgListener::connect_with(pool).await?;
                l.listen(CHAT_CHANNEL).await?;
                Ok(Some(l))
            }
            crate::Backend::Sqlite { .. } => Ok(None),
        }
    }
}
