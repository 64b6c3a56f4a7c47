//! Personal data out of a past conversation before it becomes a practice ticket: e-mail
//! addresses, phone numbers, account and card numbers, street addresses and people's
//! names are replaced by placeholders, the same placeholder for the same value across
//! the whole ticket ("Anna" is always "Alex"), so the conversation still reads naturally.
//!
//! It errs on the side of removing too much: an order number or an IP address may go as
//! well, which costs a practice run little; a customer's phone number left in would not.

use std::collections::HashMap;

const GIVEN: [&str; 12] = [
    "Alex", "Sam", "Robin", "Jordan", "Casey", "Morgan", "Taylor", "Jamie", "Riley", "Avery",
    "Quinn", "Rowan",
];
const FAMILY: [&str; 8] = [
    "Lee", "Moss", "Reed", "Hart", "Lane", "Fox", "Wells", "Stone",
];
const GREETINGS: [&str; 6] = ["hi", "hello", "dear", "hey", "thanks", "thank"];
const SIGN_OFFS: [&str; 8] = [
    "regards",
    "thanks",
    "cheers",
    "best",
    "sincerely",
    "thank you",
    "best wishes",
    "kind regards",
];
const STREET_WORDS: [&str; 18] = [
    "street",
    "st",
    "road",
    "rd",
    "avenue",
    "ave",
    "lane",
    "ln",
    "drive",
    "dr",
    "boulevard",
    "blvd",
    "way",
    "court",
    "ct",
    "place",
    "pl",
    "square",
];
const STREET_ENDINGS: [&str; 6] = ["straße", "strasse", "gatan", "vägen", "weg", "gasse"];

/// Placeholders for one ticket: the same value always gets the same one.
#[derive(Debug, Default)]
struct Placeholders {
    seen: HashMap<(&'static str, String), String>,
    counts: HashMap<&'static str, usize>,
}

impl Placeholders {
    fn numbered(&mut self, kind: &'static str, value: &str) -> String {
        let key = (kind, value.to_lowercase());
        if let Some(p) = self.seen.get(&key) {
            return p.clone();
        }
        let n = self.counts.entry(kind).or_default();
        *n += 1;
        let p = format!("[{kind} {n}]");
        self.seen.insert(key, p.clone());
        p
    }

    fn name(&mut self, value: &str, family: bool) -> String {
        let key = ("name", value.to_string());
        if let Some(p) = self.seen.get(&key) {
            return p.clone();
        }
        let kind = if family { "family" } else { "given" };
        let n = self.counts.entry(kind).or_default();
        let list: &[&str] = if family { &FAMILY } else { &GIVEN };
        // No digits in a placeholder: it must not add to a number beside it.
        let p = if *n < list.len() {
            list[*n].to_string()
        } else {
            format!(
                "{}-{}",
                list[*n % list.len()],
                list[(*n / list.len()) % list.len()]
            )
        };
        *n += 1;
        self.seen.insert(key, p.clone());
        p
    }
}

/// The messages of one ticket with personal data replaced, in the same order.
/// `known_names` are the names of the people on the ticket (customer and staff); names
/// met after a greeting or above a sign-off are found as well.
pub fn scrub_ticket(messages: &[String], known_names: &[String]) -> Vec<String> {
    let mut p = Placeholders::default();
    // Names first, from every message, so each gets the same placeholder everywhere.
    let mut names: Vec<(String, bool)> = Vec::new();
    let mut add = |word: &str, family: bool| {
        let w = word.trim_matches(|c: char| !c.is_alphabetic());
        if w.chars().count() >= 2
            && w.chars().next().is_some_and(char::is_uppercase)
            && !names.iter().any(|(n, _)| n == w)
        {
            names.push((w.to_string(), family));
        }
    };
    for full in known_names {
        let full = full.split('@').next().unwrap_or_default();
        for (i, part) in full.split_whitespace().enumerate() {
            add(part, i > 0);
        }
    }
    for m in messages {
        for (word, family) in names_in(m) {
            add(&word, family);
        }
    }
    // Placeholders in the order the names were met; then longer names are replaced
    // first, so "Annabel" is not read as "Anna" + "bel".
    for (n, family) in &names {
        p.name(n, *family);
    }
    names.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));

    messages
        .iter()
        .map(|m| {
            let s = replace_emails(m, &mut p);
            let s = replace_addresses(&s, &mut p);
            let s = replace_numbers(&s, &mut p);
            replace_names(&s, &names, &mut p)
        })
        .collect()
}

