//! Practice mode's rules: which set a past conversation belongs to (calm, upset or
//! abusive, from the customer's frustration), and when each customer message of a
//! replayed conversation reaches the agent: right after the agent answers the one
//! before, or when the customer's original wait, shortened, has passed.

/// A practice set, from gentle to hard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Calm,
    Upset,
    Abusive,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Calm, Level::Upset, Level::Abusive];

    /// The set of a conversation whose customer reached `frustration` (0–100), or used
    /// abusive language. 50 and 75 are where the frustration score's levels turn
    /// frustrated and angry (calm and concerned customers make the calm set).
    pub fn of(frustration: u8, abusive: bool) -> Level {
        match (abusive, frustration) {
            (true, _) | (_, 75..) => Level::Abusive,
            (_, 50..) => Level::Upset,
            _ => Level::Calm,
        }
    }

    /// The frustration scores (inclusive) a set is picked from, abuse aside.
    pub fn range(self) -> (i64, i64) {
        match self {
            Level::Calm => (0, 49),
            Level::Upset => (50, 74),
            Level::Abusive => (75, 100),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Calm => "calm",
            Level::Upset => "upset",
            Level::Abusive => "abusive",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// How long a replayed wait lasts: a sixtieth of the original (an hour becomes a
/// minute), at least 5 seconds and at most 2 minutes.
pub fn shortened(wait_ms: i64) -> i64 {
    (wait_ms / 60).clamp(5_000, 120_000)
}

/// When each customer message reached the agent, for those that have by `now`: the
/// first at `started_at`, each next one at the agent's first reply after the one before
/// or when its shortened wait ran out, whichever came first. `waits[i]` is the original
/// wait before message `i`; `replies` are the agent's reply times, in order.
pub fn arrivals(waits: &[i64], started_at: i64, replies: &[i64], now: i64) -> Vec<i64> {
    replay(waits, started_at, replies, now).0
}

/// The arrivals, and the index of the first reply not used to bring a message on.
fn replay(waits: &[i64], started_at: i64, replies: &[i64], now: i64) -> (Vec<i64>, usize) {
    let mut out = Vec::new();
    let mut at = started_at;
    // Each reply answers one message: the first not yet used that came after it.
    let mut unused = 0;
    for (i, wait) in waits.iter().enumerate() {
        if i > 0 {
            let prev = at;
            let answered = replies[unused.min(replies.len())..]
                .iter()
                .position(|&r| r >= prev)
                .map(|j| unused + j);
            let timed = prev + shortened(*wait);
            at = match answered {
                Some(j) if replies[j] <= timed => {
                    unused = j + 1;
                    replies[j]
                }
                _ => timed,
            };
        }
        if at > now {
            break;
        }
        out.push(at);
    }
    (out, unused)
}

/// A run is done when every message has arrived and the agent answered the last.
pub fn finished(waits: &[i64], started_at: i64, replies: &[i64], now: i64) -> bool {
    let (arrived, unused) = replay(waits, started_at, replies, now);
    arrived.len() == waits.len()
        && arrived.last().is_some_and(|&last| {
            replies[unused.min(replies.len())..]
                .iter()
                .any(|&r| r >= last)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_follow_frustration() {
        assert_eq!(Level::of(10, false), Level::Calm);
        assert_eq!(Level::of(55, false), Level::Upset);
        assert_eq!(Level::of(85, false), Level::Abusive);
        assert_eq!(Level::of(20, true), Level::Abusive);
        for l in Level::ALL {
            assert_eq!(Level::parse(l.as_str()), Some(l));
            let (lo, hi) = l.range();
            assert_eq!(Level::of(lo as u8, false), l);
            assert_eq!(Level::of(hi as u8, false), l);
        }
    }

    #[test]
    fn messages_arrive_after_a_reply_or_a_shortened_wait() {
        let hour = 3_600_000;
        let waits = [0, hour, 2 * hour, 10];
        // Nothing answered yet: the second message comes a minute later.
        assert_eq!(arrivals(&waits, 0, &[], 59_999), vec![0]);
        assert_eq!(arrivals(&waits, 0, &[], 60_000), vec![0, 60_000]);
        // Answered at 10 s: the second arrives then; the third waits for its 2 minutes
        // unless answered first.
        assert_eq!(arrivals(&waits, 0, &[10_000], 20_000), vec![0, 10_000]);
        assert_eq!(
            arrivals(&waits, 0, &[10_000], 200_000),
            vec![0, 10_000, 130_000, 135_000]
        );
        assert_eq!(
            arrivals(&waits, 0, &[10_000, 11_000, 12_000], 12_000),
            vec![0, 10_000, 11_000, 12_000]
        );
        assert!(!finished(&waits, 0, &[10_000, 11_000], 12_000));
        assert!(
            !finished(&waits, 0, &[10_000, 11_000, 12_000], 12_000),
            "the last is unanswered"
        );
        assert!(finished(
            &waits,
            0,
            &[10_000, 11_000, 12_000, 13_000],
            13_000
        ));
        assert_eq!(shortened(10), 5_000);
    }
}
