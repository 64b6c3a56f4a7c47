//! The supervisor's dashboard: queues at a glance, promises at risk and breached, upset
//! customers waiting, agents' load, presence, breaks and hard conversations this shift,
//! and charts drawn on the server as SVG.

use crate::WebState;
use crate::agent::open_cards;
use crate::cards::{Card, sort_queue};
use crate::page::{Chrome, PageResult, notice_text, render};
use crate::session::Viewer;
use askama::Template;
use axum::extract::{Query, State};
use heard_services::reports::{Period, Trends};
use serde::Deserialize;

pub struct TeamRow {
    pub name: String,
    pub open: usize,
    pub unassigned: usize,
    pub upset: usize,
    pub at_risk: usize,
    pub breached: usize,
}

pub struct AgentLoad {
    pub name: String,
    pub role: String,
    pub tier: String,
    pub open: usize,
    pub capacity: i64,
    pub upset: usize,
    pub over: bool,
}

/// A bar chart drawn on the server (stacked when it has several series): no script, and
/// readable by screen readers through its table of figures.
pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub summary: String,
    pub width: i64,
    pub height: i64,
    /// The top of the scale, e.g. "100%" or "12".
    pub scale_top: String,
    /// Named series with their colour class, when there are several (the legend).
    pub legend: Vec<(String, String)>,
    pub segments: Vec<Segment>,
    pub ticks: Vec<Tick>,
    /// The table: the period's header, a header per column after it, and a row per period.
    pub period_header: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

pub struct Segment {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
    pub class: String,
    pub title: String,
}

/// A period's label under its bar and the figure above it.
pub struct Tick {
    pub x: i64,
    pub label: String,
    pub top: i64,
    pub value: String,
}

const PLOT_TOP: i64 = 16;
const PLOT_H: i64 = 130;
const SERIES: usize = 6;

impl Chart {
    /// `bars`: per period, its label, the value of each series and the figure printed
    /// above the bar. `max`: the top of the scale (the tallest bar when `None`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn stacked(
        id: &'static str,
        title: &str,
        summary: String,
        series: &[String],
        bars: Vec<(String, Vec<i64>, String)>,
        max: Option<i64>,
        scale_suffix: &str,
        columns: Vec<String>,
        rows: Vec<(String, Vec<String>)>,
    ) -> Chart {
        let width = 560;
        let tallest = bars
            .iter()
            .map(|b| b.1.iter().sum::<i64>())
            .max()
            .unwrap_or(0);
        let max = max.unwrap_or(tallest).max(1);
        let slot = width / bars.len().max(1) as i64;
        let mut segments = Vec::new();
        let mut ticks = Vec::new();
        for (i, (label, values, figure)) in bars.into_iter().enumerate() {
            let x = i as i64 * slot + 4;
            let mut base = PLOT_TOP + PLOT_H;
            for (k, v) in values.iter().enumerate() {
                let h = v * PLOT_H / max;
                if h <= 0 {
                    continue;
                }
                base -= h;
                segments.push(Segment {
                    x,
                    y: base,
                    w: (slot - 8).max(2),
                    h,
                    class: format!("s{}", k % SERIES),
                    title: match series.get(k) {
                        Some(name) if series.len() > 1 => format!("{label}, {name}: {v}"),
                        _ => format!("{label}: {figure}"),
                    },
                });
            }
            ticks.push(Tick {
                x: i as i64 * slot + slot / 2,
                top: base - 3,
                label,
                value: figure,
            });
        }
        Chart {
            id,
            title: title.into(),
            summary,
            width,
            height: PLOT_TOP + PLOT_H + 24,
            scale_top: format!("{max}{scale_suffix}"),
            legend: if series.len() > 1 {
                series
                    .iter()
                    .enumerate()
                    .map(|(k, n)| (n.clone(), format!("s{}", k % SERIES)))
                    .collect()
            } else {
                Vec::new()
            },
            segments,
            ticks,
            period_header: "Day",
            columns,
            rows,
        }
    }

    pub fn baseline(&self) -> i64 {
        PLOT_TOP + PLOT_H
    }
}

