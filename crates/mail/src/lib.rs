//! heard's outgoing mail, a thin adapter over lettre: a message is built from plain text
//! and an HTML alternative whose every user-supplied part was escaped ([`escape_html`]),
//! and sent to one SMTP server (`smtp://host:port`, or `smtps://` / `?tls=required` for
//! TLS). What to send and when to retry is decided by the services' outbox; this crate
//! only says whether a failure is worth retrying.
//!
//! Mail that arrives is understood by [`inbound`] (bytes to facts, pure) and judged by
//! [`intake`] (facts to a decision, pure); the services do the looking up and writing.
//! Mail fetched from a mailbox over IMAP is planned by [`imap`] (pure) and fetched by
//! [`imap_client`].

pub mod delivery;
pub mod imap;
pub mod imap_client;
pub mod inbound;
pub mod intake;
pub mod notices;
pub mod smtp_server;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;
use thiserror::Error;

/// One mail to one person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// Built from escaped parts only (see [`escape_html`]).
    pub html: Option<String>,
    /// Extra headers (`Message-ID`, `In-Reply-To`, `References`, `Reply-To`,
    /// `Auto-Submitted`); each replaces one the builder set. A `Cc` (addresses separated
    /// by commas) also puts its people on the envelope.
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error(
        "the sender address `{0}` is not an e-mail address such as Help Desk <help@example.com>"
    )]
    From(String),
    #[error("the SMTP URL is not usable (smtp://host:port, smtps://host:port): {0}")]
    Url(String),
}

#[derive(Debug, Error)]
pub enum SendError {
    /// The server or the network failed for now: try again later.
    #[error("{0}")]
    Transient(String),
    /// The server refused for good (no such mailbox, a malformed message): do not retry.
    #[error("{0}")]
    Permanent(String),
}

/// Sends mail through one SMTP server. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// `smtp_url` as lettre reads it: `smtp://host:port` (plain, e.g. a local relay),
    /// `smtp://host:port?tls=required` (STARTTLS), `smtps://host:port`; credentials as
    /// `smtp://user:password@host`.
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, ConfigError> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| ConfigError::From(from.to_string()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| ConfigError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(Mailer { transport, from })
    }

    pub fn from_address(&self) -> String {
        self.from.to_string()
    }

    /// The message as it goes on the wire.
    pub fn message(&self, mail: &OutgoingMail) -> Result<Message, SendError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| SendError::Permanent(format!("`{}` is not an address", mail.to)))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.as_str());
        let is_cc = |name: &str| name.eq_ignore_ascii_case("cc");
        for (_, value) in mail.headers.iter().filter(|(n, _)| is_cc(n)) {
            for a in value.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                let cc: Mailbox = a
                    .parse()
                    .map_err(|_| SendError::Permanent(format!("`{a}` is not an address")))?;
                builder = builder.cc(cc);
            }
        }
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone());
        let built = match &mail.html {
            Some(html) => builder.multipart(
                MultiPart::alternative().singlepart(text).singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.clone()),
                ),
            ),
            None => builder.singlepart(text),
        };
        let mut message = built.map_err(|e| SendError::Permanent(e.to_string()))?;
        for (name, value) in mail.headers.iter().filter(|(n, _)| !is_cc(n)) {
            let name = HeaderName::new_from_ascii(name.clone())
                .map_err(|_| SendError::Permanent(format!("`{name}` is not a header name")))?;
            message
                .headers_mut()
                .insert_raw(HeaderValue::new(name, value.clone()));
        }
        Ok(message)
    }

    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let message = self.message(mail)?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                SendError::Permanent(e.to_string())
            } else {
                SendError::Transient(e.to_string())
            }
        })
    }
}

/// Text made safe to place in HTML, in element content and in quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn refuses_a_bad_sender_or_url() {
        assert!(matches!(
            Mailer::new("smtp://127.0.0.1:2525", "not an address"),
            Err(ConfigError::From(_))
        ));
        assert!(matches!(
            Mailer::new("ftp://127.0.0.1", "Help <help@example.com>"),
            Err(ConfigError::Url(_))
        ));
    }

    #[tokio::test]
    async fn builds_a_text_and_html_message() {
        let m = Mailer::new("smtp://127.0.0.1:2525", "Help Desk <help@example.com>").unwrap();
        let mail = OutgoingMail {
            to: "ada@example.org".into(),
            subject: "Your sign-in link".into(),
            text: "Hello".into(),
            html: Some("<p>Hello</p>".into()),
            headers: vec![
                ("Message-ID".into(), "<m1@desk.test>".into()),
                ("In-Reply-To".into(), "<c1@example.org>".into()),
                ("Auto-Submitted".into(), "auto-replied".into()),
                ("Cc".into(), "bo@example.org, Cy <cy@example.org>".into()),
            ],
        };
        let raw = String::from_utf8(m.message(&mail).unwrap().formatted()).unwrap();
        assert!(raw.contains("To: ada@example.org"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
        assert!(raw.contains("Message-ID: <m1@desk.test>"), "{raw}");
        assert_eq!(raw.matches("Message-ID:").count(), 1, "{raw}");
        assert!(raw.contains("In-Reply-To: <c1@example.org>"), "{raw}");
        assert!(raw.contains("Auto-Submitted: auto-replied"), "{raw}");
        assert!(
            raw.contains("Cc: bo@example.org, Cy <cy@example.org>"),
            "{raw}"
        );
        let envelope = m.message(&mail).unwrap().envelope().clone();
        assert_eq!(envelope.to().len(), 3, "{envelope:?}");
        assert!(matches!(
            m.message(&OutgoingMail {
                to: "nobody".into(),
                ..mail
            }),
            Err(SendError::Permanent(_))
        ));
    }
}
