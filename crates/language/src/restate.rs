//! "Had to repeat" detection (DOMAIN.md principle 2): does a new customer message restate
//! one of their earlier messages on the same ticket?
//!
//! Two messages restate each other when most of the content words of the shorter one come
//! back in the other (after folding plurals and verb endings). A restatement marker in the
//! new message ("as I said", "again") lowers the bar, because the customer is telling us so.

use crate::fxhash::FxHashSet as HashSet;

use serde::{Deserialize, Serialize};

use crate::frustration::SignalKind;
use crate::lexicon::{EN, Lexicon};
use crate::text::{Analyzed, Token, analyze};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Restatement {
    /// Index into the `earlier` slice of the message that is restated (the most similar).
    pub earlier_index: usize,
    /// 0–1: the share of the shorter message's content words found in the other.
    pub similarity: f32,
    /// The content words both messages share (folded forms), in the new message's order.
    pub shared_terms: Vec<String>,
    /// Byte span in the new message from the first to the last shared word.
    pub start: usize,
    pub end: usize,
}

/// Minimum share of shared content words, without and with a restatement marker.
const THRESHOLD: f32 = 0.5;
const THRESHOLD_WITH_MARKER: f32 = 0.35;
/// Fewer shared words than this is coincidence ("printer", "broken").
const MIN_SHARED: usize = 3;

pub fn detect_restatement(earlier: &[&str], new: &str) -> Option<Restatement> {
    restatement_with(&EN, earlier, new)
}

/// Folds inflection so "crashes", "crashed" and "crashing" meet.
fn fold(w: &str) -> &str {
    let w = w.strip_suffix("'s").unwrap_or(w);
    for suf in ["ing", "ed", "es", "s"] {
        if let Some(stem) = w.strip_suffix(suf)
            && stem.chars().count() >= 3
            && !(suf == "s" && stem.ends_with('s'))
        {
            return stem;
        }
    }
    w
}

fn content<'a, 't>(lex: &Lexicon, toks: &'a [Token<'t>]) -> Vec<(&'a str, &'a Token<'t>)> {
    toks.iter()
        .filter(|t| !t.quoted && !lex.stopwords.contains(&*t.norm))
        .filter(|t| t.norm.chars().count() >= 2 || t.norm.bytes().all(|b| b.is_ascii_digit()))
        .map(|t| (fold(&t.norm), t))
        .collect()
}

pub(crate) fn restatement_with(lex: &Lexicon, earlier: &[&str], new: &str) -> Option<Restatement> {
    let a = analyze(new, lex);
    // The marker is only looked for when it can matter.
    let marker = || {
        lex.find(&lex.frustration, &a.tokens)
            .iter()
            .any(|m| lex.frustration.rules[m.rule].kind == SignalKind::Repetition)
    };
    restatement_of(lex, earlier, &a, marker)
}

/// Restatement of the analysed new message `a`; `marker` says whether it has a
/// restatement marker (a `repetition` rule of `frustration.tsv` matches).
pub(crate) fn restatement_of(
    lex: &Lexicon,
    earlier: &[&str],
    a: &Analyzed,
    marker: impl FnOnce() -> bool,
) -> Option<Restatement> {
    let new_words = content(lex, &a.tokens);
    let new_set: HashSet<&str> = new_words.iter().map(|(w, _)| *w).collect();
    if new_set.len() < MIN_SHARED {
        return None;
    }
    let threshold = if marker() {
        THRESHOLD_WITH_MARKER
    } else {
        THRESHOLD
    };

    let mut best: Option<(usize, f32, HashSet<&str>)> = None;
    for (i, e) in earlier.iter().enumerate() {
        let ea = analyze(e, lex);
        let e_set: HashSet<&str> = content(lex, &ea.tokens)
            .into_iter()
            .map(|(w, _)| w)
            .collect();
        if e_set.len() < MIN_SHARED {
            continue;
        }
        // As the new message's words, which outlive this earlier message's analysis.
        let shared: HashSet<&str> = e_set
            .iter()
            .filter_map(|w| new_set.get(*w).copied())
            .collect();
        if shared.len() < MIN_SHARED {
            continue;
        }
        let smaller = e_set.len().min(new_set.len()) as f32;
        let sim = shared.len() as f32 / smaller;
        if sim >= threshold && best.as_ref().is_none_or(|b| sim > b.1) {
            best = Some((i, sim, shared));
        }
    }
    let (earlier_index, similarity, shared) = best?;
    let mut listed: HashSet<&str> = HashSet::default();
    let mut shared_terms = Vec::new();
    let (mut start, mut end) = (usize::MAX, 0);
    for &(w, t) in &new_words {
        if shared.contains(w) {
            start = start.min(t.start);
            end = end.max(t.end);
            if listed.insert(w) {
                shared_terms.push(w.to_string());
            }
        }
    }
    Some(Restatement {
        earlier_index,
        similarity: (similarity * 100.0).round() / 100.0,
        shared_terms,
        start,
        end,
    })
}
