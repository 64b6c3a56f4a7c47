//! `?format=csv` on the pages that list tickets: the same list, with the same access
//! rules, as a streamed CSV download (the "Export CSV" links).

use crate::WebState;
use crate::page::{PageError, PageResult};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use heard_services::export::TicketCsv;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Format {
    format: Option<String>,
}

impl Format {
    /// Whether the page was asked for as CSV; any other `format` is refused, naming it.
    pub fn csv(&self) -> PageResult<bool> {
        match self.format.as_deref() {
            None | Some("html") => Ok(false),
            Some("csv") => Ok(true),
            Some(_) => Err(PageError::BadQuery {
                field: "format",
                message: "format is html or csv",
            }),
        }
    }
}

/// The export as a download named `<what>-<date>.csv`.
pub fn download(s: &WebState, csv: TicketCsv, what: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, TicketCsv::CONTENT_TYPE.to_string()),
            (
                header::CONTENT_DISPOSITION,
                TicketCsv::disposition(&s.services, what),
            ),
            // Per person and private, like the page it comes from.
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        axum::body::Body::from_stream(csv.into_stream()),
    )
        .into_response()
}
