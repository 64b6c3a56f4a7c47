//! The data-file formats (see `data/README.md`) and the phrase matcher that runs them.
//!
//! Everything language-specific lives in `data/<lang>/`; this module knows only the
//! format, so a new language is a new folder of files, not new code.

use std::borrow::Cow;

use crate::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::model::LinearModel;
use crate::text::Token;

/// A word class: `@negator`, `@insult`, … Entries ending in `*` match by prefix.
#[derive(Debug, Default)]
pub(crate) struct Class {
    words: HashSet<String>,
    /// The vocabulary ids of `words`.
    ids: Vec<u32>,
    prefixes: Vec<String>,
}

impl Class {
    pub(crate) fn contains(&self, w: &str) -> bool {
        self.words.contains(w) || self.prefixes.iter().any(|p| w.starts_with(p.as_str()))
    }
}

#[derive(Debug, Clone)]
enum Alt {
    /// A word of the vocabulary, by id: compared as an integer.
    Word(u32),
    /// A word not in the vocabulary (patterns built at run time from a fact's key).
    Text(String),
    Prefix(String),
    Class(usize),
    Any,
    /// `#`: a number written in digits ("3", "24", "1.5").
    Number,
}

impl Alt {
    /// For the alternatives an element does not test as words or class bits.
    fn matches(&self, t: &Token) -> bool {
        match self {
            Alt::Word(x) => *x == t.id,
            Alt::Text(x) => *x == t.norm,
            Alt::Prefix(p) => t.norm.starts_with(p.as_str()),
            Alt::Class(c) => t.class_bits & (1 << c) != 0,
            Alt::Any => true,
            Alt::Number => !t.norm.is_empty() && t.norm.bytes().all(|b| b.is_ascii_digit()),
        }
    }
}

/// One element of a pattern, its alternatives sorted by how they are tested: vocabulary
/// words as integers and classes as one bit mask, which covers almost every element.
#[derive(Debug, Clone)]
struct Element {
    words: Vec<u32>,
    /// Class i ↦ bit i (there are at most 32 classes).
    classes: u32,
    /// Everything else: words outside the vocabulary, prefixes, `*`, `#`.
    other: Vec<Alt>,
    optional: bool,
}

impl Element {
    fn new(alts: Vec<Alt>, optional: bool) -> Element {
        let mut el = Element {
            words: Vec::new(),
            classes: 0,
            other: Vec::new(),
            optional,
        };
        for a in alts {
            match a {
                Alt::Word(w) => el.words.push(w),
                Alt::Class(c) if c < 32 => el.classes |= 1 << c,
                other => el.other.push(other),
            }
        }
        el.finish()
    }

    /// An element that matches what any of `els` matches.
    fn any_of<'e>(els: impl IntoIterator<Item = &'e Element>) -> Element {
        let mut all = Element::new(Vec::new(), false);
        for el in els {
            all.words.extend(&el.words);
            all.classes |= el.classes;
            all.other.extend(el.other.iter().cloned());
        }
        all.finish()
    }

    /// Sorts the words, so that long lists can be searched by halves.
    fn finish(mut self) -> Element {
        self.words.sort_unstable();
        self.words.dedup();
        self
    }

    /// Whether the token is one of the alternatives.
    #[inline]
    fn matches(&self, t: &Token) -> bool {
        t.class_bits & self.classes != 0
            || match self.words.len() {
                0 => false,
                1..=8 => self.words.contains(&t.id),
                _ => self.words.binary_search(&t.id).is_ok(),
            }
            || self.other.iter().any(|a| a.matches(t))
    }
}

/// A phrase pattern: space-separated elements, each a `|`-separated list of words,
/// `prefix*`, `@class` or `*` (any one word); an element ending in `?` is optional.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    elems: Vec<Element>,
}

impl Pattern {
    fn new(elems: Vec<(Vec<Alt>, bool)>) -> Pattern {
        Pattern {
            elems: elems
                .into_iter()
                .map(|(alts, optional)| Element::new(alts, optional))
                .collect(),
        }
    }
}

/// Patterns to try at many places ("does any of them start here?"), with a quick test of
/// the words they can start with, so most places cost one test instead of one per pattern.
pub(crate) struct Phrases<'a> {
    patterns: Vec<Cow<'a, Pattern>>,
    /// What the first elements name, all together.
    first: Element,
    /// Some pattern starts with an optional element: every place must be tried.
    anywhere: bool,
}

