//! The one place where failures become HTTP responses. Statuses come from
//! `heard_services::status_of` (shared with the pages); this file only shapes the body.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use heard_services::{ErrorCode, ServiceError, status_of};
use heard_services::{UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_SECS};
use serde::Serialize;
use std::borrow::Cow;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable, e.g. `ticket_not_found`, `invalid_email`.
    #[schema(value_type = ErrorCodeSchema)]
    pub code: ErrorCode,
    pub message: String,
    /// The input field at fault, if one is.
    pub field: Option<String>,
}

/// `ErrorCode` in the OpenAPI document: its values, read from the enum itself.
pub struct ErrorCodeSchema;

impl utoipa::PartialSchema for ErrorCodeSchema {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
            .description(Some(
                "A stable error code; docs/errors.md gives each one's status and meaning.",
            ))
            .into()
    }
}

impl ToSchema for ErrorCodeSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorCode")
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

fn http_status(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ApiError {
    /// A refusal of the adapter's own (a body that is not JSON, a missing CSRF token…),
    /// answered with its code's status.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status: http_status(status_of(code)),
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let (status, code) = (http_status(e.status()), e.code());
        let mut retry_after = None;
        let (message, field) = match e {
            ServiceError::NotFound { what, .. } => (format!("{what} not found"), None),
            ServiceError::Invalid(i) => (i.message, i.field.map(Into::into)),
            ServiceError::Forbidden { message } | ServiceError::Conflict { message, .. } => {
                (message, None)
            }
            ServiceError::Unauthenticated => {
                ("sign in, or send Authorization: Bearer TOKEN".into(), None)
            }
            ServiceError::Throttled { retry_after_secs } => {
                retry_after = Some(retry_after_secs);
                (
                    format!("too many attempts; try again in {retry_after_secs} s"),
                    None,
                )
            }
            ServiceError::Internal(cause) => {
                tracing::error!(error = %cause, cause = ?cause, "a request failed on our side");
                (
                    "something went wrong on our side; it has been logged".into(),
                    None,
                )
            }
            ServiceError::Unavailable(_) => {
                retry_after = Some(UNAVAILABLE_RETRY_SECS);
                (UNAVAILABLE_MESSAGE.into(), None)
            }
        };
        ApiError {
            status,
            code,
            message,
            field,
            retry_after,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        let mut r = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        r
    }
}

pub async fn api_not_found() -> ApiError {
    ApiError::new(ErrorCode::RouteNotFound, "no such API route")
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(
        ErrorCode::Internal,
        "something went wrong on our side; it has been logged",
    )
    .into_response()
}
