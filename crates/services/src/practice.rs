//! Practice mode: new agents answer past conversations replayed as they happened, in a
//! sandbox no customer ever sees. A supervisor copies resolved tickets into practice
//! sets (calm, upset, abusive, by the customer's frustration); personal data is scrubbed
//! by `heard_domain::scrub` before anything is stored. Each practice reply gets the tone
//! coach's review; nothing is sent, notified, queued or indexed.

use crate::views::{PersonRef, rfc3339};
use crate::{Actor, ErrorCode, Result, ServiceError, Services};
use heard_domain::Role;
use heard_domain::practice::{Level, arrivals, finished};
use heard_domain::scrub::scrub_ticket;
use heard_language::{Audience, ToneContext, review_tone};
use heard_store::{NewPracticeCase, PracticeCaseRow, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Tickets copied per set when a supervisor asks for a fresh batch.
const PICK_PER_LEVEL: i64 = 5;
/// Longest practice reply kept, in bytes.
const MAX_REPLY: usize = 20_000;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticeCasesInput {
    /// Copy this resolved ticket; without it, a few of the newest resolved tickets of
    /// each set not yet copied.
    pub ticket_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPractice {
    pub case_id: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticeReplyInput {
    pub body: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeCase {
    pub id: i64,
    /// Scrubbed.
    pub subject: String,
    /// `calm`, `upset` or `abusive`.
    pub level: String,
    pub frustration: i64,
    /// Customer messages in the conversation.
    pub messages: i64,
}

impl From<PracticeCaseRow> for PracticeCase {
    fn from(c: PracticeCaseRow) -> Self {
        PracticeCase {
            id: c.id,
            subject: c.subject,
            level: c.level,
            frustration: c.frustration,
            messages: c.messages,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeSet {
    pub level: String,
    pub cases: Vec<PracticeCase>,
    /// Runs of this set the agent finished.
    pub finished: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeOverview {
    /// Calm, then upset, then abusive.
    pub sets: Vec<PracticeSet>,
    /// The agent's runs, newest first.
    pub runs: Vec<PracticeRunSummary>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeRunSummary {
    pub id: i64,
    pub subject: String,
    pub level: String,
    pub started_at: String,
    pub finished: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeFinding {
    /// `condescension`, `jargon`, `blame`…
    pub kind: String,
    pub excerpt: String,
    pub reason: String,
    pub suggestion: String,
}

/// One step of the replay: a customer message that has arrived, or the agent's reply
/// with the tone coach's review.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeEntry {
    /// `customer` or `agent`.
    pub from: String,
    pub body: String,
    pub at: String,
    /// Agent replies: the tone coach's score, 0–100 (100 = nothing to improve).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tone_score: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<PracticeFinding>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeRun {
    pub id: i64,
    pub agent: PersonRef,
    pub case: PracticeCase,
    pub started_at: String,
    pub finished: bool,
    /// The conversation so far, in order.
    pub entries: Vec<PracticeEntry>,
    /// Customer messages still to come.
    pub waiting: i64,
    /// When the next customer message comes unless the agent answers first.
    pub next_at: Option<String>,
    /// The average tone score of the agent's replies so far.
    pub tone_average: Option<i64>,
}

fn findings_of(tone: &serde_json::Value) -> Vec<PracticeFinding> {
    let s = |f: &serde_json::Value, k: &str| {
        f.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    tone.get("findings")
        .and_then(|f| f.as_array())
        .map(|a| {
            a.iter()
                .map(|f| PracticeFinding {
                    kind: s(f, "kind"),
                    excerpt: s(f, "excerpt"),
                    reason: s(f, "reason"),
                    suggestion: s(f, "suggestion"),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn supervises(actor: &Actor) -> bool {
    matches!(actor.role, Role::Supervisor | Role::Admin)
}

impl Services {
    /// Copies resolved tickets into the practice sets, scrubbed (supervisors and admins).
    pub async fn create_practice_cases(
        &self,
        actor: &Actor,
        input: PracticeCasesInput,
    ) -> Result<Vec<PracticeCase>> {
        if !supervises(actor) {
            return Err(ServiceError::forbidden(
                "supervisors choose the practice conversations",
            ));
        }
        let ids = match input.ticket_id {
            Some(id) => vec![id],
            None => {
                let mut ids = Vec::new();
                for level in Level::ALL {
                    let (lo, hi) = level.range();
                    ids.extend(
                        self.store
                            .practice_candidates(lo, hi, level == Level::Abusive, PICK_PER_LEVEL)
                            .await?,
                    );
                }
                ids
            }
        };
        let mut made = Vec::new();
        for id in ids {
            match self
                .copy_for_practice(id, input.ticket_id.is_some())
                .await?
            {
                Some(case_id) => {
                    if let Some(c) = self.store.practice_case(case_id).await? {
                        made.push(c.into());
                    }
                }
                None => continue,
            }
        }
        Ok(made)
    }

    /// One ticket's customer side, scrubbed, into the sandbox. `None` when it has no
    /// customer message or was copied before (an error instead when `strict`).
    async fn copy_for_practice(&self, ticket_id: i64, strict: bool) -> Result<Option<i64>> {
        let not_found =
            || ServiceError::invalid("ticket_id", ErrorCode::TicketNotFound, "no such ticket");
        let t = self.store.ticket(ticket_id).await?.ok_or_else(not_found)?;
        if !matches!(t.status.as_str(), "resolved" | "closed") {
            if strict {
                return Err(ServiceError::invalid(
                    "ticket_id",
                    ErrorCode::TicketNotResolved,
                    "only resolved conversations are used for practice",
                ));
            }
            return Ok(None);
        }
        let messages = self.store.messages(ticket_id, false).await?;
        let mut names: Vec<String> = messages.iter().map(|m| m.author_name.clone()).collect();
        names.push(t.requester_name.clone());
        let customer: Vec<_> = messages
            .iter()
            .filter(|m| m.author_id == t.requester_id)
            .collect();
        if customer.is_empty() {
            if strict {
                return Err(ServiceError::invalid(
                    "ticket_id",
                    ErrorCode::MissingBody,
                    "the conversation has no customer message to practise on",
                ));
            }
            return Ok(None);
        }
        // Subject and messages are scrubbed together, so a name gets one placeholder.
        let mut texts = vec![t.subject.clone()];
        texts.extend(customer.iter().map(|m| m.body_text.clone()));
        let mut scrubbed = scrub_ticket(&texts, &names).into_iter();
        let subject = scrubbed.next().unwrap_or_default();
        let mut prev = customer[0].created_at;
        let bodies: Vec<(String, i64)> = customer
            .iter()
            .zip(scrubbed)
            .map(|(m, body)| {
                let wait = (m.created_at - prev).max(0);
                prev = m.created_at;
                (body, wait)
            })
            .collect();
        let frustration = t.frustration_score.unwrap_or(0).clamp(0, 100);
        let case = NewPracticeCase {
            source_ticket_id: ticket_id,
            subject,
            level: Level::of(frustration as u8, t.abusive).as_str().into(),
            frustration,
            messages: bodies,
        };
        match self.store.insert_practice_case(&case, self.now()).await {
            Ok(id) => Ok(Some(id)),
            Err(StoreError::Duplicate(_)) if !strict => Ok(None),
            Err(StoreError::Duplicate(_)) => Err(ServiceError::conflict(
                ErrorCode::AlreadyExists,
                "that conversation is already a practice case",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The practice sets from calm to abusive, with the agent's progress and runs.
    pub async fn practice_overview(&self, actor: &Actor) -> Result<PracticeOverview> {
        if !actor.is_staff() {
            return Err(ServiceError::forbidden("practice is for agents"));
        }
        let cases = self.store.practice_cases().await?;
        let runs = self.store.practice_runs_of(actor.user_id, 200).await?;
        let level_of = |case_id: i64| cases.iter().find(|c| c.id == case_id);
        let sets = Level::ALL
            .iter()
            .map(|l| PracticeSet {
                level: l.as_str().into(),
                cases: cases
                    .iter()
                    .filter(|c| c.level == l.as_str())
                    .cloned()
                    .map(Into::into)
                    .collect(),
                finished: runs
                    .iter()
                    .filter(|r| {
                        r.finished_at.is_some()
                            && level_of(r.case_id).is_some_and(|c| c.level == l.as_str())
                    })
                    .count() as i64,
            })
            .collect();
        let runs = runs
            .iter()
            .map(|r| {
                let c = level_of(r.case_id);
                PracticeRunSummary {
                    id: r.id,
                    subject: c.map(|c| c.subject.clone()).unwrap_or_default(),
                    level: c.map(|c| c.level.clone()).unwrap_or_default(),
                    started_at: rfc3339(r.started_at),
                    finished: r.finished_at.is_some(),
                }
            })
            .collect();
        Ok(PracticeOverview { sets, runs })
    }

    /// Starts a run of one case for the acting agent.
    pub async fn start_practice(&self, actor: &Actor, input: StartPractice) -> Result<PracticeRun> {
        if !actor.is_staff() {
            return Err(ServiceError::forbidden("practice is for agents"));
        }
        self.store
            .practice_case(input.case_id)
            .await?
            .ok_or_else(|| {
                ServiceError::not_found("practice case", ErrorCode::PracticeCaseNotFound)
            })?;
        let id = self
            .store
            .insert_practice_run(input.case_id, actor.user_id, self.now())
            .await?;
        self.practice_run(actor, id).await
    }

    /// A run as the agent sees it now: the customer messages that have arrived, the
    /// agent's replies with the tone coach's review. Only its agent, supervisors and
    /// admins see it.
    pub async fn practice_run(&self, actor: &Actor, id: i64) -> Result<PracticeRun> {
        let not_found = || ServiceError::not_found("practice run", ErrorCode::PracticeRunNotFound);
        let run = self.store.practice_run(id).await?.ok_or_else(not_found)?;
        if !actor.is_staff() || (run.agent_id != actor.user_id && !supervises(actor)) {
            return Err(not_found());
        }
        let case = self
            .store
            .practice_case(run.case_id)
            .await?
            .ok_or_else(not_found)?;
        let messages = self.store.practice_messages(run.case_id).await?;
        let replies = self.store.practice_replies(id).await?;
        let agent = self
            .store
            .user(run.agent_id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        let now = self.now();
        let waits: Vec<i64> = messages.iter().map(|m| m.wait_ms).collect();
        let reply_times: Vec<i64> = replies.iter().map(|r| r.created_at).collect();
        // A finished run shows what was there when it finished.
        let as_of = run.finished_at.unwrap_or(now);
        let arrived = arrivals(&waits, run.started_at, &reply_times, as_of);
        let mut entries: Vec<(i64, u8, PracticeEntry)> = arrived
            .iter()
            .zip(&messages)
            .map(|(&at, m)| {
                (
                    at,
                    0,
                    PracticeEntry {
                        from: "customer".into(),
                        body: m.body.clone(),
                        at: rfc3339(at),
                        tone_score: None,
                        findings: Vec::new(),
                    },
                )
            })
            .collect();
        let mut scores = Vec::new();
        for r in &replies {
            let tone: serde_json::Value = serde_json::from_str(&r.tone).unwrap_or_default();
            let score = tone.get("score").and_then(|v| v.as_i64());
            scores.extend(score);
            entries.push((
                r.created_at,
                1,
                PracticeEntry {
                    from: "agent".into(),
                    body: r.body.clone(),
                    at: rfc3339(r.created_at),
                    tone_score: score,
                    findings: findings_of(&tone),
                },
            ));
        }
        // A customer message that arrives at the moment of a reply follows it.
        entries.sort_by_key(|e| (e.0, std::cmp::Reverse(e.1)));
        let next_at = (run.finished_at.is_none() && arrived.len() < waits.len())
            .then(|| {
                arrivals(&waits, run.started_at, &reply_times, i64::MAX)
                    .get(arrived.len())
                    .copied()
            })
            .flatten()
            .map(rfc3339);
        Ok(PracticeRun {
            id,
            agent: PersonRef {
                id: run.agent_id,
                name: agent,
            },
            case: case.into(),
            started_at: rfc3339(run.started_at),
            finished: run.finished_at.is_some(),
            waiting: (waits.len() - arrived.len()) as i64,
            next_at,
            tone_average: (!scores.is_empty())
                .then(|| scores.iter().sum::<i64>() / scores.len() as i64),
            entries: entries.into_iter().map(|e| e.2).collect(),
        })
    }

    /// The agent answers in a practice run: the tone coach reviews the reply, which is
    /// kept in the sandbox only (never sent); the run finishes when the last customer
    /// message is answered.
    pub async fn practice_reply(
        &self,
        actor: &Actor,
        id: i64,
        input: PracticeReplyInput,
    ) -> Result<PracticeRun> {
        let not_found = || ServiceError::not_found("practice run", ErrorCode::PracticeRunNotFound);
        let run = self.store.practice_run(id).await?.ok_or_else(not_found)?;
        if run.agent_id != actor.user_id {
            return Err(not_found());
        }
        let body = input.body.trim();
        if body.is_empty() {
            return Err(ServiceError::invalid(
                "body",
                ErrorCode::EmptyReply,
                "write a reply to the customer",
            ));
        }
        if body.len() > MAX_REPLY {
            return Err(ServiceError::invalid(
                "body",
                ErrorCode::BodyTooLong,
                "a practice reply is at most 20,000 bytes",
            ));
        }
        if run.finished_at.is_some() {
            return Err(ServiceError::conflict(
                ErrorCode::PracticeFinished,
                "this practice run is over",
            ));
        }
        let now = self.now();
        let waits: Vec<i64> = self
            .store
            .practice_messages(run.case_id)
            .await?
            .iter()
            .map(|m| m.wait_ms)
            .collect();
        let mut replies: Vec<i64> = self
            .store
            .practice_replies(id)
            .await?
            .iter()
            .map(|r| r.created_at)
            .collect();
        replies.push(now);
        let done = finished(&waits, run.started_at, &replies, now);
        let tone = review_tone(
            body,
            &ToneContext {
                audience: Audience::NonTechnical,
                known_facts: Vec::new(),
            },
        );
        let tone = serde_json::to_string(&tone).map_err(ServiceError::internal)?;
        if !self
            .store
            .insert_practice_reply(id, body, &tone, done, now)
            .await?
        {
            return Err(ServiceError::conflict(
                ErrorCode::PracticeFinished,
                "this practice run is over",
            ));
        }
        self.practice_run(actor, id).await
    }
}
