//! Bulk actions on the agent's ticket lists (the queues and saved views): tick tickets,
//! choose what to do with them, and read what happened to each one on the same page.

use crate::WebState;
use crate::forms::{FormState, all, field, refusal};
use crate::page::{PageResult, render_status};
use crate::session::Viewer;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use heard_services::bulk::{BulkOutcome, BulkRequest};

/// The statuses a bulk action may set, as the ticket page names them.
const STATUSES: &[(&str, &str)] = crate::macros::MACRO_STATUSES;

/// The bulk action bar under a list, and what its last use did.
pub struct BulkBar {
    /// Where the bar's form posts.
    pub action: String,
    pub agents: Vec<(i64, String)>,
    pub statuses: &'static [(&'static str, &'static str)],
    pub results: Option<Vec<ResultLine>>,
    pub done: usize,
    pub refused: usize,
    pub f: FormState,
}

pub struct ResultLine {
    pub ticket_id: i64,
    pub done: bool,
    pub text: String,
}

impl BulkBar {
    pub async fn new(s: &WebState, viewer: &Viewer, action: String) -> PageResult<BulkBar> {
        let agents = s
            .services
            .colleagues(&viewer.actor)
            .await?
            .into_iter()
            .filter(|c| c.active)
            .map(|c| (c.id, c.name))
            .collect();
        Ok(BulkBar {
            action,
            agents,
            statuses: STATUSES,
            results: None,
            done: 0,
            refused: 0,
            f: FormState::default(),
        })
    }

    fn show(&mut self, outcome: BulkOutcome) {
        self.done = outcome.done;
        self.refused = outcome.refused;
        self.results = Some(
            outcome
                .items
                .into_iter()
                .map(|i| ResultLine {
                    ticket_id: i.ticket_id,
                    done: i.result == "done",
                    text: match (i.result.as_str(), i.code, i.message) {
                        ("done", _, Some(m)) => format!("nothing to change: {m}"),
                        ("done", _, None) => "done".into(),
                        (_, Some(code), _)
                            if code == heard_services::ErrorCode::TicketNotFound.as_str() =>
                        {
                            "not found (or not yours to see)".into()
                        }
                        (_, _, Some(m)) => format!("refused: {m}"),
                        _ => "refused".into(),
                    },
                })
                .collect(),
        );
    }
}

const FIELDS: &[(&str, &str)] = &[
    ("ticket_ids", "ticket"),
    ("action", "action"),
    ("assignee_id", "assignee_id"),
    ("status", "status"),
    ("tag", "tag"),
    ("into_ticket_id", "into_ticket_id"),
];

fn number(v: &[(String, String)], name: &str) -> Option<i64> {
    field(v, name).trim_start_matches('#').parse().ok()
}

/// Runs the bulk form's action and puts its outcome (or the form's refusal) on `bar`.
pub async fn run(
    s: &WebState,
    viewer: &Viewer,
    v: &[(String, String)],
    bar: &mut BulkBar,
) -> PageResult<()> {
    let action = field(v, "action");
    let request = BulkRequest {
        ticket_ids: all(v, "ticket")
            .into_iter()
            .filter_map(|t| t.parse().ok())
            .collect(),
        action: match action {
            "assign_me" => "assign".into(),
            other => other.into(),
        },
        assignee_id: match action {
            "assign_me" => Some(viewer.actor.user_id),
            _ => number(v, "assignee_id"),
        },
        status: Some(field(v, "status").to_string()).filter(|s| !s.is_empty()),
        tag: Some(field(v, "tag").to_string()).filter(|t| !t.is_empty()),
        into_ticket_id: number(v, "into_ticket_id"),
    };
    match s.services.bulk_tickets(&viewer.actor, request).await {
        Ok(outcome) => bar.show(outcome),
        Err(e) => bar.f = refusal("bulk", v, e, FIELDS)?,
    }
    Ok(())
}

/// The bulk form under the queues: the queues again, with what happened to each ticket.
pub async fn on_queues(
    State(s): State<WebState>,
    viewer: Viewer,
    Form(v): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_staff()?;
    let mut bar = BulkBar::new(&s, &viewer, "/agent/bulk".into()).await?;
    run(&s, &viewer, &v, &mut bar).await?;
    // The lists as they are after the action.
    let mut page = crate::agent::queues_page(&s, &viewer).await?;
    let status = if bar.f.is_refused() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page.bulk = bar;
    Ok(render_status(status, &page))
}
