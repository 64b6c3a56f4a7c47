//! Ticket use cases: open, read, list, change, reply, note, escalate, attach.

use crate::ErrorCode;
use crate::auth::sha256_hex;
use crate::opening::{Opening, OpeningPlan, plan_opening};
use crate::snapshot::Snapshot;
use crate::views::*;
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::ticket::message_body;
use heard_domain::{
    Channel, Invalid, MessageKind, Priority, Role, Status, Subject, Tag, TicketFacts,
};
use heard_store::{
    AgentTouch, CollaboratorChange, Created, EventRow, ListTickets, MessageRow, NewAttachment,
    NewEvent, NewMessage, NewTicket, StoreError, TeamRow, TicketRow, TicketState, TicketWrite,
    UserRow,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

/// Why the router gave the ticket to its owner, or why it waits: its latest decision.
fn routing_note(events: &[heard_store::EventRow]) -> Option<RoutingNote> {
    let e = events.iter().rev().find(|e| e.kind == "routed")?;
    let data: serde_json::Value = serde_json::from_str(&e.data).ok()?;
    Some(RoutingNote {
        at: rfc3339(e.created_at),
        chosen: data.get("chosen").and_then(|v| v.as_i64()),
        reasons: data
            .get("text")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// Largest attachment accepted, in bytes.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    pub subject: String,
    /// The customer's account of the problem, in their words.
    pub body: String,
    /// The same message as HTML, when the source had HTML; it is sanitised.
    pub body_html: Option<String>,
    pub priority: Option<String>,
    pub channel: Option<String>,
    /// Staff opening a ticket on a customer's behalf name the customer by e-mail
    /// (created on first contact) or id.
    pub requester_email: Option<String>,
    pub requester_name: Option<String>,
    pub requester_id: Option<i64>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    pub subject: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    /// `null` unassigns.
    #[serde(default, with = "crate::people::double_option")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    pub team_id: Option<i64>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReply {
    pub body: String,
    pub body_html: Option<String>,
    /// An internal note, never shown to the customer.
    #[serde(default)]
    pub internal: bool,
    pub channel: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub to_team_id: Option<i64>,
    /// 1–3; defaults to one tier up when no team is named.
    pub to_tier: Option<i64>,
    pub to_assignee_id: Option<i64>,
    /// Why this needs someone else (e.g. "needs a database fix").
    pub reason: String,
    /// What the receiver must know so the customer never repeats themselves.
    pub handoff_note: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// Comma-separated statuses, e.g. `new,open`.
    pub status: Option<String>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub requester_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub tag: Option<String>,
    /// Tickets diagnosed as caused by this problem.
    pub problem_id: Option<i64>,
    /// The `next_after` of the previous page (newest-first order).
    pub after: Option<i64>,
    pub limit: Option<i64>,
    /// `newest` (default) or `due`: what is due soonest first, weighted by how upset the
    /// customer is — the agent's queue.
    pub order: Option<String>,
    /// The `next_cursor` of the previous page (due order).
    pub cursor: Option<String>,
}

fn facts(t: &TicketRow, collaborator_ids: Vec<i64>) -> TicketFacts {
    TicketFacts {
        requester_id: t.requester_id,
        organization_id: t.organization_id,
        team_id: t.team_id,
        assignee_id: t.assignee_id,
        collaborator_ids,
    }
}

fn state(t: &TicketRow) -> TicketState {
    TicketState {
        subject: t.subject.clone(),
        status: t.status.clone(),
        priority: t.priority.clone(),
        assignee_id: t.assignee_id,
        team_id: t.team_id,
        tier: t.tier,
        transfers: t.transfers,
        frustration_score: t.frustration_score,
        frustration_level: t.frustration_level.clone(),
        abusive: t.abusive,
        repeats: t.repeats,
        policy_id: t.policy_id.clone(),
        next_update_due: t.next_update_due,
        due_at: t.due_at,
        queue_rank: t.queue_rank,
        next_alert_at: t.next_alert_at,
        escalate_at: t.escalate_at,
    }
}

/// What a use case decided to do to a ticket.
pub(crate) struct Change {
    pub state: TicketState,
    pub tags: Option<Vec<String>>,
    pub message: Option<NewMessage>,
    pub events: Vec<NewEvent>,
    /// What it does to agents (assignments, hard conversations), checked like the ticket.
    pub agents: Vec<AgentTouch>,
    pub collaborator: Option<CollaboratorChange>,
    /// What it does to the ticket's live chat.
    pub chat: Option<heard_store::ChatTouch>,
}

impl Change {
    /// No change yet: the ticket's state as it is.
    pub fn of(t: &TicketRow) -> Change {
        Change {
            state: state(t),
            tags: None,
            message: None,
            events: Vec::new(),
            agents: Vec::new(),
            collaborator: None,
            chat: None,
        }
    }
}

/// Whether a write went through or someone changed the ticket (or an agent it touches) first.
pub(crate) enum Written {
    Done(Option<i64>),
    Stale,
}

/// What the store gave a ticket just opened, and the rows its answer names.
struct Opened<'a> {
    ticket_id: i64,
    message_id: i64,
    requester: &'a UserRow,
    assignee: Option<&'a UserRow>,
    team: Option<&'a TeamRow>,
    now: i64,
}

/// What a ticket's detail is built from.
struct DetailParts {
    tags: Vec<String>,
    messages: Vec<MessageRow>,
    attachments: Vec<AttachmentView>,
    events: Vec<EventRow>,
    clocks: heard_sla::TicketClocks,
    customer: Option<CustomerPanel>,
    diagnosis: Option<crate::diagnosis::DiagnosisView>,
    survey: Option<crate::survey::SurveyView>,
    collaborators: Vec<heard_store::CollaboratorRow>,
    /// The customer's time zone, when known.
    zone: Option<String>,
}

pub(crate) fn event(actor: &Actor, kind: &str, data: serde_json::Value) -> NewEvent {
    NewEvent {
        actor_id: Some(actor.user_id),
        kind: kind.into(),
        data,
    }
}

/// A message decided but not yet written: what [`MessagePlan::change`] applies to the
/// ticket as it is read (again, when someone changed it first).
pub(crate) struct MessagePlan {
    kind: MessageKind,
    channel: Channel,
    body: String,
    body_html: Option<String>,
    care: Option<crate::care::InboundCare>,
    tone: Option<heard_language::ToneReview>,
    analysis: Option<String>,
    snapshot: std::sync::Arc<Snapshot>,
}

impl MessagePlan {
    /// A customer writing reopens a solved ticket or hands back one that waited on them;
    /// an agent's public reply answers it; a closed ticket takes no reply.
    pub(crate) fn change(&self, actor: &Actor, t: &TicketRow) -> Result<Change> {
        let from = parse_status(&t.status)?;
        let to = match (actor.is_staff(), self.kind) {
            (_, MessageKind::Internal) => from,
            (false, MessageKind::Public) => from.after_customer_message()?,
            (true, MessageKind::Public) => {
                if from == Status::Closed {
                    return Err(ServiceError::conflict(
                        ErrorCode::TicketClosed,
                        "this ticket is closed; open a follow-up instead",
                    ));
                }
                from.after_agent_reply()
            }
        };
        let mut c = Change::of(t);
        c.state.status = to.as_str().into();
        // The status moves first, so a message that reopens a ticket starts the
        // reopened ticket's reply clock.
        if to != from {
            c.events.push(event(
                actor,
                "status_changed",
                json!({"from": from.as_str(), "to": to.as_str(), "because": "message"}),
            ));
        }
        let mut data = json!({"by": if actor.is_staff() { "staff" } else { "customer" }, "channel": self.channel.as_str()});
        if let Some(care) = &self.care {
            data["frustration"] = json!(care.frustration.score);
            c.state.frustration_score = Some(care.frustration.score as i64);
            c.state.frustration_level = Some(crate::care::level_name(care.frustration.level));
            c.state.abusive |= care.frustration.abusive;
            c.state.repeats += care.restates.is_some() as i64;
            // An upset or abusive message is a hard conversation for whoever owns
            // the ticket (counted once per ticket and shift).
            if let Some(owner) = t.assignee_id {
                let touch = crate::routing::assigned_by_hand(
                    owner,
                    &c.state,
                    self.snapshot.routing.for_team(t.team_id),
                );
                if touch.hard.is_some() {
                    c.agents.push(AgentTouch {
                        assigned: false,
                        ..touch
                    });
                }
            }
        }
        if let Some(review) = &self.tone {
            data["tone_score"] = json!(review.score);
            data["tone_findings"] =
                json!(review.findings.iter().map(|f| f.kind).collect::<Vec<_>>());
        }
        c.events.push(event(
            actor,
            if self.kind == MessageKind::Internal {
                "noted"
            } else {
                "replied"
            },
            data,
        ));
        if let Some(care) = &self.care {
            c.events.extend(care.events.iter().cloned());
        }
        c.message = Some(NewMessage {
            author_id: actor.user_id,
            kind: self.kind.as_str().into(),
            channel: self.channel.as_str().into(),
            body_text: self.body.clone(),
            body_html: self.body_html.clone(),
            analysis: self.analysis.clone(),
        });
        Ok(c)
    }
}

/// A reply's body, sanitised HTML, kind and channel, or the field at fault.
pub(crate) fn parse_reply(
    actor: &Actor,
    input: &NewReply,
) -> Result<(String, Option<String>, MessageKind, Channel)> {
    let body = message_body(&input.body)?;
    let body_html = clean_html(input.body_html.as_deref())?;
    let kind = if input.internal {
        MessageKind::Internal
    } else {
        MessageKind::Public
    };
    let channel = match input.channel.as_deref() {
        Some(c) => c.parse::<Channel>()?,
        None if actor.is_staff() => Channel::Api,
        None => Channel::Portal,
    };
    Ok((body, body_html, kind, channel))
}

/// A team named in a request must exist (as of the snapshot).
fn existing_team(snapshot: &Snapshot, id: i64, field: &'static str) -> Result<()> {
    match snapshot.team(id) {
        Some(_) => Ok(()),
        None => Err(ServiceError::invalid(
            field,
            ErrorCode::TeamNotFound,
            format!("team {id} does not exist"),
        )),
    }
}

fn parse_status(s: &str) -> Result<Status> {
    Ok(s.parse::<Status>()?)
}

/// Sanitises untrusted HTML once, on the way in, so every later reader gets safe HTML.
fn clean_html(html: Option<&str>) -> Result<Option<String>> {
    match html {
        None => Ok(None),
        Some(h) if h.len() > 1_000_000 => Err(ServiceError::invalid(
            "body_html",
            ErrorCode::BodyTooLong,
            "HTML bodies are limited to 1 MB",
        )),
        Some(h) => Ok(Some(ammonia::clean(h))),
    }
}

/// A retried write: reload and decide again when someone else changed the ticket first.
/// Every round lets at least one of the racing writers commit, so this bounds how many
/// may write the same ticket at the same instant before one is told to try again.
pub(crate) const ATTEMPTS: usize = 64;

/// A short random pause before retrying, so racing writers spread out.
/// The first attempt goes straight through: writes that race nobody never wait.
pub(crate) async fn back_off(attempt: usize) {
    if attempt == 0 {
        return;
    }
    let jitter = rand::random_range(0..=(attempt as u64).min(10));
    tokio::time::sleep(std::time::Duration::from_millis(jitter)).await;
}

impl Services {
    /// The ticket if `actor` may see it; otherwise exactly what a missing ticket gives.
    pub async fn visible_ticket(&self, actor: &Actor, id: i64) -> Result<TicketRow> {
        let hidden = || ServiceError::not_found("ticket", ErrorCode::TicketNotFound);
        let t = self.store.ticket(id).await?.ok_or_else(hidden)?;
        if actor.can_see_ticket(&facts(&t, Vec::new())) {
            return Ok(t);
        }
        // Only an agent can be invited to a ticket: look the invitations up only then.
        if actor.role == heard_domain::Role::Agent {
            let invited = self.collaborator_ids(id).await?;
            if actor.can_see_ticket(&facts(&t, invited)) {
                return Ok(t);
            }
        }
        Err(hidden())
    }

    pub(crate) async fn staff_member(&self, id: i64, field: &'static str) -> Result<()> {
        self.staff_row(id, field).await.map(drop)
    }

    /// The active staff member `id`, or why `field` cannot name them.
    async fn staff_row(&self, id: i64, field: &'static str) -> Result<UserRow> {
        match self.store.user(id).await? {
            Some(u) if u.role != "customer" && u.active => Ok(u),
            _ => Err(ServiceError::invalid(
                field,
                ErrorCode::AgentNotFound,
                format!("agent {id} does not exist or is inactive"),
            )),
        }
    }

    /// Opens a ticket. Returns the ticket and whether this was a replay of an earlier
    /// request with the same `Idempotency-Key` (which then opened nothing new).
    #[tracing::instrument(name = "services.create_ticket", level = "debug", skip_all, fields(actor = actor.user_id))]
    pub async fn create_ticket(
        &self,
        actor: &Actor,
        input: CreateTicket,
        idempotency_key: Option<&str>,
    ) -> Result<(TicketDetail, bool)> {
        let subject = Subject::parse(&input.subject)?;
        let body = message_body(&input.body)?;
        let body_html = clean_html(input.body_html.as_deref())?;
        let priority = input
            .priority
            .as_deref()
            .map(str::parse::<Priority>)
            .transpose()?
            .unwrap_or(Priority::Normal);
        let tags = Tag::parse_all(&input.tags)?;
        let key = match idempotency_key {
            Some(k) if k.is_empty() || k.len() > 200 => {
                return Err(ServiceError::invalid(
                    "Idempotency-Key",
                    ErrorCode::InvalidIdempotencyKey,
                    "an Idempotency-Key has 1 to 200 characters",
                ));
            }
            k => k,
        };
        let snapshot = self.snapshot().await?;

        let (requester, default_channel) = if actor.is_staff() {
            let requester = match (input.requester_id, input.requester_email.as_deref()) {
                (Some(id), _) => match self.store.user(id).await? {
                    Some(u) if u.role == "customer" => u,
                    _ => {
                        return Err(ServiceError::invalid(
                            "requester_id",
                            ErrorCode::CustomerNotFound,
                            format!("customer {id} does not exist"),
                        ));
                    }
                },
                (None, Some(email)) => self
                    .customer_for_email(email, input.requester_name.as_deref())
                    .await
                    .map_err(|e| match e {
                        ServiceError::Invalid(i) => ServiceError::Invalid(Invalid {
                            field: Some("requester_email"),
                            ..i
                        }),
                        other => other,
                    })?,
                (None, None) => {
                    return Err(ServiceError::invalid(
                        "requester_email",
                        ErrorCode::MissingRequester,
                        "staff opening a ticket name the customer: requester_email or requester_id",
                    ));
                }
            };
            (requester, Channel::Api)
        } else {
            if input.requester_email.is_some()
                || input.requester_id.is_some()
                || input.assignee_id.is_some()
                || input.team_id.is_some()
            {
                return Err(ServiceError::forbidden(
                    "customers open tickets for themselves; requester, team and assignee are set by the help desk",
                ));
            }
            let me = self
                .store
                .user(actor.user_id)
                .await?
                .ok_or(ServiceError::Unauthenticated)?;
            (me, Channel::Portal)
        };
        let channel = input
            .channel
            .as_deref()
            .map(str::parse::<Channel>)
            .transpose()?
            .unwrap_or(default_channel);
        let team_id = match input.team_id {
            Some(t) => {
                existing_team(&snapshot, t, "team_id")?;
                Some(t)
            }
            None => snapshot.default_team,
        };
        let assignee = match input.assignee_id {
            Some(a) => Some(self.staff_row(a, "assignee_id").await?),
            None => None,
        };
        let request_hash = sha256_hex(serde_json::to_string(&input).unwrap_or_default().as_bytes());
        let care = self.inbound_care(actor, None, requester.id, &body).await?;
        let now = self.now();
        let plan = plan_opening(
            Opening {
                actor,
                subject,
                body,
                body_html,
                priority,
                channel,
                requester_id: requester.id,
                organization_id: requester.organization_id,
                team_id,
                assignee_id: input.assignee_id,
                tags,
                care,
                idempotency: key.map(|k| (actor.user_id, k.to_string(), request_hash)),
            },
            &snapshot,
            now,
        );
        let mut attempt = 0;
        let created = loop {
            attempt += 1;
            match self.store.create_ticket(&plan.ticket, now).await {
                // A concurrent request with the same key won the race: replay its ticket.
                Err(StoreError::Duplicate(_))
                    if plan.ticket.idempotency.is_some() && attempt < ATTEMPTS =>
                {
                    continue;
                }
                other => break other?,
            }
        };
        match created {
            Created::New {
                ticket_id,
                message_id,
            } => {
                if plan.route {
                    if let Err(e) = self.assign_waiting(Some(ticket_id)).await {
                        tracing::warn!(error = %e, "routing a new ticket failed; the sweep retries");
                    }
                    // The router may have given it to someone: answer with what it is now
                    // (an agent who opened it keeps access wherever it went).
                    return Ok((self.as_created(actor, ticket_id).await?, false));
                }
                let opened = Opened {
                    ticket_id,
                    message_id,
                    requester: &requester,
                    assignee: assignee.as_ref(),
                    team: team_id.and_then(|t| snapshot.team(t)),
                    now,
                };
                match self.opened_detail(actor, plan, opened).await {
                    // Placed outside the opening agent's teams: they keep it (`as_created`).
                    Err(ServiceError::NotFound { .. }) if actor.role == Role::Agent => {
                        Ok((self.as_created(actor, ticket_id).await?, false))
                    }
                    other => Ok((other?, false)),
                }
            }
            Created::Replayed {
                ticket_id,
                same_request: true,
            } => Ok((self.as_created(actor, ticket_id).await?, true)),
            Created::Replayed {
                same_request: false,
                ..
            } => Err(ServiceError::conflict(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was already used for a different request",
            )),
        }
    }

    #[tracing::instrument(name = "services.ticket_detail", level = "debug", skip_all, fields(actor = actor.user_id))]
    pub async fn ticket_detail(&self, actor: &Actor, id: i64) -> Result<TicketDetail> {
        let t = self.visible_ticket(actor, id).await?;
        let staff = actor.is_staff();
        let messages = self.store.messages(id, staff).await?;
        let attachments = self
            .store
            .attachments(id)
            .await?
            .into_iter()
            .map(AttachmentView::from)
            .collect();
        let (customer, tags) = if staff {
            let (panel, own) = self.customer_panel(t.requester_id, id).await?;
            (Some(panel), own)
        } else {
            (None, self.store.tags_of(id).await?)
        };
        let events = self.store.events(id).await?;
        let clocks = self.clocks_for(&events, &[], self.now()).await?;
        let diagnosis = if staff {
            self.diagnosis_of(id).await?
        } else {
            None
        };
        let survey = self.survey_of(id, staff).await?;
        let collaborators = if staff {
            self.store.collaborators(id).await?
        } else {
            Vec::new()
        };
        // Said as the customer reads it, in their own time zone when we know it.
        let zone = match &customer {
            Some(panel) => panel.profile.time_zone.clone(),
            None => self
                .store
                .user(t.requester_id)
                .await?
                .and_then(|u| u.time_zone),
        };
        self.detail_of(
            staff,
            t,
            DetailParts {
                tags,
                messages,
                attachments,
                events,
                clocks,
                customer,
                diagnosis,
                survey,
                collaborators,
                zone,
            },
        )
        .await
    }

    /// The customer panel staff see beside a ticket (the customer and their other
    /// tickets), and this ticket's tags, read in the same query as the others'.
    async fn customer_panel(
        &self,
        requester_id: i64,
        id: i64,
    ) -> Result<(CustomerPanel, Vec<String>)> {
        let profile = self.customer_view(requester_id).await?;
        let rows = self
            .store
            .tickets(
                &heard_domain::access::TicketScope::All,
                &ListTickets {
                    requester_id: Some(requester_id),
                    limit: 11,
                    ..Default::default()
                },
            )
            .await?;
        let rows: Vec<_> = rows.into_iter().filter(|r| r.id != id).take(10).collect();
        let ids: Vec<i64> = rows.iter().map(|r| r.id).chain([id]).collect();
        let mut tags = self.store.tags_of_many(&ids).await?;
        let own = tags.remove(&id).unwrap_or_default();
        let other_tickets = views_with_tags(rows, tags, true);
        Ok((
            CustomerPanel {
                profile,
                other_tickets,
            },
            own,
        ))
    }

    /// The answer to a ticket just opened, built from its plan and the ids written: the
    /// same detail a read would give, without reading the ticket back.
    async fn opened_detail(
        &self,
        actor: &Actor,
        plan: OpeningPlan,
        o: Opened<'_>,
    ) -> Result<TicketDetail> {
        let NewTicket {
            state,
            channel,
            requester_id,
            organization_id,
            tags,
            message,
            events,
            ..
        } = plan.ticket;
        let t = TicketRow {
            id: o.ticket_id,
            version: 1,
            subject: state.subject,
            status: state.status,
            priority: state.priority,
            channel,
            requester_id,
            requester_name: o.requester.name.clone(),
            requester_email: o.requester.email.clone(),
            organization_id,
            assignee_id: state.assignee_id,
            assignee_name: o.assignee.map(|a| a.name.clone()),
            team_id: state.team_id,
            team_name: o.team.map(|t| t.name.clone()),
            tier: state.tier,
            transfers: state.transfers,
            created_at: o.now,
            updated_at: o.now,
            frustration_score: state.frustration_score,
            frustration_level: state.frustration_level,
            abusive: state.abusive,
            repeats: state.repeats,
            policy_id: state.policy_id,
            next_update_due: state.next_update_due,
            due_at: state.due_at,
            queue_rank: state.queue_rank,
            next_alert_at: state.next_alert_at,
            escalate_at: state.escalate_at,
        };
        // The same rule as a read: an opener who may not see where it went gets a 404.
        if !actor.can_see_ticket(&facts(&t, Vec::new())) {
            return Err(ServiceError::not_found("ticket", ErrorCode::TicketNotFound));
        }
        let staff = actor.is_staff();
        let (customer, tags) = if staff {
            let (panel, own) = self.customer_panel(requester_id, o.ticket_id).await?;
            (Some(panel), own)
        } else {
            (None, tags)
        };
        let messages = vec![MessageRow {
            id: o.message_id,
            ticket_id: o.ticket_id,
            author_id: message.author_id,
            author_name: o.requester.name.clone(),
            author_role: o.requester.role.clone(),
            kind: message.kind,
            channel: message.channel,
            body_text: message.body_text,
            body_html: message.body_html,
            analysis: message.analysis,
            created_at: o.now,
        }];
        let events = events
            .into_iter()
            .map(|e| EventRow {
                id: 0,
                ticket_id: o.ticket_id,
                actor_id: e.actor_id,
                kind: e.kind,
                data: e.data.to_string(),
                created_at: o.now,
            })
            .collect();
        self.detail_of(
            staff,
            t,
            DetailParts {
                tags,
                messages,
                attachments: Vec::new(),
                events,
                clocks: plan.clocks,
                customer,
                diagnosis: None,
                survey: None,
                collaborators: Vec::new(),
                zone: o.requester.time_zone.clone(),
            },
        )
        .await
    }

    /// A ticket's detail from what was read (or just written) about it.
    async fn detail_of(&self, staff: bool, t: TicketRow, p: DetailParts) -> Result<TicketDetail> {
        let messages = p
            .messages
            .into_iter()
            .map(|m| MessageView::new(m, staff))
            .collect();
        // A duplicate folded into another ticket points there (customers too: it is
        // where their conversation went).
        let merged_into = p
            .events
            .iter()
            .rev()
            .find(|e| e.kind == "merged_into")
            .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.data).ok())
            .and_then(|d| d["ticket_id"].as_i64());
        let clocks = p.clocks;
        let promise = clocks
            .promise
            .as_ref()
            .filter(|p| p.active)
            .map(|p| json!({"due_at": p.due_at, "at_risk": p.at_risk}));
        let sla = staff.then(|| serde_json::to_value(&clocks).unwrap_or_default());
        let (collaborators, routing) = if staff {
            let collaborators = p
                .collaborators
                .into_iter()
                .map(|c| CollaboratorView {
                    id: c.user_id,
                    name: c.name,
                    invited_by: c.invited_by,
                    since: rfc3339(c.created_at),
                })
                .collect();
            (Some(collaborators), routing_note(&p.events))
        } else {
            (None, None)
        };
        let mut ticket = TicketView::from_row(t, p.tags, staff);
        let handoff = self.handoff_view(&p.events, &ticket, staff).await?;
        let waiting_escalation = if staff {
            crate::history::waiting_escalation(&p.events, ticket.tier)
        } else {
            None
        };
        // The stored promise was settled at the last write; the clocks are as of now.
        ticket.next_update_due = clocks.next_update_due.map(|d| rfc3339(d.as_millisecond()));
        let zone = p.zone.unwrap_or_else(|| "UTC".into());
        let next_update_due_local = clocks
            .next_update_due
            .and_then(|d| heard_sla::customer_local_time(d, &zone).ok());
        Ok(TicketDetail {
            ticket,
            merged_into,
            diagnosis: p.diagnosis,
            survey: p.survey,
            messages,
            attachments: p.attachments,
            customer: p.customer,
            sla,
            promise,
            next_update_due_local,
            handoff,
            waiting_escalation,
            collaborators,
            routing,
        })
    }

    /// The latest transfer as the reader should see it. The customer is told who has the
    /// ticket now and that they will not need to repeat anything; staff also see the note.
    async fn handoff_view(
        &self,
        events: &[heard_store::EventRow],
        ticket: &TicketView,
        staff: bool,
    ) -> Result<Option<HandoffView>> {
        let Some(e) = events
            .iter()
            .rev()
            .find(|e| matches!(e.kind.as_str(), "escalated" | "handed_over" | "taken_over"))
        else {
            return Ok(None);
        };
        let data: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
        let text = |k: &str| data.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let message = match (&ticket.assignee, &ticket.team) {
            (Some(owner), _) => format!(
                "{} has your request now and has read everything you told us, so you will not need to repeat anything.",
                owner.name
            ),
            (None, Some(team)) => format!(
                "Your request is with our {} team now, with everything you told us: you will not need to repeat anything.",
                team.name
            ),
            (None, None) => "Your request was passed on with everything you told us: you will not need to repeat anything.".into(),
        };
        let from = match e.actor_id.filter(|_| staff) {
            Some(id) => self
                .store
                .user(id)
                .await?
                .map(|u| PersonRef { id, name: u.name }),
            None => None,
        };
        Ok(Some(HandoffView {
            kind: e.kind.clone(),
            automatic: data
                .get("automatic")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            at: rfc3339(e.created_at),
            owner: ticket.assignee.clone(),
            team: ticket.team.clone(),
            message,
            from,
            reason: text("reason").filter(|_| staff),
            handoff_note: text("handoff_note").filter(|_| staff),
        }))
    }

    #[tracing::instrument(name = "services.list_tickets", level = "debug", skip_all, fields(actor = actor.user_id))]
    pub async fn list_tickets(&self, actor: &Actor, q: TicketQuery) -> Result<Page<TicketView>> {
        let limit = crate::page_limit(q.limit)?;
        let by_due = match q.order.as_deref() {
            None | Some("newest") => false,
            Some("due") => true,
            Some(_) => {
                return Err(ServiceError::invalid(
                    "order",
                    ErrorCode::InvalidOrder,
                    "order is newest or due",
                ));
            }
        };
        let after_rank = match q.cursor.as_deref() {
            None => None,
            Some(c) => Some(
                c.split_once('.')
                    .and_then(|(r, i)| Some((r.parse().ok()?, i.parse().ok()?)))
                    .ok_or_else(|| {
                        ServiceError::invalid(
                            "cursor",
                            ErrorCode::InvalidCursor,
                            "pass the next_cursor of the previous page",
                        )
                    })?,
            ),
        };
        let statuses = match q.status.as_deref() {
            None | Some("") => vec![],
            Some(list) => list
                .split(',')
                .map(|s| parse_status(s.trim()).map(|s| s.as_str().to_string()))
                .collect::<Result<Vec<_>>>()?,
        };
        let tag = q
            .tag
            .as_deref()
            .map(Tag::parse)
            .transpose()?
            .map(|t| t.as_str().to_string());
        let rows = self
            .store
            .tickets(
                &actor.ticket_scope(),
                &ListTickets {
                    statuses,
                    team_id: q.team_id,
                    assignee_id: q.assignee_id,
                    requester_id: q.requester_id,
                    organization_id: q.organization_id,
                    tag,
                    problem_id: q.problem_id,
                    before_id: q.after,
                    by_due,
                    after_rank,
                    limit,
                },
            )
            .await?;
        let next_cursor = (by_due && rows.len() as i64 == limit)
            .then(|| rows.last().map(|r| format!("{}.{}", r.queue_rank, r.id)))
            .flatten();
        let items = self.ticket_views(rows, actor.is_staff()).await?;
        let mut page = Page::new(items, limit, |t| t.id);
        if by_due {
            page.next_after = None;
            page.next_cursor = next_cursor;
        }
        Ok(page)
    }

    /// Loads a visible ticket, lets `decide` say what changes, settles the service-level
    /// columns from the resulting event log and writes it all in one transaction; reloads
    /// and decides again when someone else changed the ticket first. Returns the id of the
    /// message written, if any.
    pub(crate) async fn with_ticket(
        &self,
        actor: &Actor,
        id: i64,
        decide: impl Fn(&TicketRow, i64) -> Result<Change>,
    ) -> Result<Option<i64>> {
        self.with_read_ticket(actor, id, None, decide).await
    }

    /// [`Self::with_ticket`] deciding first on `read`, the ticket as the caller just read it
    /// (visible to `actor`); later attempts read it again.
    pub(crate) async fn with_read_ticket(
        &self,
        actor: &Actor,
        id: i64,
        mut read: Option<TicketRow>,
        decide: impl Fn(&TicketRow, i64) -> Result<Change>,
    ) -> Result<Option<i64>> {
        for attempt in 0..ATTEMPTS {
            back_off(attempt).await;
            let t = match read.take() {
                Some(t) => t,
                None => self.visible_ticket(actor, id).await?,
            };
            let now = self.now();
            let change = decide(&t, now)?;
            match self.write_change(&t, change, now).await? {
                Written::Done(message_id) => return Ok(message_id),
                Written::Stale => continue,
            }
        }
        Err(StoreError::Stale.into())
    }

    /// Settles the service-level columns of a change decided on `t` and writes it, checked
    /// against the version `t` was read at (and the agents it touches against theirs).
    pub(crate) async fn write_change(
        &self,
        t: &TicketRow,
        change: Change,
        now: i64,
    ) -> Result<Written> {
        if change.events.is_empty() && change.message.is_none() {
            return Ok(Written::Done(None));
        }
        let write = self.settled_write(t, change, now).await?;
        match self.store.write_ticket(&write, now).await {
            Err(StoreError::Stale) => Ok(Written::Stale),
            other => Ok(Written::Done(other?)),
        }
    }

    /// The write a change decided on `t` becomes: its service-level columns settled from
    /// the event log it extends, checked against the version `t` was read at.
    pub(crate) async fn settled_write(
        &self,
        t: &TicketRow,
        mut change: Change,
        now: i64,
    ) -> Result<TicketWrite> {
        self.settle_time(Some(t.id), &mut change.state, &change.events, now)
            .await?;
        Ok(TicketWrite {
            id: t.id,
            expected_version: t.version,
            state: change.state,
            tags: change.tags,
            message: change.message,
            events: change.events,
            agents: change.agents,
            collaborator: change.collaborator,
            chat: change.chat,
        })
    }

    /// Views of listed tickets, their tags read in one query for the whole list.
    pub(crate) async fn ticket_views(
        &self,
        rows: Vec<TicketRow>,
        staff: bool,
    ) -> Result<Vec<TicketView>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let tags = self.store.tags_of_many(&ids).await?;
        Ok(views_with_tags(rows, tags, staff))
    }

    /// Changes status, priority, owner, team, subject or tags, logging one event per change.
    #[tracing::instrument(name = "services.update_ticket", level = "debug", skip_all, fields(actor = actor.user_id))]
    pub async fn update_ticket(
        &self,
        actor: &Actor,
        id: i64,
        patch: TicketPatch,
    ) -> Result<TicketDetail> {
        let snapshot = self.snapshot().await?;
        if let Some(team) = patch.team_id {
            existing_team(&snapshot, team, "team_id")?;
        }
        if let Some(Some(a)) = patch.assignee_id {
            self.staff_member(a, "assignee_id").await?;
        }
        let tags = patch.tags.as_deref().map(Tag::parse_all).transpose()?;
        let tags: Option<Vec<String>> =
            tags.map(|t| t.iter().map(|t| t.as_str().to_string()).collect());
        let before_tags = self.store.tags_of(id).await?;
        if patch.status.as_deref() == Some("closed") && actor.may_manage_tickets() {
            let t = self.visible_ticket(actor, id).await?;
            // A move that cannot happen is refused as such below, not as a missing diagnosis.
            if parse_status(&t.status)?.can_become(Status::Closed) {
                self.check_may_close(id, t.abusive).await?;
            }
        }
        let (book, routing) = (&snapshot.policies, &snapshot.routing);
        self.with_ticket(actor, id, |t, _now| {
            if !actor.may_manage_tickets() {
                let only_solving = patch.status.as_deref() == Some("resolved")
                    && patch.subject.is_none()
                    && patch.priority.is_none()
                    && patch.assignee_id.is_none()
                    && patch.team_id.is_none()
                    && patch.tags.is_none();
                if !only_solving {
                    return Err(ServiceError::forbidden(
                        "customers may only mark their request as solved",
                    ));
                }
            }
            let mut c = Change::of(t);
            if let Some(s) = &patch.subject {
                c.state.subject = Subject::parse(s)?.into_inner();
                if c.state.subject != t.subject {
                    c.events.push(event(
                        actor,
                        "subject_changed",
                        json!({"from": t.subject, "to": c.state.subject}),
                    ));
                }
            }
            if let Some(s) = &patch.status {
                let from = parse_status(&t.status)?;
                let to = from.transition(parse_status(s)?)?;
                c.state.status = to.as_str().into();
                c.events.push(event(
                    actor,
                    "status_changed",
                    json!({"from": from.as_str(), "to": to.as_str()}),
                ));
            }
            if let Some(p) = &patch.priority {
                c.state.priority = p.parse::<Priority>()?.as_str().into();
                if c.state.priority != t.priority {
                    c.events.push(event(
                        actor,
                        "priority_changed",
                        json!({"from": t.priority, "to": c.state.priority}),
                    ));
                }
            }
            if let Some(team) = patch.team_id
                && Some(team) != t.team_id
            {
                c.state.team_id = Some(team);
                c.events.push(event(
                    actor,
                    "team_changed",
                    json!({"from": t.team_id, "to": team}),
                ));
            }
            if let Some(assignee) = patch.assignee_id
                && assignee != t.assignee_id
            {
                c.state.assignee_id = assignee;
                c.events.push(event(
                    actor,
                    "assigned",
                    json!({"from": t.assignee_id, "to": assignee}),
                ));
                if let Some(a) = assignee {
                    c.agents.push(crate::routing::assigned_by_hand(
                        a,
                        &c.state,
                        routing.for_team(c.state.team_id),
                    ));
                }
            }
            if let Some(tags) = &tags
                && *tags != before_tags
            {
                c.events.push(event(
                    actor,
                    "tags_changed",
                    json!({"from": before_tags, "to": tags}),
                ));
                c.tags = Some(tags.clone());
            }
            // A new priority or team may fall under another policy; the clocks keep
            // their elapsed time and count on under the new targets.
            let policy = Self::select_policy(
                book,
                &c.state.priority,
                &t.channel,
                c.state.team_id,
                t.organization_id,
            );
            if t.policy_id.as_deref().is_some_and(|p| p != policy) {
                c.events.push(event(
                    actor,
                    "policy_changed",
                    json!({"from": t.policy_id, "to": policy}),
                ));
            }
            Ok(c)
        })
        .await?;
        // Solved, handed on or moved: someone's capacity, or the ticket's queue, changed.
        if patch.status.is_some()
            || patch.assignee_id.is_some()
            || patch.team_id.is_some()
            || patch.tags.is_some()
        {
            self.capacity_may_have_freed().await;
        }
        self.ticket_detail(actor, id).await
    }

    /// A public reply or an internal note. A customer writing reopens a solved ticket or
    /// hands back one that waited on them; an agent's first public reply opens a new one.
    /// Customers' messages are scored for frustration and repeats; replies get a tone
    /// review. Neither blocks the message.
    #[tracing::instrument(name = "services.add_message", level = "debug", skip_all, fields(actor = actor.user_id))]
    pub async fn add_message(
        &self,
        actor: &Actor,
        id: i64,
        input: NewReply,
    ) -> Result<MessageView> {
        let (body, body_html, kind, channel) = parse_reply(actor, &input)?;
        let t = self.visible_ticket(actor, id).await?;
        let plan = self
            .message_plan(actor, &t, kind, channel, body, body_html)
            .await?;
        let message_id = self
            .with_read_ticket(actor, id, Some(t), |t, _now| plan.change(actor, t))
            .await?
            .ok_or_else(|| ServiceError::internal("message id missing"))?;
        self.message_view(actor, message_id).await
    }

    /// A message as `actor` sees it.
    pub(crate) async fn message_view(&self, actor: &Actor, id: i64) -> Result<MessageView> {
        self.store
            .message(id)
            .await?
            .map(|m| MessageView::new(m, actor.is_staff()))
            .ok_or_else(|| ServiceError::internal("message vanished"))
    }

    /// What a message on `t` will write, with the customer's frustration and repeats
    /// scored, or the reply's tone reviewed, before the write (they read other data).
    pub(crate) async fn message_plan(
        &self,
        actor: &Actor,
        t: &TicketRow,
        kind: MessageKind,
        channel: Channel,
        body: String,
        body_html: Option<String>,
    ) -> Result<MessagePlan> {
        if !actor.can_see_message(kind) {
            return Err(ServiceError::forbidden(
                "customers cannot write internal notes",
            ));
        }
        let from_customer = actor.user_id == t.requester_id && kind == MessageKind::Public;
        let care = if from_customer {
            Some(
                self.inbound_care(actor, Some(t.id), t.requester_id, &body)
                    .await?,
            )
        } else {
            None
        };
        let tone = if actor.is_staff() && kind == MessageKind::Public {
            Some(self.reply_tone(t.requester_id, &body).await?)
        } else {
            None
        };
        let analysis = match (&care, &tone) {
            (Some(c), _) => Some(json!({"frustration": c.frustration}).to_string()),
            (_, Some(r)) => Some(json!({"tone": r}).to_string()),
            _ => None,
        };
        Ok(MessagePlan {
            kind,
            channel,
            body,
            body_html,
            care,
            tone,
            analysis,
            snapshot: self.snapshot().await?,
        })
    }

    /// Hands a ticket to another tier or team with a reason and a hand-off note, so the
    /// receiver starts from what is known and the customer repeats nothing.
    #[tracing::instrument(name = "services.escalate", level = "debug", skip_all, fields(actor = actor.user_id))]
    pub async fn escalate(
        &self,
        actor: &Actor,
        id: i64,
        input: Escalation,
    ) -> Result<TicketDetail> {
        let snapshot = self.snapshot().await?;
        if let Some(team) = input.to_team_id {
            existing_team(&snapshot, team, "to_team_id")?;
        }
        if let Some(a) = input.to_assignee_id {
            self.staff_member(a, "to_assignee_id").await?;
        }
        let routing = &snapshot.routing;
        let coverage = self.coverage().await?;
        self.with_ticket(actor, id, |t, _now| {
            if !actor.may_manage_tickets() {
                return Err(ServiceError::forbidden("only staff escalate tickets"));
            }
            let reason = input.reason.trim();
            if reason.is_empty() || reason.chars().count() > 500 {
                return Err(ServiceError::invalid("reason", ErrorCode::MissingReason, "say in up to 500 characters why this needs someone else"));
            }
            let note = heard_domain::handoff::note(&input.handoff_note, &t.subject)?;
            let status = parse_status(&t.status)?;
            if !status.is_open() {
                return Err(ServiceError::conflict(ErrorCode::TicketNotOpen, format!("this ticket is {}, so it cannot be escalated; reopen it first", status.label())));
            }
            let to_tier = match input.to_tier {
                Some(n) => heard_domain::Tier::new(n).map_err(|e| Invalid { field: Some("to_tier"), ..e })?.get() as i64,
                None if input.to_team_id.is_none() && input.to_assignee_id.is_none() => (t.tier + 1).min(3),
                None => t.tier,
            };
            let to_team = input.to_team_id.or(t.team_id);
            if to_team == t.team_id && to_tier == t.tier && input.to_assignee_id.is_none() {
                return Err(ServiceError::invalid("to_tier", ErrorCode::NowhereToEscalate, "name another team, tier or agent to hand this ticket to"));
            }
            // Handed to nobody in particular, the ticket must land where someone can take it.
            if input.to_assignee_id.is_none() && !coverage.covers(to_team, to_tier) {
                let team = to_team.and_then(|id| snapshot.teams.iter().find(|t| t.id == id)).map(|t| t.name.as_str());
                let field = if to_team != t.team_id { "to_team_id" } else { "to_tier" };
                return Err(ServiceError::invalid(field, ErrorCode::NobodyAtTier, heard_domain::coverage::nobody_there(to_tier, team)));
            }
            let mut c = Change::of(t);
            c.state.team_id = to_team;
            c.state.tier = to_tier;
            c.state.assignee_id = input.to_assignee_id;
            c.state.transfers = t.transfers + 1;
            if let Some(a) = input.to_assignee_id {
                c.agents.push(crate::routing::assigned_by_hand(a, &c.state, routing.for_team(to_team)));
            }
            c.events.push(event(
                actor,
                "escalated",
                json!({"from_team_id": t.team_id, "to_team_id": to_team, "from_tier": t.tier, "to_tier": to_tier,
                       "from_assignee_id": t.assignee_id, "to_assignee_id": input.to_assignee_id,
                       "reason": reason, "handoff_note": note}),
            ));
            c.message = Some(NewMessage {
                author_id: actor.user_id,
                kind: MessageKind::Internal.as_str().into(),
                channel: Channel::Api.as_str().into(),
                body_text: format!("Hand-off ({reason}):\n{note}"),
                body_html: None,
                analysis: None,
            });
            Ok(c)
        })
        .await?;
        // The next tier's (or team's) agents may take it now, and the sender has room.
        self.capacity_may_have_freed().await;
        // The escalating agent may no longer see the ticket (another team's now).
        match self.ticket_detail(actor, id).await {
            Err(ServiceError::NotFound { .. }) => {
                self.ticket_detail(&self.unrestricted(actor), id).await
            }
            other => other,
        }
    }

    pub async fn ticket_events(&self, actor: &Actor, id: i64) -> Result<Vec<EventView>> {
        self.visible_ticket(actor, id).await?;
        if !actor.is_staff() {
            return Err(ServiceError::not_found("ticket", ErrorCode::TicketNotFound));
        }
        Ok(self
            .store
            .events(id)
            .await?
            .into_iter()
            .map(EventView::from)
            .collect())
    }

    pub async fn add_attachment(
        &self,
        actor: &Actor,
        id: i64,
        file_name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<AttachmentView> {
        self.visible_ticket(actor, id).await?;
        let file_name = heard_domain::attachment::attachment_name(file_name)?;
        if bytes.is_empty() {
            return Err(ServiceError::invalid(
                "body",
                ErrorCode::EmptyAttachment,
                "the file is empty",
            ));
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(ServiceError::invalid(
                "body",
                ErrorCode::AttachmentTooLarge,
                "attachments are limited to 10 MB",
            ));
        }
        let content_type = if content_type.is_empty() || content_type.len() > 200 {
            "application/octet-stream"
        } else {
            content_type
        };
        let sha256 = sha256_hex(&bytes);
        let events = [event(
            actor,
            "attached",
            json!({"file_name": file_name, "size": bytes.len(), "sha256": sha256}),
        )];
        let attachment_id = self
            .store
            .add_attachment(
                &NewAttachment {
                    ticket_id: id,
                    message_id: None,
                    uploaded_by: actor.user_id,
                    file_name,
                    content_type: content_type.to_string(),
                    sha256,
                    bytes,
                },
                &events,
                self.now(),
            )
            .await?;
        let row = self
            .store
            .attachment(attachment_id)
            .await?
            .ok_or_else(|| ServiceError::internal("attachment vanished"))?;
        Ok(row.into())
    }

    /// An attachment's metadata and bytes, if the ticket it belongs to is visible.
    pub async fn attachment(
        &self,
        actor: &Actor,
        attachment_id: i64,
    ) -> Result<(AttachmentView, Vec<u8>)> {
        let not_found = || ServiceError::not_found("attachment", ErrorCode::AttachmentNotFound);
        let row = self
            .store
            .attachment(attachment_id)
            .await?
            .ok_or_else(not_found)?;
        self.visible_ticket(actor, row.ticket_id)
            .await
            .map_err(|_| not_found())?;
        let bytes = self.store.blob(&row.sha256).await?.ok_or_else(not_found)?;
        Ok((row.into(), bytes))
    }
}

/// Views of listed tickets, each with its tags from `tags` (by ticket id).
fn views_with_tags(
    rows: Vec<TicketRow>,
    mut tags: std::collections::HashMap<i64, Vec<String>>,
    staff: bool,
) -> Vec<TicketView> {
    rows.into_iter()
        .map(|r| {
            let t = tags.remove(&r.id).unwrap_or_default();
            TicketView::from_row(r, t, staff)
        })
        .collect()
}