impl<'a> Phrases<'a> {
    fn new(patterns: Vec<Cow<'a, Pattern>>) -> Phrases<'a> {
        let firsts = || patterns.iter().filter_map(|p| p.elems.first());
        Phrases {
            first: Element::any_of(firsts()),
            anywhere: firsts().any(|el| el.optional),
            patterns,
        }
    }

    /// Whether one of the patterns matches starting at token `at`.
    pub(crate) fn match_at(&self, lex: &Lexicon, tokens: &[Token], at: usize) -> bool {
        (self.anywhere || tokens.get(at).is_some_and(|t| self.first.matches(t)))
            && self
                .patterns
                .iter()
                .any(|p| lex.pattern_at(p, tokens, at).is_some())
    }
}

/// What a rule asks of its context beyond the words themselves.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Flags {
    /// Ignore the match when a negator comes just before it ("I'm not angry").
    pub negatable: bool,
    /// Ignore the match when the text also offers an alternative (dismissive phrases).
    pub needs_alternative: bool,
    /// Only at the start of a sentence.
    pub sentence_start: bool,
    /// The match is abuse aimed at a person, not anger at a product.
    pub abuse: bool,
}

fn parse_flags(s: &str) -> Result<Flags, String> {
    let mut f = Flags::default();
    for flag in s
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty() && *f != "-")
    {
        match flag {
            "neg" => f.negatable = true,
            "alt" => f.needs_alternative = true,
            "start" => f.sentence_start = true,
            "abuse" => f.abuse = true,
            other => return Err(format!("unknown flag {other:?}")),
        }
    }
    Ok(f)
}

/// One row of a rule file.
#[derive(Debug, Clone)]
pub(crate) struct Rule<K> {
    pub kind: K,
    pub weight: f32,
    pub flags: Flags,
    pattern: Pattern,
    pub reason: String,
    pub suggestion: String,
}

/// A row whose pattern starts with `=`: a signal computed in code (shouting, waiting time…)
/// that still takes its weight and wording from the data file.
#[derive(Debug, Clone)]
pub struct Signal {
    pub weight: f32,
    pub reason: String,
    pub suggestion: String,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Match {
    pub rule: usize,
    pub tok_start: usize,
    pub tok_end: usize,
}

#[derive(Debug)]
pub(crate) struct RuleSet<K> {
    pub rules: Vec<Rule<K>>,
    pub signals: HashMap<String, Signal>,
    /// The rules that can start with each vocabulary word, by word id (built by `index`
    /// while loading; ids past the end start no rule).
    by_first: Vec<First>,
    /// The rules that start with a pair of words, when the second can only be one of a
    /// list of words too.
    by_pair: HashMap<(u32, u32), Vec<Candidate>>,
    /// The rules that can start with a prefix, a number or any word: tried everywhere.
    unindexed: Vec<Candidate>,
    /// What the unindexed rules can start with, all together, unless one of them starts
    /// with an optional element (`unindexed_anywhere`): most places need not try them.
    unindexed_first: Element,
    unindexed_anywhere: bool,
    /// Per rule, what the token after the first must be (`follow_of`), if anything.
    follow: Vec<Option<Element>>,
}

/// What starts with one vocabulary word.
#[derive(Debug, Clone, Default)]
struct First {
    rules: Vec<Candidate>,
    /// Some rule in `by_pair` starts with the word (most words start none: no lookup).
    paired: bool,
}

/// A rule worth trying where its first word is, with what rules it out most cheaply.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    rule: u32,
    sentence_start: bool,
    /// The offset of a required element (after the second) that sits at a fixed place and
    /// names only words and classes, when the pattern has one (`check_offset`): many
    /// candidates fail there, and testing one token is far cheaper than matching.
    /// 0 when there is none.
    check: u8,
    /// The first element must be tested (the rule is tried everywhere, not where its first
    /// word is).
    test_first: bool,
    /// The token after the first must be tested against `RuleSet::follow` (the rule is not
    /// indexed by the first two words).
    test_follow: bool,
}

/// A rule is indexed by its first two words only when that makes at most this many pairs.
const MAX_PAIRS: usize = 4096;

/// The words an element can match, when they can be listed: no prefixes (of its own or of
/// its classes), numbers or wildcards.
fn listed_words(el: &Element, classes: &[Class]) -> Option<Vec<u32>> {
    if !el.other.is_empty() {
        return None;
    }
    let mut words = el.words.clone();
    for (i, class) in classes.iter().enumerate() {
        if el.classes & (1 << i) != 0 {
            if !class.prefixes.is_empty() {
                return None;
            }
            words.extend(&class.ids);
        }
    }
    Some(words)
}

