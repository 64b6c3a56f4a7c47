//! Reading the labeled development sets (shared by `train` and `evaluate`).
//! Both files are CSV with a header row; fields may be quoted with `""` escapes.
// Each example uses only some of these helpers.
#![allow(dead_code)]

use std::path::Path;

use heard_language::{FRUSTRATED_AT, TONE_FLAG_BELOW};

use heard_language::training::{
    Calibration, Doc, FitOptions, LinearModel, Scorer, Threshold, calibrate, features, fit, logit,
    restrict,
};

/// Splits CSV text into records of fields (RFC 4180: quoted fields may hold commas,
/// quotes doubled, and line breaks).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else {
            match c {
                '"' => quoted = true,
                ',' => row.push(std::mem::take(&mut field)),
                '\r' => {}
                '\n' => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                _ => field.push(c),
            }
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// (text, is_positive) pairs.
pub type Labeled = Vec<(String, bool)>;

fn read_table(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = parse_csv(&text);
    if rows.is_empty() {
        return Err(format!("{}: empty", path.display()));
    }
    let header = rows.remove(0);
    Ok((header, rows))
}

fn col(header: &[String], name: &str) -> Result<usize, String> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| format!("no column {name:?}"))
}

/// One labeled text of a corpus.
#[derive(Debug, Clone)]
pub struct Sample {
    pub text: String,
    /// What the model is trained towards, 0 (polite, calm) to 1 (impolite, angry).
    pub target: f32,
    /// The label the figures count: impolite; anger, annoyance or disapproval.
    pub positive: bool,
    /// A graded value for Pearson's r: minus the politeness score; 2 anger, 1 annoyance,
    /// disappointment, disgust or disapproval, 0 otherwise.
    pub grade: f64,
    /// `wikipedia`, `stackexchange`, `reddit`.
    pub domain: String,
}

/// Training target of a politeness score (mean 0 per domain, about −3…3): annotators'
/// agreement that a request is impolite, squashed into 0–1.
fn impoliteness(score: f64) -> f32 {
    1.0 / (1.0 + (6.0 * score).exp()) as f32
}

/// The Stanford Politeness Corpus. `quartiles`: the 3,000 rows of the quartile subset (the
/// development split, labeled impolite or polite); otherwise every other row (training).
pub fn politeness(dir: &Path, quartiles: bool) -> Result<Vec<Sample>, String> {
    let (h, rows) = read_table(&dir.join("politeness/politeness_full.csv"))?;
    let (t, s, d, q) = (
        col(&h, "text")?,
        col(&h, "score")?,
        col(&h, "source")?,
        col(&h, "in_quartiles")?,
    );
    let width = t.max(s).max(d).max(q);
    let mut out = Vec::new();
    for r in rows.into_iter().filter(|r| r.len() > width) {
        if (r[q] == "1") != quartiles {
            continue;
        }
        let score: f64 = r[s]
            .trim()
            .parse()
            .map_err(|_| format!("politeness: bad score {:?}", r[s]))?;
        out.push(Sample {
            text: r[t].clone(),
            target: impoliteness(score),
            // The quartile rows are the top or bottom quarter of their domain: the sign
            // says which.
            positive: score < 0.0,
            grade: -score,
            domain: r[d].clone(),
        });
    }
    Ok(out)
}

/// Graded training target of GoEmotions labels: anger counts fully, the milder negative
/// emotions in part, so the score learns intensity and not only presence.
fn anger_target(labels: &[&str]) -> f32 {
    labels
        .iter()
        .map(|l| match *l {
            "anger" => 1.0,
            "annoyance" | "disgust" => 0.8,
            "disapproval" => 0.6,
            "disappointment" => 0.3,
            _ => 0.0,
        })
        .fold(0.0, f32::max)
}

