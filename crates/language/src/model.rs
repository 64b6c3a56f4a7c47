//! A small linear model over word, word-pair, character and punctuation features, used
//! beside the rules so that wording no rule names still moves a score — always with the
//! words that moved it.
//!
//! File format (`*_model.tsv`): `bias<TAB>w` on the first data line, then `=rules<TAB>β`,
//! then `feature<TAB>w`. A feature is a word (`sorry`), a word after a negator (`!sorry`), a
//! pair of adjacent words in one sentence (`sorry about`), a sentence-initial word
//! (`^ please`), a word class (`@insult`), a word up to three words after a scope class
//! (`@you should`, `@minimizer reboot`), a character n-gram of a word (`~<stup`, so
//! "stupidity" and misspellings share weight with the words seen in training) or a mark
//! (`%!!`, `%CAPS`). Features count once per text (presence).
//!
//! The model is trained together with the rules: a text's rule points R (what the rules
//! alone charge it) enter training as one more input, so the logit is
//! `bias + β·R + Σ feature weights`. β says how much a rule point is worth in logits; the
//! analyses turn the features' part into points at 1/β points per logit, so rules and model
//! add up on one scale and rank texts by the logit the model was fitted for.

use crate::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::text::Token;

#[derive(Debug, Default, Clone)]
pub struct LinearModel {
    pub(crate) bias: f32,
    /// β: logits per rule point (0 for a model trained without rules).
    pub(crate) rules: f32,
    /// The features' logit of a typical training text: the neutral point the features'
    /// points are counted from. `None` for older files: the bias then.
    pub(crate) reference: Option<f32>,
    /// Points per logit of the features' part, calibrated on a development split (see
    /// [`calibrate`]); `None`: 1/β, a rule point's worth.
    pub(crate) per_logit: Option<f32>,
    weights: HashMap<String, (u32, f32)>,
    /// `weights` by word instead of by feature text (built from it), so scoring looks each
    /// word up once instead of building and hashing three strings per word.
    index: FeatureIndex,
}

/// A feature's id (for counting it once) and weight.
type Weight = (u32, f32);

/// The features of one word: the word itself, negated, first in a sentence, and in the
/// scope of each scope class.
#[derive(Debug, Default, Clone, Copy)]
struct WordFeatures {
    /// The word's id, for `FeatureIndex::pairs`.
    id: u32,
    plain: Option<Weight>,
    negated: Option<Weight>,
    start: Option<Weight>,
    scoped: [Option<Weight>; SCOPE_CLASSES.len()],
    /// Some pair feature starts with the word (most words start none: no lookup).
    starts_pair: bool,
}

#[derive(Debug, Default, Clone)]
struct FeatureIndex {
    /// Every word some feature names, with its own features: one lookup per token.
    words: HashMap<String, WordFeatures>,
    /// Pairs by the ids of their words.
    pairs: HashMap<(u32, u32), Weight>,
    /// Character n-grams (without the `~`).
    grams: HashMap<String, Weight>,
    /// Per model class, the plain and the negated feature.
    classes: [[Option<Weight>; 2]; MODEL_CLASS_FEATURES.len()],
    marks: [Option<Weight>; MARKS.len()],
    /// One more than the largest feature id.
    ids: usize,
}

impl FeatureIndex {
    fn build(weights: &HashMap<String, (u32, f32)>) -> FeatureIndex {
        let mut index = FeatureIndex::default();
        // By id, so word ids do not depend on the map's iteration order.
        let mut named: Vec<(&String, Weight)> = weights.iter().map(|(k, &w)| (k, w)).collect();
        named.sort_by_key(|x| x.1.0);
        for (name, weight) in named {
            index.add(name, weight);
            index.ids = index.ids.max(weight.0 as usize + 1);
        }
        index
    }

    fn word(&mut self, w: &str) -> &mut WordFeatures {
        if !self.words.contains_key(w) {
            let id = self.words.len() as u32;
            let features = WordFeatures {
                id,
                ..WordFeatures::default()
            };
            self.words.insert(w.to_string(), features);
        }
        self.words.get_mut(w).expect("inserted above")
    }

