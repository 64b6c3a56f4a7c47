//! Diagnose: a ticket's root cause, and the problems that group tickets by their fault.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use heard_services::diagnosis::*;
use heard_services::views::{Page, TicketDetail};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record_diagnosis))
        .routes(routes!(create_problem, list_problems))
        .routes(routes!(get_problem, update_problem))
}

/// Record (or correct) what caused the ticket's problem and the problem it belongs to.
/// An upset customer's ticket closes only once this is recorded.
#[utoipa::path(post, path = "/tickets/{id}/diagnosis", tag = "problems", params(("id" = i64, Path)),
    request_body = DiagnosisInput,
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_diagnosis(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<DiagnosisInput>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(
        state.services.record_diagnosis(&actor, id, input).await?,
    ))
}

/// Open a problem: an underlying fault that may cause many tickets (staff).
#[utoipa::path(post, path = "/problems", tag = "problems", request_body = NewProblem,
    responses((status = 201, body = ProblemView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_problem(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<NewProblem>,
) -> Result<(StatusCode, Json<ProblemView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_problem(&actor, input).await?),
    ))
}

/// Problems, newest first, with how many tickets each caused (staff).
#[utoipa::path(get, path = "/problems", tag = "problems", params(ProblemQuery),
    responses((status = 200, body = Page<ProblemView>), (status = 403, body = ErrorBody)))]
async fn list_problems(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<ProblemQuery>,
) -> Result<Json<Page<ProblemView>>, ApiError> {
    Ok(Json(state.services.list_problems(&actor, q).await?))
}

/// A problem and the tickets it caused that the caller may see (staff).
#[utoipa::path(get, path = "/problems/{id}", tag = "problems", params(("id" = i64, Path)),
    responses((status = 200, body = ProblemDetail), (status = 404, body = ErrorBody)))]
async fn get_problem(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ProblemDetail>, ApiError> {
    Ok(Json(state.services.problem_detail(&actor, id).await?))
}

/// Rename, describe, or move a problem to known_error or resolved (staff).
#[utoipa::path(patch, path = "/problems/{id}", tag = "problems", params(("id" = i64, Path)),
    request_body = ProblemPatch,
    responses((status = 200, body = ProblemView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_problem(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<ProblemPatch>,
) -> Result<Json<ProblemView>, ApiError> {
    Ok(Json(
        state.services.update_problem(&actor, id, patch).await?,
    ))
}
