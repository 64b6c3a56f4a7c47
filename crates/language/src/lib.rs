//! heard's language analysis, pure and fast: the tone coach for draft replies
//! ([`review_tone`]), the frustration score for inbound customer messages
//! ([`score_frustration`]), "had to repeat" detection ([`detect_restatement`]) and the
//! `--jsonl` line protocol the CLI uses ([`tone_jsonl_line`], [`frustration_jsonl_line`]).
//!
//! This crate owns the rules, lexicons, glossary and learned weights (all in `data/<lang>/`,
//! compiled in and parsed once) and nothing else: no I/O, no clock, no database. Every
//! score comes with the evidence behind it — byte spans into the input text.

mod frustration;
mod fxhash;
mod jsonl;
mod lexicon;
mod model;
mod restate;
mod text;
mod tone;

pub use frustration::{
    Evidence, FRUSTRATED_AT, Frustration, FrustrationContext, Level, SignalKind, score_frustration,
};
pub use jsonl::{frustration_jsonl_line, tone_jsonl_line};
pub use restate::{Restatement, detect_restatement};
pub use tone::{
    Audience, Checklist, Finding, FindingKind, KnownFact, TONE_FLAG_BELOW, ToneContext, ToneReview,
    review_tone,
};

/// Training support for `examples/train.rs` and the evaluation's cross-validation: feature
/// extraction and logistic-regression fitting. Not part of the stable API.
#[doc(hidden)]
pub mod training {
    pub use crate::model::{Calibration, Doc, FitOptions, LinearModel, Threshold, calibrate, fit};

    use std::collections::HashSet;

    /// The model features of a text (the same ones scoring uses).
    pub fn features(text: &str) -> Vec<String> {
        let lex = &*crate::lexicon::EN;
        crate::model::feature_set(text, &crate::text::analyze(text, lex).tokens)
    }

    /// The distinct words of a text as the analyses see them (lower-cased, spellings mapped),
    /// and its character n-gram features (`~gram`).
    pub fn words(text: &str) -> HashSet<String> {
        let lex = &*crate::lexicon::EN;
        let a = crate::text::analyze(text, lex);
        let mut words: HashSet<String> = crate::model::feature_set(text, &a.tokens)
            .into_iter()
            .filter(|f| f.starts_with('~'))
            .collect();
        words.extend(a.tokens.into_iter().map(|t| t.norm.into_owned()));
        words
    }

    /// Words that occur in at least `min_docs` texts of every corpus: general English rather
    /// than one corpus's topics ("revert", "upvote"), plus every word the lexicon's rules and
    /// classes name and every stopword.
    pub fn general_vocabulary(corpora: &[Vec<&str>], min_docs: usize) -> HashSet<String> {
        let lex = &*crate::lexicon::EN;
        let mut counts: Vec<crate::fxhash::FxHashMap<String, usize>> = Vec::new();
        for corpus in corpora {
            let mut df = crate::fxhash::FxHashMap::default();
            for t in corpus {
                for w in words(t) {
                    *df.entry(w).or_insert(0) += 1;
                }
            }
            counts.push(df);
        }
        let mut vocab: HashSet<String> = match counts.first() {
            Some(first) => first
                .keys()
                .filter(|w| {
                    counts
                        .iter()
                        .all(|df| df.get(*w).is_some_and(|&n| n >= min_docs))
                })
                .cloned()
                .collect(),
            None => HashSet::new(),
        };
        vocab.extend(lex.words().map(str::to_string));
        vocab.extend(lex.stopwords.iter().cloned());
        vocab.extend(crate::model::MARKS.iter().map(|m| m.to_string()));
        vocab
    }

    /// The closed vocabulary of the tone model: the words of `data/en/tone_words.txt`
    /// (function words, pronouns, modals, hedges, politeness markers, how people talk down)
    /// and of the word classes that are model features (`@insult`, `@profanity`…), plus
    /// the character n-grams of the insult, profanity and negative-emotion words (so
    /// misspelt abuse still counts). No topic word can carry tone: a word that readers of
    /// one site rated curt ("browser", "revert") says nothing about a reply elsewhere.
    pub fn tone_vocabulary() -> HashSet<String> {
        let lex = &*crate::lexicon::EN;
        let mut vocab: HashSet<String> = include_str!("../data/en/tone_words.txt")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .flat_map(str::split_whitespace)
            .map(str::to_string)
            .collect();
        for class in crate::model::MODEL_CLASSES
            .iter()
            .chain(&["anger_emoji", "mock_emoji"])
        {
            let words = lex.class_words(class);
            if matches!(*class, "insult" | "profanity" | "emotion_neg") {
                for w in &words {
                    vocab.extend(
                        crate::training::words(w)
                            .into_iter()
                            .filter(|g| g.starts_with('~')),
                    );
                }
            }
            vocab.extend(words);
        }
        // Punctuation marks, except the plain question mark: asking is what support replies
        // do, however the requests' raters felt about bare questions.
        vocab.extend(
            crate::model::MARKS
                .iter()
                .filter(|&&m| m != "%?")
                .map(|m| m.to_string()),
        );
        vocab
    }

