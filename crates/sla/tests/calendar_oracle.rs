//! The fast business-time arithmetic must agree exactly with a slow oracle
//! that looks at every minute on its own: "is this minute's local wall time
//! inside a weekly period, on a date that is not a holiday?". Cases cluster
//! around DST transitions (including Lord Howe's 30-minute one, zones that
//! shift at midnight, and Samoa's skipped day) and year ends, with holidays
//! near the case so they matter.

use heard_sla::{BusinessCalendar, CalendarSpec, Holiday, LocalTime, Weekday, WeeklyPeriod};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use proptest::prelude::*;

const ZONES: &[&str] = &[
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "UTC",
    "Asia/Kathmandu",
    "America/Santiago",
    "America/Sao_Paulo",
    "Pacific/Apia",
    "Asia/Tehran",
    "Europe/London",
];

/// The oracle: one minute at a time, from the definition only. It converts
/// every minute to local wall time with jiff and asks "inside a weekly period,
/// on a date that is not a holiday?". Holiday and weekday answers are cached
/// per local date, which changes nothing but the oracle's speed.
struct Oracle<'a> {
    spec: &'a CalendarSpec,
    tz: &'a TimeZone,
    /// (weekday index, start minute, end minute; end may pass 1440).
    periods: Vec<(usize, u32, u32)>,
    day: Option<Date>,
    day_info: (bool, usize, usize),
}

impl<'a> Oracle<'a> {
    fn new(spec: &'a CalendarSpec, tz: &'a TimeZone) -> Self {
        let periods = spec
            .periods
            .iter()
            .map(|p| {
                (
                    p.day.index(),
                    p.start.minutes(),
                    p.start.minutes() + p.length_minutes(),
                )
            })
            .collect();
        Oracle {
            spec,
            tz,
            periods,
            day: None,
            day_info: (false, 0, 0),
        }
    }

    fn open(&mut self, minute: i64) -> bool {
        let dt = self
            .tz
            .to_datetime(Timestamp::from_second(minute * 60).unwrap());
        let date = dt.date();
        if self.day != Some(date) {
            let holiday = self.spec.holidays.iter().any(|h| {
                if h.yearly {
                    h.date.month() == date.month()
                        && h.date.day() == date.day()
                        && date.year() >= h.date.year()
                } else {
                    h.date == date
                }
            });
            let today = Weekday::of(date).index();
            self.day = Some(date);
            self.day_info = (holiday, today, (today + 6) % 7);
        }
        let (holiday, today, yesterday) = self.day_info;
        if holiday {
            return false;
        }
        let mins = dt.hour() as u32 * 60 + dt.minute() as u32;
        for &(day, start, end) in &self.periods {
            if (day == today && start <= mins && mins < end)
                || (day == yesterday && end > 1440 && mins < end - 1440)
            {
                return true;
            }
        }
        false
    }
}

#[derive(Debug, Clone)]
struct Raw {
    zone: usize,
    periods: Vec<(u8, u16, u16)>,
    anchor_kind: u8,
    year: i16,
    transition: usize,
    jitter: i64,
    holidays: Vec<(i64, bool)>,
    span: i64,
    amount: i64,
}

fn raw() -> impl Strategy<Value = Raw> {
    let start = prop_oneof![0u16..1440, (0u16..48).prop_map(|x| x * 30)];
    let len = prop_oneof![1u16..=1440, (1u16..=48).prop_map(|x| x * 30)];
    (
        0..ZONES.len(),
        // Like real calendars, a period repeats on a set of days (bit i = day i).
        prop::collection::vec((1u8..128, start, len), 1..5),
        0u8..3,
        2005i16..2031,
        0usize..4,
        -4000i64..4000,
        prop::collection::vec((-5i64..7, any::<bool>()), 0..4),
        prop_oneof![0i64..240, 0i64..2160],
        prop_oneof![0i64..60, 0i64..360],
    )
        .prop_map(
            |(zone, periods, anchor_kind, year, transition, jitter, holidays, span, amount)| Raw {
                zone,
                periods,
                anchor_kind,
                year,
                transition,
                jitter,
                holidays,
                span,
                amount,
            },
        )
}