/// What the token after a pattern's first can be: any of the elements up to and including
/// the next required one. None when the first element is optional (the pattern may start
/// later) or nothing after it is required (the match may end with it).
fn follow_of(pattern: &Pattern) -> Option<Element> {
    let (first, rest) = pattern.elems.split_first()?;
    if first.optional {
        return None;
    }
    let next_required = rest.iter().position(|e| !e.optional)?;
    Some(Element::any_of(&rest[..=next_required]))
}

/// Among the required elements a pattern starts with (so each sits at a fixed offset), the
/// most selective one after the second (which `follow_of` covers) that names only words
/// and classes; 0 when there is no such element.
fn check_offset(pattern: &Pattern) -> u8 {
    if pattern.elems.first().is_none_or(|e| e.optional) {
        return 0;
    }
    // Fewer words and no class is more selective.
    let cost = |e: &Element| e.words.len() + 50 * e.classes.count_ones() as usize;
    let mut best: Option<(usize, usize)> = None;
    for (offset, el) in pattern.elems.iter().enumerate().skip(1) {
        if el.optional {
            break;
        }
        if offset >= 2 && el.other.is_empty() && best.is_none_or(|(_, c)| cost(el) < c) {
            best = Some((offset, cost(el)));
        }
    }
    best.and_then(|(offset, _)| u8::try_from(offset).ok())
        .unwrap_or(0)
}

/// A word of the vocabulary or of the spelling table, as the tokeniser sees it.
#[derive(Debug)]
pub(crate) struct Known {
    /// The canonical form when the word is a spelling variant.
    pub canon: Option<String>,
    /// Of the canonical form: its vocabulary id, class bits and model-class bits.
    pub id: u32,
    pub class_bits: u32,
    pub model_bits: u8,
}

/// Marks a token whose word is in no pattern or class.
pub(crate) const NO_WORD: u32 = u32::MAX;

pub(crate) struct Lexicon {
    /// Every word that appears in a pattern or a class, with an id; per id, its classes as
    /// bits (class i ↦ bit i) and its model-class bits. (Tokens find all three, and their
    /// spelling, in one lookup in `known`.)
    vocab: HashMap<String, u32>,
    vocab_classes: Vec<u32>,
    vocab_model: Vec<u8>,
    classes: Vec<Class>,
    /// Words and prefixes of `model::MODEL_CLASSES`, with their class bits.
    /// Classes with prefix entries ("fuck*"), checked per token.
    /// The prefixes of classes (`fuck*`) and of model classes by the prefix's first byte (256 buckets): (prefix, class bits,
    /// model-class bits). Checked per token, so only a bucket is scanned.
    prefixes: Vec<Vec<(String, u32, u8)>>,
    class_ids: HashMap<String, usize>,
    /// Informal spellings and their canonical forms ("dont" → "don't").
    spelling: HashMap<String, String>,
    /// What the tokeniser needs about every vocabulary word and every spelling variant,
    /// in one lookup per token (built last, from the tables above).
    known: HashMap<String, Known>,
    pub tone: RuleSet<crate::tone::ToneRule>,
    pub frustration: RuleSet<crate::frustration::SignalKind>,
    pub checklist: RuleSet<crate::tone::CheckItem>,
    /// Technical terms and their plain alternatives, matched as phrases.
    pub glossary: RuleSet<()>,
    /// Words that name a known fact ("os" → "operating system", "windows" …), keyed by the
    /// words of a fact's key.
    pub fact_words: HashMap<String, Vec<Pattern>>,
    pub stopwords: HashSet<String>,
    pub tone_model: LinearModel,
    pub frustration_model: LinearModel,
}

fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(n, l)| {
        let l = l.trim_end_matches('\r');
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            None
        } else {
            Some((n + 1, l.split('\t').collect()))
        }
    })
}

impl Lexicon {
    fn class(&self, name: &str) -> Option<&Class> {
        self.class_ids.get(name).map(|&i| &self.classes[i])
    }

    /// A word's vocabulary id, class bits and model-class bits (the latter two including
    /// classes that match by prefix).
    pub(crate) fn lookup(&self, word: &str) -> (u32, u32, u8) {
        let (id, classes, model) = match self.vocab.get(word) {
            Some(&id) => (
                id,
                self.vocab_classes[id as usize],
                self.vocab_model[id as usize],
            ),
            None => (NO_WORD, 0, 0),
        };
        let (prefix_classes, prefix_model) = self.prefix_classes(word);
        (id, classes | prefix_classes, model | prefix_model)
    }

