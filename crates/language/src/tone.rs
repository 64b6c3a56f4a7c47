//! The tone coach: reads a draft reply and points at the words that undermine the
//! customer's bill of rights (DOMAIN.md principle 4), plus the H.E.A.R.D. checklist.
//! It advises; nothing here can stop a reply from being sent.

use crate::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};

use serde::{Deserialize, Serialize};

use crate::lexicon::{EN, Lexicon, Phrases};
use crate::text::{Analyzed, Token, analyze, truncate_on_char};

/// Who will read the reply: jargon is only pointed out for a non-technical reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    #[default]
    Technical,
    NonTechnical,
}

impl std::str::FromStr for Audience {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "technical" => Ok(Audience::Technical),
            "non-technical" => Ok(Audience::NonTechnical),
            other => Err(format!(
                "unknown audience {other:?} (expected \"technical\" or \"non-technical\")"
            )),
        }
    }
}

/// Something the customer already gave and the team verified (DOMAIN.md principle 2).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KnownFact {
    /// What it is: "os_version", "account number", "device".
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ToneContext {
    #[serde(default)]
    pub audience: Audience,
    #[serde(default)]
    pub known_facts: Vec<KnownFact>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Condescension,
    Judgment,
    Blame,
    Impatience,
    Sarcasm,
    Dismissive,
    Jargon,
    QuestionVolley,
    NoNextStep,
    NoTimeFrame,
    Shouting,
    AsksKnownFact,
    /// Wording that readers tend to rate as curt, found by the learned model rather than a
    /// named rule; the span is the sentence that weighed most.
    Impolite,
}

impl FindingKind {
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Condescension => "condescension",
            FindingKind::Judgment => "judgment",
            FindingKind::Blame => "blame",
            FindingKind::Impatience => "impatience",
            FindingKind::Sarcasm => "sarcasm",
            FindingKind::Dismissive => "dismissive",
            FindingKind::Jargon => "jargon",
            FindingKind::QuestionVolley => "question_volley",
            FindingKind::NoNextStep => "no_next_step",
            FindingKind::NoTimeFrame => "no_time_frame",
            FindingKind::Shouting => "shouting",
            FindingKind::AsksKnownFact => "asks_known_fact",
            FindingKind::Impolite => "impolite",
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<FindingKind> {
        ALL_KINDS.iter().copied().find(|k| k.name() == s)
    }
}

const ALL_KINDS: [FindingKind; 13] = [
    FindingKind::Condescension,
    FindingKind::Judgment,
    FindingKind::Blame,
    FindingKind::Impatience,
    FindingKind::Sarcasm,
    FindingKind::Dismissive,
    FindingKind::Jargon,
    FindingKind::QuestionVolley,
    FindingKind::NoNextStep,
    FindingKind::NoTimeFrame,
    FindingKind::Shouting,
    FindingKind::AsksKnownFact,
    FindingKind::Impolite,
];

/// A row of `tone.tsv`: a finding, or an exemption — a kind phrase that looks like a finding
/// ("easy to miss", "you should have received"), which silences findings it overlaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ToneRule {
    Finding(FindingKind),
    Exempt,
}

impl ToneRule {
    pub(crate) fn from_name(s: &str) -> Option<ToneRule> {
        if s == "exempt" {
            Some(ToneRule::Exempt)
        } else {
            FindingKind::from_name(s).map(ToneRule::Finding)
        }
    }
}

/// What `checklist.tsv` phrases stand for. The last three are not shown in the checklist:
/// they tell the coach that a dismissal came with an alternative, that questions came with
/// a reason, and which sentences ask the customer for something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckItem {
    Acknowledges,
    Empathizes,
    Apologizes,
    NextStep,
    TimeFrame,
    Alternative,
    Explanation,
    Ask,
}

impl CheckItem {
    pub(crate) fn from_name(s: &str) -> Option<CheckItem> {
        Some(match s {
            "acknowledges" => CheckItem::Acknowledges,
            "empathizes" => CheckItem::Empathizes,
            "apologizes" => CheckItem::Apologizes,
            "next_step" => CheckItem::NextStep,
            "time_frame" => CheckItem::TimeFrame,
            "alternative" => CheckItem::Alternative,
            "explanation" => CheckItem::Explanation,
            "ask" => CheckItem::Ask,
            _ => return None,
        })
    }
}