/// Capitalised words after a greeting ("Hi Anna") or on the line after a sign-off
/// ("Regards,\nAnna Berg"), with whether each is a family name (not the first word).
fn names_in(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let capitalised = |w: &&str| {
        w.chars().next().is_some_and(char::is_uppercase) && w.chars().all(char::is_alphabetic)
    };
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let words: Vec<&str> = line
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphabetic()))
            .collect();
        if let Some(first) = words.first()
            && GREETINGS.contains(&first.to_lowercase().as_str())
        {
            for (k, w) in words[1..]
                .iter()
                .take(2)
                .take_while(|w| capitalised(w))
                .enumerate()
            {
                if !matches!(w.to_lowercase().as_str(), "you" | "team" | "there" | "all") {
                    out.push((w.to_string(), k > 0));
                }
            }
        }
        // "I am Anna Berg", "my name is Anna", "this is Anna".
        let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
        for k in 0..words.len() {
            let intro = match (
                lower.get(k).map(String::as_str),
                lower.get(k + 1).map(String::as_str),
            ) {
                (Some("i"), Some("am"))
                | (Some("this"), Some("is"))
                | (Some("name"), Some("is")) => k + 2,
                (Some("im" | "i'm" | "i’m"), _) => k + 1,
                _ => continue,
            };
            for (n, w) in words
                .iter()
                .skip(intro)
                .take(2)
                .take_while(|w| capitalised(w))
                .enumerate()
            {
                out.push((w.to_string(), n > 0));
            }
        }
        let bare = line.trim().trim_end_matches([',', '.', '!']).to_lowercase();
        if SIGN_OFFS.contains(&bare.as_str())
            && let Some(next) = lines.get(i + 1)
        {
            let words: Vec<&str> = next.split_whitespace().collect();
            if (1..=3).contains(&words.len()) && words.iter().all(capitalised) {
                for (k, w) in words.iter().enumerate() {
                    out.push((w.to_string(), k > 0));
                }
            }
        }
    }
    out
}

/// Characters that end the run of text around an `@`.
fn ends_address(c: char) -> bool {
    c.is_whitespace() || "<>()[]{},;:\"'@`|".contains(c)
}

fn replace_emails(text: &str, p: &mut Placeholders) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if ends_address(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (!ends_address(chars[i]) || chars[i] == '@') {
            i += 1;
        }
        let run = &chars[start..i];
        // An address: an `@` with address text on both sides.
        let is_address = (1..run.len().saturating_sub(1))
            .any(|k| run[k] == '@' && !ends_address(run[k - 1]) && !ends_address(run[k + 1]));
        if is_address {
            // Keep sentence punctuation after the address, and a `mailto:`-free prefix.
            let mut end = run.len();
            while end > 0 && matches!(run[end - 1], '.' | '!' | '?') {
                end -= 1;
            }
            let value: String = run[..end].iter().collect();
            out.push_str(&p.numbered("email", &value));
            out.extend(&run[end..]);
        } else {
            out.extend(run);
        }
    }
    out
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '/' | '(' | ')' | '+' | '\u{a0}')
}

/// A date such as 2026-11-23 or 23/11/2026: not personal, kept.
fn is_date(run: &str) -> bool {
    let parts: Vec<&str> = run.split(['-', '/', '.']).collect();
    let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
        && (lens == [4, 2, 2] || lens == [2, 2, 4] || lens == [1, 2, 4] || lens == [2, 1, 4])
}

