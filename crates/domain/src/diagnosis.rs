//! Diagnose, the last step of H.E.A.R.D. (DOMAIN.md principle 3): once an upset
//! customer's problem is resolved, the agent records its root cause before the ticket
//! may close, and may link it to a *problem* — the underlying fault that groups every
//! ticket it caused, so the next agent (and the knowledge base) starts from it.

use crate::ErrorCode;
use crate::handoff::informative_words;
use crate::{Invalid, named_enum};

named_enum!(
    /// Where an underlying fault stands: `open` (being investigated), `known_error` (the
    /// cause is known and a workaround exists; a fix is pending) or `resolved`.
    ProblemStatus, "status", InvalidProblemStatus {
        Open => "open",
        KnownError => "known_error",
        Resolved => "resolved",
    }
);

/// Checks a root cause: up to 2,000 characters naming at least two informative things
/// the ticket's subject does not already say ("the printer broke" on a ticket called
/// "Printer broken" diagnoses nothing).
pub fn root_cause(raw: &str, subject: &str) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.chars().count() > 2000 {
        return Err(Invalid::new(
            "root_cause",
            ErrorCode::RootCauseTooLong,
            "a root cause has at most 2,000 characters",
        ));
    }
    if informative_words(text, subject) < 2 {
        return Err(Invalid::new(
            "root_cause",
            ErrorCode::RootCauseTooThin,
            "say what caused the problem beyond the subject: what failed, and why",
        ));
    }
    Ok(text.to_string())
}

/// An optional free text field: trimmed, empty is none, at most `max` characters.
pub fn optional_text(
    raw: Option<&str>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, Invalid> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > max => Err(Invalid::new(
            field,
            ErrorCode::TextTooLong,
            format!("{field} has at most {max} characters"),
        )),
        other => Ok(other.map(str::to_string)),
    }
}

/// A problem's title: 3 to 200 characters.
pub fn problem_title(raw: &str) -> Result<String, Invalid> {
    let t = raw.trim();
    match t.chars().count() {
        3..=200 => Ok(t.to_string()),
        _ => Err(Invalid::new(
            "title",
            ErrorCode::InvalidProblemTitle,
            "a problem's title has 3 to 200 characters",
        )),
    }
}

/// Whether a ticket may close: one whose customer was upset at any point closes only
/// once its root cause is recorded; others close freely.
pub fn may_close(was_upset: bool, diagnosed: bool) -> bool {
    diagnosed || !was_upset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_cause_says_more_than_the_subject() {
        let subject = "Printer broken";
        assert_eq!(
            root_cause("the printer is broken", subject)
                .unwrap_err()
                .code,
            "root_cause_too_thin"
        );
        assert!(
            root_cause(
                "Print server's queue filled the disk after the driver update",
                subject
            )
            .is_ok()
        );
        assert_eq!(
            root_cause(&"disk ".repeat(500), subject).unwrap_err().code,
            "root_cause_too_long"
        );
    }

    #[test]
    fn only_upset_tickets_wait_for_a_diagnosis() {
        assert!(may_close(false, false));
        assert!(may_close(true, true));
        assert!(!may_close(true, false));
    }

    #[test]
    fn problem_titles_and_statuses_are_checked() {
        assert!(problem_title("  VPN gateway drops idle sessions ").is_ok());
        assert_eq!(problem_title("x").unwrap_err().field, Some("title"));
        assert_eq!(
            "known_error".parse::<ProblemStatus>().unwrap(),
            ProblemStatus::KnownError
        );
        assert!("fixed".parse::<ProblemStatus>().is_err());
        assert_eq!(optional_text(Some("  "), "resolution", 10).unwrap(), None);
        assert!(optional_text(Some("0123456789ab"), "resolution", 10).is_err());
    }
}
