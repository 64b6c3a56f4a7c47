//! Tokenisation shared by every analysis: words with byte spans, sentences, and the
//! parts of a text that quote someone else (so a reply that quotes the customer is not
//! blamed for the customer's words, and a customer quoting the agent is not scored for them).

use std::borrow::Cow;

use crate::lexicon::{Lexicon, NO_WORD};

/// One word of the input. `start..end` are byte offsets into the original text and always
/// fall on character boundaries: the scan steps by whole characters.
#[derive(Debug, Clone)]
pub(crate) struct Token<'a> {
    pub start: usize,
    pub end: usize,
    /// Lower-cased, curly apostrophes straightened, informal spellings mapped to a canonical
    /// form by the lexicon's spelling table ("dont" → "don't"). Borrowed from the text (or
    /// the spelling table) when that already is the normal form, as it is for most words.
    pub norm: Cow<'a, str>,
    pub sentence: u32,
    /// Inside a quoted line ("> …") or an inline quotation.
    pub quoted: bool,
    /// Every letter is a capital and there are at least two letters.
    pub all_caps: bool,
    pub letters: u32,
    /// Bit i set: the word is in `model::MODEL_CLASSES[i]`.
    pub classes: u8,
    /// Vocabulary id (`lexicon::NO_WORD` when no pattern or class has the word).
    pub id: u32,
    /// Bit i set: the word is in class i of `classes.tsv`.
    pub class_bits: u32,
    /// A template placeholder such as `[NAME]` or `<EMAIL>`: never shouting, never jargon.
    pub placeholder: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Sentence {
    pub start: usize,
    pub end: usize,
    /// Index of the first token of the sentence and one past its last.
    pub tok_start: usize,
    pub tok_end: usize,
    pub question: bool,
    pub quoted: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Analyzed<'a> {
    pub tokens: Vec<Token<'a>>,
    pub sentences: Vec<Sentence>,
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    c.is_alphanumeric()
}

/// Pictographs and symbols people use as words (faces, hands, hearts), not their modifiers.
fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F300..=0x1F3FA | 0x1F400..=0x1FAFF | 0x2600..=0x27BF)
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// Ranges of the text that are quotations: lines starting with `>` and text between double
/// quotes on one line (at most a few hundred bytes, so an unbalanced quote mark does not
/// swallow the rest of a message).
fn quoted_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('>') {
            ranges.push((line_start, line_start + line.len()));
        } else if line.as_bytes().contains(&b'"') || line.as_bytes().contains(&0xE2) {
            // Only '"' and the curly quotes (UTF-8 lead byte 0xE2) matter: look at those
            // bytes rather than decoding every character.
            let mut open: Option<(usize, char)> = None;
            for (i, &byte) in line.as_bytes().iter().enumerate() {
                if byte != b'"' && byte != 0xE2 {
                    continue;
                }
                // Both are lead bytes, so `i` is a character boundary.
                let Some(c) = line[i..].chars().next() else {
                    continue;
                };
                match (open, c) {
                    (None, '"' | '\u{201C}') => open = Some((i, c)),
                    (Some((o, oc)), '"' | '\u{201D}')
                        if (oc == '"' && c == '"') || (oc == '\u{201C}' && c == '\u{201D}') =>
                    {
                        if i - o <= 300 {
                            ranges.push((line_start + o, line_start + i + c.len_utf8()));
                        }
                        open = None;
                    }
                    _ => {}
                }
            }
        }
        line_start += line.len();
    }
    ranges
}

/// The character at byte `pos` (a character boundary), if any; ASCII without decoding.
#[inline]
fn char_at(text: &str, pos: usize) -> Option<char> {
    match text.as_bytes().get(pos) {
        None => None,
        Some(&b) if b.is_ascii() => Some(b as char),
        Some(_) => text[pos..].chars().next(),
    }
}

/// Whether `c` is its own lower-case form (so a word of such characters needs no copy).
fn is_lower_form(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_uppercase();
    }
    let mut l = c.to_lowercase();
    l.next() == Some(c) && l.next().is_none()
}

/// The normal form of a word spanning `word` (word characters joined by apostrophes):
/// lower-cased, apostrophes straightened.
fn normalize(word: &str, norm: &mut String) {
    norm.clear();
    for c in word.chars() {
        if is_apostrophe(c) {
            norm.push('\'');
        } else {
            norm.extend(c.to_lowercase());
        }
    }
}

