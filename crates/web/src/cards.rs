//! A ticket as a line in a list or the head of a page: owner, promise, frustration and
//! service-level badges, worded for the person reading.
//! Frustration is only on staff views; a ticket without a promise or a service-level
//! instant simply shows none.

use crate::format::{relative, status_for_customer, status_for_staff, when};
use heard_services::views::TicketView;

/// Within this much of a promise, it is at risk.
const AT_RISK_MS: i64 = 60 * 60 * 1000;

#[derive(Debug, Clone)]
pub struct Card {
    pub id: i64,
    pub subject: String,
    pub status: String,
    pub status_label: &'static str,
    pub customer_status: &'static str,
    pub priority: String,
    pub channel: String,
    pub requester: String,
    pub owner: Option<String>,
    pub owner_id: Option<i64>,
    pub team: Option<String>,
    pub team_id: Option<i64>,
    pub tier: i64,
    pub transfers: i64,
    pub created_ago: String,
    pub created_ms: i64,
    pub updated_ago: String,
    /// When the customer will hear next, as promised.
    pub promise: Option<Promise>,
    /// The earliest service-level instant due (first response, next update, resolution).
    pub due_ms: Option<i64>,
    pub frustration: Option<Frustration>,
    pub is_open: bool,
}

#[derive(Debug, Clone)]
pub struct Promise {
    pub at: String,
    pub relative: String,
    pub due_ms: i64,
    pub at_risk: bool,
    pub breached: bool,
}

#[derive(Debug, Clone)]
pub struct Frustration {
    pub score: i64,
    pub level: String,
}

impl Frustration {
    /// Frustrated or angry: the H.E.A.R.D. playbook applies.
    pub fn upset(&self) -> bool {
        matches!(self.level.as_str(), "frustrated" | "angry")
    }
}

impl Card {
    pub fn new(t: &TicketView, now_ms: i64) -> Card {
        let is_open = !matches!(t.status.as_str(), "resolved" | "closed");
        let promise = t
            .next_update_due
            .as_deref()
            .filter(|_| is_open)
            .and_then(|due| {
                let due_ms = crate::format::millis(due)?;
                Some(Promise {
                    at: when(due),
                    relative: relative(due, now_ms),
                    due_ms,
                    at_risk: due_ms >= now_ms && due_ms - now_ms <= AT_RISK_MS,
                    breached: due_ms < now_ms,
                })
            });
        let due_ms = t
            .due_at
            .as_deref()
            .and_then(crate::format::millis)
            .filter(|_| is_open);
        let frustration = t.frustration.as_ref().map(|f| Frustration {
            score: f.score,
            level: f.level.clone(),
        });
        Card {
            id: t.id,
            subject: t.subject.clone(),
            status: t.status.clone(),
            status_label: status_for_staff(&t.status),
            customer_status: status_for_customer(&t.status),
            priority: t.priority.clone(),
            channel: t.channel.clone(),
            requester: t.requester.name.clone(),
            owner: t.assignee.as_ref().map(|a| a.name.clone()),
            owner_id: t.assignee.as_ref().map(|a| a.id),
            team: t.team.as_ref().map(|a| a.name.clone()),
            team_id: t.team.as_ref().map(|a| a.id),
            tier: t.tier,
            transfers: t.transfers,
            created_ago: relative(&t.created_at, now_ms),
            created_ms: crate::format::millis(&t.created_at).unwrap_or(0),
            updated_ago: relative(&t.updated_at, now_ms),
            promise,
            due_ms,
            frustration,
            is_open,
        }
    }

    pub fn upset(&self) -> bool {
        self.frustration.as_ref().is_some_and(Frustration::upset)
    }

    pub fn at_risk(&self) -> bool {
        self.promise.as_ref().is_some_and(|p| p.at_risk)
    }

    pub fn breached(&self) -> bool {
        self.promise.as_ref().is_some_and(|p| p.breached)
    }

    /// Who the customer is dealing with, in their words.
    pub fn owner_for_customer(&self) -> String {
        match (&self.owner, &self.team) {
            (Some(o), _) => o.clone(),
            (None, Some(team)) => format!("the {team} team (not yet assigned to one person)"),
            (None, None) => "our support team".into(),
        }
    }

    /// Queue order: what is due soonest first, then how upset the customer is, then
    /// priority, then age. Breached promises come first of all.
    pub fn queue_key(&self) -> (i64, i64, u8, i64) {
        let due = self
            .due_ms
            .or(self.promise.as_ref().map(|p| p.due_ms))
            .unwrap_or(i64::MAX);
        let upset = -self.frustration.as_ref().map(|f| f.score).unwrap_or(0);
        (
            due,
            upset,
            crate::format::priority_rank(&self.priority),
            self.created_ms,
        )
    }
}

pub fn sort_queue(cards: &mut [Card]) {
    cards.sort_by_key(Card::queue_key);
}
