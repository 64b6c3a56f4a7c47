//! What to do with a mail that arrived: one pure decision over the parsed mail and the
//! facts the caller looked up, so every way mail comes in (SMTP, import, IMAP) follows
//! the same rules and the rules are table-tested.

use crate::inbound::{Automatic, DeliveryReport, InboundMail};

/// A ticket a mail may belong to, with the people allowed to write into it by mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    pub ticket_id: i64,
    /// The requester's e-mail addresses (lower case).
    pub requester: Vec<String>,
    /// People copied on the ticket (lower case).
    pub copied: Vec<String>,
}

impl Thread {
    fn admits(&self, sender: &str) -> bool {
        self.requester
            .iter()
            .chain(&self.copied)
            .any(|a| a == sender)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Larger mail is quarantined (the SMTP listener refuses it before reading it all).
    pub max_bytes: usize,
    /// Mail taken in from one sender within the window before more is quarantined.
    pub per_sender: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 25 * 1024 * 1024,
            per_sender: 30,
        }
    }
}

/// What the caller knows about this mail.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The desk's own addresses: mail from them is our own mail coming back.
    pub desk_addresses: Vec<String>,
    /// The same Message-ID or the same bytes were taken in before.
    pub seen_before: bool,
    /// The ticket one of our stored or sent Message-IDs in `In-Reply-To`/`References`
    /// belongs to.
    pub by_headers: Option<Thread>,
    /// The ticket whose signed reply address the mail was sent to.
    pub by_token: Option<Thread>,
    /// The ticket named by `[#123]` in the subject: guessable, so never enough alone.
    pub by_subject: Option<Thread>,
    /// Mail taken in from this sender within the flood window.
    pub sender_recent: u32,
    pub limits: Limits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Unparseable,
    Oversized,
    NoSender,
    Empty,
    Spam,
    Automatic(Automatic),
    Flood,
    OwnMail,
    DeliveryNotice,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unparseable => "unparseable",
            Reason::Oversized => "oversized",
            Reason::NoSender => "no_sender",
            Reason::Empty => "empty",
            Reason::Spam => "spam",
            Reason::Automatic(Automatic::AutoSubmitted) => "automatic_auto_submitted",
            Reason::Automatic(Automatic::Bulk) => "automatic_bulk",
            Reason::Automatic(Automatic::List) => "automatic_list",
            Reason::Automatic(Automatic::NullSender) => "automatic_null_sender",
            Reason::Flood => "flood",
            Reason::OwnMail => "own_mail",
            Reason::DeliveryNotice => "delivery_notice",
        }
    }

    /// The words an admin reads in the quarantine list.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Unparseable => "not readable as a mail",
            Reason::Oversized => "larger than the desk accepts",
            Reason::NoSender => "no sender address to answer",
            Reason::Empty => "no text and no attachments",
            Reason::Spam => "marked as spam by a filter on the way",
            Reason::Automatic(_) => "sent by a machine (auto-reply, list or bulk mail)",
            Reason::Flood => "too much mail from this sender at once",
            Reason::OwnMail => "the desk's own mail came back",
            Reason::DeliveryNotice => "a delivery notice that reports no failure",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    NewTicket,
    Reply {
        ticket_id: i64,
    },
    /// A delivery report: record it on the identity, open nothing.
    Bounce(DeliveryReport),
    /// Kept with its reason, for an admin to release or delete.
    Quarantine(Reason),
    /// Not taken in (the SMTP listener refuses it; an import counts it).
    Reject(Reason),
    Duplicate,
}

