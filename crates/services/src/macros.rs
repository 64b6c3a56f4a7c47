//! Canned replies (macros): staff keep their own, supervisors and admins keep the shared
//! ones. Using one fills its placeholders for a ticket; sending it is the ordinary reply,
//! then its status change and tags go through the ordinary ticket update (its rules,
//! events, clocks and webhooks), so a macro can do nothing the agent could not by hand.

use crate::tickets::{NewReply, TicketPatch};
use crate::views::{MessageView, TicketDetail, rfc3339};
use crate::{Actor, ErrorCode, Result, ServiceError, Services};
use heard_domain::macros::{PLACEHOLDERS, check_macro, first_name, render};
use heard_domain::{Status, Tag};
use heard_store::{MacroRow, MacroWrite};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MacroInput {
    pub title: String,
    /// The reply, with placeholders such as `{{customer.first_name}}` (see
    /// `GET /macros/placeholders`); an unknown one is refused, named.
    pub body: String,
    /// The status to move the ticket to once the reply is sent (e.g. `pending_customer`).
    pub status: Option<String>,
    /// Tags to add to the ticket once the reply is sent.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Shared with the whole desk (supervisors and admins only); otherwise yours alone.
    #[serde(default)]
    pub shared: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MacroView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub status: Option<String>,
    pub tags: Vec<String>,
    pub shared: bool,
    /// Whether the caller may change or delete it.
    pub editable: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceholderView {
    /// Written `{{name}}` in a body.
    pub name: String,
    pub meaning: String,
}

/// A macro filled in for one ticket: what the reply box gets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RenderedMacro {
    pub macro_id: i64,
    pub ticket_id: i64,
    pub title: String,
    pub body: String,
    pub status: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyMacro {
    pub ticket_id: i64,
    /// The reply as the agent edited it; the filled-in macro when left out.
    pub body: Option<String>,
    /// Send it as an internal note instead of a reply.
    #[serde(default)]
    pub internal: bool,
}

/// Why the macro's status change or tags were not applied (the reply was sent).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeRefused {
    /// The error code, as the API's errors name it (e.g. `invalid_transition`).
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppliedMacro {
    pub message: MessageView,
    pub ticket: TicketDetail,
    /// Set when the status change or tags were refused by the ticket's rules.
    pub change_refused: Option<ChangeRefused>,
}

fn staff_only(actor: &Actor) -> Result<()> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::forbidden("macros are for staff"))
    }
}

fn macro_not_found() -> ServiceError {
    ServiceError::not_found("macro", ErrorCode::MacroNotFound)
}

fn view(actor: &Actor, m: MacroRow) -> MacroView {
    MacroView {
        editable: may_edit(actor, m.owner_id),
        id: m.id,
        title: m.title,
        body: m.body,
        status: m.status,
        tags: serde_json::from_str(&m.tags).unwrap_or_default(),
        shared: m.owner_id.is_none(),
        created_at: rfc3339(m.created_at),
        updated_at: rfc3339(m.updated_at),
    }
}

/// Personal macros are their owner's; shared ones are kept by supervisors and admins.
fn may_edit(actor: &Actor, owner_id: Option<i64>) -> bool {
    match owner_id {
        Some(o) => o == actor.user_id,
        None => actor.may_view_agents(),
    }
}

/// The input as it may be stored, or why not.
fn checked(actor: &Actor, input: &MacroInput) -> Result<MacroWrite> {
    let (title, body) = check_macro(&input.title, &input.body)?;
    let status = match input.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => {
            let status = s.parse::<Status>()?;
            if status == Status::New {
                return Err(ServiceError::invalid(
                    "status",
                    ErrorCode::InvalidStatus,
                    "a ticket cannot be moved back to new",
                ));
            }
            Some(status.as_str().to_string())
        }
    };
    let tags: Vec<String> = Tag::parse_all(&input.tags)?
        .iter()
        .map(|t| t.as_str().to_string())
        .collect();
    if input.shared && !actor.may_view_agents() {
        return Err(ServiceError::forbidden(
            "shared macros are kept by supervisors and admins",
        ));
    }
    Ok(MacroWrite {
        title,
        body,
        status,
        tags: serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
        owner_id: (!input.shared).then_some(actor.user_id),
    })
}

impl Services {
    /// The shared macros and the caller's own, by title.
    pub async fn macros(&self, actor: &Actor) -> Result<Vec<MacroView>> {
        staff_only(actor)?;
        Ok(self
            .store
            .macros_for(actor.user_id)
            .await?
            .into_iter()
            .map(|m| view(actor, m))
            .collect())
    }

    /// A macro the caller may use: shared, or their own (a colleague's is not found).
    async fn usable_macro(&self, actor: &Actor, id: i64) -> Result<MacroRow> {
        staff_only(actor)?;
        match self.store.macro_row(id).await? {
            Some(m) if m.owner_id.is_none() || m.owner_id == Some(actor.user_id) => Ok(m),
            _ => Err(macro_not_found()),
        }
    }