    /// Files a feature by its text (see `Feature::write`); text `each_feature` can never
    /// produce (an unknown class or mark) is left out.
    fn add(&mut self, name: &str, weight: Weight) {
        let class = |c: &str| MODEL_CLASS_FEATURES.iter().position(|&n| n == c);
        if let Some(g) = name.strip_prefix('~') {
            self.grams.insert(g.to_string(), weight);
        } else if name.starts_with('%') {
            if let Some(i) = MARKS.iter().position(|&m| m == name) {
                self.marks[i] = Some(weight);
            }
        } else if let Some((a, b)) = name.split_once(' ') {
            if a == "^" {
                self.word(b).start = Some(weight);
            } else if a.starts_with('@') {
                let scope = class(a).and_then(|c| SCOPE_CLASSES.iter().position(|&s| s == c));
                if let Some(s) = scope {
                    self.word(b).scoped[s] = Some(weight);
                }
            } else {
                let first = self.word(a);
                first.starts_pair = true;
                let first = first.id;
                let second = self.word(b).id;
                self.pairs.insert((first, second), weight);
            }
        } else if let Some(c) = name.strip_prefix('!').filter(|c| c.starts_with('@')) {
            if let Some(i) = class(c) {
                self.classes[i][1] = Some(weight);
            }
        } else if name.starts_with('@') {
            if let Some(i) = class(name) {
                self.classes[i][0] = Some(weight);
            }
        } else if let Some(w) = name.strip_prefix('!') {
            self.word(w).negated = Some(weight);
        } else {
            self.word(name).plain = Some(weight);
        }
    }
}

/// One feature of the text that carries weight, at its first place in the text.
#[derive(Debug, Clone)]
pub(crate) struct Contribution {
    pub sentence: u32,
    pub start: usize,
    pub end: usize,
    pub weight: f32,
}

/// Word classes (from `classes.tsv`) that are also model features (`@insult`…): they let
/// the model generalise from the words it saw to the words of the same class it did not.
pub(crate) const MODEL_CLASSES: [&str; 8] = [
    "emotion_neg",
    "profanity",
    "insult",
    "negator",
    "you",
    "emphasis",
    "intensifier",
    "minimizer",
];
const NEGATOR_BIT: usize = 3;
const MODEL_CLASS_FEATURES: [&str; 8] = [
    "@emotion_neg",
    "@profanity",
    "@insult",
    "@negator",
    "@you",
    "@emphasis",
    "@intensifier",
    "@minimizer",
];
/// Classes whose next words get features of their own: "you should have", "you obviously"
/// (second-person framing), "so rude" (intensified), "just reboot" (minimised) read
/// differently from the same words elsewhere.
const SCOPE_CLASSES: [usize; 3] = [4, 6, 7];
/// How many words after a negator or a scope word are in its scope.
const SCOPE_WORDS: usize = 3;

/// Punctuation and casing: `!`, `!!…`, `?`, `??`/`?!`, `...`, a shouted word.
pub(crate) const MARKS: [&str; 6] = ["%!", "%!!", "%?", "%?!", "%...", "%CAPS"];
const CAPS_MARK: usize = 5;

/// Character n-grams of each word (padded `<word>`), lengths in this range.
const GRAM_LENGTHS: std::ops::RangeInclusive<usize> = 4..=5;
/// Longer words (URLs, hashes) get no n-grams.
const GRAM_MAX_WORD: usize = 20;

/// One feature occurrence, naming tokens by their index.
#[derive(Debug, Clone, Copy)]
enum Feature {
    /// `word`, or `!word` up to three words after a negator.
    Word { tok: usize, negated: bool },
    /// `@class`, or `!@class` after a negator.
    Class { class: usize, negated: bool },
    /// `prev word`: two adjacent words of one sentence.
    Pair { prev: usize, tok: usize },
    /// `^ word`: the first word of a sentence.
    Start { tok: usize },
    /// `@class word`: a word in the scope of `SCOPE_CLASSES[scope]`.
    Scoped { scope: usize, tok: usize },
    /// `MARKS[mark]`.
    Mark { mark: usize },
}

