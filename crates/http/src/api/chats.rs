//! Live chat: start, the waiting list, accept, lines (send, read after a cursor), typing,
//! hand-over, end, the live connection (WebSocket) and the per-agent chat limit. A guest
//! speaks with the `Chat-Token` their chat was started with (or `?token=` on the live
//! connection), which opens that chat and nothing else; the widget on another site uses
//! these routes cross-origin without cookies, so they answer CORS for any origin.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, session_cookie};
use axum::Json;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use heard_services::chats::*;
use heard_services::views::MessageView;
use heard_services::{Actor, ErrorCode, ServiceError, Services};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tower_http::cors::{Any, CorsLayer};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The header a guest's chat token travels in.
const CHAT_TOKEN: &str = "chat-token";

pub fn routes() -> OpenApiRouter<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static(CHAT_TOKEN),
            HeaderName::from_static("idempotency-key"),
        ])
        .max_age(std::time::Duration::from_secs(600));
    OpenApiRouter::new()
        .routes(routes!(start_chat, waiting_chats))
        .routes(routes!(my_chats))
        .routes(routes!(get_settings, set_settings))
        .routes(routes!(get_chat))
        .routes(routes!(accept))
        .routes(routes!(send_line, read_lines))
        .routes(routes!(typing))
        .routes(routes!(hand_over))
        .routes(routes!(end))
        .routes(routes!(live))
        .layer(cors)
}

/// Whoever speaks in chat `id`: a guest by their chat token, else the signed-in caller.
pub struct Speaker(Option<String>, Result<Actor, ApiError>);

impl FromRequestParts<AppState> for Speaker {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(CHAT_TOKEN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if token.is_some() {
            return Ok(Speaker(token, Err(ServiceError::Unauthenticated.into())));
        }
        let auth = Auth::from_request_parts(parts, state).await.map(|a| a.0);
        Ok(Speaker(None, auth))
    }
}

impl Speaker {
    async fn actor(self, services: &Services, chat_id: i64) -> Result<Actor, ApiError> {
        match self.0 {
            Some(token) => Ok(services.chat_guest(chat_id, &token).await?),
            None => self.1,
        }
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    match headers.get("idempotency-key") {
        Some(v) => Ok(Some(v.to_str().map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidIdempotencyKey,
                "the Idempotency-Key must be printable ASCII",
            )
            .field("Idempotency-Key")
        })?)),
        None => Ok(None),
    }
}

/// Start a chat: a signed-in customer, or a guest giving `name` and `email` (the answer
/// then carries a `chat_token` that opens this chat only). Outside business hours, or
/// when no agent could take it, the first line becomes a ticket with its promise:
/// `outcome` is `ticket` and `fallback` says why and when they will hear from us.
#[utoipa::path(post, path = "/chats", tag = "chats", request_body = StartChat,
    responses((status = 201, body = ChatStarted), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn start_chat(
    State(state): State<AppState>,
    parts: Parts,
    ApiJson(input): ApiJson<StartChat>,
) -> Result<(StatusCode, Json<ChatStarted>), ApiError> {
    let mut parts = parts;
    let signed_in =
        parts.headers.contains_key(header::AUTHORIZATION) || session_cookie(&parts).is_some();
    let actor = if signed_in {
        Some(Auth::from_request_parts(&mut parts, &state).await?.0)
    } else {
        None
    };
    Ok((
        StatusCode::CREATED,
        Json(state.services.start_chat(actor.as_ref(), input).await?),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// Waiting chats the caller's teams may see, in the order they are served, each with
/// its place and wait estimate (staff). `format=csv` for a download.
#[utoipa::path(get, path = "/chats", tag = "chats", params(ListQuery),
    responses((status = 200, body = Vec<ChatView>), (status = 200, content_type = "text/csv", description = "with format=csv"),
              (status = 403, body = ErrorBody)))]
async fn waiting_chats(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let chats = state.services.waiting_chats(&actor).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(chats).into_response()),
        Some("csv") => Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            heard_services::chats::chats_csv(&chats),
        )
            .into_response()),
        Some(_) => {
            Err(ApiError::new(ErrorCode::InvalidQuery, "format is json or csv").field("format"))
        }
    }
}

