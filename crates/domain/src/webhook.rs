//! Webhooks: which of heard's events a subscription may ask for and under what public
//! name, what a subscription's URL must look like, and when a failed delivery is tried
//! again. Pure: the caller passes the attempt count and the randomness (jitter).

use crate::{ErrorCode, Invalid};

/// One kind of event a subscription can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventType {
    /// The public name in deliveries and subscriptions, e.g. `ticket.created`.
    pub name: &'static str,
    /// The kind in heard's event log it comes from.
    pub event_kind: &'static str,
    /// What it means, for the docs and the admin page.
    pub about: &'static str,
}

/// Every event type a subscription may ask for, in the order the admin page lists them.
pub const EVENT_TYPES: &[EventType] = &[
    EventType {
        name: "ticket.created",
        event_kind: "created",
        about: "a ticket was opened",
    },
    EventType {
        name: "ticket.message_added",
        event_kind: "replied",
        about: "a public message was added (by the customer or by staff)",
    },
    EventType {
        name: "ticket.note_added",
        event_kind: "noted",
        about: "an internal note was added (carries the note: staff-only text)",
    },
    EventType {
        name: "ticket.status_changed",
        event_kind: "status_changed",
        about: "the status moved",
    },
    EventType {
        name: "ticket.priority_changed",
        event_kind: "priority_changed",
        about: "the priority changed",
    },
    EventType {
        name: "ticket.assigned",
        event_kind: "assigned",
        about: "the ticket was given to an agent or unassigned",
    },
    EventType {
        name: "ticket.escalated",
        event_kind: "escalated",
        about: "the ticket moved to another team or tier",
    },
    EventType {
        name: "ticket.rated",
        event_kind: "rated",
        about: "the customer rated the service",
    },
    EventType {
        name: "ticket.promise_breached",
        event_kind: "sla_breached",
        about: "a service-level target or promised update was missed",
    },
];

/// The public type for an entry of the event log, if subscriptions can ask for it.
pub fn event_type_for(event_kind: &str) -> Option<&'static EventType> {
    EVENT_TYPES.iter().find(|t| t.event_kind == event_kind)
}

