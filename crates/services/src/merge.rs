//! Merging a duplicate ticket into another: the customer wrote twice, or on two
//! channels, about one problem. The conversation becomes one thread on the surviving
//! ticket, so nobody answers half of it, and the customer's wait carries over: the
//! survivor's reply clock starts from the duplicate's oldest unanswered message.

use crate::ErrorCode;
use crate::tickets::{ATTEMPTS, Change, back_off, event};
use crate::views::TicketDetail;
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::{Channel, MessageKind, Status};
use heard_store::{NewMessage, StoreError, TicketMerge, TicketRow};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The ticket that stays open and receives this one's conversation.
    pub into_ticket_id: i64,
    /// Why these are one problem (kept on both tickets' logs).
    pub note: Option<String>,
}

/// The checks a merge must pass, on the two tickets as read.
fn check(source: &TicketRow, target: &TicketRow) -> Result<()> {
    if target.requester_id != source.requester_id {
        // Each ticket's conversation would be shown to the other's customer.
        return Err(ServiceError::invalid(
            "into_ticket_id",
            ErrorCode::DifferentRequester,
            "only tickets of the same customer can be merged",
        ));
    }
    let closed = |t: &TicketRow| t.status.parse::<Status>().map(|s| s == Status::Closed);
    if closed(source)? {
        return Err(ServiceError::conflict(
            ErrorCode::TicketClosed,
            format!("ticket {} is closed; a closed ticket is final", source.id),
        ));
    }
    if closed(target)? {
        return Err(ServiceError::conflict(
            ErrorCode::TargetClosed,
            format!(
                "ticket {} is closed; merge into an open ticket instead",
                target.id
            ),
        ));
    }
    Ok(())
}

impl Services {
    /// Folds ticket `id` into `input.into_ticket_id` (staff; both tickets visible to
    /// them and from the same customer). The duplicate closes with a pointer to the
    /// survivor; its messages and attachments move; tags join; the survivor keeps the
    /// higher frustration and the sum of "had to repeat" events.
    pub async fn merge_ticket(
        &self,
        actor: &Actor,
        id: i64,
        input: MergeRequest,
    ) -> Result<TicketDetail> {
        let note = input
            .note
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
            return Err(ServiceError::invalid(
                "note",
                ErrorCode::NoteTooLong,
                "a merge note has at most 500 characters",
            ));
        }
        for attempt in 0..ATTEMPTS {
            back_off(attempt).await;
            let source = self.visible_ticket(actor, id).await?;
            if !actor.may_manage_tickets() {
                return Err(ServiceError::forbidden("only staff merge tickets"));
            }
            if input.into_ticket_id == id {
                return Err(ServiceError::invalid(
                    "into_ticket_id",
                    ErrorCode::MergeIntoItself,
                    "a ticket cannot be merged into itself",
                ));
            }
            let target = self
                .visible_ticket(actor, input.into_ticket_id)
                .await
                .map_err(|e| match e {
                    ServiceError::NotFound { .. } => ServiceError::invalid(
                        "into_ticket_id",
                        ErrorCode::TicketNotFound,
                        format!("ticket {} does not exist", input.into_ticket_id),
                    ),
                    other => other,
                })?;
            check(&source, &target)?;
            let now = self.now();
            let waiting_since = self
                .ticket_clocks(&source)
                .await?
                .oldest_unanswered()
                .map(|t| t.as_millisecond());

            let mut from = Change::of(&source);
            from.state.status = Status::Closed.as_str().into();
            from.events.push(event(
                actor,
                "merged_into",
                json!({"ticket_id": target.id, "from_status": source.status, "note": note}),
            ));

            let mut into = Change::of(&target);
            let mut tags = self.store.tags_of(target.id).await?;
            tags.extend(self.store.tags_of(source.id).await?);
            tags.sort();
            tags.dedup();
            into.tags = Some(tags);
            if source.frustration_score > target.frustration_score {
                into.state.frustration_score = source.frustration_score;
                into.state.frustration_level = source.frustration_level.clone();
            }
            into.state.abusive |= source.abusive;
            into.state.repeats += source.repeats;
            into.events.push(event(
                actor,
                "merged_from",
                json!({"ticket_id": source.id, "subject": source.subject, "note": note,
                       "oldest_unanswered_ms": waiting_since}),
            ));
            into.message = Some(NewMessage {
                author_id: actor.user_id,
                kind: MessageKind::Internal.as_str().into(),
                channel: Channel::Api.as_str().into(),
                body_text: match &note {
                    Some(n) => format!("Merged ticket #{} «{}»: {n}", source.id, source.subject),
                    None => format!("Merged ticket #{} «{}»", source.id, source.subject),
                },
                body_html: None,
                analysis: None,
            });

            let merge = TicketMerge {
                source: self.settled_write(&source, from, now).await?,
                target: self.settled_write(&target, into, now).await?,
            };
            match self.store.merge_tickets(&merge, now).await {
                Err(StoreError::Stale) => continue,
                other => other?,
            };
            return self.ticket_detail(actor, target.id).await;
        }
        Err(StoreError::Stale.into())
    }
}
