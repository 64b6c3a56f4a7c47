//! A small linear model over word and word-pair features, used beside the rules so that
//! wording no rule names still moves a score — always with the words that moved it.
//!
//! File format (`*_model.tsv`): `bias<TAB>w` on the first data line, then `=rules<TAB>β`,
//! then `feature<TAB>w`. A feature is a word (`sorry`), a pair of adjacent words in one
//! sentence (`sorry about`), a sentence-initial word (`^ please`) or a word class
//! (`@insult`). Features count once per text (presence).
//!
//! The model is trained together with the rules: a text's rule points R (what the rules
//! alone charge it) enter training as one more input, so the logit is
//! `bias + β·R + Σ word weights`. β says how much a rule point is worth in logits; the
//! analyses turn the words' part into points at 1/β points per logit, so rules and model
//! add up on one scale and rank texts by the logit the model was fitted for.

use crate::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::text::Token;

#[derive(Debug, Default, Clone)]
pub struct LinearModel {
    pub(crate) bias: f32,
    /// β: logits per rule point (0 for a model trained without rules).
    pub(crate) rules: f32,
    /// The words' logit of a typical training text (the median): the neutral point the
    /// words' points are counted from. `None` for older files: the bias then.
    pub(crate) reference: Option<f32>,
    weights: HashMap<String, (u32, f32)>,
    /// `weights` by word instead of by feature text (built from it), so scoring looks each
    /// word up once instead of building and hashing three strings per word.
    index: FeatureIndex,
}

/// A feature's id (for counting it once) and weight.
type Weight = (u32, f32);

/// The features of one word: the word itself, negated, and first in a sentence.
#[derive(Debug, Default, Clone, Copy)]
struct WordFeatures {
    /// The word's id, for `FeatureIndex::pairs`.
    id: u32,
    plain: Option<Weight>,
    negated: Option<Weight>,
    start: Option<Weight>,
    /// Some pair feature starts with the word (most words start none: no lookup).
    starts_pair: bool,
}

#[derive(Debug, Default, Clone)]
struct FeatureIndex {
    /// Every word some feature names, with its own features: one lookup per token.
    words: HashMap<String, WordFeatures>,
    /// Pairs by the ids of their words.
    pairs: HashMap<(u32, u32), Weight>,
    /// Per model class, the plain and the negated feature.
    classes: [[Option<Weight>; 2]; MODEL_CLASS_FEATURES.len()],
    /// One more than the largest feature id.
    ids: usize,
}

impl FeatureIndex {
    fn build(weights: &HashMap<String, (u32, f32)>) -> FeatureIndex {
        let mut index = FeatureIndex::default();
        for (name, &weight) in weights {
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
    /// produce (an unknown class) is left out.
    fn add(&mut self, name: &str, weight: Weight) {
        let class = |c: &str| MODEL_CLASS_FEATURES.iter().position(|&n| n == c);
        if let Some((a, b)) = name.split_once(' ') {
            if a == "^" {
                self.word(b).start = Some(weight);
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
pub(crate) const MODEL_CLASSES: [&str; 6] = [
    "emotion_neg",
    "profanity",
    "insult",
    "negator",
    "you",
    "emphasis",
];
const NEGATOR_BIT: usize = 3;
const MODEL_CLASS_FEATURES: [&str; 6] = [
    "@emotion_neg",
    "@profanity",
    "@insult",
    "@negator",
    "@you",
    "@emphasis",
];

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
        }
    }
}

/// Calls `f(feature, sentence, start, end)` for every feature occurrence of the unquoted
/// tokens.
fn each_feature(tokens: &[Token], mut f: impl FnMut(Feature, u32, usize, usize)) {
    let mut prev: Option<usize> = None;
    // Words up to three after a negator in the same sentence are marked ("not angry" ->
    // "!angry"), so negated words learn their own weight instead of the plain word's.
    let mut negated_until: Option<(u32, usize)> = None;
    for (n, (i, t)) in tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.quoted)
        .enumerate()
    {
        let negated = negated_until.is_some_and(|(s, until)| s == t.sentence && n <= until);
        f(
            Feature::Word { tok: i, negated },
            t.sentence,
            t.start,
            t.end,
        );
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
            negated_until = Some((t.sentence, n + 3));
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
        prev = Some(i);
    }
}

/// The distinct features of a text, for training.
pub(crate) fn feature_set(tokens: &[Token]) -> Vec<String> {
    let mut seen = HashSet::default();
    let mut buf = String::with_capacity(48);
    each_feature(tokens, |f, _, _, _| {
        f.write(tokens, &mut buf);
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
    pub(crate) fn score(&self, tokens: &[Token]) -> (f32, Vec<Contribution>) {
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
        each_feature(tokens, |f, sentence, start, end| {
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
            };
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
        });
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

    /// The raw points the words' part of the logit is worth next to the rules' points:
    /// `(logit − reference − floor)/β`, at most `cap`; negative when the words are kinder
    /// than a typical text (the reference). `floor` is how many logits above it the words
    /// must push before they cost anything. A rule point and a model point weigh the
    /// same, so rules + model rank texts as the fitted logit does.
    pub(crate) fn points(&self, logit: f32, floor: f32, cap: f32) -> f32 {
        if self.weights.is_empty() {
            return 0.0;
        }
        // A model trained without rules has no β: count 20 points per logit.
        let per_logit = if self.rules > 1e-4 {
            1.0 / self.rules
        } else {
            20.0
        };
        let reference = self.reference.unwrap_or(self.bias);
        ((logit - reference - floor) * per_logit).min(cap.max(0.0))
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
            epochs: 6,
            l2: 3e-3,
            learning_rate: 0.05,
            min_docs: 3,
            max_features: 4000,
            min_weight: 0.05,
            min_rules: 0.02,
        }
    }
}

/// One training text: its features, its rule points and its label.
pub type Doc = (Vec<String>, f32, bool);

/// Rule points are scaled by this in training so that their input is of the order of one.
const RULE_INPUT_SCALE: f32 = 0.05;

/// Logistic regression with AdaGrad and L2, classes weighted to balance, over presence
/// features plus the rule points (unregularised, kept at least `min_rules`).
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
    let encoded: Vec<(Vec<usize>, f32, bool)> = docs
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
    let pos = encoded.iter().filter(|d| d.2).count().max(1) as f32;
    let neg = encoded.iter().filter(|d| !d.2).count().max(1) as f32;
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
            let cw = if *y { wpos } else { wneg };
            let g = cw * (p - if *y { 1.0 } else { 0.0 });
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
