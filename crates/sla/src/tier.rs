//! How long a ticket may stay at one tier (issue 5, principle 6: fix it or escalate it).
//! The clock counts business time of the ticket's calendar from its arrival at the tier
//! and, like the resolution clock, stops while the ticket waits on the customer or a third
//! party: a ticket waiting for an answer is not stuck.

use crate::calendar::BusinessCalendar;
use crate::clocks::Status;
use jiff::Timestamp;

/// When a ticket that arrived at its tier at `arrived` (with status `initial`) and then
/// changed status as `changes` says (in order) escalates on its own: the instant its
/// `minutes` of business time at the tier ran out, which may be in the past. `None` while
/// it waits (the clock is paused; the deadline moves once it is back) and once it is solved.
pub fn tier_deadline(
    calendar: &BusinessCalendar,
    arrived: Timestamp,
    initial: Status,
    changes: &[(Timestamp, Status)],
    minutes: u32,
) -> Option<Timestamp> {
    let total = i64::from(minutes) * 60;
    let mut start = arrived;
    let mut status = initial;
    let mut counted = 0i64;
    let mut ran_out = None;
    for &(at, to) in changes {
        let at = at.max(start);
        if counts(status) && ran_out.is_none() {
            let segment = calendar.business_seconds_between(start, at);
            if counted + segment >= total {
                ran_out = Some(calendar.add_business_seconds(start, total - counted));
            }
            counted += segment;
        }
        start = at;
        status = to;
    }
    if !counts(status) {
        return None;
    }
    Some(ran_out.unwrap_or_else(|| calendar.add_business_seconds(start, total - counted)))
}

fn counts(s: Status) -> bool {
    matches!(s, Status::New | Status::Open)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn office() -> BusinessCalendar {
        serde_json::from_str(
            r#"{"zone": "UTC", "periods": [
                {"day": "monday", "start": "09:00", "end": "17:00"},
                {"day": "tuesday", "start": "09:00", "end": "17:00"}]}"#,
        )
        .unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn business_time_at_the_tier_not_waiting_time() {
        let cal = office();
        // Monday 16:00 + 2 business hours: Tuesday 10:00.
        let arrived = at("2026-11-23T16:00:00Z");
        assert_eq!(
            tier_deadline(&cal, arrived, Status::New, &[], 120),
            Some(at("2026-11-24T10:00:00Z"))
        );
        // Waiting on the customer from 16:30 to Tuesday 09:30: 30 minutes counted before,
        // 90 left after.
        let changes = [
            (at("2026-11-23T16:30:00Z"), Status::PendingCustomer),
            (at("2026-11-24T09:30:00Z"), Status::Open),
        ];
        assert_eq!(
            tier_deadline(&cal, arrived, Status::New, &changes, 120),
            Some(at("2026-11-24T11:00:00Z"))
        );
        assert_eq!(
            tier_deadline(&cal, arrived, Status::New, &changes[..1], 120),
            None,
            "paused while waiting"
        );
        let solved = [(at("2026-11-23T16:10:00Z"), Status::Resolved)];
        assert_eq!(
            tier_deadline(&cal, arrived, Status::Open, &solved, 120),
            None
        );
        // It ran out before it went to wait, and it is back: due since then.
        let late = [
            (at("2026-11-24T09:00:00Z"), Status::PendingThirdParty),
            (at("2026-11-24T16:00:00Z"), Status::Open),
        ];
        assert_eq!(
            tier_deadline(&cal, arrived, Status::Open, &late, 30),
            Some(at("2026-11-23T16:30:00Z"))
        );
    }

    proptest! {
        #[test]
        fn waiting_never_brings_the_deadline_forward(
            gaps in proptest::collection::vec((0i64..600, any::<bool>()), 0..8),
            minutes in 15u32..2000,
        ) {
            let cal = office();
            let arrived = at("2026-11-23T08:00:00Z");
            let mut t = arrived;
            let mut changes = Vec::new();
            for (gap, wait) in gaps {
                t += jiff::SignedDuration::from_mins(gap);
                changes.push((t, if wait { Status::PendingCustomer } else { Status::Open }));
            }
            // The same history with no waiting at all escalates no later.
            let open_only: Vec<_> = changes.iter().map(|(t, _)| (*t, Status::Open)).collect();
            let never_waited = tier_deadline(&cal, arrived, Status::Open, &open_only, minutes).unwrap();
            prop_assert_eq!(never_waited, cal.add_business_minutes(arrived, i64::from(minutes)));
            if let Some(d) = tier_deadline(&cal, arrived, Status::Open, &changes, minutes) {
                prop_assert!(d >= never_waited);
            }
        }
    }
}