/// One thing to improve. For something missing (no next step, no time frame) the span is
/// empty at the end of the text, where the missing sentence could go, and `excerpt` is "".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub start: usize,
    pub end: usize,
    pub excerpt: String,
    pub reason: String,
    pub suggestion: String,
}

/// The H.E.A.R.D. playbook, as far as a reply's words can show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Checklist {
    pub acknowledges: bool,
    pub empathizes: bool,
    pub apologizes: bool,
    pub next_step: bool,
    pub time_frame: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToneReview {
    /// 0–100, 100 = nothing to improve.
    pub score: u8,
    pub findings: Vec<Finding>,
    pub checklist: Checklist,
}

/// A reply scoring below this reads as impolite to most people; the evaluation reports F1
/// at this threshold.
pub const TONE_FLAG_BELOW: u8 = 90;

/// No exempt phrase is longer than this many words (patterns have at most ~10 elements).
const EXEMPT_MAX_TOKENS: usize = 16;

/// Each further finding of a kind costs less than the one before: three "just"s are worse
/// than one, but not three times worse.
const REPEAT_DECAY: f32 = 0.6;

pub fn review_tone(text: &str, ctx: &ToneContext) -> ToneReview {
    review_with(&EN, text, ctx)
}

fn span_of(tokens: &[Token], a: usize, b: usize) -> (usize, usize) {
    (tokens[a].start, tokens[b - 1].end)
}

struct Builder<'a> {
    text: &'a str,
    findings: Vec<(Finding, f32)>,
}

impl Builder<'_> {
    fn push(
        &mut self,
        kind: FindingKind,
        start: usize,
        end: usize,
        weight: f32,
        reason: &str,
        suggestion: &str,
    ) {
        self.findings.push((
            Finding {
                kind,
                start,
                end,
                excerpt: self.text[start..end].to_string(),
                reason: reason.to_string(),
                suggestion: suggestion.to_string(),
            },
            weight,
        ));
    }
}

pub(crate) fn review_with(lex: &Lexicon, text: &str, ctx: &ToneContext) -> ToneReview {
    review_parts(lex, text, ctx).0
}

