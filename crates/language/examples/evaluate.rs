//! Scores the labeled splits the shipped models were not trained on and prints AUC, F1
//! and Pearson's r:
//! `cargo run --release -p heard-language --example evaluate -- <labeled dir> [--test]`
//!
//! - politeness dev (the 3,000 quartile rows; the tone model is trained on the other
//!   7,956): impolite (positive) vs polite, ranked by 100 − tone score; F1 counts a text as
//!   flagged when its score is below `TONE_FLAG_BELOW`; r against minus the annotators'
//!   politeness score.
//! - politeness across domains: a model trained on one source's training rows only, scored
//!   on the other source's quartile rows.
//! - GoEmotions dev (the frustration model is trained on train): anger, annoyance or
//!   disapproval (positive) vs the rest, ranked by the frustration score; F1 at
//!   `FRUSTRATED_AT`; r against 2 anger / 1 milder negative / 0. `--test` adds the test
//!   split: run it once, at the end, not while tuning.
//! - across tasks: the frustration score on impolite vs polite requests, the tone score on
//!   angry vs other comments.
//! - the crate's own held-out support set (`tests/data/support_heldout.tsv`).
//!
//! Each set has three rows: the rules alone, the model alone (its logit) and the shipped
//! score (rules + model).

mod common;

use std::path::PathBuf;

use common::{Sample, Task};
use heard_language::training::{FitOptions, LinearModel, Scorer, logit, shipped_models};
use heard_language::{FRUSTRATED_AT, TONE_FLAG_BELOW};