/// The event types a subscription asks for: at least one, each known, without repeats,
/// in the order of [`EVENT_TYPES`].
pub fn parse_event_types<S: AsRef<str>>(names: &[S]) -> Result<Vec<&'static str>, Invalid> {
    let mut chosen = Vec::new();
    for name in names {
        let name = name.as_ref().trim();
        match EVENT_TYPES.iter().find(|t| t.name == name) {
            Some(t) => chosen.push(t.name),
            None => {
                return Err(Invalid::new(
                    "event_types",
                    ErrorCode::InvalidWebhookEventType,
                    format!(
                        "unknown event type {name:?}; known: {}",
                        EVENT_TYPES
                            .iter()
                            .map(|t| t.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
    }
    if chosen.is_empty() {
        return Err(Invalid::new(
            "event_types",
            ErrorCode::InvalidWebhookEventType,
            "choose at least one event type",
        ));
    }
    Ok(EVENT_TYPES
        .iter()
        .map(|t| t.name)
        .filter(|n| chosen.contains(n))
        .collect())
}

/// The longest URL a subscription may have.
pub const MAX_URL_LEN: usize = 2000;

/// A receiver's URL: `http` or `https`, a host, nothing that does not belong in a URL.
/// Returns the URL trimmed.
pub fn parse_url(url: &str) -> Result<String, Invalid> {
    let url = url.trim();
    let refuse = |why: &str| {
        Err(Invalid::new(
            "url",
            ErrorCode::InvalidWebhookUrl,
            format!("{why}; a webhook URL looks like https://example.com/hooks/heard"),
        ))
    };
    if url.is_empty() {
        return refuse("the URL is empty");
    }
    if url.len() > MAX_URL_LEN {
        return refuse("the URL is too long");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("the URL contains spaces or control characters");
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return refuse("only http:// and https:// URLs can receive webhooks");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        return refuse("the URL has no host");
    }
    Ok(url.to_string())
}

/// Attempts a delivery gets before it is given up and its subscription paused.
pub const MAX_ATTEMPTS: u32 = 10;

/// The wait after the n-th failed attempt (index n − 1), before jitter: quick retries
/// for a blip, then hours for an outage, about 23¾ hours from the first attempt to the
/// tenth.
const BACKOFF_MS: [i64; (MAX_ATTEMPTS - 1) as usize] = [
    30_000,
    2 * 60_000,
    10 * 60_000,
    30 * 60_000,
    60 * 60_000,
    2 * 60 * 60_000,
    4 * 60 * 60_000,
    8 * 60 * 60_000,
    8 * 60 * 60_000,
];

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again this many milliseconds from now.
    RetryIn(i64),
    /// The delivery has had its attempts: mark it failed and pause the subscription.
    GiveUp,
}

/// After `failed_attempts` attempts of one delivery have failed (1 after the first),
/// when to try again. `jitter_permille` (0–1000, random in production) spreads the wait
/// over ±20 % so receivers coming back from an outage are not hit by every sender at the
/// same instant.
pub fn after_failure(failed_attempts: u32, jitter_permille: u32) -> AfterFailure {
    if failed_attempts == 0 {
        return AfterFailure::RetryIn(0);
    }
    if failed_attempts >= MAX_ATTEMPTS {
        return AfterFailure::GiveUp;
    }
    let base = BACKOFF_MS[(failed_attempts - 1) as usize];
    let factor = 800 + 400 * i64::from(jitter_permille.min(1000)) / 1000;
    AfterFailure::RetryIn(base * factor / 1000)
}

/// Whether an HTTP status means the receiver took the delivery.
pub fn accepted(status: u16) -> bool {
    (200..300).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_maps_back_and_forth() {
        for t in EVENT_TYPES {
            assert_eq!(event_type_for(t.event_kind), Some(t));
            assert!(t.name.starts_with("ticket."));
        }
        assert_eq!(event_type_for("tags_changed"), None);
        assert_eq!(event_type_for("routed"), None);
    }

    #[test]
    fn event_types_are_known_unique_and_ordered() {
        assert_eq!(
            parse_event_types(&["ticket.status_changed", "ticket.created", "ticket.created"])
                .unwrap(),
            vec!["ticket.created", "ticket.status_changed"]
        );
        let e = parse_event_types(&["ticket.deleted"]).unwrap_err();
        assert_eq!(e.field, Some("event_types"));
        assert_eq!(e.code, ErrorCode::InvalidWebhookEventType);
        assert!(parse_event_types::<&str>(&[]).is_err());
    }

    #[test]
    fn urls_are_http_or_https_with_a_host() {
        for ok in [
            "https://example.com/hooks",
            "http://127.0.0.1:8080/x?y=1",
            "HTTPS://Example.com",
            "http://[::1]:9000/h",
            "  https://user:pw@hooks.example.com/a  ",
        ] {
            assert!(parse_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ftp://example.com",
            "javascript:alert(1)",
            "example.com/hooks",
            "https://",
            "https:///path",
            "http://exa mple.com",
            "http://:80/",
            "file:///etc/passwd",
        ] {
            let e = parse_url(bad).unwrap_err();
            assert_eq!(e.field, Some("url"), "{bad}");
            assert_eq!(e.code, ErrorCode::InvalidWebhookUrl);
        }
        assert!(parse_url(&format!("https://e.com/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }

    #[test]
    fn retries_back_off_over_about_a_day_then_give_up() {
        assert_eq!(after_failure(1, 500), AfterFailure::RetryIn(30_000));
        assert_eq!(after_failure(2, 500), AfterFailure::RetryIn(120_000));
        assert_eq!(after_failure(9, 500), AfterFailure::RetryIn(8 * 3_600_000));
        assert_eq!(after_failure(MAX_ATTEMPTS, 500), AfterFailure::GiveUp);
        assert_eq!(after_failure(MAX_ATTEMPTS + 3, 0), AfterFailure::GiveUp);
        let total: i64 = (1..MAX_ATTEMPTS)
            .map(|n| match after_failure(n, 500) {
                AfterFailure::RetryIn(ms) => ms,
                AfterFailure::GiveUp => panic!("gave up after {n}"),
            })
            .sum();
        let hours = total as f64 / 3_600_000.0;
        assert!((20.0..=28.0).contains(&hours), "{hours} h");
    }

    #[test]
    fn jitter_spreads_the_wait_by_a_fifth_either_way() {
        assert_eq!(after_failure(1, 0), AfterFailure::RetryIn(24_000));
        assert_eq!(after_failure(1, 1000), AfterFailure::RetryIn(36_000));
        // Out-of-range randomness is clamped, never a longer wait.
        assert_eq!(after_failure(1, 5000), AfterFailure::RetryIn(36_000));
    }

    proptest::proptest! {
        #[test]
        fn waits_never_shrink_much_and_stay_bounded(n in 1u32..MAX_ATTEMPTS, j1 in 0u32..=1000, j2 in 0u32..=1000) {
            let (AfterFailure::RetryIn(a), AfterFailure::RetryIn(b)) = (after_failure(n, j1), after_failure(n + 1, j2)) else {
                if n + 1 >= MAX_ATTEMPTS { return Ok(()); }
                panic!("gave up early");
            };
            proptest::prop_assert!(a > 0 && a <= 10 * 3_600_000);
            // The base never goes down, so with ±20 % jitter the next wait is at least
            // two thirds of this one.
            proptest::prop_assert!(b * 3 >= a * 2, "{a} then {b}");
        }
    }
}
