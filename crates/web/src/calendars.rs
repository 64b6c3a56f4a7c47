//! Admin: business calendars — time zone, weekly opening hours (split and overnight
//! shifts), holidays (one-off or yearly, added by hand or imported from an iCalendar
//! file) — each calendar one form. The calendar rules in `heard-sla` check every change
//! and name the field at fault, which the page shows next to it.

use crate::WebState;
use crate::admin::{Done, Fields};
use crate::forms::{FormState, field, refusal};
use crate::page::{Chrome, PageError, PageResult, notice_text, render, render_status, see_other};
use crate::policies::store_spec;
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use heard_services::ErrorCode;
use heard_services::ServiceError;
use heard_sla::{BusinessCalendar, CalendarSpec, Holiday, Weekday, WeeklyPeriod};

/// Empty rows offered under a calendar's periods, to add shifts without a script.
const SPARE_ROWS: usize = 2;

pub struct PeriodRow {
    pub index: usize,
    /// Field names: `period-3`, and its `-day`, `-start` and `-end`.
    pub row: String,
    pub day_field: String,
    pub start_field: String,
    pub end_field: String,
    pub day: String,
    pub start: String,
    pub end: String,
}

impl PeriodRow {
    fn blank(index: usize) -> PeriodRow {
        let row = format!("period-{index}");
        PeriodRow {
            index,
            day_field: format!("{row}-day"),
            start_field: format!("{row}-start"),
            end_field: format!("{row}-end"),
            row,
            day: String::new(),
            start: String::new(),
            end: String::new(),
        }
    }
}

pub struct HolidayRow {
    pub date: String,
    pub name: String,
    pub yearly: bool,
}

pub struct CalendarForm {
    pub name: String,
    /// The forms' names on the page (`cal-office`, `ics-office`).
    pub key: String,
    pub ics_key: String,
    pub zone: String,
    pub periods: Vec<PeriodRow>,
    pub holidays: Vec<HolidayRow>,
    pub is_default: bool,
    /// Teams that work to it.
    pub teams: Vec<String>,
    pub policies: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin_calendars.html")]
struct CalendarsPage {
    chrome: Chrome,
    calendars: Vec<CalendarForm>,
    days: Vec<(&'static str, &'static str)>,
    f: FormState,
}

const DAYS: [(&str, &str); 7] = [
    ("monday", "Monday"),
    ("tuesday", "Tuesday"),
    ("wednesday", "Wednesday"),
    ("thursday", "Thursday"),
    ("friday", "Friday"),
    ("saturday", "Saturday"),
    ("sunday", "Sunday"),
];

fn day_name(d: Weekday) -> String {
    DAYS[d.index()].0.to_string()
}

async fn page(s: &WebState, viewer: &Viewer, f: FormState) -> PageResult<CalendarsPage> {
    let spec = s.services.service_levels(&viewer.actor).await?;
    let teams = s.services.list_teams(&viewer.actor).await?;
    let calendars = spec
        .calendars
        .iter()
        .map(|(name, cal)| {
            let c = cal.spec();
            let mut periods: Vec<PeriodRow> = c
                .periods
                .iter()
                .enumerate()
                .map(|(index, p)| PeriodRow {
                    day: day_name(p.day),
                    start: p.start.to_string(),
                    end: p.end.to_string(),
                    ..PeriodRow::blank(index)
                })
                .collect();
            for _ in 0..SPARE_ROWS {
                periods.push(PeriodRow::blank(periods.len()));
            }
            CalendarForm {
                key: format!("cal-{name}"),
                ics_key: format!("ics-{name}"),
                name: name.clone(),
                zone: c.zone.clone(),
                periods,
                holidays: c
                    .holidays
                    .iter()
                    .map(|h| HolidayRow {
                        date: h.date.to_string(),
                        name: h.name.clone().unwrap_or_default(),
                        yearly: h.yearly,
                    })
                    .collect(),
                is_default: *name == spec.default_calendar,
                teams: spec
                    .team_calendars
                    .iter()
                    .filter(|(_, c)| *c == name)
                    .map(|(team, _)| {
                        teams
                            .iter()
                            .find(|t| t.id.to_string() == *team)
                            .map(|t| t.name.clone())
                            .unwrap_or_else(|| format!("team {team}"))
                    })
                    .collect(),
                policies: spec
                    .policies
                    .iter()
                    .filter(|p| p.calendar.as_deref() == Some(name.as_str()))
                    .map(|p| p.name.clone())
                    .collect(),
            }
        })
        .collect();
    Ok(CalendarsPage {
        chrome: viewer.chrome("Calendars and holidays", "admin"),
        calendars,
        days: DAYS.to_vec(),
        f,
    })
}

pub async fn calendars(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<Done>,
) -> PageResult {
    viewer.require_admin()?;
    let mut p = page(&s, &viewer, FormState::default()).await?;
    p.chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&p))
}

async fn refused(s: &WebState, viewer: &Viewer, f: FormState) -> PageResult {
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(s, viewer, f).await?,
    ))
}

fn calendar_name(raw: &str) -> Option<String> {
    let n = raw.trim().to_lowercase();
    let ok = !n.is_empty()
        && n.len() <= 50
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(n)
}

