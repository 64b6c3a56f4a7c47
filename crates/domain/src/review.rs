//! Quality review (DOMAIN.md principle 8): a supervisor or a named reviewer scores one
//! agent's part of a real conversation on the H.E.A.R.D. and bill-of-rights rubric.
//!
//! Scale: each item is scored 0–4 (0 not at all, 1 barely, 2 partly, 3 mostly, 4 fully),
//! or marked not applicable. Five anchored levels are enough to tell coaching points apart
//! without inviting hair-splitting, and a zero that means "absent" keeps averages honest.
//! "Not applicable" exists because some items do not arise in every conversation (there is
//! nothing to apologize for on a calm how-to question, no root cause to diagnose for a
//! password reset): such items are left out of the overall score instead of counting as
//! zero or as full marks.
//!
//! Everything here is pure: validating a rubric edit and a review against its rubric, the
//! overall score, the weekly trend, why a conversation enters the review queue, and the
//! scores suggested from evidence already recorded.

use crate::{ErrorCode, Invalid};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The highest score of an item.
pub const MAX_SCORE: u8 = 4;
const MAX_ITEMS: usize = 30;
const MAX_LABEL: usize = 80;
const MAX_GUIDE: usize = 400;
pub const MAX_COMMENT: usize = 2000;
pub const MAX_COMMENTS: usize = 50;

/// One thing a reviewer scores. The key is stable across edits (a rename changes the
/// label), so old reviews, suggestions and per-item averages keep their meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RubricItem {
    pub key: String,
    pub label: String,
    /// What the reviewer looks for.
    #[serde(default)]
    pub guide: String,
}

fn item(key: &str, label: &str, guide: &str) -> RubricItem {
    RubricItem {
        key: key.into(),
        label: label.into(),
        guide: guide.into(),
    }
}

/// The rubric a new desk starts with: H.E.A.R.D. and the customer's bill of rights.
pub fn default_rubric() -> Vec<RubricItem> {
    vec![
        item(
            "hear",
            "Hear",
            "Let the customer tell the whole story and acknowledged it before answering.",
        ),
        item(
            "empathize",
            "Empathize",
            "Showed understanding of how the problem affects the customer.",
        ),
        item(
            "apologize",
            "Apologize",
            "Apologized for the experience where something went wrong, without blame.",
        ),
        item(
            "resolve",
            "Resolve",
            "Fixed the problem or made a clear plan to; the resolution is recorded.",
        ),
        item(
            "diagnose",
            "Diagnose",
            "Found and recorded the root cause so it does not happen again.",
        ),
        item(
            "listened",
            "Listened to",
            "The customer felt heard: never had to repeat themselves.",
        ),
        item(
            "serious",
            "Taken seriously",
            "Treated the problem as real even when it was simple; no dismissal or blame.",
        ),
        item(
            "respect",
            "Respect, not condescension",
            "A conversation, not a string of questions; no condescension, sarcasm or jargon.",
        ),
        item(
            "timely",
            "Timely action",
            "Answered and updated within the promised times.",
        ),
        item(
            "next_step",
            "Knew what happens next",
            "Each reply said what happens next and when.",
        ),
    ]
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 32
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// An admin's edit of the rubric, checked and tidied (labels and guides trimmed).
pub fn validate_rubric(items: Vec<RubricItem>) -> Result<Vec<RubricItem>, Invalid> {
    let bad = |m: String| Invalid::new("items", ErrorCode::InvalidRubric, m);
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(bad(format!("a rubric has 1 to {MAX_ITEMS} items")));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        let key = i.key.trim().to_string();
        if !valid_key(&key) {
            return Err(bad(format!(
                "item key “{key}”: lower-case letters, digits and _, starting with a letter, at most 32"
            )));
        }
        if !seen.insert(key.clone()) {
            return Err(bad(format!("item key “{key}” appears twice")));
        }
        let label = i.label.trim().to_string();
        if label.is_empty() || label.chars().count() > MAX_LABEL {
            return Err(bad(format!(
                "item “{key}”: a label has 1 to {MAX_LABEL} characters"
            )));
        }
        let guide = i.guide.trim().to_string();
        if guide.chars().count() > MAX_GUIDE {
            return Err(bad(format!(
                "item “{key}”: a guide has at most {MAX_GUIDE} characters"
            )));
        }
        out.push(RubricItem { key, label, guide });
    }
    Ok(out)
}

