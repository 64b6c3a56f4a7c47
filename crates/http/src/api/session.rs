use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, session_cookie};
use axum::Extension;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sign_in, sign_out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SignIn {
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
struct SignedIn {
    user_id: i64,
    role: String,
    /// Send as `X-CSRF-Token` on every write made with the session cookie.
    csrf_token: String,
    expires_at: String,
}

/// Sign in with e-mail and password; sets an HttpOnly, SameSite=Lax session cookie.
#[utoipa::path(post, path = "/session", tag = "session", request_body = SignIn, security(()),
    responses((status = 201, body = SignedIn), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "too many attempts lately; see Retry-After")))]
async fn sign_in(
    State(s): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    ApiJson(input): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let session = s
        .services
        .sign_in(&input.email, &input.password, peer.map(|p| p.0.0.ip()))
        .await?;
    let cookie = s.services.session_cookie(Some(&session.token));
    let body = SignedIn {
        user_id: session.actor.user_id,
        role: session.actor.role.as_str().into(),
        csrf_token: session.csrf_token,
        expires_at: heard_services::views::rfc3339(session.expires_at),
    };
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        Json(body),
    )
        .into_response())
}

/// Sign out: the session ends on the server, and the cookie is cleared.
#[utoipa::path(delete, path = "/session", tag = "session", responses((status = 204)))]
async fn sign_out(State(s): State<AppState>, parts: Parts) -> Result<Response, ApiError> {
    if let Some(token) = session_cookie(&parts) {
        s.services.sign_out(&token).await?;
    }
    let clear = s.services.session_cookie(None);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}