/// Decides what one mail becomes. `mail` is `None` when the bytes were not a mail.
pub fn decide(mail: Option<&InboundMail>, size: usize, facts: &Facts) -> Decision {
    let Some(mail) = mail else {
        return Decision::Quarantine(Reason::Unparseable);
    };
    if facts.seen_before {
        return Decision::Duplicate;
    }
    if let Some(report) = &mail.delivery_report {
        return if report.is_failure() {
            Decision::Bounce(report.clone())
        } else {
            Decision::Reject(Reason::DeliveryNotice)
        };
    }
    let Some(sender) = mail.from.as_ref().map(|p| p.address.as_str()) else {
        return Decision::Quarantine(Reason::NoSender);
    };
    if facts.desk_addresses.iter().any(|a| a == sender) {
        return Decision::Reject(Reason::OwnMail);
    }
    if mail.marked_spam {
        return Decision::Quarantine(Reason::Spam);
    }
    if size > facts.limits.max_bytes {
        return Decision::Quarantine(Reason::Oversized);
    }
    if mail.text.trim().is_empty() && mail.attachments.is_empty() {
        return Decision::Quarantine(Reason::Empty);
    }
    if facts.sender_recent >= facts.limits.per_sender {
        return Decision::Quarantine(Reason::Flood);
    }
    // Headers first, then the signed address, then the subject; each only for people
    // on the ticket, so a stranger's mail never lands in someone else's conversation.
    let thread = [&facts.by_headers, &facts.by_token, &facts.by_subject]
        .into_iter()
        .flatten()
        .find(|t| t.admits(sender));
    if let Some(t) = thread {
        return Decision::Reply {
            ticket_id: t.ticket_id,
        };
    }
    if let Some(kind) = mail.automatic {
        return Decision::Quarantine(Reason::Automatic(kind));
    }
    Decision::NewTicket
}

/// Whether the desk may answer this mail automatically (an acknowledgement): never
/// machine-sent mail (RFC 3834), never its own, and at most `max_recent` per sender in
/// the window, so two desks acknowledging each other stop after one round.
pub fn may_answer_automatically(
    mail: &InboundMail,
    desk_addresses: &[String],
    answered_recently: u32,
    max_recent: u32,
) -> bool {
    let Some(sender) = mail.from.as_ref().map(|p| p.address.as_str()) else {
        return false;
    };
    mail.automatic.is_none()
        && mail.delivery_report.is_none()
        && !desk_addresses.iter().any(|a| a == sender)
        && answered_recently < max_recent
}