/// The chats the caller holds now, with unread counts (staff).
#[utoipa::path(get, path = "/chats/mine", tag = "chats",
    responses((status = 200, body = Vec<ChatView>), (status = 403, body = ErrorBody)))]
async fn my_chats(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<ChatView>>, ApiError> {
    Ok(Json(state.services.my_chats(&actor).await?))
}

/// One chat: its state, agent, and while waiting the place and estimate.
#[utoipa::path(get, path = "/chats/{id}", tag = "chats", params(("id" = i64, Path)),
    responses((status = 200, body = ChatView), (status = 404, body = ErrorBody)))]
async fn get_chat(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    speaker: Speaker,
) -> Result<Json<ChatView>, ApiError> {
    let actor = speaker.actor(&state.services, id).await?;
    Ok(Json(state.services.get_chat(&actor, id).await?))
}

/// Accept a waiting chat (agents the router would give it to, under the chat limit).
#[utoipa::path(post, path = "/chats/{id}/accept", tag = "chats", params(("id" = i64, Path)),
    responses((status = 200, body = ChatView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn accept(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ChatView>, ApiError> {
    Ok(Json(state.services.accept_chat(&actor, id).await?))
}

/// Send a line. It is in the ticket's conversation before the answer; send an
/// `Idempotency-Key` so a retry answers with the same line instead of a second one.
#[utoipa::path(post, path = "/chats/{id}/messages", tag = "chats", params(("id" = i64, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "replays answer with the line the first request wrote")),
    request_body = ChatLine,
    responses((status = 201, body = MessageView), (status = 200, body = MessageView, description = "a replay"),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn send_line(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    speaker: Speaker,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ChatLine>,
) -> Result<Response, ApiError> {
    let actor = speaker.actor(&state.services, id).await?;
    let key = idempotency_key(&headers)?;
    let (line, replayed) = state
        .services
        .send_chat_line(&actor, id, input, key)
        .await?;
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (status, Json(line)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AfterQuery {
    /// The `next_after` of the previous read (a message id); 0 or absent for all.
    after: Option<i64>,
}

/// The lines after a cursor and the chat as it is now: the polling fallback of the
/// live connection.
#[utoipa::path(get, path = "/chats/{id}/messages", tag = "chats", params(("id" = i64, Path), AfterQuery),
    responses((status = 200, body = ChatLines), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn read_lines(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    speaker: Speaker,
    ApiQuery(q): ApiQuery<AfterQuery>,
) -> Result<Json<ChatLines>, ApiError> {
    let actor = speaker.actor(&state.services, id).await?;
    Ok(Json(state.services.chat_lines(&actor, id, q.after).await?))
}

/// Say that the caller is typing; the other side sees it on the live connection.
#[utoipa::path(post, path = "/chats/{id}/typing", tag = "chats", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn typing(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    speaker: Speaker,
) -> Result<StatusCode, ApiError> {
    let actor = speaker.actor(&state.services, id).await?;
    state.services.chat_typing(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Hand the chat to a colleague with a hand-off note (the holder or a supervisor).
#[utoipa::path(post, path = "/chats/{id}/handover", tag = "chats", params(("id" = i64, Path)), request_body = HandOverChat,
    responses((status = 200, body = ChatView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn hand_over(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<HandOverChat>,
) -> Result<Json<ChatView>, ApiError> {
    Ok(Json(
        state.services.hand_over_chat(&actor, id, input).await?,
    ))
}

/// End the chat (the customer, the agent holding it, or a supervisor). Its ticket
/// carries on like any other.
#[utoipa::path(post, path = "/chats/{id}/end", tag = "chats", params(("id" = i64, Path)),
    responses((status = 200, body = ChatView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn end(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    speaker: Speaker,
) -> Result<Json<ChatView>, ApiError> {
    let actor = speaker.actor(&state.services, id).await?;
    Ok(Json(state.services.end_chat(&actor, id).await?))
}

/// The per-agent chat limit (staff).
#[utoipa::path(get, path = "/chats/settings", tag = "chats",
    responses((status = 200, body = ChatSettings), (status = 403, body = ErrorBody)))]
async fn get_settings(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<ChatSettings>, ApiError> {
    Ok(Json(state.services.chat_settings(&actor).await?))
}

/// Set how many chats an agent holds at once, 1 to 20 (admins).
#[utoipa::path(put, path = "/chats/settings", tag = "chats", request_body = ChatSettings,
    responses((status = 200, body = ChatSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_settings(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<ChatSettings>,
) -> Result<Json<ChatSettings>, ApiError> {
    Ok(Json(
        state
            .services
            .set_chat_settings(Some(&actor), input)
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LiveQuery {
    /// A guest's chat token (browsers cannot set headers on a WebSocket).
    token: Option<String>,
    /// Deliver lines after this message id first.
    after: Option<i64>,
}

/// The live connection (WebSocket). The server sends JSON frames: `{"type": "lines",
/// "chat", "messages", "next_after"}` when lines arrive or the chat changes, and
/// `{"type": "typing", "by"}`. The client may send `{"type": "typing"}`. Lines are sent
/// with `POST /chats/{id}/messages`; `GET /chats/{id}/messages?after=` is the fallback.
#[utoipa::path(get, path = "/chats/{id}/live", tag = "chats", params(("id" = i64, Path), LiveQuery),
    responses((status = 101, description = "switching to the WebSocket protocol"), (status = 404, body = ErrorBody)))]
async fn live(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LiveQuery>,
    parts: Parts,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let mut parts = parts;
    let services = state.services.clone();
    let actor = match q.token.as_deref() {
        Some(token) => services.chat_guest(id, token).await?,
        None => {
            // A cookie rides along whichever site opens the socket: only our own pages
            // may use it (the same check CSRF tokens make for writes).
            if parts.headers.get(header::AUTHORIZATION).is_none() && !same_origin(&parts.headers) {
                return Err(ServiceError::Unauthenticated.into());
            }
            Auth::from_request_parts(&mut parts, &state).await?.0
        }
    };
    let first = services.chat_lines(&actor, id, q.after).await?;
    let signals = services.chat_signals().await?;
    Ok(ws.on_upgrade(move |socket| deliver(socket, services, actor, id, first, signals)))
}

/// Whether the request's `Origin` (sent by browsers on every WebSocket) is this host.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (host, origin) {
        (Some(host), Some(origin)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host),
        _ => false,
    }
}

fn frame(lines: &ChatLines) -> Message {
    let mut v = serde_json::to_value(lines).unwrap_or_default();
    v["type"] = "lines".into();
    Message::Text(v.to_string().into())
}

/// Feeds one live connection: what is new after its cursor whenever a signal for its chat
/// arrives (and every few seconds, in case a signal was lost), typing from the other side.
async fn deliver(
    mut socket: WebSocket,
    services: Services,
    actor: Actor,
    id: i64,
    first: ChatLines,
    mut signals: tokio::sync::broadcast::Receiver<heard_services::chat_live::ChatSignal>,
) {
    let mine = if actor.is_staff() {
        "staff"
    } else {
        "customer"
    };
    let mut cursor = first.next_after;
    let mut state = first.chat.state.clone();
    if socket.send(frame(&first)).await.is_err() {
        return;
    }
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    tick.tick().await;
    loop {
        let catch_up = tokio::select! {
            signal = signals.recv() => match signal {
                Ok(s) if s.chat_id != id => false,
                Ok(s) if s.kind == "typing" => {
                    if s.by.as_deref() != Some(mine) {
                        let by = s.by.unwrap_or_default();
                        let msg = serde_json::json!({"type": "typing", "by": by}).to_string();
                        if socket.send(Message::Text(msg.into())).await.is_err() {
                            return;
                        }
                    }
                    false
                }
                Ok(_) | Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => return,
            },
            _ = tick.tick() => true,
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    let said: serde_json::Value = serde_json::from_str(t.as_str()).unwrap_or_default();
                    if said["type"] == "typing" {
                        let _ = services.chat_typing(&actor, id).await;
                    }
                    false
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => false,
            },
        };
        if !catch_up {
            continue;
        }
        match services.chat_lines(&actor, id, Some(cursor)).await {
            Ok(lines) => {
                if lines.messages.is_empty() && lines.chat.state == state {
                    continue;
                }
                cursor = lines.next_after;
                state = lines.chat.state.clone();
                if socket.send(frame(&lines)).await.is_err() {
                    return;
                }
            }
            // The chat went out of the caller's sight (handed to another team): close.
            Err(_) => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        }
    }
}
