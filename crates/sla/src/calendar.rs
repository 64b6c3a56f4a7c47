//! Business calendars and business-time arithmetic.
//!
//! A calendar is open at an instant when the instant's *local wall-clock time*
//! in the calendar's zone falls inside one of the weekly periods and the
//! instant's local date is not a holiday. Business time is the real (UTC)
//! time during which the calendar is open, so on the night clocks go forward a
//! 01:00–04:00 period is two real hours long and on the night they go back it
//! is four: exactly the time people actually work.
//!
//! The arithmetic walks the timeline one constant-offset segment and one local
//! day at a time (never minute by minute), so its cost grows with the number of
//! days spanned and periods per day, not with the number of minutes.

use std::fmt;
use std::ops::ControlFlow;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

const DAY: i64 = 86_400;
const WEEK_MINUTES: u32 = 7 * 1440;

/// A day of the week, serialized in lower case (`"monday"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    /// All days, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    /// Monday = 0 … Sunday = 6.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The weekday of a civil date.
    pub fn of(date: Date) -> Weekday {
        Weekday::ALL[date.weekday().to_monday_zero_offset() as usize]
    }
}

/// A local time of day with minute resolution, `"HH:MM"` in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime(u16);

impl LocalTime {
    /// Midnight, `00:00`.
    pub const MIDNIGHT: LocalTime = LocalTime(0);

    /// A time from hour (0–23) and minute (0–59).
    pub fn new(hour: u8, minute: u8) -> Option<LocalTime> {
        (hour < 24 && minute < 60).then(|| LocalTime(u16::from(hour) * 60 + u16::from(minute)))
    }

    /// Minutes since local midnight.
    pub fn minutes(self) -> u32 {
        u32::from(self.0)
    }
}

impl FromStr for LocalTime {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid local time {s:?} (expected HH:MM, 00:00 to 23:59)");
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u8 = h.parse().map_err(|_| bad())?;
        let m: u8 = m.parse().map_err(|_| bad())?;
        LocalTime::new(h, m).ok_or_else(bad)
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for LocalTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A weekly opening period. It starts on `day` at `start`; when `end <= start`
/// it ends on the following day (an overnight shift), and `end == start` means
/// a full 24 hours (`00:00`–`00:00` is a whole day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyPeriod {
    pub day: Weekday,
    pub start: LocalTime,
    pub end: LocalTime,
}

impl WeeklyPeriod {
    /// A period; panics never, validation happens when the calendar is built.
    pub fn new(day: Weekday, start: LocalTime, end: LocalTime) -> WeeklyPeriod {
        WeeklyPeriod { day, start, end }
    }

    /// Length in local minutes (1..=1440).
    pub fn length_minutes(&self) -> u32 {
        let (s, e) = (self.start.minutes(), self.end.minutes());
        if e > s { e - s } else { e + 1440 - s }
    }

    /// Start and end as minutes of the week (Monday 00:00 = 0); the end may
    /// exceed one week when a Sunday period runs past midnight.
    fn week_range(&self) -> (u32, u32) {
        let s = self.day.index() as u32 * 1440 + self.start.minutes();
        (s, s + self.length_minutes())
    }
}

/// A local date on which the calendar is closed all day (00:00 to 24:00 local,
/// which also closes the after-midnight part of an overnight shift).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Repeats every year on the same month and day from `date`'s year on
    /// (29 February then only falls in leap years).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub yearly: bool,
}

impl Holiday {
    /// A one-off holiday.
    pub fn on(date: Date, name: Option<&str>) -> Holiday {
        Holiday {
            date,
            name: name.map(str::to_owned),
            yearly: false,
        }
    }
}

/// The stored form of a calendar: what an admin edits and what is kept as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarSpec {
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub zone: String,
    pub periods: Vec<WeeklyPeriod>,
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

/// Why a calendar was refused; [`CalendarError::field`] names the offending
/// field for the `{"error": {"field": …}}` body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown IANA time zone {0:?}")]
    UnknownZone(String),
    #[error("a calendar needs at least one weekly period")]
    NoPeriods,
    #[error("periods[{index}] overlaps periods[{other}]")]
    Overlap { index: usize, other: usize },
    #[error("yearly holidays close every day of the year, so the calendar is never open")]
    NeverOpen,
}

