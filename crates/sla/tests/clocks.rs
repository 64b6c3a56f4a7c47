//! The clock semantics written in the README, one test each.

use std::collections::BTreeMap;

use heard_sla::{
    AlertKind, AlertSubject, BusinessCalendar, CalendarSpec, Conditions, DueSource, LocalTime,
    PolicyBook, PolicyBookSpec, SlaEvent, SlaEventKind as K, SlaPolicy, Status, TargetKind,
    Targets, Weekday, WeeklyPeriod, compliance, compute_clocks, plan_alerts, queue_rank,
};
use jiff::Timestamp;
use proptest::prelude::*;

fn t(s: &str) -> Timestamp {
    // Monday 2026-11-23 is day "mon"; the calendar is UTC 09:00–17:00 Mon–Fri.
    let full = match s.split_once(' ') {
        Some((day, hm)) => {
            let date = match day {
                "mon" => "2026-11-23",
                "tue" => "2026-11-24",
                "wed" => "2026-11-25",
                "thu" => "2026-11-26",
                "fri" => "2026-11-27",
                "sat" => "2026-11-28",
                "nextmon" => "2026-11-30",
                other => panic!("{other}"),
            };
            format!("{date}T{hm}:00Z")
        }
        None => s.to_owned(),
    };
    full.parse().unwrap()
}

fn office() -> BusinessCalendar {
    BusinessCalendar::new(CalendarSpec {
        zone: "UTC".into(),
        periods: Weekday::ALL[..5]
            .iter()
            .map(|&d| {
                WeeklyPeriod::new(
                    d,
                    "09:00".parse::<LocalTime>().unwrap(),
                    "17:00".parse().unwrap(),
                )
            })
            .collect(),
        holidays: vec![],
    })
    .unwrap()
}

fn policy(id: &str, targets: Targets) -> SlaPolicy {
    SlaPolicy {
        id: id.into(),
        name: id.into(),
        conditions: Conditions::default(),
        targets,
        calendar: None,
        warn_at_percent: 75,
        pause_reply_targets: false,
    }
}

fn standard() -> Targets {
    Targets {
        first_response: Some(60),
        next_update: Some(120),
        periodic_update: Some(240),
        resolution: Some(960),
    }
}

fn book() -> PolicyBook {
    PolicyBook::new(PolicyBookSpec {
        calendars: BTreeMap::from([
            ("office".into(), office()),
            (
                "always".into(),
                BusinessCalendar::always_open("UTC").unwrap(),
            ),
        ]),
        default_calendar: "office".into(),
        team_calendars: BTreeMap::from([("night".into(), "always".into())]),
        policies: vec![
            policy("standard", standard()),
            policy(
                "urgent",
                Targets {
                    first_response: Some(30),
                    ..standard()
                },
            ),
            policy(
                "relaxed",
                Targets {
                    first_response: Some(480),
                    ..standard()
                },
            ),
            policy(
                "replies-only",
                Targets {
                    periodic_update: None,
                    ..standard()
                },
            ),
            SlaPolicy {
                pause_reply_targets: true,
                ..policy("pause-all", standard())
            },
        ],
        default_policy: "standard".into(),
    })
    .unwrap()
}

fn ev(at: &str, kind: K) -> SlaEvent {
    SlaEvent::new(t(at), kind)
}

fn created(at: &str) -> SlaEvent {
    ev(
        at,
        K::Created {
            policy: "standard".into(),
            team: None,
        },
    )
}

fn customer(at: &str) -> SlaEvent {
    ev(
        at,
        K::CustomerMessage {
            channel: Some("email".into()),
        },
    )
}

fn reply(at: &str) -> SlaEvent {
    ev(
        at,
        K::AgentPublicReply {
            channel: Some("email".into()),
        },
    )
}

fn status(at: &str, to: Status) -> SlaEvent {
    ev(at, K::StatusChanged { to })
}

