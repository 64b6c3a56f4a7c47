//! Understanding a mail that arrived: pure, from raw bytes to [`InboundMail`]. Any bytes
//! are accepted (any charset, invalid UTF-8, broken MIME): what cannot be read becomes
//! `None`/empty, never a panic, and the raw bytes stay with the caller for the agent.

use mail_parser::{Address, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders};
use sha2::{Digest, Sha256};

/// What heard needs from one inbound mail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundMail {
    /// The author (`From`), lower-cased address and display name.
    pub from: Option<Person>,
    /// `To` and `Cc` addresses, lower-cased, in order, without duplicates.
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// One line, at most [`SUBJECT_CHARS`] characters; `(no subject)` when there is none.
    pub subject: String,
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// Why this mail was sent by a machine (RFC 3834), when it was.
    pub automatic: Option<Automatic>,
    /// An RFC 3464 delivery report (a bounce) for one of our mails.
    pub delivery_report: Option<DeliveryReport>,
    /// Whether an upstream filter marked it as spam (`X-Spam-Flag: YES`).
    pub marked_spam: bool,
    /// What the author wrote now: quoted history and signature folded away.
    pub text: String,
    /// The quoted history and signature, kept so an agent can unfold them.
    pub folded: String,
    /// The HTML alternative, sanitised.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    /// Every header as it arrived (decoded where possible), for agents.
    pub headers: Vec<(String, String)>,
    /// SHA-256 of the raw bytes, hex: the same delivery twice has the same hash.
    pub content_hash: String,
    pub size: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub address: String,
    pub name: Option<String>,
}

/// Why a mail counts as automatic (RFC 3834 and common practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Automatic {
    /// `Auto-Submitted` other than `no`, or `X-Autoreply` and the like.
    AutoSubmitted,
    /// `Precedence: bulk`, `list` or `junk`.
    Bulk,
    /// `List-Id`, `List-Unsubscribe`…: a mailing list.
    List,
    /// `Return-Path: <>` or a mailer daemon: a delivery notice.
    NullSender,
}

impl Automatic {
    pub fn as_str(self) -> &'static str {
        match self {
            Automatic::AutoSubmitted => "auto_submitted",
            Automatic::Bulk => "bulk",
            Automatic::List => "list",
            Automatic::NullSender => "null_sender",
        }
    }
}

/// One failed recipient from a delivery status notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub recipient: String,
    /// `5.2.2` and the like.
    pub status: String,
    pub action: String,
    pub diagnostic: Option<String>,
}

