//! A regression floor on text the rules and models were never tuned on:
//! `tests/data/support_heldout.tsv`, support replies and customer messages written for heard
//! in its own words. If a change to the lexicons, the rules or the models makes the ranking
//! on it fall below the floor, this fails. `examples/evaluate.rs` prints the same figures.

use heard_language::{
    FRUSTRATED_AT, FrustrationContext, TONE_FLAG_BELOW, ToneContext, review_tone, score_frustration,
};

/// (task, text, is_positive) rows of the held-out file.
fn heldout() -> Vec<(String, String, bool)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/support_heldout.tsv"
    );
    let text = std::fs::read_to_string(path).expect("the held-out file is readable");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.splitn(3, '\t').collect();
            assert_eq!(cols.len(), 3, "bad line {l:?}");
            assert!(matches!(cols[1], "0" | "1"), "bad label in {l:?}");
            (cols[0].to_string(), cols[2].to_string(), cols[1] == "1")
        })
        .collect()
}

/// Area under the ROC curve (Mann–Whitney U, ties counted half).
fn auc(scored: &[(f64, bool)]) -> f64 {
    let pos: Vec<f64> = scored.iter().filter(|x| x.1).map(|x| x.0).collect();
    let neg: Vec<f64> = scored.iter().filter(|x| !x.1).map(|x| x.0).collect();
    let mut wins = 0.0;
    for p in &pos {
        for n in &neg {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (pos.len() * neg.len()) as f64
}

fn f1(flagged: &[(bool, bool)]) -> f64 {
    let tp = flagged.iter().filter(|x| x.0 && x.1).count() as f64;
    let fp = flagged.iter().filter(|x| x.0 && !x.1).count() as f64;
    let fneg = flagged.iter().filter(|x| !x.0 && x.1).count() as f64;
    if tp == 0.0 {
        return 0.0;
    }
    2.0 * tp / (2.0 * tp + fp + fneg)
}

fn rows(task: &str) -> Vec<(String, bool)> {
    let rows: Vec<(String, bool)> = heldout()
        .into_iter()
        .filter(|r| r.0 == task)
        .map(|r| (r.1, r.2))
        .collect();
    let pos = rows.iter().filter(|r| r.1).count();
    assert!(
        pos >= 50 && rows.len() - pos >= 50,
        "{task}: {pos} positive of {}",
        rows.len()
    );
    rows
}

#[test]
fn tone_ranks_condescending_and_dismissive_replies_above_respectful_ones() {
    let ctx = ToneContext::default();
    let scores: Vec<(u8, bool)> = rows("tone")
        .iter()
        .map(|(t, y)| (review_tone(t, &ctx).score, *y))
        .collect();
    let ranked: Vec<(f64, bool)> = scores.iter().map(|&(s, y)| (100.0 - s as f64, y)).collect();
    let flagged: Vec<(bool, bool)> = scores
        .iter()
        .map(|&(s, y)| (s < TONE_FLAG_BELOW, y))
        .collect();
    let (a, f) = (auc(&ranked), f1(&flagged));
    eprintln!("tone held-out: AUC {a:.3}, F1 {f:.3}");
    assert!(a >= 0.85, "tone AUC {a:.3} fell below 0.85");
    assert!(f >= 0.70, "tone F1 {f:.3} fell below 0.70");
}

#[test]
fn frustration_ranks_angry_messages_and_complaints_above_calm_ones() {
    let ctx = FrustrationContext::default();
    let scores: Vec<(u8, bool)> = rows("frustration")
        .iter()
        .map(|(t, y)| (score_frustration(t, &ctx).score, *y))
        .collect();
    let ranked: Vec<(f64, bool)> = scores.iter().map(|&(s, y)| (s as f64, y)).collect();
    let flagged: Vec<(bool, bool)> = scores
        .iter()
        .map(|&(s, y)| (s >= FRUSTRATED_AT, y))
        .collect();
    let (a, f) = (auc(&ranked), f1(&flagged));
    eprintln!("frustration held-out: AUC {a:.3}, F1 {f:.3}");
    assert!(a >= 0.85, "frustration AUC {a:.3} fell below 0.85");
    assert!(f >= 0.60, "frustration F1 {f:.3} fell below 0.60");
}

#[test]
fn every_heldout_score_is_explained() {
    // Each flagged reply has findings to show for it (above the flag line the words only
    // grade the score), and each frustration score its evidence.
    for (task, text, _) in heldout() {
        if task == "tone" {
            let r = review_tone(&text, &ToneContext::default());
            assert!(
                r.score >= TONE_FLAG_BELOW || !r.findings.is_empty(),
                "{text:?}: {r:?}"
            );
        } else {
            let f = score_frustration(&text, &FrustrationContext::default());
            assert!(f.score == 0 || !f.evidence.is_empty(), "{text:?}: {f:?}");
        }
    }
}
