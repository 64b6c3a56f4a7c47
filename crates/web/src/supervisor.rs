//! The supervisor's dashboard: queues at a glance, promises at risk and breached, upset
//! customers waiting, agents' load, presence, breaks and hard conversations this shift,
//! and charts drawn on the server as SVG.

use crate::WebState;
use crate::agent::{cards, open_cards};
use crate::cards::{Card, sort_queue};
use crate::page::{Chrome, Done, PageResult, notice_text, render};
use crate::session::Viewer;
use askama::Template;
use axum::extract::{Query, State};
use heard_services::ServiceError;
use heard_store::ListTickets;

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

/// A bar chart drawn on the server: no script, readable by screen readers via its table.
pub struct Chart {
    pub title: String,
    pub summary: String,
    pub bars: Vec<Bar>,
    pub width: i64,
    pub height: i64,
}

pub struct Bar {
    pub label: String,
    pub value: i64,
    pub x: i64,
    pub y: i64,
    pub h: i64,
    pub w: i64,
    pub label_x: i64,
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Chart {
    /// `values` oldest first; one bar per entry.
    pub fn bars(title: &str, summary: String, values: Vec<(String, i64)>) -> Chart {
        let (width, height, plot) = (560, 180, 140);
        let max = values.iter().map(|v| v.1).max().unwrap_or(0).max(1);
        let slot = width / values.len().max(1) as i64;
        let bars = values
            .into_iter()
            .enumerate()
            .map(|(i, (label, value))| {
                let h = value * plot / max;
                Bar {
                    x: i as i64 * slot + 4,
                    y: 10 + plot - h,
                    h,
                    w: (slot - 8).max(2),
                    label_x: i as i64 * slot + slot / 2,
                    label,
                    value,
                }
            })
            .collect();
        Chart {
            title: title.into(),
            summary,
            bars,
            width,
            height,
        }
    }
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
    opened: Chart,
    frustration: Option<Chart>,
    frustration_tracked: bool,
    promises_tracked: bool,
    truncated: bool,
    urgent: Vec<Card>,
    recoveries: Vec<heard_services::survey::RecoveryTask>,
    satisfaction: heard_services::survey::SatisfactionReport,
    presence: Vec<crate::presence::AgentLine>,
    overdue: usize,
}

pub async fn dashboard(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<Done>,
) -> PageResult {
    viewer.require_supervisor()?;
    let now = s.services.now();
    let open = open_cards(&s, &viewer).await?;
    let truncated = open.len() >= 200;
    let teams = s.services.store.teams().await.map_err(ServiceError::from)?;
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

    // Tickets opened per day over the last fortnight, from the newest 200 tickets.
    let recent = cards(
        &s,
        &viewer,
        &ListTickets {
            limit: 200,
            ..Default::default()
        },
    )
    .await?;
    let today = now - now.rem_euclid(DAY_MS);
    let days: Vec<i64> = (0..14).rev().map(|d| today - d * DAY_MS).collect();
    let days_first = days[0];
    // Day numbers under the bars; the month only where it starts and at the ends.
    let day_label = |start: i64| {
        let first_or_last = start == days_first || start == today;
        jiff::Timestamp::from_millisecond(start)
            .map(|t| {
                let day = t.strftime("%-d").to_string();
                if first_or_last || day == "1" {
                    t.strftime("%-d %b").to_string()
                } else {
                    day
                }
            })
            .unwrap_or_default()
    };
    let opened_values: Vec<(String, i64)> = days
        .iter()
        .map(|&d| {
            let n = recent
                .iter()
                .filter(|c| c.created_ms >= d && c.created_ms < d + DAY_MS)
                .count() as i64;
            (day_label(d), n)
        })
        .collect();
    let total_opened: i64 = opened_values.iter().map(|v| v.1).sum();
    let opened = Chart::bars(
        "Requests opened per day",
        format!("{total_opened} requests opened in the last 14 days."),
        opened_values,
    );
    let frustration_tracked = recent.iter().any(|c| c.frustration.is_some());
    let frustration = frustration_tracked.then(|| {
        let values: Vec<(String, i64)> = days
            .iter()
            .map(|&d| {
                let upset = recent
                    .iter()
                    .filter(|c| c.created_ms >= d && c.created_ms < d + DAY_MS && c.upset())
                    .count() as i64;
                (day_label(d), upset)
            })
            .collect();
        let total: i64 = values.iter().map(|v| v.1).sum();
        Chart::bars(
            "Upset customers per day",
            format!(
                "{total} requests in the last 14 days came from a frustrated or angry customer."
            ),
            values,
        )
    });
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
        opened,
        frustration,
        frustration_tracked,
        promises_tracked,
        truncated,
        urgent,
        presence,
        overdue,
    }))
}
