//! Diagnose on the agent's ticket view, and the problems pages that group tickets by
//! the fault behind them.

use crate::WebState;
use crate::cards::Card;
use crate::page::{BackTo, Chrome, Done, PageError, PageResult, notice_text, render, see_other};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use heard_domain::Invalid;
use heard_services::ErrorCode;
use heard_services::ServiceError;
use heard_services::diagnosis::{DiagnosisInput, ProblemPatch, ProblemQuery, ProblemView};
use serde::Deserialize;

/// Problems a diagnosis may join: the open ones and known errors, newest first.
pub async fn linkable_problems(s: &WebState, viewer: &Viewer) -> PageResult<Vec<ProblemView>> {
    let page = s
        .services
        .list_problems(
            &viewer.actor,
            ProblemQuery {
                limit: Some(100),
                ..Default::default()
            },
        )
        .await?;
    Ok(page
        .items
        .into_iter()
        .filter(|p| p.status != "resolved")
        .collect())
}

#[derive(Deserialize)]
pub struct DiagnosisForm {
    csrf: String,
    root_cause: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    problem_id: String,
    #[serde(default)]
    new_problem_title: String,
}

pub async fn diagnose(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<DiagnosisForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let back = format!("/agent/tickets/{id}");
    let problem_id = match f.problem_id.trim() {
        "" => None,
        raw => Some(raw.parse::<i64>().map_err(|_| {
            PageError::from(ServiceError::Invalid(Invalid::new(
                "problem_id",
                ErrorCode::InvalidNumber,
                "choose one of the listed problems",
            )))
            .back_to(&back)
        })?),
    };
    let new_problem_title = Some(f.new_problem_title).filter(|t| !t.trim().is_empty());
    let input = DiagnosisInput {
        root_cause: f.root_cause,
        resolution: Some(f.resolution),
        problem_id,
        new_problem_title,
    };
    s.services
        .record_diagnosis(&viewer.actor, id, input)
        .await
        .back_to(&back)?;
    Ok(see_other(&back, "diagnosed"))
}

#[derive(Template)]
#[template(path = "agent_problems.html")]
struct ProblemsPage {
    chrome: Chrome,
    problems: Vec<ProblemView>,
}

pub async fn problems(State(s): State<WebState>, viewer: Viewer) -> PageResult {
    viewer.require_staff()?;
    let page = s
        .services
        .list_problems(
            &viewer.actor,
            ProblemQuery {
                limit: Some(200),
                ..Default::default()
            },
        )
        .await?;
    Ok(render(&ProblemsPage {
        chrome: viewer.chrome("Problems", "problems"),
        problems: page.items,
    }))
}

#[derive(Template)]
#[template(path = "agent_problem.html")]
struct ProblemPage {
    chrome: Chrome,
    problem: ProblemView,
    tickets: Vec<Card>,
    statuses: Vec<(&'static str, &'static str)>,
}

pub async fn problem(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    viewer.require_staff()?;
    let now = s.services.now();
    let d = s.services.problem_detail(&viewer.actor, id).await?;
    let mut chrome = viewer.chrome(format!("Problem #{id}"), "problems");
    chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&ProblemPage {
        chrome,
        tickets: d.linked_tickets.iter().map(|t| Card::new(t, now)).collect(),
        problem: d.problem,
        statuses: vec![
            ("open", "Open: being investigated"),
            ("known_error", "Known error: cause and workaround known"),
            ("resolved", "Resolved"),
        ],
    }))
}

#[derive(Deserialize)]
pub struct ProblemForm {
    csrf: String,
    status: String,
    #[serde(default)]
    description: String,
}

pub async fn update_problem(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<ProblemForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let back = format!("/agent/problems/{id}");
    let patch = ProblemPatch {
        title: None,
        description: Some(f.description),
        status: Some(f.status),
    };
    s.services
        .update_problem(&viewer.actor, id, patch)
        .await
        .back_to(&back)?;
    Ok(see_other(&back, "problem"))
}