impl Feature {
    /// The feature's text, as the model files name it.
    fn write(self, tokens: &[Token], buf: &mut String) {
        buf.clear();
        match self {
            Feature::Word { tok, negated } => {
                if negated {
                    buf.push('!');
                }
                buf.push_str(&tokens[tok].norm);
            }
            Feature::Class { class, negated } => {
                if negated {
                    buf.push('!');
                }
                buf.push_str(MODEL_CLASS_FEATURES[class]);
            }
            Feature::Pair { prev, tok } => {
                buf.push_str(&tokens[prev].norm);
                buf.push(' ');
                buf.push_str(&tokens[tok].norm);
            }
            Feature::Start { tok } => {
                buf.push_str("^ ");
                buf.push_str(&tokens[tok].norm);
            }
            Feature::Scoped { scope, tok } => {
                buf.push_str(MODEL_CLASS_FEATURES[SCOPE_CLASSES[scope]]);
                buf.push(' ');
                buf.push_str(&tokens[tok].norm);
            }
            Feature::Mark { mark } => buf.push_str(MARKS[mark]),
        }
    }
}

/// The mark of the punctuation run at the start of `rest` (text right after a word), and
/// the run's length in bytes.
fn punctuation_mark(rest: &str) -> Option<(usize, usize)> {
    let len = rest
        .bytes()
        .take_while(|b| matches!(b, b'!' | b'?' | b'.'))
        .count();
    let run = &rest.as_bytes()[..len];
    let bangs = run.iter().filter(|&&b| b == b'!').count();
    let asks = run.iter().filter(|&&b| b == b'?').count();
    let mark = if asks >= 2 || (asks >= 1 && bangs >= 1) {
        3
    } else if bangs >= 2 {
        1
    } else if bangs == 1 {
        0
    } else if asks == 1 {
        2
    } else if len >= 3 {
        4
    } else if rest.starts_with('\u{2026}') {
        return Some((4, '\u{2026}'.len_utf8()));
    } else {
        return None;
    };
    Some((mark, len))
}

/// Calls `f(feature, sentence, start, end)` for every feature occurrence of the unquoted
/// tokens except character n-grams (see `each_gram`).
fn each_feature(text: &str, tokens: &[Token], mut f: impl FnMut(Feature, u32, usize, usize)) {
    let mut prev: Option<usize> = None;
    // Words up to three after a negator in the same sentence are marked ("not angry" ->
    // "!angry"), so negated words learn their own weight instead of the plain word's; the
    // scope classes likewise.
    let mut negated_until: Option<(u32, usize)> = None;
    let mut scoped_until: [Option<(u32, usize)>; SCOPE_CLASSES.len()] = Default::default();
    for (n, (i, t)) in tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.quoted)
        .enumerate()
    {
        let in_scope = |s: Option<(u32, usize)>| s.is_some_and(|(s, u)| s == t.sentence && n <= u);
        let negated = in_scope(negated_until);
        f(
            Feature::Word { tok: i, negated },
            t.sentence,
            t.start,
            t.end,
        );
        for (scope, until) in scoped_until.iter().enumerate() {
            if in_scope(*until) {
                f(
                    Feature::Scoped { scope, tok: i },
                    t.sentence,
                    t.start,
                    t.end,
                );
            }
        }
        for class in 0..MODEL_CLASS_FEATURES.len() {
            if t.classes & (1 << class) != 0 {
                let negated = negated && class != NEGATOR_BIT;
                f(
                    Feature::Class { class, negated },
                    t.sentence,
                    t.start,
                    t.end,
                );
            }
        }
        if t.classes & (1 << NEGATOR_BIT) != 0 || t.norm.ends_with("n't") {
            negated_until = Some((t.sentence, n + SCOPE_WORDS));
        }
        for (scope, &class) in SCOPE_CLASSES.iter().enumerate() {
            if t.classes & (1 << class) != 0 {
                scoped_until[scope] = Some((t.sentence, n + SCOPE_WORDS));
            }
        }
        match prev {
            Some(p) if tokens[p].sentence == t.sentence => {
                f(
                    Feature::Pair { prev: p, tok: i },
                    t.sentence,
                    tokens[p].start,
                    t.end,
                );
            }
            _ => f(Feature::Start { tok: i }, t.sentence, t.start, t.end),
        }
        if t.all_caps && t.letters >= 3 && !t.placeholder {
            f(
                Feature::Mark { mark: CAPS_MARK },
                t.sentence,
                t.start,
                t.end,
            );
        }
        if let Some((mark, len)) = text.get(t.end..).and_then(punctuation_mark) {
            f(Feature::Mark { mark }, t.sentence, t.end, t.end + len);
        }
        prev = Some(i);
    }
}

