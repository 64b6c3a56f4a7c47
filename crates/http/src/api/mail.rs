//! E-mail: the desk's mailboxes, the quarantine of mail kept aside (admins), and the
//! mail a ticket message came from (staff).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use heard_services::customer_mail::{BounceQuery, BounceView, MailDelivery};
use heard_services::mailboxes::*;
use heard_services::views::Page;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_mailboxes, create_mailbox))
        .routes(routes!(get_mailbox, update_mailbox, delete_mailbox))
        .routes(routes!(list_quarantine))
        .routes(routes!(release_quarantined))
        .routes(routes!(delete_quarantined))
        .routes(routes!(message_mail))
        .routes(routes!(message_original))
        .routes(routes!(list_bounces))
        .routes(routes!(ticket_mail_delivery))
}

/// The desk's mailboxes: each address, the team its mail goes to, and where its mail is
/// fetched over IMAP with how fetching goes (admins). IMAP passwords are never shown back.
#[utoipa::path(get, path = "/mailboxes", tag = "mail",
    responses((status = 200, body = Vec<MailboxView>), (status = 403, body = ErrorBody)))]
async fn list_mailboxes(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<MailboxView>>, ApiError> {
    Ok(Json(s.services.mailboxes(&actor).await?))
}

/// Add a mailbox (admins), optionally fetched over IMAP (`imap`, or the `imap_url`
/// shorthand). A bad IMAP setting answers 422 `invalid_imap_settings` naming the field.
#[utoipa::path(post, path = "/mailboxes", tag = "mail", request_body = MailboxInput,
    responses((status = 201, body = MailboxView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_mailbox(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<MailboxInput>,
) -> Result<(StatusCode, Json<MailboxView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_mailbox(&actor, input).await?),
    ))
}

#[utoipa::path(get, path = "/mailboxes/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = MailboxView), (status = 404, body = ErrorBody)))]
async fn get_mailbox(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<MailboxView>, ApiError> {
    Ok(Json(s.services.mailbox(&actor, id).await?))
}

/// Replace a mailbox (admins). Leave `imap` (and `imap_url`) out to keep the stored IMAP
/// settings, leave `imap.password` out to keep the password for the same host and user,
/// or send `"imap": null` to stop fetching.
#[utoipa::path(put, path = "/mailboxes/{id}", tag = "mail", params(("id" = i64, Path)), request_body = MailboxInput,
    responses((status = 200, body = MailboxView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_mailbox(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<MailboxInput>,
) -> Result<Json<MailboxView>, ApiError> {
    Ok(Json(s.services.update_mailbox(&actor, id, input).await?))
}

#[utoipa::path(delete, path = "/mailboxes/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_mailbox(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.services.delete_mailbox(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mail kept aside (spam, empty, automatic, unreadable…), newest first (admins).
#[utoipa::path(get, path = "/mail/quarantine", tag = "mail", params(QuarantineQuery),
    responses((status = 200, body = Page<QuarantineView>), (status = 403, body = ErrorBody)))]
async fn list_quarantine(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<QuarantineQuery>,
) -> Result<Json<Page<QuarantineView>>, ApiError> {
    Ok(Json(s.services.quarantine(&actor, q).await?))
}

#[derive(Serialize, ToSchema)]
struct Released {
    ticket_id: i64,
}

/// Let a quarantined mail through: it opens a ticket for its sender (admins).
#[utoipa::path(post, path = "/mail/quarantine/{id}/release", tag = "mail", params(("id" = i64, Path)),
    responses((status = 201, body = Released), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn release_quarantined(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<Released>), ApiError> {
    let ticket_id = s.services.release_quarantined(&actor, id).await?;
    Ok((StatusCode::CREATED, Json(Released { ticket_id })))
}

#[utoipa::path(delete, path = "/mail/quarantine/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_quarantined(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.services.delete_quarantined(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The mail a message came from: its headers and the quoted text folded away (staff).
#[utoipa::path(get, path = "/tickets/{id}/messages/{message_id}/mail", tag = "mail",
    params(("id" = i64, Path), ("message_id" = i64, Path)),
    responses((status = 200, body = MessageMailView), (status = 404, body = ErrorBody)))]
async fn message_mail(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((id, message_id)): ApiPath<(i64, i64)>,
) -> Result<Json<MessageMailView>, ApiError> {
    Ok(Json(
        s.services.message_mail(&actor, id, message_id).await?.0,
    ))
}

/// The original `.eml` a message came from, as a download (staff).
#[utoipa::path(get, path = "/tickets/{id}/messages/{message_id}/mail/original", tag = "mail",
    params(("id" = i64, Path), ("message_id" = i64, Path)),
    responses((status = 200, content_type = "message/rfc822"), (status = 404, body = ErrorBody)))]
async fn message_original(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((id, message_id)): ApiPath<(i64, i64)>,
) -> Result<Response, ApiError> {
    let bytes = s.services.message_original(&actor, id, message_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "message/rfc822".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"ticket-{id}-message-{message_id}.eml\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Delivery failures reported for addresses (RFC 3464 bounces), newest first (staff).
/// `permanent` failures stop mail to the address until mail comes from it again.
#[utoipa::path(get, path = "/mail/bounces", tag = "mail", params(BounceQuery),
    responses((status = 200, body = Page<BounceView>), (status = 403, body = ErrorBody)))]
async fn list_bounces(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<BounceQuery>,
) -> Result<Json<Page<BounceView>>, ApiError> {
    Ok(Json(s.services.mail_bounces(&actor, q).await?))
}

/// The ticket's requester and copied people whose mail bounced, and whether heard
/// stopped mailing them (staff).
#[utoipa::path(get, path = "/tickets/{id}/mail/delivery", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<MailDelivery>), (status = 404, body = ErrorBody)))]
async fn ticket_mail_delivery(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<MailDelivery>>, ApiError> {
    Ok(Json(s.services.ticket_mail_delivery(&actor, id).await?))
}
