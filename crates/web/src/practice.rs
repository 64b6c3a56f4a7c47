//! Practice mode's pages: `/agent/practice` (the sets from calm to abusive, progress and
//! runs; supervisors also pick conversations to practise on) and a run's page, where the
//! agent answers a replayed, scrubbed conversation and the tone coach responds. Nothing
//! typed here reaches a customer.

use crate::WebState;
use crate::admin::Fields;
use crate::forms::field;
use crate::page::{Chrome, PageResult, render, render_status};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use heard_services::ServiceError;
use heard_services::practice::*;

#[derive(Template)]
#[template(path = "agent_practice.html")]
struct OverviewPage {
    chrome: Chrome,
    overview: PracticeOverview,
    may_pick: bool,
    picked: Option<usize>,
}

pub async fn overview(State(s): State<WebState>, viewer: Viewer) -> PageResult {
    viewer.require_staff()?;
    Ok(render(&OverviewPage {
        chrome: viewer.chrome("Practice", "practice"),
        overview: s.services.practice_overview(&viewer.actor).await?,
        may_pick: viewer.actor.may_view_agents(),
        picked: None,
    }))
}

/// Supervisors: copy a fresh batch of resolved conversations into the sets.
pub async fn pick(State(s): State<WebState>, viewer: Viewer, Form(v): Fields) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_supervisor()?;
    let made = s
        .services
        .create_practice_cases(&viewer.actor, PracticeCasesInput::default())
        .await?;
    Ok(render(&OverviewPage {
        chrome: viewer.chrome("Practice", "practice"),
        overview: s.services.practice_overview(&viewer.actor).await?,
        may_pick: true,
        picked: Some(made.len()),
    }))
}

pub async fn start(
    State(s): State<WebState>,
    viewer: Viewer,
    Form(v): Fields,
) -> PageResult<Response> {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_staff()?;
    let case_id = field(&v, "case_id").parse().unwrap_or(0);
    let run = s
        .services
        .start_practice(&viewer.actor, StartPractice { case_id })
        .await?;
    Ok(Redirect::to(&format!("/agent/practice/runs/{}", run.id)).into_response())
}

#[derive(Template)]
#[template(path = "agent_practice_run.html")]
struct RunPage {
    chrome: Chrome,
    run: PracticeRun,
    mine: bool,
    error: Option<String>,
    draft: String,
}

pub async fn run(State(s): State<WebState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    viewer.require_staff()?;
    let run = s.services.practice_run(&viewer.actor, id).await?;
    Ok(render(&RunPage {
        chrome: viewer.chrome(format!("Practice: {}", run.case.subject), "practice"),
        mine: run.agent.id == viewer.actor.user_id,
        run,
        error: None,
        draft: String::new(),
    }))
}

pub async fn reply(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(v): Fields,
) -> PageResult<Response> {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_staff()?;
    let body = field(&v, "body").to_string();
    match s
        .services
        .practice_reply(&viewer.actor, id, PracticeReplyInput { body: body.clone() })
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/agent/practice/runs/{id}#latest")).into_response()),
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict { .. })) => {
            let run = s.services.practice_run(&viewer.actor, id).await?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RunPage {
                    chrome: viewer.chrome(format!("Practice: {}", run.case.subject), "practice"),
                    mine: true,
                    run,
                    error: Some(e.to_string()),
                    draft: body,
                },
            ))
        }
        Err(e) => Err(e.into()),
    }
}
