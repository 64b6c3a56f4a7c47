//! The phone: the call log, the caller lookup and the desk's default country.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use heard_services::calls::*;
use heard_services::views::Page;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(log_call, list_calls))
        .routes(routes!(get_call))
        .routes(routes!(lookup))
        .routes(routes!(get_settings, set_settings))
}

/// Log a call (staff): on a ticket the caller may see (`ticket_id`), or opening a new
/// phone ticket for the customer (`new_ticket`). The call enters the ticket's
/// conversation as a phone entry (public when the customer heard from us, an internal
/// note for an unanswered outbound call); `call_back_due` makes a call-back promise that
/// the service levels track like any promise.
#[utoipa::path(post, path = "/calls", tag = "calls", request_body = NewCallLog,
    responses((status = 201, body = CallView), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn log_call(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<NewCallLog>,
) -> Result<(StatusCode, Json<CallView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.log_call(&actor, input).await?),
    ))
}

/// Calls on tickets the caller may see, newest first; by number (any written form),
/// ticket or customer (staff).
#[utoipa::path(get, path = "/calls", tag = "calls", params(CallQuery),
    responses((status = 200, body = Page<CallView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_calls(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<CallQuery>,
) -> Result<Json<Page<CallView>>, ApiError> {
    Ok(Json(state.services.list_calls(&actor, q).await?))
}

/// One call (staff; 404 when its ticket is not the caller's to see).
#[utoipa::path(get, path = "/calls/{id}", tag = "calls", params(("id" = i64, Path)),
    responses((status = 200, body = CallView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_call(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CallView>, ApiError> {
    Ok(Json(state.services.get_call(&actor, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LookupQuery {
    /// The caller's number in any written form.
    number: String,
}

/// Who is calling: the customer(s) by any of their phone identities, with open tickets,
/// verified facts, recent calls and last contacts (staff). The same as the page
/// `/agent/call?number=…`.
#[utoipa::path(get, path = "/calls/lookup", tag = "calls", params(LookupQuery),
    responses((status = 200, body = CallerLookup), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn lookup(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<LookupQuery>,
) -> Result<Json<CallerLookup>, ApiError> {
    Ok(Json(state.services.caller_lookup(&actor, &q.number).await?))
}

/// The desk's default country calling code for national numbers (staff).
#[utoipa::path(get, path = "/calls/settings", tag = "calls",
    responses((status = 200, body = PhoneSettings), (status = 403, body = ErrorBody)))]
async fn get_settings(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<PhoneSettings>, ApiError> {
    Ok(Json(state.services.phone_settings(&actor).await?))
}

/// Set the desk's default country calling code, e.g. `{"default_country_code": "+49"}`
/// (admins). Numbers already stored keep their E.164 form.
#[utoipa::path(put, path = "/calls/settings", tag = "calls", request_body = PhoneSettings,
    responses((status = 200, body = PhoneSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_settings(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<PhoneSettings>,
) -> Result<Json<PhoneSettings>, ApiError> {
    Ok(Json(
        state
            .services
            .set_phone_settings(Some(&actor), input)
            .await?,
    ))
}