/// A reviewer's scores checked against the rubric they were given: every item scored
/// 0–4 or marked not applicable (`None`), nothing else. Returns them in rubric order.
pub fn validate_scores(
    rubric: &[RubricItem],
    scores: &BTreeMap<String, Option<i64>>,
) -> Result<Vec<(String, Option<u8>)>, Invalid> {
    if let Some(unknown) = scores.keys().find(|k| !rubric.iter().any(|i| &i.key == *k)) {
        return Err(Invalid::new(
            "scores",
            ErrorCode::UnknownRubricItem,
            format!("scores.{unknown}: the rubric has no such item"),
        ));
    }
    rubric
        .iter()
        .map(|i| match scores.get(&i.key) {
            None => Err(Invalid::new(
                "scores",
                ErrorCode::MissingScore,
                format!(
                    "scores.{}: score “{}” from 0 to 4, or null for not applicable",
                    i.key, i.label
                ),
            )),
            Some(None) => Ok((i.key.clone(), None)),
            Some(Some(n)) if (0..=i64::from(MAX_SCORE)).contains(n) => {
                Ok((i.key.clone(), Some(*n as u8)))
            }
            Some(Some(n)) => Err(Invalid::new(
                "scores",
                ErrorCode::InvalidScore,
                format!(
                    "scores.{}: {n} is not a score; use a whole number from 0 to 4, or null for not applicable",
                    i.key
                ),
            )),
        })
        .collect()
}

/// The overall score in percent of the full marks of the applicable items, or `None` when
/// every item was not applicable.
pub fn overall_percent(scores: &[Option<u8>]) -> Option<u8> {
    let scored: Vec<u32> = scores.iter().flatten().map(|s| u32::from(*s)).collect();
    if scored.is_empty() {
        return None;
    }
    let full = scored.len() as u32 * u32::from(MAX_SCORE);
    let got: u32 = scored.iter().sum();
    Some(((got * 100 + full / 2) / full) as u8)
}

/// A comment's anchor on a message: the whole message, or a span of byte offsets into
/// its text that falls on character boundaries.
pub fn validate_span(body: &str, start: Option<i64>, end: Option<i64>) -> Result<(), Invalid> {
    let bad = |m: &str| Invalid::new("comments", ErrorCode::InvalidAnchor, m);
    match (start, end) {
        (None, None) => Ok(()),
        (Some(s), Some(e)) => {
            if s < 0 || e <= s || e as usize > body.len() {
                return Err(bad(
                    "a span's start and end are byte offsets into the message, start before end",
                ));
            }
            if !body.is_char_boundary(s as usize) || !body.is_char_boundary(e as usize) {
                return Err(bad("a span must start and end between characters"));
            }
            Ok(())
        }
        _ => Err(bad("a span needs both start and end")),
    }
}

/// Checks a comment's text: present and not too long. Returns it trimmed.
pub fn comment_text(body: &str) -> Result<String, Invalid> {
    let t = body.trim();
    if t.is_empty() || t.chars().count() > MAX_COMMENT {
        return Err(Invalid::new(
            "comments",
            ErrorCode::InvalidComment,
            format!("a comment has 1 to {MAX_COMMENT} characters"),
        ));
    }
    Ok(t.to_string())
}

const WEEK_MS: i64 = 7 * 86_400_000;
/// 1970-01-01 was a Thursday; weeks start on Monday 00:00 UTC.
const MONDAY_OFFSET_MS: i64 = 4 * 86_400_000;

/// The Monday (00:00 UTC) of the week holding `at` (milliseconds since the epoch).
pub fn week_start(at: i64) -> i64 {
    (at - MONDAY_OFFSET_MS).div_euclid(WEEK_MS) * WEEK_MS + MONDAY_OFFSET_MS
}

/// One week of an agent's trend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekAverage {
    pub week_start: i64,
    pub reviews: u32,
    /// The mean of the week's overall scores, rounded; `None` if none had a score.
    pub average: Option<u8>,
}

/// Averages overall scores per week, oldest week first.
pub fn weekly_trend(points: &[(i64, Option<u8>)]) -> Vec<WeekAverage> {
    let mut weeks: BTreeMap<i64, (u32, u32, u32)> = BTreeMap::new();
    for (at, score) in points {
        let w = weeks.entry(week_start(*at)).or_default();
        w.0 += 1;
        if let Some(s) = score {
            w.1 += u32::from(*s);
            w.2 += 1;
        }
    }
    weeks
        .into_iter()
        .map(|(week_start, (reviews, sum, scored))| WeekAverage {
            week_start,
            reviews,
            average: (scored > 0).then(|| ((sum + scored / 2) / scored) as u8),
        })
        .collect()
}

