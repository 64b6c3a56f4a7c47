//! Text handling shared by indexing and querying: the analyzers, word splitting of
//! customer text, stop words, Markdown-to-plain-text for snippets, and HTML escaping.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, TokenizerManager, WhitespaceTokenizer,
};

/// Analyzer for every searchable prose field: English stemming, accents folded.
pub(crate) const STEMMED: &str = "heard_en";
/// Analyzer for the pre-computed edge n-gram field used for "as you type" prefixes.
pub(crate) const PREFIXES: &str = "heard_prefix";

pub(crate) fn stemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

pub(crate) fn register_analyzers(manager: &TokenizerManager) {
    manager.register(STEMMED, stemmed_analyzer());
    manager.register(
        PREFIXES,
        TextAnalyzer::builder(WhitespaceTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

/// Runs `text` through the stemming analyzer and returns the terms.
pub(crate) fn stem_all(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// A word of a customer's text as they typed it, normalised for matching:
/// lower case, apostrophes dropped ("won't" → "wont") so contractions stay one word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub normalized: String,
}

/// Splits text into words the way a person reads them. Unlike tantivy's tokenizer this
/// keeps "won't" as one word, which the thesaurus needs ("won't turn on").
pub(crate) fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if (c == '\'' || c == '’') && !cur.is_empty() {
            // inside a contraction: skip the apostrophe, keep the word together
            if !chars.peek().is_some_and(|n| n.is_alphanumeric()) {
                out.push(Word {
                    normalized: std::mem::take(&mut cur),
                });
            }
        } else if !cur.is_empty() {
            out.push(Word {
                normalized: std::mem::take(&mut cur),
            });
        }
    }
    if !cur.is_empty() {
        out.push(Word { normalized: cur });
    }
    out
}

/// Words that carry no meaning about the problem. Dropped from the bag of words
/// (they still take part in thesaurus phrases such as "won't turn on").
pub(crate) fn is_stop_word(w: &str) -> bool {
    STOP_WORDS.binary_search(&w).is_ok()
}

/// Sorted: looked up by binary search (a test checks the order).
const STOP_WORDS: &[&str] = &[
    "a",
    "able",
    "about",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "anymore",
    "anyone",
    "anything",
    "are",
    "aren",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "but",
    "by",
    "can",
    "cannot",
    "could",
    "couldn",
    "d",
    "dear",
    "did",
    "didn",
    "do",
    "does",
    "doesn",
    "doing",
    "don",
    "dont",
    "each",
    "even",
    "every",
    "everything",
    "for",
    "from",
    "get",
    "gets",
    "getting",
    "got",
    "guys",
    "had",
    "has",
    "hasn",
    "have",
    "haven",
    "having",
    "he",
    "hello",
    "help",
    "her",
    "here",
    "hey",
    "hi",
    "him",
    "his",
    "how",
    "i",
    "id",
    "if",
    "im",
    "in",
    "into",
    "is",
    "isn",
    "it",
    "its",
    "ive",
    "just",
    "keep",
    "keeps",
    "kind",
    "know",
    "like",
    "ll",
    "lot",
    "lots",
    "m",
    "me",
    "mine",
    "more",
    "much",
    "my",
    "myself",
    "need",
    "needs",
    "no",
    "not",
    "nothing",
    "now",
    "of",
    "ok",
    "okay",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "out",
    "please",
    "re",
    "really",
    "regards",
    "s",
    "she",
    "should",
    "since",
    "so",
    "some",
    "somehow",
    "someone",
    "something",
    "sorry",
    "still",
    "such",
    "suddenly",
    "t",
    "team",
    "than",
    "thank",
    "thanks",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "this",
    "those",
    "to",
    "today",
    "too",
    "tried",
    "try",
    "trying",
    "unable",
    "up",
    "us",
    "ve",
    "very",
    "want",
    "was",
    "wasn",
    "way",
    "we",
    "went",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "won",
    "would",
    "wouldn",
    "yes",
    "yesterday",
    "you",
    "your",
];

/// Edge n-grams ("wi", "wir", "wire", …) of each word, space separated, for the prefix
/// field: a half-typed last word then costs one term look-up instead of a dictionary scan.
pub(crate) fn edge_ngrams(text: &str) -> String {
    let mut out = String::new();
    for w in words(text) {
        let chars: Vec<char> = w.normalized.chars().collect();
        for end in 2..=chars.len().min(15) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(&chars[..end]);
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Turns Markdown into the plain text that is indexed and shown in snippets: markup
/// characters, link targets, HTML tags and front-matter-like noise removed, code kept.
/// It is deliberately forgiving; rendering proper is the caller's job.
pub fn markdown_to_plain(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut in_fence = false;
    for line in md.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            out.push_str(line.trim_end());
            out.push('\n');
            continue;
        }
        let mut l = trimmed;
        l = l.trim_start_matches('#').trim_start();
        l = l.trim_start_matches('>').trim_start();
        if let Some(rest) = l
            .strip_prefix("* ")
            .or_else(|| l.strip_prefix("- "))
            .or_else(|| l.strip_prefix("+ "))
        {
            l = rest;
        }
        if l.chars()
            .all(|c| matches!(c, '-' | '=' | '*' | '_' | '|' | ':' | ' '))
        {
            // horizontal rules and table separators
            if !out.ends_with("\n\n") {
                out.push('\n');
            }
            continue;
        }
        out.push_str(&inline_to_plain(l));
        out.push('\n');
    }
    out.trim().to_string()
}

fn inline_to_plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '`' => {
                // code span: keep its content literally (it may legitimately hold "<tag>")
                if let Some(end) = chars[i + 1..].iter().position(|&x| x == '`') {
                    out.extend(&chars[i + 1..i + 1 + end]);
                    i += end + 2;
                } else {
                    i += 1;
                }
            }
            '!' if chars.get(i + 1) == Some(&'[') => i += 1,
            '[' => {
                // [text](target) → text ; [text] → text
                if let Some(close) = chars[i + 1..].iter().position(|&x| x == ']') {
                    let close = i + 1 + close;
                    out.extend(&chars[i + 1..close]);
                    i = close + 1;
                    if chars.get(i) == Some(&'(')
                        && let Some(p) = chars[i..].iter().position(|&x| x == ')')
                    {
                        i += p + 1;
                    }
                } else {
                    i += 1;
                }
            }
            '<' => {
                // an HTML tag or autolink: drop the tag, keep an autolink's address
                let rest: String = chars[i + 1..].iter().take(200).collect();
                if let Some(end) = rest.find('>') {
                    let inner = &rest[..end];
                    if inner.starts_with("http") || inner.contains('@') {
                        out.push_str(inner);
                    }
                    if inner
                        .starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '/' || ch == '!')
                        || inner.starts_with("http")
                    {
                        i += 1 + inner.chars().count() + 1;
                        continue;
                    }
                }
                out.push('<');
                i += 1;
            }
            '*' | '_' if is_emphasis(&chars, i) => i += 1,
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// `*`/`_` used as emphasis markers (next to a word boundary), not inside snake_case.
fn is_emphasis(chars: &[char], i: usize) -> bool {
    let prev = i.checked_sub(1).map(|p| chars[p]);
    let next = chars.get(i + 1).copied();
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    !(alnum(prev) && alnum(next))
}

/// The first `max_chars` characters of `text`, cut at a word boundary.
pub(crate) fn truncate_words(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    match cut.rfind(char::is_whitespace) {
        Some(p) if p > max_chars / 2 => format!("{}…", &cut[..p]),
        _ => format!("{cut}…"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_stop_word("the"));
        assert!(is_stop_word("your"));
        assert!(is_stop_word("a"));
        assert!(!is_stop_word("printer"));
    }

    #[test]
    fn words_keep_contractions() {
        let w: Vec<String> = words("It won't turn on; can’t log-in!")
            .into_iter()
            .map(|w| w.normalized)
            .collect();
        assert_eq!(w, ["it", "wont", "turn", "on", "cant", "log", "in"]);
    }

    #[test]
    fn markdown_plain_drops_markup_keeps_code() {
        let p = markdown_to_plain(
            "# Title\n\nSee [the guide](http://x/y) and **bold** <kbd>F</kbd> `<b>` snake_case.",
        );
        assert_eq!(p, "Title\n\nSee the guide and bold F <b> snake_case.");
    }

    #[test]
    fn edge_ngrams_of_words() {
        assert_eq!(edge_ngrams("Wi-Fi setup"), "wi fi se set setu setup");
    }
}