impl DeliveryReport {
    /// A permanent failure (`5.x.x`), as opposed to a delay or a success notice.
    pub fn is_failure(&self) -> bool {
        self.status.starts_with('5') || self.action.eq_ignore_ascii_case("failed")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    /// Referenced from the HTML as `cid:…` (an inline image), when it is.
    pub content_id: Option<String>,
    pub inline: bool,
    pub bytes: Vec<u8>,
}

pub const SUBJECT_CHARS: usize = 250;
/// The longest text kept as a message (the raw mail keeps everything).
pub const TEXT_CHARS: usize = 100_000;
/// The longest HTML kept (beyond it the text stands alone).
pub const HTML_BYTES: usize = 1_000_000;

/// Parses raw bytes. `None` when nothing mail-like is there at all.
pub fn parse(raw: &[u8]) -> Option<InboundMail> {
    // mail-parser 0.11 panics on a few malformed MIME trees (its own fixture
    // malformed/023 among them); such a mail is unreadable, not a reason to stop.
    std::panic::catch_unwind(|| {
        MessageParser::default()
            .parse(raw)
            .and_then(|m| understand(&m, raw))
    })
    .ok()
    .flatten()
}

fn understand(message: &Message, raw: &[u8]) -> Option<InboundMail> {
    if message.headers().is_empty() {
        return None;
    }
    let from = strict_from(message, raw).and_then(|a| {
        let address = a.address()?.trim().to_lowercase();
        (address.contains('@') && !address.contains(char::is_control)).then(|| Person {
            address,
            name: a
                .name()
                .map(one_line)
                .filter(|n| !n.is_empty() && n.chars().count() <= 200),
        })
    });
    let (text, folded) = fold_new_text(&body_text(message));
    let html = message
        .body_html(0)
        .filter(|_| message.html_body_count() > 0 && is_real_html(message))
        .map(|h| ammonia::clean(&without_nul(&h)))
        .filter(|h| !h.trim().is_empty() && h.len() <= HTML_BYTES);
    Some(InboundMail {
        from,
        to: addresses(message.to()),
        cc: addresses(message.cc()),
        subject: subject(message.subject()),
        message_id: message.message_id().and_then(clean_id),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        automatic: automatic(message),
        delivery_report: delivery_report(message),
        marked_spam: header_text(message, "X-Spam-Flag")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes")),
        text: truncate_chars(&text, TEXT_CHARS),
        folded: truncate_chars(&folded, TEXT_CHARS),
        html,
        attachments: attachments(message),
        headers: message
            .headers_raw()
            .map(|(name, value)| (one_line(name), one_line(value)))
            .collect(),
        content_hash: hex_sha256(raw),
        size: raw.len(),
    })
}

pub fn hex_sha256(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The text alternative, or the HTML's text when the mail only has HTML.
fn body_text(message: &Message) -> String {
    message
        .body_text(0)
        .map(|t| without_nul(&t.replace("\r\n", "\n")))
        .unwrap_or_default()
}

/// NUL is valid in a mail's bytes but not in PostgreSQL text (nor useful to a reader).
fn without_nul(s: &str) -> String {
    s.replace('\0', "")
}

/// mail-parser offers a text body as HTML too (and the reverse); only a real HTML part
/// is worth keeping as HTML.
fn is_real_html(message: &Message) -> bool {
    message
        .html_part(0)
        .is_some_and(|p| matches!(p.body, mail_parser::PartType::Html(_)))
}

/// The first `From` whose field name is exactly that: mail-parser 0.11 also reads
/// `Fr om:` or `:From:` as From, which would let a second, forged line choose who the
/// mail is from.
fn strict_from<'a>(message: &'a Message<'a>, raw: &[u8]) -> Option<&'a mail_parser::Addr<'a>> {
    message
        .headers()
        .iter()
        .filter(|h| matches!(h.name, mail_parser::HeaderName::From))
        .find(|h| {
            let name = raw
                .get(h.offset_field as usize..h.offset_start as usize)
                .unwrap_or_default();
            let name = name.split(|b| *b == b':').next().unwrap_or_default();
            name.eq_ignore_ascii_case(b"from")
        })
        .and_then(|h| h.value.as_address())
        .and_then(|a| a.first())
}

fn addresses(list: Option<&Address>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in list.into_iter().flat_map(|l| l.iter()) {
        if let Some(addr) = a.address() {
            let addr = addr.trim().to_lowercase();
            if addr.contains('@') && !addr.contains(char::is_control) && !out.contains(&addr) {
                out.push(addr);
            }
        }
    }
    out
}

fn subject(raw: Option<&str>) -> String {
    let s = truncate_chars(one_line(raw.unwrap_or("")).trim(), SUBJECT_CHARS);
    if s.is_empty() {
        "(no subject)".into()
    } else {
        s
    }
}

/// Control characters (folded header lines, tabs, stray bytes) become single spaces.
fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

fn clean_id(id: &str) -> Option<String> {
    let id = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!id.is_empty() && id.len() <= 500 && !id.chars().any(|c| c.is_whitespace() || c.is_control()))
        .then(|| id.to_string())
}

fn ids(value: &HeaderValue) -> Vec<String> {
    let raw: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.as_ref()).collect(),
        _ => Vec::new(),
    };
    raw.into_iter()
        .flat_map(|t| t.split_whitespace())
        .filter_map(clean_id)
        .take(100)
        .collect()
}

