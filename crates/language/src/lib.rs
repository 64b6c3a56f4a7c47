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
    pub use crate::model::{FitOptions, LinearModel, fit};

    /// The model features of a text (the same ones scoring uses).
    pub fn features(text: &str) -> Vec<String> {
        let lex = &*crate::lexicon::EN;
        crate::model::feature_set(&crate::text::analyze(text, lex).tokens)
    }

    /// The shipped (tone, frustration) models.
    pub fn shipped_models() -> (LinearModel, LinearModel) {
        let lex = &*crate::lexicon::EN;
        (lex.tone_model.clone(), lex.frustration_model.clone())
    }

    /// The model's logit for a text, for evaluating the model alone.
    pub fn logit(model: &LinearModel, text: &str) -> f32 {
        let lex = &*crate::lexicon::EN;
        model.score(&crate::text::analyze(text, lex).tokens).0
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
