//! Agent presence, shifts and breaks (principle 7: look after the people who give the
//! service). Pure rules over plain data: the services pass `now` (milliseconds since the
//! epoch) in and store what comes out.
//!
//! - A *shift* starts when an agent comes in from offline; "hard interactions this shift"
//!   count from there.
//! - A *stretch* is working time (available or away) since the shift started or since the
//!   last break that was long enough to count ([`BreakPolicy::break_minutes`]). A shorter
//!   pause does not reset it.
//! - A break is due [`BreakPolicy::work_minutes`] into a stretch; after that the agent is
//!   overdue until they take one.
//! - Coming back from a full break also ends a run of hard conversations: the streak the
//!   router avoids starts again from zero.

use crate::ErrorCode;
use crate::Invalid;
use crate::routing::Presence;
use serde::{Deserialize, Serialize};

const MINUTE_MS: i64 = 60_000;

/// How long an agent works before a break is due, and how long a break must last to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakPolicy {
    pub work_minutes: u32,
    pub break_minutes: u32,
}

impl Default for BreakPolicy {
    /// A 15-minute break every 2 hours of handling tickets.
    fn default() -> Self {
        BreakPolicy {
            work_minutes: 120,
            break_minutes: 15,
        }
    }
}

impl BreakPolicy {
    /// 15 minutes to 12 hours of work; breaks of 5 minutes to 2 hours.
    pub fn new(work_minutes: i64, break_minutes: i64) -> Result<BreakPolicy, Invalid> {
        if !(15..=720).contains(&work_minutes) {
            return Err(Invalid::new(
                "break_every_minutes",
                ErrorCode::InvalidBreakPolicy,
                "a break falls due after 15 to 720 minutes of work",
            ));
        }
        if !(5..=120).contains(&break_minutes) {
            return Err(Invalid::new(
                "break_minutes",
                ErrorCode::InvalidBreakPolicy,
                "a break lasts 5 to 120 minutes",
            ));
        }
        Ok(BreakPolicy {
            work_minutes: work_minutes as u32,
            break_minutes: break_minutes as u32,
        })
    }
}

/// Whether the agent is handling tickets (or could be, between them).
pub fn is_working(p: Presence) -> bool {
    matches!(p, Presence::Available | Presence::Away)
}

/// Whether the agent is resting.
pub fn is_resting(p: Presence) -> bool {
    matches!(p, Presence::OnBreak | Presence::AtLunch)
}

/// An agent's presence as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceState {
    pub presence: Presence,
    /// When the agent entered `presence`.
    pub since: i64,
    /// When the current (or, while offline, the last) shift began.
    pub shift_started_at: Option<i64>,
    /// When the current stretch of work began; `None` while resting or offline.
    pub stretch_started_at: Option<i64>,
    /// Hard conversations one after another; the router keeps upset customers from an
    /// agent at the streak limit.
    pub hard_in_a_row: u32,
}

impl PresenceState {
    /// Someone who never set a presence: offline, and so given no work.
    pub fn offline() -> PresenceState {
        PresenceState {
            presence: Presence::Offline,
            since: 0,
            shift_started_at: None,
            stretch_started_at: None,
            hard_in_a_row: 0,
        }
    }

    /// When a break falls due in the current stretch (only while working).
    pub fn break_due_at(&self, policy: &BreakPolicy) -> Option<i64> {
        self.stretch_started_at
            .filter(|_| is_working(self.presence))
            .map(|start| start + i64::from(policy.work_minutes) * MINUTE_MS)
    }

    /// Minutes worked in the current stretch.
    pub fn minutes_without_break(&self, now: i64) -> Option<i64> {
        self.stretch_started_at
            .filter(|_| is_working(self.presence))
            .map(|start| (now - start).max(0) / MINUTE_MS)
    }

    /// Working past the point a break was due.
    pub fn break_overdue(&self, policy: &BreakPolicy, now: i64) -> bool {
        self.break_due_at(policy).is_some_and(|due| now >= due)
    }
}

/// What one change of presence did, beyond the new state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceChange {
    pub from: Presence,
    pub state: PresenceState,
    /// The agent came in from offline: a new shift.
    pub shift_started: bool,
    /// A rest that lasted long enough ended: a new stretch, and the hard streak is over.
    pub rested: bool,
    /// How long the rest that just ended lasted, in minutes.
    pub rest_minutes: Option<i64>,
}

impl PresenceChange {
    /// The agent may take work now and could not before: the router should look again.
    pub fn frees_capacity(&self) -> bool {
        self.state.presence.takes_new_work() && !self.from.takes_new_work()
    }
}

