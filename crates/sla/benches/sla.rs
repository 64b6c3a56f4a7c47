//! Business-time arithmetic and clock computation, and the sweep:
//! clocks (plus alert plan and queue rank) for 1,000,000 open tickets.
//!
//! `cargo bench -p heard-sla` (criterion reports time per iteration; the sweep's
//! per-ticket cost is that divided by 1,000,000, also shown as throughput).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use heard_sla::{
    BusinessCalendar, CalendarSpec, Conditions, Holiday, LocalTime, PolicyBook, PolicyBookSpec,
    SlaEvent, SlaEventKind as K, SlaPolicy, Status, Targets, Weekday, WeeklyPeriod, compute_clocks,
    plan_alerts, queue_rank,
};
use jiff::Timestamp;
use jiff::civil::Date;

const TICKETS: usize = 1_000_000;
/// 2026-11-23 09:00 UTC, the sweep's "now" is 30 days later.
const BASE: i64 = 1_795_338_000;
const NOW: i64 = BASE + 30 * 86_400;

fn hm(s: &str) -> LocalTime {
    s.parse().unwrap()
}

/// Mon–Fri with a lunch break, Christmas and New Year closed.
fn office(zone: &str) -> BusinessCalendar {
    let mut periods = Vec::new();
    for &d in &Weekday::ALL[..5] {
        periods.push(WeeklyPeriod::new(d, hm("08:30"), hm("12:30")));
        periods.push(WeeklyPeriod::new(d, hm("13:30"), hm("17:30")));
    }
    let holidays = [(12, 24), (12, 25), (12, 26), (1, 1)]
        .iter()
        .map(|&(m, d)| Holiday {
            date: Date::new(2020, m, d).unwrap(),
            name: None,
            yearly: true,
        })
        .collect();
    BusinessCalendar::new(CalendarSpec {
        zone: zone.into(),
        periods,
        holidays,
    })
    .unwrap()
}

fn book() -> PolicyBook {
    let p = |id: &str, fr: u32, nu: u32, pu: Option<u32>, res: u32, cal: Option<&str>| SlaPolicy {
        id: id.into(),
        name: id.into(),
        conditions: Conditions::default(),
        targets: Targets {
            first_response: Some(fr),
            next_update: Some(nu),
            periodic_update: pu,
            resolution: Some(res),
        },
        calendar: cal.map(str::to_owned),
        warn_at_percent: 75,
        pause_reply_targets: false,
    };
    PolicyBook::new(PolicyBookSpec {
        calendars: BTreeMap::from([
            ("berlin".into(), office("Europe/Berlin")),
            ("new-york".into(), office("America/New_York")),
            ("lord-howe".into(), office("Australia/Lord_Howe")),
            (
                "always".into(),
                BusinessCalendar::always_open("UTC").unwrap(),
            ),
        ]),
        default_calendar: "berlin".into(),
        team_calendars: BTreeMap::from([
            ("amer".into(), "new-york".into()),
            ("apac".into(), "lord-howe".into()),
        ]),
        policies: vec![
            p("standard", 240, 480, Some(960), 2400, None),
            p("high", 60, 120, Some(480), 960, None),
            p("urgent", 30, 60, Some(120), 480, Some("always")),
            p("low", 480, 960, None, 4800, None),
        ],
        default_policy: "standard".into(),
    })
    .unwrap()
}

/// xorshift64*: deterministic synthetic data without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn at(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap()
}

