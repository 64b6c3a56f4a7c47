//! Webhooks (admins): subscriptions, their signing secrets, their delivery log and
//! replays. What a delivery looks like is in docs/webhooks.md.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use heard_services::views::Page;
use heard_services::webhooks::*;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(event_types))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(replay_delivery))
}

/// Every webhook subscription (admins). Secrets are never shown back.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookView>), (status = 403, body = ErrorBody)))]
async fn list_webhooks(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    Ok(Json(s.services.webhooks(&actor).await?))
}

/// Subscribe a URL to event types (admins). The answer carries the signing secret
/// (`secret`, `whsec_` + base64): keep it, it is not shown again.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = WebhookInput,
    responses((status = 201, body = WebhookView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_webhook(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<WebhookInput>,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_webhook(&actor, input).await?),
    ))
}

/// The event types a subscription can ask for.
#[utoipa::path(get, path = "/webhooks/event-types", tag = "webhooks",
    responses((status = 200, body = Vec<EventTypeView>), (status = 403, body = ErrorBody)))]
async fn event_types(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<EventTypeView>>, ApiError> {
    s.services.webhooks(&actor).await?;
    Ok(Json(s.services.webhook_event_types()))
}

#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_webhook(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<WebhookView>, ApiError> {
    Ok(Json(s.services.webhook(&actor, id).await?))
}

/// Change a subscription's URL, event types or description, or pause (`"paused": true`)
/// or resume it (admins). Resuming sends what waited during the pause.
#[utoipa::path(patch, path = "/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)), request_body = WebhookChange,
    responses((status = 200, body = WebhookView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_webhook(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<WebhookChange>,
) -> Result<Json<WebhookView>, ApiError> {
    Ok(Json(s.services.update_webhook(&actor, id, change).await?))
}

/// Remove a subscription and its delivery log (admins).
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_webhook(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.services.delete_webhook(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the signing secret (admins); the answer carries the new one, once.
#[utoipa::path(post, path = "/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn rotate_secret(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<WebhookView>, ApiError> {
    Ok(Json(s.services.rotate_webhook_secret(&actor, id).await?))
}

/// A subscription's deliveries, newest first, each with its last attempt (admins).
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = i64, Path), DeliveryQuery),
    responses((status = 200, body = Page<DeliveryView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_deliveries(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> Result<Json<Page<DeliveryView>>, ApiError> {
    Ok(Json(s.services.webhook_deliveries(&actor, id, q).await?))
}

/// One delivery with every attempt and the body it sends (admins).
#[utoipa::path(get, path = "/webhooks/{id}/deliveries/{delivery_id}", tag = "webhooks",
    params(("id" = i64, Path), ("delivery_id" = i64, Path)),
    responses((status = 200, body = DeliveryDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_delivery(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((id, delivery_id)): ApiPath<(i64, i64)>,
) -> Result<Json<DeliveryDetail>, ApiError> {
    Ok(Json(
        s.services.webhook_delivery(&actor, id, delivery_id).await?,
    ))
}

/// Send a delivery's message again, as a new delivery (admins).
#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{delivery_id}/replay", tag = "webhooks",
    params(("id" = i64, Path), ("delivery_id" = i64, Path)),
    responses((status = 202, body = DeliveryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn replay_delivery(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((id, delivery_id)): ApiPath<(i64, i64)>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(
            s.services
                .replay_webhook_delivery(&actor, id, delivery_id)
                .await?,
        ),
    ))
}