/// Adds a calendar: office hours Monday to Friday, 09:00–17:00, in the chosen zone.
pub async fn add_calendar(
    State(s): State<WebState>,
    viewer: Viewer,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    let mut f = FormState::new("new-calendar", &v);
    let name = calendar_name(field(&v, "name"));
    let mut spec = s.services.service_levels(&viewer.actor).await?;
    match &name {
        None => f.refuse(
            "name",
            "a calendar's name has 1 to 50 letters, digits, - or _",
        ),
        Some(n) if spec.calendars.contains_key(n) => {
            f.refuse("name", "there is already a calendar by that name")
        }
        _ => {}
    }
    let hours = |d| {
        WeeklyPeriod::new(
            d,
            "09:00".parse().expect("a time"),
            "17:00".parse().expect("a time"),
        )
    };
    let cal = BusinessCalendar::new(CalendarSpec {
        zone: field(&v, "zone").to_string(),
        periods: Weekday::ALL[..5].iter().map(|&d| hours(d)).collect(),
        holidays: Vec::new(),
    });
    let cal = match cal {
        Ok(c) => Some(c),
        Err(e) => {
            f.refuse(
                "zone",
                format!("{e}: use an IANA zone such as Europe/Berlin"),
            );
            None
        }
    };
    if let (Some(name), Some(cal), false) = (name, cal, f.is_refused()) {
        spec.calendars.insert(name.clone(), cal);
        if store_spec(&s, &viewer, &spec, &mut f).await? {
            return Ok(see_other(
                &format!("/admin/calendars#cal-{name}"),
                "calendar",
            ));
        }
    }
    refused(&s, &viewer, f).await
}

/// Saves one calendar: its zone, the weekly periods (blank rows are dropped), the
/// holidays kept, and a new holiday if one was entered.
pub async fn save_calendar(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    let mut spec = s.services.service_levels(&viewer.actor).await?;
    let Some(current) = spec.calendars.get(&name) else {
        return Err(PageError::from(ServiceError::not_found(
            "calendar",
            ErrorCode::CalendarNotFound,
        )));
    };
    let mut f = FormState::new(format!("cal-{name}"), &v);
    // Periods: rows period-N-day/start/end; which row each kept period came from.
    let rows = current.spec().periods.len() + SPARE_ROWS;
    let mut periods = Vec::new();
    let mut row_of = Vec::new();
    for i in 0..rows {
        let (day, start, end) = (
            field(&v, &format!("period-{i}-day")),
            field(&v, &format!("period-{i}-start")),
            field(&v, &format!("period-{i}-end")),
        );
        if day.is_empty() && start.is_empty() && end.is_empty() {
            continue;
        }
        let day = DAYS
            .iter()
            .position(|d| d.0 == day)
            .map(|d| Weekday::ALL[d]);
        let start_t = start.parse();
        let end_t = end.parse();
        match (day, start_t, end_t) {
            (Some(d), Ok(s), Ok(e)) => {
                periods.push(WeeklyPeriod::new(d, s, e));
                row_of.push(i);
            }
            (None, _, _) => f.refuse(&format!("period-{i}"), "choose a day"),
            (_, Err(_), _) => f.refuse(&format!("period-{i}"), "the start is a time such as 09:00"),
            (_, _, Err(_)) => f.refuse(&format!("period-{i}"), "the end is a time such as 17:30"),
        }
    }
    let mut holidays: Vec<Holiday> = current
        .spec()
        .holidays
        .iter()
        .filter(|h| {
            !v.iter()
                .any(|(k, d)| k == "drop-holiday" && *d == h.date.to_string())
        })
        .cloned()
        .collect();
    let new_date = field(&v, "holiday-date");
    if !new_date.is_empty() {
        match new_date.parse::<jiff::civil::Date>() {
            Ok(date) => {
                let name = field(&v, "holiday-name");
                holidays.push(Holiday {
                    date,
                    name: (!name.is_empty()).then(|| name.chars().take(200).collect()),
                    yearly: field(&v, "holiday-yearly") == "1",
                });
            }
            Err(_) => f.refuse("holiday-date", "a date such as 2026-12-25"),
        }
    }
    if !f.is_refused() {
        let checked = BusinessCalendar::new(CalendarSpec {
            zone: field(&v, "zone").to_string(),
            periods,
            holidays,
        });
        match checked {
            Ok(cal) => {
                spec.calendars.insert(name.clone(), cal);
                if store_spec(&s, &viewer, &spec, &mut f).await? {
                    return Ok(see_other(
                        &format!("/admin/calendars#cal-{name}"),
                        "calendar",
                    ));
                }
            }
            Err(e) => {
                // "periods[2]" is the third period kept, which came from some form row.
                let at = e.field();
                let place = match at
                    .strip_prefix("periods[")
                    .and_then(|r| r.strip_suffix(']'))
                {
                    Some(i) => i
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| row_of.get(i))
                        .map(|row| format!("period-{row}"))
                        .unwrap_or_else(|| "periods".into()),
                    None => at,
                };
                f.refuse(&place, e.to_string());
            }
        }
    }
    refused(&s, &viewer, f).await
}

/// Imports the all-day events of a pasted iCalendar file as holidays of a calendar.
pub async fn import_holidays(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    match s
        .services
        .import_holidays(&viewer.actor, &name, field(&v, "ics"))
        .await
    {
        Ok(_) => Ok(see_other(
            &format!("/admin/calendars#cal-{name}"),
            "holidays",
        )),
        Err(e) => {
            let f = refusal(format!("ics-{name}"), &v, e, &[("body", "ics")])?;
            refused(&s, &viewer, f).await
        }
    }
}
