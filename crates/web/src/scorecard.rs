//! The balanced scorecard pages: `/supervisor/scorecard` (a team's, an agent's or the
//! desk's) and `/agent/scorecard` (one's own), each figure as a chart with its table, a
//! table of every figure whose cells open the tickets behind them, and `?format=csv`.
//! No figure ranks agents, and none is about speed alone.

use crate::WebState;
use crate::export::Format;
use crate::page::{Chrome, PageResult, render};
use crate::session::Viewer;
use crate::supervisor::Chart;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use heard_domain::Role;
use heard_services::scorecard::{FIGURES, ScoreFigure, Scorecard, ScorecardQuery, ScorecardTicket};
use serde::Deserialize;

/// One cell of the figures table: the value as read, and the link to its tickets.
pub struct Cell {
    pub text: String,
    pub detail: String,
    pub href: String,
}

pub struct Row {
    pub label: String,
    pub cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "scorecard.html")]
struct ScorecardPage {
    chrome: Chrome,
    card: Scorecard,
    /// Where the page lives (`/agent/scorecard` or `/supervisor/scorecard`).
    base: &'static str,
    /// The scopes the viewer may pick: value and label.
    scopes: Vec<(String, String)>,
    rows: Vec<Row>,
    charts: Vec<Chart>,
    csv_href: String,
}

#[derive(Deserialize)]
pub struct PageQuery {
    scope: Option<String>,
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    figure: Option<String>,
}

impl PageQuery {
    fn scorecard(&self) -> ScorecardQuery {
        let some = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        ScorecardQuery {
            scope: some(&self.scope),
            period: some(&self.period),
            from: some(&self.from),
            to: some(&self.to),
        }
    }
}

/// A figure as read: "83%", "0.5 per ticket", "2".
pub fn figure_text(f: &ScoreFigure) -> String {
    match (f.value, f.unit.as_str()) {
        (None, _) => "n/a".into(),
        (Some(v), "percent") => format!("{v}%"),
        (Some(v), "per_ticket") => format!("{v} per ticket"),
        (Some(v), "per_reply") => format!("{v} per reply"),
        (Some(v), "average") => format!("{v} of 100"),
        (Some(v), _) => format!("{v}"),
    }
}

fn charts(card: &Scorecard) -> Vec<Chart> {
    let period_name = match card.period.as_str() {
        "day" => "Day",
        "month" => "Month",
        _ => "Week of",
    };
    FIGURES
        .iter()
        .enumerate()
        .map(|(k, (key, label, unit, _, _))| {
            let percent = *unit == "percent" || *unit == "average";
            let bars: Vec<(String, Vec<i64>, String)> = card
                .periods
                .iter()
                .map(|p| {
                    let f = &p.figures[k];
                    // Hundredths for rates below one, so small values still show.
                    let h = f.value.map_or(0, |v| {
                        if percent {
                            v.round() as i64
                        } else {
                            (v * 100.0).round() as i64
                        }
                    });
                    let text = f.value.map_or(String::new(), |v| v.to_string());
                    (
                        p.start.get(5..).unwrap_or_default().to_string(),
                        vec![h],
                        text,
                    )
                })
                .collect();
            let known: Vec<&ScoreFigure> = card
                .periods
                .iter()
                .map(|p| &p.figures[k])
                .filter(|f| f.value.is_some())
                .collect();
            let summary = match known.last() {
                Some(f) => format!("latest {}", figure_text(f)),
                None => "nothing to count yet".into(),
            };
            let mut chart = Chart::stacked(
                chart_id(key),
                label,
                summary,
                &[label.to_string()],
                bars,
                percent.then_some(100),
                "",
                vec![label.to_string(), "Counted".into(), "Of".into()],
                card.periods
                    .iter()
                    .map(|p| {
                        let f = &p.figures[k];
                        (
                            p.start.clone(),
                            vec![figure_text(f), f.count.to_string(), f.of.to_string()],
                        )
                    })
                    .collect(),
            );
            if !percent {
                // The bars were drawn in hundredths; the scale reads in units.
                let top: i64 = chart.scale_top.parse().unwrap_or(0);
                chart.scale_top = format!("{}", top as f64 / 100.0);
            }
            chart.period_header = period_name;
            chart
        })
        .collect()
}

fn chart_id(key: &str) -> &'static str {
    match key {
        "satisfaction" => "chart-satisfaction",
        "recovery" => "chart-recovery",
        "first_response" => "chart-first-response",
        "resolution" => "chart-resolution",
        "promises" => "chart-promises",
        "first_contact" => "chart-first-contact",
        "reopened" => "chart-reopened",
        "transfers" => "chart-transfers",
        "had_to_repeat" => "chart-had-to-repeat",
        "tone" => "chart-tone",
        _ => "chart-review",
    }
}