/// The review and the points its rule findings alone cost (what the model is trained beside).
pub(crate) fn review_parts(lex: &Lexicon, text: &str, ctx: &ToneContext) -> (ToneReview, f32) {
    let a = analyze(text, lex);
    let toks = &a.tokens;
    let mut b = Builder {
        text,
        findings: Vec::new(),
    };

    // The checklist first: a dismissal with an alternative, or questions with a reason,
    // are not findings.
    let mut checklist = Checklist::default();
    let mut alternative = false;
    let mut explanation = false;
    let mut ask_sentences: HashSet<u32> = HashSet::default();
    for m in lex.find(&lex.checklist, toks) {
        match lex.checklist.rules[m.rule].kind {
            CheckItem::Acknowledges => checklist.acknowledges = true,
            CheckItem::Empathizes => checklist.empathizes = true,
            CheckItem::Apologizes => checklist.apologizes = true,
            CheckItem::NextStep => checklist.next_step = true,
            CheckItem::TimeFrame => checklist.time_frame = true,
            CheckItem::Alternative => alternative = true,
            CheckItem::Explanation => explanation = true,
            CheckItem::Ask => {
                ask_sentences.insert(toks[m.tok_start].sentence);
            }
        }
    }
    // Offering a next step is itself an alternative to a flat "no".
    alternative |= checklist.next_step;

    let matches = lex.find(&lex.tone, toks);
    // Sorted by start, because `find` returns matches in text order.
    let exempt: Vec<(usize, usize)> = matches
        .iter()
        .filter(|m| lex.tone.rules[m.rule].kind == ToneRule::Exempt)
        .map(|m| (m.tok_start, m.tok_end))
        .collect();
    for m in &matches {
        let rule = &lex.tone.rules[m.rule];
        let ToneRule::Finding(kind) = rule.kind else {
            continue;
        };
        if (rule.flags.needs_alternative && alternative)
            || overlaps_any(&exempt, m.tok_start, m.tok_end, EXEMPT_MAX_TOKENS)
        {
            continue;
        }
        let (s, e) = span_of(toks, m.tok_start, m.tok_end);
        b.push(kind, s, e, rule.weight, &rule.reason, &rule.suggestion);
    }

    shouting(lex, &a, &mut b);
    question_volley(lex, &a, explanation, &mut b);
    if ctx.audience == Audience::NonTechnical {
        jargon(lex, &a, &mut b);
    }
    if !ctx.known_facts.is_empty() {
        asks_known_fact(lex, &a, &ask_sentences, &ctx.known_facts, &mut b);
    }

    // Absence only means something in a reply of some substance; "Thanks!" needs no plan.
    let words = toks.iter().filter(|t| !t.quoted).count();
    if words >= 6 {
        let end = text.len();
        if !checklist.next_step {
            let s = lex.tone.signal("no_next_step");
            b.push(
                FindingKind::NoNextStep,
                end,
                end,
                s.weight,
                &s.reason,
                &s.suggestion,
            );
        }
        if !checklist.time_frame {
            let s = lex.tone.signal("no_time_frame");
            b.push(
                FindingKind::NoTimeFrame,
                end,
                end,
                s.weight,
                &s.reason,
                &s.suggestion,
            );
        }
    }

    let mut seen: HashMap<FindingKind, i32> = HashMap::default();
    let mut rule_points = 0.0;
    for (f, w) in &b.findings {
        let n = seen.entry(f.kind).or_default();
        rule_points += w * REPEAT_DECAY.powi(*n);
        *n += 1;
    }
    let exempt_bytes: Vec<(usize, usize)> =
        exempt.iter().map(|&(s, e)| span_of(toks, s, e)).collect();
    // Kind wording (a negative model share) takes back at most `=model_credit` of the rules'
    // points: every finding still costs something.
    let credit = lex.tone.signal("model_credit").weight.clamp(0.0, 1.0);
    let model_points = learned(lex, &a, &exempt_bytes, rule_points, &mut b);
    let penalty = rule_points + model_points.max(-credit * rule_points);
    let mut findings: Vec<Finding> = b.findings.into_iter().map(|(f, _)| f).collect();
    findings.sort_by(|x, y| {
        x.start
            .cmp(&y.start)
            .then(x.end.cmp(&y.end))
            .then(x.kind.cmp(&y.kind))
    });
    // Raw points are squashed into 0–100 (tone.tsv `=scale`): close to one point per point
    // for a finding or two, and never a pile-up at 0 however much is wrong.
    let scale = lex.tone.signal("scale").weight.max(1.0);
    let lost = 100.0 * (1.0 - (-penalty.max(0.0) / scale).exp());
    let review = ToneReview {
        score: (100.0 - lost).round().clamp(0.0, 100.0) as u8,
        findings,
        checklist,
    };
    (review, rule_points)
}