impl CalendarError {
    /// The JSON path of the field at fault.
    pub fn field(&self) -> String {
        match self {
            CalendarError::UnknownZone(_) => "zone".into(),
            CalendarError::NoPeriods => "periods".into(),
            CalendarError::Overlap { index, .. } => format!("periods[{index}]"),
            CalendarError::NeverOpen => "holidays".into(),
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::UnknownZone(_) => "unknown_time_zone",
            CalendarError::NoPeriods => "no_periods",
            CalendarError::Overlap { .. } => "overlapping_periods",
            CalendarError::NeverOpen => "never_open",
        }
    }
}

/// A validated business calendar. Build it with [`BusinessCalendar::new`] or
/// deserialize a [`CalendarSpec`] (validation runs on deserialization too).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "CalendarSpec", into = "CalendarSpec")]
pub struct BusinessCalendar {
    spec: CalendarSpec,
    tz: TimeZone,
    /// Per weekday (Monday first): (start, end) in seconds from that day's
    /// local midnight, sorted by start; end may pass midnight.
    by_day: [Vec<(i64, i64)>; 7],
    /// One-off holidays as day numbers (days since 1970-01-01), sorted.
    holidays: Vec<i64>,
    /// Yearly holidays as (month, day, first year).
    yearly: Vec<(i8, i8, i16)>,
    /// The zone's offset changes, looked up once: asking jiff on every walk
    /// was most of the cost of a ticket's clocks.
    /// Built on first use, so validating or deserializing stays cheap.
    transitions: Arc<OnceLock<Transitions>>,
}

/// A zone's UTC offsets over `[from, until)` as a sorted table.
#[derive(Debug)]
struct Transitions {
    from: i64,
    until: i64,
    /// Offset in force at `from`.
    first_offset: i64,
    /// (instant of change, offset from then on), sorted.
    changes: Vec<(i64, i64)>,
}

/// The table spans from this long before its first use …
const TABLE_BEFORE: i64 = 10 * 366 * DAY;
/// … to this long after: a few dozen transitions, cheap to build, covering
/// any ticket's life. Outside it the arithmetic asks jiff directly.
const TABLE_AFTER: i64 = 20 * 366 * DAY;

impl Transitions {
    fn new(tz: &TimeZone, around: i64) -> Transitions {
        let from = around.saturating_sub(TABLE_BEFORE).max(min_secs());
        let until = around.saturating_add(TABLE_AFTER).min(max_secs());
        let first_offset = i64::from(tz.to_offset(ts(from)).seconds());
        let changes = tz
            .following(ts(from))
            .map(|t| (secs(t.timestamp()), i64::from(t.offset().seconds())))
            .take_while(|&(at, _)| at < until)
            .collect();
        Transitions {
            from,
            until,
            first_offset,
            changes,
        }
    }

    /// Offset at `at` and the next change after it, if `at` is in the table.
    fn segment(&self, at: i64) -> Option<(i64, i64)> {
        if !(self.from..self.until).contains(&at) {
            return None;
        }
        let i = self.changes.partition_point(|&(t, _)| t <= at);
        let off = if i == 0 {
            self.first_offset
        } else {
            self.changes[i - 1].1
        };
        let next = self.changes.get(i).map_or(self.until, |&(t, _)| t);
        Some((off, next))
    }
}

