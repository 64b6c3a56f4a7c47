//! Quality reviews: the queue of conversations worth reviewing, suggested scores, reviews
//! and the reviewed agent's reply, the agent's trend, the versioned rubric and who reviews.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use heard_services::reviews::*;
use heard_services::views::Page;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(draft))
        .routes(routes!(create_review, list_reviews))
        .routes(routes!(get_review))
        .routes(routes!(reply))
        .routes(routes!(trend))
        .routes(routes!(get_rubric, update_rubric))
        .routes(routes!(list_reviewers))
        .routes(routes!(set_reviewer))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct QueueQuery {
    /// The `next_after` of the previous page (a ticket id).
    after: Option<i64>,
    limit: Option<i64>,
}

/// Conversations worth reviewing, each with its reasons (poor rating, upset customer,
/// missed promise, tone findings sent, reopened, several transfers, random sample),
/// newest ticket first. Reviewed tickets drop out (supervisors and named reviewers).
#[utoipa::path(get, path = "/reviews/queue", tag = "reviews", params(QueueQuery),
    responses((status = 200, body = Page<QueueItem>), (status = 403, body = ErrorBody)))]
async fn queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Json<Page<QueueItem>>, ApiError> {
    Ok(Json(
        state
            .services
            .review_queue(&actor, q.after, q.limit)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DraftQuery {
    ticket_id: i64,
    /// The agent whose replies are reviewed; by default the one who sent most.
    agent_id: Option<i64>,
}

/// The current rubric with a suggested score and its evidence for each item, from the
/// tone reviews of the agent's replies, the customer's frustration arc, service-level
/// events and the diagnosis.
#[utoipa::path(get, path = "/reviews/suggestions", tag = "reviews", params(DraftQuery),
    responses((status = 200, body = ReviewDraft), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn draft(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<DraftQuery>,
) -> Result<Json<ReviewDraft>, ApiError> {
    Ok(Json(
        state
            .services
            .review_draft(&actor, q.ticket_id, q.agent_id)
            .await?,
    ))
}

/// Score one agent's part of a conversation on the current rubric.
#[utoipa::path(post, path = "/reviews", tag = "reviews", request_body = ReviewInput,
    responses((status = 201, body = ReviewView), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create_review(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<ReviewInput>,
) -> Result<(StatusCode, Json<ReviewView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.create_review(&actor, input).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    agent_id: Option<i64>,
    reviewer_id: Option<i64>,
    ticket_id: Option<i64>,
    /// The `next_after` of the previous page.
    after: Option<i64>,
    limit: Option<i64>,
}

/// Reviews, newest first. Supervisors and admins see all; other staff those they wrote
/// or received.
#[utoipa::path(get, path = "/reviews", tag = "reviews", params(ListQuery),
    responses((status = 200, body = Page<ReviewView>), (status = 403, body = ErrorBody)))]
async fn list_reviews(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<ReviewView>>, ApiError> {
    let q = ReviewQuery {
        agent_id: q.agent_id,
        reviewer_id: q.reviewer_id,
        ticket_id: q.ticket_id,
        after: q.after,
        limit: q.limit,
    };
    Ok(Json(state.services.reviews(&actor, q).await?))
}

/// One review, with the labels of the rubric version it was scored on.
#[utoipa::path(get, path = "/reviews/{id}", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, body = ReviewView), (status = 404, body = ErrorBody)))]
async fn get_review(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReviewView>, ApiError> {
    Ok(Json(state.services.review(&actor, id).await?))
}

/// The reviewed agent answers the review, once.
#[utoipa::path(post, path = "/reviews/{id}/reply", tag = "reviews", params(("id" = i64, Path)),
    request_body = ReviewReplyInput,
    responses((status = 200, body = ReviewView), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn reply(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReviewReplyInput>,
) -> Result<Json<ReviewView>, ApiError> {
    Ok(Json(
        state.services.reply_to_review(&actor, id, input).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TrendQuery {
    /// Whose trend (default: the caller's own; others' for supervisors and admins).
    agent_id: Option<i64>,
}

/// An agent's average review score per week (Monday, UTC) over the last 26 weeks.
#[utoipa::path(get, path = "/reviews/trend", tag = "reviews", params(TrendQuery),
    responses((status = 200, body = ReviewTrend), (status = 404, body = ErrorBody)))]
async fn trend(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<TrendQuery>,
) -> Result<Json<ReviewTrend>, ApiError> {
    Ok(Json(state.services.review_trend(&actor, q.agent_id).await?))
}

/// The rubric now in force (staff).
#[utoipa::path(get, path = "/reviews/rubric", tag = "reviews",
    responses((status = 200, body = RubricView), (status = 403, body = ErrorBody)))]
async fn get_rubric(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<RubricView>, ApiError> {
    Ok(Json(state.services.rubric_for(&actor).await?))
}

/// Replace the rubric's items (admins): a new version; old reviews keep theirs. Keep an
/// item's key to rename it.
#[utoipa::path(put, path = "/reviews/rubric", tag = "reviews", request_body = RubricInput,
    responses((status = 200, body = RubricView), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_rubric(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<RubricInput>,
) -> Result<Json<RubricView>, ApiError> {
    Ok(Json(state.services.update_rubric(&actor, input).await?))
}

/// Staff and whether each may review (admins).
#[utoipa::path(get, path = "/reviews/reviewers", tag = "reviews",
    responses((status = 200, body = Vec<StaffReviewer>), (status = 403, body = ErrorBody)))]
async fn list_reviewers(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<StaffReviewer>>, ApiError> {
    Ok(Json(state.services.reviewers(&actor).await?))
}

/// Name a staff member reviewer, or take it back (admins).
#[utoipa::path(put, path = "/reviews/reviewers/{user_id}", tag = "reviews",
    params(("user_id" = i64, Path)), request_body = ReviewerInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_reviewer(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(user_id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReviewerInput>,
) -> Result<StatusCode, ApiError> {
    state.services.set_reviewer(&actor, user_id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}
