//! The help-desk thesaurus: customer words ↔ technical words, kept as data
//! (`data/thesaurus.txt`) so support staff can extend it without touching the ranking code.

use std::collections::HashMap;

use tantivy::tokenizer::TextAnalyzer;

use crate::text::{stem_all, stemmed_analyzer, words};

/// The thesaurus shipped with heard.
pub const BUILTIN: &str = include_str!("../data/thesaurus.txt");

/// One alternative of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// As written in the data file.
    pub text: String,
    /// Stems of the words as a person reads them ("won't" one word): used to match queries.
    key: Vec<String>,
    /// Terms as the index analyzer produces them: used to build term and phrase queries.
    pub index_terms: Vec<String>,
}

#[derive(Debug, Clone)]
struct Group {
    /// Alternatives a match expands to.
    to: Vec<usize>,
}

/// A parsed thesaurus.
#[derive(Debug, Clone)]
pub struct Thesaurus {
    phrases: Vec<Phrase>,
    groups: Vec<Group>,
    /// First key stem → (phrase, group) pairs that start with it.
    by_first: HashMap<String, Vec<(usize, usize)>>,
}

/// A place in a query where a thesaurus phrase matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Match<'a> {
    /// Index of the first matched word in the query's words.
    pub start: usize,
    /// Number of query words matched.
    pub len: usize,
    /// What the match expands to (never the matched phrase itself).
    pub expansions: Vec<&'a Phrase>,
}

/// A line of the data file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("thesaurus line {line}: {reason}")]
pub struct ThesaurusError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// Stems a person-level word (apostrophes already removed) for matching.
pub(crate) fn key_stem(analyzer: &mut TextAnalyzer, normalized_word: &str) -> String {
    stem_all(analyzer, normalized_word)
        .into_iter()
        .next()
        .unwrap_or_else(|| normalized_word.to_string())
}

impl Thesaurus {
    /// The thesaurus shipped in `data/thesaurus.txt`.
    pub fn builtin() -> Thesaurus {
        Thesaurus::parse(BUILTIN).expect("the built-in thesaurus parses (checked by a test)")
    }