fn header_text<'a>(message: &'a Message, name: &str) -> Option<&'a str> {
    message
        .headers_raw()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

fn has_header(message: &Message, name: &str) -> bool {
    header_text(message, name).is_some()
}

fn automatic(message: &Message) -> Option<Automatic> {
    let return_path = header_text(message, "Return-Path").map(|v| v.trim().to_string());
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or("")
        .to_lowercase();
    let local = from.split('@').next().unwrap_or("");
    if return_path.as_deref() == Some("<>")
        || matches!(local, "mailer-daemon" | "postmaster")
        || delivery_report_part(message).is_some()
    {
        return Some(Automatic::NullSender);
    }
    if header_text(message, "Auto-Submitted").is_some_and(|v| {
        !v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("no")
    }) || ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"]
        .iter()
        .any(|h| has_header(message, h))
    {
        return Some(Automatic::AutoSubmitted);
    }
    if header_text(message, "Precedence").is_some_and(|v| {
        let v = v.to_ascii_lowercase();
        v.contains("bulk") || v.contains("list") || v.contains("junk")
    }) {
        return Some(Automatic::Bulk);
    }
    if ["List-Id", "List-Unsubscribe", "List-Post"]
        .iter()
        .any(|h| has_header(message, h))
    {
        return Some(Automatic::List);
    }
    None
}

fn delivery_report_part<'a>(message: &'a Message<'a>) -> Option<&'a MessagePart<'a>> {
    message
        .parts
        .iter()
        .find(|p| p.is_content_type("message", "delivery-status"))
}

/// The first recipient of an RFC 3464 report (its per-recipient fields).
fn delivery_report(message: &Message) -> Option<DeliveryReport> {
    let part = delivery_report_part(message)?;
    let fields = String::from_utf8_lossy(part.contents()).replace("\r\n", "\n");
    // Field lines may be folded: a continuation starts with white space.
    let mut unfolded: Vec<String> = Vec::new();
    for line in fields.lines() {
        match unfolded.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => unfolded.push(line.to_string()),
        }
    }
    let field = |name: &str| {
        unfolded.iter().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    };
    // `rfc822; carol@example.org`: the address type comes first.
    let typed = |v: &str| v.split_once(';').map_or(v, |(_, a)| a).trim().to_string();
    let recipient = field("Final-Recipient")
        .or_else(|| field("Original-Recipient"))
        .map(typed)?
        .trim_matches(['<', '>'])
        .to_lowercase();
    Some(DeliveryReport {
        recipient,
        status: field("Status").unwrap_or("").to_string(),
        action: field("Action").unwrap_or("").to_string(),
        diagnostic: field("Diagnostic-Code")
            .map(typed)
            .filter(|d| !d.is_empty())
            .map(|d| truncate_chars(&d, 500)),
    })
}

fn attachments(message: &Message) -> Vec<Attachment> {
    message
        .attachments()
        .filter(|p| !p.is_content_type("message", "delivery-status"))
        .map(|p| {
            let content_type = p
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into())
                .to_lowercase()
                .replace(|c: char| c.is_control() || c.is_whitespace(), "");
            let inline = p.content_disposition().is_some_and(|d| d.is_inline())
                || (p.content_id().is_some() && content_type.starts_with("image/"));
            let file_name = p
                .attachment_name()
                .map(one_line)
                .map(|n| n.replace(['/', '\\'], "_"))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "attachment".into());
            Attachment {
                file_name: truncate_chars(&file_name, 200),
                content_type,
                content_id: p.content_id().and_then(clean_id),
                inline,
                bytes: p.contents().to_vec(),
            }
        })
        .collect()
}

