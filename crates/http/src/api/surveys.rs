//! "How did we do?": ratings after resolution, recovery tasks for poor ones, and
//! satisfaction per team and agent.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use heard_services::survey::*;
use heard_services::views::TicketDetail;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(rate))
        .routes(routes!(recover))
        .routes(routes!(recoveries))
        .routes(routes!(satisfaction))
}

/// The customer rates their resolved request (1–5, and a comment); they may change it.
/// A rating of 1 or 2 opens a recovery task and notifies the supervisors.
#[utoipa::path(post, path = "/tickets/{id}/survey", tag = "surveys", params(("id" = i64, Path)),
    request_body = SurveyInput,
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rate(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SurveyInput>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(state.services.rate_ticket(&actor, id, input).await?))
}

/// A supervisor completes the recovery task of a poor rating with what was done.
#[utoipa::path(post, path = "/tickets/{id}/recovery", tag = "surveys", params(("id" = i64, Path)),
    request_body = RecoveryInput,
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn recover(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RecoveryInput>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(
        state.services.complete_recovery(&actor, id, input).await?,
    ))
}

/// Open recovery tasks, the longest waiting first (supervisors).
#[utoipa::path(get, path = "/recoveries", tag = "surveys",
    responses((status = 200, body = Vec<RecoveryTask>), (status = 403, body = ErrorBody)))]
async fn recoveries(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<RecoveryTask>>, ApiError> {
    Ok(Json(state.services.recoveries(&actor).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Days {
    /// Ratings of the last N days (default 30).
    days: Option<i64>,
}

/// Satisfaction (CSAT: share of 4 and 5 ratings) overall and per team and agent (staff).
#[utoipa::path(get, path = "/reports/satisfaction", tag = "surveys", params(Days),
    responses((status = 200, body = SatisfactionReport), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn satisfaction(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<Days>,
) -> Result<Json<SatisfactionReport>, ApiError> {
    Ok(Json(
        state
            .services
            .satisfaction_report(&actor, q.days.unwrap_or(30))
            .await?,
    ))
}
