//! Query understanding: from what a customer typed to a plan of terms, phrases, thesaurus
//! alternatives and a prefix. Building tantivy queries from the plan is in `index`.

use tantivy::tokenizer::TextAnalyzer;

use crate::text::{is_stop_word, words};
use crate::thesaurus::{Thesaurus, key_stem};

/// At most this many distinct words of a query are searched.
const MAX_TERMS: usize = 10;

/// What to look for, in index terms (already stemmed).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Plan {
    /// Meaningful terms, de-duplicated, in the order typed.
    pub terms: Vec<String>,
    /// Adjacent meaningful terms, searched as phrases to reward the words in the same order.
    pub pairs: Vec<[String; 2]>,
    /// One entry per thesaurus match: the alternatives (each a term sequence) to also look for.
    /// The customer's own multi-word phrase is included so it scores as a phrase too.
    pub synonyms: Vec<Vec<Vec<String>>>,
    /// Phrases the person put in double quotes: required.
    pub quoted: Vec<Vec<String>>,
    /// The last word when it is still being typed (suggest mode only), lower case, unstemmed.
    pub prefix: Option<String>,
}

impl Plan {
    /// True when nothing in the text can match anything.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
            && self.synonyms.is_empty()
            && self.quoted.is_empty()
            && self.prefix.is_none()
    }

    /// Every term the plan looks for exactly, for highlighting.
    pub fn highlight_terms(&self) -> Vec<String> {
        let mut out: Vec<String> = self.terms.clone();
        for alts in &self.synonyms {
            for alt in alts {
                out.extend(alt.iter().filter(|t| !is_stop_word(t)).cloned());
            }
        }
        for q in &self.quoted {
            out.extend(q.iter().cloned());
        }
        out.sort();
        out.dedup();
        out
    }
}

/// Tokens of `text` as the index analyzer sees them, with the original (lower-cased) word.
fn analyzed(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        let raw = text[t.offset_from..t.offset_to].to_lowercase();
        out.push((t.position, t.text.clone(), raw));
    }
    out
}

fn is_meaningful(raw: &str) -> bool {
    let short = raw.chars().count() < 2 && !raw.chars().all(|c| c.is_ascii_digit());
    !short && !is_stop_word(raw)
}

/// Plans a query. `typing` means the text is being typed right now (suggestions): a last
/// word not followed by a space or punctuation is treated as a prefix too.
pub(crate) fn plan(
    analyzer: &mut TextAnalyzer,
    thesaurus: &Thesaurus,
    text: &str,
    typing: bool,
) -> Plan {
    let mut plan = Plan::default();
    // Quoted parts are required phrases; they still count as ordinary words too.
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            let terms: Vec<String> = analyzed(analyzer, part)
                .into_iter()
                .map(|(_, t, _)| t)
                .collect();
            if !terms.is_empty() {
                plan.quoted.push(terms);
            }
        }
    }

    let tokens = analyzed(analyzer, text);
    let mut prev: Option<(usize, String)> = None;
    for (pos, term, raw) in tokens {
        if !is_meaningful(&raw) {
            continue;
        }
        if let Some((ppos, pterm)) = &prev
            && pos - ppos <= 3
            && *pterm != term
        {
            let pair = [pterm.clone(), term.clone()];
            if !plan.pairs.contains(&pair) {
                plan.pairs.push(pair);
            }
        }
        // The first words of a problem description carry it; a cap bounds query cost.
        if !plan.terms.contains(&term) && plan.terms.len() < MAX_TERMS {
            plan.terms.push(term.clone());
        }
        prev = Some((pos, term));
    }

    let person_words = words(text);
    let keys: Vec<String> = person_words
        .iter()
        .map(|w| key_stem(analyzer, &w.normalized))
        .collect();
    for m in thesaurus.find(&keys) {
        let mut alts: Vec<Vec<String>> =
            m.expansions.iter().map(|p| p.index_terms.clone()).collect();
        if m.len > 1 {
            let own: String = person_words[m.start..m.start + m.len]
                .iter()
                .map(|w| w.normalized.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let own_terms: Vec<String> = analyzed(analyzer, &own)
                .into_iter()
                .map(|(_, t, _)| t)
                .collect();
            alts.insert(0, own_terms);
        }
        if !alts.is_empty() {
            plan.synonyms.push(alts);
        }
    }

    if typing {
        let ends_mid_word = text.chars().last().is_some_and(char::is_alphanumeric);
        if ends_mid_word
            && let Some(last) = person_words.last()
            && last.normalized.chars().count() >= 2
        {
            plan.prefix = Some(last.normalized.chars().take(15).collect());
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::stemmed_analyzer;

    fn p(text: &str, typing: bool) -> Plan {
        plan(&mut stemmed_analyzer(), &Thesaurus::builtin(), text, typing)
    }

    #[test]
    fn drops_filler_and_stems() {
        let plan = p(
            "Hi, my printers are not printing anymore, please help",
            false,
        );
        assert_eq!(plan.terms, ["printer", "print"]);
    }

    #[test]
    fn pairs_follow_word_order() {
        let plan = p("change the password", false);
        assert_eq!(plan.pairs, [["chang".to_string(), "password".to_string()]]);
    }

    #[test]
    fn thesaurus_adds_alternatives_with_own_phrase_first() {
        let plan = p("my screen went all blue screen", false);
        // "screen" alone matches the screen/display group; "blue screen" its own group
        let alts = plan
            .synonyms
            .iter()
            .find(|a| a.contains(&vec!["bsod".to_string()]))
            .expect("blue screen expands");
        assert_eq!(alts[0], ["blue", "screen"]);
    }

    #[test]
    fn prefix_only_while_typing_mid_word() {
        assert_eq!(
            p("my wifi keeps disc", true).prefix.as_deref(),
            Some("disc")
        );
        assert_eq!(p("my wifi keeps disc ", true).prefix, None);
        assert_eq!(p("my wifi keeps disc", false).prefix, None);
    }

    #[test]
    fn quoted_phrases_are_required() {
        let plan = p("\"secure domain\" setup", false);
        assert_eq!(
            plan.quoted,
            [vec!["secur".to_string(), "domain".to_string()]]
        );
    }

    #[test]
    fn only_stop_words_is_empty() {
        assert!(p("how do I ... ?", false).is_empty());
    }
}