    /// The class bits and model-class bits of the classes a word is in by prefix ("fuck*").
    pub(crate) fn prefix_classes(&self, word: &str) -> (u32, u8) {
        let (mut classes, mut model) = (0, 0);
        // Only the prefixes starting with the word's first byte can match.
        if let Some(&b) = word.as_bytes().first() {
            for (p, class_bits, model_bits) in &self.prefixes[usize::from(b)] {
                if word.starts_with(p.as_str()) {
                    classes |= class_bits;
                    model |= model_bits;
                }
            }
        }
        (classes, model)
    }

    fn add_prefix(&mut self, p: &str, class_bits: u32, model_bits: u8) {
        // An empty prefix would match every word: it belongs in every bucket.
        let buckets: Vec<usize> = match p.as_bytes().first() {
            Some(&b) => vec![usize::from(b)],
            None => (0..256).collect(),
        };
        for b in buckets {
            match self.prefixes[b].iter_mut().find(|(q, ..)| q == p) {
                Some((_, c, m)) => {
                    *c |= class_bits;
                    *m |= model_bits;
                }
                None => self.prefixes[b].push((p.to_string(), class_bits, model_bits)),
            }
        }
    }

    fn intern(&mut self, w: &str) -> u32 {
        if let Some(&id) = self.vocab.get(w) {
            return id;
        }
        let id = self.vocab_classes.len() as u32;
        self.vocab.insert(w.to_string(), id);
        self.vocab_classes.push(0);
        self.vocab_model.push(0);
        id
    }

    /// Every word a pattern or class names.
    pub(crate) fn words(&self) -> impl Iterator<Item = &str> {
        self.vocab.keys().map(String::as_str)
    }

    /// Whether an excerpt has a word that is not a stopword: evidence a person can read.
    pub(crate) fn has_content_word(&self, excerpt: &str) -> bool {
        excerpt
            .to_lowercase()
            .replace('\u{2019}', "'")
            .split(|ch: char| !ch.is_alphanumeric() && ch != '\'')
            .any(|w| !w.is_empty() && !self.stopwords.contains(w))
    }

    /// The words of a class (not its prefixes), sorted; none for an unknown class.
    pub(crate) fn class_words(&self, name: &str) -> Vec<String> {
        let mut words: Vec<String> = self
            .class(name)
            .map(|c| c.words.iter().cloned().collect())
            .unwrap_or_default();
        words.sort();
        words
    }

    pub(crate) fn in_class(&self, name: &str, word: &str) -> bool {
        self.class(name).is_some_and(|c| c.contains(word))
    }

    /// Compiles a pattern at load time, adding its words to the vocabulary.
    fn compile_pattern(&mut self, s: &str) -> Result<Pattern, String> {
        let mut elems = self.parse_elements(s)?;
        for (alts, _) in &mut elems {
            for a in alts {
                if let Alt::Text(w) = a {
                    *a = Alt::Word(self.intern(w));
                }
            }
        }
        Ok(Pattern::new(elems))
    }

    /// Parses a pattern; words outside the vocabulary stay text (run-time patterns).
    fn parse_pattern(&self, s: &str) -> Result<Pattern, String> {
        Ok(Pattern::new(self.parse_elements(s)?))
    }

    /// A pattern's elements: their alternatives, and whether each is optional.
    fn parse_elements(&self, s: &str) -> Result<Vec<(Vec<Alt>, bool)>, String> {
        let mut elems = Vec::new();
        // Hyphens split words in the text ("back-end" is two tokens), so they do here too.
        let spaced = s.replace('-', " ");
        for raw in spaced.split_whitespace() {
            let (raw, optional) = match raw.strip_suffix('?') {
                Some(r) => (r, true),
                None => (raw, false),
            };
            let mut alts = Vec::new();
            for a in raw.split('|') {
                let a = a.to_lowercase().replace('\u{2019}', "'");
                let alt = if a == "*" {
                    Alt::Any
                } else if a == "#" {
                    Alt::Number
                } else if let Some(name) = a.strip_prefix('@') {
                    Alt::Class(
                        *self
                            .class_ids
                            .get(name)
                            .ok_or_else(|| format!("unknown class @{name}"))?,
                    )
                } else if let Some(p) = a.strip_suffix('*') {
                    Alt::Prefix(p.to_string())
                } else if a.is_empty() {
                    return Err(format!("empty alternative in {s:?}"));
                } else {
                    match self.vocab.get(a.as_str()) {
                        Some(&id) => Alt::Word(id),
                        None => Alt::Text(a),
                    }
                };
                alts.push(alt);
            }
            elems.push((alts, optional));
        }
        if elems.iter().all(|e| e.1) {
            return Err(format!("pattern {s:?} has no required word"));
        }
        Ok(elems)
    }

