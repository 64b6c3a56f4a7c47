use heard_domain::Invalid;
use heard_store::StoreError;
use thiserror::Error;

/// Everything a use case can refuse. The HTTP adapter maps each variant to a status in
/// exactly one place; the CLI prints the message.
#[derive(Debug, Error)]
pub enum ServiceError {
    /// Also what a caller gets for something they may not see: a stranger's ticket and a
    /// ticket that does not exist answer the same.
    #[error("{what} not found")]
    NotFound {
        what: &'static str,
        code: &'static str,
    },
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("sign-in required")]
    Unauthenticated,
    /// Too many attempts (sign-in, sign-up, sign-in links) lately: try again after the wait.
    #[error("too many attempts; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn not_found(what: &'static str, code: &'static str) -> Self {
        ServiceError::NotFound { what, code }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ServiceError::Forbidden {
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(
        field: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        ServiceError::Invalid(Invalid::new(field, code, message))
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => {
                ServiceError::conflict("already_exists", format!("{what} already exists"))
            }
            StoreError::MissingReference => ServiceError::Invalid(Invalid::whole(
                "unknown_reference",
                "a referenced record (team, user or organization) does not exist",
            )),
            StoreError::Stale => ServiceError::conflict(
                "edit_conflict",
                "the record changed while it was being updated; try again",
            ),
            other => {
                tracing::error!(error = %other, "store failure");
                ServiceError::Internal(other.to_string())
            }
        }
    }
}