/// Calls `f(token index, n-gram)` for the character n-grams of every unquoted word of
/// letters, padded as `<word>` (the whole padded word is the word feature, not a gram).
fn each_gram(tokens: &[Token], mut f: impl FnMut(usize, &str)) {
    let mut padded = String::with_capacity(GRAM_MAX_WORD * 4 + 2);
    let mut bounds: Vec<usize> = Vec::with_capacity(GRAM_MAX_WORD + 3);
    for (i, t) in tokens.iter().enumerate() {
        if t.quoted || t.placeholder || t.letters < 2 {
            continue;
        }
        padded.clear();
        padded.push('<');
        padded.push_str(&t.norm);
        padded.push('>');
        bounds.clear();
        bounds.extend(padded.char_indices().map(|(b, _)| b));
        bounds.push(padded.len());
        let chars = bounds.len() - 1;
        if chars > GRAM_MAX_WORD + 2 || !t.norm.chars().all(|c| c.is_alphabetic() || c == '\'') {
            continue;
        }
        for n in GRAM_LENGTHS.filter(|&n| n < chars) {
            for s in 0..=chars - n {
                f(i, &padded[bounds[s]..bounds[s + n]]);
            }
        }
    }
}

/// The distinct features of a text, for training.
pub(crate) fn feature_set(text: &str, tokens: &[Token]) -> Vec<String> {
    let mut seen = HashSet::default();
    let mut buf = String::with_capacity(48);
    each_feature(text, tokens, |f, _, _, _| {
        f.write(tokens, &mut buf);
        if !seen.contains(buf.as_str()) {
            seen.insert(buf.clone());
        }
    });
    each_gram(tokens, |_, g| {
        buf.clear();
        buf.push('~');
        buf.push_str(g);
        if !seen.contains(buf.as_str()) {
            seen.insert(buf.clone());
        }
    });
    let mut v: Vec<String> = seen.into_iter().collect();
    v.sort();
    v
}

pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl LinearModel {
    pub(crate) fn parse(text: &str) -> Result<LinearModel, String> {
        let mut m = LinearModel::default();
        let mut first = true;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line
                .rsplit_once('\t')
                .ok_or_else(|| format!("line {}: expected feature<TAB>weight", n + 1))?;
            let w: f32 = v
                .parse()
                .map_err(|_| format!("line {}: bad weight {v:?}", n + 1))?;
            if first {
                if k != "bias" {
                    return Err("the first line must be the bias".into());
                }
                m.bias = w;
                first = false;
            } else if k == "=rules" {
                m.rules = w;
            } else if k == "=reference" {
                m.reference = Some(w);
            } else if k == "=per_logit" {
                m.per_logit = Some(w);
            } else {
                let id = m.weights.len() as u32;
                m.weights.insert(k.to_string(), (id, w));
            }
        }
        m.index = FeatureIndex::build(&m.weights);
        Ok(m)
    }

    /// The logit and each weighted feature's contribution (first occurrence only, as in
    /// training).
    pub(crate) fn score(&self, text: &str, tokens: &[Token]) -> (f32, Vec<Contribution>) {
        let mut logit = self.bias;
        let mut contribs = Vec::new();
        if self.weights.is_empty() {
            return (logit, contribs);
        }
        let index = &self.index;
        // Each token's word features, looked up once.
        let words: Vec<Option<&WordFeatures>> = tokens
            .iter()
            .map(|t| match t.quoted {
                true => None,
                false => index.words.get(&*t.norm),
            })
            .collect();
        // Which feature ids have counted already (a feature counts once per text).
        let mut seen = vec![0u64; index.ids.div_ceil(64)];
        let mut add = |weight: Option<Weight>, sentence: u32, start: usize, end: usize| {
            let Some((id, w)) = weight else {
                return;
            };
            let (slot, bit) = (id as usize / 64, 1u64 << (id % 64));
            if seen[slot] & bit == 0 {
                seen[slot] |= bit;
                logit += w;
                contribs.push(Contribution {
                    sentence,
                    start,
                    end,
                    weight: w,
                });
            }
        };
        each_feature(text, tokens, |f, sentence, start, end| {
            let weight = match f {
                Feature::Word { tok, negated } => words[tok].and_then(|w| match negated {
                    false => w.plain,
                    true => w.negated,
                }),
                Feature::Class { class, negated } => index.classes[class][usize::from(negated)],
                Feature::Pair { prev, tok } => match (words[prev], words[tok]) {
                    (Some(a), Some(b)) if a.starts_pair => index.pairs.get(&(a.id, b.id)).copied(),
                    _ => None,
                },
                Feature::Start { tok } => words[tok].and_then(|w| w.start),
                Feature::Scoped { scope, tok } => words[tok].and_then(|w| w.scoped[scope]),
                Feature::Mark { mark } => index.marks[mark],
            };
            add(weight, sentence, start, end);
        });
        if !index.grams.is_empty() {
            each_gram(tokens, |tok, g| {
                let t = &tokens[tok];
                add(index.grams.get(g).copied(), t.sentence, t.start, t.end);
            });
        }
        (logit, contribs)
    }

    /// Writes the model in its file format, strongest features first.
    pub fn to_tsv(&self, header: &str) -> String {
        let mut out = String::new();
        for l in header.lines() {
            out.push_str("# ");
            out.push_str(l);
            out.push('\n');
        }
        out.push_str(&format!("bias\t{:.4}\n", self.bias));
        out.push_str(&format!("=rules\t{:.5}\n", self.rules));
        if let Some(r) = self.reference {
            out.push_str(&format!("=reference\t{r:.4}\n"));
        }
        if let Some(k) = self.per_logit {
            out.push_str(&format!("=per_logit\t{k:.4}\n"));
        }
        let mut items: Vec<(&String, f32)> =
            self.weights.iter().map(|(k, &(_, w))| (k, w)).collect();
        items.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        for (k, w) in items {
            out.push_str(&format!("{k}\t{w:.4}\n"));
        }
        out
    }

    /// β: logits per rule point.
    pub fn rules_weight(&self) -> f32 {
        self.rules
    }

    /// The raw points the features' part of the logit is worth next to the rules' points:
    /// `(logit − reference − floor)·per_logit`, at most `cap`; negative when the words are
    /// kinder than a typical text (the reference). `floor` is how many logits above it the
    /// words must push before they cost anything. `per_logit` is calibrated so that the
    /// score it makes tracks how often annotators flagged such texts (see [`calibrate`]);
    /// without calibration it is 1/β, a rule point's worth in logits.
    pub(crate) fn points(&self, logit: f32, floor: f32, cap: f32) -> f32 {
        if self.weights.is_empty() {
            return 0.0;
        }
        // A model trained without rules has no β: count 20 points per logit.
        let per_logit = match self.per_logit {
            Some(k) => k,
            None if self.rules > 1e-4 => 1.0 / self.rules,
            None => 20.0,
        };
        let reference = self.reference.unwrap_or(self.bias);
        ((logit - reference - floor) * per_logit).min(cap.max(0.0))
    }

    /// A feature's weight, by its name in the file.
    #[cfg(test)]
    pub(crate) fn weight(&self, name: &str) -> Option<f32> {
        self.weights.get(name).map(|w| w.1)
    }

    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }
}