/// Builds the calendar (dropping periods that overlap earlier ones) and the
/// case's start minute.
fn build(r: &Raw) -> (BusinessCalendar, TimeZone, i64) {
    let zone = ZONES[r.zone];
    let tz = TimeZone::get(zone).unwrap();
    let jan1 = Date::new(r.year, 1, 1)
        .unwrap()
        .to_zoned_datetime(tz.clone())
        .unwrap()
        .timestamp();
    let anchor = match r.anchor_kind {
        0 => tz
            .following(jan1)
            .nth(r.transition)
            .map(|t| t.timestamp())
            .unwrap_or(jan1),
        1 => Date::new(r.year, 12, 31)
            .unwrap()
            .to_zoned_datetime(tz.clone())
            .unwrap()
            .timestamp(),
        _ => jan1,
    };
    let start_minute = anchor.as_second().div_euclid(60) + r.jitter;
    let local_day = tz
        .to_datetime(Timestamp::from_second(start_minute * 60).unwrap())
        .date();
    let holidays: Vec<Holiday> = r
        .holidays
        .iter()
        .map(|&(off, yearly)| {
            let date = local_day.checked_add(jiff::Span::new().days(off)).unwrap();
            // A yearly holiday that started some years earlier.
            let date = if yearly {
                date.with().year(date.year() - 3).build().unwrap_or(date)
            } else {
                date
            };
            Holiday {
                date,
                name: None,
                yearly,
            }
        })
        .collect();
    let mut spec = CalendarSpec {
        zone: zone.into(),
        periods: vec![],
        holidays,
    };
    for &(days, start, len) in &r.periods {
        let start_t = LocalTime::new((start / 60) as u8, (start % 60) as u8).unwrap();
        let end = (start + len) % 1440;
        let end_t = LocalTime::new((end / 60) as u8, (end % 60) as u8).unwrap();
        for day in (0..7).filter(|d| days & (1 << d) != 0) {
            spec.periods
                .push(WeeklyPeriod::new(Weekday::ALL[day], start_t, end_t));
            if BusinessCalendar::new(spec.clone()).is_err() {
                spec.periods.pop();
            }
        }
    }
    (BusinessCalendar::new(spec).unwrap(), tz, start_minute)
}

fn at(minute: i64) -> Timestamp {
    Timestamp::from_second(minute * 60).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fast_arithmetic_matches_minute_by_minute_oracle(r in raw()) {
        let (cal, tz, a) = build(&r);
        let mut oracle = Oracle::new(cal.spec(), &tz);
        prop_assert_eq!(cal.is_open(at(a)), oracle.open(a));

        // One walk from `a` answers all three questions: business minutes in
        // [a, a + span), the first open minute, and the end of the N-th open
        // minute. It gives up three days, or six hours past the span, after `a`
        // (a bounded oracle keeps 100,000 cases fast;
        // spans and amounts are drawn so most answers fall inside it).
        let b = a + r.span;
        let (mut in_span, mut first_open, mut due) = (0i64, None, (r.amount == 0).then_some(a));
        let mut counted = 0;
        let mut m = a;
        let limit = a + (r.span + 360).max(3 * 1440);
        while m < limit && (m < b || first_open.is_none() || due.is_none()) {
            if oracle.open(m) {
                if m < b {
                    in_span += 1;
                }
                first_open.get_or_insert(m);
                counted += 1;
                if counted == r.amount {
                    due.get_or_insert(m + 1);
                }
            }
            m += 1;
        }
        prop_assert_eq!(cal.business_seconds_between(at(a), at(b)), in_span * 60);
        if let Some(first) = first_open {
            prop_assert_eq!(cal.next_open(at(a)), at(first));
        }
        if let Some(due) = due {
            prop_assert_eq!(cal.add_business_minutes(at(a), r.amount), at(due));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Long spans (months to years, across many DST changes and year ends)
    /// are beyond the oracle's reach; there the operations must agree with
    /// each other: adding then measuring gives back the amount, measuring is
    /// additive, and the sum found by adding is the earliest instant.
    #[test]
    fn long_spans_are_consistent(r in raw(), long in 0i64..400_000, split in 0i64..400_000) {
        let (cal, _tz, a) = build(&r);
        let due = cal.add_business_minutes(at(a), long);
        prop_assert_eq!(cal.business_seconds_between(at(a), due), long * 60);
        if long > 0 {
            let just_before = Timestamp::from_second(due.as_second() - 1).unwrap();
            prop_assert_eq!(cal.business_seconds_between(at(a), just_before), long * 60 - 1);
        }
        let b = at(a + split.min(long * 3));
        let c = due.max(b);
        prop_assert_eq!(
            cal.business_seconds_between(at(a), c),
            cal.business_seconds_between(at(a), b) + cal.business_seconds_between(b, c)
        );
    }
}