async fn scopes(s: &WebState, viewer: &Viewer) -> PageResult<Vec<(String, String)>> {
    let a = &viewer.actor;
    if a.role == Role::Agent {
        return Ok(vec![(format!("agent:{}", a.user_id), viewer.name.clone())]);
    }
    let whole = a.role == Role::Admin || a.team_ids.is_empty();
    let mut out = Vec::new();
    if whole {
        out.push(("desk".to_string(), "The whole desk".to_string()));
    }
    for t in s.services.team_names(a).await? {
        if whole || a.team_ids.contains(&t.id) {
            out.push((format!("team:{}", t.id), format!("Team {}", t.name)));
        }
    }
    let agents = s.services.list_agents(a, None, Some(200)).await?;
    for ag in agents.items {
        if whole || ag.id == a.user_id || ag.team_ids.iter().any(|t| a.team_ids.contains(t)) {
            out.push((format!("agent:{}", ag.id), ag.name));
        }
    }
    Ok(out)
}

async fn page(
    s: WebState,
    viewer: Viewer,
    q: PageQuery,
    f: Format,
    base: &'static str,
) -> PageResult<Response> {
    viewer.require_staff()?;
    let card = s.services.scorecard(&viewer.actor, &q.scorecard()).await?;
    if f.csv()? {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"scorecard-{}.csv\"", card.to),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            card.to_csv(),
        )
            .into_response());
    }
    let rows = FIGURES
        .iter()
        .enumerate()
        .map(|(k, (key, label, _, _, _))| Row {
            label: label.to_string(),
            cells: card
                .periods
                .iter()
                .map(|p| {
                    let f = &p.figures[k];
                    Cell {
                        text: figure_text(f),
                        detail: format!("{} of {}", f.count, f.of),
                        href: format!(
                            "{base}/tickets?scope={}&period={}&from={}&to={}&figure={key}",
                            card.scope, card.period, p.start, p.end
                        ),
                    }
                })
                .collect(),
        })
        .collect();
    let csv_href = format!(
        "{base}?scope={}&period={}&from={}&to={}&format=csv",
        card.scope, card.period, card.from, card.to
    );
    let area = if base.starts_with("/agent") {
        "scorecard"
    } else {
        "supervisor"
    };
    Ok(render(&ScorecardPage {
        chrome: viewer.chrome(format!("Scorecard: {}", card.name), area),
        scopes: scopes(&s, &viewer).await?,
        charts: charts(&card),
        rows,
        csv_href,
        card,
        base,
    }))
}

pub async fn supervisor(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
    Query(f): Query<Format>,
) -> PageResult<Response> {
    viewer.require_supervisor()?;
    page(s, viewer, q, f, "/supervisor/scorecard").await
}

pub async fn agent(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
    Query(f): Query<Format>,
) -> PageResult<Response> {
    page(s, viewer, q, f, "/agent/scorecard").await
}

#[derive(Template)]
#[template(path = "scorecard_tickets.html")]
struct TicketsPage {
    chrome: Chrome,
    label: String,
    counted_label: String,
    others_label: String,
    counted: Vec<ScorecardTicket>,
    others: Vec<ScorecardTicket>,
    back: String,
    from: String,
    to: String,
}

async fn tickets_page(s: WebState, viewer: Viewer, q: PageQuery, base: &'static str) -> PageResult {
    viewer.require_staff()?;
    let figure = q.figure.clone().unwrap_or_default();
    let query = q.scorecard();
    let list = s
        .services
        .scorecard_tickets(&viewer.actor, &query, &figure)
        .await?;
    let (_, label, _, yes, no) = FIGURES
        .iter()
        .find(|f| f.0 == figure)
        .copied()
        .unwrap_or(FIGURES[0]);
    let (counted, others): (Vec<_>, Vec<_>) = list.into_iter().partition(|t| t.counted);
    let area = if base.starts_with("/agent") {
        "scorecard"
    } else {
        "supervisor"
    };
    Ok(render(&TicketsPage {
        chrome: viewer.chrome(format!("{label}: tickets"), area),
        label: label.into(),
        counted_label: yes.into(),
        others_label: no.into(),
        counted,
        others,
        back: format!(
            "{base}?scope={}&period={}",
            query.scope.as_deref().unwrap_or_default(),
            query.period.as_deref().unwrap_or("week")
        ),
        from: query.from.unwrap_or_default(),
        to: query.to.unwrap_or_default(),
    }))
}

pub async fn supervisor_tickets(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
) -> PageResult {
    viewer.require_supervisor()?;
    tickets_page(s, viewer, q, "/supervisor/scorecard").await
}

pub async fn agent_tickets(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
) -> PageResult {
    tickets_page(s, viewer, q, "/agent/scorecard").await
}
