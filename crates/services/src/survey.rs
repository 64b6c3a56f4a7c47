//! "How did we do?": the customer rates a resolved request; a poor rating opens a
//! recovery task that supervisors are notified of and complete with a note of what they
//! did to make it right. Satisfaction per team and agent comes from the same table.

use crate::ErrorCode;
use crate::tickets::{ATTEMPTS, Change, back_off, event};
use crate::views::{TicketDetail, rfc3339};
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::Status;
use heard_domain::diagnosis::optional_text;
use heard_domain::survey::{Rating, Recovery, csat_percent};
use heard_store::{NewNotification, NewSurvey, StoreError, SurveyRow};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyInput {
    /// 1 (very poor) to 5 (very good).
    pub rating: i64,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryInput {
    /// What the supervisor did to make it right (a call, a credit, a fix).
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyView {
    pub rating: i64,
    pub comment: Option<String>,
    /// Staff only: none, open (a supervisor should follow up) or done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovered_by: Option<String>,
    pub rated_at: String,
}

impl SurveyView {
    fn new(s: SurveyRow, staff: bool) -> Self {
        SurveyView {
            rating: s.rating,
            comment: s.comment,
            recovery: staff.then_some(s.recovery),
            recovery_note: s.recovery_note.filter(|_| staff),
            recovered_by: s.recovered_by_name.filter(|_| staff),
            rated_at: rfc3339(s.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecoveryTask {
    pub ticket_id: i64,
    pub subject: String,
    pub rating: i64,
    pub comment: Option<String>,
    pub customer: String,
    /// Who had the ticket when it was rated.
    pub agent: Option<String>,
    pub since: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SatisfactionLine {
    pub team: Option<String>,
    pub agent: Option<String>,
    pub rated: i64,
    pub satisfied: i64,
    pub poor: i64,
    /// Share of ratings that were 4 or 5, in percent.
    pub csat_percent: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SatisfactionReport {
    pub since: String,
    pub rated: i64,
    pub csat_percent: Option<i64>,
    /// Per team and agent (who had the ticket when it was rated).
    pub lines: Vec<SatisfactionLine>,
}

fn supervisors_only(actor: &Actor) -> Result<()> {
    if actor.role.is_supervisor() {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "recovery tasks are for supervisors",
        ))
    }
}

impl Services {
    /// The ticket's rating as the caller may see it.
    pub async fn survey_of(&self, ticket_id: i64, staff: bool) -> Result<Option<SurveyView>> {
        Ok(self
            .store
            .survey(ticket_id)
            .await?
            .map(|s| SurveyView::new(s, staff)))
    }

    /// The requester rates their resolved (or closed) request; they may change their
    /// rating later. A poor rating opens a recovery task and notifies the supervisors.
    pub async fn rate_ticket(
        &self,
        actor: &Actor,
        id: i64,
        input: SurveyInput,
    ) -> Result<TicketDetail> {
        let rating = Rating::new(input.rating)?;
        let comment = optional_text(input.comment.as_deref(), "comment", 2000)?;
        for attempt in 0..ATTEMPTS {
            back_off(attempt).await;
            let t = self.visible_ticket(actor, id).await?;
            if actor.user_id != t.requester_id {
                return Err(ServiceError::forbidden(
                    "only the customer who asked rates a request",
                ));
            }
            if !matches!(
                t.status.parse::<Status>()?,
                Status::Resolved | Status::Closed
            ) {
                return Err(ServiceError::conflict(
                    ErrorCode::NotResolved,
                    "a request is rated once it is resolved",
                ));
            }
            let before = match self.store.survey(id).await? {
                Some(s) => Recovery::parse(&s.recovery),
                None => Recovery::None,
            };
            let recovery = before.after_rating(rating);
            let opens = recovery == Recovery::Open && before != Recovery::Open;
            let notify = opens.then(|| NewNotification {
                user_id: None,
                role: Some("supervisor".into()),
                kind: "poor_rating".into(),
                message: format!(
                    "{} rated “{}” {}/5: get back to them",
                    t.requester_name,
                    t.subject,
                    rating.get()
                ),
            });
            let now = self.now();
            let mut c = Change::of(&t);
            c.events.push(event(
                actor,
                "rated",
                json!({"rating": rating.get(), "comment": comment, "recovery_opened": opens}),
            ));
            let w = self.settled_write(&t, c, now).await?;
            let survey = NewSurvey {
                requester_id: t.requester_id,
                rating: i64::from(rating.get()),
                comment: comment.clone(),
                agent_id: t.assignee_id,
                team_id: t.team_id,
                recovery: recovery.as_str().into(),
            };
            match self
                .store
                .rate_ticket(&w, &survey, notify.as_ref(), now)
                .await
            {
                Err(StoreError::Stale) => continue,
                other => other?,
            }
            return self.ticket_detail(actor, id).await;
        }
        Err(StoreError::Stale.into())
    }

    /// A supervisor completes a recovery task with what they did to make it right.
    pub async fn complete_recovery(
        &self,
        actor: &Actor,
        id: i64,
        input: RecoveryInput,
    ) -> Result<TicketDetail> {
        let t = self.visible_ticket(actor, id).await?;
        supervisors_only(actor)?;
        let note = optional_text(Some(&input.note), "note", 2000)?.ok_or_else(|| {
            ServiceError::invalid(
                "note",
                ErrorCode::MissingNote,
                "say what was done to make it right",
            )
        })?;
        for attempt in 0..ATTEMPTS {
            back_off(attempt).await;
            let t = if attempt == 0 {
                t.clone()
            } else {
                self.visible_ticket(actor, id).await?
            };
            let now = self.now();
            let mut c = Change::of(&t);
            c.events
                .push(event(actor, "recovered", json!({"note": note})));
            let w = self.settled_write(&t, c, now).await?;
            match self
                .store
                .complete_recovery(&w, &note, actor.user_id, now)
                .await
            {
                Err(StoreError::Stale) => continue,
                Ok(false) => {
                    return Err(ServiceError::conflict(
                        ErrorCode::NoRecoveryOpen,
                        "this ticket has no open recovery task",
                    ));
                }
                other => other?,
            };
            return self.ticket_detail(actor, id).await;
        }
        Err(StoreError::Stale.into())
    }

    /// Open recovery tasks, the longest waiting first (supervisors).
    pub async fn recoveries(&self, actor: &Actor) -> Result<Vec<RecoveryTask>> {
        supervisors_only(actor)?;
        Ok(self
            .store
            .open_recoveries(200)
            .await?
            .into_iter()
            .map(|r| RecoveryTask {
                ticket_id: r.ticket_id,
                subject: r.subject,
                rating: r.rating,
                comment: r.comment,
                customer: r.customer_name,
                agent: r.agent_name,
                since: rfc3339(r.updated_at),
            })
            .collect())
    }

    /// Satisfaction over the last `days` days, overall and per team and agent (staff).
    pub async fn satisfaction_report(
        &self,
        actor: &Actor,
        days: i64,
    ) -> Result<SatisfactionReport> {
        if !actor.is_staff() {
            return Err(ServiceError::forbidden("reports are for staff"));
        }
        if !(1..=366).contains(&days) {
            return Err(ServiceError::invalid(
                "days",
                ErrorCode::InvalidDays,
                "days is between 1 and 366",
            ));
        }
        let since = self.now() - days * 86_400_000;
        let rows = self.store.satisfaction_since(since).await?;
        let (rated, satisfied) = rows
            .iter()
            .fold((0, 0), |(r, s), l| (r + l.rated, s + l.satisfied));
        Ok(SatisfactionReport {
            since: rfc3339(since),
            rated,
            csat_percent: csat_percent(satisfied, rated),
            lines: rows
                .into_iter()
                .map(|l| SatisfactionLine {
                    csat_percent: csat_percent(l.satisfied, l.rated),
                    team: l.team_name,
                    agent: l.agent_name,
                    rated: l.rated,
                    satisfied: l.satisfied,
                    poor: l.poor,
                })
                .collect(),
        })
    }
}