/// The charts over time, from the trends the services compute.
fn trend_charts(t: &Trends) -> Vec<Chart> {
    let label = |start: i64, i: usize| {
        let first_or_last = i == 0 || i + 1 == t.buckets.len();
        jiff::Timestamp::from_millisecond(start)
            .map(|ts| {
                let day = ts.strftime("%-d").to_string();
                if t.period == Period::Weeks || first_or_last || day == "1" {
                    ts.strftime("%-d %b").to_string()
                } else {
                    day
                }
            })
            .unwrap_or_default()
    };
    let period_name = match t.period {
        Period::Days => "Day",
        Period::Weeks => "Week from",
    };
    let span = match t.period {
        Period::Days => "the last 14 days",
        Period::Weeks => "the last 12 weeks",
    };
    let labels: Vec<String> = t
        .buckets
        .iter()
        .enumerate()
        .map(|(i, b)| label(b.start_ms, i))
        .collect();
    let full_labels: Vec<String> = t
        .buckets
        .iter()
        .map(|b| {
            jiff::Timestamp::from_millisecond(b.start_ms)
                .map(|ts| ts.strftime("%a %-d %b").to_string())
                .unwrap_or_default()
        })
        .collect();

    // Service levels met, as a share of what was decided.
    let (met, breached) = t.buckets.iter().fold((0, 0), |(m, b), x| {
        (m + x.compliance.met, b + x.compliance.breached)
    });
    let overall = heard_services::reports::ComplianceCount { met, breached };
    let compliance = Chart::stacked(
        "chart-compliance",
        "Service levels met",
        match overall.percent() {
            Some(p) => format!(
                "{p}% of {} targets and promises decided in {span} were met ({met} met, {breached} missed).",
                met + breached
            ),
            None => format!("No target or promise was decided in {span}."),
        },
        &["met".to_string()],
        t.buckets
            .iter()
            .zip(&labels)
            .map(|(b, l)| {
                let p = b.compliance.percent();
                (
                    l.clone(),
                    vec![p.unwrap_or(0) as i64],
                    p.map(|p| format!("{p}%")).unwrap_or_else(|| "–".into()),
                )
            })
            .collect(),
        Some(100),
        "%",
        vec!["Met".into(), "Missed".into(), "Share met".into()],
        t.buckets
            .iter()
            .zip(&full_labels)
            .map(|(b, l)| {
                (
                    l.clone(),
                    vec![
                        b.compliance.met.to_string(),
                        b.compliance.breached.to_string(),
                        b.compliance
                            .percent()
                            .map(|p| format!("{p}%"))
                            .unwrap_or_else(|| "–".into()),
                    ],
                )
            })
            .collect(),
    );

    // How upset inbound messages were: frustrated or angry on top of the others.
    let (messages, upset) = t.buckets.iter().fold((0, 0), |(m, u), x| {
        (m + x.frustration.messages, u + x.frustration.upset)
    });
    let frustration = Chart::stacked(
        "chart-frustration",
        "Frustration of customers' messages",
        format!(
            "{upset} of {messages} messages from customers in {span} were frustrated or angry."
        ),
        &[
            "calm or concerned".to_string(),
            "frustrated or angry".to_string(),
        ],
        t.buckets
            .iter()
            .zip(&labels)
            .map(|(b, l)| {
                let f = &b.frustration;
                (
                    l.clone(),
                    vec![(f.messages - f.upset) as i64, f.upset as i64],
                    if f.messages > 0 {
                        f.upset.to_string()
                    } else {
                        String::new()
                    },
                )
            })
            .collect(),
        None,
        "",
        vec![
            "Messages".into(),
            "Frustrated or angry".into(),
            "Average score (0–100)".into(),
        ],
        t.buckets
            .iter()
            .zip(&full_labels)
            .map(|(b, l)| {
                let f = &b.frustration;
                (
                    l.clone(),
                    vec![
                        f.messages.to_string(),
                        f.upset.to_string(),
                        f.average()
                            .map(|a| a.to_string())
                            .unwrap_or_else(|| "–".into()),
                    ],
                )
            })
            .collect(),
    );

    // Tone findings by kind: the five most frequent, the rest together.
    let mut totals: std::collections::BTreeMap<&str, u64> = Default::default();
    for b in &t.buckets {
        for (k, n) in &b.tone {
            *totals.entry(k.as_str()).or_default() += n;
        }
    }
    let mut kinds: Vec<(&str, u64)> = totals.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let shown: Vec<&str> = kinds.iter().take(5).map(|k| k.0).collect();
    let has_other = kinds.len() > shown.len();
    let mut series: Vec<String> = shown.iter().map(|k| k.replace('_', " ")).collect();
    if has_other {
        series.push("other".into());
    }
    let per_kind = |b: &heard_services::reports::Bucket| -> Vec<i64> {
        let mut v: Vec<i64> = shown
            .iter()
            .map(|k| b.tone.get(*k).copied().unwrap_or(0) as i64)
            .collect();
        if has_other {
            let other: u64 = b
                .tone
                .iter()
                .filter(|(k, _)| !shown.contains(&k.as_str()))
                .map(|(_, n)| n)
                .sum();
            v.push(other as i64);
        }
        v
    };
    let findings: u64 = kinds.iter().map(|k| k.1).sum();
    let replies: u64 = t.buckets.iter().map(|b| b.replies).sum();
    let mut columns: Vec<String> = vec!["Replies".into()];
    columns.extend(series.iter().cloned());
    let tone = Chart::stacked(
        "chart-tone",
        "Tone findings in replies",
        if findings == 0 {
            format!(
                "The tone coach found nothing to improve in the {replies} replies sent in {span}."
            )
        } else {
            format!(
                "{findings} findings in {replies} replies sent in {span}; most often: {}.",
                shown
                    .first()
                    .map(|k| k.replace('_', " "))
                    .unwrap_or_default()
            )
        },
        &series,
        t.buckets
            .iter()
            .zip(&labels)
            .map(|(b, l)| {
                let v = per_kind(b);
                let total: i64 = v.iter().sum();
                (
                    l.clone(),
                    v,
                    if total > 0 {
                        total.to_string()
                    } else {
                        String::new()
                    },
                )
            })
            .collect(),
        None,
        "",
        columns,
        t.buckets
            .iter()
            .zip(&full_labels)
            .map(|(b, l)| {
                let mut cells = vec![b.replies.to_string()];
                cells.extend(per_kind(b).iter().map(|n| n.to_string()));
                (l.clone(), cells)
            })
            .collect(),
    );

    let opened_total: u64 = t.buckets.iter().map(|b| b.opened).sum();
    let opened = Chart::stacked(
        "chart-opened",
        "Requests opened",
        format!("{opened_total} requests opened in {span}."),
        &["opened".to_string()],
        t.buckets
            .iter()
            .zip(&labels)
            .map(|(b, l)| {
                let figure = if b.opened > 0 {
                    b.opened.to_string()
                } else {
                    String::new()
                };
                (l.clone(), vec![b.opened as i64], figure)
            })
            .collect(),
        None,
        "",
        vec!["Opened".into()],
        t.buckets
            .iter()
            .zip(&full_labels)
            .map(|(b, l)| (l.clone(), vec![b.opened.to_string()]))
            .collect(),
    );
    let mut charts = vec![compliance, frustration, tone, opened];
    for c in &mut charts {
        c.period_header = period_name;
    }
    charts
}

