//! What the staff pages list around a ticket: the queue of open tickets, the tickets a
//! colleague asked an agent to join, a customer's latest requests, the teams, and the
//! colleagues one may invite or hand over to (with whether they are at their desk).

use crate::views::{PersonRef, TicketView};
use crate::{Result, ServiceError, Services};
use heard_domain::Actor;
use heard_store::ListTickets;

/// The longest queue a page shows (it says so when that cuts).
pub const QUEUE_LIMIT: i64 = 200;

const OPEN_STATUSES: [&str; 4] = ["new", "open", "pending_customer", "pending_third_party"];

/// A member of staff as the ticket page offers them: to invite, or to hand over to.
#[derive(Debug, Clone)]
pub struct Colleague {
    pub id: i64,
    pub name: String,
    pub active: bool,
    /// available, busy, on a break, … or `offline` when never set.
    pub presence: String,
}

impl Services {
    /// The open tickets `actor` may see, most pressing first (due soonest, weighted by
    /// frustration), at most [`QUEUE_LIMIT`]. Tags, which queues do not show, are not read.
    pub async fn queue(&self, actor: &Actor) -> Result<Vec<TicketView>> {
        self.cards(
            actor,
            &ListTickets {
                statuses: OPEN_STATUSES.map(str::to_string).to_vec(),
                by_due: true,
                limit: QUEUE_LIMIT,
                ..Default::default()
            },
        )
        .await
    }

    /// A customer's newest `limit` requests that `actor` may see, without tags.
    pub async fn latest_requests_of(
        &self,
        actor: &Actor,
        customer_id: i64,
        limit: i64,
    ) -> Result<Vec<TicketView>> {
        self.cards(
            actor,
            &ListTickets {
                requester_id: Some(customer_id),
                limit,
                ..Default::default()
            },
        )
        .await
    }

    /// One query: the actor's scope is part of its SQL, as in the ticket list.
    async fn cards(&self, actor: &Actor, filter: &ListTickets) -> Result<Vec<TicketView>> {
        let staff = actor.is_staff();
        let rows = self.store.tickets(&actor.ticket_scope(), filter).await?;
        Ok(rows
            .into_iter()
            .map(|r| TicketView::from_row(r, Vec::new(), staff))
            .collect())
    }

    /// The open tickets a colleague invited `actor` to, newest first.
    pub async fn invited_to(&self, actor: &Actor) -> Result<Vec<i64>> {
        Ok(self
            .store
            .collaborating_on(actor.user_id, QUEUE_LIMIT)
            .await?)
    }

    /// Every team's id and name, in the order they were made (staff only).
    pub async fn team_names(&self, actor: &Actor) -> Result<Vec<PersonRef>> {
        staff_only(actor)?;
        Ok(self
            .store
            .teams()
            .await?
            .into_iter()
            .map(|t| PersonRef {
                id: t.id,
                name: t.name,
            })
            .collect())
    }

    /// Staff members (the first 500) with their presence, for the invite and hand-over
    /// lists (staff only).
    pub async fn colleagues(&self, actor: &Actor) -> Result<Vec<Colleague>> {
        staff_only(actor)?;
        let presences: std::collections::HashMap<i64, String> =
            self.store.presences().await?.into_iter().collect();
        Ok(self
            .store
            .users(&["agent", "supervisor", "admin"], None, 500)
            .await?
            .into_iter()
            .map(|u| Colleague {
                presence: presences
                    .get(&u.id)
                    .cloned()
                    .unwrap_or_else(|| "offline".into()),
                id: u.id,
                name: u.name,
                active: u.active,
            })
            .collect())
    }
}

fn staff_only(actor: &Actor) -> Result<()> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::forbidden("this is for staff"))
    }
}
