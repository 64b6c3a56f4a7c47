//! The data-file formats (see `data/README.md`) and the phrase matcher that runs them.
//!
//! Everything language-specific lives in `data/<lang>/`; this module knows only the
//! format, so a new language is a new folder of files, not new code.

use crate::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::model::LinearModel;
use crate::text::Token;

/// A word class: `@negator`, `@insult`, … Entries ending in `*` match by prefix.
#[derive(Debug, Default)]
pub(crate) struct Class {
    words: HashSet<String>,
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

#[derive(Debug, Clone)]
struct Element {
    alts: Vec<Alt>,
    optional: bool,
}

/// A phrase pattern: space-separated elements, each a `|`-separated list of words,
/// `prefix*`, `@class` or `*` (any one word); an element ending in `?` is optional.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    elems: Vec<Element>,
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
    by_first: HashMap<u32, Vec<usize>>,
    unindexed: Vec<usize>,
    /// Per rule, a token at a fixed offset that must be one of a few words, when the
    /// pattern says so plainly: most candidates found by their first word fail there, and
    /// this test is far cheaper than matching.
    next: Vec<Option<NextFilter>>,
}

/// What the token `offset` places after a rule's first must be: words or classes.
#[derive(Debug, Clone)]
struct NextFilter {
    offset: usize,
    words: Vec<u32>,
    classes: u32,
}

impl NextFilter {
    /// Among the required elements a pattern starts with (so each sits at a fixed
    /// offset), the most selective one after the first that names only words and
    /// classes; none when there is no such element.
    fn of(pattern: &Pattern) -> Option<NextFilter> {
        if pattern.elems.first()?.optional {
            return None;
        }
        let mut best: Option<NextFilter> = None;
        for (offset, el) in pattern.elems.iter().enumerate().skip(1) {
            if el.optional {
                break;
            }
            let mut f = NextFilter {
                offset,
                words: Vec::new(),
                classes: 0,
            };
            let plain = el.alts.iter().all(|a| match a {
                Alt::Word(w) => {
                    f.words.push(*w);
                    true
                }
                Alt::Class(c) if *c < 32 => {
                    f.classes |= 1 << c;
                    true
                }
                _ => false,
            });
            // Fewer words and no class is more selective.
            let cost = |f: &NextFilter| f.words.len() + 50 * f.classes.count_ones() as usize;
            if plain && best.as_ref().is_none_or(|b| cost(&f) < cost(b)) {
                best = Some(f);
            }
        }
        best
    }

    fn admits(&self, t: &Token) -> bool {
        t.class_bits & self.classes != 0 || self.words.contains(&t.id)
    }
}

/// Marks a token whose word is in no pattern or class.
pub(crate) const NO_WORD: u32 = u32::MAX;

pub(crate) struct Lexicon {
    /// Every word that appears in a pattern or a class, with an id; per id, its classes as
    /// bits (class i ↦ bit i) and its model-class bits. One lookup per token gives all three.
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
    pub spelling: HashMap<String, String>,
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
        let (id, mut classes, mut model) = match self.vocab.get(word) {
            Some(&id) => (
                id,
                self.vocab_classes[id as usize],
                self.vocab_model[id as usize],
            ),
            None => (NO_WORD, 0, 0),
        };
        // Only the prefixes starting with the word's first byte can match.
        if let Some(&b) = word.as_bytes().first() {
            for (p, class_bits, model_bits) in &self.prefixes[usize::from(b)] {
                if word.starts_with(p.as_str()) {
                    classes |= class_bits;
                    model |= model_bits;
                }
            }
        }
        (id, classes, model)
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

    pub(crate) fn in_class(&self, name: &str, word: &str) -> bool {
        self.class(name).is_some_and(|c| c.contains(word))
    }

    /// Compiles a pattern at load time, adding its words to the vocabulary.
    fn compile_pattern(&mut self, s: &str) -> Result<Pattern, String> {
        let mut p = self.parse_pattern(s)?;
        for el in &mut p.elems {
            for a in &mut el.alts {
                if let Alt::Text(w) = a {
                    *a = Alt::Word(self.intern(w));
                }
            }
        }
        Ok(p)
    }

