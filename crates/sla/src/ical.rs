//! Importing holidays from an iCalendar (RFC 5545) file, as published by
//! public-holiday feeds and exported by calendar programs.
//!
//! Only what a holiday list needs: all-day `VEVENT`s (`DTSTART;VALUE=DATE`),
//! optional `DTEND`/`DURATION` for several days, `SUMMARY` as the name, and
//! `RRULE:FREQ=YEARLY` on the same date (with `COUNT`/`UNTIL` expanded to the
//! dates). Anything that would silently change which days are closed (timed
//! events, other recurrences, `EXDATE`) is refused with the line it is on.

use jiff::civil::Date;

use crate::calendar::{Holiday, civil_from_days, days_from_civil};

/// A refusal, with the (1-based) line of the file it is about.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct IcalError {
    pub line: usize,
    pub message: String,
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, IcalError> {
    Err(IcalError {
        line,
        message: message.into(),
    })
}

/// Longest single event accepted, in days (a holiday "event" longer than a
/// year is almost certainly a mistake).
const MAX_EVENT_DAYS: i64 = 366;
/// Bound on expanding a COUNT/UNTIL rule.
const MAX_YEARS: i64 = 500;

#[derive(Default)]
struct Event {
    line: usize,
    start: Option<Date>,
    end: Option<(Date, usize)>,
    duration_days: Option<i64>,
    summary: Option<String>,
    rule: Option<Rule>,
    cancelled: bool,
}

struct Rule {
    count: Option<u32>,
    until: Option<Date>,
    month: Option<i8>,
    day: Option<i8>,
    line: usize,
}

fn day_number(d: Date) -> i64 {
    days_from_civil(
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    )
}

fn date_of(n: i64) -> Option<Date> {
    let (y, m, d) = civil_from_days(n);
    Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()
}

fn parse_date(value: &str, line: usize, prop: &str) -> Result<Date, IcalError> {
    let v = value.trim();
    if v.contains('T') {
        return err(
            line,
            format!(
                "{prop}: timed events are not holidays; only all-day dates (VALUE=DATE) are supported"
            ),
        );
    }
    let ok = v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit());
    let parsed = ok
        .then(|| {
            Date::new(
                v[..4].parse().ok()?,
                v[4..6].parse().ok()?,
                v[6..].parse().ok()?,
            )
            .ok()
        })
        .flatten();
    match parsed {
        Some(d) => Ok(d),
        None => err(
            line,
            format!("{prop}: invalid date {v:?} (expected YYYYMMDD)"),
        ),
    }
}

fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_duration(v: &str, line: usize) -> Result<i64, IcalError> {
    let bad = || {
        err(
            line,
            format!("DURATION: {v:?} is not a whole number of days or weeks (P1D, P2W)"),
        )
    };
    let Some(body) = v.trim().strip_prefix('P') else {
        return bad();
    };
    let (num, unit) = body.split_at(body.len().saturating_sub(1));
    let Ok(n) = num.parse::<i64>() else {
        return bad();
    };
    match unit {
        "D" => Ok(n),
        "W" => Ok(n * 7),
        _ => bad(),
    }
}

fn parse_rule(v: &str, line: usize) -> Result<Rule, IcalError> {
    let mut rule = Rule {
        count: None,
        until: None,
        month: None,
        day: None,
        line,
    };
    let mut yearly = false;
    for part in v.split(';').filter(|p| !p.is_empty()) {
        let (k, val) = part.split_once('=').unwrap_or((part, ""));
        match k.to_ascii_uppercase().as_str() {
            "FREQ" if val.eq_ignore_ascii_case("YEARLY") => yearly = true,
            "FREQ" => {
                return err(
                    line,
                    format!("RRULE: only FREQ=YEARLY is supported, not {val}"),
                );
            }
            "INTERVAL" if val == "1" => {}
            "INTERVAL" => return err(line, "RRULE: only INTERVAL=1 is supported"),
            "COUNT" => match val.parse() {
                Ok(n) => rule.count = Some(n),
                Err(_) => return err(line, format!("RRULE: invalid COUNT {val:?}")),
            },
            "UNTIL" => {
                let date_part = val.get(..8).unwrap_or(val);
                rule.until = Some(parse_date(date_part, line, "RRULE UNTIL")?);
            }
            "BYMONTH" => match val.parse() {
                Ok(m) => rule.month = Some(m),
                Err(_) => return err(line, format!("RRULE: unsupported BYMONTH {val:?}")),
            },
            "BYMONTHDAY" => match val.parse() {
                Ok(d) => rule.day = Some(d),
                Err(_) => return err(line, format!("RRULE: unsupported BYMONTHDAY {val:?}")),
            },
            "WKST" => {}
            other => {
                return err(
                    line,
                    format!(
                        "RRULE: {other} is not supported (only yearly holidays on a fixed date)"
                    ),
                );
            }
        }
    }
    if !yearly {
        return err(line, "RRULE: FREQ is required");
    }
    Ok(rule)
}

