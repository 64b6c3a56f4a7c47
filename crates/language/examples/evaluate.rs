//! Scores the labeled development sets and prints AUC and F1:
//! `cargo run --release -p heard-language --example evaluate -- <labeled dir> [folds]`
//!
//! - politeness: impolite (positive) vs polite, ranked by 100 − tone score; F1 counts a
//!   text as flagged when its score is below `TONE_FLAG_BELOW`.
//! - goemotions: anger/annoyance/disapproval (positive) vs the rest, ranked by the
//!   frustration score; F1 at `FRUSTRATED_AT`.
//!
//! Three rows per set: the rules alone (no learned model), the shipped scorer (whose
//! model was trained on this very set, so it is optimistic), and k-fold cross-validation
//! (rules plus a model trained without the fold being scored) — the honest estimate.
//!
//! Then the crate's own held-out support set (`tests/data/support_heldout.tsv`, never
//! trained or tuned on): rules alone, the shipped model alone, and rules + shipped model.

mod common;

use std::path::PathBuf;

use heard_language::training::{
    Doc, FitOptions, LinearModel, Scorer, features, fit, logit, restrict, shipped_models,
};
use heard_language::{FRUSTRATED_AT, TONE_FLAG_BELOW};

fn auc(scores: &[(f64, bool)]) -> f64 {
    let mut v: Vec<(f64, bool)> = scores.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Mann–Whitney U with average ranks for ties.
    let n = v.len();
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && v[j + 1].0 == v[i].0 {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for item in &v[i..=j] {
            if item.1 {
                rank_sum_pos += avg;
            }
        }
        i = j + 1;
    }
    let pos = v.iter().filter(|x| x.1).count() as f64;
    let neg = n as f64 - pos;
    (rank_sum_pos - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

fn f1(pred: &[(bool, bool)]) -> (f64, f64, f64) {
    let tp = pred.iter().filter(|p| p.0 && p.1).count() as f64;
    let fp = pred.iter().filter(|p| p.0 && !p.1).count() as f64;
    let fne = pred.iter().filter(|p| !p.0 && p.1).count() as f64;
    let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let recall = if tp + fne > 0.0 { tp / (tp + fne) } else { 0.0 };
    let f = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    (f, precision, recall)
}

/// Best F1 over all integer thresholds, for reference.
fn best_f1(scores: &[(f64, bool)]) -> (f64, f64) {
    (0..=100)
        .map(|t| {
            let p: Vec<(bool, bool)> = scores.iter().map(|&(s, y)| (s >= t as f64, y)).collect();
            (f1(&p).0, t as f64)
        })
        .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
}

enum Task {
    Tone,
    Frustration,
}

/// Ranking value (higher = more positive) for each text.
fn score_all(scorer: &Scorer, task: &Task, texts: &[&str]) -> Vec<f64> {
    texts
        .iter()
        .map(|t| match task {
            Task::Tone => 100.0 - scorer.tone(t).score as f64,
            Task::Frustration => scorer.frustration(t).score as f64,
        })
        .collect()
}

fn report(name: &str, task: &Task, scores: &[(f64, bool)]) {
    let flag = |s: f64| match task {
        Task::Tone => s > 100.0 - TONE_FLAG_BELOW as f64,
        Task::Frustration => s >= FRUSTRATED_AT as f64,
    };
    let pred: Vec<(bool, bool)> = scores.iter().map(|&(s, y)| (flag(s), y)).collect();
    let (f, p, r) = f1(&pred);
    let (bf, bt) = best_f1(scores);
    let bt = match task {
        Task::Tone => format!("score < {}", 100.0 - bt + 1.0),
        Task::Frustration => format!("score >= {bt}"),
    };
    println!(
        "  {name:<28} AUC {:.3}   F1 {f:.3} (P {p:.3} R {r:.3})   best F1 {bf:.3} at {bt}",
        auc(scores)
    );
}

/// `HEARD_FIT=epochs,l2,learning_rate,min_docs[,min_rules]` overrides the training options
/// (for tuning).
fn fit_options() -> FitOptions {
    let mut o = FitOptions::default();
    if let Ok(v) = std::env::var("HEARD_FIT") {
        let p: Vec<f32> = v.split(',').filter_map(|x| x.parse().ok()).collect();
        if p.len() >= 4 {
            o.epochs = p[0] as usize;
            o.l2 = p[1];
            o.learning_rate = p[2];
            o.min_docs = p[3] as usize;
        }
        if let Some(&m) = p.get(4) {
            o.min_rules = m;
        }
    }
    o
}

/// `HEARD_PARAMS=tone.model=30,frustration.scale=70` overrides `=name` signal weights.
fn apply_params(scorer: &mut Scorer) {
    if let Ok(v) = std::env::var("HEARD_PARAMS") {
        for kv in v.split(',') {
            if let Some((k, val)) = kv.split_once('=')
                && let Some((file, name)) = k.split_once('.')
                && let Ok(val) = val.parse()
            {
                scorer.set(file, name, val);
            }
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: evaluate <labeled dir> [folds]");
        std::process::exit(2);
    };
    let folds: usize = args.next().and_then(|f| f.parse().ok()).unwrap_or(5);
    let dir = PathBuf::from(dir);
    let vocab = common::general_vocabulary(&dir).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1);
    });
    // HEARD_ALL_WORDS=1: train on every word, to compare with the general vocabulary.
    let all_words = std::env::var("HEARD_ALL_WORDS").is_ok();
    let sets = [
        (
            "politeness (impolite vs polite, tone)",
            Task::Tone,
            common::politeness(&dir),
        ),
        (
            "goemotions (anger|annoyance|disapproval, frustration)",
            Task::Frustration,
            common::goemotions(&dir),
        ),
    ];
    for (name, task, set) in sets {
        let set = set.unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1);
        });
        let pos = set.iter().filter(|x| x.1).count();
        println!("{name}: {} texts, {pos} positive", set.len());
        let texts: Vec<&str> = set.iter().map(|x| x.0.as_str()).collect();
        let labels: Vec<bool> = set.iter().map(|x| x.1).collect();
        let zip = |s: Vec<f64>| -> Vec<(f64, bool)> {
            s.into_iter().zip(labels.iter().copied()).collect()
        };

        let empty = || Some(LinearModel::default());
        let mut rules = match task {
            Task::Tone => Scorer::new(empty(), None),
            Task::Frustration => Scorer::new(None, empty()),
        };
        apply_params(&mut rules);
        report("rules only", &task, &zip(score_all(&rules, &task, &texts)));
        let mut shipped = Scorer::new(None, None);
        apply_params(&mut shipped);
        report(
            "shipped (in-sample model)",
            &task,
            &zip(score_all(&shipped, &task, &texts)),
        );

        // k-fold: fold of item i is i mod k.
        let feats: Vec<Vec<String>> = texts
            .iter()
            .map(|t| {
                let f = features(t);
                if all_words { f } else { restrict(f, &vocab) }
            })
            .collect();
        let rule_points: Vec<f32> = texts
            .iter()
            .map(|t| match task {
                Task::Tone => rules.tone_rule_points(t),
                Task::Frustration => rules.frustration_rule_points(t),
            })
            .collect();
        let mut cv = vec![0.0; texts.len()];
        let mut cv_model = vec![0.0; texts.len()];
        let mut betas = Vec::new();
        let mut cv_joint = vec![0.0; texts.len()];
        for k in 0..folds {
            let train: Vec<Doc> = (0..texts.len())
                .filter(|i| i % folds != k)
                .map(|i| (feats[i].clone(), rule_points[i], labels[i]))
                .collect();
            // The model alone is fitted without the rules' points, as it would be without rules.
            let words_only: Vec<Doc> = train.iter().map(|d| (d.0.clone(), 0.0, d.2)).collect();
            let alone = fit(&words_only, &fit_options());
            for i in (0..texts.len()).filter(|i| i % folds == k) {
                cv_model[i] = logit(&alone, texts[i]) as f64;
            }
            let model = fit(&train, &fit_options());
            betas.push(model.rules_weight());
            for i in (0..texts.len()).filter(|i| i % folds == k) {
                cv_joint[i] =
                    (logit(&model, texts[i]) + model.rules_weight() * rule_points[i]) as f64;
            }
            let model = Some(model);
            let mut scorer = match task {
                Task::Tone => Scorer::new(model, None),
                Task::Frustration => Scorer::new(None, model),
            };
            apply_params(&mut scorer);
            let held: Vec<usize> = (0..texts.len()).filter(|i| i % folds == k).collect();
            let held_texts: Vec<&str> = held.iter().map(|&i| texts[i]).collect();
            for (i, s) in held.iter().zip(score_all(&scorer, &task, &held_texts)) {
                cv[*i] = s;
            }
        }
        println!(
            "  {:<28} AUC {:.3}",
            format!("model alone, {folds}-fold CV"),
            auc(&zip(cv_model))
        );
        println!(
            "  {:<28} AUC {:.3}",
            format!("joint logit, {folds}-fold CV"),
            auc(&zip(cv_joint))
        );
        report(&format!("rules + model, {folds}-fold CV"), &task, &zip(cv));
        let betas: Vec<String> = betas.iter().map(|b| format!("{b:.3}")).collect();
        println!(
            "  (logits per rule point in the folds: {})",
            betas.join(" ")
        );
    }

    let (tone, frustration) = common::support_heldout().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1);
    });
    let (tone_model, frustration_model) = shipped_models();
    for (name, task, set, model) in [
        ("support held-out (tone)", Task::Tone, tone, tone_model),
        (
            "support held-out (frustration)",
            Task::Frustration,
            frustration,
            frustration_model,
        ),
    ] {
        let pos = set.iter().filter(|x| x.1).count();
        println!("{name}: {} texts, {pos} positive", set.len());
        let texts: Vec<&str> = set.iter().map(|x| x.0.as_str()).collect();
        let zip = |s: Vec<f64>| -> Vec<(f64, bool)> {
            s.into_iter().zip(set.iter().map(|x| x.1)).collect()
        };
        let empty = || Some(LinearModel::default());
        let mut rules = match task {
            Task::Tone => Scorer::new(empty(), None),
            Task::Frustration => Scorer::new(None, empty()),
        };
        apply_params(&mut rules);
        report("rules only", &task, &zip(score_all(&rules, &task, &texts)));
        let alone: Vec<f64> = texts.iter().map(|t| logit(&model, t) as f64).collect();
        println!(
            "  {:<28} AUC {:.3}",
            "shipped model alone",
            auc(&zip(alone))
        );
        let mut shipped = Scorer::new(None, None);
        apply_params(&mut shipped);
        report(
            "rules + shipped model",
            &task,
            &zip(score_all(&shipped, &task, &texts)),
        );
    }
}