/// A GoEmotions split: `train`, `dev` or `test` (the test split is for the final figures
/// only; its labels are `|`-separated, the others' `;`).
pub fn goemotions(dir: &Path, split: &str) -> Result<Vec<Sample>, String> {
    let (h, rows) = read_table(&dir.join(format!("goemotions/goemotions_{split}.csv")))?;
    let (t, l) = (col(&h, "text")?, col(&h, "labels")?);
    Ok(rows
        .into_iter()
        .filter(|r| r.len() > t.max(l))
        .map(|r| {
            let labels: Vec<&str> = r[l].split([';', '|']).collect();
            let has = |names: &[&str]| labels.iter().any(|x| names.contains(x));
            let grade = if has(&["anger"]) {
                2.0
            } else if has(&["annoyance", "disappointment", "disgust", "disapproval"]) {
                1.0
            } else {
                0.0
            };
            Sample {
                target: anger_target(&labels),
                positive: has(&["anger", "annoyance", "disapproval"]),
                grade,
                domain: "reddit".into(),
                text: r[t].clone(),
            }
        })
        .collect())
}

/// One GoEmotions comment in this many joins the tone model's training and calibration:
/// about 14,500 comments beside 7,956 requests (all of them hurt the requests' figures more
/// than they helped the comments').
const MIX: usize = 3;

/// The tone model's training texts: the politeness training rows and, so that it also
/// knows how people talk down to each other in comments rather than requests, a share of
/// the GoEmotions train split (every `n`th comment, targeted as for frustration).
pub fn tone_training(dir: &Path) -> Result<Vec<Sample>, String> {
    let mut set = politeness(dir, false)?;
    set.extend(goemotions(dir, "train")?.into_iter().step_by(MIX));
    Ok(set)
}

/// The frustration model's training texts: the GoEmotions train split and, so that plain
/// questions about a product do not read as angry merely for lacking the chatty warmth of
/// Reddit comments, the politeness training requests (questions about code and Wikipedia
/// edits) as calm, the curtest of them a little annoyed (`FRUSTRATION_SHARE` of their
/// impoliteness).
pub fn frustration_training(dir: &Path) -> Result<Vec<Sample>, String> {
    let mut set = goemotions(dir, "train")?;
    set.extend(politeness(dir, false)?.into_iter().map(|s| Sample {
        target: s.target * FRUSTRATION_SHARE,
        ..s
    }));
    Ok(set)
}

/// How much of a request's impoliteness counts as annoyance.
const FRUSTRATION_SHARE: f32 = 0.3;

/// Words and character n-grams that occur in at least 3 texts of each training domain
/// (politeness: Wikipedia and Stack Exchange; GoEmotions: Reddit), plus the lexicon's
/// words: the models are trained on these only, so they learn how people speak rather
/// than what each corpus is about.
pub fn general_vocabulary(dir: &Path) -> Result<std::collections::HashSet<String>, String> {
    let mut by: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for s in politeness(dir, false)?
        .into_iter()
        .chain(goemotions(dir, "train")?)
    {
        by.entry(s.domain).or_default().push(s.text);
    }
    let refs: Vec<Vec<&str>> = by
        .values()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    Ok(heard_language::training::general_vocabulary(&refs, 3))
}

/// The words a task's model may weigh: a closed vocabulary for tone (how people address
/// each other, never topics), words common to every training domain for frustration.
pub fn vocabulary(task: Task, dir: &Path) -> Result<std::collections::HashSet<String>, String> {
    match task {
        Task::Tone => Ok(heard_language::training::tone_vocabulary()),
        Task::Frustration => {
            // No character n-grams: they carried topics ("<vers" of "version" scored a plain
            // question 49) and suffixes ("ating>" of "frustrating" made "operating" angry).
            let mut vocab = general_vocabulary(dir)?;
            vocab.retain(|w| !w.starts_with('~'));
            Ok(vocab)
        }
    }
}

/// Which analysis a model serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Tone,
    Frustration,
}

/// The training options of the shipped models (`evaluate` uses the same). Tone: 10 epochs
/// (its closed vocabulary overfits the politeness requests' style with more; measured across
/// domains).
pub fn fit_options(task: Task) -> FitOptions {
    match task {
        Task::Tone => FitOptions {
            epochs: 10,
            ..FitOptions::default()
        },
        Task::Frustration => FitOptions::default(),
    }
}

