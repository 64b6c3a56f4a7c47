//! Quality reviews: a supervisor, or staff an admin names reviewer, scores one agent's
//! part of a conversation on the versioned H.E.A.R.D. and bill-of-rights rubric, starting
//! from scores suggested by what was already recorded (tone reviews of the sent replies,
//! the customer's frustration arc, service-level events, the diagnosis). The agent reads
//! their reviews and trend and may answer each review once.
//!
//! A review is seen by its reviewer, the reviewed agent, supervisors and admins; anyone
//! else is told it does not exist.

use crate::views::{Page, PersonRef, rfc3339};
use crate::{Actor, ErrorCode, Result, ServiceError, Services, page_limit};
use heard_domain::review::{
    self, ConversationFacts, EventFacts, Reason, ReplyFacts, RubricItem, Suggested,
};
use heard_domain::{Invalid, Role};
use heard_store::{
    MessageRow, NewReview, NewReviewComment, ReviewFilter, ReviewRow, StaffFlagRow, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// Events read per scan batch, and batches per queue view: the scan catches up a little
/// on every view instead of reading the whole log at once.
const SCAN_BATCH: i64 = 1000;
const SCAN_BATCHES: usize = 5;
/// Events re-read before the cursor on each scan, for late commits.
const SCAN_OVERLAP: i64 = 200;
/// Weeks of the agent's trend.
const TREND_WEEKS: i64 = 26;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RubricItemView {
    /// Stable across edits: a rename changes the label only.
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub guide: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RubricView {
    pub version: i64,
    /// Each item is scored 0 (not at all) to 4 (fully), or null for not applicable.
    pub items: Vec<RubricItemView>,
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RubricInput {
    pub items: Vec<RubricItemView>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// The rubric item the comment is about, if any.
    pub item: Option<String>,
    /// The message of the reviewed ticket it is anchored on.
    pub message_id: i64,
    /// Optional span: byte offsets into the message's `body_text`.
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub body: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub ticket_id: i64,
    /// The agent whose replies are reviewed; by default the one who sent most.
    pub agent_id: Option<i64>,
    /// The rubric version the form showed; refused with `rubric_changed` if it is no
    /// longer the current one.
    pub rubric_version: Option<i64>,
    /// Every rubric item's key with 0–4, or null for not applicable.
    pub scores: BTreeMap<String, Option<i64>>,
    #[serde(default)]
    pub comments: Vec<CommentInput>,
    pub summary: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewReplyInput {
    pub reply: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerInput {
    pub reviewer: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoredItem {
    pub key: String,
    pub label: String,
    /// 0–4, or null for not applicable.
    pub score: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewCommentView {
    pub id: i64,
    pub item: Option<String>,
    pub message_id: i64,
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// The words of the span, when the comment has one.
    pub excerpt: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    pub id: i64,
    pub ticket_id: i64,
    pub subject: String,
    pub agent: PersonRef,
    pub reviewer: PersonRef,
    /// The rubric version it was scored on; its labels are used here.
    pub rubric_version: i64,
    pub items: Vec<ScoredItem>,
    /// Percent of full marks over the applicable items; null if none applied.
    pub score: Option<i64>,
    pub summary: Option<String>,
    pub comments: Vec<ReviewCommentView>,
    pub reply: Option<String>,
    pub replied_at: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueReason {
    /// poor_rating, upset_customer, missed_promise, tone_findings_sent, reopened,
    /// transfers or sample.
    pub reason: String,
    pub label: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueItem {
    pub ticket_id: i64,
    pub subject: String,
    pub status: String,
    /// Who owns the ticket.
    pub agent: Option<PersonRef>,
    pub reasons: Vec<QueueReason>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuggestedItem {
    pub key: String,
    pub label: String,
    pub guide: String,
    /// The suggested score, if the evidence points to one.
    pub score: Option<i64>,
    /// The evidence says the item does not arise in this conversation.
    pub not_applicable: bool,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewDraft {
    pub ticket_id: i64,
    pub subject: String,
    /// The agent whose replies are reviewed.
    pub agent: PersonRef,
    /// Every agent who sent a public reply on the ticket.
    pub agents: Vec<PersonRef>,
    pub rubric_version: i64,
    pub items: Vec<SuggestedItem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendWeek {
    /// The Monday the week starts on (UTC), as a date.
    pub week: String,
    pub reviews: i64,
    pub average: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewTrend {
    pub agent: PersonRef,
    pub weeks: Vec<TrendWeek>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffReviewer {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    /// Supervisors and admins review by their role; others when named reviewer.
    pub reviewer: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReviewQuery {
    pub agent_id: Option<i64>,
    pub reviewer_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

fn hidden() -> ServiceError {
    ServiceError::not_found("review", ErrorCode::ReviewNotFound)
}

fn supervises(actor: &Actor) -> bool {
    matches!(actor.role, Role::Supervisor | Role::Admin)
}

fn parse_items(json: &str) -> Result<Vec<RubricItem>> {
    serde_json::from_str(json).map_err(ServiceError::internal)
}

fn item_views(items: &[RubricItem]) -> Vec<RubricItemView> {
    items
        .iter()
        .map(|i| RubricItemView {
            key: i.key.clone(),
            label: i.label.clone(),
            guide: i.guide.clone(),
        })
        .collect()
}

/// Public replies by staff, counted per author, most first.
fn repliers(messages: &[MessageRow], requester_id: i64) -> Vec<PersonRef> {
    let mut counts: Vec<(i64, String, usize)> = Vec::new();
    for m in messages.iter().filter(|m| {
        m.kind == "public" && m.author_id != requester_id && m.author_role != "customer"
    }) {
        match counts.iter_mut().find(|c| c.0 == m.author_id) {
            Some(c) => c.2 += 1,
            None => counts.push((m.author_id, m.author_name.clone(), 1)),
        }
    }
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    counts
        .into_iter()
        .map(|(id, name, _)| PersonRef { id, name })
        .collect()
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::Null)
}

/// What an event says for the queue, read from its JSON data.
fn event_facts(ticket_id: i64, kind: &str, data: &str, transfers: i64) -> EventFacts {
    let d = json(data);
    let text = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_string);
    EventFacts {
        ticket_id,
        kind: kind.to_string(),
        rating: d.get("rating").and_then(Value::as_i64),
        by_customer: text("by").as_deref() == Some("customer"),
        frustration: d.get("frustration").and_then(Value::as_i64),
        tone_findings: d
            .get("tone_findings")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        from_status: text("from"),
        to_status: text("to"),
        subject: text("subject"),
        transfers,
    }
}

impl Services {
    /// Whether the actor may review conversations: supervisors, admins, and staff an
    /// admin named reviewer.
    pub async fn may_review(&self, actor: &Actor) -> Result<bool> {
        Ok(
            supervises(actor)
                || (actor.is_staff() && self.store.is_reviewer(actor.user_id).await?),
        )
    }

    async fn require_reviewer(&self, actor: &Actor) -> Result<()> {
        if self.may_review(actor).await? {
            Ok(())
        } else {
            Err(ServiceError::conflict(
                ErrorCode::NotAReviewer,
                "only supervisors and named reviewers review conversations",
            ))
        }
    }

    /// The rubric now in force (the built-in one until an admin edits it).
    pub async fn current_rubric(&self) -> Result<RubricView> {
        if let Some(r) = self.store.rubric(None).await? {
            return Ok(RubricView {
                version: r.version,
                items: item_views(&parse_items(&r.items)?),
                created_at: rfc3339(r.created_at),
            });
        }
        let items =
            serde_json::to_string(&review::default_rubric()).map_err(ServiceError::internal)?;
        self.store
            .insert_rubric(1, &items, None, self.now())
            .await?;
        let r = self
            .store
            .rubric(None)
            .await?
            .ok_or_else(|| ServiceError::internal("the rubric vanished"))?;
        Ok(RubricView {
            version: r.version,
            items: item_views(&parse_items(&r.items)?),
            created_at: rfc3339(r.created_at),
        })
    }

    /// The rubric for reviewers and the staff who are reviewed.
    pub async fn rubric_for(&self, actor: &Actor) -> Result<RubricView> {
        if !actor.is_staff() {
            return Err(ServiceError::forbidden("the review rubric is for staff"));
        }
        self.current_rubric().await
    }

    /// An admin edits the rubric: a new version; reviews keep the version they used.
    pub async fn update_rubric(&self, actor: &Actor, input: RubricInput) -> Result<RubricView> {
        if !actor.may_configure() {
            return Err(ServiceError::forbidden("admins edit the review rubric"));
        }
        let items = review::validate_rubric(
            input
                .items
                .into_iter()
                .map(|i| RubricItem {
                    key: i.key,
                    label: i.label,
                    guide: i.guide,
                })
                .collect(),
        )?;
        let current = self.current_rubric().await?;
        let json = serde_json::to_string(&items).map_err(ServiceError::internal)?;
        if !self
            .store
            .insert_rubric(current.version + 1, &json, Some(actor.user_id), self.now())
            .await?
        {
            return Err(ServiceError::conflict(
                ErrorCode::RubricChanged,
                "someone else edited the rubric at the same time; reload it",
            ));
        }
        self.current_rubric().await
    }

    /// Staff with their reviewer flag (admins).
    pub async fn reviewers(&self, actor: &Actor) -> Result<Vec<StaffReviewer>> {
        if !actor.may_configure() {
            return Err(ServiceError::forbidden("admins name reviewers"));
        }
        Ok(self
            .store
            .staff_flags()
            .await?
            .into_iter()
            .map(|s: StaffFlagRow| StaffReviewer {
                reviewer: s.reviewer || matches!(s.role.as_str(), "supervisor" | "admin"),
                id: s.id,
                name: s.name,
                email: s.email,
                role: s.role,
            })
            .collect())
    }

    /// An admin names a staff member reviewer, or takes it back.
    pub async fn set_reviewer(
        &self,
        actor: &Actor,
        user_id: i64,
        input: ReviewerInput,
    ) -> Result<()> {
        if !actor.may_configure() {
            return Err(ServiceError::forbidden("admins name reviewers"));
        }
        if self.store.set_reviewer(user_id, input.reviewer).await? {
            Ok(())
        } else {
            Err(ServiceError::not_found("agent", ErrorCode::AgentNotFound))
        }
    }

    /// Reads the events the queue has not seen yet and notes the reasons they give.
    async fn scan_for_reviews(&self) -> Result<()> {
        for _ in 0..SCAN_BATCHES {
            let from = self.store.review_scan_cursor().await?;
            // Read again a little before the cursor: on PostgreSQL an event with a lower
            // id can commit after a higher one was read. Notes are idempotent.
            let events = self
                .store
                .review_scan_events((from - SCAN_OVERLAP).max(0), SCAN_BATCH + SCAN_OVERLAP)
                .await?;
            let last = events.last().map_or(from, |e| e.id);
            if last <= from {
                return Ok(());
            }
            let found: Vec<(i64, String, String)> = events
                .iter()
                .flat_map(|e| {
                    review::reasons_of_event(&event_facts(
                        e.ticket_id,
                        &e.kind,
                        &e.data,
                        e.transfers,
                    ))
                    .into_iter()
                    .map(|(r, detail)| (e.ticket_id, r.as_str().to_string(), detail))
                })
                .collect();
            self.store
                .record_candidates(last, &found, self.now())
                .await?;
            if (events.len() as i64) < SCAN_BATCH + SCAN_OVERLAP {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Conversations worth reviewing with their reasons, newest ticket first; tickets
    /// already reviewed drop out, and nobody is offered their own tickets.
    pub async fn review_queue(
        &self,
        actor: &Actor,
        after: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<QueueItem>> {
        self.require_reviewer(actor).await?;
        let limit = page_limit(limit)?;
        self.scan_for_reviews().await?;
        let rows = self
            .store
            .review_queue(after, limit, Reason::ALL.len() as i64)
            .await?;
        let mut tickets: Vec<(QueueItem, Option<i64>)> = Vec::new();
        for r in rows {
            let reason = QueueReason {
                label: Reason::parse(&r.reason)
                    .map(Reason::label)
                    .unwrap_or("Other")
                    .into(),
                reason: r.reason,
                detail: r.detail,
            };
            match tickets.last_mut() {
                Some((t, _)) if t.ticket_id == r.ticket_id => t.reasons.push(reason),
                _ => tickets.push((
                    QueueItem {
                        ticket_id: r.ticket_id,
                        subject: r.subject,
                        status: r.status,
                        agent: r
                            .assignee_id
                            .zip(r.assignee_name)
                            .map(|(id, name)| PersonRef { id, name }),
                        reasons: vec![reason],
                    },
                    r.team_id,
                )),
            }
        }
        tickets.truncate(limit as usize);
        let next_after = (tickets.len() as i64 == limit)
            .then(|| tickets.last().map(|t| t.0.ticket_id))
            .flatten();
        let scope_all = supervises(actor);
        let items = tickets
            .into_iter()
            .filter(|(t, team)| {
                let own = t.agent.as_ref().is_some_and(|a| a.id == actor.user_id);
                !own && (scope_all || team.is_some_and(|tm| actor.team_ids.contains(&tm)))
            })
            .map(|(t, _)| t)
            .collect();
        Ok(Page {
            items,
            next_after,
            next_cursor: None,
        })
    }

    /// What a review form starts from: the rubric with each item's suggested score and
    /// its evidence, for one agent's part of the ticket.
    pub async fn review_draft(
        &self,
        actor: &Actor,
        ticket_id: i64,
        agent_id: Option<i64>,
    ) -> Result<ReviewDraft> {
        let t = self.visible_ticket(actor, ticket_id).await?;
        self.require_reviewer(actor).await?;
        let messages = self.store.messages(ticket_id, true).await?;
        let agents = repliers(&messages, t.requester_id);
        let agent = self.reviewed_agent(actor, &agents, agent_id)?;
        let rubric = self.current_rubric().await?;
        let facts = self.conversation_facts(&t, &messages, agent.id).await?;
        let items: Vec<RubricItem> = rubric
            .items
            .iter()
            .map(|i| RubricItem {
                key: i.key.clone(),
                label: i.label.clone(),
                guide: i.guide.clone(),
            })
            .collect();
        let suggestions = review::suggest(&items, &facts);
        Ok(ReviewDraft {
            ticket_id,
            subject: t.subject,
            agent,
            agents,
            rubric_version: rubric.version,
            items: items
                .into_iter()
                .zip(suggestions)
                .map(|(i, s)| SuggestedItem {
                    key: i.key,
                    label: i.label,
                    guide: i.guide,
                    score: match s.suggested {
                        Suggested::Score(n) => Some(i64::from(n)),
                        _ => None,
                    },
                    not_applicable: s.suggested == Suggested::NotApplicable,
                    evidence: s.evidence,
                })
                .collect(),
        })
    }

    fn reviewed_agent(
        &self,
        actor: &Actor,
        agents: &[PersonRef],
        agent_id: Option<i64>,
    ) -> Result<PersonRef> {
        let agent = match agent_id {
            Some(id) => agents.iter().find(|a| a.id == id).cloned().ok_or_else(|| {
                Invalid::new(
                    "agent_id",
                    ErrorCode::AgentNotReplier,
                    "that agent sent no public reply on this ticket",
                )
            })?,
            None => agents
                .iter()
                .find(|a| a.id != actor.user_id)
                .or(agents.first())
                .cloned()
                .ok_or_else(|| {
                    Invalid::new(
                        "agent_id",
                        ErrorCode::AgentNotReplier,
                        "no agent has replied on this ticket yet: there is nothing to review",
                    )
                })?,
        };
        if agent.id == actor.user_id {
            return Err(ServiceError::conflict(
                ErrorCode::SelfReview,
                "you cannot review your own replies",
            ));
        }
        Ok(agent)
    }

    /// Everything recorded about the agent's part of the conversation.
    async fn conversation_facts(
        &self,
        t: &heard_store::TicketRow,
        messages: &[MessageRow],
        agent_id: i64,
    ) -> Result<ConversationFacts> {
        let mut facts = ConversationFacts::default();
        let mut first_reply: Option<i64> = None;
        for m in messages.iter().filter(|m| m.kind == "public") {
            let analysis = m.analysis.as_deref().map(json).unwrap_or(Value::Null);
            if m.author_id == agent_id {
                first_reply.get_or_insert(m.id);
                let tone = analysis.get("tone");
                let checklist = tone.and_then(|t| t.get("checklist")).map(|c| {
                    let flag = |k: &str| c.get(k).and_then(Value::as_bool).unwrap_or(false);
                    review::Checklist {
                        acknowledges: flag("acknowledges"),
                        empathizes: flag("empathizes"),
                        apologizes: flag("apologizes"),
                        next_step: flag("next_step"),
                        time_frame: flag("time_frame"),
                    }
                });
                let findings = tone
                    .and_then(|t| t.get("findings"))
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|f| {
                                f.get("kind").and_then(Value::as_str).map(str::to_string)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                facts.replies.push(ReplyFacts {
                    message_id: m.id,
                    findings,
                    checklist,
                });
            } else if m.author_id == t.requester_id
                && let Some(score) = analysis
                    .get("frustration")
                    .and_then(|f| f.get("score"))
                    .and_then(Value::as_i64)
            {
                facts.frustration.push((score, first_reply.is_some()));
            }
        }
        for e in self.store.events(t.id).await? {
            let d = json(&e.data);
            match e.kind.as_str() {
                "had_to_repeat" => facts.repeats += 1,
                "sla_breached" => facts.breaches.push(
                    d.get("subject")
                        .and_then(Value::as_str)
                        .unwrap_or("target")
                        .to_string(),
                ),
                "promised" if e.actor_id == Some(agent_id) => facts.promises += 1,
                "status_changed" => {
                    let from = d.get("from").and_then(Value::as_str).unwrap_or("");
                    let to = d.get("to").and_then(Value::as_str).unwrap_or("");
                    if matches!(from, "resolved" | "closed") && !matches!(to, "resolved" | "closed")
                    {
                        facts.reopened = true;
                    }
                }
                _ => {}
            }
        }
        facts.resolved = matches!(t.status.as_str(), "resolved" | "closed");
        facts.root_cause = self.store.diagnosis(t.id).await?.map(|d| d.root_cause);
        Ok(facts)
    }

    /// Scores one agent's part of a conversation.
    pub async fn create_review(&self, actor: &Actor, input: ReviewInput) -> Result<ReviewView> {
        let t = self.visible_ticket(actor, input.ticket_id).await?;
        self.require_reviewer(actor).await?;
        let messages = self.store.messages(t.id, true).await?;
        let agents = repliers(&messages, t.requester_id);
        let agent = self.reviewed_agent(actor, &agents, input.agent_id)?;
        let rubric = self.current_rubric().await?;
        if input.rubric_version.is_some_and(|v| v != rubric.version) {
            return Err(ServiceError::conflict(
                ErrorCode::RubricChanged,
                "the rubric was edited since this form was opened; reload it",
            ));
        }
        let items: Vec<RubricItem> = rubric
            .items
            .iter()
            .map(|i| RubricItem {
                key: i.key.clone(),
                label: i.label.clone(),
                guide: i.guide.clone(),
            })
            .collect();
        let scores = review::validate_scores(&items, &input.scores)?;
        let overall = review::overall_percent(&scores.iter().map(|s| s.1).collect::<Vec<_>>());
        if input.comments.len() > review::MAX_COMMENTS {
            return Err(Invalid::new(
                "comments",
                ErrorCode::InvalidComment,
                format!("a review has at most {} comments", review::MAX_COMMENTS),
            )
            .into());
        }
        let by_id: HashMap<i64, &MessageRow> = messages.iter().map(|m| (m.id, m)).collect();
        let mut comments = Vec::new();
        for c in input.comments {
            let body = review::comment_text(&c.body)?;
            if let Some(k) = &c.item
                && !items.iter().any(|i| &i.key == k)
            {
                return Err(Invalid::new(
                    "comments",
                    ErrorCode::UnknownRubricItem,
                    format!("comments: the rubric has no item “{k}”"),
                )
                .into());
            }
            let m = by_id.get(&c.message_id).ok_or_else(|| {
                Invalid::new(
                    "comments",
                    ErrorCode::InvalidAnchor,
                    format!(
                        "comments: message {} is not part of this ticket",
                        c.message_id
                    ),
                )
            })?;
            review::validate_span(&m.body_text, c.start, c.end)?;
            comments.push(NewReviewComment {
                item_key: c.item,
                message_id: c.message_id,
                span: c.start.zip(c.end),
                body,
            });
        }
        let summary = match input.summary.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(review::comment_text(s).map_err(|mut e| {
                e.field = Some("summary");
                e
            })?),
        };
        let new = NewReview {
            ticket_id: t.id,
            agent_id: agent.id,
            team_id: t.team_id,
            reviewer_id: actor.user_id,
            rubric_version: rubric.version,
            score: overall.map(i64::from),
            summary,
            scores: scores
                .into_iter()
                .map(|(k, s)| (k, s.map(i64::from)))
                .collect(),
            comments,
        };
        let id = match self.store.insert_review(&new, self.now()).await {
            Err(StoreError::Duplicate(_)) => {
                return Err(ServiceError::conflict(
                    ErrorCode::AlreadyExists,
                    "you have already reviewed this agent on this ticket",
                ));
            }
            other => other?,
        };
        self.review(actor, id).await
    }

    async fn visible_review(&self, actor: &Actor, id: i64) -> Result<ReviewRow> {
        let r = self.store.review(id).await?.ok_or_else(hidden)?;
        let sees = actor.is_staff()
            && (supervises(actor) || r.agent_id == actor.user_id || r.reviewer_id == actor.user_id);
        if sees { Ok(r) } else { Err(hidden()) }
    }

    async fn review_view(&self, r: ReviewRow) -> Result<ReviewView> {
        let rubric = self
            .store
            .rubric(Some(r.rubric_version))
            .await?
            .ok_or_else(|| ServiceError::internal("a review's rubric version is missing"))?;
        let items = parse_items(&rubric.items)?;
        let scores: HashMap<String, Option<i64>> = self
            .store
            .review_scores(r.id)
            .await?
            .into_iter()
            .map(|s| (s.item_key, s.score))
            .collect();
        let mut comments = Vec::new();
        for c in self.store.review_comments(r.id).await? {
            let excerpt = match (c.span_start, c.span_end) {
                (Some(s), Some(e)) => self
                    .store
                    .message(c.message_id)
                    .await?
                    .and_then(|m| m.body_text.get(s as usize..e as usize).map(str::to_string)),
                _ => None,
            };
            comments.push(ReviewCommentView {
                id: c.id,
                item: c.item_key,
                message_id: c.message_id,
                start: c.span_start,
                end: c.span_end,
                excerpt,
                body: c.body,
            });
        }
        Ok(ReviewView {
            id: r.id,
            ticket_id: r.ticket_id,
            subject: r.subject,
            agent: PersonRef {
                id: r.agent_id,
                name: r.agent_name,
            },
            reviewer: PersonRef {
                id: r.reviewer_id,
                name: r.reviewer_name,
            },
            rubric_version: r.rubric_version,
            items: items
                .into_iter()
                .map(|i| ScoredItem {
                    score: scores.get(&i.key).copied().flatten(),
                    key: i.key,
                    label: i.label,
                })
                .collect(),
            score: r.score,
            summary: r.summary,
            comments,
            reply: r.reply,
            replied_at: r.replied_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
        })
    }

    /// One review, for its reviewer, the reviewed agent, supervisors and admins.
    pub async fn review(&self, actor: &Actor, id: i64) -> Result<ReviewView> {
        let r = self.visible_review(actor, id).await?;
        self.review_view(r).await
    }

    /// Reviews newest first. Supervisors and admins see all; other staff the ones they
    /// wrote or received.
    pub async fn reviews(&self, actor: &Actor, q: ReviewQuery) -> Result<Page<ReviewView>> {
        if !actor.is_staff() {
            return Err(ServiceError::forbidden("reviews are for staff"));
        }
        let limit = page_limit(q.limit)?;
        let rows = self
            .store
            .list_reviews(&ReviewFilter {
                agent_id: q.agent_id,
                reviewer_id: q.reviewer_id,
                ticket_id: q.ticket_id,
                involving: (!supervises(actor)).then_some(actor.user_id),
                after: q.after,
                limit,
            })
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            items.push(self.review_view(r).await?);
        }
        Ok(Page::new(items, limit, |r| r.id))
    }

    /// The reviewed agent answers a review, once.
    pub async fn reply_to_review(
        &self,
        actor: &Actor,
        id: i64,
        input: ReviewReplyInput,
    ) -> Result<ReviewView> {
        let r = self.visible_review(actor, id).await?;
        if r.agent_id != actor.user_id {
            return Err(ServiceError::forbidden(
                "only the reviewed agent replies to a review",
            ));
        }
        let text = input.reply.trim();
        if text.is_empty() {
            return Err(Invalid::new("reply", ErrorCode::EmptyReply, "write a reply").into());
        }
        if text.chars().count() > review::MAX_COMMENT {
            return Err(Invalid::new(
                "reply",
                ErrorCode::BodyTooLong,
                format!("a reply has at most {} characters", review::MAX_COMMENT),
            )
            .into());
        }
        if !self.store.reply_to_review(id, text, self.now()).await? {
            return Err(ServiceError::conflict(
                ErrorCode::AlreadyReplied,
                "you have already replied to this review",
            ));
        }
        self.review(actor, id).await
    }

    /// An agent's average review score per week over the last half year. Agents see their
    /// own; supervisors and admins anyone's.
    pub async fn review_trend(&self, actor: &Actor, agent_id: Option<i64>) -> Result<ReviewTrend> {
        let agent_id = agent_id.unwrap_or(actor.user_id);
        if !actor.is_staff() || (agent_id != actor.user_id && !supervises(actor)) {
            return Err(ServiceError::not_found("agent", ErrorCode::AgentNotFound));
        }
        let agent = self.actor_name(agent_id).await?;
        let since = review::week_start(self.now()) - (TREND_WEEKS - 1) * 7 * 86_400_000;
        let points: Vec<(i64, Option<u8>)> = self
            .store
            .agent_review_scores(agent_id, since)
            .await?
            .into_iter()
            .map(|(at, s)| (at, s.map(|s| s.clamp(0, 100) as u8)))
            .collect();
        Ok(ReviewTrend {
            agent: PersonRef {
                id: agent_id,
                name: agent,
            },
            weeks: review::weekly_trend(&points)
                .into_iter()
                .map(|w| TrendWeek {
                    week: rfc3339(w.week_start).chars().take(10).collect(),
                    reviews: i64::from(w.reviews),
                    average: w.average.map(i64::from),
                })
                .collect(),
        })
    }

    async fn actor_name(&self, user_id: i64) -> Result<String> {
        self.store
            .user(user_id)
            .await?
            .filter(|u| u.role != "customer")
            .map(|u| u.name)
            .ok_or_else(|| ServiceError::not_found("agent", ErrorCode::AgentNotFound))
    }
}
