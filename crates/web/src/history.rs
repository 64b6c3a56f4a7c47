//! An agent's history: the tickets they handled, most recent first, and the read-only
//! page of one they handed on (escalated, transferred, handed over), so nobody meets a
//! dead end on a ticket they worked yesterday. Every write still answers 404 for them.

use crate::WebState;
use crate::agent::{Entry, Handoff, entries_of, handoff_of};
use crate::cards::Card;
use crate::format::{status_for_staff, when};
use crate::page::{Chrome, PageResult, render};
use crate::session::Viewer;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "agent_handled.html")]
struct HandledPage {
    chrome: Chrome,
    card: Card,
    entries: Vec<Entry>,
    handoff: Option<Handoff>,
    customer_name: String,
}

/// The read-only page of a ticket the agent acted on and may no longer work.
pub async fn handled_page(s: &WebState, viewer: &Viewer, id: i64) -> PageResult {
    viewer.require_staff()?;
    let d = s.services.handled_ticket(&viewer.actor, id).await?;
    let card = Card::new(&d.ticket, s.services.now());
    Ok(render(&HandledPage {
        chrome: viewer.chrome(format!("#{id} {} (read only)", card.subject), "history"),
        // Calls are listed only for tickets the agent may still see; here they read as
        // the messages they were logged as.
        entries: entries_of(&d, &[]),
        handoff: handoff_of(&d),
        customer_name: d
            .customer
            .as_ref()
            .map(|c| c.profile.name.clone())
            .unwrap_or_default(),
        card,
    }))
}

pub struct HistoryLine {
    pub id: i64,
    pub subject: String,
    pub status: &'static str,
    pub still_theirs: bool,
    pub handled_at: String,
}

#[derive(Template)]
#[template(path = "agent_history.html")]
struct HistoryPage {
    chrome: Chrome,
    lines: Vec<HistoryLine>,
    next: Option<i64>,
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    after: Option<i64>,
}

/// "Recently handled": every ticket the agent acted on, newest first, 25 a page.
pub async fn history(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<HistoryQuery>,
) -> PageResult {
    viewer.require_staff()?;
    let page = s
        .services
        .handled_tickets(&viewer.actor, q.after, 25)
        .await?;
    let lines = page
        .items
        .into_iter()
        .map(|h| HistoryLine {
            id: h.id,
            status: status_for_staff(&h.status),
            still_theirs: h.still_theirs,
            handled_at: when(&h.handled_at),
            subject: h.subject,
        })
        .collect();
    Ok(render(&HistoryPage {
        chrome: viewer.chrome("Recently handled", "history"),
        lines,
        next: page.next_after,
    }))
}