impl PartialEq for BusinessCalendar {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

impl TryFrom<CalendarSpec> for BusinessCalendar {
    type Error = CalendarError;
    fn try_from(spec: CalendarSpec) -> Result<Self, Self::Error> {
        BusinessCalendar::new(spec)
    }
}

impl From<BusinessCalendar> for CalendarSpec {
    fn from(c: BusinessCalendar) -> Self {
        c.spec
    }
}

/// The range of instants jiff can represent, in Unix seconds.
fn min_secs() -> i64 {
    Timestamp::MIN.as_second() + 2 * DAY
}
fn max_secs() -> i64 {
    Timestamp::MAX.as_second() - 2 * DAY
}

/// Whole Unix seconds of an instant, rounding down (sub-second parts are
/// dropped: business time has one-second resolution).
pub(crate) fn secs(t: Timestamp) -> i64 {
    let s = t.as_second();
    if t.subsec_nanosecond() < 0 { s - 1 } else { s }
}

pub(crate) fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(s.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second()))
        .expect("clamped into jiff's range")
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`), kept integer-only for the hot loop.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: (year, month, day).
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn day_number(date: Date) -> i64 {
    days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    )
}

/// Monday = 0 for a day number (1970-01-01 was a Thursday).
fn weekday_index(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

impl BusinessCalendar {
    /// Validates a spec: the zone must exist, there must be at least one
    /// period, periods must not overlap (overnight ones included, wrapping from
    /// Sunday into Monday), and yearly holidays must leave some day open.
    pub fn new(spec: CalendarSpec) -> Result<BusinessCalendar, CalendarError> {
        let tz =
            TimeZone::get(&spec.zone).map_err(|_| CalendarError::UnknownZone(spec.zone.clone()))?;
        if spec.periods.is_empty() {
            return Err(CalendarError::NoPeriods);
        }
        // Overlap check on the weekly circle; a handful of periods, so pairwise.
        let covers = |p: &WeeklyPeriod, q: &WeeklyPeriod| {
            let (a0, a1) = p.week_range();
            let (b0, b1) = q.week_range();
            // Compare q shifted by -1, 0, +1 weeks to handle the wrap.
            [-(WEEK_MINUTES as i64), 0, WEEK_MINUTES as i64]
                .iter()
                .any(|&sh| {
                    let (b0, b1) = (i64::from(b0) + sh, i64::from(b1) + sh);
                    i64::from(a0) < b1 && b0 < i64::from(a1)
                })
        };
        for (i, p) in spec.periods.iter().enumerate() {
            for (j, q) in spec.periods.iter().enumerate().take(i) {
                if covers(p, q) {
                    return Err(CalendarError::Overlap { index: i, other: j });
                }
            }
        }
        let mut by_day: [Vec<(i64, i64)>; 7] = Default::default();
        for p in &spec.periods {
            let s = i64::from(p.start.minutes()) * 60;
            by_day[p.day.index()].push((s, s + i64::from(p.length_minutes()) * 60));
        }
        for d in &mut by_day {
            d.sort_unstable();
        }
        let mut holidays: Vec<i64> = spec
            .holidays
            .iter()
            .filter(|h| !h.yearly)
            .map(|h| day_number(h.date))
            .collect();
        holidays.sort_unstable();
        holidays.dedup();
        let mut yearly: Vec<(i8, i8, i16)> = spec
            .holidays
            .iter()
            .filter(|h| h.yearly)
            .map(|h| (h.date.month(), h.date.day(), h.date.year()))
            .collect();
        yearly.sort_unstable();
        yearly.dedup();
        let mut month_days: Vec<(i8, i8)> = yearly.iter().map(|&(m, d, _)| (m, d)).collect();
        month_days.dedup();
        // 365 distinct month-days close every common year; dates move across
        // weekdays year by year, so anything less leaves open time eventually.
        if month_days.len() >= 365 {
            return Err(CalendarError::NeverOpen);
        }
        let transitions = Arc::new(OnceLock::new());
        Ok(BusinessCalendar {
            spec,
            tz,
            transitions,
            by_day,
            holidays,
            yearly,
        })
    }

    /// A calendar open around the clock in `zone` (for "calendar hours" policies).
    pub fn always_open(zone: &str) -> Result<BusinessCalendar, CalendarError> {
        BusinessCalendar::new(CalendarSpec {
            zone: zone.to_owned(),
            periods: Weekday::ALL
                .iter()
                .map(|&d| WeeklyPeriod::new(d, LocalTime::MIDNIGHT, LocalTime::MIDNIGHT))
                .collect(),
            holidays: vec![],
        })
    }

    /// The stored form.
    pub fn spec(&self) -> &CalendarSpec {
        &self.spec
    }

    /// The IANA zone name.
    pub fn zone(&self) -> &str {
        &self.spec.zone
    }

    /// The resolved time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// A copy with more holidays (e.g. from [`crate::parse_ical_holidays`]).
    pub fn with_holidays(
        &self,
        extra: impl IntoIterator<Item = Holiday>,
    ) -> Result<BusinessCalendar, CalendarError> {
        let mut spec = self.spec.clone();
        spec.holidays.extend(extra);
        BusinessCalendar::new(spec)
    }

    /// Is the local date of this day number a holiday?
    fn is_holiday(&self, day: i64) -> bool {
        if self.holidays.binary_search(&day).is_ok() {
            return true;
        }
        if self.yearly.is_empty() {
            return false;
        }
        let (y, m, d) = civil_from_days(day);
        self.yearly
            .iter()
            .any(|&(hm, hd, from)| i64::from(hm) == m && i64::from(hd) == d && y >= i64::from(from))
    }

    /// The UTC offset in force at `at` and the next instant the offset may
    /// change (a transition), both in Unix seconds.
    fn segment(&self, at: i64) -> (i64, i64) {
        let table = self
            .transitions
            .get_or_init(|| Transitions::new(&self.tz, at));
        if let Some(seg) = table.segment(at) {
            return seg;
        }
        let t = ts(at);
        let off = i64::from(self.tz.to_offset(t).seconds());
        let next = self
            .tz
            .following(t)
            .next()
            .map(|tr| secs(tr.timestamp()))
            .unwrap_or(i64::MAX);
        (off, next.max(at + 1))
    }

    /// Calls `f(start, end)` for each open interval (Unix seconds, half open)
    /// that meets `[from, until)`, clipped to it, in increasing order, until
    /// `f` breaks. Touching intervals may be reported separately.
    fn walk(&self, from: i64, until: i64, mut f: impl FnMut(i64, i64) -> ControlFlow<()>) {
        let until = until.min(max_secs());
        let mut cur = from.max(min_secs());
        while cur < until {
            let (off, seg_end) = self.segment(cur);
            let seg_end = seg_end.min(until);
            let local_to = seg_end + off;
            // Start a day early: yesterday's overnight shift may still run.
            let mut day = (cur + off).div_euclid(DAY) - 1;
            loop {
                let day_start = day * DAY;
                if day_start >= local_to {
                    break;
                }
                let periods = &self.by_day[weekday_index(day)];
                if !periods.is_empty() {
                    let holiday = self.is_holiday(day);
                    for &(ps, pe) in periods {
                        let (mut s, mut e) = (day_start + ps, day_start + pe);
                        if e > day_start + DAY {
                            if holiday {
                                // Only the part after midnight may be open.
                                s = day_start + DAY;
                            }
                            if self.is_holiday(day + 1) {
                                e = e.min(day_start + DAY);
                            }
                        } else if holiday {
                            continue;
                        }
                        let (is, ie) = ((s - off).max(cur), (e - off).min(seg_end));
                        if is < ie && f(is, ie).is_break() {
                            return;
                        }
                    }
                }
                day += 1;
            }
            cur = seg_end;
        }
    }

    /// Business seconds in `[from, to)`; 0 when `to <= from`.
    pub(crate) fn between_secs(&self, from: i64, to: i64) -> i64 {
        let mut total = 0;
        if to > from {
            self.walk(from, to, |s, e| {
                total += e - s;
                ControlFlow::Continue(())
            });
        }
        total
    }

    /// The earliest instant at which `amount` business seconds have passed
    /// since `from` (`from` itself when `amount <= 0`).
    pub(crate) fn add_secs(&self, from: i64, amount: i64) -> i64 {
        if amount <= 0 {
            return from;
        }
        let mut left = amount;
        let mut out = max_secs();
        self.walk(from, i64::MAX, |s, e| {
            if e - s >= left {
                out = s + left;
                ControlFlow::Break(())
            } else {
                left -= e - s;
                ControlFlow::Continue(())
            }
        });
        out
    }

    fn next_open_secs(&self, from: i64) -> i64 {
        let mut out = max_secs();
        self.walk(from, i64::MAX, |s, _| {
            out = s;
            ControlFlow::Break(())
        });
        out
    }

    /// Is the calendar open at this instant?
    pub fn is_open(&self, at: Timestamp) -> bool {
        let s = secs(at);
        self.between_secs(s, s + 1) > 0
    }

    /// The first instant at or after `at` when the calendar is open.
    pub fn next_open(&self, at: Timestamp) -> Timestamp {
        ts(self.next_open_secs(secs(at)))
    }

    /// The earliest instant when `minutes` business minutes have passed since
    /// `start`. The answer can be the closing instant of a period (a target
    /// due "at 17:00 Friday"), never the next opening after it. Saturates at
    /// the end of jiff's range.
    pub fn add_business_minutes(&self, start: Timestamp, minutes: i64) -> Timestamp {
        ts(self.add_secs(secs(start), minutes.saturating_mul(60)))
    }

    /// Like [`Self::add_business_minutes`] with second resolution.
    pub fn add_business_seconds(&self, start: Timestamp, seconds: i64) -> Timestamp {
        ts(self.add_secs(secs(start), seconds))
    }

    /// Whole business minutes in `[from, to)` (rounded down); 0 when `to <= from`.
    pub fn business_minutes_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        self.between_secs(secs(from), secs(to)) / 60
    }

    /// Business seconds in `[from, to)`; 0 when `to <= from`.
    pub fn business_seconds_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        self.between_secs(secs(from), secs(to))
    }

    /// The open intervals meeting `[from, until)`, clipped to it, with touching
    /// intervals merged: what an agent screen shows as "open hours".
    pub fn open_intervals(&self, from: Timestamp, until: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        let mut out: Vec<(i64, i64)> = Vec::new();
        self.walk(secs(from), secs(until), |s, e| {
            match out.last_mut() {
                Some(last) if last.1 == s => last.1 = e,
                _ => out.push((s, e)),
            }
            ControlFlow::Continue(())
        });
        out.into_iter().map(|(s, e)| (ts(s), ts(e))).collect()
    }
}

/// An instant as a customer in `zone` reads it, e.g. `Thu 26 Nov 2026, 15:00
/// CET`: customers may carry their own zone, and a promise is only a promise
/// if it is stated in their local time.
pub fn customer_local_time(at: Timestamp, zone: &str) -> Result<String, CalendarError> {
    let tz = TimeZone::get(zone).map_err(|_| CalendarError::UnknownZone(zone.to_owned()))?;
    Ok(at
        .to_zoned_datetime(tz)
        .strftime("%a %-d %b %Y, %H:%M %Z")
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn hhmm(s: &str) -> LocalTime {
        s.parse().unwrap()
    }

    fn weekdays(zone: &str, start: &str, end: &str) -> BusinessCalendar {
        BusinessCalendar::new(CalendarSpec {
            zone: zone.into(),
            periods: Weekday::ALL[..5]
                .iter()
                .map(|&d| WeeklyPeriod::new(d, hhmm(start), hhmm(end)))
                .collect(),
            holidays: vec![],
        })
        .unwrap()
    }

    #[test]
    fn states_a_due_time_in_the_customers_zone() {
        let due = t("2026-11-26T14:00:00Z");
        assert_eq!(
            customer_local_time(due, "Europe/Paris").unwrap(),
            "Thu 26 Nov 2026, 15:00 CET"
        );
        assert_eq!(
            customer_local_time(due, "Asia/Kathmandu").unwrap(),
            "Thu 26 Nov 2026, 19:45 +0545"
        );
        assert_eq!(
            customer_local_time(due, "Atlantis").unwrap_err().field(),
            "zone"
        );
    }

    #[test]
    fn civil_day_numbers_match_jiff() {
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (2024, 12, 31),
            (1969, 12, 31),
            (2100, 3, 1),
        ] {
            let date = Date::new(y, m, d).unwrap();
            let n = day_number(date);
            assert_eq!(
                civil_from_days(n),
                (i64::from(y), i64::from(m), i64::from(d))
            );
            assert_eq!(weekday_index(n), Weekday::of(date).index());
        }
    }

    #[test]
    fn local_time_parses_and_prints() {
        assert_eq!(hhmm("09:30").minutes(), 570);
        assert_eq!(hhmm("23:59").to_string(), "23:59");
        for bad in ["24:00", "9:00", "09:60", "0900", "ab:cd", ""] {
            assert!(bad.parse::<LocalTime>().is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_bad_specs_naming_the_field() {
        let err = BusinessCalendar::new(CalendarSpec {
            zone: "Mars/Olympus".into(),
            periods: vec![],
            holidays: vec![],
        })
        .unwrap_err();
        assert_eq!(err.field(), "zone");
        let err = BusinessCalendar::new(CalendarSpec {
            zone: "UTC".into(),
            periods: vec![],
            holidays: vec![],
        })
        .unwrap_err();
        assert_eq!(err.field(), "periods");
        // Sunday night shift into Monday overlaps Monday's early shift.
        let err = BusinessCalendar::new(CalendarSpec {
            zone: "UTC".into(),
            periods: vec![
                WeeklyPeriod::new(Weekday::Monday, hhmm("05:00"), hhmm("09:00")),
                WeeklyPeriod::new(Weekday::Sunday, hhmm("22:00"), hhmm("06:00")),
            ],
            holidays: vec![],
        })
        .unwrap_err();
        assert_eq!(err, CalendarError::Overlap { index: 1, other: 0 });
        assert_eq!(err.field(), "periods[1]");
        // Touching periods are fine (a lunch break is two periods).
        BusinessCalendar::new(CalendarSpec {
            zone: "UTC".into(),
            periods: vec![
                WeeklyPeriod::new(Weekday::Monday, hhmm("09:00"), hhmm("12:00")),
                WeeklyPeriod::new(Weekday::Monday, hhmm("12:00"), hhmm("13:00")),
            ],
            holidays: vec![],
        })
        .unwrap();
    }

    #[test]
    fn serde_round_trip_validates() {
        let json = r#"{"zone":"Europe/Berlin","periods":[{"day":"monday","start":"09:00","end":"17:00"}],
                       "holidays":[{"date":"2026-12-25","name":"Christmas","yearly":true}]}"#;
        let cal: BusinessCalendar = serde_json::from_str(json).unwrap();
        let back = serde_json::to_string(&cal).unwrap();
        let again: BusinessCalendar = serde_json::from_str(&back).unwrap();
        assert_eq!(cal, again);
        let bad = r#"{"zone":"Nowhere/Land","periods":[]}"#;
        assert!(serde_json::from_str::<BusinessCalendar>(bad).is_err());
    }

    #[test]
    fn adds_across_a_weekend() {
        let cal = weekdays("Europe/Berlin", "09:00", "17:00");
        // Friday 2026-11-20 16:00 CET + 2h business → Monday 10:00 CET.
        let due = cal.add_business_minutes(t("2026-11-20T15:00:00Z"), 120);
        assert_eq!(due, t("2026-11-23T09:00:00Z"));
        assert_eq!(
            cal.business_minutes_between(t("2026-11-20T15:00:00Z"), due),
            120
        );
        // Due exactly at closing time, not at the next opening.
        assert_eq!(
            cal.add_business_minutes(t("2026-11-20T15:00:00Z"), 60),
            t("2026-11-20T16:00:00Z")
        );
        assert_eq!(
            cal.next_open(t("2026-11-21T12:00:00Z")),
            t("2026-11-23T08:00:00Z")
        );
        assert!(!cal.is_open(t("2026-11-21T12:00:00Z")));
        assert!(cal.is_open(t("2026-11-23T08:00:00Z")));
    }

    #[test]
    fn spring_forward_shortens_a_night_shift() {
        // Berlin 2026-03-29 02:00 → 03:00. A Saturday 22:00–06:00 shift lasts
        // 7 real hours that night.
        let cal = BusinessCalendar::new(CalendarSpec {
            zone: "Europe/Berlin".into(),
            periods: vec![WeeklyPeriod::new(
                Weekday::Saturday,
                hhmm("22:00"),
                hhmm("06:00"),
            )],
            holidays: vec![],
        })
        .unwrap();
        let from = t("2026-03-28T12:00:00Z");
        let to = t("2026-03-29T12:00:00Z");
        assert_eq!(cal.business_minutes_between(from, to), 7 * 60);
        // Fall back (2026-10-25 03:00 → 02:00): nine real hours.
        assert_eq!(
            cal.business_minutes_between(t("2026-10-24T12:00:00Z"), t("2026-10-25T12:00:00Z")),
            9 * 60
        );
    }

    #[test]
    fn new_york_early_sunday_shift_across_both_changes() {
        let cal = BusinessCalendar::new(CalendarSpec {
            zone: "America/New_York".into(),
            periods: vec![WeeklyPeriod::new(
                Weekday::Sunday,
                hhmm("01:00"),
                hhmm("03:00"),
            )],
            holidays: vec![],
        })
        .unwrap();
        let day = |d: &str| (t(&format!("{d}T00:00:00Z")), t(&format!("{d}T23:59:00Z")));
        // 2026-03-08: 02:00 → 03:00, the shift is one real hour.
        let (a, b) = day("2026-03-08");
        assert_eq!(cal.business_minutes_between(a, b), 60);
        // 2026-11-01: 02:00 → 01:00, 01:00–02:00 happens twice: three hours.
        let (a, b) = day("2026-11-01");
        assert_eq!(cal.business_minutes_between(a, b), 180);
        assert_eq!(
            cal.add_business_minutes(t("2026-11-01T05:00:00Z"), 120),
            t("2026-11-01T07:00:00Z")
        );
    }

    #[test]
    fn lord_howe_half_hour_shift() {
        // Lord Howe moves from +10:30 to +11:00 at 02:00 local on 2026-10-04.
        let cal = BusinessCalendar::new(CalendarSpec {
            zone: "Australia/Lord_Howe".into(),
            periods: vec![WeeklyPeriod::new(
                Weekday::Sunday,
                hhmm("01:00"),
                hhmm("04:00"),
            )],
            holidays: vec![],
        })
        .unwrap();
        let from = t("2026-10-03T00:00:00Z");
        let to = t("2026-10-05T00:00:00Z");
        assert_eq!(cal.business_minutes_between(from, to), 150);
    }

    #[test]
    fn holidays_close_whole_local_days_and_year_ends() {
        let mut cal = weekdays("America/New_York", "09:00", "17:00");
        cal = cal
            .with_holidays([
                Holiday::on(Date::new(2026, 12, 31).unwrap(), Some("New Year's Eve")),
                Holiday {
                    date: Date::new(2000, 1, 1).unwrap(),
                    name: None,
                    yearly: true,
                },
            ])
            .unwrap();
        // Wed 2026-12-30 16:00 EST + 3h → Thu 31 and Fri 1 closed → Mon 2027-01-04 11:00.
        let due = cal.add_business_minutes(t("2026-12-30T21:00:00Z"), 180);
        assert_eq!(due, t("2027-01-04T16:00:00Z"));
    }

    #[test]
    fn transition_table_agrees_with_jiff() {
        for zone in [
            "Europe/Berlin",
            "Australia/Lord_Howe",
            "Pacific/Apia",
            "UTC",
            "America/Santiago",
        ] {
            let cal = BusinessCalendar::always_open(zone).unwrap();
            let table = Transitions::new(&cal.tz, 1_300_000_000);
            let mut at = table.from;
            while at < table.until {
                let (off, next) = table.segment(at).unwrap();
                assert_eq!(
                    off,
                    i64::from(cal.tz.to_offset(ts(at)).seconds()),
                    "{zone} {at}"
                );
                let jiff_next = cal
                    .tz
                    .following(ts(at))
                    .next()
                    .map_or(table.until, |t| secs(t.timestamp()));
                assert_eq!(next, jiff_next.min(table.until), "{zone} {at}");
                at += 86_400 + 3_613;
            }
        }
    }

    #[test]
    fn apia_skipped_a_whole_day() {
        // Samoa jumped from 2011-12-29 23:59 to 2011-12-31 00:00.
        let cal = BusinessCalendar::always_open("Pacific/Apia").unwrap();
        let a = t("2011-12-29T00:00:00Z");
        let b = t("2011-12-31T00:00:00Z");
        assert_eq!(cal.business_minutes_between(a, b), 2 * 1440);
    }
}