#[test]
fn first_response_is_met_by_a_public_reply_on_any_channel() {
    for channel in ["email", "portal", "chat", "phone", "api"] {
        let log = [
            created("mon 09:00"),
            ev(
                "mon 09:30",
                K::AgentPublicReply {
                    channel: Some(channel.into()),
                },
            ),
        ];
        let c = compute_clocks(&book(), &log, t("mon 12:00"));
        let fr = c.first_response.unwrap();
        assert!(fr.met && !fr.breached && !fr.active, "{channel}");
        assert_eq!(fr.elapsed_minutes, 30);
        assert_eq!(fr.stopped_at, Some(t("mon 09:30")));
    }
}

#[test]
fn notes_and_automatic_replies_are_not_responses() {
    let log = [
        created("mon 09:00"),
        ev("mon 09:01", K::AutomatedReply),
        ev("mon 09:10", K::InternalNote),
    ];
    let c = compute_clocks(&book(), &log, t("mon 10:30"));
    let fr = c.first_response.unwrap();
    assert!(fr.active && fr.breached && !fr.met);
    assert_eq!(fr.breached_at, Some(t("mon 10:00")));
    assert_eq!(fr.warned_at, Some(t("mon 09:45")));
    assert_eq!(fr.remaining_minutes, -30);
    assert_eq!(c.next_update_due, Some(t("mon 10:00")));
    assert_eq!(c.next_update_source, Some(DueSource::FirstResponse));
}

#[test]
fn targets_count_business_hours_only() {
    let c = compute_clocks(&book(), &[created("fri 16:30")], t("sat 12:00"));
    let fr = c.first_response.unwrap();
    assert_eq!(fr.elapsed_minutes, 30);
    assert_eq!(fr.due_at, Some(t("nextmon 09:30")));
    assert!(!fr.breached);
    // The team's calendar applies when the policy names none.
    let log = [ev(
        "fri 16:30",
        K::Created {
            policy: "standard".into(),
            team: Some("night".into()),
        },
    )];
    let c = compute_clocks(&book(), &log, t("fri 16:31"));
    assert_eq!(c.first_response.unwrap().due_at, Some(t("fri 17:30")));
}

#[test]
fn waiting_on_the_customer_pauses_resolution_and_periodic_clocks() {
    let log = [
        created("mon 09:00"),
        reply("mon 09:10"),
        status("mon 09:10", Status::PendingCustomer),
    ];
    let c = compute_clocks(&book(), &log, t("tue 09:00"));
    let res = c.resolution.as_ref().unwrap();
    assert!(res.paused && res.active);
    assert_eq!(res.elapsed_minutes, 10);
    assert_eq!(res.due_at, None);
    assert!(c.periodic_update.as_ref().unwrap().paused);
    assert_eq!(c.next_update_due, None, "the customer owes us an answer");

    // The customer's reply resumes them and starts a next-update cycle.
    let mut log = log.to_vec();
    log.push(customer("tue 10:00"));
    let c = compute_clocks(&book(), &log, t("tue 10:00"));
    assert_eq!(c.status, Some(Status::Open));
    let res = c.resolution.unwrap();
    assert!(!res.paused);
    assert_eq!(res.due_at, Some(t("thu 09:50")));
    let nu = c.next_update.unwrap();
    assert_eq!((nu.cycle, nu.due_at), (1, Some(t("tue 12:00"))));
    assert_eq!(c.next_update_due, Some(t("tue 12:00")));
}

#[test]
fn a_third_party_wait_pauses_until_they_answer() {
    let log = [
        created("mon 09:00"),
        reply("mon 09:10"),
        status("mon 09:10", Status::PendingThirdParty),
        ev("mon 15:00", K::ThirdPartyReply),
    ];
    let c = compute_clocks(&book(), &log, t("mon 16:00"));
    assert_eq!(c.status, Some(Status::Open));
    assert_eq!(c.resolution.unwrap().elapsed_minutes, 10 + 60);
}