/// Parses the holidays of an iCalendar file. Cancelled events are skipped.
pub fn parse_ical_holidays(text: &str) -> Result<Vec<Holiday>, IcalError> {
    // Unfold continuation lines (a leading space or tab), remembering where
    // each logical line began.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(cont) = raw.strip_prefix([' ', '\t'])
            && let Some(last) = lines.last_mut()
        {
            last.1.push_str(cont);
            continue;
        }
        if !raw.trim().is_empty() {
            lines.push((i + 1, raw.to_owned()));
        }
    }
    match lines.first() {
        Some((_, l)) if l.trim().eq_ignore_ascii_case("BEGIN:VCALENDAR") => {}
        _ => {
            return err(
                1,
                "not an iCalendar file: it must start with BEGIN:VCALENDAR",
            );
        }
    }
    let mut out = Vec::new();
    let mut event: Option<Event> = None;
    // Depth of components nested inside the event (VALARM), whose properties
    // are not the event's.
    let mut nested = 0usize;
    for (line, l) in &lines {
        let line = *line;
        let Some((head, value)) = l.split_once(':') else {
            return err(line, format!("not a property line: {l:?}"));
        };
        // Parameters (VALUE=DATE, TZID…) are not needed: an 8-digit value is
        // a date, anything with a time is refused.
        let name = head.split(';').next().unwrap_or("").to_ascii_uppercase();
        match (name.as_str(), event.as_mut()) {
            ("BEGIN", None) if value.eq_ignore_ascii_case("VEVENT") => {
                event = Some(Event {
                    line,
                    ..Event::default()
                });
            }
            ("BEGIN", Some(_)) => {
                if value.eq_ignore_ascii_case("VEVENT") {
                    return err(line, "VEVENT inside VEVENT");
                }
                nested += 1;
            }
            ("END", Some(_)) if nested > 0 => nested -= 1,
            ("END", Some(_)) if value.eq_ignore_ascii_case("VEVENT") => {
                let e = event.take().expect("matched Some");
                finish(e, &mut out)?;
            }
            (_, Some(_)) if nested > 0 => {}
            ("DTSTART", Some(e)) => e.start = Some(parse_date(value, line, "DTSTART")?),
            ("DTEND", Some(e)) => e.end = Some((parse_date(value, line, "DTEND")?, line)),
            ("DURATION", Some(e)) => e.duration_days = Some(parse_duration(value, line)?),
            ("SUMMARY", Some(e)) => e.summary = Some(unescape(value.trim())),
            ("RRULE", Some(e)) => e.rule = Some(parse_rule(value.trim(), line)?),
            ("STATUS", Some(e)) => e.cancelled = value.trim().eq_ignore_ascii_case("CANCELLED"),
            ("EXDATE" | "RDATE" | "EXRULE", Some(_)) => {
                return err(
                    line,
                    format!("{name} is not supported; list the dates as separate events"),
                );
            }
            _ => {}
        }
    }
    if let Some(e) = event {
        return err(e.line, "VEVENT is not closed by END:VEVENT");
    }
    Ok(out)
}