/// Options for [`fit`].
#[derive(Debug, Clone)]
pub struct FitOptions {
    pub epochs: usize,
    pub l2: f32,
    pub learning_rate: f32,
    /// Features seen in fewer documents are dropped before training (they do not generalise).
    pub min_docs: usize,
    /// Keep at most this many features, strongest first.
    pub max_features: usize,
    /// Drop features whose final weight is smaller than this.
    pub min_weight: f32,
    /// β (logits per rule point) is kept at least this high, so the rules keep a say even on
    /// a corpus where they rarely fire (they are written for support conversations, which
    /// the training sets are not).
    pub min_rules: f32,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            epochs: 20,
            l2: 1e-2,
            learning_rate: 0.02,
            min_docs: 3,
            max_features: 100_000,
            min_weight: 0.05,
            min_rules: 0.02,
        }
    }
}

/// One training text: its features, its rule points and its target, from 0 (calm, polite)
/// to 1 (angry, impolite); graded targets carry how strongly annotators felt it.
pub type Doc = (Vec<String>, f32, f32);

/// Rule points are scaled by this in training so that their input is of the order of one.
const RULE_INPUT_SCALE: f32 = 0.05;

/// Logistic regression with AdaGrad and L2 over presence features plus the rule points
/// (unregularised, kept at least `min_rules`); cross-entropy against graded targets, the
/// two sides weighted to balance.
/// Deterministic: documents are visited in a fixed shuffled order.
pub fn fit(docs: &[Doc], opts: &FitOptions) -> LinearModel {
    let mut df: HashMap<&str, usize> = HashMap::default();
    for (fs, _, _) in docs {
        for f in fs {
            *df.entry(f.as_str()).or_default() += 1;
        }
    }
    let mut names: Vec<&str> = df
        .iter()
        .filter(|&(_, &n)| n >= opts.min_docs)
        .map(|(&k, _)| k)
        .collect();
    names.sort();
    let ids: HashMap<&str, usize> = names.iter().enumerate().map(|(i, &k)| (k, i)).collect();
    let encoded: Vec<(Vec<usize>, f32, f32)> = docs
        .iter()
        .map(|(fs, r, y)| {
            (
                fs.iter()
                    .filter_map(|f| ids.get(f.as_str()).copied())
                    .collect(),
                r * RULE_INPUT_SCALE,
                *y,
            )
        })
        .collect();
    let pos = encoded.iter().map(|d| d.2).sum::<f32>().max(1.0);
    let neg = encoded.iter().map(|d| 1.0 - d.2).sum::<f32>().max(1.0);
    let n = encoded.len() as f32;
    let (wpos, wneg) = (n / (2.0 * pos), n / (2.0 * neg));

    let mut w = vec![0f32; names.len()];
    let mut g2 = vec![1e-6f32; names.len()];
    let mut b = 0f32;
    let mut gb = 1e-6f32;
    let min_beta = opts.min_rules / RULE_INPUT_SCALE;
    let mut beta = min_beta;
    let mut gbeta = 1e-6f32;
    // A fixed permutation (multiplicative hashing) keeps training reproducible without a
    // random-number dependency.
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    order.sort_by_key(|&i| (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7);
    for _ in 0..opts.epochs {
        for &i in &order {
            let (fs, r, y) = &encoded[i];
            let z = b + beta * r + fs.iter().map(|&f| w[f]).sum::<f32>();
            let p = sigmoid(z);
            // d/dz of −[y·wpos·ln p + (1−y)·wneg·ln(1−p)].
            let g = y * wpos * (p - 1.0) + (1.0 - y) * wneg * p;
            gb += g * g;
            b -= opts.learning_rate * g / gb.sqrt();
            if *r != 0.0 {
                let gr = g * r;
                gbeta += gr * gr;
                beta = (beta - opts.learning_rate * gr / gbeta.sqrt()).max(min_beta);
            }
            for &f in fs {
                let gf = g + opts.l2 * w[f];
                g2[f] += gf * gf;
                w[f] -= opts.learning_rate * gf / g2[f].sqrt();
            }
        }
    }
    let mut kept: Vec<(usize, f32)> = w
        .iter()
        .enumerate()
        .filter(|&(_, &x)| x.abs() >= opts.min_weight)
        .map(|(i, &x)| (i, x))
        .collect();
    kept.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    kept.truncate(opts.max_features);
    let mut m = LinearModel {
        bias: b,
        rules: beta * RULE_INPUT_SCALE,
        reference: None,
        per_logit: None,
        weights: HashMap::default(),
        index: FeatureIndex::default(),
    };
    for (i, x) in kept {
        let id = m.weights.len() as u32;
        m.weights.insert(names[i].to_string(), (id, x));
    }
    m.index = FeatureIndex::build(&m.weights);
    // The neutral point: the median words' logit of the training texts.
    let mut logits: Vec<f32> = encoded
        .iter()
        .map(|(fs, _, _)| {
            m.bias
                + fs.iter()
                    .filter_map(|&f| m.weights.get(names[f]).map(|x| x.1))
                    .sum::<f32>()
        })
        .collect();
    logits.sort_by(f32::total_cmp);
    m.reference = logits.get(logits.len() / 2).copied();
    m
}

/// One development text for [`calibrate`]: the features' logit, the rules' points and
/// whether annotators flagged it.
pub type Calibration = (f32, f32, bool);

/// How [`calibrate`] sets a model's points per logit.
#[derive(Debug, Clone, Copy)]
pub enum Threshold {
    /// The highest F1 against the annotators: for a development set whose share of
    /// positives is the share a desk sees (GoEmotions: about one comment in eight).
    BestF1,
    /// The most points per logit that still flag at most this share of the texts the
    /// annotators did not flag, beyond those the rules flag alone. For a balanced development set (the politeness quartiles
    /// are half impolite, while real replies are mostly fine) F1 would flag nearly half of
    /// everything; this bounds the false flags instead, so ordinary text is left alone.
    FalseFlags(f32),
}

/// Sets the model's reference to the `percentile`th of held-out texts' logits (below it
/// the words cost nothing) and its points per logit, over a log-spaced grid, so that
/// flagging the texts whose raw points `T = rules + (logit − reference)·per_logit` (kind
/// words taking back at most `credit` of the rules' points) reach `flag_at` meets
/// `threshold`.
pub fn calibrate(
    model: &mut LinearModel,
    dev: &[Calibration],
    percentile: usize,
    flag_at: f32,
    credit: f32,
    threshold: Threshold,
) {
    if dev.is_empty() {
        return;
    }
    let mut logits: Vec<f32> = dev.iter().map(|d| d.0).collect();
    logits.sort_by(f32::total_cmp);
    let reference = logits[(logits.len() - 1) * percentile.min(100) / 100];
    let negatives = dev.iter().filter(|d| !d.2).count().max(1) as f32;
    // (F1, share of unflagged texts flagged) at `k` points per logit.
    let measure = |k: f32| -> (f32, f32) {
        let (mut tp, mut fp, mut fneg) = (0f32, 0f32, 0f32);
        for &(w, r, y) in dev {
            let t = (r + (w - reference) * k).max((1.0 - credit) * r);
            match (t >= flag_at, y) {
                (true, true) => tp += 1.0,
                (true, false) => fp += 1.0,
                (false, true) => fneg += 1.0,
                _ => {}
            }
        }
        (2.0 * tp / (2.0 * tp + fp + fneg).max(1.0), fp / negatives)
    };
    // 0.5 to about 200 points per logit.
    let grid = (0..64).map(|step| 0.5 * 1.1f32.powi(step));
    let k = match threshold {
        // The first of equals, so the smallest.
        Threshold::BestF1 => {
            grid.map(|k| (measure(k).0, k))
                .fold(
                    (f32::NEG_INFINITY, 1.0),
                    |a, b| if b.0 > a.0 { b } else { a },
                )
                .1
        }
        // What the rules flag alone is theirs: the model may add `share` more.
        Threshold::FalseFlags(share) => {
            let rules_alone =
                dev.iter().filter(|&&(_, r, y)| !y && r >= flag_at).count() as f32 / negatives;
            grid.take_while(|&k| measure(k).1 <= rules_alone + share)
                .last()
                .unwrap_or(0.5)
        }
    };
    model.reference = Some(reference);
    model.per_logit = Some(k);
}