/// The learned model's view. Returns the points it costs and, when they flag the reply
/// (with the rules' `rule_points`, below `TONE_FLAG_BELOW`), adds an `impolite` finding on
/// the sentence whose words weighed most; or, when the words are kinder than a typical
/// text, the (negative) points they take back. Below the flag line the words still grade
/// the score (a plain question 97, a blunt one 92) without a finding: nothing there is worth
/// changing, but the score keeps ranking replies by how they read.
/// `exempt` are byte spans of exempt phrases.
fn learned(
    lex: &Lexicon,
    a: &Analyzed,
    exempt: &[(usize, usize)],
    rule_points: f32,
    b: &mut Builder,
) -> f32 {
    if lex.tone_model.is_empty() {
        return 0.0;
    }
    let (mut logit, mut contribs) = lex.tone_model.score(b.text, &a.tokens);
    // No word the model knows: nothing to grade (the bias alone is not the text's).
    if contribs.is_empty() {
        return 0.0;
    }
    // Words inside an exempt phrase ("you should have received") are kind in context,
    // whatever the model learned about them elsewhere.
    let max_exempt = exempt.iter().map(|x| x.1 - x.0).max().unwrap_or(0) + 1;
    // Only the weight that pushed towards "impolite" is silenced: kind words stay kind.
    // Conversely, words a rule finding already names cannot count as kind: where raters
    // forgave "obviously" or "just" the model learned to offset the rule, and that weight
    // must not buy the finding back.
    let mut found: Vec<(usize, usize)> = b
        .findings
        .iter()
        .filter(|(f, _)| f.end > f.start)
        .map(|(f, _)| (f.start, f.end))
        .collect();
    found.sort_unstable();
    let max_found = found.iter().map(|x| x.1 - x.0).max().unwrap_or(0) + 1;
    contribs.retain(|c| {
        let silenced = if c.weight > 0.0 {
            overlaps_any(exempt, c.start, c.end, max_exempt)
        } else {
            overlaps_any(&found, c.start, c.end, max_found)
        };
        if silenced {
            logit -= c.weight;
        }
        !silenced
    });
    // The words' share of the score (tone.tsv `=model`, `=model_floor`): at most `model`
    // points, none until the words push `model_floor` logits above a typical text,
    // and 1/β points per logit above that, so a rule point and a model point weigh the same.
    // Kind words below it give points back (bounded by the caller).
    let points = lex.tone_model.points(
        logit,
        lex.tone.signal("model_floor").weight,
        lex.tone.signal("model").weight,
    );
    if points < 0.0 {
        return points;
    }
    // The raw points at which the score falls below the flag line.
    let scale = lex.tone.signal("scale").weight.max(1.0);
    let flag_at = -scale * (f32::from(TONE_FLAG_BELOW) / 100.0).ln();
    // Unflagged, the words may take the score down to one point above the line, no further.
    let quiet =
        points.min(-scale * ((f32::from(TONE_FLAG_BELOW) + 1.0) / 100.0).ln() - rule_points);
    if rule_points + points < flag_at
        || points < lex.tone.signal("model_finding").weight
        || a.sentences.is_empty()
    {
        return quiet.max(0.0);
    }
    // Attribute to the sentence with the most positive weight.
    let mut mass: HashMap<u32, f32> = HashMap::default();
    for c in contribs.iter().filter(|c| c.weight > 0.0) {
        *mass.entry(c.sentence).or_default() += c.weight;
    }
    let best = mass
        .iter()
        .filter(|(s, _)| a.sentences.get(**s as usize).is_some_and(|x| !x.quoted))
        .max_by(|x, y| x.1.total_cmp(y.1).then(y.0.cmp(x.0)))
        .map(|(s, _)| *s as usize);
    let Some(i) = best else {
        return quiet.max(0.0);
    };
    let s = &a.sentences[i];
    let mut top: Vec<&crate::model::Contribution> = contribs
        .iter()
        .filter(|c| c.sentence as usize == i && c.weight > 0.0)
        .collect();
    top.sort_by(|x, y| y.weight.total_cmp(&x.weight));
    // Name content words ("why", "homework") before function words ("the") when there are any.
    if top
        .iter()
        .any(|c| lex.has_content_word(&b.text[c.start..c.end]))
    {
        top.retain(|c| lex.has_content_word(&b.text[c.start..c.end]));
    }
    let mut words: Vec<String> = Vec::new();
    for c in &top {
        let w = format!("\"{}\"", &b.text[c.start..c.end]);
        if !words.contains(&w) {
            words.push(w);
        }
        if words.len() == 3 {
            break;
        }
    }
    let sig = lex.tone.signal("impolite");
    let reason = sig.reason.replace("{words}", &words.join(", "));
    b.push(
        FindingKind::Impolite,
        s.start,
        s.end,
        points,
        &reason,
        &sig.suggestion,
    );
    points
}

