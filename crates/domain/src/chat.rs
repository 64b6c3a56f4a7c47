//! Live chat: a chat is a ticket (channel `chat`) whose conversation is the transcript, plus
//! a small state machine (waiting → active → ended) for who is talking right now. The rules
//! here say what may happen to a chat, where a waiting customer stands in the queue and how
//! long they may wait, and when a chat cannot be answered live and becomes a ticket with a
//! promise instead. No I/O and no clock: the services pass the facts and `now`.

use crate::{ErrorCode, Invalid, named_enum};

named_enum!(
    /// Where a chat stands: `waiting` for an agent to accept, `active` with one agent, or
    /// `ended` (the ticket carries on like any other).
    ChatState, "state", InvalidChatState {
        Waiting => "waiting",
        Active => "active",
        Ended => "ended",
    }
);

/// What someone does to a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatAction {
    /// An agent takes a waiting chat.
    Accept,
    /// The agent holding the chat gives it to a colleague.
    HandOver,
    /// A line in the conversation, by the customer or by staff.
    Send { by_staff: bool },
    /// Either side ends the chat.
    End,
}

/// Why an action is refused in the chat's state: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRefusal {
    pub code: ErrorCode,
    pub message: &'static str,
}

fn refuse(code: ErrorCode, message: &'static str) -> Result<ChatState, ChatRefusal> {
    Err(ChatRefusal { code, message })
}

/// The state `action` leaves a chat in, or why it cannot happen. Staff write only once the
/// chat is accepted (the customer may write while waiting: it all lands on the ticket).
pub fn next_state(from: ChatState, action: ChatAction) -> Result<ChatState, ChatRefusal> {
    use ChatAction::*;
    use ChatState::*;
    match (from, action) {
        (Ended, _) => refuse(
            ErrorCode::ChatEnded,
            "this chat has ended; its ticket carries on by e-mail and in the portal",
        ),
        (Waiting, Accept) => Ok(Active),
        (Active, Accept) => refuse(
            ErrorCode::ChatNotWaiting,
            "someone has already accepted this chat",
        ),
        (Active, HandOver) => Ok(Active),
        (Waiting, HandOver) => refuse(
            ErrorCode::ChatNotActive,
            "a waiting chat is accepted, not handed over",
        ),
        (Waiting, Send { by_staff: true }) => refuse(
            ErrorCode::ChatNotActive,
            "accept the chat before writing in it",
        ),
        (s, Send { .. }) => Ok(s),
        (_, End) => Ok(Ended),
    }
}

/// Where a waiting customer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePlace {
    /// 1 for the next chat to be accepted.
    pub place: u32,
    /// How many wait ahead of this chat.
    pub ahead: u32,
    /// A realistic wait in whole minutes (at least 1).
    pub estimate_minutes: u32,
}

/// What a chat waits for before the recent history says otherwise: two minutes.
pub const DEFAULT_WAIT_MS: i64 = 2 * 60_000;

/// The place of `chat` among `waiting` (ids in the order they will be served) and a wait
/// estimate from the live queue: the chats ahead are served `free_slots` at a time (at
/// least one), each round taking as long as recent chats waited for an answer (their
/// median, or [`DEFAULT_WAIT_MS`] when none were answered lately). `None` when the chat
/// is not waiting.
pub fn queue_place(
    waiting: &[i64],
    chat: i64,
    free_slots: u32,
    recent_waits_ms: &[i64],
) -> Option<QueuePlace> {
    let ahead = waiting.iter().position(|&id| id == chat)? as u32;
    let round = typical_wait(recent_waits_ms);
    let rounds = i64::from(ahead / free_slots.max(1)) + 1;
    let minutes = (rounds * round + 59_999) / 60_000;
    Some(QueuePlace {
        place: ahead + 1,
        ahead,
        estimate_minutes: minutes.clamp(1, i64::from(u32::MAX)) as u32,
    })
}

/// The median of the recent waits (negative ones ignored), or the default.
fn typical_wait(recent_waits_ms: &[i64]) -> i64 {
    let mut w: Vec<i64> = recent_waits_ms
        .iter()
        .copied()
        .filter(|&ms| ms >= 0)
        .collect();
    if w.is_empty() {
        return DEFAULT_WAIT_MS;
    }
    w.sort_unstable();
    w[w.len() / 2].max(1_000)
}

/// Why a chat is not answered live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Outside the team's business hours.
    AfterHours,
    /// Open, but no agent who could take the chat is available (all away, on a break or
    /// at their chat limit).
    NobodyAvailable,
}

impl Fallback {
    pub fn as_str(self) -> &'static str {
        match self {
            Fallback::AfterHours => "after_hours",
            Fallback::NobodyAvailable => "nobody_available",
        }
    }

    /// What the customer is told instead of a dead end.
    pub fn explain(self) -> &'static str {
        match self {
            Fallback::AfterHours => {
                "We are outside our opening hours, so your message is now a ticket: we will answer by e-mail."
            }
            Fallback::NobodyAvailable => {
                "Nobody can chat right now, so your message is now a ticket: we will answer by e-mail."
            }
        }
    }
}

/// Whether a new chat becomes a ticket instead: outside business hours first (even when
/// someone is on), then when no agent could take it.
pub fn fallback(open_now: bool, someone_can_take: bool) -> Option<Fallback> {
    if !open_now {
        Some(Fallback::AfterHours)
    } else if !someone_can_take {
        Some(Fallback::NobodyAvailable)
    } else {
        None
    }
}