#[test]
fn pending_does_not_pause_an_unanswered_customer() {
    let log = [
        created("mon 09:00"),
        status("mon 09:05", Status::PendingCustomer),
    ];
    let c = compute_clocks(&book(), &log, t("mon 11:00"));
    let fr = c.first_response.unwrap();
    assert!(fr.breached && !fr.paused);
    // Unless the policy says otherwise.
    let log = [
        ev(
            "mon 09:00",
            K::Created {
                policy: "pause-all".into(),
                team: None,
            },
        ),
        status("mon 09:05", Status::PendingCustomer),
    ];
    let fr = compute_clocks(&book(), &log, t("mon 11:00"))
        .first_response
        .unwrap();
    assert!(fr.paused && !fr.breached);
    assert_eq!(fr.elapsed_minutes, 5);
}

#[test]
fn next_update_runs_from_the_oldest_unanswered_message() {
    let log = [
        created("mon 09:00"),
        reply("mon 09:10"),
        customer("mon 10:00"),
        customer("mon 11:00"),
    ];
    let c = compute_clocks(&book(), &log, t("mon 11:30"));
    let nu = c.next_update.unwrap();
    assert_eq!(nu.due_at, Some(t("mon 12:00")));
    assert!(nu.at_risk);
    // The reply meets it; the next message starts cycle 2.
    let mut log = log.to_vec();
    log.push(reply("mon 11:50"));
    log.push(customer("tue 09:00"));
    let c = compute_clocks(&book(), &log, t("tue 09:00"));
    let nu = c.next_update.unwrap();
    assert_eq!((nu.cycle, nu.cycles_met, nu.cycles_breached), (2, 1, 0));
}

#[test]
fn periodic_update_restarts_with_every_public_reply() {
    let log = [created("mon 09:00"), reply("mon 09:10")];
    let c = compute_clocks(&book(), &log, t("mon 09:10"));
    let pu = c.periodic_update.unwrap();
    assert_eq!(
        (pu.cycle, pu.due_at, pu.warn_at),
        (1, Some(t("mon 13:10")), Some(t("mon 12:10")))
    );
    assert_eq!(c.next_update_due, Some(t("mon 13:10")));
    assert_eq!(c.next_update_source, Some(DueSource::PeriodicUpdate));
    let log = [created("mon 09:00"), reply("mon 09:10"), reply("mon 12:00")];
    let c = compute_clocks(&book(), &log, t("mon 12:00"));
    let pu = c.periodic_update.unwrap();
    assert_eq!(
        (pu.cycle, pu.cycles_met, pu.due_at),
        (2, 1, Some(t("mon 16:00")))
    );
}

#[test]
fn reopening_resumes_the_same_resolution_clock() {
    let log = [
        created("mon 09:00"),
        reply("mon 10:00"),
        status("mon 10:00", Status::Resolved),
    ];
    let c = compute_clocks(&book(), &log, t("mon 12:00"));
    let res = c.resolution.unwrap();
    assert!(res.met && !res.active);
    assert_eq!((res.elapsed_minutes, res.cycles_met), (60, 1));
    assert_eq!(c.next_update_due, None);
    // A customer message on a resolved ticket reopens it.
    let mut log = log.to_vec();
    log.push(customer("tue 09:00"));
    let c = compute_clocks(&book(), &log, t("tue 10:00"));
    assert_eq!(c.status, Some(Status::Open));
    let res = c.resolution.unwrap();
    assert!(res.active && !res.met);
    assert_eq!(
        (res.cycle, res.elapsed_minutes, res.cycles_met),
        (1, 120, 0)
    );
    assert_eq!(c.next_update.unwrap().due_at, Some(t("tue 11:00")));
    // An explicit Reopened event does the same.
    let mut log2 = log[..3].to_vec();
    log2.push(ev("tue 09:00", K::Reopened));
    let c2 = compute_clocks(&book(), &log2, t("tue 10:00"));
    assert_eq!(c2.resolution.unwrap().elapsed_minutes, 120);
}

