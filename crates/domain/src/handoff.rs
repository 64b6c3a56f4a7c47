//! The hand-off note that travels with every transfer and escalation. It exists so the
//! customer never explains their problem twice, so it must say more than the subject.

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
            "handoff_note_too_long",
            "a hand-off note has at most 5,000 characters",
        ));
    }
    if informative_words(note, subject) < 3 {
        return Err(Invalid::new(
            "handoff_note",
            "handoff_note_too_thin",
            "say what the receiver needs beyond the subject: what the customer told us, what was tried, what is known",
        ));
    }
    Ok(note.to_string())
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
}
