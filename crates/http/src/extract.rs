//! Request extractors that answer bad input with heard's JSON errors instead of axum's
//! plain-text rejections, and resolve who is asking.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, header};
use heard_services::ErrorCode;
use heard_services::auth::constant_time_eq;
use heard_services::{Actor, ServiceError};
use serde::de::DeserializeOwned;

use heard_services::auth::SESSION_COOKIE;

/// The signed-in caller: from `Authorization: Bearer …`, or from the session cookie, in
/// which case every write must echo the session's CSRF token in `X-CSRF-Token`.
pub struct Auth(pub Actor);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let services = &state.services;
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::Unauthenticated,
                        "use Authorization: Bearer TOKEN",
                    )
                })?;
            return Ok(Auth(services.actor_for_token(token).await?));
        }
        let session = session_cookie(parts).ok_or(ServiceError::Unauthenticated)?;
        let (actor, csrf) = services.actor_for_session(&session).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), csrf.as_bytes()) {
                return Err(ApiError::new(
                    ErrorCode::CsrfTokenInvalid,
                    "writes with a session cookie must send the session's X-CSRF-Token",
                ));
            }
        }
        Ok(Auth(actor))
    }
}

pub fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

/// A JSON body whose errors name the field at fault.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = bytes::Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::new(
                ErrorCode::BodyTooLarge,
                format!(
                    "request bodies are limited to {} bytes",
                    crate::MAX_JSON_BYTES
                ),
            )
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // serde names a missing or unknown field only in its message.
        let named = message
            .split('`')
            .nth(1)
            .filter(|_| {
                message.starts_with("missing field") || message.starts_with("unknown field")
            })
            .map(str::to_string);
        let field = named.or_else(|| (path != "." && !path.is_empty()).then_some(path));
        let code = if inner.is_syntax() || inner.is_eof() {
            ErrorCode::MalformedJson
        } else if message.starts_with("missing field") {
            ErrorCode::MissingField
        } else if message.starts_with("unknown field") {
            ErrorCode::UnknownField
        } else {
            ErrorCode::InvalidField
        };
        let mut err = ApiError::new(code, message);
        err.field = field;
        err
    })?;
    // One JSON value and nothing after it: `{…}}}junk` is not a body to half-believe.
    de.end().map_err(|e| {
        ApiError::new(
            ErrorCode::MalformedJson,
            format!("the body must be one JSON value with nothing after it ({e})"),
        )
    })?;
    Ok(value)
}

/// A path parameter that answers a malformed id with 400 naming it.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| ApiError::new(ErrorCode::InvalidId, e.body_text()).field("id"))
    }
}

/// Query parameters that answer malformed values with 400 naming the problem.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::new(ErrorCode::InvalidQuery, e.body_text()))
    }
}