#[test]
fn closed_is_final() {
    let log = [
        created("mon 09:00"),
        reply("mon 09:10"),
        status("mon 09:20", Status::Closed),
        customer("mon 10:00"),
    ];
    let c = compute_clocks(&book(), &log, t("tue 10:00"));
    assert_eq!(c.status, Some(Status::Closed));
    assert!(c.resolution.unwrap().met);
    assert_eq!(c.next_update.unwrap().cycle, 0);
    assert_eq!(c.next_update_due, None);
}

#[test]
fn a_stricter_policy_mid_ticket_counts_time_already_waited() {
    let log = [
        ev(
            "mon 09:00",
            K::Created {
                policy: "relaxed".into(),
                team: None,
            },
        ),
        ev(
            "mon 11:00",
            K::PolicyChanged {
                policy: "urgent".into(),
            },
        ),
    ];
    let c = compute_clocks(&book(), &log, t("mon 11:01"));
    let fr = c.first_response.clone().unwrap();
    assert_eq!(c.policy.as_deref(), Some("urgent"));
    assert_eq!(fr.target_minutes, 30);
    assert_eq!(
        fr.breached_at,
        Some(t("mon 11:00")),
        "breached when the stricter policy applied"
    );
    let plan = plan_alerts(&c, t("mon 11:01"));
    assert!(plan.due.iter().any(|a| a.key == "first_response/1/breach"));
    assert!(!plan.due.iter().any(|a| a.key == "first_response/1/warning"));
}

#[test]
fn a_looser_policy_does_not_undo_a_breach() {
    let log = [
        ev(
            "mon 09:00",
            K::Created {
                policy: "urgent".into(),
                team: None,
            },
        ),
        ev(
            "mon 10:00",
            K::PolicyChanged {
                policy: "relaxed".into(),
            },
        ),
        reply("mon 10:30"),
    ];
    let c = compute_clocks(&book(), &log, t("mon 11:00"));
    let fr = c.first_response.unwrap();
    assert!(fr.breached && !fr.met);
    assert_eq!(fr.breached_at, Some(t("mon 09:30")));
    // A policy without periodic updates stops reporting that target.
    let log = [
        created("mon 09:00"),
        ev(
            "mon 09:05",
            K::PolicyChanged {
                policy: "replies-only".into(),
            },
        ),
    ];
    assert!(
        compute_clocks(&book(), &log, t("mon 10:00"))
            .periodic_update
            .is_none()
    );
    // A policy that no longer exists falls back to the default.
    let log = [ev(
        "mon 09:00",
        K::Created {
            policy: "deleted".into(),
            team: None,
        },
    )];
    assert_eq!(
        compute_clocks(&book(), &log, t("mon 10:00"))
            .policy
            .as_deref(),
        Some("standard")
    );
}

#[test]
fn merging_closes_the_source_and_backdates_the_survivor() {
    let source = [
        created("mon 09:00"),
        customer("mon 09:30"),
        ev("mon 09:50", K::MergedInto),
    ];
    let c = compute_clocks(&book(), &source, t("mon 12:00"));
    assert_eq!(c.status, Some(Status::Closed));
    let fr = c.first_response.unwrap();
    assert!(
        !fr.active && !fr.met && !fr.breached,
        "cancelled, not counted"
    );
    assert_eq!(c.next_update_due, None);

    let survivor = [
        created("mon 08:00"),
        reply("mon 09:05"),
        ev(
            "mon 10:00",
            K::MergedFrom {
                oldest_unanswered: Some(t("mon 09:30")),
            },
        ),
    ];
    let c = compute_clocks(&book(), &survivor, t("mon 10:00"));
    let nu = c.next_update.unwrap();
    assert_eq!(nu.started_at, Some(t("mon 09:30")));
    assert_eq!(nu.elapsed_minutes, 30);
    assert_eq!(nu.due_at, Some(t("mon 11:30")));
}