pub(crate) fn analyze<'a>(text: &'a str, lex: &'a Lexicon) -> Analyzed<'a> {
    let quotes = quoted_ranges(text);
    // Positions are asked for in increasing order, so a cursor keeps this linear.
    let mut cursor = 0usize;
    let mut in_quote = |pos: usize| {
        while cursor < quotes.len() && quotes[cursor].1 <= pos {
            cursor += 1;
        }
        cursor < quotes.len() && quotes[cursor].0 <= pos
    };

    let mut out = Analyzed::default();
    // About one token per five bytes of prose: grow the list once, not a dozen times.
    out.tokens.reserve(text.len() / 5);
    let mut sentence: u32 = 0;
    let mut sent_start = 0usize;
    let mut sent_tok_start = 0usize;
    let mut sent_has_words = false;

    // Closes the current sentence at byte `end`.
    fn close(
        out: &mut Analyzed,
        sentence: &mut u32,
        sent_start: &mut usize,
        sent_tok_start: &mut usize,
        has_words: &mut bool,
        end: usize,
        question: bool,
    ) {
        if *has_words {
            let quoted = out.tokens.get(*sent_tok_start).is_some_and(|t| t.quoted);
            out.sentences.push(Sentence {
                start: *sent_start,
                end,
                tok_start: *sent_tok_start,
                tok_end: out.tokens.len(),
                question,
                quoted,
            });
            *sentence += 1;
        }
        *has_words = false;
        *sent_tok_start = out.tokens.len();
        *sent_start = end;
    }

    // A byte position rather than a `chars()` iterator: looking ahead is then free.
    let mut pos = 0;
    let bytes = text.as_bytes();
    let mut buf = String::new();
    while let Some(c) = char_at(text, pos) {
        let i = pos;
        pos += c.len_utf8();
        if is_word_char(c) {
            let start = i;
            let mut letters = 0u32;
            let mut upper = 0u32;
            // Whether the text already spells the word in its normal form.
            let mut plain = true;
            // Scan the word from its first character.
            pos = start;
            loop {
                // ASCII letters and digits, the bulk of most words, without decoding.
                while let Some(&b) = bytes.get(pos)
                    && (b.is_ascii_alphanumeric() || b == b'_')
                {
                    letters += u32::from(b.is_ascii_alphabetic());
                    upper += u32::from(b.is_ascii_uppercase());
                    plain &= !b.is_ascii_uppercase();
                    pos += 1;
                }
                let Some(d) = char_at(text, pos) else {
                    break;
                };
                if is_word_char(d) {
                    if d.is_alphabetic() {
                        letters += 1;
                        upper += u32::from(d.is_uppercase());
                    }
                    plain &= is_lower_form(d);
                    pos += d.len_utf8();
                } else if is_apostrophe(d)
                    // An apostrophe joins only when a word character follows ("don't").
                    && char_at(text, pos + d.len_utf8()).is_some_and(is_word_char)
                {
                    plain &= d == '\'';
                    pos += d.len_utf8();
                } else {
                    break;
                }
            }
            let end = pos;
            if !sent_has_words {
                sent_start = start;
                sent_has_words = true;
            }
            let word = &text[start..end];
            // Most words are already in their normal form; the others ("Hi", "I'm") are
            // normalised into a reused buffer, and only copied when the lexicon does not
            // know them (a known word borrows the lexicon's copy).
            let norm = if plain {
                word
            } else {
                normalize(word, &mut buf);
                buf.as_str()
            };
            let (norm, id, class_bits, classes) = match lex.known(norm) {
                Some((key, k)) => {
                    let norm = Cow::Borrowed(k.canon.as_deref().unwrap_or(key));
                    (norm, k.id, k.class_bits, k.model_bits)
                }
                None => {
                    let (class_bits, classes) = lex.prefix_classes(norm);
                    let norm = match plain {
                        true => Cow::Borrowed(word),
                        false => Cow::Owned(buf.clone()),
                    };
                    (norm, NO_WORD, class_bits, classes)
                }
            };
            out.tokens.push(Token {
                start,
                end,
                norm,
                sentence,
                quoted: in_quote(start),
                all_caps: letters >= 2 && upper == letters,
                letters,
                classes,
                id,
                class_bits,
                placeholder: text[..start].ends_with(['[', '<', '{'])
                    && text[end..].starts_with([']', '>', '}']),
            });
        } else if is_emoji(c) {
            // Each emoji is a word of its own, so rules can name them ("😡", "🙄").
            if !sent_has_words {
                sent_start = i;
                sent_has_words = true;
            }
            let norm = Cow::Borrowed(&text[i..pos]);
            let (id, class_bits, classes) = lex.lookup(&norm);
            out.tokens.push(Token {
                start: i,
                end: pos,
                norm,
                sentence,
                quoted: in_quote(i),
                all_caps: false,
                letters: 0,
                classes,
                id,
                class_bits,
                placeholder: false,
            });
        } else {
            match c {
                '.' | '!' | '?' | ';' | '\u{2026}' => {
                    // A dot inside a number or a file name ("v2.1", "config.txt") does not end a sentence.
                    if c == '.' && char_at(text, pos).is_some_and(is_word_char) {
                        continue;
                    }
                    // Swallow a run of end punctuation ("?!", "...") into this sentence.
                    let mut question = c == '?';
                    while let Some(d) = char_at(text, pos) {
                        if matches!(d, '.' | '!' | '?' | '\u{2026}') {
                            question |= d == '?';
                            pos += d.len_utf8();
                        } else {
                            break;
                        }
                    }
                    close(
                        &mut out,
                        &mut sentence,
                        &mut sent_start,
                        &mut sent_tok_start,
                        &mut sent_has_words,
                        pos,
                        question,
                    );
                }
                '\n' => {
                    // A line break ends a sentence: lists and greetings rarely end with a dot.
                    let end = out.tokens.last().map_or(i, |t| t.end);
                    close(
                        &mut out,
                        &mut sentence,
                        &mut sent_start,
                        &mut sent_tok_start,
                        &mut sent_has_words,
                        end,
                        false,
                    );
                }
                _ => {}
            }
        }
    }
    let end = out.tokens.last().map_or(text.len(), |t| t.end);
    close(
        &mut out,
        &mut sentence,
        &mut sent_start,
        &mut sent_tok_start,
        &mut sent_has_words,
        end,
        false,
    );
    out
}

/// The longest prefix of `s` that is at most `max` bytes and ends on a character boundary.
pub(crate) fn truncate_on_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