/// Moves an agent to `to` at `now`; `None` when they are there already (nothing to
/// record). An instant earlier than the current one (clocks of two processes) counts as
/// the current one, so durations never go negative.
pub fn change(
    current: &PresenceState,
    to: Presence,
    now: i64,
    policy: &BreakPolicy,
) -> Option<PresenceChange> {
    let from = current.presence;
    if from == to {
        return None;
    }
    let now = now.max(current.since);
    let mut next = PresenceState {
        presence: to,
        since: now,
        ..*current
    };
    let shift_started = from == Presence::Offline;
    let mut rested = false;
    let mut rest_minutes = None;
    if shift_started {
        next.shift_started_at = Some(now);
        next.stretch_started_at = None;
        next.hard_in_a_row = 0;
    }
    if to == Presence::Offline {
        next.stretch_started_at = None;
    } else if is_resting(to) {
        // A rest pauses the stretch; whether it resets it is decided when it ends.
    } else if is_resting(from) {
        let minutes = (now - current.since) / MINUTE_MS;
        rest_minutes = Some(minutes);
        if minutes >= i64::from(policy.break_minutes) || current.stretch_started_at.is_none() {
            rested = minutes >= i64::from(policy.break_minutes);
            next.stretch_started_at = Some(now);
        }
        if rested {
            next.hard_in_a_row = 0;
        }
    } else if next.stretch_started_at.is_none() {
        next.stretch_started_at = Some(now);
    }
    Some(PresenceChange {
        from,
        state: next,
        shift_started,
        rested,
        rest_minutes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Presence::*;
    use proptest::prelude::*;

    const H: i64 = 60 * MINUTE_MS;

    fn walk(steps: &[(Presence, i64)]) -> PresenceState {
        let policy = BreakPolicy::default();
        let mut s = PresenceState::offline();
        for (to, at) in steps {
            if let Some(c) = change(&s, *to, *at, &policy) {
                s = c.state;
            }
        }
        s
    }

    #[test]
    fn a_shift_starts_from_offline_and_a_break_falls_due_two_hours_in() {
        let policy = BreakPolicy::default();
        let c = change(&PresenceState::offline(), Available, 8 * H, &policy).unwrap();
        assert!(c.shift_started && c.frees_capacity());
        assert_eq!(c.state.shift_started_at, Some(8 * H));
        assert_eq!(c.state.break_due_at(&policy), Some(10 * H));
        assert!(!c.state.break_overdue(&policy, 10 * H - 1));
        assert!(c.state.break_overdue(&policy, 10 * H));
        assert_eq!(c.state.minutes_without_break(9 * H), Some(60));
        // Being away (a meeting) is still work: the stretch runs on.
        let away = walk(&[(Available, 8 * H), (Away, 9 * H)]);
        assert_eq!(away.break_due_at(&policy), Some(10 * H));
        assert_eq!(change(&away, Away, 9 * H, &policy), None);
    }

    #[test]
    fn a_full_break_resets_the_stretch_and_the_hard_streak_a_short_pause_does_not() {
        let policy = BreakPolicy::default();
        let mut s = walk(&[(Available, 8 * H), (OnBreak, 10 * H)]);
        assert_eq!(s.break_due_at(&policy), None, "no reminder while resting");
        s.hard_in_a_row = 3;
        let short = change(&s, Available, 10 * H + 5 * MINUTE_MS, &policy).unwrap();
        assert!(!short.rested);
        assert_eq!(short.rest_minutes, Some(5));
        assert_eq!(short.state.stretch_started_at, Some(8 * H));
        assert_eq!(short.state.hard_in_a_row, 3);
        assert!(short.state.break_overdue(&policy, 10 * H + 5 * MINUTE_MS));
        let full = change(&s, Available, 10 * H + 15 * MINUTE_MS, &policy).unwrap();
        assert!(full.rested && full.frees_capacity());
        assert_eq!(full.state.stretch_started_at, Some(10 * H + 15 * MINUTE_MS));
        assert_eq!(full.state.hard_in_a_row, 0);
        let lunch = walk(&[(Available, 8 * H), (AtLunch, 12 * H), (Away, 13 * H)]);
        assert_eq!(lunch.stretch_started_at, Some(13 * H));
    }

    #[test]
    fn going_offline_ends_the_stretch_and_the_next_shift_starts_afresh() {
        let policy = BreakPolicy::default();
        let s = walk(&[(Available, 8 * H), (Offline, 17 * H)]);
        assert_eq!(s.stretch_started_at, None);
        assert_eq!(
            s.shift_started_at,
            Some(8 * H),
            "kept for the shift's figures"
        );
        let mut tired = s;
        tired.hard_in_a_row = 4;
        let next = change(&tired, Available, 32 * H, &policy).unwrap();
        assert_eq!(next.state.shift_started_at, Some(32 * H));
        assert_eq!(next.state.hard_in_a_row, 0);
        // Coming in straight to a break: the stretch starts when work does.
        let s = walk(&[(OnBreak, 8 * H), (Available, 8 * H + MINUTE_MS)]);
        assert_eq!(s.stretch_started_at, Some(8 * H + MINUTE_MS));
    }

    #[test]
    fn break_policies_are_checked_naming_the_field() {
        assert!(BreakPolicy::new(120, 15).is_ok());
        assert_eq!(
            BreakPolicy::new(5, 15).unwrap_err().field,
            Some("break_every_minutes")
        );
        assert_eq!(
            BreakPolicy::new(120, 0).unwrap_err().field,
            Some("break_minutes")
        );
    }

    fn any_presence() -> impl Strategy<Value = Presence> {
        proptest::sample::select(Presence::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn a_stretch_runs_whenever_the_agent_works_and_never_starts_in_the_future(
            steps in proptest::collection::vec((any_presence(), 0i64..(4 * H)), 0..40)
        ) {
            let policy = BreakPolicy::new(60, 10).unwrap();
            let mut s = PresenceState::offline();
            let mut at = 0;
            for (to, gap) in steps {
                at += gap;
                if let Some(c) = change(&s, to, at, &policy) {
                    prop_assert!(c.state.since >= s.since);
                    s = c.state;
                }
                if is_working(s.presence) {
                    prop_assert!(s.stretch_started_at.is_some());
                }
                if let Some(start) = s.stretch_started_at {
                    prop_assert!(start <= at);
                    prop_assert!(s.shift_started_at.is_some_and(|shift| shift <= start));
                }
            }
        }
    }
}