/// Fits a model for `task` on `samples`, beside the rules (each text's rule points are an
/// input; only features within `vocab`), then calibrates its points on `dev`.
pub fn train(
    task: Task,
    samples: &[Sample],
    dev: &[Sample],
    vocab: &std::collections::HashSet<String>,
    opts: &FitOptions,
) -> LinearModel {
    // The rules alone, to give each text its rule points.
    let rules = Scorer::new(Some(LinearModel::default()), Some(LinearModel::default()));
    let rule_points = |text: &str| match task {
        Task::Tone => rules.tone_rule_points(text),
        Task::Frustration => rules.frustration_rule_points(text),
    };
    let docs: Vec<Doc> = samples
        .iter()
        .map(|s| {
            (
                restrict(features(&s.text), vocab),
                rule_points(&s.text),
                s.target,
            )
        })
        .collect();
    let mut model = fit(&docs, opts);
    let file = match task {
        Task::Tone => "tone",
        Task::Frustration => "frustration",
    };
    let points: Vec<Calibration> = dev
        .iter()
        .map(|s| (logit(&model, &s.text), rule_points(&s.text), s.positive))
        .collect();
    // The raw points at which a text is flagged: the score's threshold, unsquashed.
    let scale = rules.signal(file, "scale");
    let flag_at = match task {
        Task::Tone => -scale * (f32::from(TONE_FLAG_BELOW) / 100.0).ln(),
        Task::Frustration => -scale * (1.0 - f32::from(FRUSTRATED_AT) / 100.0).ln(),
    };
    let (percentile, threshold) = calibration_options(task);
    calibrate(
        &mut model,
        &points,
        percentile,
        flag_at,
        rules.signal(file, "model_credit"),
        threshold,
    );
    model
}

/// Where a model's points start (a percentile of the development texts' logits) and how
/// its threshold is set. Tone: from the 10th percentile, so all but the kindest tenth of
/// texts get a graded score (kept above the flag line until the words weigh enough for a
/// finding), flagging at most 3% of the texts annotators found polite or calm (the
/// development set is half impolite; real replies are not). Frustration: from the median,
/// at the best F1 on GoEmotions dev, whose share of angry or annoyed comments (one in
/// eight) is much a desk's. `HEARD_CALIBRATE_TONE=percentile,false_flags` overrides, for
/// tuning.
fn calibration_options(task: Task) -> (usize, Threshold) {
    match task {
        Task::Tone => {
            let tuned = std::env::var("HEARD_CALIBRATE_TONE").ok().and_then(|v| {
                let p: Vec<f32> = v.split(',').filter_map(|x| x.parse().ok()).collect();
                match p[..] {
                    [percentile, share] => {
                        Some((percentile as usize, Threshold::FalseFlags(share)))
                    }
                    _ => None,
                }
            });
            tuned.unwrap_or((10, Threshold::FalseFlags(0.03)))
        }
        Task::Frustration => (50, Threshold::BestF1),
    }
}

/// The development texts a model is calibrated on: the politeness quartile rows and a
/// share of GoEmotions dev (as in `tone_training`) for tone, GoEmotions dev for frustration.
pub fn calibration_set(task: Task, dir: &Path) -> Result<Vec<Sample>, String> {
    Ok(match task {
        Task::Tone => {
            let mut set = politeness(dir, true)?;
            set.extend(goemotions(dir, "dev")?.into_iter().step_by(MIX));
            set
        }
        Task::Frustration => goemotions(dir, "dev")?,
    })
}

/// The crate's own held-out support set (`tests/data/support_heldout.tsv`): (tone, frustration)
/// examples, each (text, is_positive). Never used for training or tuning.
pub fn support_heldout() -> Result<(Labeled, Labeled), String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/support_heldout.tsv");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (mut tone, mut frustration) = (Vec::new(), Vec::new());
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut cols = line.splitn(3, '\t');
        let (Some(task), Some(label), Some(text)) = (cols.next(), cols.next(), cols.next()) else {
            return Err(format!("{}: bad line {line:?}", path.display()));
        };
        let item = (text.to_string(), label == "1");
        match task {
            "tone" => tone.push(item),
            "frustration" => frustration.push(item),
            other => return Err(format!("{}: unknown task {other:?}", path.display())),
        }
    }
    Ok((tone, frustration))
}
