//! Practice mode: past conversations replayed in a sandbox for new agents, the tone
//! coach on each practice reply, practice sets from calm to abusive and progress.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Auth};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use heard_services::practice::*;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(create_cases))
        .routes(routes!(start_run))
        .routes(routes!(get_run))
        .routes(routes!(reply))
}

/// The practice sets (calm, upset, abusive) with their conversations, and the caller's
/// progress and runs (staff).
#[utoipa::path(get, path = "/practice", tag = "practice",
    responses((status = 200, body = PracticeOverview), (status = 403, body = ErrorBody)))]
async fn overview(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<PracticeOverview>, ApiError> {
    Ok(Json(state.services.practice_overview(&actor).await?))
}

/// Copy resolved tickets into the practice sets, with personal data scrubbed first: one
/// named ticket, or a few of the newest of each set (supervisors and admins).
#[utoipa::path(post, path = "/practice/cases", tag = "practice", request_body = PracticeCasesInput,
    responses((status = 201, body = Vec<PracticeCase>), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_cases(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<PracticeCasesInput>,
) -> Result<(StatusCode, Json<Vec<PracticeCase>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_practice_cases(&actor, input).await?),
    ))
}

/// Start practising one conversation.
#[utoipa::path(post, path = "/practice/runs", tag = "practice", request_body = StartPractice,
    responses((status = 201, body = PracticeRun), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn start_run(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<StartPractice>,
) -> Result<(StatusCode, Json<PracticeRun>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.start_practice(&actor, input).await?),
    ))
}

/// A practice run as it stands: the customer messages that have arrived and the replies
/// with the tone coach's findings (its agent, supervisors and admins).
#[utoipa::path(get, path = "/practice/runs/{id}", tag = "practice", params(("id" = i64, Path)),
    responses((status = 200, body = PracticeRun), (status = 404, body = ErrorBody)))]
async fn get_run(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PracticeRun>, ApiError> {
    Ok(Json(state.services.practice_run(&actor, id).await?))
}

/// Answer in a practice run. Nothing is sent to anyone; the tone coach reviews the reply
/// and the next customer message follows.
#[utoipa::path(post, path = "/practice/runs/{id}/replies", tag = "practice", params(("id" = i64, Path)),
    request_body = PracticeReplyInput,
    responses((status = 200, body = PracticeRun), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reply(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PracticeReplyInput>,
) -> Result<Json<PracticeRun>, ApiError> {
    Ok(Json(
        state.services.practice_reply(&actor, id, input).await?,
    ))
}
