//! The knowledge base and self-service: articles, finding them (and tickets) through the
//! index, and what readers tell us about them. Every self-service answer carries the way
//! to a person ([`Contact`]). This process's index and how it follows the database live
//! beside it, in `search_index`.

mod articles;
mod centre;
mod feedback;
mod search;

pub use articles::*;
pub use centre::*;
pub use feedback::*;
pub use search::*;

use crate::ErrorCode;
use crate::{Result, ServiceError};
use serde::Serialize;
use utoipa::ToSchema;

/// The way to a person that every self-service answer carries: no dead ends.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    pub message: String,
    /// The portal page where a new request is written.
    pub new_request_url: String,
    /// The API to open a ticket.
    pub api: String,
}

pub fn contact() -> Contact {
    Contact {
        message:
            "Still stuck? Ask a person: write to us and someone from the help desk will answer."
                .into(),
        new_request_url: "/".into(),
        api: "POST /api/v1/tickets".into(),
    }
}

fn text_field(value: &str, field: &'static str, max: usize, required: bool) -> Result<String> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(ServiceError::invalid(
            field,
            ErrorCode::MissingField,
            format!("{field} must not be empty"),
        ));
    }
    if v.len() > max {
        return Err(ServiceError::invalid(
            field,
            ErrorCode::TooLong,
            format!("{field} is limited to {max} bytes"),
        ));
    }
    Ok(v.to_string())
}

fn session_key(s: Option<&str>) -> Result<Option<String>> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.len() <= 100 && s.chars().all(|c| c.is_ascii_graphic()) => {
            Ok(Some(s.to_string()))
        }
        Some(_) => Err(ServiceError::invalid(
            "session",
            ErrorCode::InvalidSession,
            "a session key has 1 to 100 visible ASCII characters",
        )),
    }
}

fn parse_locale(v: &str) -> Result<String> {
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= 16
        && v.split('-')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(v.to_string())
    } else {
        Err(ServiceError::invalid(
            "locale",
            ErrorCode::InvalidLocale,
            "locale is a language tag such as en or pt-BR",
        ))
    }
}
