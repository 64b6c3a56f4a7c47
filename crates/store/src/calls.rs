//! Logged phone calls: written with their ticket's change (see `Store::log_call`), read
//! by number, ticket or customer within the caller's ticket scope.

use crate::Result;
use crate::Store;
use crate::backend::with_reader;
use crate::tickets::agent_sees;
use heard_domain::access::TicketScope;
use sqlx::FromRow;

/// A call as logged, before it has an id or a message.
#[derive(Debug, Clone)]
pub struct NewCall {
    pub customer_id: i64,
    pub agent_id: i64,
    pub direction: String,
    /// E.164.
    pub number: String,
    pub duration_seconds: i64,
    pub outcome: String,
    pub notes: String,
    pub call_back_due: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct CallRow {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_subject: String,
    pub ticket_status: String,
    pub message_id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub agent_id: i64,
    pub agent_name: String,
    pub direction: String,
    pub number: String,
    pub duration_seconds: i64,
    pub outcome: String,
    pub notes: String,
    pub call_back_due: Option<i64>,
    pub created_at: i64,
}

/// Which calls a list reads, newest first.
#[derive(Debug, Clone, Default)]
pub struct ListCalls {
    pub number: Option<String>,
    pub ticket_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub id: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

const CALL_SELECT: &str = "SELECT c.id, c.ticket_id, t.subject AS ticket_subject,
        t.status AS ticket_status, c.message_id, c.customer_id, cu.name AS customer_name,
        c.agent_id, ag.name AS agent_name, c.direction, c.number, c.duration_seconds,
        c.outcome, c.notes, c.call_back_due, c.created_at
     FROM calls c
     JOIN tickets t ON t.id = c.ticket_id
     JOIN users cu ON cu.id = c.customer_id
     JOIN users ag ON ag.id = c.agent_id
     WHERE 1 = 1";

/// Appends the caller's ticket scope to a query over `tickets t`.
macro_rules! scope_where {
    ($q:ident, $scope:expr) => {
        match $scope {
            TicketScope::All => {}
            TicketScope::Agent { user_id, team_ids } => {
                agent_sees!($q, user_id, team_ids);
            }
            // Customers do not read call logs; should one ever ask, they get nothing.
            TicketScope::Customer { .. } => {
                $q.push(" AND 1 = 0");
            }
        }
    };
}

impl Store {
    /// Calls on tickets in `scope` matching `filter`, newest first.
    pub async fn calls(&self, scope: &TicketScope, filter: &ListCalls) -> Result<Vec<CallRow>> {
        Ok(with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new(CALL_SELECT);
            scope_where!(q, scope);
            if let Some(n) = &filter.number {
                q.push(" AND c.number = ").push_bind(n.clone());
            }
            if let Some(t) = filter.ticket_id {
                q.push(" AND c.ticket_id = ").push_bind(t);
            }
            if let Some(cu) = filter.customer_id {
                q.push(" AND c.customer_id = ").push_bind(cu);
            }
            if let Some(id) = filter.id {
                q.push(" AND c.id = ").push_bind(id);
            }
            if let Some(b) = filter.before_id {
                q.push(" AND c.id < ").push_bind(b);
            }
            q.push(" ORDER BY c.id DESC LIMIT ").push_bind(filter.limit);
            q.build_query_as::<CallRow>().fetch_all(db).await?
        }))
    }

    /// The customer's latest public messages on tickets in `scope`, newest first: who
    /// they last spoke with, when and on which channel.
    pub async fn customer_contacts(
        &self,
        scope: &TicketScope,
        customer_id: i64,
        limit: i64,
    ) -> Result<Vec<ContactRow>> {
        Ok(with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT m.id, m.ticket_id, t.subject AS ticket_subject, m.channel,
                        u.name AS author_name, u.role AS author_role, m.body_text, m.created_at
                 FROM messages m
                 JOIN tickets t ON t.id = m.ticket_id
                 JOIN users u ON u.id = m.author_id
                 WHERE m.kind = 'public' AND t.requester_id = ",
            );
            q.push_bind(customer_id);
            scope_where!(q, scope);
            q.push(" ORDER BY m.id DESC LIMIT ").push_bind(limit);
            q.build_query_as::<ContactRow>().fetch_all(db).await?
        }))
    }
}

/// A public message on one of a customer's tickets.
#[derive(Debug, Clone, FromRow)]
pub struct ContactRow {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_subject: String,
    pub channel: String,
    pub author_name: String,
    pub author_role: String,
    pub body_text: String,
    pub created_at: i64,
}
