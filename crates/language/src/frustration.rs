//! The frustration score of an inbound customer message (DOMAIN.md principle 3), and the
//! abuse flag that lets a supervisor shield an agent (principle 7).
//!
//! The score is built from evidence and the evidence weights add up to the score, so a
//! supervisor can see exactly why a message ranks where it does.

use serde::{Deserialize, Serialize};

use crate::fxhash::FxHashMap as HashMap;

use crate::lexicon::{EN, Lexicon};
use crate::restate::restatement_of;
use crate::text::{Token, analyze};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Calm,
    Concerned,
    Frustrated,
    Angry,
}

impl Level {
    /// calm < 25 ≤ concerned < 50 ≤ frustrated < 75 ≤ angry.
    pub fn from_score(score: u8) -> Level {
        match score {
            0..=24 => Level::Calm,
            25..=49 => Level::Concerned,
            50..=74 => Level::Frustrated,
            _ => Level::Angry,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// Words of anger or upset ("furious", "fed up").
    Anger,
    /// Exasperation ("ridiculous", "seriously?", "unbelievable").
    Exasperation,
    /// Insults aimed at the product or the company ("useless", "garbage").
    Insult,
    Profanity,
    /// Abuse aimed at a person ("you idiot"): sets `abusive`.
    Abuse,
    /// "still", "again", "third time".
    Repetition,
    /// Cancelling, switching to a competitor.
    ThreatToLeave,
    /// Reviews, social media, lawyers, regulators, chargebacks.
    PublicComplaint,
    /// Deadlines and urgency.
    Urgency,
    /// Statements that something failed or nobody helped.
    Complaint,
    /// Capitals and `!!!`.
    Shouting,
    /// From context: earlier contacts about this ticket.
    RepeatedContact,
    /// From context: how long the customer has waited.
    Waiting,
    /// The message restates an earlier one on the same ticket.
    Restatement,
    /// Words the learned model weighs as negative that no rule names.
    NegativeWording,
}

impl SignalKind {
    pub fn name(self) -> &'static str {
        match self {
            SignalKind::Anger => "anger",
            SignalKind::Exasperation => "exasperation",
            SignalKind::Insult => "insult",
            SignalKind::Profanity => "profanity",
            SignalKind::Abuse => "abuse",
            SignalKind::Repetition => "repetition",
            SignalKind::ThreatToLeave => "threat_to_leave",
            SignalKind::PublicComplaint => "public_complaint",
            SignalKind::Urgency => "urgency",
            SignalKind::Complaint => "complaint",
            SignalKind::Shouting => "shouting",
            SignalKind::RepeatedContact => "repeated_contact",
            SignalKind::Waiting => "waiting",
            SignalKind::Restatement => "restatement",
            SignalKind::NegativeWording => "negative_wording",
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<SignalKind> {
        ALL_SIGNALS.iter().copied().find(|k| k.name() == s)
    }
}

const ALL_SIGNALS: [SignalKind; 15] = [
    SignalKind::Anger,
    SignalKind::Exasperation,
    SignalKind::Insult,
    SignalKind::Profanity,
    SignalKind::Abuse,
    SignalKind::Repetition,
    SignalKind::ThreatToLeave,
    SignalKind::PublicComplaint,
    SignalKind::Urgency,
    SignalKind::Complaint,
    SignalKind::Shouting,
    SignalKind::RepeatedContact,
    SignalKind::Waiting,
    SignalKind::Restatement,
    SignalKind::NegativeWording,
];

/// One reason for the score. In-text evidence has `excerpt == text[start..end]`.
/// Evidence from the ticket's context (repeated contact, waiting) has no place in the
/// text: it has `start == end == 0` and an `excerpt` that says what it is, e.g.
/// "3 earlier contacts about this ticket".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: SignalKind,
    pub start: usize,
    pub end: usize,
    pub excerpt: String,
    /// Points of the score this accounts for; the weights add up to the score.
    pub weight: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frustration {
    pub score: u8,
    pub level: Level,
    pub abusive: bool,
    pub evidence: Vec<Evidence>,
}

/// What the caller knows about the ticket beyond the message itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FrustrationContext {
    /// Earlier messages from the customer on the same ticket, oldest first.
    #[serde(default)]
    pub earlier_messages: Vec<String>,
    /// How many times the customer contacted us about this before this message.
    #[serde(default)]
    pub prior_contacts: u32,
    /// How long the customer has waited for us (since their last unanswered message or
    /// the promised update), if known.
    #[serde(default)]
    pub waited_minutes: Option<u64>,
}

/// A message scoring at or above this is counted as frustrated (the evaluation reports F1
/// at this threshold).
pub const FRUSTRATED_AT: u8 = 50;

/// Scores below this are calm (see [`Level::from_score`]).
const CALM_BELOW: u8 = 25;

/// A model feature weaker than this is not shown as evidence (nor counted).
const MIN_EVIDENCE_WEIGHT: f32 = 0.25;

/// Each further hit of the same kind counts less: the tenth swear word adds little.
const REPEAT_DECAY: f32 = 0.6;

pub fn score_frustration(text: &str, ctx: &FrustrationContext) -> Frustration {
    score_with(&EN, text, ctx)
}

struct Raw {
    kind: SignalKind,
    start: usize,
    end: usize,
    excerpt: Option<String>,
    points: f32,
}

pub(crate) fn score_with(lex: &Lexicon, text: &str, ctx: &FrustrationContext) -> Frustration {
    score_parts(lex, text, ctx).0
}

/// The score and the raw points of its rule and context signals alone (what the model is
/// trained beside).
pub(crate) fn score_parts(
    lex: &Lexicon,
    text: &str,
    ctx: &FrustrationContext,
) -> (Frustration, f32) {
    let a = analyze(text, lex);
    let toks = &a.tokens;
    let mut raw: Vec<Raw> = Vec::new();
    let mut abusive = false;

    // A restatement marker ("as I said") lowers the bar for a restatement below.
    let mut marker = false;
    for m in lex.find(&lex.frustration, toks) {
        let rule = &lex.frustration.rules[m.rule];
        abusive |= rule.flags.abuse || rule.kind == SignalKind::Abuse;
        marker |= rule.kind == SignalKind::Repetition;
        raw.push(Raw {
            kind: rule.kind,
            start: toks[m.tok_start].start,
            end: toks[m.tok_end - 1].end,
            excerpt: None,
            points: rule.weight,
        });
    }
    shouting(lex, text, toks, &mut raw);

    // Context: contacts and waiting have no place in the text (see `Evidence`).
    if ctx.prior_contacts > 0 {
        let sig = lex.frustration.signal("repeated_contact");
        let n = ctx.prior_contacts.min(5) as f32;
        raw.push(Raw {
            kind: SignalKind::RepeatedContact,
            start: 0,
            end: 0,
            excerpt: Some(sig.reason.replace("{n}", &ctx.prior_contacts.to_string())),
            points: sig.weight * n,
        });
    }
    if let Some(minutes) = ctx.waited_minutes.filter(|&m| m >= 60) {
        let sig = lex.frustration.signal("waiting");
        let hours = minutes as f32 / 60.0;
        let wait = if minutes >= 48 * 60 {
            format!("{} days", minutes / (24 * 60))
        } else {
            format!("{} hours", minutes / 60)
        };
        raw.push(Raw {
            kind: SignalKind::Waiting,
            start: 0,
            end: 0,
            excerpt: Some(sig.reason.replace("{wait}", &wait)),
            // Waiting hurts most in the first day; logarithmic, capped by the data file's
            // `waiting_cap` signal.
            points: (sig.weight * (1.0 + hours).log2())
                .min(lex.frustration.signal("waiting_cap").weight),
        });
    }
    if !ctx.earlier_messages.is_empty() {
        let earlier: Vec<&str> = ctx.earlier_messages.iter().map(String::as_str).collect();
        if let Some(r) = restatement_of(lex, &earlier, &a, || marker) {
            let sig = lex.frustration.signal("restatement");
            raw.push(Raw {
                kind: SignalKind::Restatement,
                start: r.start,
                end: r.end,
                excerpt: None,
                points: sig.weight * r.similarity.min(1.0),
            });
        }
    }

    // Diminishing returns per kind, in text order.
    raw.sort_by(|x, y| x.start.cmp(&y.start).then(x.end.cmp(&y.end)));
    let mut counts: HashMap<SignalKind, i32> = HashMap::default();
    for r in raw.iter_mut() {
        let n = counts.entry(r.kind).or_default();
        r.points *= REPEAT_DECAY.powi(*n);
        *n += 1;
    }
    let rule_points: f32 = raw.iter().map(|r| r.points.max(0.0)).sum();

    // The learned model: its points are shared among the words that pushed it up.
    // frustration.tsv `=model`, `=model_floor`: at most `model` raw points, none until the
    // words push `model_floor` logits above a typical text, 1/β points per logit above that (see
    // `LinearModel::points`).
    // Words within `=model_floor` logits of the reference still grade the score, but only
    // within calm: a plain question that merely lacks the warmth of a typical text stays
    // calm, while the ranking keeps every step.
    let (logit, contribs) = lex.frustration_model.score(text, toks);
    let cap = lex.frustration.signal("model").weight;
    let graded = lex.frustration_model.points(logit, 0.0, cap);
    let beyond_floor =
        lex.frustration_model
            .points(logit, lex.frustration.signal("model_floor").weight, cap)
            > 0.0;
    let scale = lex.frustration.signal("scale").weight.max(1.0);
    let below_line = -scale * (1.0 - f32::from(CALM_BELOW - 1) / 100.0).ln();
    let model_points = if graded <= 0.0 || beyond_floor {
        graded
    } else {
        graded.min(below_line - rule_points).max(0.0)
    };
    if model_points < 0.0 {
        // Calm wording takes back at most `=model_credit` of the points of what the message
        // says (each keeps its share, so every piece of evidence still counts); what the
        // ticket's history says (contacts, waiting) is not the words' to take back.
        let from_context =
            |r: &Raw| matches!(r.kind, SignalKind::RepeatedContact | SignalKind::Waiting);
        let in_text: f32 = raw
            .iter()
            .filter(|r| !from_context(r))
            .map(|r| r.points.max(0.0))
            .sum();
        let credit = lex
            .frustration
            .signal("model_credit")
            .weight
            .clamp(0.0, 1.0);
        if in_text > 0.0 {
            let keep = 1.0 + model_points.max(-credit * in_text) / in_text;
            raw.iter_mut()
                .filter(|r| !from_context(r))
                .for_each(|r| r.points *= keep);
        }
    } else if model_points > 0.5 {
        // Words a rule already counted are not counted twice.
        let mut taken: Vec<(usize, usize)> = raw
            .iter()
            .filter(|r| r.end > r.start)
            .map(|r| (r.start, r.end))
            .collect();
        taken.sort_unstable();
        let max_len = taken.iter().map(|x| x.1 - x.0).max().unwrap_or(0) + 1;
        let mut pos: Vec<crate::model::Contribution> = merge_same_span(&contribs)
            .into_iter()
            .filter(|c| {
                c.weight > 0.0 && !crate::tone::overlaps_any(&taken, c.start, c.end, max_len)
            })
            .collect();
        // Show words that mean something to a person ("useless", not "the") when there are
        // any; the model's points are shared among what is shown.
        let meaningful = |c: &crate::model::Contribution| {
            c.weight >= MIN_EVIDENCE_WEIGHT && lex.has_content_word(&text[c.start..c.end])
        };
        let model_points = if pos.iter().any(meaningful) {
            pos.retain(meaningful);
            model_points
        } else {
            // Only function words ("I'm not", "why the") pushed the model. Count it at a
            // discount (`=model_function_words`), and show the sentence they weigh most in
            // rather than the words themselves.
            let mut mass: HashMap<u32, f32> = HashMap::default();
            for c in &pos {
                *mass.entry(c.sentence).or_default() += c.weight;
            }
            let best = mass
                .into_iter()
                .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)))
                .and_then(|(si, _)| a.sentences.get(si as usize));
            if let Some(sent) = best {
                raw.push(Raw {
                    kind: SignalKind::NegativeWording,
                    start: sent.start,
                    end: sent.end,
                    excerpt: None,
                    points: model_points * lex.frustration.signal("model_function_words").weight,
                });
            }
            pos.clear();
            0.0
        };
        pos.sort_by(|x, y| y.weight.total_cmp(&x.weight));
        pos.truncate(5);
        let total: f32 = pos.iter().map(|c| c.weight).sum();
        if total > 0.0 {
            for c in pos {
                raw.push(Raw {
                    kind: SignalKind::NegativeWording,
                    start: c.start,
                    end: c.end,
                    excerpt: None,
                    points: model_points * c.weight / total,
                });
            }
        }
    }

    let total: f32 = raw.iter().map(|r| r.points.max(0.0)).sum();
    // Raw points are squashed into 0–100: 100·(1 − e^(−raw/scale)), scale from `=scale`.
    let scale = lex.frustration.signal("scale").weight.max(1.0);
    let score = (100.0 * (1.0 - (-total / scale).exp()))
        .round()
        .clamp(0.0, 100.0) as u8;

    // Share the score among the evidence by largest remainder, so the weights add up.
    let mut shares: Vec<(usize, u32, f32)> = raw
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let exact = if total > 0.0 {
                r.points.max(0.0) / total * score as f32
            } else {
                0.0
            };
            (i, exact.floor() as u32, exact - exact.floor())
        })
        .collect();
    let assigned: u32 = shares.iter().map(|s| s.1).sum();
    let mut left = (score as u32).saturating_sub(assigned);
    let mut by_rem: Vec<usize> = (0..shares.len()).collect();
    by_rem.sort_by(|&x, &y| shares[y].2.total_cmp(&shares[x].2));
    for i in by_rem {
        if left == 0 {
            break;
        }
        shares[i].1 += 1;
        left -= 1;
    }
    let mut evidence: Vec<Evidence> = Vec::new();
    for (i, w, _) in shares {
        if w == 0 {
            continue;
        }
        let r = &raw[i];
        evidence.push(Evidence {
            kind: r.kind,
            start: r.start,
            end: r.end,
            excerpt: r
                .excerpt
                .clone()
                .unwrap_or_else(|| text[r.start..r.end].to_string()),
            weight: w.min(100) as u8,
        });
    }
    evidence.sort_by(|x, y| y.weight.cmp(&x.weight).then(x.start.cmp(&y.start)));
    let result = Frustration {
        score,
        level: Level::from_score(score),
        abusive,
        evidence,
    };
    (result, rule_points)
}