/// Capitals and `!!`: a run of two or more capitalised words that are not known
/// abbreviations, a single capitalised emphasis word ("do NOT"), or repeated `!`.
fn shouting(lex: &Lexicon, a: &Analyzed, b: &mut Builder) {
    let sig = lex.tone.signal("shouting");
    let toks = &a.tokens;
    // A capitalised word that is not a known abbreviation; two-letter ones ("DO") only
    // extend a run, they never make one alone.
    let caps =
        |t: &Token| t.all_caps && !t.placeholder && !t.quoted && !lex.in_class("acronym", &t.norm);
    let is_loud = |t: &Token| caps(t) && t.letters >= 3;
    let mut i = 0;
    let mut spans: Vec<(usize, usize)> = Vec::new();
    while i < toks.len() {
        if !caps(&toks[i]) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < toks.len() && toks[j].sentence == toks[i].sentence && caps(&toks[j]) {
            j += 1;
        }
        let loud_words = toks[i..j].iter().filter(|t| is_loud(t)).count();
        let emphatic = toks[i..j]
            .iter()
            .any(|t| is_loud(t) && lex.in_class("emphasis", &t.norm));
        if loud_words >= 2 || emphatic || (loud_words >= 1 && j - i >= 2) {
            spans.push((toks[i].start, toks[j - 1].end));
        }
        i = j;
    }
    let bytes = b.text.as_bytes();
    let mut k = 0;
    while k < bytes.len() {
        if bytes[k] == b'!' || bytes[k] == b'?' {
            let s = k;
            while k < bytes.len() && (bytes[k] == b'!' || bytes[k] == b'?') {
                k += 1;
            }
            // "!!", "?!" and "??": a doubled question mark reads as exasperation too.
            if k - s >= 2 {
                spans.push((s, k));
            }
        } else {
            k += 1;
        }
    }
    spans.sort();
    for (s, e) in spans {
        b.push(
            FindingKind::Shouting,
            s,
            e,
            sig.weight,
            &sig.reason,
            &sig.suggestion,
        );
    }
}

/// Three or more questions in a row with no word of why: an interrogation, not a conversation.
fn question_volley(lex: &Lexicon, a: &Analyzed, explained: bool, b: &mut Builder) {
    let qs: Vec<&crate::text::Sentence> = a
        .sentences
        .iter()
        .filter(|s| s.question && !s.quoted)
        .collect();
    if qs.len() >= 3 && (!explained || qs.len() >= 5) {
        let sig = lex.tone.signal("question_volley");
        let reason = sig.reason.replace("{n}", &qs.len().to_string());
        b.push(
            FindingKind::QuestionVolley,
            qs[0].start,
            qs[qs.len() - 1].end,
            sig.weight,
            &reason,
            &sig.suggestion,
        );
    }
}

/// Technical terms from the glossary, and unexplained abbreviations, for a non-technical
/// reader. A term explained on the spot ("DNS (the internet's address book)") is fine, and
/// each term is pointed out once.
fn jargon(lex: &Lexicon, a: &Analyzed, b: &mut Builder) {
    let sig = lex.tone.signal("jargon");
    let toks = &a.tokens;
    let text = b.text;
    let explained_after = |end: usize| {
        let rest = text[end..].trim_start_matches([' ', ',', '\u{a0}']);
        let rest_l = truncate_on_char(rest, 12).to_lowercase();
        rest.starts_with('(')
            || rest.starts_with('-')
            || rest.starts_with('\u{2014}')
            || rest_l.starts_with("which ")
            || rest_l.starts_with("i.e")
            || rest_l.starts_with("meaning")
            || rest_l.starts_with("that is")
            || rest_l.starts_with("or ")
    };
    let mut reported: HashSet<String> = HashSet::default();
    let mut covered = vec![false; toks.len()];
    for m in lex.find(&lex.glossary, toks) {
        let rule = &lex.glossary.rules[m.rule];
        covered[m.tok_start..m.tok_end]
            .iter_mut()
            .for_each(|c| *c = true);
        let (s, e) = span_of(toks, m.tok_start, m.tok_end);
        if explained_after(e) || !reported.insert(rule.reason.clone()) {
            continue;
        }
        let reason = sig.reason.replace("{term}", &text[s..e]);
        let suggestion = sig.suggestion.replace("{plain}", &rule.suggestion);
        b.push(FindingKind::Jargon, s, e, sig.weight, &reason, &suggestion);
    }
    // Abbreviations the glossary does not know are still opaque to most readers.
    let abbr = lex.tone.signal("abbreviation");
    let loud = |o: &Token| o.all_caps && o.letters >= 3 && !lex.in_class("acronym", &o.norm);
    for (i, t) in toks.iter().enumerate() {
        if t.quoted
            || !t.all_caps
            || t.placeholder
            || covered[i]
            || t.norm.chars().count() > 6
            || lex.in_class("acronym", &t.norm)
        {
            continue;
        }
        // Part of a shouted run ("THIRD TIME"), not an abbreviation.
        let neighbours = [i.checked_sub(1), Some(i + 1)];
        let in_run = neighbours
            .into_iter()
            .flatten()
            .filter_map(|j| toks.get(j))
            .any(|o| o.sentence == t.sentence && loud(o));
        if in_run || explained_after(t.end) || !reported.insert(t.norm.to_string()) {
            continue;
        }
        let reason = abbr.reason.replace("{term}", &text[t.start..t.end]);
        b.push(
            FindingKind::Jargon,
            t.start,
            t.end,
            abbr.weight,
            &reason,
            &abbr.suggestion,
        );
    }
}

