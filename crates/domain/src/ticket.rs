//! The ticket: its states and the moves between them, priorities, channels and the
//! validated text a ticket is made of.

use crate::ErrorCode;
use crate::{Invalid, named_enum};

named_enum!(
    /// Where a ticket stands. `pending_*` mean the ball is in someone else's court, which
    /// pauses the service-level clocks; `closed` is final.
    Status, "status", InvalidStatus {
        New => "new",
        Open => "open",
        PendingCustomer => "pending_customer",
        PendingThirdParty => "pending_third_party",
        Resolved => "resolved",
        Closed => "closed",
    }
);

impl Status {
    /// Whether a ticket may move from `self` to `to`. A ticket is closed only once it is
    /// resolved (so every closed ticket records a resolution), and a closed ticket never
    /// changes again: a customer who writes later opens a follow-up.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        if self == to {
            return false;
        }
        match (self, to) {
            (Closed, _) => false,
            (_, New) => false,
            (Resolved, Open | Closed) => true,
            (Resolved, _) => false,
            (_, Closed) => false,
            _ => true,
        }
    }

    /// Every state a ticket in `self` may move to, in the order a person reads them: what
    /// a status menu offers, and exactly what [`Status::transition`] accepts.
    pub fn allowed_next(self) -> Vec<Status> {
        Status::ALL
            .iter()
            .copied()
            .filter(|to| self.can_become(*to))
            .collect()
    }

    /// How a person reads the state ("waiting on the customer"), for messages and menus.
    pub fn label(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::PendingCustomer => "waiting on the customer",
            Status::PendingThirdParty => "waiting on a third party",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn transition(self, to: Status) -> Result<Status, Invalid> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(Invalid::new(
                "status",
                ErrorCode::InvalidTransition,
                self.refusal(to),
            ))
        }
    }

    /// Why `self` cannot become `to`, in plain words with the way forward.
    fn refusal(self, to: Status) -> String {
        let (from, to_label) = (self.label(), to.label());
        if self == Status::Closed {
            return "this ticket is closed and cannot change any more; a new message from the customer opens a follow-up".into();
        }
        if self == to {
            return format!("the ticket is already {from}");
        }
        if to == Status::New {
            return "a ticket cannot go back to new once someone has looked at it".into();
        }
        if to == Status::Closed {
            return format!(
                "a ticket that is {from} cannot be closed yet: mark it resolved first, then close it"
            );
        }
        let allowed: Vec<&str> = self.allowed_next().iter().map(|s| s.label()).collect();
        format!(
            "a ticket that is {from} cannot become {to_label}; it can become {}",
            allowed.join(" or ")
        )
    }

    /// Open tickets are the ones someone still owes the customer something on.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed)
    }

    /// Where a ticket goes when its customer writes: a customer answering a question
    /// hands the ball back; a customer writing after resolution reopens it.
    pub fn after_customer_message(self) -> Result<Status, Invalid> {
        match self {
            Status::Closed => Err(Invalid::whole(
                ErrorCode::TicketClosed,
                "this ticket is closed; please open a new request and we will link it",
            )),
            Status::PendingCustomer | Status::Resolved => Ok(Status::Open),
            other => Ok(other),
        }
    }

    /// Where a ticket goes when an agent writes publicly: a new ticket becomes open.
    pub fn after_agent_reply(self) -> Status {
        match self {
            Status::New => Status::Open,
            other => other,
        }
    }
}

