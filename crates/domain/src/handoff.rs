//! The hand-off note that travels with every transfer and escalation. It exists so the
//! customer never explains their problem twice, so it must say more than the subject.

use crate::ErrorCode;
use crate::Invalid;
use std::collections::HashSet;

/// Words that carry no information about the problem.
const FILLER: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "to",
    "of",
    "in",
    "on",
    "for",
    "with",
    "is",
    "are",
    "was",
    "be",
    "it",
    "this",
    "that",
    "please",
    "pls",
    "see",
    "ticket",
    "customer",
    "issue",
    "problem",
    "help",
    "thanks",
    "fyi",
    "escalating",
    "escalate",
    "escalated",
    "over",
    "you",
    "i",
    "we",
    "they",
    "he",
    "she",
    "has",
    "have",
    "can",
    "not",
    "can't",
    "cannot",
];

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// How many distinct informative words `text` says that `subject` does not.
pub(crate) fn informative_words(text: &str, subject: &str) -> usize {
    let known: HashSet<String> = words(subject).collect();
    words(text)
        .filter(|w| !known.contains(w) && !FILLER.contains(&w.as_str()))
        .collect::<HashSet<String>>()
        .len()
}

/// Checks a hand-off note: 1–5,000 characters with at least three informative words
/// that the ticket's subject does not already say.
pub fn note(raw: &str, subject: &str) -> Result<String, Invalid> {
    let note = raw.trim();
    if note.chars().count() > 5000 {
        return Err(Invalid::new(
            "handoff_note",
            ErrorCode::HandoffNoteTooLong,
            "a hand-off note has at most 5,000 characters",
        ));
    }
    if informative_words(note, subject) < 3 {
        return Err(Invalid::new(
            "handoff_note",
            ErrorCode::HandoffNoteTooThin,
            "say what the receiver needs beyond the subject: what the customer told us, what was tried, what is known",
        ));
    }
    Ok(note.to_string())
}

/// What was tried on a ticket so far, for the note an automatic escalation carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tried<'a> {
    /// Public replies sent to the customer, oldest first.
    pub replies: Vec<&'a str>,
    /// Internal notes, oldest first.
    pub notes: Vec<&'a str>,
    /// The customer's verified facts (key, value).
    pub facts: Vec<(&'a str, &'a str)>,
    /// "Had to repeat" events on the ticket.
    pub repeats: i64,
}

/// One line of someone's text, shortened to about `max` characters.
fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    }
}

fn business_time(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} business minutes"),
        (1, 0) => "1 business hour".into(),
        (h, 0) => format!("{h} business hours"),
        (h, m) => format!("{h} h {m} min of business time"),
    }
}

/// The hand-off note of a ticket that escalated on its own after `minutes` of business time
/// at `tier`: what was tried, so the next tier starts from there and the customer repeats
/// nothing. It always passes [`note`] (it says far more than any subject).
pub fn automatic_note(tier: i64, minutes: u32, tried: &Tried) -> String {
    let mut lines = vec![
        format!(
            "Escalated automatically: {} at tier {tier} without a resolution.",
            business_time(minutes)
        ),
        "What was tried so far:".to_string(),
    ];
    let before = lines.len();
    match tried.replies.as_slice() {
        [] => {}
        [only] => lines.push(format!(
            "- 1 reply to the customer: \"{}\"",
            excerpt(only, 200)
        )),
        [.., last] => lines.push(format!(
            "- {} replies to the customer; the last: \"{}\"",
            tried.replies.len(),
            excerpt(last, 200)
        )),
    }
    if !tried.notes.is_empty() {
        let notes: Vec<String> = tried
            .notes
            .iter()
            .rev()
            .take(5)
            .rev()
            .map(|n| format!("\"{}\"", excerpt(n, 160)))
            .collect();
        lines.push(format!("- Internal notes: {}", notes.join("; ")));
    }
    if !tried.facts.is_empty() {
        let facts: Vec<String> = tried
            .facts
            .iter()
            .map(|(k, v)| format!("{} = {}", k.replace('_', " "), excerpt(v, 80)))
            .collect();
        lines.push(format!("- Verified facts: {}", facts.join("; ")));
    }
    if lines.len() == before {
        lines.push(
            "- Nothing yet: no reply, no internal note and no verified fact. Start by \
             acknowledging the customer."
                .into(),
        );
    }
    match tried.repeats {
        0 => {}
        1 => lines.push("The customer already had to repeat themselves once.".into()),
        n => lines.push(format!(
            "The customer already had to repeat themselves {n} times."
        )),
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_must_say_more_than_the_subject() {
        let subject = "VPN drops every hour";
        assert_eq!(note("", subject).unwrap_err().code, "handoff_note_too_thin");
        assert_eq!(
            note("VPN drops every hour, please help", subject)
                .unwrap_err()
                .code,
            "handoff_note_too_thin"
        );
        assert!(note(
            "Customer on macOS 14; reinstalled the client and reset keys, still drops at 60 min",
            subject
        )
        .is_ok());
    }

    #[test]
    fn overly_long_notes_are_refused() {
        let long = "word ".repeat(1200);
        assert_eq!(note(&long, "x").unwrap_err().code, "handoff_note_too_long");
    }

    #[test]
    fn an_automatic_note_lists_what_was_tried() {
        let tried = Tried {
            replies: vec![
                "Hello, looking into it.",
                "I reset your VPN profile; please try again.",
            ],
            notes: vec!["Gateway logs show   session\n timeouts."],
            facts: vec![("vpn_client", "GlobalConnect 6.2.1")],
            repeats: 2,
        };
        let text = automatic_note(1, 480, &tried);
        assert_eq!(
            text,
            "Escalated automatically: 8 business hours at tier 1 without a resolution.\n\
             What was tried so far:\n\
             - 2 replies to the customer; the last: \"I reset your VPN profile; please try again.\"\n\
             - Internal notes: \"Gateway logs show session timeouts.\"\n\
             - Verified facts: vpn client = GlobalConnect 6.2.1\n\
             The customer already had to repeat themselves 2 times."
        );
        assert!(note(&text, "VPN drops every hour").is_ok());
        let nothing = automatic_note(2, 45, &Tried::default());
        assert!(
            nothing.contains("45 business minutes at tier 2"),
            "{nothing}"
        );
        assert!(nothing.contains("Nothing yet"), "{nothing}");
        assert!(note(&nothing, "Anything").is_ok());
        let long = "word ".repeat(100);
        let one = automatic_note(
            1,
            61,
            &Tried {
                replies: vec![&long],
                ..Tried::default()
            },
        );
        assert!(
            one.contains("1 h 1 min") && one.contains("1 reply") && one.contains('…'),
            "{one}"
        );
    }
}
