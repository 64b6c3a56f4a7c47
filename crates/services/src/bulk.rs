//! Bulk actions on a selection of tickets: assign, change status, add a tag, merge into
//! one. Each ticket goes through the same use case as the single action (its access
//! rules, events, clocks and webhooks); a ticket the caller may not see is reported as
//! not found, and one refused ticket neither undoes nor blocks the others.

use crate::merge::MergeRequest;
use crate::tickets::TicketPatch;
use crate::{Actor, ErrorCode, Result, ServiceError, Services};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most tickets one bulk action may change.
pub const MAX_BULK: usize = 200;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    pub ticket_ids: Vec<i64>,
    /// `assign`, `unassign`, `status`, `tag` or `merge`.
    pub action: String,
    /// For `assign`: who gets the tickets.
    pub assignee_id: Option<i64>,
    /// For `status`: the status to move each ticket to.
    pub status: Option<String>,
    /// For `tag`: the tag to add.
    pub tag: Option<String>,
    /// For `merge`: the ticket the others are merged into.
    pub into_ticket_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkItem {
    pub ticket_id: i64,
    /// `done` or `refused`.
    pub result: String,
    /// Why it was refused, as the API's errors name it (`ticket_not_found` for a ticket
    /// the caller may not see).
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkOutcome {
    pub done: usize,
    pub refused: usize,
    /// One entry per ticket asked for, in the order asked.
    pub items: Vec<BulkItem>,
}

/// What a bulk request asks each ticket to undergo, once checked as a whole.
enum Action {
    Patch(TicketPatch),
    AddTag(String),
    Merge(i64),
}

fn missing(field: &'static str, what: &str) -> ServiceError {
    ServiceError::invalid(
        field,
        ErrorCode::InvalidBulkAction,
        format!("{what} needs {field}"),
    )
}

fn action_of(r: &BulkRequest) -> Result<Action> {
    Ok(match r.action.as_str() {
        "assign" => Action::Patch(TicketPatch {
            assignee_id: Some(Some(
                r.assignee_id
                    .ok_or_else(|| missing("assignee_id", "assign"))?,
            )),
            ..Default::default()
        }),
        "unassign" => Action::Patch(TicketPatch {
            assignee_id: Some(None),
            ..Default::default()
        }),
        "status" => {
            let s = r
                .status
                .as_deref()
                .ok_or_else(|| missing("status", "status"))?;
            Action::Patch(TicketPatch {
                status: Some(s.parse::<heard_domain::Status>()?.as_str().to_string()),
                ..Default::default()
            })
        }
        "tag" => {
            let t = r.tag.as_deref().ok_or_else(|| missing("tag", "tag"))?;
            Action::AddTag(heard_domain::Tag::parse(t)?.as_str().to_string())
        }
        "merge" => Action::Merge(
            r.into_ticket_id
                .ok_or_else(|| missing("into_ticket_id", "merge"))?,
        ),
        _ => {
            return Err(ServiceError::invalid(
                "action",
                ErrorCode::InvalidBulkAction,
                "the action is assign, unassign, status, tag or merge",
            ));
        }
    })
}

impl Services {
    /// Applies one action to each ticket of the selection, each on its own.
    pub async fn bulk_tickets(&self, actor: &Actor, r: BulkRequest) -> Result<BulkOutcome> {
        if !actor.may_manage_tickets() {
            return Err(ServiceError::forbidden("bulk actions are for staff"));
        }
        let action = action_of(&r)?;
        let mut ids: Vec<i64> = Vec::with_capacity(r.ticket_ids.len());
        for id in &r.ticket_ids {
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
        if ids.is_empty() {
            return Err(ServiceError::invalid(
                "ticket_ids",
                ErrorCode::MissingTicket,
                "choose at least one ticket",
            ));
        }
        if ids.len() > MAX_BULK {
            return Err(ServiceError::invalid(
                "ticket_ids",
                ErrorCode::TooManyTickets,
                format!("one bulk action changes at most {MAX_BULK} tickets"),
            ));
        }
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            let outcome = self.bulk_one(actor, id, &action).await;
            items.push(match outcome {
                Ok(message) => BulkItem {
                    ticket_id: id,
                    result: "done".into(),
                    code: None,
                    message,
                },
                Err(e) => {
                    if let ServiceError::Internal(cause) = &e {
                        tracing::error!(ticket = id, error = %cause, "bulk action failed");
                    }
                    BulkItem {
                        ticket_id: id,
                        result: "refused".into(),
                        code: Some(e.code().as_str().to_string()),
                        message: Some(match e {
                            ServiceError::Internal(_) => "something went wrong on our side".into(),
                            e => e.to_string(),
                        }),
                    }
                }
            });
        }
        let done = items.iter().filter(|i| i.result == "done").count();
        Ok(BulkOutcome {
            refused: items.len() - done,
            done,
            items,
        })
    }

    /// One ticket of a bulk action, through the single action's use case. `Ok(Some(_))`
    /// says why nothing needed to change.
    async fn bulk_one(&self, actor: &Actor, id: i64, action: &Action) -> Result<Option<String>> {
        match action {
            Action::Patch(patch) => {
                let mut patch = patch.clone();
                if let Some(status) = &patch.status {
                    let t = self.visible_ticket(actor, id).await?;
                    if t.status == *status {
                        return Ok(Some(format!("already {}", status.replace('_', " "))));
                    }
                }
                if patch.assignee_id.is_some() {
                    let t = self.visible_ticket(actor, id).await?;
                    if patch.assignee_id == Some(t.assignee_id) {
                        patch.assignee_id = None;
                        if patch.status.is_none() {
                            return Ok(Some("already theirs".into()));
                        }
                    }
                }
                self.update_ticket(actor, id, patch).await?;
                Ok(None)
            }
            Action::AddTag(tag) => {
                let t = self.visible_ticket(actor, id).await?;
                let mut tags = self.store.tags_of(t.id).await?;
                if tags.contains(tag) {
                    return Ok(Some("already tagged".into()));
                }
                tags.push(tag.clone());
                self.update_ticket(
                    actor,
                    id,
                    TicketPatch {
                        tags: Some(tags),
                        ..Default::default()
                    },
                )
                .await?;
                Ok(None)
            }
            Action::Merge(into) if *into == id => {
                self.visible_ticket(actor, id).await?;
                Ok(Some("the others were merged into this one".into()))
            }
            Action::Merge(into) => {
                self.merge_ticket(
                    actor,
                    id,
                    MergeRequest {
                        into_ticket_id: *into,
                        note: Some("merged with a bulk action".into()),
                    },
                )
                .await?;
                Ok(None)
            }
        }
    }
}
