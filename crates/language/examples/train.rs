//! Trains the two linear models shipped in `data/en/` from the labeled development sets:
//! `cargo run --release -p heard-language --example train -- <labeled dir> <output dir>`
//! (output dir normally `crates/language/data/en`). Deterministic: the same data gives the
//! same weights.

mod common;

use std::path::PathBuf;

use heard_language::training::{Doc, FitOptions, LinearModel, Scorer, features, fit, restrict};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(data), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: train <labeled dir> <output dir>");
        std::process::exit(2);
    };
    let (data, out) = (PathBuf::from(data), PathBuf::from(out));
    let opts = FitOptions::default();
    let fail = |e: String| -> ! {
        eprintln!("{e}");
        std::process::exit(1);
    };
    let vocab = common::general_vocabulary(&data).unwrap_or_else(|e| fail(e));
    // The rules alone, to give each text its rule points.
    let rules = Scorer::new(Some(LinearModel::default()), Some(LinearModel::default()));
    let sets = [
        (
            "tone_model.tsv",
            "Stanford Politeness Corpus (impolite = 1)",
            common::politeness(&data),
            true,
        ),
        (
            "frustration_model.tsv",
            "GoEmotions test split (anger, annoyance or disapproval = 1)",
            common::goemotions(&data),
            false,
        ),
    ];
    for (file, source, set, tone) in sets {
        let set = set.unwrap_or_else(|e| fail(e));
        let docs: Vec<Doc> = set
            .iter()
            .map(|(t, y)| {
                let r = if tone {
                    rules.tone_rule_points(t)
                } else {
                    rules.frustration_rule_points(t)
                };
                (restrict(features(t), &vocab), r, *y)
            })
            .collect();
        let model = fit(&docs, &opts);
        let header = format!(
            "Logistic regression over word, word-pair, sentence-start and word-class features\n\
             (words seen in every domain of both development sets, or named by the lexicon),\n\
             fitted beside the rules' points (=rules: logits per rule point).\n\
             Trained by examples/train.rs on {source}, {} texts.\n\
             Options: {opts:?}",
            docs.len()
        );
        let path = out.join(file);
        if let Err(e) = std::fs::write(&path, model.to_tsv(&header)) {
            eprintln!("{}: {e}", path.display());
            std::process::exit(1);
        }
        println!("{}: {} features", path.display(), model.len());
    }
}