/// The ticket number in a subject such as `Re: [#123] Printer`, if any.
pub fn subject_ticket(subject: &str) -> Option<i64> {
    let start = subject.find("[#")? + 2;
    let rest = &subject[start..];
    let end = rest.find(']')?;
    rest[..end].parse().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::Person;

    fn mail_from(sender: &str) -> InboundMail {
        InboundMail {
            from: Some(Person {
                address: sender.into(),
                name: None,
            }),
            subject: "Printer".into(),
            text: "It is broken".into(),
            ..Default::default()
        }
    }

    fn thread(id: i64, requester: &str, copied: &[&str]) -> Option<Thread> {
        Some(Thread {
            ticket_id: id,
            requester: vec![requester.into()],
            copied: copied.iter().map(|c| c.to_string()).collect(),
        })
    }

    #[test]
    fn decides_each_case() {
        let ada = "ada@example.org";
        let desk = Facts {
            desk_addresses: vec!["help@desk.test".into()],
            ..Default::default()
        };
        let report = DeliveryReport {
            recipient: "carol@example.org".into(),
            status: "5.2.2".into(),
            action: "failed".into(),
            diagnostic: Some("mailbox full".into()),
        };
        let delayed = DeliveryReport {
            status: "4.4.1".into(),
            action: "delayed".into(),
            ..report.clone()
        };
        let with = |f: fn(&mut InboundMail)| {
            let mut m = mail_from(ada);
            f(&mut m);
            m
        };
        let facts = |f: fn(&mut Facts)| {
            let mut x = desk.clone();
            f(&mut x);
            x
        };
        let bounce = InboundMail {
            delivery_report: Some(report.clone()),
            ..mail_from("mailer-daemon@mx.example.org")
        };
        let delay = InboundMail {
            delivery_report: Some(delayed),
            ..mail_from("mailer-daemon@mx.example.org")
        };
        let cases: Vec<(&str, Option<InboundMail>, usize, Facts, Decision)> = vec![
            (
                "new",
                Some(mail_from(ada)),
                10,
                desk.clone(),
                Decision::NewTicket,
            ),
            (
                "unparseable",
                None,
                10,
                desk.clone(),
                Decision::Quarantine(Reason::Unparseable),
            ),
            (
                "duplicate",
                Some(mail_from(ada)),
                10,
                facts(|f| f.seen_before = true),
                Decision::Duplicate,
            ),
            (
                "bounce",
                Some(bounce),
                10,
                desk.clone(),
                Decision::Bounce(report.clone()),
            ),
            (
                "delay notice",
                Some(delay),
                10,
                desk.clone(),
                Decision::Reject(Reason::DeliveryNotice),
            ),
            (
                "no sender",
                Some(with(|m| m.from = None)),
                10,
                desk.clone(),
                Decision::Quarantine(Reason::NoSender),
            ),
            (
                "own mail",
                Some(mail_from("help@desk.test")),
                10,
                desk.clone(),
                Decision::Reject(Reason::OwnMail),
            ),
            (
                "spam",
                Some(with(|m| m.marked_spam = true)),
                10,
                desk.clone(),
                Decision::Quarantine(Reason::Spam),
            ),
            (
                "oversized",
                Some(mail_from(ada)),
                26 * 1024 * 1024,
                desk.clone(),
                Decision::Quarantine(Reason::Oversized),
            ),
            (
                "empty",
                Some(with(|m| m.text = " \n".into())),
                10,
                desk.clone(),
                Decision::Quarantine(Reason::Empty),
            ),
            (
                "flood",
                Some(mail_from(ada)),
                10,
                facts(|f| f.sender_recent = 30),
                Decision::Quarantine(Reason::Flood),
            ),
            (
                "list",
                Some(with(|m| m.automatic = Some(Automatic::List))),
                10,
                desk.clone(),
                Decision::Quarantine(Reason::Automatic(Automatic::List)),
            ),
            (
                "reply by headers",
                Some(mail_from(ada)),
                10,
                facts(|f| f.by_headers = thread(7, "ada@example.org", &[])),
                Decision::Reply { ticket_id: 7 },
            ),
            (
                "reply by token",
                Some(mail_from(ada)),
                10,
                facts(|f| f.by_token = thread(8, "ada@example.org", &[])),
                Decision::Reply { ticket_id: 8 },
            ),
            (
                "reply by subject",
                Some(mail_from(ada)),
                10,
                facts(|f| f.by_subject = thread(9, "ada@example.org", &[])),
                Decision::Reply { ticket_id: 9 },
            ),
            (
                "copied person replies",
                Some(mail_from(ada)),
                10,
                facts(|f| f.by_subject = thread(9, "bob@example.org", &["ada@example.org"])),
                Decision::Reply { ticket_id: 9 },
            ),
            (
                "stranger reuses a subject",
                Some(mail_from(ada)),
                10,
                facts(|f| f.by_subject = thread(9, "bob@example.org", &[])),
                Decision::NewTicket,
            ),
            (
                "stranger with our headers",
                Some(mail_from(ada)),
                10,
                facts(|f| f.by_headers = thread(9, "bob@example.org", &[])),
                Decision::NewTicket,
            ),
            (
                "headers win over subject",
                Some(mail_from(ada)),
                10,
                facts(|f| {
                    f.by_headers = thread(7, "ada@example.org", &[]);
                    f.by_subject = thread(9, "ada@example.org", &[]);
                }),
                Decision::Reply { ticket_id: 7 },
            ),
            (
                "auto-reply on a ticket is kept there",
                Some(with(|m| m.automatic = Some(Automatic::AutoSubmitted))),
                10,
                facts(|f| f.by_headers = thread(7, "ada@example.org", &[])),
                Decision::Reply { ticket_id: 7 },
            ),
        ];
        for (name, mail, size, facts, want) in cases {
            assert_eq!(decide(mail.as_ref(), size, &facts), want, "{name}");
        }
    }

    #[test]
    fn answers_automatically_only_people_and_only_once() {
        let desk = ["help@desk.test".to_string()];
        let ada = mail_from("ada@example.org");
        assert!(may_answer_automatically(&ada, &desk, 0, 1));
        assert!(!may_answer_automatically(&ada, &desk, 1, 1));
        for kind in [
            Automatic::AutoSubmitted,
            Automatic::Bulk,
            Automatic::List,
            Automatic::NullSender,
        ] {
            let auto = InboundMail {
                automatic: Some(kind),
                ..ada.clone()
            };
            assert!(!may_answer_automatically(&auto, &desk, 0, 1), "{kind:?}");
        }
        assert!(!may_answer_automatically(
            &mail_from("help@desk.test"),
            &desk,
            0,
            1
        ));
    }

    #[test]
    fn finds_the_ticket_number_in_a_subject() {
        assert_eq!(subject_ticket("Re: [#123] Printer"), Some(123));
        assert_eq!(subject_ticket("[#0] x"), None);
        assert_eq!(subject_ticket("[#12"), None);
        assert_eq!(subject_ticket("[#x1] y"), None);
        assert_eq!(subject_ticket("Printer"), None);
    }
}
