//! heard's pure service-level core (issue 4): business calendars and
//! business-time arithmetic, SLA policies and their selection, a ticket's
//! clocks computed from its event log, the customer-visible promise
//! (`next_update_due`), the warnings and breaches that are due, the queue
//! ranking key, compliance reports, and how long a ticket may stay at one tier.
//!
//! Nothing here reads the clock or does I/O: every function takes `now`, so
//! the storage, job and HTTP layers decide when to ask. The semantics of the
//! clocks (pauses, reopen, policy change, merge, channels, promises) are
//! written down in this crate's README.
//!
//! ```
//! use heard_sla::*;
//! use jiff::Timestamp;
//!
//! let calendar: BusinessCalendar = serde_json::from_str(r#"{"zone": "Europe/Berlin",
//!     "periods": [{"day": "friday", "start": "09:00", "end": "17:00"},
//!                 {"day": "monday", "start": "09:00", "end": "17:00"}]}"#).unwrap();
//! let policy = SlaPolicy {
//!     id: "standard".into(), name: "Standard".into(), conditions: Conditions::default(),
//!     targets: Targets { first_response: Some(60), ..Targets::default() },
//!     calendar: None, warn_at_percent: 75, pause_reply_targets: false,
//! };
//! let book = PolicyBook::single(calendar, policy);
//! let chosen = book.select(&TicketAttributes::default());
//!
//! let at = |s: &str| s.parse::<Timestamp>().unwrap();
//! let log = [SlaEvent::new(at("2026-11-20T15:30:00Z"),
//!     SlaEventKind::Created { policy: chosen.id.clone(), team: None })];
//! let now = at("2026-11-20T16:00:00Z"); // Friday 17:00 in Berlin: closing time
//! let clocks = compute_clocks(&book, &log, now);
//! // 30 business minutes left: Monday 09:30 Berlin.
//! assert_eq!(clocks.next_update_due, Some(at("2026-11-23T08:30:00Z")));
//! let plan = plan_alerts(&clocks, now);
//! assert_eq!(plan.next_at, Some(at("2026-11-23T08:15:00Z"))); // the 75% warning
//! let rank = queue_rank(clocks.next_update_due, 40);
//! # let _ = rank;
//! ```

mod alerts;
mod calendar;
mod clocks;
mod ical;
mod policy;
mod report;
mod tier;

pub use alerts::{
    Alert, AlertKind, AlertPlan, AlertSubject, RANK_NOTHING_DUE,
    RANK_SECONDS_PER_FRUSTRATION_POINT, plan_alerts, queue_rank,
};
pub use calendar::{
    BusinessCalendar, CalendarError, CalendarSpec, Holiday, LocalTime, Weekday, WeeklyPeriod,
    customer_local_time,
};
pub use clocks::{
    DueSource, Outcome, PromiseClock, SlaEvent, SlaEventKind, Status, TargetClock, TicketClocks,
    compute_clocks,
};
pub use ical::{IcalError, parse_ical_holidays};
pub use policy::{
    Conditions, PolicyBook, PolicyBookSpec, PolicyError, Priority, SlaPolicy, TargetKind, Targets,
    TicketAttributes,
};
pub use report::{ComplianceRow, compliance};
pub use tier::tier_deadline;
