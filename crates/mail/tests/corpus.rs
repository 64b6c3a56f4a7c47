//! The parser over every sample mail beside the repository (`shared/data/email`): the
//! mail-parser crate's fixtures (RFC, malformed, legacy, regressions) and CPython's MIME
//! edge cases. No input may panic, and what comes out must be safe to store and show.

use heard_mail::inbound::{Automatic, InboundMail, SUBJECT_CHARS, parse};
use heard_mail::intake::{Decision, Facts, decide};
use std::path::{Path, PathBuf};

fn data(dir: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/email")
        .join(dir);
    assert!(
        path.is_dir(),
        "the sample mail is missing: expected {}",
        path.display()
    );
    path
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("eml" | "txt")
        ) {
            out.push(path);
        }
    }
    out.sort();
}

/// What must hold for any parsed mail, whatever came in.
fn check_sane(path: &Path, m: &InboundMail) {
    let at = path.display();
    assert!(m.subject.chars().count() <= SUBJECT_CHARS, "{at}");
    assert!(
        !m.subject.chars().any(char::is_control),
        "{at}: {:?}",
        m.subject
    );
    for id in m
        .message_id
        .iter()
        .chain(&m.in_reply_to)
        .chain(&m.references)
    {
        assert!(
            !id.is_empty() && !id.contains(char::is_whitespace) && !id.contains('<'),
            "{at}: {id:?}"
        );
    }
    for a in
        m.to.iter()
            .chain(&m.cc)
            .chain(m.from.as_ref().map(|p| &p.address))
    {
        assert!(a.contains('@') && *a == a.to_lowercase(), "{at}: {a}");
    }
    if let Some(html) = &m.html {
        let lower = html.to_lowercase();
        assert!(
            !lower.contains("<script")
                && !lower.contains("onerror=")
                && !lower.contains("javascript:"),
            "{at}: {html}"
        );
    }
    for a in &m.attachments {
        assert!(
            !a.file_name.contains('/') && !a.file_name.is_empty(),
            "{at}: {}",
            a.file_name
        );
    }
}

fn parse_all(dir: &str) -> Vec<(PathBuf, Option<InboundMail>)> {
    let mut paths = Vec::new();
    files(&data(dir), &mut paths);
    paths
        .into_iter()
        .map(|p| {
            let raw = std::fs::read(&p).unwrap();
            let parsed = std::panic::catch_unwind(|| parse(&raw))
                .unwrap_or_else(|_| panic!("parsing {} panicked", p.display()));
            // Deciding never panics either, whatever the parse gave.
            let _ = decide(parsed.as_ref(), raw.len(), &Facts::default());
            (p, parsed)
        })
        .collect()
}

#[test]
fn the_mail_parser_fixtures_parse_safely() {
    let all = parse_all("mail-parser");
    assert!(all.len() >= 200, "{} fixtures", all.len());
    let parsed: Vec<_> = all
        .iter()
        .filter_map(|(p, m)| m.as_ref().map(|m| (p, m)))
        .collect();
    for (p, m) in &parsed {
        check_sane(p, m);
    }
    // Nearly every fixture is a mail with headers; the malformed ones may not be.
    assert!(
        parsed.len() * 100 >= all.len() * 90,
        "{} of {}",
        parsed.len(),
        all.len()
    );
    // Where the crate's own expected parse (mail-parser 1.0) names a sender address,
    // ours agrees.
    let (mut expected, mut agreed) = (0, Vec::new());
    for (path, m) in &all {
        let Ok(json) = std::fs::read(path.with_extension("json")) else {
            continue;
        };
        let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let want = json["parts"][0]["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|h| {
                h["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case("from"))
            })
            .find_map(|h| h["value"]["address"][0]["mailbox"]["address"].as_str())
            .filter(|a| a.contains('@'));
        if let Some(want) = want {
            expected += 1;
            let got = m
                .as_ref()
                .and_then(|m| m.from.as_ref())
                .map(|p| p.address.as_str());
            if got == Some(want.to_lowercase().as_str()) {
                agreed.push(path);
            } else {
                eprintln!("{}: want {want}, got {got:?}", path.display());
            }
        }
    }
    assert!(expected >= 80, "{expected} fixtures name a sender");
    assert!(
        agreed.len() == expected,
        "{} of {expected} senders agree",
        agreed.len()
    );
}

#[test]
fn the_cpython_messages_parse_sensibly() {
    let all = parse_all("cpython");
    assert!(all.len() >= 47, "{} messages", all.len());
    for (p, m) in &all {
        match m {
            Some(m) => check_sane(p, m),
            // A mailing-list digest's body without any header: not a mail.
            None => assert!(p.ends_with("msg_19.txt"), "{} did not parse", p.display()),
        }
    }
    let get = |name: &str| {
        all.iter()
            .find(|(p, _)| p.file_name().unwrap() == name)
            .and_then(|(_, m)| m.clone())
            .unwrap()
    };
    let m = get("msg_01.txt");
    assert_eq!(m.from.unwrap().address, "bbb@ddd.com");
    assert_eq!(m.subject, "This is a test message");
    assert_eq!(
        m.message_id.as_deref(),
        Some("15090.61304.110929.45684@aaa.zzz.org")
    );
    assert!(
        m.text.starts_with("Hi,\n\nDo you like this message?"),
        "{}",
        m.text
    );
    let m = get("msg_07.txt");
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].file_name, "dingusfish.gif");
    assert_eq!(m.attachments[0].content_type, "image/gif");
    assert!(m.attachments[0].bytes.starts_with(b"GIF87a"));
    // A delivery failure relayed by a mailing list: machine mail, never a ticket.
    let m = get("msg_16.txt");
    assert_eq!(m.automatic, Some(Automatic::NullSender));
    assert!(!matches!(
        decide(Some(&m), m.size, &Facts::default()),
        Decision::NewTicket
    ));
}