/// Why a conversation is worth a reviewer's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    PoorRating,
    Upset,
    MissedPromise,
    ToneSentAnyway,
    Reopened,
    Transfers,
    /// A random pick among resolved tickets, so good work is seen too.
    Sample,
}

impl Reason {
    pub const ALL: [Reason; 7] = [
        Reason::PoorRating,
        Reason::Upset,
        Reason::MissedPromise,
        Reason::ToneSentAnyway,
        Reason::Reopened,
        Reason::Transfers,
        Reason::Sample,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::PoorRating => "poor_rating",
            Reason::Upset => "upset_customer",
            Reason::MissedPromise => "missed_promise",
            Reason::ToneSentAnyway => "tone_findings_sent",
            Reason::Reopened => "reopened",
            Reason::Transfers => "transfers",
            Reason::Sample => "sample",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Reason::PoorRating => "Poor survey rating",
            Reason::Upset => "Upset customer",
            Reason::MissedPromise => "Promise missed",
            Reason::ToneSentAnyway => "Tone findings sent anyway",
            Reason::Reopened => "Reopened",
            Reason::Transfers => "Several transfers",
            Reason::Sample => "Random sample",
        }
    }
}

/// A frustration score from which a customer counts as upset (the "frustrated" level).
pub const UPSET_FROM: i64 = 50;
/// From this many transfers a ticket is worth a look.
pub const TRANSFERS_FROM: i64 = 2;
/// One resolved ticket in this many is sampled.
pub const SAMPLE_ONE_IN: u64 = 5;

/// Whether a resolved ticket falls in the random sample: a fixed hash of its id, so the
/// pick is the same in every process and on every scan, yet spread evenly over ids.
pub fn sampled(ticket_id: i64) -> bool {
    let mut x = ticket_id as u64 ^ 0x9e37_79b9_7f4a_7c15;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    x.is_multiple_of(SAMPLE_ONE_IN)
}

/// What an event of the ticket's log says, as far as the review queue cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFacts {
    pub ticket_id: i64,
    pub kind: String,
    /// `rated`: the survey rating.
    pub rating: Option<i64>,
    /// `replied`: whether the customer wrote it, and its frustration score.
    pub by_customer: bool,
    pub frustration: Option<i64>,
    /// `replied` by staff: the tone coach's finding kinds on the sent reply.
    pub tone_findings: Vec<String>,
    /// `status_changed`.
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// `sla_breached`: which target was missed.
    pub subject: Option<String>,
    /// The ticket's transfers when the scan read the event.
    pub transfers: i64,
}

fn words(s: &str) -> String {
    s.replace('_', " ")
}

/// The reasons (with a line of evidence each) an event gives to review its ticket.
pub fn reasons_of_event(e: &EventFacts) -> Vec<(Reason, String)> {
    let mut out = Vec::new();
    match e.kind.as_str() {
        "rated" => {
            if let Some(r) = e.rating.filter(|r| *r <= 2) {
                out.push((Reason::PoorRating, format!("rated {r}/5")));
            }
        }
        "replied" if e.by_customer => {
            if let Some(f) = e.frustration.filter(|f| *f >= UPSET_FROM) {
                let level = if f >= 75 { "angry" } else { "frustrated" };
                out.push((
                    Reason::Upset,
                    format!("a customer message scored {f} ({level})"),
                ));
            }
        }
        "replied" if !e.tone_findings.is_empty() => {
            let kinds: BTreeSet<String> = e.tone_findings.iter().map(|k| words(k)).collect();
            out.push((
                Reason::ToneSentAnyway,
                format!(
                    "a reply was sent with tone findings: {}",
                    kinds.into_iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        "abuse_flagged" => out.push((Reason::Upset, "a message was flagged abusive".into())),
        "sla_breached" => {
            let what = e.subject.as_deref().map(words);
            out.push((
                Reason::MissedPromise,
                format!("the {} was missed", what.as_deref().unwrap_or("target")),
            ));
        }
        "status_changed" => {
            let from = e.from_status.as_deref().unwrap_or("");
            let to = e.to_status.as_deref().unwrap_or("");
            let solved = |s: &str| s == "resolved" || s == "closed";
            if solved(from) && !solved(to) {
                out.push((Reason::Reopened, format!("reopened after it was {from}")));
            }
            if to == "resolved" && !solved(from) && sampled(e.ticket_id) {
                out.push((
                    Reason::Sample,
                    "picked at random among resolved tickets".into(),
                ));
            }
        }
        _ => {}
    }
    if e.transfers >= TRANSFERS_FROM {
        out.push((
            Reason::Transfers,
            format!("transferred {} times", e.transfers),
        ));
    }
    out
}

/// The H.E.A.R.D. checklist the tone coach recorded on a sent reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checklist {
    pub acknowledges: bool,
    pub empathizes: bool,
    pub apologizes: bool,
    pub next_step: bool,
    pub time_frame: bool,
}

/// One public reply of the reviewed agent and what the tone coach found in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyFacts {
    pub message_id: i64,
    /// Finding kinds as the tone coach names them (`condescension`, `no_next_step`…).
    pub findings: Vec<String>,
    /// `None` when the reply was sent without a tone review.
    pub checklist: Option<Checklist>,
}

/// Everything recorded about a conversation that bears on the rubric.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationFacts {
    /// The reviewed agent's public replies, oldest first.
    pub replies: Vec<ReplyFacts>,
    /// The customer's messages' frustration scores, oldest first, each with whether it
    /// came after the reviewed agent's first reply.
    pub frustration: Vec<(i64, bool)>,
    /// "Had to repeat" events: the customer restated something already said.
    pub repeats: i64,
    /// Targets missed (`first_response`, `next_update`, `resolution`).
    pub breaches: Vec<String>,
    /// Promises of a next update the agent made.
    pub promises: i64,
    pub resolved: bool,
    pub reopened: bool,
    /// The root cause recorded (Diagnose), if any.
    pub root_cause: Option<String>,
}

/// What the evidence suggests for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggested {
    Score(u8),
    NotApplicable,
    /// Nothing recorded bears on it: the reviewer decides from the conversation.
    NoEvidence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub key: String,
    pub suggested: Suggested,
    pub evidence: Vec<String>,
}

