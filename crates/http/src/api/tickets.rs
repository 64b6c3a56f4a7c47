use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use heard_services::ErrorCode;
use heard_services::export::TicketCsv;
use heard_services::tickets::*;
use heard_services::views::*;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_ticket, list_tickets))
        .routes(routes!(get_ticket, update_ticket))
        .routes(routes!(add_message))
        .routes(routes!(escalate))
        .routes(routes!(merge))
        .routes(routes!(ticket_events))
        .routes(routes!(upload_attachment).layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES + 1)))
        .routes(routes!(download_attachment))
}

/// Open a ticket. Customers open their own; staff name the customer. Send an
/// `Idempotency-Key` header so a retried request never opens a second ticket.
#[utoipa::path(post, path = "/tickets", tag = "tickets", request_body = CreateTicket,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays return the ticket the first request opened")),
    responses((status = 201, body = TicketDetail), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_ticket(
    State(state): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CreateTicket>,
) -> Result<Response, ApiError> {
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(v.to_str().map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidIdempotencyKey,
                "the Idempotency-Key must be printable ASCII",
            )
            .field("Idempotency-Key")
        })?),
        None => None,
    };
    heard_services::intake::check_choices(&actor, &input)?;
    let (ticket, replayed) = state.services.create_ticket(&actor, input, key).await?;
    let mut response = (StatusCode::CREATED, Json(ticket)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Tickets the caller may see, newest first, with keyset pagination (`after`). With
/// `format=csv`, the whole list from `after` on as a CSV download, written page by page.
#[utoipa::path(get, path = "/tickets", tag = "tickets", params(TicketQuery, FormatQuery),
    responses((status = 200, body = Page<TicketView>),
              (status = 200, content_type = "text/csv", description = "with format=csv"),
              (status = 400, body = ErrorBody)))]
async fn list_tickets(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<TicketQuery>,
    ApiQuery(f): ApiQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    if f.csv()? {
        let csv = state.services.export_tickets(&actor, q).await?;
        return Ok(csv_download(&state, csv, "tickets"));
    }
    Ok(Json(state.services.list_tickets(&actor, q).await?).into_response())
}

/// How a list answers: JSON (the default) or CSV.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FormatQuery {
    /// `json` (default) or `csv` (`text/csv`, the whole list as a download).
    format: Option<String>,
}

impl FormatQuery {
    /// Whether CSV was asked for; anything but `json` or `csv` is a 400 naming `format`.
    pub(crate) fn csv(&self) -> Result<bool, ApiError> {
        match self.format.as_deref() {
            None | Some("json") => Ok(false),
            Some("csv") => Ok(true),
            Some(_) => {
                Err(ApiError::new(ErrorCode::InvalidQuery, "format is json or csv").field("format"))
            }
        }
    }
}

/// A CSV export as a streamed download.
pub(crate) fn csv_download(state: &AppState, csv: TicketCsv, what: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, TicketCsv::CONTENT_TYPE.to_string()),
            (
                header::CONTENT_DISPOSITION,
                TicketCsv::disposition(&state.services, what),
            ),
        ],
        axum::body::Body::from_stream(csv.into_stream()),
    )
        .into_response()
}

/// One ticket with its conversation; staff also get the customer panel and internal notes.
#[utoipa::path(get, path = "/tickets/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody)))]
async fn get_ticket(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(state.services.ticket_detail(&actor, id).await?))
}

/// Change status, priority, owner, team, subject or tags.
#[utoipa::path(patch, path = "/tickets/{id}", tag = "tickets", params(("id" = i64, Path)), request_body = TicketPatch,
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_ticket(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<TicketPatch>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(state.services.update_ticket(&actor, id, patch).await?))
}

/// Add a public reply or (staff) an internal note.
#[utoipa::path(post, path = "/tickets/{id}/messages", tag = "tickets", params(("id" = i64, Path)), request_body = NewReply,
    responses((status = 201, body = MessageView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn add_message(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NewReply>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.add_message(&actor, id, input).await?),
    ))
}

/// Hand the ticket to another tier, team or agent with a reason and a hand-off note.
#[utoipa::path(post, path = "/tickets/{id}/escalate", tag = "tickets", params(("id" = i64, Path)), request_body = Escalation,
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn escalate(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<Escalation>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(state.services.escalate(&actor, id, input).await?))
}

/// Merge this duplicate into another ticket of the same customer (staff): it closes
/// and points there; its conversation and attachments move; the customer's wait carries
/// over. Answers with the surviving ticket.
#[utoipa::path(post, path = "/tickets/{id}/merge", tag = "tickets", params(("id" = i64, Path)),
    request_body = heard_services::merge::MergeRequest,
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn merge(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<heard_services::merge::MergeRequest>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(state.services.merge_ticket(&actor, id, input).await?))
}

/// The ticket's audit log (staff).
#[utoipa::path(get, path = "/tickets/{id}/events", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EventView>), (status = 404, body = ErrorBody)))]
async fn ticket_events(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    Ok(Json(state.services.ticket_events(&actor, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// The file's name as the customer sees it.
    file_name: String,
}

/// Attach a file (the raw bytes as the body, at most 10 MB).
#[utoipa::path(post, path = "/tickets/{id}/attachments", tag = "tickets", params(("id" = i64, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentView), (status = 413, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn upload_attachment(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<AttachmentView>), ApiError> {
    let body = body.map_err(|_| {
        ApiError::new(
            ErrorCode::AttachmentTooLarge,
            "attachments are limited to 10 MB",
        )
        .field("body")
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let view = state
        .services
        .add_attachment(&actor, id, &q.file_name, content_type, body.to_vec())
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Download an attachment. Always as a download, never rendered inline, so an uploaded
/// HTML file cannot run in heard's origin.
#[utoipa::path(get, path = "/attachments/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
async fn download_attachment(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let (view, bytes) = state.services.attachment(&actor, id).await?;
    let ascii_name: String = view
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii_name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
