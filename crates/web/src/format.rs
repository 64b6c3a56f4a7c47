//! Words and times as people read them.

use jiff::Timestamp;

/// "Mon 23 Nov, 14:05 UTC" from an RFC 3339 instant; the input when it does not parse.
pub fn when(rfc3339: &str) -> String {
    match rfc3339.parse::<Timestamp>() {
        Ok(t) => t.strftime("%a %-d %b, %H:%M UTC").to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// "3 h ago", "in 20 min" relative to `now_ms`.
pub fn relative(rfc3339: &str, now_ms: i64) -> String {
    let Ok(t) = rfc3339.parse::<Timestamp>() else {
        return String::new();
    };
    let diff = t.as_millisecond() - now_ms;
    let minutes = diff.abs() / 60_000;
    let span = if minutes < 1 {
        return "just now".into();
    } else if minutes < 60 {
        format!("{minutes} min")
    } else if minutes < 48 * 60 {
        format!("{} h", minutes / 60)
    } else {
        format!("{} days", minutes / (24 * 60))
    };
    if diff < 0 {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

pub fn millis(rfc3339: &str) -> Option<i64> {
    rfc3339
        .parse::<Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

/// What a status means to the customer.
pub fn status_for_customer(status: &str) -> &'static str {
    match status {
        "new" => "Received",
        "open" => "Being worked on",
        "pending_customer" => "Waiting for your reply",
        "pending_third_party" => "Waiting on a supplier",
        "resolved" => "Solved",
        "closed" => "Closed",
        _ => "In progress",
    }
}

/// What a status means to staff.
pub fn status_for_staff(status: &str) -> &'static str {
    match status {
        "new" => "New",
        "open" => "Open",
        "pending_customer" => "Waiting on customer",
        "pending_third_party" => "Waiting on third party",
        "resolved" => "Resolved",
        "closed" => "Closed",
        _ => "Unknown",
    }
}

pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn priority_rank(p: &str) -> u8 {
    match p {
        "urgent" => 0,
        "high" => 1,
        "normal" => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_times() {
        assert_eq!(when("2026-11-23T14:05:00Z"), "Mon 23 Nov, 14:05 UTC");
        let now = millis("2026-11-23T14:05:00Z").unwrap();
        assert_eq!(relative("2026-11-23T11:05:00Z", now), "3 h ago");
        assert_eq!(relative("2026-11-23T14:25:00Z", now), "in 20 min");
        assert_eq!(relative("2026-11-20T14:05:00Z", now), "3 days ago");
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(url_encode("/agent?x=1&y"), "/agent%3Fx%3D1%26y");
    }
}