    fn parse_rules<K: Copy>(
        &mut self,
        text: &str,
        file: &str,
        kind: impl Fn(&str) -> Option<K>,
    ) -> Result<RuleSet<K>, String> {
        let mut set = RuleSet::empty();
        for (line, cols) in rows(text) {
            let err = |m: String| format!("{file}:{line}: {m}");
            if cols.len() < 4 {
                return Err(err("expected at least 4 tab-separated columns".into()));
            }
            let weight: f32 = cols[1]
                .trim()
                .parse()
                .map_err(|_| err(format!("bad weight {:?}", cols[1])))?;
            let flags = parse_flags(cols[2]).map_err(err)?;
            let reason = cols.get(4).unwrap_or(&"").trim().to_string();
            let suggestion = cols.get(5).unwrap_or(&"").trim().to_string();
            let pat = cols[3].trim();
            if let Some(name) = pat.strip_prefix('=') {
                set.signals.insert(
                    name.to_string(),
                    Signal {
                        weight,
                        reason,
                        suggestion,
                    },
                );
                continue;
            }
            let k =
                kind(cols[0].trim()).ok_or_else(|| err(format!("unknown kind {:?}", cols[0])))?;
            // Several phrases may share a row, separated by ";".
            for one in pat.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                let pattern = self.compile_pattern(one).map_err(err)?;
                let idx = set.rules.len();
                set.index(idx, &pattern, flags.sentence_start, &self.classes);
                set.rules.push(Rule {
                    kind: k,
                    weight,
                    flags,
                    pattern,
                    reason: reason.clone(),
                    suggestion: suggestion.clone(),
                });
            }
        }
        Ok(set)
    }

    pub(crate) fn load(files: &LanguageFiles) -> Result<Lexicon, String> {
        let mut lex = Lexicon {
            vocab: HashMap::default(),
            vocab_classes: Vec::new(),
            vocab_model: Vec::new(),
            classes: Vec::new(),
            prefixes: vec![Vec::new(); 256],
            class_ids: HashMap::default(),
            spelling: HashMap::default(),
            known: HashMap::default(),
            tone: RuleSet::empty(),
            frustration: RuleSet::empty(),
            checklist: RuleSet::empty(),
            glossary: RuleSet::empty(),
            fact_words: HashMap::default(),
            stopwords: HashSet::default(),
            tone_model: LinearModel::parse(files.tone_model)
                .map_err(|e| format!("tone model: {e}"))?,
            frustration_model: LinearModel::parse(files.frustration_model)
                .map_err(|e| format!("frustration model: {e}"))?,
        };
        let mut class_prefixes: Vec<(usize, String)> = Vec::new();
        let mut model_class_prefixes: Vec<(String, u8)> = Vec::new();
        for (line, cols) in rows(files.classes) {
            if cols.len() != 2 {
                return Err(format!("classes.tsv:{line}: expected name<TAB>words"));
            }
            let mut class = Class::default();
            for w in cols[1].split_whitespace() {
                let w = w.to_lowercase().replace('\u{2019}', "'");
                match w.strip_suffix('*') {
                    Some(p) => class.prefixes.push(p.to_string()),
                    None => {
                        class.words.insert(w);
                    }
                }
            }
            let c = lex.classes.len();
            if c >= 32 {
                return Err("classes.tsv: at most 32 classes".into());
            }
            for w in &class.words {
                let id = lex.intern(w);
                lex.vocab_classes[id as usize] |= 1 << c;
                class.ids.push(id);
            }
            for p in &class.prefixes {
                class_prefixes.push((c, p.clone()));
            }
            lex.class_ids.insert(cols[0].trim().to_string(), c);
            lex.classes.push(class);
        }
        for (i, name) in crate::model::MODEL_CLASSES.iter().enumerate() {
            let Some(&c) = lex.class_ids.get(*name) else {
                continue;
            };
            for w in lex.classes[c].words.clone() {
                let id = lex.intern(&w);
                lex.vocab_model[id as usize] |= 1 << i;
            }
            for p in &lex.classes[c].prefixes {
                model_class_prefixes.push((p.clone(), 1 << i));
            }
        }
        for (c, p) in class_prefixes {
            lex.add_prefix(&p, 1 << c, 0);
        }
        for (p, bit) in model_class_prefixes {
            lex.add_prefix(&p, 0, bit);
        }
        for (line, cols) in rows(files.spelling) {
            if cols.len() != 2 {
                return Err(format!(
                    "spelling.tsv:{line}: expected variant<TAB>canonical"
                ));
            }
            lex.spelling
                .insert(cols[0].trim().to_lowercase(), cols[1].trim().to_lowercase());
        }
        lex.stopwords = files
            .stopwords
            .split_whitespace()
            .filter(|w| !w.starts_with('#'))
            .map(str::to_string)
            .collect();
        lex.tone = lex.parse_rules(files.tone, "tone.tsv", crate::tone::ToneRule::from_name)?;
        lex.frustration = lex.parse_rules(
            files.frustration,
            "frustration.tsv",
            crate::frustration::SignalKind::from_name,
        )?;
        lex.checklist = lex.parse_rules(
            files.checklist,
            "checklist.tsv",
            crate::tone::CheckItem::from_name,
        )?;
        // The glossary is `term<TAB>plain words`; reuse the rule machinery with the plain
        // alternative as the suggestion.
        let mut glossary = RuleSet::empty();
        for (line, cols) in rows(files.glossary) {
            if cols.len() != 2 {
                return Err(format!(
                    "glossary.tsv:{line}: expected term<TAB>plain alternative"
                ));
            }
            for one in cols[0].split(';').map(str::trim).filter(|p| !p.is_empty()) {
                let pattern = lex
                    .compile_pattern(one)
                    .map_err(|e| format!("glossary.tsv:{line}: {e}"))?;
                let idx = glossary.rules.len();
                glossary.index(idx, &pattern, false, &lex.classes);
                // `reason` holds the row's first spelling: the term is reported once per row.
                glossary.rules.push(Rule {
                    kind: (),
                    weight: 0.0,
                    flags: Flags::default(),
                    pattern,
                    reason: cols[0].trim().to_string(),
                    suggestion: cols[1].trim().to_string(),
                });
            }
        }
        lex.glossary = glossary;
        for (line, cols) in rows(files.facts) {
            if cols.len() != 2 {
                return Err(format!("facts.tsv:{line}: expected key word<TAB>patterns"));
            }
            let mut pats = Vec::new();
            for p in cols[1].split(';') {
                let p = p.trim();
                if !p.is_empty() {
                    pats.push(
                        lex.compile_pattern(p)
                            .map_err(|e| format!("facts.tsv:{line}: {e}"))?,
                    );
                }
            }
            lex.fact_words.insert(cols[0].trim().to_lowercase(), pats);
        }
        lex.known = lex.known_words();
        Ok(lex)
    }

    /// The `known` table: every vocabulary word, then every spelling variant (a variant is
    /// read as its canonical form even when it is a vocabulary word itself).
    fn known_words(&self) -> HashMap<String, Known> {
        let mut known = HashMap::default();
        let mut add = |word: &str, canon: Option<&String>| {
            let (id, class_bits, model_bits) = self.lookup(canon.map_or(word, String::as_str));
            let canon = canon.cloned();
            let k = Known {
                canon,
                id,
                class_bits,
                model_bits,
            };
            known.insert(word.to_string(), k);
        };
        for w in self.vocab.keys() {
            add(w, None);
        }
        for (variant, canon) in &self.spelling {
            add(variant, Some(canon));
        }
        known
    }

    /// A normalised word's entry in the `known` table, with the key as stored there. A word
    /// it lacks is in no pattern or class (`NO_WORD`), except by prefix (`prefix_classes`).
    pub(crate) fn known(&self, word: &str) -> Option<(&str, &Known)> {
        self.known.get_key_value(word).map(|(k, v)| (k.as_str(), v))
    }

    /// The patterns `facts.tsv` lists for a word or key, with the word itself as a pattern.
    pub(crate) fn fact_phrases(&self, key: &str) -> Phrases<'_> {
        let mut patterns: Vec<Cow<Pattern>> = self
            .fact_words
            .get(key)
            .into_iter()
            .flatten()
            .map(Cow::Borrowed)
            .collect();
        patterns.extend(self.parse_pattern(key).ok().map(Cow::Owned));
        Phrases::new(patterns)
    }

    /// Length in tokens of the match of `elems` at `tokens[at..]`, if any (longest wins).
    fn match_at(elems: &[Element], tokens: &[Token], at: usize, sentence: u32) -> Option<usize> {
        let Some((first, rest)) = elems.split_first() else {
            return Some(0);
        };
        let here = tokens
            .get(at)
            .is_some_and(|t| t.sentence == sentence && !t.quoted && first.matches(t));
        if here && let Some(n) = Self::match_at(rest, tokens, at + 1, sentence) {
            return Some(n + 1);
        }
        if first.optional {
            return Self::match_at(rest, tokens, at, sentence);
        }
        None
    }

    /// Matches `pattern` starting exactly at token `at`.
    pub(crate) fn pattern_at(
        &self,
        pattern: &Pattern,
        tokens: &[Token],
        at: usize,
    ) -> Option<usize> {
        let sentence = tokens.get(at)?.sentence;
        Self::match_at(&pattern.elems, tokens, at, sentence).filter(|&n| n > 0)
    }

    /// Every match of every rule in `set`, longest first at each start, with matches that
    /// sit inside a longer one dropped (so "as I already said" is one finding, not two).
    pub(crate) fn find<K>(&self, set: &RuleSet<K>, tokens: &[Token]) -> Vec<Match> {
        let mut found = Vec::new();
        for (at, t) in tokens.iter().enumerate() {
            if t.quoted {
                continue;
            }
            // Most words start no rule: skip them before looking further.
            let first = set
                .by_first
                .get(t.id as usize)
                .filter(|f| f.paired || !f.rules.is_empty());
            let unindexed = match set.unindexed_anywhere || set.unindexed_first.matches(t) {
                true => set.unindexed.as_slice(),
                false => &[],
            };
            if first.is_none() && unindexed.is_empty() {
                continue;
            }
            let by_first = first.map_or(&[][..], |f| f.rules.as_slice());
            // A match never crosses a sentence or takes a quoted word.
            let next = tokens
                .get(at + 1)
                .filter(|n| n.sentence == t.sentence && !n.quoted);
            let by_pair = match next {
                Some(n) if first.is_some_and(|f| f.paired) => set
                    .by_pair
                    .get(&(t.id, n.id))
                    .map_or(&[][..], Vec::as_slice),
                _ => &[][..],
            };
            let starts_sentence = at == 0 || tokens[at - 1].sentence != t.sentence;
            for c in by_first.iter().chain(by_pair).chain(unindexed) {
                if c.sentence_start && !starts_sentence {
                    continue;
                }
                let rule = &set.rules[c.rule as usize];
                if c.test_first && !rule.pattern.elems[0].matches(t) {
                    continue;
                }
                if c.test_follow && !set.follows(c.rule, next) {
                    continue;
                }
                if c.check > 0 {
                    let el = &rule.pattern.elems[c.check as usize];
                    match tokens.get(at + c.check as usize) {
                        Some(n) if n.sentence == t.sentence && !n.quoted && el.matches(n) => {}
                        _ => continue,
                    }
                }
                if let Some(n) = self.pattern_at(&rule.pattern, tokens, at) {
                    if rule.flags.negatable && self.negated(tokens, at) {
                        continue;
                    }
                    found.push(Match {
                        rule: c.rule as usize,
                        tok_start: at,
                        tok_end: at + n,
                    });
                }
            }
        }
        found.sort_by(|a, b| {
            a.tok_start
                .cmp(&b.tok_start)
                .then((b.tok_end - b.tok_start).cmp(&(a.tok_end - a.tok_start)))
                .then(a.rule.cmp(&b.rule))
        });
        let mut kept: Vec<Match> = Vec::with_capacity(found.len());
        let mut reach = 0usize;
        for m in found {
            // Sorted by start then length, so a match is inside an earlier kept one exactly
            // when it ends no later than the furthest kept end.
            if !kept.is_empty() && m.tok_end <= reach {
                continue;
            }
            reach = reach.max(m.tok_end);
            kept.push(m);
        }
        kept
    }

    /// A negator among the three words before `at`, in the same sentence.
    pub(crate) fn negated(&self, tokens: &[Token], at: usize) -> bool {
        let sentence = tokens[at].sentence;
        let neg = self.class_ids.get("negator").map_or(0, |&c| 1u32 << c);
        tokens[at.saturating_sub(3)..at]
            .iter()
            .filter(|t| t.sentence == sentence)
            .any(|t| t.class_bits & neg != 0 || t.norm.ends_with("n't"))
    }
}