    pub async fn macro_view(&self, actor: &Actor, id: i64) -> Result<MacroView> {
        Ok(view(actor, self.usable_macro(actor, id).await?))
    }

    /// What a body may name, for the people writing macros.
    pub fn macro_placeholders(&self) -> Vec<PlaceholderView> {
        PLACEHOLDERS
            .iter()
            .map(|p| PlaceholderView {
                name: p.name.into(),
                meaning: p.meaning.into(),
            })
            .collect()
    }

    pub async fn create_macro(&self, actor: &Actor, input: MacroInput) -> Result<MacroView> {
        staff_only(actor)?;
        let write = checked(actor, &input)?;
        let id = self
            .store
            .create_macro(&write, actor.user_id, self.now())
            .await?;
        self.macro_view(actor, id).await
    }

    /// Replaces a macro the caller may edit (title, body, status, tags, shared).
    pub async fn update_macro(
        &self,
        actor: &Actor,
        id: i64,
        input: MacroInput,
    ) -> Result<MacroView> {
        let m = self.usable_macro(actor, id).await?;
        if !may_edit(actor, m.owner_id) {
            return Err(ServiceError::forbidden(
                "shared macros are kept by supervisors and admins",
            ));
        }
        // Only its owner edits a personal macro, so unsharing makes it the editor's own.
        let write = checked(actor, &input)?;
        if !self.store.update_macro(id, &write, self.now()).await? {
            return Err(macro_not_found());
        }
        self.macro_view(actor, id).await
    }

    pub async fn delete_macro(&self, actor: &Actor, id: i64) -> Result<()> {
        let m = self.usable_macro(actor, id).await?;
        if !may_edit(actor, m.owner_id) {
            return Err(ServiceError::forbidden(
                "shared macros are kept by supervisors and admins",
            ));
        }
        self.store.delete_macro(id).await?;
        Ok(())
    }

    /// The macro filled in for a ticket the caller may see.
    pub async fn render_macro(
        &self,
        actor: &Actor,
        id: i64,
        ticket_id: i64,
    ) -> Result<RenderedMacro> {
        let m = self.usable_macro(actor, id).await?;
        let d = self.ticket_detail(actor, ticket_id).await?;
        let agent = self
            .store
            .user(actor.user_id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        let customer = d.ticket.requester.name.clone();
        let body = render(&m.body, |name| match name {
            "customer.first_name" => Some(first_name(&customer)),
            "customer.name" => Some(customer.clone()),
            "ticket.number" => Some(d.ticket.id.to_string()),
            "ticket.subject" => Some(d.ticket.subject.clone()),
            "agent.name" => Some(agent.clone()),
            "agent.first_name" => Some(first_name(&agent)),
            "team.name" => d.ticket.team.as_ref().map(|t| t.name.clone()),
            "promise.time" => d.next_update_due_local.clone(),
            _ => None,
        });
        Ok(RenderedMacro {
            macro_id: m.id,
            ticket_id,
            title: m.title,
            body,
            status: m.status,
            tags: serde_json::from_str(&m.tags).unwrap_or_default(),
        })
    }

    /// Sends the macro's reply (as edited, or as filled in), then applies its status and
    /// tags through the ordinary update. The reply stands even when the ticket's rules
    /// refuse the change; the answer says why.
    pub async fn apply_macro(
        &self,
        actor: &Actor,
        id: i64,
        input: ApplyMacro,
    ) -> Result<AppliedMacro> {
        let rendered = self.render_macro(actor, id, input.ticket_id).await?;
        let message = self
            .add_message(
                actor,
                input.ticket_id,
                NewReply {
                    body: input.body.unwrap_or(rendered.body),
                    body_html: None,
                    internal: input.internal,
                    channel: None,
                },
            )
            .await?;
        let mut change_refused = None;
        if rendered.status.is_some() || !rendered.tags.is_empty() {
            let t = self.ticket_detail(actor, input.ticket_id).await?.ticket;
            let mut patch = TicketPatch {
                status: rendered.status.filter(|s| *s != t.status),
                ..Default::default()
            };
            if rendered.tags.iter().any(|tag| !t.tags.contains(tag)) {
                let mut tags = t.tags.clone();
                tags.extend(
                    rendered
                        .tags
                        .iter()
                        .filter(|g| !t.tags.contains(g))
                        .cloned(),
                );
                patch.tags = Some(tags);
            }
            if patch.status.is_some() || patch.tags.is_some() {
                match self.update_ticket(actor, input.ticket_id, patch).await {
                    Ok(_) => {}
                    Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict { .. })) => {
                        change_refused = Some(ChangeRefused {
                            code: e.code().as_str().to_string(),
                            field: match &e {
                                ServiceError::Invalid(i) => i.field.map(String::from),
                                _ => None,
                            },
                            message: e.to_string(),
                        })
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(AppliedMacro {
            message,
            ticket: self.ticket_detail(actor, input.ticket_id).await?,
            change_refused,
        })
    }
}