    /// Parses a pattern; words outside the vocabulary stay text (run-time patterns).
    fn parse_pattern(&self, s: &str) -> Result<Pattern, String> {
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
            elems.push(Element { alts, optional });
        }
        if elems.iter().all(|e| e.optional) {
            return Err(format!("pattern {s:?} has no required word"));
        }
        Ok(Pattern { elems })
    }

    fn parse_rules<K: Copy>(
        &mut self,
        text: &str,
        file: &str,
        kind: impl Fn(&str) -> Option<K>,
    ) -> Result<RuleSet<K>, String> {
        let mut set = RuleSet {
            rules: Vec::new(),
            signals: HashMap::default(),
            by_first: HashMap::default(),
            unindexed: Vec::new(),
            next: Vec::new(),
        };
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
                set.index(idx, &pattern, &self.classes, &self.vocab);
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
                glossary.index(idx, &pattern, &lex.classes, &lex.vocab);
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
        Ok(lex)
    }

    pub(crate) fn parse_pattern_pub(&self, s: &str) -> Option<Pattern> {
        self.parse_pattern(s).ok()
    }

    fn alt_matches(&self, alt: &Alt, t: &Token) -> bool {
        match alt {
            Alt::Word(x) => *x == t.id,
            Alt::Text(x) => *x == t.norm,
            Alt::Prefix(p) => t.norm.starts_with(p.as_str()),
            Alt::Class(c) => t.class_bits & (1 << c) != 0,
            Alt::Any => true,
            Alt::Number => !t.norm.is_empty() && t.norm.bytes().all(|b| b.is_ascii_digit()),
        }
    }

    /// Length in tokens of the match of `elems` at `tokens[at..]`, if any (longest wins).
    fn match_at(
        &self,
        elems: &[Element],
        tokens: &[Token],
        at: usize,
        sentence: u32,
    ) -> Option<usize> {
        let Some((first, rest)) = elems.split_first() else {
            return Some(0);
        };
        let here = tokens
            .get(at)
            .filter(|t| t.sentence == sentence && !t.quoted)
            .is_some_and(|t| first.alts.iter().any(|a| self.alt_matches(a, t)));
        let taken = if here {
            self.match_at(rest, tokens, at + 1, sentence).map(|n| n + 1)
        } else {
            None
        };
        if taken.is_some() {
            return taken;
        }
        if first.optional {
            return self.match_at(rest, tokens, at, sentence);
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
        self.match_at(&pattern.elems, tokens, at, sentence)
            .filter(|&n| n > 0)
    }

    /// Every match of every rule in `set`, longest first at each start, with matches that
    /// sit inside a longer one dropped (so "as I already said" is one finding, not two).
    pub(crate) fn find<K>(&self, set: &RuleSet<K>, tokens: &[Token]) -> Vec<Match> {
        let mut found = Vec::new();
        for at in 0..tokens.len() {
            if tokens[at].quoted {
                continue;
            }
            let candidates = set
                .by_first
                .get(&tokens[at].id)
                .into_iter()
                .flatten()
                .chain(set.unindexed.iter());
            for &r in candidates {
                let rule = &set.rules[r];
                if rule.flags.sentence_start
                    && at > 0
                    && tokens[at - 1].sentence == tokens[at].sentence
                {
                    continue;
                }
                if let Some(f) = &set.next[r] {
                    match tokens.get(at + f.offset) {
                        Some(t)
                            if t.sentence == tokens[at].sentence && !t.quoted && f.admits(t) => {}
                        _ => continue,
                    }
                }
                if let Some(n) = self.pattern_at(&rule.pattern, tokens, at) {
                    if rule.flags.negatable && self.negated(tokens, at) {
                        continue;
                    }
                    found.push(Match {
                        rule: r,
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
            by_first: HashMap::default(),
            unindexed: Vec::new(),
            next: Vec::new(),
        }
    }

    /// Rules are looked up by the words they can start with: the words of the leading
    /// elements up to the first required one, with classes expanded to their words. Only
    /// rules that can start with a prefix, a number or any word are tried everywhere.
    fn index(
        &mut self,
        idx: usize,
        pattern: &Pattern,
        classes: &[Class],
        vocab: &HashMap<String, u32>,
    ) {
        debug_assert_eq!(self.next.len(), idx, "rules are indexed in order");
        self.next.push(NextFilter::of(pattern));
        let mut words: Vec<u32> = Vec::new();
        let mut anywhere = false;
        for el in &pattern.elems {
            for a in &el.alts {
                match a {
                    Alt::Word(w) => words.push(*w),
                    Alt::Class(c) if classes[*c].prefixes.is_empty() => {
                        words.extend(classes[*c].words.iter().filter_map(|w| vocab.get(w)))
                    }
                    _ => anywhere = true,
                }
            }
            if !el.optional {
                break;
            }
        }
        if anywhere {
            self.unindexed.push(idx);
            return;
        }
        for w in words {
            let list = self.by_first.entry(w).or_default();
            if list.last() != Some(&idx) {
                list.push(idx);
            }
        }
    }

    pub(crate) fn signal(&self, name: &str) -> Signal {
        self.signals.get(name).cloned().unwrap_or(Signal {
            weight: 0.0,
            reason: String::new(),
            suggestion: String::new(),
        })
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