#[derive(Template)]
#[template(path = "supervisor.html")]
struct Dashboard {
    chrome: Chrome,
    total_open: usize,
    unassigned: usize,
    teams: Vec<TeamRow>,
    at_risk: Vec<Card>,
    breached: Vec<Card>,
    upset: Vec<Card>,
    agents: Vec<AgentLoad>,
    charts: Vec<Chart>,
    /// `days` or `weeks`.
    period: &'static str,
    trends_note: String,
    frustration_tracked: bool,
    promises_tracked: bool,
    truncated: bool,
    urgent: Vec<Card>,
    recoveries: Vec<heard_services::survey::RecoveryTask>,
    satisfaction: heard_services::survey::SatisfactionReport,
    presence: Vec<crate::presence::AgentLine>,
    overdue: usize,
}

#[derive(Deserialize)]
pub struct DashboardQuery {
    period: Option<String>,
    /// The confirmation to show after a form (see `notice_text`).
    done: Option<String>,
}

pub async fn dashboard(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<DashboardQuery>,
) -> PageResult {
    viewer.require_supervisor()?;
    let open = open_cards(&s, &viewer).await?;
    let truncated = open.len() as i64 >= heard_services::queues::QUEUE_LIMIT;
    let teams = s.services.team_names(&viewer.actor).await?;
    let team_rows = teams
        .iter()
        .map(|t| {
            let of: Vec<&Card> = open.iter().filter(|c| c.team_id == Some(t.id)).collect();
            TeamRow {
                name: t.name.clone(),
                open: of.len(),
                unassigned: of.iter().filter(|c| c.owner_id.is_none()).count(),
                upset: of.iter().filter(|c| c.upset()).count(),
                at_risk: of.iter().filter(|c| c.at_risk()).count(),
                breached: of.iter().filter(|c| c.breached()).count(),
            }
        })
        .collect();
    let mut at_risk: Vec<Card> = open.iter().filter(|c| c.at_risk()).cloned().collect();
    sort_queue(&mut at_risk);
    let mut breached: Vec<Card> = open.iter().filter(|c| c.breached()).cloned().collect();
    sort_queue(&mut breached);
    let mut upset: Vec<Card> = open.iter().filter(|c| c.upset()).cloned().collect();
    upset.sort_by_key(|c| -c.frustration.as_ref().map(|f| f.score).unwrap_or(0));
    let roster = s
        .services
        .list_agents(&viewer.actor, None, Some(200))
        .await?;
    let agents = roster
        .items
        .iter()
        .filter(|a| a.active)
        .map(|a| {
            let theirs: Vec<&Card> = open.iter().filter(|c| c.owner_id == Some(a.id)).collect();
            let open = theirs.len();
            let capacity = a.capacity;
            AgentLoad {
                name: a.name.clone(),
                role: a.role.clone(),
                tier: a.tier.map(|t| t.to_string()).unwrap_or_default(),
                open,
                capacity,
                upset: theirs.iter().filter(|c| c.upset()).count(),
                over: capacity > 0 && open as i64 > capacity,
            }
        })
        .collect();

    let trends = s
        .services
        .trends(&viewer.actor, Period::parse(q.period.as_deref()))
        .await?;
    let frustration_tracked = open.iter().any(|c| c.frustration.is_some());
    let as_of = jiff::Timestamp::from_millisecond(trends.computed_at)
        .map(|t| t.strftime("%H:%M UTC").to_string())
        .unwrap_or_default();
    let trends_note = if trends.capped {
        format!(
            "Figures as of {as_of} (refreshed each minute), from the {} most recently changed tickets.",
            trends.tickets_counted
        )
    } else {
        format!("Figures as of {as_of} (refreshed each minute).")
    };
    let promises_tracked = open.iter().any(|c| c.promise.is_some());
    // Already in queue order.
    let mut urgent = open.clone();
    urgent.truncate(15);
    let recoveries = s.services.recoveries(&viewer.actor).await?;
    let satisfaction = s.services.satisfaction_report(&viewer.actor, 30).await?;
    let mut chrome = viewer.chrome("Supervisor", "supervisor");
    chrome.notice = notice_text(q.done.as_deref());
    let presence: Vec<crate::presence::AgentLine> = s
        .services
        .team_presence(&viewer.actor)
        .await?
        .iter()
        .map(crate::presence::AgentLine::new)
        .collect();
    let overdue = presence.iter().filter(|p| p.overdue).count();
    Ok(render(&Dashboard {
        recoveries,
        satisfaction,
        chrome,
        total_open: open.len(),
        unassigned: open.iter().filter(|c| c.owner_id.is_none()).count(),
        teams: team_rows,
        at_risk,
        breached,
        upset,
        agents,
        charts: trend_charts(&trends),
        period: trends.period.as_str(),
        trends_note,
        frustration_tracked,
        promises_tracked,
        truncated,
        urgent,
        presence,
        overdue,
    }))
}
