//! Macros (canned replies): the caller's own and the shared ones, filled in for a
//! ticket, and sent as a reply with their status change and tags.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use heard_services::macros::*;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_macros, create_macro))
        .routes(routes!(placeholders))
        .routes(routes!(get_macro, update_macro, delete_macro))
        .routes(routes!(render_macro))
        .routes(routes!(apply_macro))
}

/// The shared macros and your own, by title (staff).
#[utoipa::path(get, path = "/macros", tag = "macros",
    responses((status = 200, body = Vec<MacroView>), (status = 403, body = ErrorBody)))]
async fn list_macros(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<MacroView>>, ApiError> {
    Ok(Json(s.services.macros(&actor).await?))
}

/// Save a macro: yours, or shared (`"shared": true`, supervisors and admins). A body
/// naming an unknown placeholder is refused (`unknown_placeholder`, naming it).
#[utoipa::path(post, path = "/macros", tag = "macros", request_body = MacroInput,
    responses((status = 201, body = MacroView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_macro(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<MacroInput>,
) -> Result<(StatusCode, Json<MacroView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_macro(&actor, input).await?),
    ))
}

/// The placeholders a macro body may use, written `{{name}}`.
#[utoipa::path(get, path = "/macros/placeholders", tag = "macros",
    responses((status = 200, body = Vec<PlaceholderView>)))]
async fn placeholders(State(s): State<AppState>, Auth(_actor): Auth) -> Json<Vec<PlaceholderView>> {
    Json(s.services.macro_placeholders())
}

#[utoipa::path(get, path = "/macros/{id}", tag = "macros", params(("id" = i64, Path)),
    responses((status = 200, body = MacroView), (status = 404, body = ErrorBody)))]
async fn get_macro(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<MacroView>, ApiError> {
    Ok(Json(s.services.macro_view(&actor, id).await?))
}

/// Replace a macro (your own, or a shared one as a supervisor or admin).
#[utoipa::path(put, path = "/macros/{id}", tag = "macros", params(("id" = i64, Path)), request_body = MacroInput,
    responses((status = 200, body = MacroView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_macro(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<MacroInput>,
) -> Result<Json<MacroView>, ApiError> {
    Ok(Json(s.services.update_macro(&actor, id, input).await?))
}

#[utoipa::path(delete, path = "/macros/{id}", tag = "macros", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_macro(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.services.delete_macro(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RenderQuery {
    /// The ticket whose customer, team and promise fill the placeholders.
    ticket_id: i64,
}

/// The macro filled in for a ticket you may see: what goes into the reply box.
#[utoipa::path(get, path = "/macros/{id}/render", tag = "macros", params(("id" = i64, Path), RenderQuery),
    responses((status = 200, body = RenderedMacro), (status = 404, body = ErrorBody)))]
async fn render_macro(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<RenderQuery>,
) -> Result<Json<RenderedMacro>, ApiError> {
    Ok(Json(
        s.services.render_macro(&actor, id, q.ticket_id).await?,
    ))
}

/// Send the macro's reply on a ticket (as you edited it, or as filled in), then apply
/// its status change and tags under the ticket's usual rules. The reply stands when the
/// change is refused; `change_refused` says why.
#[utoipa::path(post, path = "/macros/{id}/apply", tag = "macros", params(("id" = i64, Path)), request_body = ApplyMacro,
    responses((status = 200, body = AppliedMacro), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn apply_macro(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ApplyMacro>,
) -> Result<Json<AppliedMacro>, ApiError> {
    Ok(Json(s.services.apply_macro(&actor, id, input).await?))
}