fn count_kinds(facts: &ConversationFacts, kinds: &[&str]) -> (usize, BTreeSet<String>) {
    let mut n = 0;
    let mut seen = BTreeSet::new();
    for r in &facts.replies {
        for f in &r.findings {
            if kinds.contains(&f.as_str()) {
                n += 1;
                seen.insert(words(f));
            }
        }
    }
    (n, seen)
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Pre-fills the rubric from evidence already recorded. Items the rules do not know
/// (an admin's own) get `NoEvidence`; the reviewer confirms or changes every one.
pub fn suggest(rubric: &[RubricItem], facts: &ConversationFacts) -> Vec<Suggestion> {
    rubric
        .iter()
        .map(|i| {
            let (suggested, evidence) = suggest_item(&i.key, facts);
            Suggestion {
                key: i.key.clone(),
                suggested,
                evidence,
            }
        })
        .collect()
}

fn suggest_item(key: &str, f: &ConversationFacts) -> (Suggested, Vec<String>) {
    use Suggested::*;
    let reviewed: Vec<&Checklist> = f
        .replies
        .iter()
        .filter_map(|r| r.checklist.as_ref())
        .collect();
    let upset_peak = f.frustration.iter().map(|(s, _)| *s).max();
    let upset = upset_peak.is_some_and(|p| p >= UPSET_FROM);
    let any = |p: fn(&Checklist) -> bool| reviewed.iter().filter(|c| p(c)).count();
    let replies = reviewed.len();
    if f.replies.is_empty() {
        return (NoEvidence, vec!["the agent sent no public reply".into()]);
    }
    match key {
        "hear" => {
            if replies == 0 {
                return (
                    NoEvidence,
                    vec!["no tone review was recorded on the replies".into()],
                );
            }
            let first = reviewed[0].acknowledges;
            let n = any(|c| c.acknowledges);
            let (asks, _) = count_kinds(f, &["asks_known_fact"]);
            let mut ev = vec![format!(
                "{} of {} acknowledged what the customer said{}",
                n,
                plural(replies, "reply"),
                if first {
                    ", the first one included"
                } else {
                    ""
                }
            )];
            let mut s: i32 = if first {
                4
            } else if n > 0 {
                3
            } else {
                1
            };
            if asks > 0 {
                s -= 1;
                ev.push(format!(
                    "asked for something the profile already held ({})",
                    plural(asks, "time")
                ));
            }
            (Score(s.clamp(0, 4) as u8), ev)
        }
        "empathize" => {
            if replies == 0 {
                return (
                    NoEvidence,
                    vec!["no tone review was recorded on the replies".into()],
                );
            }
            let n = any(|c| c.empathizes);
            if n > 0 {
                (
                    Score(4),
                    vec![format!(
                        "{} of {} showed empathy",
                        n,
                        plural(replies, "reply")
                    )],
                )
            } else if upset {
                (
                    Score(1),
                    vec![format!(
                        "the customer was upset (frustration up to {}) and no reply showed empathy",
                        upset_peak.unwrap_or(0)
                    )],
                )
            } else {
                (
                    Score(2),
                    vec!["no reply showed empathy; the customer stayed calm".into()],
                )
            }
        }
        "apologize" => {
            let needed = upset || !f.breaches.is_empty();
            let n = any(|c| c.apologizes);
            if n > 0 {
                (
                    Score(4),
                    vec![format!(
                        "{} of {} apologized for the experience",
                        n,
                        plural(replies, "reply")
                    )],
                )
            } else if needed && replies > 0 {
                let why = if upset {
                    "the customer was upset"
                } else {
                    "a target was missed"
                };
                (Score(1), vec![format!("{why} and no reply apologized")])
            } else if replies == 0 {
                (
                    NoEvidence,
                    vec!["no tone review was recorded on the replies".into()],
                )
            } else {
                (
                    NotApplicable,
                    vec!["the customer was calm and no target was missed".into()],
                )
            }
        }
        "resolve" => {
            let mut ev = Vec::new();
            let arc = frustration_arc(f);
            if let Some(a) = &arc {
                ev.push(a.1.clone());
            }
            if !f.resolved {
                ev.insert(0, "the ticket is not resolved yet".into());
                return (NoEvidence, ev);
            }
            if f.reopened {
                ev.insert(0, "resolved, but the customer reopened it".into());
                (Score(2), ev)
            } else {
                ev.insert(0, "resolved and not reopened".into());
                let s = match arc.map(|a| a.0) {
                    Some(Arc::Rose) => 3,
                    _ => 4,
                };
                (Score(s), ev)
            }
        }
        "diagnose" => match &f.root_cause {
            Some(rc) => (Score(4), vec![format!("root cause recorded: {rc}")]),
            None if upset && f.resolved => (
                Score(0),
                vec!["the customer was upset and no root cause was recorded".into()],
            ),
            None if upset => (NoEvidence, vec!["no root cause recorded yet".into()]),
            None => (
                NotApplicable,
                vec!["a calm customer; no root cause was needed".into()],
            ),
        },
        "listened" => {
            let mut ev = Vec::new();
            let arc = frustration_arc(f);
            let mut s: i32 = match &arc {
                Some((Arc::Fell, line)) => {
                    ev.push(line.clone());
                    4
                }
                Some((Arc::Flat, line)) => {
                    ev.push(line.clone());
                    3
                }
                Some((Arc::Rose, line)) => {
                    ev.push(line.clone());
                    1
                }
                None => 4,
            };
            if f.repeats > 0 {
                s = s.min(1);
                ev.push(format!(
                    "the customer had to repeat themselves ({})",
                    plural(f.repeats as usize, "time")
                ));
            } else {
                ev.push("the customer never had to repeat themselves".into());
            }
            (Score(s as u8), ev)
        }
        "serious" => tone_item(f, &["dismissive", "judgment", "blame"], "taken seriously"),
        "respect" => tone_item(
            f,
            &[
                "condescension",
                "sarcasm",
                "impatience",
                "impolite",
                "shouting",
                "jargon",
                "question_volley",
            ],
            "respectful",
        ),
        "timely" => {
            if f.breaches.is_empty() {
                let mut ev = vec!["no service-level target was missed".into()];
                if f.promises > 0 {
                    ev.push(format!(
                        "{} made and kept",
                        plural(f.promises as usize, "promise")
                    ));
                }
                (Score(4), ev)
            } else {
                let missed: Vec<String> = f.breaches.iter().map(|b| words(b)).collect();
                let s = if missed.len() == 1 { 1 } else { 0 };
                (Score(s), vec![format!("missed: {}", missed.join(", "))])
            }
        }
        "next_step" => {
            if replies == 0 {
                return (
                    NoEvidence,
                    vec!["no tone review was recorded on the replies".into()],
                );
            }
            let steps = any(|c| c.next_step);
            let times = any(|c| c.time_frame);
            let last = reviewed[replies - 1];
            let ev = vec![format!(
                "{} said the next step, {} gave a time frame (of {})",
                steps,
                times,
                plural(replies, "reply")
            )];
            let s = match (last.next_step, last.time_frame) {
                (true, true) => 4,
                (true, false) => 3,
                _ if steps > 0 => 2,
                _ => 1,
            };
            (Score(s), ev)
        }
        _ => (
            NoEvidence,
            vec!["no recorded evidence maps to this item".into()],
        ),
    }
}

fn tone_item(f: &ConversationFacts, kinds: &[&str], what: &str) -> (Suggested, Vec<String>) {
    let reviewed = f.replies.iter().filter(|r| r.checklist.is_some()).count();
    if reviewed == 0 {
        return (
            Suggested::NoEvidence,
            vec!["no tone review was recorded on the replies".into()],
        );
    }
    let (n, seen) = count_kinds(f, kinds);
    if n == 0 {
        (
            Suggested::Score(4),
            vec![format!(
                "the tone coach found nothing against it in {}",
                plural(reviewed, "reply")
            )],
        )
    } else {
        (
            Suggested::Score(4u8.saturating_sub(n.min(4) as u8)),
            vec![format!(
                "{} sent that undermine feeling {what}: {}",
                plural(n, "tone finding"),
                seen.into_iter().collect::<Vec<_>>().join(", ")
            )],
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arc {
    Fell,
    Flat,
    Rose,
}

/// How the customer's frustration moved from before the agent's first reply to their
/// last message after it.
fn frustration_arc(f: &ConversationFacts) -> Option<(Arc, String)> {
    let before = f
        .frustration
        .iter()
        .filter(|(_, after)| !after)
        .map(|(s, _)| *s)
        .max()?;
    let last = f
        .frustration
        .iter()
        .rev()
        .find(|(_, after)| *after)
        .map(|(s, _)| *s)?;
    let arc = if last + 10 <= before {
        Arc::Fell
    } else if last >= before + 10 {
        Arc::Rose
    } else {
        Arc::Flat
    };
    let verb = match arc {
        Arc::Fell => "went down",
        Arc::Flat => "stayed about the same",
        Arc::Rose => "went up",
    };
    Some((
        arc,
        format!(
            "the customer's frustration {verb}: {before} before the replies, {last} at the end"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(score: Option<i64>) -> BTreeMap<String, Option<i64>> {
        default_rubric()
            .into_iter()
            .map(|i| (i.key, score))
            .collect()
    }

    #[test]
    fn a_complete_review_validates_in_rubric_order() {
        let v = validate_scores(&default_rubric(), &all(Some(3))).unwrap();
        assert_eq!(v.len(), 10);
        assert_eq!(v[0], ("hear".to_string(), Some(3)));
    }

    #[test]
    fn bad_scores_name_the_item() {
        let r = default_rubric();
        let mut s = all(Some(2));
        s.insert("respect".into(), Some(5));
        let e = validate_scores(&r, &s).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScore);
        assert_eq!(e.field, Some("scores"));
        assert!(e.message.contains("scores.respect"), "{}", e.message);

        let mut s = all(Some(2));
        s.remove("timely");
        let e = validate_scores(&r, &s).unwrap_err();
        assert_eq!(e.code, ErrorCode::MissingScore);
        assert!(e.message.contains("scores.timely"));

        let mut s = all(Some(2));
        s.insert("charm".into(), Some(2));
        let e = validate_scores(&r, &s).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownRubricItem);
        assert!(e.message.contains("scores.charm"));
    }

    #[test]
    fn overall_leaves_not_applicable_out() {
        assert_eq!(overall_percent(&[Some(4), None, Some(2)]), Some(75));
        assert_eq!(overall_percent(&[None, None]), None);
        assert_eq!(overall_percent(&[Some(0)]), Some(0));
        assert_eq!(overall_percent(&[Some(3)]), Some(75));
        assert_eq!(overall_percent(&[Some(1), Some(0), Some(0)]), Some(8));
    }

    #[test]
    fn rubric_edits_are_checked() {
        let mut r = default_rubric();
        r.push(item("hear", "Again", ""));
        assert_eq!(
            validate_rubric(r).unwrap_err().code,
            ErrorCode::InvalidRubric
        );
        assert!(validate_rubric(vec![]).is_err());
        assert!(validate_rubric(vec![item("Bad Key", "x", "")]).is_err());
        assert!(validate_rubric(vec![item("ok", "  ", "")]).is_err());
        let ok = validate_rubric(vec![item(" ok_1 ", " Label ", " g ")]).unwrap();
        assert_eq!(ok[0], item("ok_1", "Label", "g"));
    }

    #[test]
    fn spans_fall_inside_the_message_on_char_boundaries() {
        assert!(validate_span("héllo", None, None).is_ok());
        assert!(validate_span("héllo", Some(0), Some(1)).is_ok());
        assert!(validate_span("héllo", Some(0), Some(2)).is_err());
        assert!(validate_span("hello", Some(2), Some(2)).is_err());
        assert!(validate_span("hello", Some(0), Some(6)).is_err());
        assert!(validate_span("hello", Some(-1), Some(2)).is_err());
        assert!(validate_span("hello", Some(1), None).is_err());
    }

    #[test]
    fn weeks_start_on_monday_utc() {
        // 2026-12-07 is a Monday.
        let monday = 1_796_601_600_000;
        assert_eq!(week_start(monday), monday);
        assert_eq!(week_start(monday + 6 * 86_400_000 + 1), monday);
        assert_eq!(week_start(monday - 1), monday - WEEK_MS);
        let t = weekly_trend(&[
            (monday + 1, Some(50)),
            (monday + 2, Some(100)),
            (monday - 5, None),
        ]);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].average, None);
        assert_eq!(
            t[1],
            WeekAverage {
                week_start: monday,
                reviews: 2,
                average: Some(75)
            }
        );
    }

    #[test]
    fn events_give_reasons() {
        let ev = |kind: &str| EventFacts {
            ticket_id: 3,
            kind: kind.into(),
            ..Default::default()
        };
        let cases: Vec<(EventFacts, Vec<Reason>)> = vec![
            (
                EventFacts {
                    rating: Some(1),
                    ..ev("rated")
                },
                vec![Reason::PoorRating],
            ),
            (
                EventFacts {
                    rating: Some(4),
                    ..ev("rated")
                },
                vec![],
            ),
            (
                EventFacts {
                    by_customer: true,
                    frustration: Some(80),
                    ..ev("replied")
                },
                vec![Reason::Upset],
            ),
            (
                EventFacts {
                    by_customer: true,
                    frustration: Some(20),
                    ..ev("replied")
                },
                vec![],
            ),
            (
                EventFacts {
                    tone_findings: vec!["condescension".into()],
                    ..ev("replied")
                },
                vec![Reason::ToneSentAnyway],
            ),
            (ev("replied"), vec![]),
            (
                EventFacts {
                    subject: Some("next_update".into()),
                    ..ev("sla_breached")
                },
                vec![Reason::MissedPromise],
            ),
            (
                EventFacts {
                    from_status: Some("resolved".into()),
                    to_status: Some("open".into()),
                    ..ev("status_changed")
                },
                vec![Reason::Reopened],
            ),
            (
                EventFacts {
                    transfers: 2,
                    ..ev("escalated")
                },
                vec![Reason::Transfers],
            ),
            (
                EventFacts {
                    transfers: 1,
                    ..ev("escalated")
                },
                vec![],
            ),
        ];
        for (e, want) in cases {
            let got: Vec<Reason> = reasons_of_event(&e).into_iter().map(|r| r.0).collect();
            assert_eq!(got, want, "{e:?}");
        }
        let detail = reasons_of_event(&EventFacts {
            subject: Some("next_update".into()),
            ..ev("sla_breached")
        });
        assert_eq!(detail[0].1, "the next update was missed");
    }

    #[test]
    fn about_one_resolved_ticket_in_five_is_sampled() {
        let n = (1..=10_000).filter(|id| sampled(*id)).count();
        assert!((1_600..2_400).contains(&n), "{n}");
        let resolve = |id| EventFacts {
            ticket_id: id,
            kind: "status_changed".into(),
            from_status: Some("open".into()),
            to_status: Some("resolved".into()),
            ..Default::default()
        };
        let id = (1..).find(|id| sampled(*id)).unwrap();
        assert_eq!(reasons_of_event(&resolve(id))[0].0, Reason::Sample);
        let id = (1..).find(|id| !sampled(*id)).unwrap();
        assert!(reasons_of_event(&resolve(id)).is_empty());
    }

    fn reply(findings: &[&str], c: Checklist) -> ReplyFacts {
        ReplyFacts {
            message_id: 1,
            findings: findings.iter().map(|s| s.to_string()).collect(),
            checklist: Some(c),
        }
    }

    fn suggested(key: &str, f: &ConversationFacts) -> Suggested {
        suggest(&[item(key, key, "")], f)[0].suggested
    }

    #[test]
    fn suggestions_from_evidence() {
        use Suggested::*;
        let good = Checklist {
            acknowledges: true,
            empathizes: true,
            apologizes: true,
            next_step: true,
            time_frame: true,
        };
        let bare = Checklist::default();
        let calm_good = ConversationFacts {
            replies: vec![reply(&[], good)],
            frustration: vec![(10, false), (5, true)],
            resolved: true,
            ..Default::default()
        };
        let upset_bad = ConversationFacts {
            replies: vec![reply(&["condescension", "no_next_step", "blame"], bare)],
            frustration: vec![(80, false), (95, true)],
            repeats: 1,
            breaches: vec!["first_response".into(), "next_update".into()],
            resolved: true,
            reopened: true,
            ..Default::default()
        };
        let cases = [
            ("hear", &calm_good, Score(4)),
            ("hear", &upset_bad, Score(1)),
            ("empathize", &calm_good, Score(4)),
            ("empathize", &upset_bad, Score(1)),
            ("apologize", &calm_good, Score(4)),
            ("apologize", &upset_bad, Score(1)),
            ("resolve", &calm_good, Score(4)),
            ("resolve", &upset_bad, Score(2)),
            ("diagnose", &calm_good, NotApplicable),
            ("diagnose", &upset_bad, Score(0)),
            ("listened", &calm_good, Score(3)),
            ("listened", &upset_bad, Score(1)),
            ("serious", &calm_good, Score(4)),
            ("serious", &upset_bad, Score(3)),
            ("respect", &upset_bad, Score(3)),
            ("timely", &calm_good, Score(4)),
            ("timely", &upset_bad, Score(0)),
            ("next_step", &calm_good, Score(4)),
            ("next_step", &upset_bad, Score(1)),
            ("charm", &calm_good, NoEvidence),
        ];
        for (key, facts, want) in cases {
            assert_eq!(suggested(key, facts), want, "{key}");
        }
        let diagnosed = ConversationFacts {
            root_cause: Some("expired certificate".into()),
            ..upset_bad.clone()
        };
        let s = suggest(&[item("diagnose", "Diagnose", "")], &diagnosed);
        assert_eq!(s[0].suggested, Score(4));
        assert!(s[0].evidence[0].contains("expired certificate"));
        let s = suggest(&default_rubric(), &upset_bad);
        assert!(s.iter().all(|s| !s.evidence.is_empty()), "{s:?}");
        let fell = ConversationFacts {
            frustration: vec![(80, false), (20, true)],
            ..calm_good.clone()
        };
        assert_eq!(suggested("listened", &fell), Score(4));
        let silent = ConversationFacts::default();
        assert_eq!(suggested("hear", &silent), NoEvidence);
    }

    proptest! {
        #[test]
        fn overall_is_a_percent_between_the_lowest_and_highest_item(
            scores in proptest::collection::vec(proptest::option::of(0u8..=4), 0..12)
        ) {
            match overall_percent(&scores) {
                None => prop_assert!(scores.iter().all(|s| s.is_none())),
                Some(p) => {
                    let lo = scores.iter().flatten().min().copied().unwrap() as u32 * 25;
                    let hi = scores.iter().flatten().max().copied().unwrap() as u32 * 25;
                    prop_assert!(p <= 100);
                    prop_assert!((lo..=hi).contains(&(p as u32)));
                }
            }
        }

        #[test]
        fn any_in_range_scores_validate_and_out_of_range_never(
            raw in proptest::collection::vec(proptest::option::of(-3i64..8), 10)
        ) {
            let r = default_rubric();
            let scores: BTreeMap<String, Option<i64>> =
                r.iter().zip(&raw).map(|(i, s)| (i.key.clone(), *s)).collect();
            let ok = raw.iter().flatten().all(|s| (0..=4).contains(s));
            let v = validate_scores(&r, &scores);
            prop_assert_eq!(v.is_ok(), ok);
            if let Ok(v) = v {
                prop_assert_eq!(v.len(), r.len());
            }
        }

        #[test]
        fn suggestions_cover_every_item_within_the_scale(
            findings in proptest::collection::vec(prop_oneof![Just("condescension"), Just("blame"), Just("jargon"), Just("no_next_step")], 0..6),
            frustration in proptest::collection::vec((0i64..100, any::<bool>()), 0..6),
            breaches in 0usize..3, resolved in any::<bool>(), reopened in any::<bool>(),
        ) {
            let facts = ConversationFacts {
                replies: vec![reply(&findings, Checklist::default())],
                frustration,
                breaches: vec!["next_update".into(); breaches],
                resolved,
                reopened,
                ..Default::default()
            };
            let s = suggest(&default_rubric(), &facts);
            prop_assert_eq!(s.len(), 10);
            for x in s {
                if let Suggested::Score(n) = x.suggested { prop_assert!(n <= MAX_SCORE); }
                prop_assert!(!x.evidence.is_empty());
            }
        }
    }
}