    /// Parses the data format described at the top of `data/thesaurus.txt`.
    pub fn parse(data: &str) -> Result<Thesaurus, ThesaurusError> {
        let mut analyzer = stemmed_analyzer();
        let mut th = Thesaurus {
            phrases: Vec::new(),
            groups: Vec::new(),
            by_first: HashMap::new(),
        };
        for (n, raw) in data.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: &str| ThesaurusError {
                line: n + 1,
                reason: reason.to_string(),
            };
            let (from_txt, to_txt, one_way) = match line.split_once("=>") {
                Some((a, b)) => (a, b, true),
                None => (line, line, false),
            };
            if to_txt.contains("=>") {
                return Err(err("more than one \"=>\""));
            }
            let mut parse_side = |side: &str| -> Result<Vec<usize>, ThesaurusError> {
                let mut ids = Vec::new();
                for alt in side.split('|').map(str::trim) {
                    if alt.is_empty() {
                        return Err(err("empty alternative"));
                    }
                    let key: Vec<String> = words(alt)
                        .iter()
                        .map(|w| key_stem(&mut analyzer, &w.normalized))
                        .collect();
                    let index_terms = stem_all(&mut analyzer, alt);
                    if key.is_empty() || index_terms.is_empty() {
                        return Err(err(&format!("no words in {alt:?}")));
                    }
                    th.phrases.push(Phrase {
                        text: alt.to_string(),
                        key,
                        index_terms,
                    });
                    ids.push(th.phrases.len() - 1);
                }
                Ok(ids)
            };
            let from = parse_side(from_txt)?;
            let to = if one_way {
                parse_side(to_txt)?
            } else {
                from.clone()
            };
            if !one_way && from.len() < 2 {
                return Err(err("a group needs at least two alternatives"));
            }
            let g = th.groups.len();
            for &p in &from {
                th.by_first
                    .entry(th.phrases[p].key[0].clone())
                    .or_default()
                    .push((p, g));
            }
            th.groups.push(Group { to });
        }
        Ok(th)
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// True when there is no group.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Finds thesaurus phrases in a query given as key stems (see [`key_stem`]). At each
    /// position the longest phrase wins and matching continues after it, so "can't log in"
    /// is one match, not also "log in".
    pub(crate) fn find<'a>(&'a self, query_keys: &[String]) -> Vec<Match<'a>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < query_keys.len() {
            let mut best_len = 0;
            let mut groups: Vec<(usize, usize)> = Vec::new();
            if let Some(cands) = self.by_first.get(&query_keys[i]) {
                for &(p, g) in cands {
                    let key = &self.phrases[p].key;
                    if query_keys[i..].starts_with(key) {
                        if key.len() > best_len {
                            best_len = key.len();
                            groups.clear();
                        }
                        if key.len() == best_len {
                            groups.push((p, g));
                        }
                    }
                }
            }
            if best_len == 0 {
                i += 1;
                continue;
            }
            let mut expansions: Vec<&Phrase> = Vec::new();
            for (p, g) in groups {
                for &t in &self.groups[g].to {
                    let phrase = &self.phrases[t];
                    if t != p
                        && phrase.key != self.phrases[p].key
                        && !expansions
                            .iter()
                            .any(|e| e.index_terms == phrase.index_terms)
                    {
                        expansions.push(phrase);
                    }
                }
            }
            out.push(Match {
                start: i,
                len: best_len,
                expansions,
            });
            i += best_len;
        }
        out
    }

    /// Convenience for tests and tools: the expansions found in a plain-text query.
    pub fn expand(&self, query: &str) -> Vec<String> {
        let mut analyzer = stemmed_analyzer();
        let keys: Vec<String> = words(query)
            .iter()
            .map(|w| key_stem(&mut analyzer, &w.normalized))
            .collect();
        self.find(&keys)
            .into_iter()
            .flat_map(|m| m.expansions.into_iter().map(|p| p.text.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses_and_is_rich() {
        let th = Thesaurus::parse(BUILTIN).unwrap();
        assert!(th.len() >= 60, "only {} groups", th.len());
    }

    #[test]
    fn customer_words_reach_technical_words_and_back() {
        let th = Thesaurus::builtin();
        assert!(
            th.expand("my screen went blue screen")
                .contains(&"bsod".to_string())
        );
        assert!(
            th.expand("BSOD after update")
                .contains(&"blue screen".to_string())
        );
        assert!(
            th.expand("wifi keeps dropping")
                .contains(&"wireless".to_string())
        );
        assert!(th.expand("wireless settings").contains(&"wifi".to_string()));
        assert!(
            th.expand("laptop won't turn on")
                .contains(&"no power".to_string())
        );
        assert!(
            th.expand("there is no power")
                .contains(&"won't turn on".to_string())
        );
        let login = th.expand("I can’t log in since Monday");
        assert!(login.contains(&"sign in".to_string()), "{login:?}");
        assert!(login.contains(&"login".to_string()), "{login:?}");
    }

    #[test]
    fn endings_do_not_matter() {
        let th = Thesaurus::builtin();
        assert!(
            th.expand("blue screens every day")
                .contains(&"bsod".to_string())
        );
    }

    #[test]
    fn one_way_groups_do_not_come_back() {
        let th = Thesaurus::parse("broken => troubleshooting\n").unwrap();
        assert_eq!(th.expand("it is broken"), ["troubleshooting"]);
        assert!(th.expand("troubleshooting guide").is_empty());
    }

    #[test]
    fn bad_lines_are_reported() {
        let e = Thesaurus::parse("# ok\nlonely\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(Thesaurus::parse("a | | b").is_err());
    }
}