/// Phone numbers (7 or more digits, with separators or a `+`), account and card numbers
/// (12 or more digits) and other long numbers.
fn replace_numbers(text: &str, p: &mut Placeholders) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let opens = (c == '+' || c == '(') && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if !(c.is_ascii_digit() || opens) {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i; // just past the last digit
        let mut digits = 0;
        let mut j = i;
        let mut gap = 0;
        while j < chars.len() {
            let d = chars[j];
            if d.is_ascii_digit() {
                digits += 1;
                gap = 0;
                end = j + 1;
            } else if is_separator(d) && gap < 2 {
                gap += 1;
            } else {
                break;
            }
            j += 1;
        }
        if end <= start {
            out.push(c);
            i += 1;
            continue;
        }
        // A closing parenthesis right after the number belongs to it only if it opened.
        let run: String = chars[start..end].iter().collect();
        if digits >= 7 && !is_date(&run) {
            let bare: String = run.chars().filter(char::is_ascii_digit).collect();
            let separated = run.chars().any(|c| !c.is_ascii_digit());
            let kind = if digits >= 12 {
                "account"
            } else if separated {
                "phone"
            } else {
                "number"
            };
            out.push_str(&p.numbered(kind, &bare));
        } else {
            out.push_str(&run);
        }
        i = end;
    }
    out
}

