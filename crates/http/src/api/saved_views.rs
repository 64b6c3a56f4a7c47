//! Saved views (named ticket lists) and their tickets, as JSON or CSV; bulk actions on
//! a selection of tickets.

use crate::AppState;
use crate::api::tickets::{FormatQuery, csv_download};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use heard_services::bulk::*;
use heard_services::saved_views::*;
use heard_services::views::{Page, TicketView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_views, create_view))
        .routes(routes!(get_view, update_view, delete_view))
        .routes(routes!(view_tickets))
        .routes(routes!(bulk))
}

/// The shared views and your own, by name (staff).
#[utoipa::path(get, path = "/views", tag = "views",
    responses((status = 200, body = Vec<SavedView>), (status = 403, body = ErrorBody)))]
async fn list_views(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<SavedView>>, ApiError> {
    Ok(Json(s.services.saved_views(&actor).await?))
}

/// Save a view: yours, or shared (`"shared": true`, supervisors and admins).
#[utoipa::path(post, path = "/views", tag = "views", request_body = ViewInput,
    responses((status = 201, body = SavedView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_view(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<ViewInput>,
) -> Result<(StatusCode, Json<SavedView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_saved_view(&actor, input).await?),
    ))
}

#[utoipa::path(get, path = "/views/{id}", tag = "views", params(("id" = i64, Path)),
    responses((status = 200, body = SavedView), (status = 404, body = ErrorBody)))]
async fn get_view(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SavedView>, ApiError> {
    Ok(Json(s.services.saved_view(&actor, id).await?))
}

/// Replace a view (your own, or a shared one as a supervisor or admin).
#[utoipa::path(put, path = "/views/{id}", tag = "views", params(("id" = i64, Path)), request_body = ViewInput,
    responses((status = 200, body = SavedView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_view(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ViewInput>,
) -> Result<Json<SavedView>, ApiError> {
    Ok(Json(s.services.update_saved_view(&actor, id, input).await?))
}

#[utoipa::path(delete, path = "/views/{id}", tag = "views", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_view(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.services.delete_saved_view(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The view's tickets you may see, newest first, with keyset pagination (`after`).
/// With `format=csv`, the whole list from `after` on as a CSV download.
#[utoipa::path(get, path = "/views/{id}/tickets", tag = "views", params(("id" = i64, Path), ViewPageQuery, FormatQuery),
    responses((status = 200, body = Page<TicketView>),
              (status = 200, content_type = "text/csv", description = "with format=csv"),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn view_tickets(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ViewPageQuery>,
    ApiQuery(f): ApiQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    if f.csv()? {
        let csv = s.services.export_saved_view(&actor, id, q.after).await?;
        return Ok(csv_download(&s, csv, "view"));
    }
    Ok(Json(s.services.saved_view_tickets(&actor, id, q).await?).into_response())
}

/// One action on many tickets (staff): `assign` (`assignee_id`), `unassign`, `status`
/// (`status`), `tag` (`tag`) or `merge` (`into_ticket_id`). Each ticket goes through the
/// single action's rules on its own: the answer lists each one as `done` or `refused`
/// with the reason (`ticket_not_found` for one you may not see), and a refused ticket
/// neither undoes nor blocks the others. At most 200 tickets.
#[utoipa::path(post, path = "/tickets/bulk", tag = "tickets", request_body = BulkRequest,
    responses((status = 200, body = BulkOutcome), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn bulk(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<BulkRequest>,
) -> Result<Json<BulkOutcome>, ApiError> {
    Ok(Json(s.services.bulk_tickets(&actor, input).await?))
}