/// An open ticket's log: created in the last 30 days, a few exchanges, some
/// waits on the customer, a promise now and then, a policy change rarely.
fn synthetic_log(rng: &mut Rng) -> Vec<SlaEvent> {
    const POLICIES: [&str; 4] = ["standard", "high", "urgent", "low"];
    const TEAMS: [Option<&str>; 3] = [None, Some("amer"), Some("apac")];
    let mut t = BASE + rng.below(29 * 86_400) as i64;
    let mut log = vec![SlaEvent::new(
        at(t),
        K::Created {
            policy: POLICIES[rng.below(4) as usize].into(),
            team: TEAMS[rng.below(3) as usize].map(str::to_owned),
        },
    )];
    let steps = 2 + rng.below(10);
    for _ in 0..steps {
        t += 60 * (5 + rng.below(600)) as i64;
        if t >= NOW {
            break;
        }
        let kind = match rng.below(20) {
            0..=6 => K::AgentPublicReply { channel: None },
            7..=12 => K::CustomerMessage { channel: None },
            13 => K::InternalNote,
            14 => K::StatusChanged {
                to: Status::PendingCustomer,
            },
            15 => K::StatusChanged {
                to: Status::PendingThirdParty,
            },
            16 => K::ThirdPartyReply,
            17 => K::Promise {
                due_at: at(t + 3600 * (1 + rng.below(72)) as i64),
            },
            18 => K::PolicyChanged {
                policy: POLICIES[rng.below(4) as usize].into(),
            },
            _ => K::StatusChanged { to: Status::Open },
        };
        log.push(SlaEvent::new(at(t), kind));
    }
    log
}

fn bench_calendar(c: &mut Criterion) {
    let cal = office("Europe/Berlin");
    let fri = at(BASE + 4 * 86_400 + 6 * 3600); // Friday afternoon
    let mut g = c.benchmark_group("calendar");
    g.bench_function("add 8h over a weekend", |b| {
        b.iter(|| cal.add_business_minutes(black_box(fri), black_box(480)))
    });
    g.bench_function("add 2 weeks", |b| {
        b.iter(|| cal.add_business_minutes(black_box(fri), black_box(80 * 60)))
    });
    g.bench_function("between, one month", |b| {
        b.iter(|| cal.business_minutes_between(black_box(at(BASE)), black_box(at(NOW))))
    });
    g.finish();
}

fn bench_one_ticket(c: &mut Criterion) {
    let b = book();
    let mut rng = Rng(7);
    let logs: Vec<_> = (0..1000).map(|_| synthetic_log(&mut rng)).collect();
    let now = at(NOW);
    let mut i = 0;
    c.bench_function("clocks/one ticket", |bench| {
        bench.iter(|| {
            i = (i + 1) % logs.len();
            compute_clocks(&b, black_box(&logs[i]), now)
        })
    });
}

fn sweep(b: &PolicyBook, logs: &[Vec<SlaEvent>], now: Timestamp) -> (usize, i64) {
    // What a sweep job does per ticket: clocks, the alert plan, the queue key.
    let mut due = 0;
    let mut rank_sum = 0i64;
    for log in logs {
        let clocks = compute_clocks(b, log, now);
        let plan = plan_alerts(&clocks, now);
        due += plan.due.len();
        rank_sum = rank_sum.wrapping_add(queue_rank(clocks.next_update_due, 40));
    }
    (due, rank_sum)
}

fn bench_sweep(c: &mut Criterion) {
    let b = book();
    let mut rng = Rng(0x5eed);
    let logs: Vec<_> = (0..TICKETS).map(|_| synthetic_log(&mut rng)).collect();
    let events: usize = logs.iter().map(Vec::len).sum();
    let now = at(NOW);
    // One plain timed pass first, so the figure is in the log even when
    // criterion's report is skimmed.
    let start = Instant::now();
    let (due, _) = black_box(sweep(&b, &logs, now));
    let took = start.elapsed();
    println!(
        "sweep: {TICKETS} tickets ({events} events), {due} alerts due: {:.2} s, {:.2} µs per ticket",
        took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / TICKETS as f64
    );
    let mut g = c.benchmark_group("sweep");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(50))
        .throughput(Throughput::Elements(TICKETS as u64));
    g.bench_function("1,000,000 open tickets", |bench| {
        bench.iter_batched_ref(
            || (),
            |_| sweep(&b, black_box(&logs), now),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_calendar, bench_one_ticket, bench_sweep);
criterion_main!(benches);
