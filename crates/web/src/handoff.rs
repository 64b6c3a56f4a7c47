//! The agent ticket view's forms for working together: invite a colleague, let one go,
//! hand the ticket over with a note, and (supervisors) take over a conversation flagged
//! abusive. Each calls the same use case as the API.

use crate::WebState;
use crate::page::{BackTo, PageError, PageResult, see_other};
use crate::session::Viewer;
use axum::Form;
use axum::extract::{Path, State};
use heard_domain::Invalid;
use heard_services::ErrorCode;
use heard_services::ServiceError;
use heard_services::routing::{HandOver, NewCollaborator, TakeOver};
use serde::Deserialize;

fn colleague(raw: &str, field: &'static str, back: &str) -> PageResult<i64> {
    raw.trim().parse().map_err(|_| {
        PageError::from(ServiceError::Invalid(Invalid::new(
            field,
            ErrorCode::InvalidNumber,
            "choose a colleague from the list",
        )))
        .back_to(back)
    })
}

fn some(text: String) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Where to go after a change that may leave the ticket out of the viewer's sight.
async fn back_or_queues(s: &WebState, viewer: &Viewer, id: i64, done: &str) -> PageResult {
    match s.services.visible_ticket(&viewer.actor, id).await {
        Ok(_) => Ok(see_other(&format!("/agent/tickets/{id}"), done)),
        Err(_) => Ok(see_other("/agent", done)),
    }
}

#[derive(Deserialize)]
pub struct InviteForm {
    csrf: String,
    #[serde(default)]
    agent_id: String,
    #[serde(default)]
    note: String,
}

pub async fn invite(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<InviteForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let back = format!("/agent/tickets/{id}");
    let agent_id = colleague(&f.agent_id, "agent_id", &back)?;
    s.services
        .invite_collaborator(
            &viewer.actor,
            id,
            NewCollaborator {
                agent_id,
                note: some(f.note),
            },
        )
        .await
        .back_to(&back)?;
    Ok(see_other(&back, "invited"))
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn remove(
    State(s): State<WebState>,
    viewer: Viewer,
    Path((id, agent_id)): Path<(i64, i64)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    s.services
        .remove_collaborator(&viewer.actor, id, agent_id)
        .await
        .back_to(format!("/agent/tickets/{id}"))?;
    back_or_queues(&s, &viewer, id, "left").await
}

#[derive(Deserialize)]
pub struct HandOverForm {
    csrf: String,
    #[serde(default)]
    to_agent_id: String,
    #[serde(default)]
    reason: String,
    handoff_note: String,
}

pub async fn hand_over(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<HandOverForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let back = format!("/agent/tickets/{id}");
    let to_agent_id = colleague(&f.to_agent_id, "to_agent_id", &back)?;
    s.services
        .hand_over(
            &viewer.actor,
            id,
            HandOver {
                to_agent_id,
                handoff_note: f.handoff_note,
                reason: some(f.reason),
            },
        )
        .await
        .back_to(&back)?;
    back_or_queues(&s, &viewer, id, "handed_over").await
}

#[derive(Deserialize)]
pub struct TakeOverForm {
    csrf: String,
    #[serde(default)]
    note: String,
}

pub async fn take_over(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<TakeOverForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_supervisor()?;
    let back = format!("/agent/tickets/{id}");
    s.services
        .take_over(&viewer.actor, id, TakeOver { note: some(f.note) })
        .await
        .back_to(&back)?;
    Ok(see_other(&back, "taken_over"))
}
