//! The bell: a staff member's notifications (warnings before a promise lapses, breaches,
//! poor ratings, escalations waiting for a tier, break reminders) on a page of their own,
//! newest first, marked as read by each person apart. The count in the header is rendered
//! with every staff page and kept fresh by `heard.js` polling the API.

use crate::WebState;
use crate::format::when;
use crate::page::{Chrome, PageResult, notice_text, render, see_other};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use serde::Deserialize;

/// What a kind of notification is, in plain words.
fn label(kind: &str) -> &'static str {
    match kind {
        "sla_warning" => "Due soon",
        "sla_breached" => "Breached",
        "poor_rating" => "Poor rating",
        "escalation_waiting" => "Escalation waiting",
        "break_due" => "Break reminder",
        _ => "Notice",
    }
}

pub struct Line {
    pub id: i64,
    pub label: &'static str,
    pub kind: String,
    pub message: String,
    pub ticket_id: Option<i64>,
    pub at: String,
    pub read: bool,
}

#[derive(Template)]
#[template(path = "agent_notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    lines: Vec<Line>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    done: Option<String>,
}

/// Everything addressed to the viewer or their role, newest first, read or not.
pub async fn page(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
) -> PageResult {
    viewer.require_staff()?;
    let lines = s
        .services
        .notifications(&viewer.actor)
        .await?
        .into_iter()
        .map(|n| Line {
            id: n.id,
            label: label(&n.kind),
            at: when(&n.created_at),
            kind: n.kind,
            message: n.message,
            ticket_id: n.ticket_id,
            read: n.read,
        })
        .collect();
    let mut chrome = viewer.chrome("Notifications", "notifications");
    chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&NotificationsPage { chrome, lines }))
}

#[derive(Deserialize)]
pub struct ReadForm {
    csrf: String,
    /// One notification; all of them when absent.
    id: Option<i64>,
}

/// "Mark all as read", or one notification: for the viewer alone, then back to the page.
pub async fn read(
    State(s): State<WebState>,
    viewer: Viewer,
    Form(f): Form<ReadForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    s.services
        .mark_notifications_read(&viewer.actor, f.id)
        .await?;
    let notice = if f.id.is_some() {
        "notification_read"
    } else {
        "notifications_read"
    };
    Ok(see_other("/agent/notifications", notice))
}