/// Splits a plain-text body into what is new and what is history: the quoted reply
/// (`> …` lines and the "On … wrote:" line before them, or everything after an
/// "Original Message" / Outlook header block) and the signature (after `-- `).
pub fn fold_new_text(body: &str) -> (String, String) {
    let lines: Vec<&str> = body.lines().collect();
    let mut cut = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let starts_history = *line == "-- "
            || t == "--"
            || t.starts_with("-----Original Message-----")
            || t.starts_with("________________________________")
            || (t.starts_with("On ") && t.ends_with("wrote:"))
            || (t.starts_with("Le ") && t.ends_with("a écrit :"))
            || (t.starts_with("Am ") && t.ends_with("schrieb:"))
            || (t.starts_with("From:")
                && lines
                    .get(i + 1)
                    .is_some_and(|n| n.trim_start().starts_with("Sent:")))
            // A block of quoted lines to the end (interleaved answers stay visible).
            || (t.starts_with('>') && lines[i..].iter().all(|l| l.trim().is_empty() || l.trim_start().starts_with('>')));
        if starts_history {
            cut = i;
            break;
        }
    }
    let new = lines[..cut].join("\n").trim().to_string();
    let folded = lines[cut..].join("\n").trim().to_string();
    // Only quotes and a signature: the whole body is what they wrote.
    if new.is_empty() {
        (body.trim().to_string(), String::new())
    } else {
        (new, folded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(headers: &str, body: &str) -> Vec<u8> {
        format!("{headers}\r\n\r\n{body}")
            .replace('\n', "\r\n")
            .into_bytes()
    }

    #[test]
    fn reads_the_people_ids_and_subject() {
        let raw = mail(
            "From: Ada Lovelace <Ada@Example.org>\nTo: help@desk.test, Bob <bob@example.org>\nCc: carol@example.org\nSubject: =?utf-8?q?Printer_=C3=A9teint?=\nMessage-ID: <abc@mail.example.org>\nIn-Reply-To: <m1@desk.test>\nReferences: <m0@desk.test> <m1@desk.test>",
            "It is off again.",
        );
        let m = parse(&raw).unwrap();
        let from = m.from.clone().unwrap();
        assert_eq!(from.address, "ada@example.org");
        assert_eq!(from.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(m.to, ["help@desk.test", "bob@example.org"]);
        assert_eq!(m.cc, ["carol@example.org"]);
        assert_eq!(m.subject, "Printer éteint");
        assert_eq!(m.message_id.as_deref(), Some("abc@mail.example.org"));
        assert_eq!(m.in_reply_to, ["m1@desk.test"]);
        assert_eq!(m.references, ["m0@desk.test", "m1@desk.test"]);
        assert_eq!(m.automatic, None);
        assert_eq!(m.text, "It is off again.");
        assert_eq!(m.content_hash, hex_sha256(&raw));
    }

    #[test]
    fn folds_quotes_and_signatures() {
        let (new, folded) = fold_new_text(
            "Still broken.\n\nOn Mon, 23 Nov 2026, Help wrote:\n> Try restarting.\n> Thanks\n",
        );
        assert_eq!(new, "Still broken.");
        assert!(folded.starts_with("On Mon"), "{folded}");
        let (new, folded) = fold_new_text("Thanks!\n-- \nAda\nACME Corp\n");
        assert_eq!(
            (new.as_str(), folded.as_str()),
            ("Thanks!", "-- \nAda\nACME Corp")
        );
        let (new, _) = fold_new_text(
            "Yes.\n\nFrom: Help <help@desk.test>\nSent: Monday\nSubject: x\n\nold text",
        );
        assert_eq!(new, "Yes.");
        // Interleaved answers are new text.
        let (new, folded) = fold_new_text("> Which version?\n7.2\n> Which OS?\nLinux");
        assert!(new.contains("7.2") && new.contains("Linux"), "{new}");
        assert_eq!(folded, "");
        // Only a quote: keep it all rather than an empty message.
        let (new, _) = fold_new_text("> hello\n");
        assert_eq!(new, "> hello");
    }

    #[test]
    fn knows_automatic_mail() {
        let cases = [
            (
                "Auto-Submitted: auto-replied",
                Some(Automatic::AutoSubmitted),
            ),
            ("Auto-Submitted: no", None),
            ("Precedence: bulk", Some(Automatic::Bulk)),
            ("Precedence: junk", Some(Automatic::Bulk)),
            ("List-Id: <dev.lists.example.org>", Some(Automatic::List)),
            ("Return-Path: <>", Some(Automatic::NullSender)),
            ("X-Autoreply: yes", Some(Automatic::AutoSubmitted)),
        ];
        for (header, want) in cases {
            let raw = mail(
                &format!("From: a@example.org\nTo: help@desk.test\nSubject: x\n{header}"),
                "hi",
            );
            assert_eq!(parse(&raw).unwrap().automatic, want, "{header}");
        }
        let daemon = mail("From: MAILER-DAEMON@example.org\nSubject: x", "hi");
        assert_eq!(
            parse(&daemon).unwrap().automatic,
            Some(Automatic::NullSender)
        );
    }

    #[test]
    fn reads_a_delivery_report() {
        let raw = mail(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\nTo: help@desk.test\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"",
            "--B\nContent-Type: text/plain\n\nThe mail could not be delivered.\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; Carol@Example.org\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\n--B--\n",
        );
        let m = parse(&raw).unwrap();
        let report = m.delivery_report.unwrap();
        assert_eq!(report.recipient, "carol@example.org");
        assert_eq!(report.status, "5.2.2");
        assert!(report.is_failure());
        assert_eq!(report.diagnostic.as_deref(), Some("552 5.2.2 Mailbox full"));
        assert_eq!(m.automatic, Some(Automatic::NullSender));
    }

    #[test]
    fn sanitises_html_and_keeps_attachments() {
        let raw = mail(
            "From: a@example.org\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"B\"",
            "--B\nContent-Type: text/html; charset=utf-8\n\n<p onclick=\"x()\">Hi<script>alert(1)</script></p>\n--B\nContent-Type: image/png; name=\"shot.png\"\nContent-Disposition: inline; filename=\"../shot.png\"\nContent-ID: <img1@x>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--B--\n",
        );
        let m = parse(&raw).unwrap();
        let html = m.html.unwrap();
        assert!(
            !html.contains("script") && !html.contains("onclick"),
            "{html}"
        );
        assert!(html.contains("Hi"));
        assert_eq!(m.text, "Hi");
        let a = &m.attachments[0];
        assert_eq!(a.file_name, ".._shot.png");
        assert_eq!(a.content_type, "image/png");
        assert_eq!(a.content_id.as_deref(), Some("img1@x"));
        assert!(a.inline);
        assert_eq!(a.bytes, b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn a_forged_second_from_line_is_not_the_sender() {
        let m = parse(b"From: good@x.com\r\nFr om: evil@x.com\r\n\r\nbody").unwrap();
        assert_eq!(m.from.unwrap().address, "good@x.com");
        let m = parse(b"Fr om: evil@x.com\r\nSubject: x\r\n\r\nbody").unwrap();
        assert_eq!(m.from, None);
    }

    #[test]
    fn survives_any_bytes() {
        assert_eq!(parse(b""), None);
        let latin1 = b"From: a@example.org\r\nSubject: caf\xe9\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\xe9 \xff\xfe";
        let m = parse(latin1).unwrap();
        assert_eq!(m.text, "café ÿþ");
        let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let _ = parse(&garbage);
        let m = parse(b"Subject: \x01\x02bell\r\n\r\n").unwrap();
        assert_eq!(m.subject, "bell");
        assert_eq!(m.from, None);
        // NUL anywhere (PostgreSQL text refuses it) is dropped.
        let m = parse(
            b"From: a\x00b@example.org\r\nX-\x00: v\x00w\r\nMessage-ID: <x\x00@y>\r\n\r\nhel\x00lo",
        )
        .unwrap();
        assert_eq!(m.text, "hello");
        assert_eq!(m.from, None);
        assert_eq!(m.message_id, None);
        assert!(
            m.headers
                .iter()
                .all(|(n, v)| !n.contains('\0') && !v.contains('\0'))
        );
    }
}
