//! The tone coach, the frustration score, promises, service levels and notifications.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Auth};
use axum::Json;
use axum::extract::State;
use heard_services::care::{FrustrationRequest, ToneRequest};
use heard_services::service_levels::{ComplianceReport, NewPromise};
use heard_services::views::{NotificationView, TicketDetail};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(analyze_tone))
        .routes(routes!(analyze_frustration))
        .routes(routes!(make_promise))
        .routes(routes!(get_service_levels, set_service_levels))
        .routes(routes!(notifications))
        .routes(routes!(unread_notifications))
        .routes(routes!(read_notifications))
        .routes(routes!(compliance))
        .routes(routes!(import_holidays))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// Tickets changed in the last N days (default 30).
    days: Option<i64>,
}

/// Service-level compliance per policy, team and target (supervisors).
#[utoipa::path(get, path = "/reports/service-levels", tag = "care", params(ReportQuery),
    responses((status = 200, body = ComplianceReport), (status = 403, body = ErrorBody)))]
async fn compliance(
    State(s): State<AppState>,
    Auth(actor): Auth,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<ReportQuery>,
) -> Result<Json<ComplianceReport>, ApiError> {
    Ok(Json(s.services.compliance_report(&actor, q.days).await?))
}

/// Import an iCalendar file's all-day events as holidays of a calendar (admins).
#[utoipa::path(post, path = "/service-levels/calendars/{name}/holidays", tag = "care", params(("name" = String, Path)),
    request_body(content = String, content_type = "text/calendar"),
    responses((status = 200, description = "the policy book"), (status = 422, body = ErrorBody)))]
async fn import_holidays(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(name): ApiPath<String>,
    body: String,
) -> Result<Json<heard_sla::PolicyBookSpec>, ApiError> {
    Ok(Json(
        s.services.import_holidays(&actor, &name, &body).await?,
    ))
}

/// Review a draft reply: findings with byte spans, reasons and better wording, the
/// H.E.A.R.D. checklist and a score (100 = nothing to improve). Advice only.
#[utoipa::path(post, path = "/analyze/tone", tag = "care", request_body = ToneRequest,
    responses((status = 200, description = "the tone review, as `heard analyze tone` prints it"), (status = 403, body = ErrorBody)))]
async fn analyze_tone(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<ToneRequest>,
) -> Result<Json<heard_language::ToneReview>, ApiError> {
    Ok(Json(s.services.analyze_tone(&actor, req).await?))
}

/// Score a customer's message for frustration (0–100, level, abusive, evidence spans).
#[utoipa::path(post, path = "/analyze/frustration", tag = "care", request_body = FrustrationRequest,
    responses((status = 200, description = "the frustration score, as `heard analyze frustration` prints it"), (status = 403, body = ErrorBody)))]
async fn analyze_frustration(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<FrustrationRequest>,
) -> Result<Json<heard_language::Frustration>, ApiError> {
    Ok(Json(s.services.analyze_frustration(&actor, req).await?))
}

/// Promise the customer an update by a time; it is tracked, warned and escalated.
#[utoipa::path(post, path = "/tickets/{id}/promise", tag = "tickets", params(("id" = i64, Path)), request_body = NewPromise,
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn make_promise(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(p): ApiJson<NewPromise>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(s.services.make_promise(&actor, id, p).await?))
}

/// Business calendars and service-level policies (staff).
#[utoipa::path(get, path = "/service-levels", tag = "care", responses((status = 200, description = "the policy book")))]
async fn get_service_levels(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<heard_sla::PolicyBookSpec>, ApiError> {
    Ok(Json(s.services.service_levels(&actor).await?))
}

/// Replace the calendars and policies (admins); validated, with the field at fault named.
#[utoipa::path(put, path = "/service-levels", tag = "care", request_body(content = Object),
    responses((status = 200, description = "the policy book"), (status = 422, body = ErrorBody)))]
async fn set_service_levels(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(spec): ApiJson<serde_json::Value>,
) -> Result<Json<heard_sla::PolicyBookSpec>, ApiError> {
    Ok(Json(s.services.set_service_levels(&actor, spec).await?))
}

/// Warnings for what you own and breaches for supervisors, newest first.
#[utoipa::path(get, path = "/notifications", tag = "care", responses((status = 200, body = Vec<NotificationView>)))]
async fn notifications(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<NotificationView>>, ApiError> {
    Ok(Json(s.services.notifications(&actor).await?))
}

/// How many of your notifications you have not read: cheap enough to poll.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct UnreadCount {
    unread: i64,
}

/// The number of your unread notifications (0 for customers); the bell polls it.
#[utoipa::path(get, path = "/notifications/unread", tag = "care", responses((status = 200, body = UnreadCount)))]
async fn unread_notifications(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<UnreadCount>, ApiError> {
    Ok(Json(UnreadCount {
        unread: s.services.unread_notifications(&actor).await?,
    }))
}

/// How many notifications were marked as read.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct MarkedRead {
    marked: u64,
}

/// Marks all your notifications as read, for you alone (a role's stay unread for the others).
#[utoipa::path(post, path = "/notifications/read", tag = "care", responses((status = 200, body = MarkedRead)))]
async fn read_notifications(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<MarkedRead>, ApiError> {
    Ok(Json(MarkedRead {
        marked: s.services.mark_notifications_read(&actor, None).await?,
    }))
}
