//! Tokenisation shared by every analysis: words with byte spans, sentences, and the
//! parts of a text that quote someone else (so a reply that quotes the customer is not
//! blamed for the customer's words, and a customer quoting the agent is not scored for them).

use crate::lexicon::Lexicon;

/// One word of the input. `start..end` are byte offsets into the original text and always
/// fall on character boundaries because they come from `char_indices`.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
    /// Lower-cased, curly apostrophes straightened, informal spellings mapped to a canonical
    /// form by the lexicon's spelling table ("dont" → "don't").
    pub norm: String,
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
pub(crate) struct Analyzed {
    pub tokens: Vec<Token>,
    pub sentences: Vec<Sentence>,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
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
        } else {
            let mut open: Option<(usize, char)> = None;
            for (i, c) in line.char_indices() {
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

pub(crate) fn analyze(text: &str, lex: &Lexicon) -> Analyzed {
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
    let mut chars = text.char_indices().peekable();

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

    while let Some((i, c)) = chars.next() {
        if is_word_char(c) {
            let start = i;
            let mut end = i + c.len_utf8();
            let mut norm = String::with_capacity(16);
            let mut letters = 0u32;
            let mut upper = 0u32;
            let mut push = |c: char, norm: &mut String| {
                if c.is_alphabetic() {
                    letters += 1;
                    if c.is_uppercase() {
                        upper += 1;
                    }
                }
                for l in c.to_lowercase() {
                    norm.push(l);
                }
            };
            push(c, &mut norm);
            while let Some(&(j, d)) = chars.peek() {
                if is_word_char(d) {
                    push(d, &mut norm);
                    end = j + d.len_utf8();
                    chars.next();
                } else if is_apostrophe(d) {
                    // An apostrophe joins only when a word character follows ("don't").
                    let mut look = chars.clone();
                    look.next();
                    match look.peek() {
                        Some(&(_, e)) if is_word_char(e) => {
                            norm.push('\'');
                            chars.next();
                        }
                        _ => break,
                    }
                } else {
                    break;
                }
            }
            if !sent_has_words {
                sent_start = start;
                sent_has_words = true;
            }
            let norm = match lex.spelling.get(norm.as_str()) {
                Some(canon) => canon.clone(),
                None => norm,
            };
            let (id, class_bits, classes) = lex.lookup(&norm);
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
            let norm = c.to_string();
            let (id, class_bits, classes) = lex.lookup(&norm);
            out.tokens.push(Token {
                start: i,
                end: i + c.len_utf8(),
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
            let end = i + c.len_utf8();
            match c {
                '.' | '!' | '?' | ';' | '\u{2026}' => {
                    // A dot inside a number or a file name ("v2.1", "config.txt") does not end a sentence.
                    if c == '.' && matches!(chars.peek(), Some(&(_, d)) if is_word_char(d)) {
                        continue;
                    }
                    // Swallow a run of end punctuation ("?!", "...") into this sentence.
                    let mut question = c == '?';
                    let mut last_end = end;
                    while let Some(&(j, d)) = chars.peek() {
                        if matches!(d, '.' | '!' | '?' | '\u{2026}') {
                            question |= d == '?';
                            last_end = j + d.len_utf8();
                            chars.next();
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
                        last_end,
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