/// A word and its class (`angry`, `@emotion_neg`) share a span: one piece of evidence.
fn merge_same_span(contribs: &[crate::model::Contribution]) -> Vec<crate::model::Contribution> {
    let mut out: Vec<crate::model::Contribution> = Vec::with_capacity(contribs.len());
    let mut at: HashMap<(usize, usize), usize> = HashMap::default();
    for c in contribs {
        match at.get(&(c.start, c.end)) {
            Some(&i) => out[i].weight += c.weight,
            None => {
                at.insert((c.start, c.end), out.len());
                out.push(c.clone());
            }
        }
    }
    out
}

/// Capitals (two or more shouted words in a row, or most of a message) and runs of `!`/`?`.
fn shouting(lex: &Lexicon, text: &str, toks: &[Token], raw: &mut Vec<Raw>) {
    let sig = lex.frustration.signal("shouting");
    let is_loud = |t: &Token| {
        t.all_caps && t.letters >= 3 && !t.placeholder && !lex.in_class("acronym", &t.norm)
    };
    let mut i = 0;
    while i < toks.len() {
        if toks[i].quoted || !is_loud(&toks[i]) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < toks.len()
            && !toks[j].quoted
            && (is_loud(&toks[j]) || (toks[j].all_caps && toks[j].letters >= 1))
        {
            j += 1;
        }
        let emphatic = toks[i..j]
            .iter()
            .any(|t| is_loud(t) && lex.in_class("emphasis", &t.norm));
        if emphatic || toks[i..j].iter().filter(|t| is_loud(t)).count() >= 2 {
            raw.push(Raw {
                kind: SignalKind::Shouting,
                start: toks[i].start,
                end: toks[j - 1].end,
                excerpt: None,
                points: sig.weight,
            });
        }
        i = j;
    }
    let bytes = text.as_bytes();
    let mut k = 0;
    while k < bytes.len() {
        if bytes[k] == b'!' || bytes[k] == b'?' {
            let s = k;
            while k < bytes.len() && (bytes[k] == b'!' || bytes[k] == b'?') {
                k += 1;
            }
            let run = &bytes[s..k];
            let bangs = run.iter().filter(|&&c| c == b'!').count();
            if run.len() >= 3 || (bangs >= 1 && run.len() >= 2) {
                raw.push(Raw {
                    kind: SignalKind::Shouting,
                    start: s,
                    end: k,
                    excerpt: None,
                    // Excited comments use "!!" too: punctuation alone counts for less than capitals.
                    points: sig.weight * 0.3,
                });
            }
        } else {
            k += 1;
        }
    }
}
