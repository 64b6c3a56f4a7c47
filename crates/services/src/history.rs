//! An agent's history, and escalations that would leave a ticket with nobody: the tickets
//! an agent acted on stay readable to them after they handed one on (read-only: every
//! write still goes through the ordinary access rules), and an escalation to a tier or
//! team that nobody works is refused (by hand) or waits visibly with the supervisors
//! alerted (automatic).

use crate::views::rfc3339;
use crate::{Actor, ErrorCode, Result, ServiceError, Services};
use heard_domain::Role;
use heard_domain::coverage::{Coverage, waiting_line};
use heard_store::{EventRow, NewEvent, NewNotification, TicketRow};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// How long an automatic escalation with nobody to take it waits before it looks again
/// (someone may have been given that tier meanwhile).
const RETRY_AFTER_MS: i64 = 60 * 60 * 1000;

/// A ticket an agent handled, in their history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HandledTicket {
    pub id: i64,
    pub subject: String,
    pub status: String,
    /// Whether the agent may still work it (otherwise they may only read it).
    pub still_theirs: bool,
    /// When they last acted on it.
    pub handled_at: String,
}

/// A ticket whose automatic escalation found nobody at the next tier: it stays where it
/// is, with its owner, until someone works that tier or a person moves it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitingEscalation {
    pub to_tier: i64,
    pub since: String,
    /// "waiting for tier 2 — nobody on it in Platform"
    pub message: String,
}

/// The waiting escalation a ticket at `tier` shows: the latest one not overtaken by an
/// escalation since (pure, over the ticket's events).
pub(crate) fn waiting_escalation(events: &[EventRow], tier: i64) -> Option<WaitingEscalation> {
    let last = events
        .iter()
        .rev()
        .find(|e| matches!(e.kind.as_str(), "escalation_waiting" | "escalated"))?;
    if last.kind != "escalation_waiting" {
        return None;
    }
    let data: serde_json::Value = serde_json::from_str(&last.data).unwrap_or_default();
    let to_tier = data["to_tier"].as_i64()?;
    (tier < to_tier).then(|| WaitingEscalation {
        to_tier,
        since: rfc3339(last.created_at),
        message: data["message"].as_str().unwrap_or_default().to_string(),
    })
}

impl Services {
    /// Who could take a ticket at each tier, from the agents as they are now.
    pub(crate) async fn coverage(&self) -> Result<Coverage> {
        let (by_team, anywhere) = self.store.tier_coverage().await?;
        Ok(Coverage { by_team, anywhere })
    }

    /// A ticket the agent acted on but may no longer see (they escalated, transferred or
    /// handed it on): read-only, for their history. Anyone else gets the same 404 as
    /// for a ticket that does not exist; customers' access is untouched.
    pub async fn handled_ticket(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<crate::views::TicketDetail> {
        let hidden = || ServiceError::not_found("ticket", ErrorCode::TicketNotFound);
        if actor.role != Role::Agent || !self.store.acted_on(id, actor.user_id).await? {
            return Err(hidden());
        }
        let mut d = self.ticket_detail(&self.unrestricted(actor), id).await?;
        // Only this ticket: not the customer's others, which may be other teams'.
        if let Some(c) = d.customer.as_mut() {
            c.other_tickets.clear();
        }
        Ok(d)
    }

    /// The tickets the agent acted on, the most recently handled first; `before` is the
    /// `next_after` of the previous page.
    pub async fn handled_tickets(
        &self,
        actor: &Actor,
        before: Option<i64>,
        limit: i64,
    ) -> Result<crate::views::Page<HandledTicket>> {
        if !actor.is_staff() {
            return Err(ServiceError::forbidden(
                "only staff have a history of handled tickets",
            ));
        }
        let limit = limit.clamp(1, 100);
        let rows = self.store.handled_by(actor.user_id, before, limit).await?;
        let mut items = Vec::with_capacity(rows.len());
        for (ticket_id, last_event) in &rows {
            let Some(t) = self.store.ticket(*ticket_id).await? else {
                continue;
            };
            let at = self
                .store
                .events(*ticket_id)
                .await?
                .iter()
                .find(|e| e.id == *last_event)
                .map(|e| e.created_at)
                .unwrap_or(t.updated_at);
            items.push(HandledTicket {
                id: t.id,
                still_theirs: self.visible_ticket(actor, t.id).await.is_ok(),
                subject: t.subject,
                status: t.status,
                handled_at: rfc3339(at),
            });
        }
        Ok(crate::views::Page {
            next_after: (rows.len() as i64 == limit)
                .then(|| rows.last().map(|r| r.1))
                .flatten(),
            items,
            next_cursor: None,
        })
    }

    /// An automatic escalation found nobody at `to_tier`: the ticket stays (owner, team
    /// and tier kept), shows that it waits, and the supervisors are told once per stay.
    pub(crate) async fn wait_for_nobody(
        &self,
        t: &TicketRow,
        to_tier: i64,
        now: i64,
    ) -> Result<()> {
        let snapshot = self.snapshot().await?;
        let team = t
            .team_id
            .and_then(|id| snapshot.teams.iter().find(|team| team.id == id))
            .map(|team| team.name.as_str());
        let line = waiting_line(to_tier, team);
        let keeps = if t.assignee_id.is_some() {
            "its owner keeps it"
        } else {
            "it stays in its queue"
        };
        let event = NewEvent {
            actor_id: None,
            kind: "escalation_waiting".into(),
            data: json!({"automatic": true, "team_id": t.team_id, "from_tier": t.tier,
                         "to_tier": to_tier, "message": line}),
        };
        let notification = NewNotification {
            user_id: None,
            role: Some("supervisor".into()),
            kind: "escalation_waiting".into(),
            message: format!(
                "#{} {}: {line}; {keeps}. Give someone tier {to_tier}, or escalate it by hand.",
                t.id, t.subject
            ),
        };
        let key = format!("nobody_at_tier:{to_tier}:{}", t.transfers);
        self.store
            .fire_alert(t.id, &key, "escalation_waiting", &event, &notification, now)
            .await?;
        self.store
            .set_escalate_at(t.id, Some(now + RETRY_AFTER_MS))
            .await?;
        Ok(())
    }
}