/// Area under the ROC curve (Mann–Whitney U, ties counted half).
fn auc(scores: &[(f64, bool)]) -> f64 {
    let mut v: Vec<(f64, bool)> = scores.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = v.len();
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && v[j + 1].0 == v[i].0 {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_pos += avg * v[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let pos = v.iter().filter(|x| x.1).count() as f64;
    let neg = n as f64 - pos;
    (rank_sum_pos - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

fn f1(pred: &[(bool, bool)]) -> f64 {
    let tp = pred.iter().filter(|p| p.0 && p.1).count() as f64;
    let fp = pred.iter().filter(|p| p.0 && !p.1).count() as f64;
    let fneg = pred.iter().filter(|p| !p.0 && p.1).count() as f64;
    if tp == 0.0 {
        return 0.0;
    }
    2.0 * tp / (2.0 * tp + fp + fneg)
}

fn pearson(xy: &[(f64, f64)]) -> f64 {
    let n = xy.len() as f64;
    let (mx, my) = (
        xy.iter().map(|p| p.0).sum::<f64>() / n,
        xy.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let cov: f64 = xy.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let vx: f64 = xy.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let vy: f64 = xy.iter().map(|p| (p.1 - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

/// Ranking value (higher = more positive) of each text by the scorer's score for `task`.
fn scores(scorer: &Scorer, task: Task, set: &[Sample]) -> Vec<f64> {
    set.iter()
        .map(|s| match task {
            Task::Tone => 100.0 - scorer.tone(&s.text).score as f64,
            Task::Frustration => scorer.frustration(&s.text).score as f64,
        })
        .collect()
}

/// One line of figures: AUC, r, and (for scores) F1 at the shipped threshold.
fn line(name: &str, task: Task, set: &[Sample], values: &[f64], is_score: bool) {
    let ranked: Vec<(f64, bool)> = values
        .iter()
        .zip(set)
        .map(|(&v, s)| (v, s.positive))
        .collect();
    let graded: Vec<(f64, f64)> = values.iter().zip(set).map(|(&v, s)| (v, s.grade)).collect();
    let mut out = format!(
        "  {name:<34} AUC {:.3}  r {:+.3}",
        auc(&ranked),
        pearson(&graded)
    );
    if is_score {
        let flagged: Vec<(bool, bool)> = ranked
            .iter()
            .map(|&(v, y)| match task {
                Task::Tone => (v > (100 - TONE_FLAG_BELOW) as f64, y),
                Task::Frustration => (v >= FRUSTRATED_AT as f64, y),
            })
            .collect();
        let share = flagged.iter().filter(|f| f.0).count() as f64 / flagged.len() as f64;
        out.push_str(&format!(
            "  F1 {:.3} (flags {:.0}%)",
            f1(&flagged),
            100.0 * share
        ));
    }
    println!("{out}");
}

/// `HEARD_PARAMS=tone.model_floor=0.5,frustration.scale=30` overrides `=name` signal
/// weights of the data files, for tuning.
fn scorer_with(task: Task, model: LinearModel) -> Scorer {
    let mut scorer = match task {
        Task::Tone => Scorer::new(Some(model), None),
        Task::Frustration => Scorer::new(None, Some(model)),
    };
    for kv in std::env::var("HEARD_PARAMS").unwrap_or_default().split(',') {
        if let Some((k, v)) = kv.split_once('=')
            && let Some((file, name)) = k.split_once('.')
            && let Ok(v) = v.parse()
        {
            scorer.set(file, name, v);
        }
    }
    scorer
}

/// Rules alone, the model alone and rules + model on one set.
fn report(title: &str, task: Task, set: &[Sample], model: &LinearModel) {
    let pos = set.iter().filter(|s| s.positive).count();
    println!("{title}: {} texts, {pos} positive", set.len());
    let rules = scorer_with(task, LinearModel::default());
    line("rules only", task, set, &scores(&rules, task, set), true);
    let alone: Vec<f64> = set.iter().map(|s| logit(model, &s.text) as f64).collect();
    line("model alone (logit)", task, set, &alone, false);
    let both = scorer_with(task, model.clone());
    line(
        "rules + model (score)",
        task,
        set,
        &scores(&both, task, set),
        true,
    );
}

/// The frustration score on a GoEmotions split: anger, annoyance or disapproval vs the
/// rest, and anger vs every other comment (milder annoyance included).
fn report_goemotions(split: &str, set: &[Sample], model: &LinearModel) {
    let title = format!("goemotions {split} (frustration)");
    report(&title, Task::Frustration, set, model);
    let anger: Vec<Sample> = set
        .iter()
        .map(|s| Sample {
            positive: s.grade == 2.0,
            ..s.clone()
        })
        .collect();
    let title = format!("goemotions {split}, anger vs the rest (frustration)");
    report(&title, Task::Frustration, &anger, model);
}

/// `HEARD_FIT=epochs,l2,learning_rate,min_docs,max_features` (or `HEARD_FIT_TONE`,
/// `HEARD_FIT_FRUSTRATION`) retrains with these options, for tuning on the dev splits.
fn tuned_options(task: Task) -> Option<FitOptions> {
    let name = match task {
        Task::Tone => "HEARD_FIT_TONE",
        Task::Frustration => "HEARD_FIT_FRUSTRATION",
    };
    let v = std::env::var(name)
        .or_else(|_| std::env::var("HEARD_FIT"))
        .ok()?;
    let p: Vec<f32> = v.split(',').filter_map(|x| x.parse().ok()).collect();
    let mut o = common::fit_options(task);
    let set = |i: usize, f: &mut dyn FnMut(f32)| {
        if let Some(&x) = p.get(i) {
            f(x)
        }
    };
    set(0, &mut |x| o.epochs = x as usize);
    set(1, &mut |x| o.l2 = x);
    set(2, &mut |x| o.learning_rate = x);
    set(3, &mut |x| o.min_docs = x as usize);
    set(4, &mut |x| o.max_features = x as usize);
    Some(o)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let with_test = args.iter().any(|a| a == "--test");
    let Some(dir) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: evaluate <labeled dir> [--test]");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    let fail = |e: String| -> ! {
        eprintln!("{e}");
        std::process::exit(1);
    };
    let vocab = |task| common::vocabulary(task, &dir).unwrap_or_else(|e| fail(e));
    let train = common::tone_training(&dir).unwrap_or_else(|e| fail(e));
    let (mut tone_model, mut frustration_model) = shipped_models();
    // Tuning: retrain in process with other options instead of scoring the shipped models.
    let calibration = |task| common::calibration_set(task, &dir).unwrap_or_else(|e| fail(e));
    if let Some(o) = tuned_options(Task::Tone) {
        let dev = calibration(Task::Tone);
        tone_model = common::train(Task::Tone, &train, &dev, &vocab(Task::Tone), &o);
    }
    if let Some(o) = tuned_options(Task::Frustration) {
        let ge = common::frustration_training(&dir).unwrap_or_else(|e| fail(e));
        let dev = calibration(Task::Frustration);
        frustration_model =
            common::train(Task::Frustration, &ge, &dev, &vocab(Task::Frustration), &o);
    }

    let dev = common::politeness(&dir, true).unwrap_or_else(|e| fail(e));
    report("politeness dev (tone)", Task::Tone, &dev, &tone_model);
    for domain in ["wikipedia", "stackexchange"] {
        let part: Vec<Sample> = dev.iter().filter(|s| s.domain == domain).cloned().collect();
        report(
            &format!("politeness dev, {domain} only (tone)"),
            Task::Tone,
            &part,
            &tone_model,
        );
    }

    // Across domains: train on one source, score the other's development rows.
    let opts = tuned_options(Task::Tone).unwrap_or_else(|| common::fit_options(Task::Tone));
    for (from, to) in [
        ("wikipedia", "stackexchange"),
        ("stackexchange", "wikipedia"),
    ] {
        let source: Vec<Sample> = train.iter().filter(|s| s.domain == from).cloned().collect();
        let target: Vec<Sample> = dev.iter().filter(|s| s.domain == to).cloned().collect();
        // Calibrated on the source's own development rows: the target stays unseen.
        let calib: Vec<Sample> = dev.iter().filter(|s| s.domain == from).cloned().collect();
        let model = common::train(Task::Tone, &source, &calib, &vocab(Task::Tone), &opts);
        report(
            &format!("politeness, trained on {from} only, scored on {to} dev"),
            Task::Tone,
            &target,
            &model,
        );
    }

    let ge_dev = common::goemotions(&dir, "dev").unwrap_or_else(|e| fail(e));
    report_goemotions("dev", &ge_dev, &frustration_model);

    // Across tasks: each model on the other corpus.
    report(
        "politeness dev, impolite vs polite (frustration)",
        Task::Frustration,
        &dev,
        &frustration_model,
    );
    report(
        "goemotions dev, anger|annoyance|disapproval (tone)",
        Task::Tone,
        &ge_dev,
        &tone_model,
    );

    if with_test {
        let test = common::goemotions(&dir, "test").unwrap_or_else(|e| fail(e));
        report_goemotions("TEST", &test, &frustration_model);
    }

    // Neutral text: the sample help articles beside the labeled data, where every flag is
    // a false one.
    let help = dir.join("../kb/gnome/gnome_help_C.jsonl");
    if let Ok(text) = std::fs::read_to_string(&help) {
        let sentences = heard_language::training::help_sentences(&text);
        let tone = scorer_with(Task::Tone, tone_model.clone());
        let frustration = scorer_with(Task::Frustration, frustration_model.clone());
        let share = |n: usize| 100.0 * n as f64 / sentences.len().max(1) as f64;
        let tone_flags = sentences
            .iter()
            .filter(|s| tone.tone(s).score < TONE_FLAG_BELOW)
            .count();
        let frustrated = sentences
            .iter()
            .filter(|s| frustration.frustration(s).score >= FRUSTRATED_AT)
            .count();
        println!(
            "help articles (neutral): {} sentences, tone flags {:.1}%, frustrated {:.1}%",
            sentences.len(),
            share(tone_flags),
            share(frustrated)
        );
    }

    let (tone, frustration) = common::support_heldout().unwrap_or_else(|e| fail(e));
    for (title, task, set, model) in [
        ("support held-out (tone)", Task::Tone, tone, &tone_model),
        (
            "support held-out (frustration)",
            Task::Frustration,
            frustration,
            &frustration_model,
        ),
    ] {
        let set: Vec<Sample> = set
            .into_iter()
            .map(|(text, positive)| Sample {
                text,
                target: f32::from(u8::from(positive)),
                positive,
                grade: f64::from(u8::from(positive)),
                domain: "support".into(),
            })
            .collect();
        report(title, task, &set, model);
    }
}
