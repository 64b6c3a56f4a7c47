//! Trains the two linear models shipped in `data/en/` from the labeled development sets:
//! `cargo run --release -p heard-language --example train -- <labeled dir> <output dir>`
//! (output dir normally `crates/language/data/en`). Deterministic: the same data gives the
//! same weights.

mod common;

use std::path::PathBuf;

use heard_language::training::{FitOptions, features, fit};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(data), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: train <labeled dir> <output dir>");
        std::process::exit(2);
    };
    let (data, out) = (PathBuf::from(data), PathBuf::from(out));
    let opts = FitOptions::default();
    let sets = [
        (
            "tone_model.tsv",
            "Stanford Politeness Corpus (impolite = 1)",
            common::politeness(&data),
        ),
        (
            "frustration_model.tsv",
            "GoEmotions test split (anger, annoyance or disapproval = 1)",
            common::goemotions(&data),
        ),
    ];
    for (file, source, set) in sets {
        let set = set.unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1);
        });
        let docs: Vec<(Vec<String>, bool)> = set.iter().map(|(t, y)| (features(t), *y)).collect();
        let model = fit(&docs, &opts);
        let header = format!(
            "Logistic regression over word, word-pair and sentence-start features.\n\
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
