//! Reading the labeled development sets (shared by `train` and `evaluate`).
//! Both files are CSV with a header row; fields may be quoted with `""` escapes.
// Each example uses only some of these helpers.
#![allow(dead_code)]

use std::path::Path;

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

/// Stanford Politeness: positive = impolite.
pub fn politeness(dir: &Path) -> Result<Labeled, String> {
    let (h, rows) = read_table(&dir.join("politeness/politeness_quartiles.csv"))?;
    let (t, l) = (col(&h, "text")?, col(&h, "label")?);
    Ok(rows
        .into_iter()
        .filter(|r| r.len() > t.max(l))
        .map(|r| (r[t].clone(), r[l] == "impolite"))
        .collect())
}

/// Stanford Politeness texts, one list per domain (Wikipedia, Stack Exchange).
pub fn politeness_domains(dir: &Path) -> Result<Vec<Vec<String>>, String> {
    let (h, rows) = read_table(&dir.join("politeness/politeness_quartiles.csv"))?;
    let (t, d) = (col(&h, "text")?, col(&h, "domain")?);
    let mut by: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for r in rows.into_iter().filter(|r| r.len() > t.max(d)) {
        by.entry(r[d].clone()).or_default().push(r[t].clone());
    }
    Ok(by.into_values().collect())
}

/// Words that occur in at least 3 texts of each domain of both sets (politeness: Wikipedia
/// and Stack Exchange; GoEmotions: Reddit), plus the lexicon's words: the models are trained
/// on these only, so they learn how people speak rather than what each corpus is about.
pub fn general_vocabulary(dir: &Path) -> Result<std::collections::HashSet<String>, String> {
    let mut corpora = politeness_domains(dir)?;
    corpora.push(goemotions(dir)?.into_iter().map(|x| x.0).collect());
    let refs: Vec<Vec<&str>> = corpora
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    Ok(heard_language::training::general_vocabulary(&refs, 3))
}

/// GoEmotions: positive = anger, annoyance or disapproval among the labels.
pub fn goemotions(dir: &Path) -> Result<Labeled, String> {
    let (h, rows) = read_table(&dir.join("goemotions/goemotions_test.csv"))?;
    let (t, l) = (col(&h, "text")?, col(&h, "labels")?);
    Ok(rows
        .into_iter()
        .filter(|r| r.len() > t.max(l))
        .map(|r| {
            let pos = r[l]
                .split('|')
                .any(|x| matches!(x, "anger" | "annoyance" | "disapproval"));
            (r[t].clone(), pos)
        })
        .collect())
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