named_enum!(
    Priority, "priority", InvalidPriority {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

named_enum!(
    /// How a message reached us, so a customer's history reads the same across channels.
    Channel, "channel", InvalidChannel {
        Email => "email",
        Portal => "portal",
        Chat => "chat",
        Phone => "phone",
        Api => "api",
    }
);

named_enum!(
    /// A public reply reaches the customer; an internal note never does.
    MessageKind, "kind", InvalidMessageKind {
        Public => "public",
        Internal => "internal",
    }
);

/// A ticket subject: trimmed, 1–250 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject(String);

impl Subject {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(Invalid::new(
                "subject",
                ErrorCode::MissingSubject,
                "a subject is required",
            ));
        }
        if s.chars().count() > 250 {
            return Err(Invalid::new(
                "subject",
                ErrorCode::SubjectTooLong,
                "a subject has at most 250 characters",
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(Invalid::new(
                "subject",
                ErrorCode::InvalidSubject,
                "a subject is one line without control characters",
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A tag: lower-case words joined by `-`, at most 50 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(String);

impl Tag {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let t = raw.trim().to_lowercase();
        let ok = !t.is_empty()
            && t.chars().count() <= 50
            && t.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == ':');
        if ok {
            Ok(Self(t))
        } else {
            Err(Invalid::new(
                "tags",
                ErrorCode::InvalidTag,
                "a tag has 1 to 50 letters, digits, - _ or :",
            ))
        }
    }

    /// Parses a whole list, dropping duplicates; at most 20 tags per ticket.
    pub fn parse_all(raw: &[String]) -> Result<Vec<Tag>, Invalid> {
        let mut tags = raw
            .iter()
            .map(|t| Tag::parse(t))
            .collect::<Result<Vec<_>, _>>()?;
        tags.sort();
        tags.dedup();
        if tags.len() > 20 {
            return Err(Invalid::new(
                "tags",
                ErrorCode::TooManyTags,
                "a ticket has at most 20 tags",
            ));
        }
        Ok(tags)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text of a message: not blank, at most 100,000 characters.
pub fn message_body(raw: &str) -> Result<String, Invalid> {
    if raw.trim().is_empty() {
        return Err(Invalid::new(
            "body",
            ErrorCode::MissingBody,
            "the message is empty",
        ));
    }
    if raw.chars().count() > 100_000 {
        return Err(Invalid::new(
            "body",
            ErrorCode::BodyTooLong,
            "a message has at most 100,000 characters",
        ));
    }
    Ok(raw.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn closing_needs_a_resolution_first() {
        assert!(!Status::Open.can_become(Status::Closed));
        assert!(Status::Resolved.can_become(Status::Closed));
        assert_eq!(
            Status::Open.transition(Status::Closed).unwrap_err().code,
            "invalid_transition"
        );
    }

    #[test]
    fn allowed_moves_are_listed_in_order() {
        assert_eq!(
            Status::Resolved.allowed_next(),
            vec![Status::Open, Status::Closed]
        );
        assert!(Status::Closed.allowed_next().is_empty());
        assert_eq!(
            Status::New.allowed_next(),
            vec![
                Status::Open,
                Status::PendingCustomer,
                Status::PendingThirdParty,
                Status::Resolved
            ]
        );
        let refusal = Status::Open.transition(Status::Closed).unwrap_err().message;
        assert!(refusal.contains("mark it resolved first"), "{refusal}");
        assert!(!refusal.contains("a open"));
    }

    #[test]
    fn customers_writing_move_the_ticket() {
        assert_eq!(
            Status::PendingCustomer.after_customer_message().unwrap(),
            Status::Open
        );
        assert_eq!(
            Status::Resolved.after_customer_message().unwrap(),
            Status::Open
        );
        assert_eq!(Status::New.after_customer_message().unwrap(), Status::New);
        assert_eq!(
            Status::Closed.after_customer_message().unwrap_err().code,
            "ticket_closed"
        );
        assert_eq!(Status::New.after_agent_reply(), Status::Open);
    }

    #[test]
    fn subjects_and_tags_are_checked() {
        assert_eq!(Subject::parse("  ").unwrap_err().code, "missing_subject");
        assert_eq!(
            Subject::parse(&"x".repeat(251)).unwrap_err().code,
            "subject_too_long"
        );
        assert_eq!(
            Tag::parse_all(&["VPN".into(), "vpn".into(), "mac-os".into()])
                .unwrap()
                .iter()
                .map(Tag::as_str)
                .collect::<Vec<_>>(),
            vec!["mac-os", "vpn"]
        );
        assert!(Tag::parse("two words").is_err());
    }

    fn any_status() -> impl Strategy<Value = Status> {
        proptest::sample::select(Status::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn closed_is_final_and_nothing_returns_to_new(from in any_status(), to in any_status()) {
            if from == Status::Closed || to == Status::New || from == to {
                prop_assert!(!from.can_become(to));
            }
            if to == Status::Closed {
                prop_assert_eq!(from.can_become(to), from == Status::Resolved);
            }
        }

        #[test]
        fn offered_moves_are_exactly_the_accepted_ones(from in any_status(), to in any_status()) {
            let offered = from.allowed_next().contains(&to);
            prop_assert_eq!(offered, from.transition(to).is_ok());
            if !offered {
                let e = from.transition(to).unwrap_err();
                prop_assert_eq!(e.field, Some("status"));
                prop_assert!(!e.message.contains("/api/") && !e.message.contains(" a open"));
            }
        }

        #[test]
        fn every_open_state_can_reach_resolved(from in any_status()) {
            if from.is_open() {
                prop_assert!(from.can_become(Status::Resolved));
            }
        }
    }
}