fn finish(e: Event, out: &mut Vec<Holiday>) -> Result<(), IcalError> {
    if e.cancelled {
        return Ok(());
    }
    let Some(start) = e.start else {
        return err(e.line, "VEVENT without DTSTART");
    };
    let first = day_number(start);
    let days = match (e.end, e.duration_days) {
        (Some((end, line)), _) => {
            let d = day_number(end) - first;
            if d <= 0 {
                return err(line, "DTEND: must be after DTSTART (DTEND is exclusive)");
            }
            d
        }
        (None, Some(d)) if d > 0 => d,
        (None, Some(_)) => return err(e.line, "DURATION: must be at least one day"),
        (None, None) => 1,
    };
    if days > MAX_EVENT_DAYS {
        return err(
            e.line,
            format!("event lasts {days} days; at most {MAX_EVENT_DAYS} are accepted"),
        );
    }
    let name = e.summary.filter(|s| !s.is_empty());
    let push = |out: &mut Vec<Holiday>, from: i64, yearly: bool| {
        for i in 0..days {
            if let Some(date) = date_of(from + i) {
                out.push(Holiday {
                    date,
                    name: name.clone(),
                    yearly,
                });
            }
        }
    };
    let Some(rule) = e.rule else {
        push(out, first, false);
        return Ok(());
    };
    if rule.month.is_some_and(|m| m != start.month()) || rule.day.is_some_and(|d| d != start.day())
    {
        return err(
            rule.line,
            "RRULE: BYMONTH/BYMONTHDAY must match DTSTART's date",
        );
    }
    if rule.count.is_none() && rule.until.is_none() {
        push(out, first, true);
        return Ok(());
    }
    // Bounded rule: expand. Dates that do not exist in a year (29 February)
    // are skipped and not counted, as RFC 5545 says.
    let mut n = 0u32;
    for y in i64::from(start.year())..i64::from(start.year()) + MAX_YEARS {
        if rule.count.is_some_and(|c| n >= c) {
            break;
        }
        let Ok(y16) = i16::try_from(y) else { break };
        let Ok(date) = Date::new(y16, start.month(), start.day()) else {
            continue;
        };
        if rule.until.is_some_and(|u| date > u) {
            break;
        }
        n += 1;
        push(out, day_number(date), false);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::new(y, m, day).unwrap()
    }

    #[test]
    fn parses_all_day_events_rules_and_folding() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\n\
SUMMARY:Christmas\\, both days\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20200101\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:New Y\r\n ear\r\n\
BEGIN:VALARM\r\nTRIGGER:-PT15M\r\nDTSTART:20200101T090000Z\r\nEND:VALARM\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20240229\r\nRRULE:FREQ=YEARLY;COUNT=2\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260501\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";
        let h = parse_ical_holidays(ics).unwrap();
        assert_eq!(
            h,
            vec![
                Holiday {
                    date: d(2026, 12, 25),
                    name: Some("Christmas, both days".into()),
                    yearly: false
                },
                Holiday {
                    date: d(2026, 12, 26),
                    name: Some("Christmas, both days".into()),
                    yearly: false
                },
                Holiday {
                    date: d(2020, 1, 1),
                    name: Some("New Year".into()),
                    yearly: true
                },
                Holiday {
                    date: d(2024, 2, 29),
                    name: None,
                    yearly: false
                },
                Holiday {
                    date: d(2028, 2, 29),
                    name: None,
                    yearly: false
                },
            ]
        );
    }

    #[test]
    fn imported_holidays_close_the_calendar() {
        use crate::calendar::BusinessCalendar;
        let ics = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20201225\nRRULE:FREQ=YEARLY\n\
SUMMARY:Christmas\nEND:VEVENT\nEND:VCALENDAR\n";
        let cal = BusinessCalendar::always_open("Europe/Berlin")
            .unwrap()
            .with_holidays(parse_ical_holidays(ics).unwrap())
            .unwrap();
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        // 2026-12-25 is closed from 00:00 to 24:00 Berlin time (23:00Z to 23:00Z).
        assert!(!cal.is_open(t("2026-12-25T12:00:00Z")));
        assert_eq!(
            cal.next_open(t("2026-12-25T12:00:00Z")),
            t("2026-12-25T23:00:00Z")
        );
        assert!(cal.is_open(t("2026-12-24T22:59:00Z")));
    }

    #[test]
    fn refuses_what_it_cannot_honour_with_the_line() {
        let cases = [
            ("hello", 1, "BEGIN:VCALENDAR"),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261225T090000Z\nEND:VEVENT",
                3,
                "timed",
            ),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2026-12-25\nEND:VEVENT",
                3,
                "invalid date",
            ),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261125\nRRULE:FREQ=YEARLY;BYDAY=4TH\nEND:VEVENT",
                4,
                "BYDAY",
            ),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261125\nRRULE:FREQ=MONTHLY\nEND:VEVENT",
                4,
                "YEARLY",
            ),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT",
                2,
                "DTSTART",
            ),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261125\n",
                2,
                "not closed",
            ),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261125\nDTEND;VALUE=DATE:20261125\nEND:VEVENT",
                4,
                "after DTSTART",
            ),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261125\nEXDATE:20271125\nEND:VEVENT",
                4,
                "EXDATE",
            ),
        ];
        for (text, line, needle) in cases {
            let e = parse_ical_holidays(text).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.message.contains(needle), "{text}: {e}");
        }
    }
}