impl<K> RuleSet<K> {
    fn empty() -> Self {
        RuleSet {
            rules: Vec::new(),
            signals: HashMap::default(),
            by_first: Vec::new(),
            by_pair: HashMap::default(),
            unindexed: Vec::new(),
            unindexed_first: Element::new(Vec::new(), false),
            unindexed_anywhere: false,
            follow: Vec::new(),
        }
    }

    /// Rules are looked up by the words they can start with: the words of the leading
    /// elements up to the first required one, with classes expanded to their words; and
    /// when the token after the first can only be one of a list of words too, by both
    /// words, so that "you" does not try the fifty rules that start with it. Only rules
    /// that can start with a prefix, a number or any word are tried everywhere.
    fn index(&mut self, idx: usize, pattern: &Pattern, sentence_start: bool, classes: &[Class]) {
        debug_assert_eq!(self.rules.len(), idx, "rules are indexed in order");
        let follow = follow_of(pattern);
        let mut c = Candidate {
            rule: idx as u32,
            sentence_start,
            check: check_offset(pattern),
            test_first: false,
            test_follow: follow.is_some(),
        };
        let mut first: Option<Vec<u32>> = Some(Vec::new());
        for el in &pattern.elems {
            first = first.zip(listed_words(el, classes)).map(|(mut a, b)| {
                a.extend(b);
                a
            });
            if !el.optional {
                break;
            }
        }
        let next = follow.as_ref().and_then(|f| listed_words(f, classes));
        self.follow.push(follow);
        let Some(first) = first else {
            match pattern.elems.first() {
                Some(el) if !el.optional => {
                    c.test_first = true;
                    self.unindexed_first = Element::any_of([&self.unindexed_first, el]);
                }
                _ => self.unindexed_anywhere = true,
            }
            self.unindexed.push(c);
            return;
        };
        let push = |list: &mut Vec<Candidate>, c: Candidate| {
            if list.last().is_none_or(|l| l.rule != c.rule) {
                list.push(c);
            }
        };
        let next = next.filter(|next| next.len() * first.len() <= MAX_PAIRS);
        c.test_follow &= next.is_none();
        for &w in &first {
            if self.by_first.len() <= w as usize {
                self.by_first.resize(w as usize + 1, First::default());
            }
            let entry = &mut self.by_first[w as usize];
            match &next {
                Some(next) => {
                    entry.paired = true;
                    for &n in next {
                        push(self.by_pair.entry((w, n)).or_default(), c);
                    }
                }
                None => push(&mut entry.rules, c),
            }
        }
    }