#[test]
fn promises_set_the_customer_visible_due_time_and_are_tracked() {
    let log = [
        ev(
            "mon 09:00",
            K::Created {
                policy: "replies-only".into(),
                team: None,
            },
        ),
        reply("mon 09:10"),
        ev(
            "mon 09:10",
            K::Promise {
                due_at: t("thu 15:00"),
            },
        ),
    ];
    let c = compute_clocks(&book(), &log, t("tue 09:00"));
    assert_eq!(c.next_update_due, Some(t("thu 15:00")));
    assert_eq!(c.next_update_source, Some(DueSource::Promise));
    // Kept by a reply before it lapses.
    let mut kept = log.to_vec();
    kept.push(reply("thu 14:00"));
    let c = compute_clocks(&book(), &kept, t("fri 09:00"));
    let p = c.promise.unwrap();
    assert!(p.kept && !p.broken && !p.active);
    assert_eq!((c.promises_kept, c.promises_broken), (1, 0));
    // Broken when the moment passes without one: a breach alert, once.
    let c = compute_clocks(&book(), &log, t("thu 15:30"));
    assert!(c.promise.as_ref().unwrap().broken);
    assert_eq!(c.promises_broken, 1);
    let plan = plan_alerts(&c, t("thu 15:30"));
    let keys: Vec<_> = plan.due.iter().map(|a| a.key.as_str()).collect();
    assert!(keys.contains(&"promise/1/breach"), "{keys:?}");
    // The earlier of a promise and a running target is what the customer sees.
    let log = [
        created("mon 09:00"),
        ev(
            "mon 09:05",
            K::Promise {
                due_at: t("mon 09:20"),
            },
        ),
    ];
    let c = compute_clocks(&book(), &log, t("mon 09:06"));
    assert_eq!(c.next_update_due, Some(t("mon 09:20")));
}

#[test]
fn alert_plan_says_what_is_due_and_when_to_look_again() {
    let log = [created("mon 09:00")];
    let plan = plan_alerts(
        &compute_clocks(&book(), &log, t("mon 09:00")),
        t("mon 09:00"),
    );
    assert!(plan.due.is_empty());
    assert_eq!(plan.next_at, Some(t("mon 09:45")));
    let plan = plan_alerts(
        &compute_clocks(&book(), &log, t("mon 09:45")),
        t("mon 09:45"),
    );
    assert_eq!(plan.due.len(), 1);
    let a = &plan.due[0];
    assert_eq!(
        (a.subject, a.kind, a.key.as_str()),
        (
            AlertSubject::FirstResponse,
            AlertKind::Warning,
            "first_response/1/warning"
        )
    );
    assert_eq!(plan.next_at, Some(t("mon 10:00")));
    let plan = plan_alerts(
        &compute_clocks(&book(), &log, t("mon 10:00")),
        t("mon 10:00"),
    );
    assert_eq!(
        plan.due.iter().map(|a| a.key.as_str()).collect::<Vec<_>>(),
        ["first_response/1/breach"]
    );
    // Resolution's warning (75% of 960 business minutes) is next.
    assert_eq!(plan.next_at, Some(t("tue 13:00")));
}

#[test]
fn events_may_arrive_out_of_order_and_future_ones_are_ignored() {
    let sorted = [
        created("mon 09:00"),
        reply("mon 09:30"),
        customer("mon 10:00"),
    ];
    let shuffled = [
        customer("mon 10:00"),
        created("mon 09:00"),
        reply("mon 09:30"),
    ];
    let now = t("mon 10:30");
    assert_eq!(
        compute_clocks(&book(), &sorted, now),
        compute_clocks(&book(), &shuffled, now)
    );
    let c = compute_clocks(&book(), &sorted, t("mon 09:15"));
    assert!(c.first_response.unwrap().active);
    // No Created event: nothing runs.
    let c = compute_clocks(&book(), &[customer("mon 09:00")], now);
    assert!(c.first_response.is_none() && c.next_update_due.is_none());
}

