//! Who else is viewing a ticket: heartbeats from open ticket pages (collision warning).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Auth};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use heard_services::viewers::{Heartbeat, ViewerView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(heartbeat, viewers, leave))
}

/// Say you have the ticket open (`viewing`) or are writing a reply (`replying`); returns
/// everyone viewing it now. Send one at least every 30 seconds to stay listed (staff).
#[utoipa::path(post, path = "/tickets/{id}/viewers", tag = "tickets", params(("id" = i64, Path)), request_body = Heartbeat,
    responses((status = 200, body = Vec<ViewerView>), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn heartbeat(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(beat): ApiJson<Heartbeat>,
) -> Result<Json<Vec<ViewerView>>, ApiError> {
    Ok(Json(s.services.ticket_heartbeat(&actor, id, beat).await?))
}

/// Everyone who has the ticket open now, longest there first; `you` marks the caller (staff).
#[utoipa::path(get, path = "/tickets/{id}/viewers", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ViewerView>), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn viewers(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<ViewerView>>, ApiError> {
    Ok(Json(s.services.ticket_viewers(&actor, id).await?))
}

/// You closed the ticket: others stop seeing you at once (staff).
#[utoipa::path(delete, path = "/tickets/{id}/viewers", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn leave(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.services.ticket_left(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