/// The ticket subject a chat opens with: "Chat: " and the start of the customer's first
/// line, cut at a word within 80 characters.
pub fn chat_subject(first_message: &str) -> String {
    const MAX: usize = 80;
    let line = first_message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let flat: String = line
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if flat.is_empty() {
        return "Chat".into();
    }
    let text = if flat.chars().count() <= MAX {
        flat
    } else {
        let cut: String = flat.chars().take(MAX).collect();
        let at_word = cut.rfind(' ').filter(|&i| i > MAX / 2).unwrap_or(cut.len());
        format!("{}…", &cut[..at_word])
    };
    format!("Chat: {text}")
}

/// How many chats an agent holds at once, as admins set it: 1 to 20.
pub fn chat_limit(n: i64) -> Result<u32, Invalid> {
    if (1..=20).contains(&n) {
        Ok(n as u32)
    } else {
        Err(Invalid::new(
            "max_chats_per_agent",
            ErrorCode::InvalidChatLimit,
            "an agent holds 1 to 20 chats at once",
        ))
    }
}

/// Until an admin sets one: three chats at once.
pub const DEFAULT_CHAT_LIMIT: u32 = 3;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_state_machine() {
        use ChatAction::*;
        use ChatState::*;
        let table = [
            (Waiting, Accept, Ok(Active)),
            (Active, Accept, Err(ErrorCode::ChatNotWaiting)),
            (Ended, Accept, Err(ErrorCode::ChatEnded)),
            (Active, HandOver, Ok(Active)),
            (Waiting, HandOver, Err(ErrorCode::ChatNotActive)),
            (Waiting, Send { by_staff: false }, Ok(Waiting)),
            (
                Waiting,
                Send { by_staff: true },
                Err(ErrorCode::ChatNotActive),
            ),
            (Active, Send { by_staff: true }, Ok(Active)),
            (Active, Send { by_staff: false }, Ok(Active)),
            (Ended, Send { by_staff: false }, Err(ErrorCode::ChatEnded)),
            (Waiting, End, Ok(Ended)),
            (Active, End, Ok(Ended)),
            (Ended, End, Err(ErrorCode::ChatEnded)),
        ];
        for (from, action, want) in table {
            let got = next_state(from, action).map_err(|r| r.code);
            assert_eq!(got, want, "{from} {action:?}");
        }
    }

    #[test]
    fn queue_place_and_estimate() {
        let q = [10, 11, 12, 13];
        // First in line, nobody answered lately: one round of the default two minutes.
        assert_eq!(
            queue_place(&q, 10, 1, &[]),
            Some(QueuePlace {
                place: 1,
                ahead: 0,
                estimate_minutes: 2
            })
        );
        // Three ahead, one free slot, chats answered in about a minute: four rounds.
        assert_eq!(
            queue_place(&q, 13, 1, &[50_000, 60_000, 70_000]).map(|p| p.estimate_minutes),
            Some(4)
        );
        // Two free slots halve the rounds.
        assert_eq!(
            queue_place(&q, 13, 2, &[60_000]).map(|p| (p.place, p.estimate_minutes)),
            Some((4, 2))
        );
        // Zero free slots still serve one at a time rather than dividing by zero.
        assert_eq!(
            queue_place(&q, 11, 0, &[60_000]).map(|p| p.estimate_minutes),
            Some(2)
        );
        assert_eq!(queue_place(&q, 99, 1, &[]), None);
    }

    #[test]
    fn fallback_prefers_the_hours() {
        assert_eq!(fallback(false, true), Some(Fallback::AfterHours));
        assert_eq!(fallback(false, false), Some(Fallback::AfterHours));
        assert_eq!(fallback(true, false), Some(Fallback::NobodyAvailable));
        assert_eq!(fallback(true, true), None);
    }

    #[test]
    fn subjects() {
        assert_eq!(
            chat_subject("  \nMy VPN drops\nevery hour"),
            "Chat: My VPN drops"
        );
        assert_eq!(chat_subject("   "), "Chat");
        let long = "word ".repeat(40);
        let s = chat_subject(&long);
        assert!(s.ends_with('…') && s.chars().count() <= 6 + 81, "{s}");
    }

    #[test]
    fn limits() {
        assert_eq!(chat_limit(1), Ok(1));
        assert_eq!(chat_limit(20), Ok(20));
        assert_eq!(
            chat_limit(0).unwrap_err().field,
            Some("max_chats_per_agent")
        );
        assert!(chat_limit(21).is_err());
    }

    proptest! {
        #[test]
        fn estimates_grow_with_the_queue(n in 1usize..60, slots in 0u32..5,
                                         waits in proptest::collection::vec(-1_000i64..900_000, 0..20)) {
            let q: Vec<i64> = (0..n as i64).collect();
            let mut last = 0;
            for (i, id) in q.iter().enumerate() {
                let p = queue_place(&q, *id, slots, &waits).unwrap();
                prop_assert_eq!(p.place as usize, i + 1);
                prop_assert!(p.estimate_minutes >= 1);
                prop_assert!(p.estimate_minutes >= last);
                last = p.estimate_minutes;
            }
        }

        #[test]
        fn nothing_follows_the_end(action in prop_oneof![
            Just(ChatAction::Accept), Just(ChatAction::HandOver), Just(ChatAction::End),
            Just(ChatAction::Send { by_staff: true }), Just(ChatAction::Send { by_staff: false })]) {
            prop_assert!(next_state(ChatState::Ended, action).is_err());
        }

        #[test]
        fn subjects_parse(text in "\\PC{0,300}|[\\x00-\\x1f a]{0,20}") {
            let s = chat_subject(&text);
            prop_assert!(crate::Subject::parse(&s).is_ok(), "{}", s);
        }
    }
}