#[test]
fn ticket_json_carries_due_elapsed_paused_breached_met() {
    let c = compute_clocks(&book(), &[created("mon 09:00")], t("mon 09:30"));
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["next_update_due"], "2026-11-23T10:00:00Z");
    let fr = &v["first_response"];
    for field in [
        "due_at",
        "elapsed_minutes",
        "target_minutes",
        "paused",
        "breached",
        "met",
        "at_risk",
    ] {
        assert!(fr.get(field).is_some(), "{field}");
    }
    assert_eq!(fr["elapsed_minutes"], 30);
    let back: heard_sla::TicketClocks = serde_json::from_value(v).unwrap();
    assert_eq!(back, c);
    // Events are JSON too, with a `kind` tag.
    let e: SlaEvent = serde_json::from_str(
        r#"{"at":"2026-11-23T09:00:00Z","kind":"status_changed","to":"pending_third_party"}"#,
    )
    .unwrap();
    assert_eq!(
        e.kind,
        K::StatusChanged {
            to: Status::PendingThirdParty
        }
    );
}

#[test]
fn queue_rank_puts_due_soonest_and_most_upset_first() {
    let soon = Some(t("mon 10:00"));
    let later = Some(t("mon 12:00"));
    assert!(queue_rank(soon, 0) < queue_rank(later, 0));
    // Five hours of weight at 100: a furious customer due at 12:00 outranks a
    // calm one due at 10:00.
    assert!(queue_rank(later, 100) < queue_rank(soon, 0));
    assert!(queue_rank(later, 10) > queue_rank(soon, 0));
    assert!(queue_rank(None, 100) > queue_rank(later, 0));
    assert!(queue_rank(None, 100) < queue_rank(None, 0));
    assert_eq!(queue_rank(soon, 200), queue_rank(soon, 100));
}

#[test]
fn compliance_counts_met_breached_at_risk_per_policy_and_team() {
    let b = book();
    let met = compute_clocks(
        &b,
        &[created("mon 09:00"), reply("mon 09:10")],
        t("mon 09:20"),
    );
    let late = compute_clocks(
        &b,
        &[created("mon 09:00"), reply("mon 11:00")],
        t("mon 11:10"),
    );
    let risky = compute_clocks(&b, &[created("mon 09:00")], t("mon 09:50"));
    let rows = compliance([&met, &late, &risky]);
    let fr = rows
        .iter()
        .find(|r| r.target == TargetKind::FirstResponse.as_str())
        .unwrap();
    assert_eq!((fr.met, fr.breached, fr.at_risk, fr.on_track), (1, 1, 1, 0));
    assert_eq!(fr.compliance_percent(), Some(50.0));
    assert_eq!(fr.policy, "standard");
}