/// "12 Baker Street", "4711 Elm Rd", "Hauptstraße 5".
fn replace_addresses(text: &str, p: &mut Placeholders) -> String {
    // Words with their byte spans.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, text.len()));
    }
    let word = |k: usize| -> &str {
        text[words[k].0..words[k].1].trim_matches(|c: char| !c.is_alphanumeric())
    };
    let number = |w: &str| {
        let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        (1..=5).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
    };
    let capitalised = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for k in 0..words.len() {
        let w = word(k).to_lowercase();
        if STREET_ENDINGS.iter().any(|e| w.ends_with(e)) && capitalised(word(k)) {
            // "Hauptstraße 5"
            if k + 1 < words.len() && number(word(k + 1)) {
                let (s, e) = words[k + 1];
                let end = s + text[s..e].trim_end_matches([',', '.', ';']).len();
                spans.push((words[k].0, end));
            }
        } else if STREET_WORDS.contains(&w.as_str()) {
            // "12 Baker Street": up to four capitalised words, then a house number.
            let mut b = k;
            let mut named = 0;
            while b > 0 && named < 4 && capitalised(word(b - 1)) {
                b -= 1;
                named += 1;
            }
            if named > 0 && b > 0 && number(word(b - 1)) {
                let end = words[k].0
                    + text[words[k].0..words[k].1]
                        .trim_end_matches([',', '.', ';'])
                        .len();
                spans.push((words[b - 1].0, end));
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in spans {
        if s < at {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(&p.numbered("address", &text[s..e]));
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

fn replace_names(text: &str, names: &[(String, bool)], p: &mut Placeholders) -> String {
    let mut s = text.to_string();
    for (name, family) in names {
        let placeholder = p.name(name, *family);
        let mut out = String::with_capacity(s.len());
        let mut rest = s.as_str();
        while let Some(i) = rest.find(name.as_str()) {
            let before = rest[..i].chars().next_back();
            let after = rest[i + name.len()..].chars().next();
            let whole = !before.is_some_and(char::is_alphanumeric)
                && !after.is_some_and(char::is_alphanumeric);
            out.push_str(&rest[..i]);
            out.push_str(if whole { &placeholder } else { name });
            rest = &rest[i + name.len()..];
        }
        out.push_str(rest);
        s = out;
    }
    s
}

/// Whether `text` still holds something that reads as an e-mail address: an `@` with a
/// letter, digit or address character on both sides. (The tests' independent check.)
pub fn has_email_address(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let part = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    (1..chars.len().saturating_sub(1))
        .any(|k| chars[k] == '@' && part(chars[k - 1]) && part(chars[k + 1]))
}

/// Whether `text` still holds something that reads as a phone number: 7 or more digits
/// joined only by phone separators, other than a date. (The tests' independent check.)
pub fn has_phone_number(text: &str) -> bool {
    let check = |run: &str, digits: usize| {
        digits >= 7 && !is_date(run.trim_matches(|c: char| !c.is_ascii_digit()))
    };
    let (mut run, mut digits, mut gap) = (String::new(), 0, 0);
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            gap = 0;
            run.push(c);
            continue;
        }
        if is_separator(c) && gap < 2 {
            gap += 1;
            run.push(c);
            continue;
        }
        if check(&run, digits) {
            return true;
        }
        (run, digits, gap) = (String::new(), 0, 0);
        if is_separator(c) {
            gap = 1;
            run.push(c);
        }
    }
    check(&run, digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one(text: &str, names: &[&str]) -> String {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        scrub_ticket(&[text.to_string()], &names).remove(0)
    }

    #[test]
    fn replaces_each_kind_consistently_within_a_ticket() {
        let msgs = vec![
            "Hi,\nmy e-mail is anna.berg@example.com and my phone +46 70 123 45 67.\nI live at 12 Baker Street, London.\nCard 4111 1111 1111 1111.\nRegards,\nAnna Berg".to_string(),
            "Hi Anna, thanks! We wrote to anna.berg@example.com. Call +46 70 123 45 67?\nBest,\nTom".to_string(),
            "Anna again: still broken. Tom, please call me at 070-1234567.".to_string(),
        ];
        let out = scrub_ticket(&msgs, &["Anna Berg".into(), "Tom Smith".into()]);
        for m in &out {
            for leak in [
                "anna",
                "Anna",
                "Berg",
                "Tom",
                "123 45 67",
                "4111",
                "Baker",
                "1234567",
            ] {
                assert!(!m.contains(leak), "{leak} left in {m}");
            }
            assert!(!has_email_address(m) && !has_phone_number(m), "{m}");
        }
        assert!(out[0].contains("[email 1]") && out[1].contains("[email 1]"));
        assert!(out[0].contains("[phone 1]") && out[1].contains("[phone 1]"));
        assert!(out[2].contains("[phone 2]"), "{}", out[2]);
        assert!(out[0].contains("[address 1], London"), "{}", out[0]);
        assert!(out[0].contains("Card [account 1]."), "{}", out[0]);
        // The same person keeps the same placeholder name everywhere.
        assert!(out[0].ends_with("Alex Lee"), "{}", out[0]);
        assert!(out[1].starts_with("Hi Alex,"), "{}", out[1]);
        assert!(out[2].starts_with("Alex again"), "{}", out[2]);
    }

    #[test]
    fn keeps_what_is_not_personal() {
        let text = "On 2026-11-23 the app (version 4.2) failed 3 times; 1,000,000 rows.";
        assert_eq!(one(text, &[]), text);
        assert_eq!(
            one("Hauptstraße 5, 10115 Berlin", &[]),
            "[address 1], 10115 Berlin"
        );
        assert_eq!(one("Annabel met Anna.", &["Anna"]), "Annabel met Alex.");
    }

    fn email() -> impl Strategy<Value = String> {
        (
            "[a-zA-Z0-9][a-zA-Z0-9._%+-]{0,12}",
            "[a-zA-Z0-9][a-zA-Z0-9-]{0,10}",
            "(com|org|se|co\\.uk|io)",
        )
            .prop_map(|(l, d, t)| format!("{l}@{d}.{t}"))
    }

    fn phone() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\+[1-9][0-9]{0,2} [0-9]{2,3} [0-9]{3} [0-9]{2} [0-9]{2}",
            "\\(0[0-9]{2,3}\\) [0-9]{3}-[0-9]{4}",
            "0[0-9]{2}-[0-9]{7}",
            "[0-9]{3}\\.[0-9]{3}\\.[0-9]{4}",
        ]
    }

    proptest! {
        #[test]
        fn leaves_no_email_address_or_phone_number(
            parts in proptest::collection::vec(
                prop_oneof![email(), phone(), "[ a-zA-Z,.!?:()<>\\n-]{0,20}", "[0-9]{1,4}"],
                1..12,
            )
        ) {
            let text = parts.join(" ");
            let out = one(&text, &[]);
            prop_assert!(!has_email_address(&out), "{text:?} -> {out:?}");
            prop_assert!(!has_phone_number(&out), "{text:?} -> {out:?}");
        }

        #[test]
        fn any_text_is_scrubbed_without_panicking(text in "\\PC{0,200}") {
            let out = one(&text, &["Anna Berg"]);
            prop_assert!(!has_email_address(&out), "{text:?} -> {out:?}");
            prop_assert!(!has_phone_number(&out), "{text:?} -> {out:?}");
        }
    }
}
