//! Diagnose, the last step of H.E.A.R.D.: recording what caused a ticket's problem
//! (required before an upset customer's ticket closes), and the problems that group
//! tickets by the fault behind them.

use crate::ErrorCode;
use crate::tickets::{ATTEMPTS, Change, back_off, event};
use crate::views::{Page, PersonRef, TicketDetail, TicketView, rfc3339};
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::diagnosis::{self, ProblemStatus};
use heard_store::{DiagnosisRow, ListTickets, NewDiagnosis, ProblemRow, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiagnosisInput {
    /// What caused the problem, beyond what the subject says.
    pub root_cause: String,
    /// How it was fixed or worked around.
    pub resolution: Option<String>,
    /// The known problem this ticket is one case of…
    pub problem_id: Option<i64>,
    /// …or a new problem to open for it, by title.
    pub new_problem_title: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemRef {
    pub id: i64,
    pub title: String,
    /// open, known_error or resolved
    pub status: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiagnosisView {
    pub root_cause: String,
    pub resolution: Option<String>,
    pub problem: Option<ProblemRef>,
    pub recorded_by: PersonRef,
    pub recorded_at: String,
}

impl From<DiagnosisRow> for DiagnosisView {
    fn from(d: DiagnosisRow) -> Self {
        let problem = match (d.problem_id, d.problem_title, d.problem_status) {
            (Some(id), Some(title), Some(status)) => Some(ProblemRef { id, title, status }),
            _ => None,
        };
        DiagnosisView {
            root_cause: d.root_cause,
            resolution: d.resolution,
            problem,
            recorded_by: PersonRef {
                id: d.recorded_by,
                name: d.recorded_by_name,
            },
            recorded_at: rfc3339(d.recorded_at),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProblem {
    pub title: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    /// open, known_error or resolved
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProblemQuery {
    /// open, known_error or resolved
    pub status: Option<String>,
    /// The `next_after` of the previous page.
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemView {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// open, known_error or resolved
    pub status: String,
    /// Tickets diagnosed as caused by it.
    pub tickets: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ProblemRow> for ProblemView {
    fn from(p: ProblemRow) -> Self {
        ProblemView {
            id: p.id,
            title: p.title,
            description: p.description,
            status: p.status,
            tickets: p.tickets,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemDetail {
    #[serde(flatten)]
    pub problem: ProblemView,
    /// The newest tickets it caused that the caller may see (up to 100).
    pub linked_tickets: Vec<TicketView>,
}

fn staff_only(actor: &Actor) -> Result<()> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::forbidden("problems are for staff"))
    }
}

fn problem_not_found() -> ServiceError {
    ServiceError::not_found("problem", ErrorCode::ProblemNotFound)
}

impl Services {
    /// Whether the customer was upset at any point of the ticket: a message scored
    /// frustrated or angry, or abuse. Read from the event log, so a calm "thanks" at the
    /// end does not erase the playbook.
    pub(crate) async fn was_upset(&self, ticket_id: i64, abusive: bool) -> Result<bool> {
        if abusive {
            return Ok(true);
        }
        let threshold = i64::from(heard_language::FRUSTRATED_AT);
        Ok(self.store.events(ticket_id).await?.iter().any(|e| {
            matches!(e.kind.as_str(), "created" | "replied")
                && serde_json::from_str::<serde_json::Value>(&e.data)
                    .ok()
                    .and_then(|d| d["frustration"].as_i64())
                    .is_some_and(|f| f >= threshold)
        }))
    }

    /// Refuses to close an upset customer's ticket before its root cause is recorded.
    pub(crate) async fn check_may_close(&self, ticket_id: i64, abusive: bool) -> Result<()> {
        let diagnosed = self.store.diagnosis(ticket_id).await?.is_some();
        if diagnosis::may_close(self.was_upset(ticket_id, abusive).await?, diagnosed) {
            Ok(())
        } else {
            Err(ServiceError::conflict(
                ErrorCode::RootCauseRequired,
                "this customer was upset: record the root cause in the diagnosis before closing the ticket",
            ))
        }
    }

    /// A ticket's diagnosis, for staff views.
    pub async fn diagnosis_of(&self, ticket_id: i64) -> Result<Option<DiagnosisView>> {
        Ok(self.store.diagnosis(ticket_id).await?.map(Into::into))
    }

    /// Records (or corrects) what caused the ticket's problem and, optionally, the
    /// problem it belongs to (an existing one, or a new one opened by title).
    pub async fn record_diagnosis(
        &self,
        actor: &Actor,
        id: i64,
        input: DiagnosisInput,
    ) -> Result<TicketDetail> {
        let t = self.visible_ticket(actor, id).await?;
        if !actor.may_manage_tickets() {
            return Err(ServiceError::forbidden("only staff diagnose tickets"));
        }
        let root_cause = diagnosis::root_cause(&input.root_cause, &t.subject)?;
        let resolution = diagnosis::optional_text(input.resolution.as_deref(), "resolution", 2000)?;
        let new_title = input
            .new_problem_title
            .as_deref()
            .map(diagnosis::problem_title)
            .transpose()
            .map_err(|e| heard_domain::Invalid {
                field: Some("new_problem_title"),
                ..e
            })?;
        let problem_id = match (input.problem_id, new_title) {
            (Some(_), Some(_)) => {
                return Err(ServiceError::invalid(
                    "new_problem_title",
                    ErrorCode::OneProblem,
                    "name an existing problem_id or a new_problem_title, not both",
                ));
            }
            (Some(p), None) => match self.store.problem(p).await? {
                Some(_) => Some(p),
                None => {
                    return Err(ServiceError::invalid(
                        "problem_id",
                        ErrorCode::ProblemNotFound,
                        format!("problem {p} does not exist"),
                    ));
                }
            },
            // Everything else was checked: the only way the new problem outlives a failed
            // diagnosis is a database failure, and it is a real problem either way.
            (None, Some(title)) => Some(
                self.store
                    .create_problem(&title, "", actor.user_id, self.now())
                    .await?,
            ),
            (None, None) => None,
        };
        let d = NewDiagnosis {
            root_cause,
            resolution,
            problem_id,
            recorded_by: actor.user_id,
        };
        for attempt in 0..ATTEMPTS {
            back_off(attempt).await;
            let t = self.visible_ticket(actor, id).await?;
            let now = self.now();
            let mut c = Change::of(&t);
            c.events.push(event(
                actor,
                "diagnosed",
                json!({"root_cause": d.root_cause, "resolution": d.resolution, "problem_id": d.problem_id}),
            ));
            let w = self.settled_write(&t, c, now).await?;
            match self.store.record_diagnosis(&w, &d, now).await {
                Err(StoreError::Stale) => continue,
                other => other?,
            }
            return self.ticket_detail(actor, id).await;
        }
        Err(StoreError::Stale.into())
    }

    pub async fn create_problem(&self, actor: &Actor, input: NewProblem) -> Result<ProblemView> {
        staff_only(actor)?;
        let title = diagnosis::problem_title(&input.title)?;
        let description =
            diagnosis::optional_text(input.description.as_deref(), "description", 10_000)?
                .unwrap_or_default();
        let id = self
            .store
            .create_problem(&title, &description, actor.user_id, self.now())
            .await?;
        self.store
            .problem(id)
            .await?
            .map(Into::into)
            .ok_or_else(problem_not_found)
    }

    pub async fn list_problems(&self, actor: &Actor, q: ProblemQuery) -> Result<Page<ProblemView>> {
        staff_only(actor)?;
        let limit = crate::page_limit(q.limit)?;
        let status = q
            .status
            .as_deref()
            .map(str::parse::<ProblemStatus>)
            .transpose()?;
        let rows = self
            .store
            .problems(status.map(ProblemStatus::as_str), q.after, limit)
            .await?;
        Ok(Page::new(
            rows.into_iter().map(Into::into).collect(),
            limit,
            |p: &ProblemView| p.id,
        ))
    }

    /// A problem and the newest tickets it caused that the caller may see.
    pub async fn problem_detail(&self, actor: &Actor, id: i64) -> Result<ProblemDetail> {
        if !actor.is_staff() {
            return Err(problem_not_found());
        }
        let problem = self
            .store
            .problem(id)
            .await?
            .ok_or_else(problem_not_found)?;
        let rows = self
            .store
            .tickets(
                &actor.ticket_scope(),
                &ListTickets {
                    problem_id: Some(id),
                    limit: 100,
                    ..Default::default()
                },
            )
            .await?;
        let linked_tickets = self.ticket_views(rows, true).await?;
        Ok(ProblemDetail {
            problem: problem.into(),
            linked_tickets,
        })
    }

    pub async fn update_problem(
        &self,
        actor: &Actor,
        id: i64,
        patch: ProblemPatch,
    ) -> Result<ProblemView> {
        if !actor.is_staff() {
            return Err(problem_not_found());
        }
        let p = self
            .store
            .problem(id)
            .await?
            .ok_or_else(problem_not_found)?;
        let title = match &patch.title {
            Some(t) => diagnosis::problem_title(t)?,
            None => p.title,
        };
        let description = match &patch.description {
            Some(d) => {
                diagnosis::optional_text(Some(d), "description", 10_000)?.unwrap_or_default()
            }
            None => p.description,
        };
        let status = match &patch.status {
            Some(s) => s.parse::<ProblemStatus>()?.as_str().to_string(),
            None => p.status,
        };
        if !self
            .store
            .update_problem(id, &title, &description, &status, self.now())
            .await?
        {
            return Err(problem_not_found());
        }
        self.store
            .problem(id)
            .await?
            .map(Into::into)
            .ok_or_else(problem_not_found)
    }
}
