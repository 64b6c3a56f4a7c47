//! What the person opening a ticket may decide about it. Priority and channel choose the
//! service-level policy (an urgent ticket may promise an answer within the hour), so they
//! are the help desk's to set: a customer's request opens at normal priority, on the
//! channel it came by, and is triaged by staff.

use crate::ErrorCode;
use crate::tickets::{ATTEMPTS, Change, CreateTicket, Written, back_off, event};
use crate::views::TicketDetail;
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::{Channel, Priority, Role};
use heard_store::CollaboratorChange;
use serde_json::json;

/// Refuses a customer's choice of priority or channel (a malformed value is still named as
/// such); staff choose freely. Call before opening the ticket.
pub fn check_choices(actor: &Actor, input: &CreateTicket) -> Result<()> {
    if actor.is_staff() {
        return Ok(());
    }
    if let Some(p) = input.priority.as_deref()
        && p.parse::<Priority>()? != Priority::Normal
    {
        return Err(ServiceError::forbidden(
            "the help desk sets a request's priority; say in your message how much it affects you",
        ));
    }
    if let Some(c) = input.channel.as_deref()
        && c.parse::<Channel>()? != Channel::Portal
    {
        return Err(ServiceError::forbidden(
            "a customer's request comes in on the portal channel; the help desk records other channels",
        ));
    }
    Ok(())
}

impl Services {
    /// The ticket just opened, as its creator sees it. Routing may place a ticket an agent
    /// opened outside their teams (for an agent in no team, every one); the agent is then
    /// invited to it, on the ticket's record, so they keep the ticket they created instead
    /// of a 404 that invites a duplicate.
    pub(crate) async fn as_created(&self, actor: &Actor, id: i64) -> Result<TicketDetail> {
        match self.ticket_detail(actor, id).await {
            Err(ServiceError::NotFound { .. }) if actor.role == Role::Agent => {
                self.keep_creator(actor, id).await?;
                self.ticket_detail(actor, id).await
            }
            other => other,
        }
    }

    async fn keep_creator(&self, actor: &Actor, id: i64) -> Result<()> {
        for attempt in 0..ATTEMPTS {
            back_off(attempt).await;
            let t = self
                .store
                .ticket(id)
                .await?
                .ok_or(ServiceError::not_found("ticket", ErrorCode::TicketNotFound))?;
            let mut c = Change::of(&t);
            c.collaborator = Some(CollaboratorChange::Invite {
                user_id: actor.user_id,
                invited_by: actor.user_id,
            });
            c.events.push(event(
                actor,
                "collaborator_invited",
                json!({"agent_id": actor.user_id, "reason": "opened the ticket"}),
            ));
            match self.write_change(&t, c, self.now()).await? {
                Written::Done(_) => return Ok(()),
                Written::Stale => continue,
            }
        }
        Err(ServiceError::conflict(
            ErrorCode::EditConflict,
            "the ticket kept changing; open it again",
        ))
    }
}