// Invariants over random logs.
fn arb_log() -> impl Strategy<Value = Vec<SlaEvent>> {
    let kind = prop_oneof![
        3 => Just(K::CustomerMessage { channel: None }),
        3 => Just(K::AgentPublicReply { channel: None }),
        1 => Just(K::InternalNote),
        1 => Just(K::StatusChanged { to: Status::PendingCustomer }),
        1 => Just(K::StatusChanged { to: Status::PendingThirdParty }),
        1 => Just(K::StatusChanged { to: Status::Open }),
        1 => Just(K::StatusChanged { to: Status::Resolved }),
        1 => Just(K::Reopened),
        1 => Just(K::ThirdPartyReply),
        1 => prop_oneof![Just("standard"), Just("urgent"), Just("relaxed"), Just("replies-only"), Just("pause-all")]
            .prop_map(|p| K::PolicyChanged { policy: p.into() }),
        1 => (0i64..5000).prop_map(|m| K::Promise { due_at: Timestamp::from_second(1_795_338_000 + m * 60).unwrap() }),
    ];
    prop::collection::vec((0i64..600, kind), 0..25).prop_map(|steps| {
        let mut at = 1_795_338_000i64; // mon 2026-11-23 09:00 UTC
        let mut log = vec![SlaEvent::new(
            Timestamp::from_second(at).unwrap(),
            K::Created {
                policy: "standard".into(),
                team: None,
            },
        )];
        for (gap, kind) in steps {
            at += gap * 60;
            log.push(SlaEvent::new(Timestamp::from_second(at).unwrap(), kind));
        }
        log
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn clocks_are_consistent(log in arb_log(), extra in 0i64..3000) {
        let b = book();
        let last = log.last().unwrap().at;
        let now = Timestamp::from_second(last.as_second() + extra * 60).unwrap();
        let c = compute_clocks(&b, &log, now);
        for kind in TargetKind::ALL {
            let Some(k) = c.target(kind) else { continue };
            prop_assert!(!(k.met && k.breached));
            prop_assert!(!(k.met && k.active));
            prop_assert!(k.breached_at.is_none_or(|x| x <= now));
            prop_assert!(k.cycles_met + k.cycles_breached <= k.cycle);
            if k.paused { prop_assert!(k.due_at.is_none()); }
            // With no new event, a running clock's due time does not move as
            // time passes.
            if let (true, false, Some(due)) = (k.active && !k.paused, k.breached, k.due_at) {
                prop_assert!(due >= now);
                let later = compute_clocks(&b, &log, due);
                let kl = later.target(kind).unwrap();
                prop_assert_eq!(kl.due_at, Some(due));
                prop_assert!(kl.breached);
                prop_assert_eq!(kl.breached_at, Some(due));
            }
        }
        // The job scheduled for `next_at` finds something due then.
        let plan = plan_alerts(&c, now);
        if let Some(next) = plan.next_at {
            prop_assert!(next > now);
            let then = plan_alerts(&compute_clocks(&b, &log, next), next);
            prop_assert!(then.due.iter().any(|a| a.at == next), "{:?} at {}", then.due, next);
        }
        if let Some(earliest) = c.earliest_due() {
            prop_assert!(c.next_update_due.is_none_or(|n| earliest <= n));
        }
        if let Some(due) = c.next_update_due {
            let alerts = plan_alerts(&c, now);
            prop_assert!(alerts.next_at.is_none_or(|n| n > now));
            prop_assert!(c.status.is_some_and(|s| s != Status::Resolved && s != Status::Closed) || due <= now);
        }
    }
}

#[test]
fn the_book_can_be_shared_between_server_tasks() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<PolicyBook>();
    shareable::<BusinessCalendar>();
    shareable::<heard_sla::TicketClocks>();
}

#[test]
fn each_decided_cycle_is_an_outcome_with_its_instant() {
    // First response at 09:30 (met), then the customer writes at 10:00 and waits past
    // the two-hour next update (breached at 12:00), the ticket is resolved on Tuesday,
    // reopened (the resolution's "met" is withdrawn) and a promise lapses.
    let events = vec![
        created("mon 09:00"),
        reply("mon 09:30"),
        customer("mon 10:00"),
        ev(
            "tue 10:00",
            K::StatusChanged {
                to: Status::Resolved,
            },
        ),
        ev("tue 11:00", K::Reopened),
        ev(
            "tue 11:30",
            K::Promise {
                due_at: t("tue 12:00"),
            },
        ),
    ];
    let c = compute_clocks(&book(), &events, t("tue 13:00"));
    let seen: Vec<(String, Timestamp, bool)> = c
        .outcomes
        .iter()
        .map(|o| (o.target.clone(), o.at, o.met))
        .collect();
    assert!(
        seen.contains(&("first_response".into(), t("mon 09:30"), true)),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("next_update".into(), t("mon 12:00"), false)),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("promise".into(), t("tue 12:00"), false)),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|o| o.0 == "resolution" && o.2),
        "a reopened ticket's resolution is no longer met: {seen:?}"
    );
    // The outcomes add up to the per-target counts.
    for kind in TargetKind::ALL {
        if let Some(clock) = c.target(kind) {
            let met = seen.iter().filter(|o| o.0 == kind.as_str() && o.2).count() as u32;
            let missed = seen.iter().filter(|o| o.0 == kind.as_str() && !o.2).count() as u32;
            assert_eq!(
                (met, missed),
                (clock.cycles_met, clock.cycles_breached),
                "{kind:?}"
            );
        }
    }
    assert_eq!(
        seen.iter().filter(|o| o.0 == "promise" && !o.2).count() as u32,
        c.promises_broken
    );
}
