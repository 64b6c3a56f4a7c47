//! Merging a duplicate from the agent's ticket view, and where a merged ticket's pages
//! lead: to the ticket its conversation moved to.

use crate::WebState;
use crate::page::{BackTo, PageError, PageResult, see_other};
use crate::session::Viewer;
use axum::Form;
use axum::extract::{Path, State};
use heard_domain::Invalid;
use heard_services::ErrorCode;
use heard_services::ServiceError;
use heard_services::merge::MergeRequest;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct MergeForm {
    csrf: String,
    into_ticket_id: String,
    #[serde(default)]
    note: String,
}

pub async fn merge(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<MergeForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let back = format!("/agent/tickets/{id}");
    let into = f
        .into_ticket_id
        .trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .map_err(|_| {
            PageError::from(ServiceError::Invalid(Invalid::new(
                "into_ticket_id",
                ErrorCode::InvalidNumber,
                "give the number of the ticket to merge into, e.g. 42",
            )))
            .back_to(&back)
        })?;
    let input = MergeRequest {
        into_ticket_id: into,
        note: Some(f.note),
    };
    s.services
        .merge_ticket(&viewer.actor, id, input)
        .await
        .back_to(&back)?;
    Ok(see_other(&format!("/agent/tickets/{into}"), "merged"))
}
