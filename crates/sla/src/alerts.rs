//! Which warnings and breaches are due for a ticket, when the next one will
//! be, and the queue-ordering key.
//!
//! Exactly-once delivery is the caller's part: every alert carries a stable
//! `key` (target, cycle or promise number, kind) that the job stores under a
//! unique constraint before acting, so a restart or a second `heard serve`
//! process computing the same plan cannot act twice.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::calendar::secs;
use crate::clocks::{TargetClock, TicketClocks};
use crate::policy::TargetKind;

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSubject {
    FirstResponse,
    NextUpdate,
    PeriodicUpdate,
    Resolution,
    Promise,
}

impl AlertSubject {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertSubject::FirstResponse => "first_response",
            AlertSubject::NextUpdate => "next_update",
            AlertSubject::PeriodicUpdate => "periodic_update",
            AlertSubject::Resolution => "resolution",
            AlertSubject::Promise => "promise",
        }
    }

    fn of(kind: TargetKind) -> AlertSubject {
        match kind {
            TargetKind::FirstResponse => AlertSubject::FirstResponse,
            TargetKind::NextUpdate => AlertSubject::NextUpdate,
            TargetKind::PeriodicUpdate => AlertSubject::PeriodicUpdate,
            TargetKind::Resolution => AlertSubject::Resolution,
        }
    }
}

/// A warning goes to the owner; a breach escalates (supervisor notified,
/// ticket raised in the queue, event logged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    Warning,
    Breach,
}

/// One warning or breach that has become due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub subject: AlertSubject,
    pub kind: AlertKind,
    /// The target's cycle, or the promise's number.
    pub number: u32,
    /// When it became due.
    pub at: Timestamp,
    /// Stable per ticket, e.g. `next_update/3/breach`: the deduplication key.
    pub key: String,
}

impl Alert {
    fn new(subject: AlertSubject, kind: AlertKind, number: u32, at: Timestamp) -> Alert {
        let k = match kind {
            AlertKind::Warning => "warning",
            AlertKind::Breach => "breach",
        };
        Alert {
            subject,
            kind,
            number,
            at,
            key: format!("{}/{number}/{k}", subject.as_str()),
        }
    }
}

/// The alerts due now and when to look again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertPlan {
    /// Due at or before `now`, oldest first. A warning is left out once its
    /// breach is due too (the escalation says more).
    pub due: Vec<Alert>,
    /// The earliest future instant a warning or breach falls due if nothing
    /// happens on the ticket; schedule the job for then. Any new event on the
    /// ticket changes the clocks, so recompute the plan after each one.
    pub next_at: Option<Timestamp>,
}

/// Which warnings and breaches are due at `now` for these clocks (computed at
/// or before `now` with no event since), and when the next one will be.
pub fn plan_alerts(clocks: &TicketClocks, now: Timestamp) -> AlertPlan {
    let mut plan = AlertPlan::default();
    let mut later = |t: Timestamp| {
        if t > now && plan.next_at.is_none_or(|n| t < n) {
            plan.next_at = Some(t);
        }
    };
    let mut due = Vec::new();
    for kind in TargetKind::ALL {
        let Some(c) = clocks.target(kind) else {
            continue;
        };
        let subject = AlertSubject::of(kind);
        target_alerts(c, subject, now, &mut due, &mut later);
    }
    if let Some(p) = &clocks.promise {
        if p.broken && p.due_at <= now {
            due.push(Alert::new(
                AlertSubject::Promise,
                AlertKind::Breach,
                p.number,
                p.due_at,
            ));
        } else if p.active {
            if p.warn_at <= now {
                due.push(Alert::new(
                    AlertSubject::Promise,
                    AlertKind::Warning,
                    p.number,
                    p.warn_at,
                ));
            } else {
                later(p.warn_at);
            }
            later(p.due_at);
        }
    }
    due.sort_by_key(|a| (a.at, a.subject, a.kind));
    plan.due = due;
    plan
}

fn target_alerts(
    c: &TargetClock,
    subject: AlertSubject,
    now: Timestamp,
    due: &mut Vec<Alert>,
    later: &mut impl FnMut(Timestamp),
) {
    if c.cycle == 0 {
        return;
    }
    match c.breached_at {
        Some(b) if b <= now => {
            due.push(Alert::new(subject, AlertKind::Breach, c.cycle, b));
            return;
        }
        _ => {}
    }
    if !c.active {
        return;
    }
    if let Some(w) = c.warned_at.filter(|&w| w <= now) {
        due.push(Alert::new(subject, AlertKind::Warning, c.cycle, w));
    } else if let Some(w) = c.warn_at {
        later(w);
    }
    if let Some(d) = c.due_at {
        later(d);
    }
}

/// Seconds a ticket moves up the queue per frustration point: a furious
/// customer (100) ranks as if due 5 hours sooner.
pub const RANK_SECONDS_PER_FRUSTRATION_POINT: i64 = 180;

/// Rank of tickets with nothing due: after every ticket with a due time,
/// still ordered by frustration among themselves.
pub const RANK_NOTHING_DUE: i64 = i64::MAX / 2;

/// A sortable queue key: smaller is served first. It is the Unix second the
/// ticket is due (pass [`TicketClocks::earliest_due`]),
/// moved earlier by [`RANK_SECONDS_PER_FRUSTRATION_POINT`] per frustration
/// point (score 0–100, larger values count as 100). It does not depend on the
/// current time, so the store can persist it as a column and refresh it only
/// when the ticket's clocks or frustration change; overdue tickets naturally
/// sort first, most overdue first.
pub fn queue_rank(due_at: Option<Timestamp>, frustration_score: u8) -> i64 {
    let base = due_at.map_or(RANK_NOTHING_DUE, secs);
    base - i64::from(frustration_score.min(100)) * RANK_SECONDS_PER_FRUSTRATION_POINT
}