    /// Keeps the features whose words, n-gram or mark are all in `vocab` (classes always).
    pub fn restrict(features: Vec<String>, vocab: &HashSet<String>) -> Vec<String> {
        features
            .into_iter()
            .filter(|f| {
                f.split(' ')
                    .map(|w| w.trim_start_matches('!'))
                    .filter(|w| *w != "^" && !w.starts_with('@'))
                    .all(|w| vocab.contains(w))
            })
            .collect()
    }

    /// The sentences of help articles (JSON lines with a `text` field, as the sample GNOME
    /// help is stored) with 6 to 40 words: neutral, instructive text on which every flag is
    /// a false one (`evaluate` and `tests/ordinary_text.rs`).
    pub fn help_sentences(jsonl: &str) -> Vec<String> {
        let mut out = Vec::new();
        for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let body = v["text"].as_str().unwrap_or_default();
            for s in body.split_inclusive(['.', '?', '\n']) {
                let s = s.trim();
                let words = s.split_whitespace().count();
                if (6..=40).contains(&words) && s.ends_with(['.', '?']) {
                    out.push(s.to_string());
                }
            }
        }
        out
    }

    /// The shipped (tone, frustration) models.
    pub fn shipped_models() -> (LinearModel, LinearModel) {
        let lex = &*crate::lexicon::EN;
        (lex.tone_model.clone(), lex.frustration_model.clone())
    }

    /// The model's logit for a text, for evaluating the model alone.
    pub fn logit(model: &LinearModel, text: &str) -> f32 {
        let lex = &*crate::lexicon::EN;
        model.score(text, &crate::text::analyze(text, lex).tokens).0
    }

    /// Tone score and frustration score with the shipped rules but the given models
    /// (for cross-validation: a model never scores the texts it was trained on).
    pub struct Scorer {
        lex: crate::lexicon::Lexicon,
    }

    impl Scorer {
        pub fn new(
            tone_model: Option<LinearModel>,
            frustration_model: Option<LinearModel>,
        ) -> Scorer {
            let mut lex = crate::lexicon::Lexicon::load(&crate::lexicon::ENGLISH)
                .unwrap_or_else(|e| panic!("embedded data is invalid: {e}"));
            if let Some(m) = tone_model {
                lex.tone_model = m;
            }
            if let Some(m) = frustration_model {
                lex.frustration_model = m;
            }
            Scorer { lex }
        }

        /// Overrides a `=name` signal weight of `tone.tsv` (`file` = "tone") or
        /// `frustration.tsv` ("frustration"), for tuning.
        pub fn set(&mut self, file: &str, name: &str, value: f32) {
            let signals = match file {
                "tone" => &mut self.lex.tone.signals,
                _ => &mut self.lex.frustration.signals,
            };
            signals
                .entry(name.to_string())
                .or_insert(crate::lexicon::Signal {
                    weight: 0.0,
                    reason: String::new(),
                    suggestion: String::new(),
                })
                .weight = value;
        }

        /// The `=name` signal weight of `tone.tsv` (`file` = "tone") or `frustration.tsv`.
        pub fn signal(&self, file: &str, name: &str) -> f32 {
            match file {
                "tone" => self.lex.tone.signal(name).weight,
                _ => self.lex.frustration.signal(name).weight,
            }
        }

        /// What the rules alone charge a text: tone penalty points, or frustration raw points.
        pub fn tone_rule_points(&self, text: &str) -> f32 {
            crate::tone::review_parts(&self.lex, text, &crate::ToneContext::default()).1
        }

        pub fn frustration_rule_points(&self, text: &str) -> f32 {
            let ctx = crate::FrustrationContext::default();
            crate::frustration::score_parts(&self.lex, text, &ctx).1
        }

        pub fn tone(&self, text: &str) -> crate::ToneReview {
            crate::tone::review_with(&self.lex, text, &crate::ToneContext::default())
        }

        pub fn frustration(&self, text: &str) -> crate::Frustration {
            crate::frustration::score_with(&self.lex, text, &crate::FrustrationContext::default())
        }
    }
}

#[cfg(test)]
mod tests;