/// How a known fact is recognised: patterns for the whole key, or one list per key word
/// (all of which must appear).
struct FactPatterns<'a> {
    whole: Phrases<'a>,
    per_word: Vec<Phrases<'a>>,
    /// The finding's wording for this fact.
    reason: String,
    suggestion: String,
}

/// A sentence that asks for something the customer already gave. The fact's key is matched
/// through `facts.tsv` ("os" also means "operating system", "windows"…).
fn asks_known_fact(
    lex: &Lexicon,
    a: &Analyzed,
    ask_sentences: &HashSet<u32>,
    facts: &[KnownFact],
    b: &mut Builder,
) {
    let sig = lex.tone.signal("asks_known_fact");
    let toks = &a.tokens;
    // For each fact: the patterns for the whole key, and one pattern list per key word.
    let prepared: Vec<FactPatterns> = facts
        .iter()
        .filter_map(|fact| {
            let key = fact.key.to_lowercase().replace(['_', '-'], " ");
            let words: Vec<&str> = key
                .split_whitespace()
                .filter(|w| !lex.stopwords.contains(*w))
                .collect();
            if words.is_empty() {
                return None;
            }
            let key = fact.key.replace('_', " ");
            let fill = |t: &str| t.replace("{key}", &key).replace("{value}", &fact.value);
            Some(FactPatterns {
                whole: lex.fact_phrases(&words.join(" ")),
                per_word: words.iter().map(|w| lex.fact_phrases(w)).collect(),
                reason: fill(&sig.reason),
                suggestion: fill(&sig.suggestion),
            })
        })
        .collect();
    for (si, s) in a.sentences.iter().enumerate() {
        if s.quoted || !(s.question || ask_sentences.contains(&(si as u32))) {
            continue;
        }
        let hit = |pats: &Phrases| (s.tok_start..s.tok_end).any(|i| pats.match_at(lex, toks, i));
        if let Some(f) = prepared
            .iter()
            .find(|f| hit(&f.whole) || f.per_word.iter().all(hit))
        {
            b.push(
                FindingKind::AsksKnownFact,
                s.start,
                s.end,
                sig.weight,
                &f.reason,
                &f.suggestion,
            );
        }
    }
}

/// Whether the interval `(s, e)` overlaps any of `sorted` (sorted by start, each at most
/// `max_len` long), found by binary search so long texts stay linear-ish.
pub(crate) fn overlaps_any(sorted: &[(usize, usize)], s: usize, e: usize, max_len: usize) -> bool {
    let idx = sorted.partition_point(|x| x.0 < e);
    sorted[..idx]
        .iter()
        .rev()
        .take_while(|x| x.0 + max_len > s)
        .any(|x| x.1 > s)
}
