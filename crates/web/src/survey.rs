//! The customer's "how did we do?" form, and the supervisor's follow-up on poor ratings.

use crate::WebState;
use crate::page::{BackTo, PageResult, see_other};
use crate::session::Viewer;
use axum::Form;
use axum::extract::{Path, State};
use heard_domain::Status;
use heard_services::survey::{RecoveryInput, SurveyInput};
use heard_services::views::TicketDetail;
use serde::Deserialize;

/// The radio buttons, best last, so "5" reads as the top of the scale.
pub const RATING_CHOICES: [(i64, &str); 5] = [
    (1, "1 · very poor"),
    (2, "2 · poor"),
    (3, "3 · all right"),
    (4, "4 · good"),
    (5, "5 · very good"),
];

/// Whether the signed-in customer may rate this request now.
pub fn can_rate(d: &TicketDetail, viewer: &Viewer) -> bool {
    d.ticket.requester.id == viewer.actor.user_id
        && matches!(
            d.ticket.status.parse::<Status>(),
            Ok(Status::Resolved | Status::Closed)
        )
}

#[derive(Deserialize)]
pub struct RatingForm {
    csrf: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

pub async fn rate(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<RatingForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    let back = format!("/requests/{id}");
    let input = SurveyInput {
        // Not a number is not a rating: the service names the field.
        rating: f.rating.trim().parse().unwrap_or(0),
        comment: Some(f.comment),
    };
    s.services
        .rate_ticket(&viewer.actor, id, input)
        .await
        .back_to(&back)?;
    Ok(see_other(&back, "rated"))
}

#[derive(Deserialize)]
pub struct RecoveryForm {
    csrf: String,
    #[serde(default)]
    note: String,
}

pub async fn recover(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<RecoveryForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_supervisor()?;
    s.services
        .complete_recovery(&viewer.actor, id, RecoveryInput { note: f.note })
        .await
        .back_to("/supervisor")?;
    Ok(see_other("/supervisor", "recovered"))
}
