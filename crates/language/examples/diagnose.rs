//! For tuning the rules: how often each finding kind and each frustration signal fires on
//! the development splits, and how often the texts it fires on are positive:
//! `cargo run --release -p heard-language --example diagnose -- <labeled dir>`

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use heard_language::training::{LinearModel, Scorer};

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: diagnose <labeled dir>");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    let scorer = Scorer::new(Some(LinearModel::default()), Some(LinearModel::default()));
    let mut tone: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut phrases: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for common::Sample {
        text, positive: y, ..
    } in common::politeness(&dir, true).unwrap_or_default()
    {
        let findings = scorer.tone(&text).findings;
        let mut kinds: Vec<String> = findings.iter().map(|f| f.kind.name().to_string()).collect();
        kinds.sort();
        kinds.dedup();
        for k in kinds {
            let e = tone.entry(k).or_default();
            e.0 += 1;
            e.1 += y as usize;
        }
        let mut words: Vec<String> = findings
            .iter()
            .filter(|f| f.start < f.end)
            .map(|f| format!("{} {}", f.kind.name(), f.excerpt.to_lowercase()))
            .collect();
        words.sort();
        words.dedup();
        for k in words {
            let e = phrases.entry(k).or_default();
            e.0 += 1;
            e.1 += y as usize;
        }
    }
    println!("politeness: kind, texts, share impolite (base rate 0.50)");
    for (k, (n, p)) in tone {
        println!("  {k:<16} {n:>5} {:.2}", p as f64 / n as f64);
    }
    println!("politeness: finding and words, texts, share impolite");
    let mut v: Vec<_> = phrases.into_iter().filter(|x| x.1.0 >= 2).collect();
    v.sort_by_key(|b| std::cmp::Reverse(b.1.0));
    for (k, (n, p)) in v {
        println!("  {k:<40} {n:>5} {:.2}", p as f64 / n as f64);
    }
    let mut fr: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for common::Sample {
        text, positive: y, ..
    } in common::goemotions(&dir, "dev").unwrap_or_default()
    {
        let f = scorer.frustration(&text);
        let mut kinds: Vec<String> = f
            .evidence
            .iter()
            .map(|e| format!("{} {}", e.kind.name(), e.excerpt.to_lowercase()))
            .collect();
        kinds.sort();
        kinds.dedup();
        for k in kinds {
            let e = fr.entry(k).or_default();
            e.0 += 1;
            e.1 += y as usize;
        }
    }
    println!("goemotions: signal and words, texts, share positive (base rate 0.13)");
    let mut v: Vec<_> = fr.into_iter().filter(|x| x.1.0 >= 4).collect();
    v.sort_by_key(|b| std::cmp::Reverse(b.1.0));
    for (k, (n, p)) in v {
        println!("  {k:<40} {n:>5} {:.2}", p as f64 / n as f64);
    }
}
