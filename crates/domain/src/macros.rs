//! Canned replies (macros): a body with placeholders such as `{{customer.first_name}}`,
//! checked when the macro is saved (an unknown name is refused, naming it) and filled per
//! ticket when an agent uses it. `{{` with no closing `}}` is plain text.

use crate::{ErrorCode, Invalid};

/// One placeholder a macro body may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placeholder {
    pub name: &'static str,
    /// What it becomes, for the people writing macros.
    pub meaning: &'static str,
    /// What it becomes when the ticket has no such value (no promise yet, no team).
    pub fallback: &'static str,
}

/// Every placeholder a macro body may use.
pub const PLACEHOLDERS: &[Placeholder] = &[
    Placeholder {
        name: "customer.first_name",
        meaning: "the customer's first name",
        fallback: "there",
    },
    Placeholder {
        name: "customer.name",
        meaning: "the customer's full name",
        fallback: "there",
    },
    Placeholder {
        name: "ticket.number",
        meaning: "the ticket's number",
        fallback: "",
    },
    Placeholder {
        name: "ticket.subject",
        meaning: "the ticket's subject",
        fallback: "",
    },
    Placeholder {
        name: "agent.name",
        meaning: "your name",
        fallback: "",
    },
    Placeholder {
        name: "agent.first_name",
        meaning: "your first name",
        fallback: "",
    },
    Placeholder {
        name: "team.name",
        meaning: "the ticket's team",
        fallback: "our support team",
    },
    Placeholder {
        name: "promise.time",
        meaning: "when the customer is promised the next update, in their time zone",
        fallback: "shortly",
    },
];

/// The longest body a macro may have, in bytes.
pub const MAX_BODY: usize = 20_000;
/// The longest title, in characters.
pub const MAX_TITLE: usize = 200;

/// One piece of a body: text as written, or a placeholder's name (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Name(&'a str),
}

fn pieces(body: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            break;
        };
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        out.push(Piece::Name(rest[open + 2..open + 2 + close].trim()));
        rest = &rest[open + 2 + close + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

fn known(name: &str) -> Option<&'static Placeholder> {
    PLACEHOLDERS.iter().find(|p| p.name == name)
}

/// The placeholder names in `body` that are not in [`PLACEHOLDERS`], each once, in order.
pub fn unknown_placeholders(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in pieces(body) {
        if let Piece::Name(n) = p
            && known(n).is_none()
            && !out.iter().any(|o| o == n)
        {
            out.push(n.to_string());
        }
    }
    out
}

/// A macro's title and body as they may be saved: the title 1–200 characters, the body
/// not blank, at most [`MAX_BODY`] bytes and naming only known placeholders.
pub fn check_macro(title: &str, body: &str) -> Result<(String, String), Invalid> {
    let title = title.trim();
    if title.is_empty() {
        return Err(Invalid::new(
            "title",
            ErrorCode::MissingField,
            "give the macro a title",
        ));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(Invalid::new(
            "title",
            ErrorCode::TooLong,
            format!("a title has at most {MAX_TITLE} characters"),
        ));
    }
    if body.trim().is_empty() {
        return Err(Invalid::new(
            "body",
            ErrorCode::MissingBody,
            "write the reply the macro fills in",
        ));
    }
    if body.len() > MAX_BODY {
        return Err(Invalid::new(
            "body",
            ErrorCode::BodyTooLong,
            format!("a macro's reply is at most {MAX_BODY} bytes"),
        ));
    }
    let unknown = unknown_placeholders(body);
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|n| format!("{{{{{n}}}}}")).collect();
        let allowed: Vec<String> = PLACEHOLDERS
            .iter()
            .map(|p| format!("{{{{{}}}}}", p.name))
            .collect();
        return Err(Invalid::new(
            "body",
            ErrorCode::UnknownPlaceholder,
            format!(
                "unknown placeholder{} {}; the placeholders are {}",
                if names.len() == 1 { "" } else { "s" },
                names.join(", "),
                allowed.join(", ")
            ),
        ));
    }
    Ok((title.to_string(), body.to_string()))
}

/// `body` with each placeholder replaced by `value(name)`, or its fallback when that
/// is `None` or blank. Unknown names (a body saved before a placeholder was retired)
/// stay as written.
pub fn render(body: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(body.len());
    for p in pieces(body) {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Name(n) => match known(n) {
                Some(ph) => match value(n).filter(|v| !v.trim().is_empty()) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(ph.fallback),
                },
                None => {
                    out.push_str("{{");
                    out.push_str(n);
                    out.push_str("}}");
                }
            },
        }
    }
    out
}

/// The first word of a name ("Ada Lovelace" → "Ada").
pub fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(name: &str) -> Option<String> {
        match name {
            "customer.first_name" => Some("Ada".into()),
            "ticket.number" => Some("42".into()),
            "team.name" => None,
            _ => Some(String::new()),
        }
    }

    #[test]
    fn fills_placeholders_and_falls_back() {
        let cases = [
            ("Hi {{customer.first_name}},", "Hi Ada,"),
            (
                "Hi {{ customer.first_name }}, #{{ticket.number}}",
                "Hi Ada, #42",
            ),
            ("From {{team.name}}", "From our support team"),
            ("By {{promise.time}}.", "By shortly."),
            ("no placeholders", "no placeholders"),
            ("open {{ without close", "open {{ without close"),
            ("{{mystery}} stays", "{{mystery}} stays"),
            ("", ""),
        ];
        for (body, want) in cases {
            assert_eq!(render(body, values), want, "{body}");
        }
    }

    #[test]
    fn names_unknown_placeholders_once() {
        assert_eq!(
            unknown_placeholders("{{customer.firstname}} {{x}} {{ x }} {{ticket.number}}"),
            vec!["customer.firstname".to_string(), "x".to_string()]
        );
        assert!(unknown_placeholders("Hi {{customer.first_name}}").is_empty());
    }

    #[test]
    fn checks_title_and_body() {
        let e = check_macro("Thanks", "Hi {{customer.firstname}}").unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownPlaceholder);
        assert_eq!(e.field, Some("body"));
        assert!(
            e.message.contains("{{customer.firstname}}"),
            "{}",
            e.message
        );
        assert_eq!(check_macro(" ", "x").unwrap_err().field, Some("title"));
        assert_eq!(
            check_macro("t", "  ").unwrap_err().code,
            ErrorCode::MissingBody
        );
        assert_eq!(
            check_macro(" Thanks ", "Hi {{agent.name}}").unwrap(),
            ("Thanks".to_string(), "Hi {{agent.name}}".to_string())
        );
    }

    #[test]
    fn first_names() {
        assert_eq!(first_name("Ada Lovelace"), "Ada");
        assert_eq!(first_name("  "), "");
    }

    proptest! {
        /// Text without braces comes back unchanged, and rendering never panics.
        #[test]
        fn plain_text_is_kept(s in "[^{}]*", any in ".*") {
            prop_assert_eq!(render(&s, values), s);
            let _ = render(&any, values);
            let _ = unknown_placeholders(&any);
        }
    }
}