    /// Whether `next` (the token after a rule's first, if in the same sentence and not
    /// quoted) can continue the rule.
    fn follows(&self, rule: u32, next: Option<&Token>) -> bool {
        match (&self.follow[rule as usize], next) {
            (None, _) => true,
            (Some(el), Some(n)) => el.matches(n),
            (Some(_), None) => false,
        }
    }

    /// A `=name` row's weight and wording; a row the file lacks weighs nothing.
    pub(crate) fn signal(&self, name: &str) -> &Signal {
        static NONE: Signal = Signal {
            weight: 0.0,
            reason: String::new(),
            suggestion: String::new(),
        };
        self.signals.get(name).unwrap_or(&NONE)
    }
}

/// The embedded files of one language.
pub(crate) struct LanguageFiles {
    pub classes: &'static str,
    pub spelling: &'static str,
    pub stopwords: &'static str,
    pub tone: &'static str,
    pub frustration: &'static str,
    pub checklist: &'static str,
    pub glossary: &'static str,
    pub facts: &'static str,
    pub tone_model: &'static str,
    pub frustration_model: &'static str,
}

pub(crate) const ENGLISH: LanguageFiles = LanguageFiles {
    classes: include_str!("../data/en/classes.tsv"),
    spelling: include_str!("../data/en/spelling.tsv"),
    stopwords: include_str!("../data/en/stopwords.txt"),
    tone: include_str!("../data/en/tone.tsv"),
    frustration: include_str!("../data/en/frustration.tsv"),
    checklist: include_str!("../data/en/checklist.tsv"),
    glossary: include_str!("../data/en/glossary.tsv"),
    facts: include_str!("../data/en/facts.tsv"),
    tone_model: include_str!("../data/en/tone_model.tsv"),
    frustration_model: include_str!("../data/en/frustration_model.tsv"),
};

pub(crate) static EN: std::sync::LazyLock<Lexicon> = std::sync::LazyLock::new(|| {
    // The files are compiled in and checked by a unit test, so failing here is a build defect.
    Lexicon::load(&ENGLISH).unwrap_or_else(|e| panic!("embedded English data is invalid: {e}"))
});
