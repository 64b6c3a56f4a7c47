//! Live chat use cases. A chat is a ticket with channel `chat`: it opens through the same
//! plan as any ticket (`opening`), its lines are the ticket's messages (frustration on
//! the customer's, the tone coach on the agent's), a hand-over is the ticket's hand-over
//! with its note, and when nobody can answer live it simply stays a ticket with its
//! promise. The chat row adds who is talking now; the router decides who may take a chat
//! (team, skills, tier, breaks, the hard-conversation streak) with the per-agent chat
//! limit in place of the ticket capacity.

use crate::auth::{constant_time_eq, random_bytes, sha256_hex};
use crate::opening::{Opening, plan_opening};
use crate::routing::{HandOver, hand_over_change, optional_text};
use crate::tickets::{
    ATTEMPTS, Change, CreateTicket, NewReply, Written, back_off, event, parse_reply,
};
use crate::views::{MessageView, PersonRef, rfc3339};
use crate::{Actor, ErrorCode, Result, ServiceError, Services};
use heard_domain::chat::{
    ChatAction, ChatRefusal, ChatState, DEFAULT_CHAT_LIMIT, QueuePlace, chat_limit, chat_subject,
    fallback, next_state, queue_place,
};
use heard_domain::routing::{Candidate, decide};
use heard_domain::ticket::message_body;
use heard_domain::{Channel, Invalid, Priority, Subject};
use heard_store::{ChatRow, ChatTouch, ListChats, StoreError, TicketRow};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::ToSchema;

/// The setting holding how many chats an agent holds at once.
const CHAT_LIMIT_KEY: &str = "chat_max_per_agent";

/// How many answered chats the wait estimate learns from.
const RECENT_WAITS: i64 = 20;

/// The most lines one read returns; the reader asks again after the last.
const MAX_LINES: usize = 200;

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartChat {
    /// The customer's first line.
    pub message: String,
    /// A guest's name (not needed when signed in).
    pub name: Option<String>,
    /// A guest's e-mail address: the chat lands on their profile, and a chat that
    /// becomes a ticket is answered there.
    pub email: Option<String>,
}

/// What starting a chat led to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatStarted {
    /// `chat` when an agent will answer live, `ticket` when the chat became a ticket.
    pub outcome: String,
    /// The ticket holding the conversation (in both outcomes).
    pub ticket_id: i64,
    pub chat: Option<ChatView>,
    /// For a guest: the token that opens this chat and nothing else (send it as
    /// `Chat-Token`, or `?token=` on the live connection). Shown once.
    pub chat_token: Option<String>,
    /// Why the chat became a ticket, and the promise that comes with it.
    pub fallback: Option<FallbackView>,
    /// Help articles that may answer the first line while the customer waits.
    pub articles: Vec<crate::kb::ArticleHitView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FallbackView {
    /// after_hours or nobody_available
    pub reason: String,
    /// What to tell the customer.
    pub message: String,
    /// When they will hear from us at the latest (RFC 3339).
    pub promise_due_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatView {
    pub id: i64,
    pub ticket_id: i64,
    /// waiting, active or ended
    pub state: String,
    pub subject: String,
    pub customer: PersonRef,
    pub agent: Option<PersonRef>,
    pub team_id: Option<i64>,
    pub started_at: String,
    pub accepted_at: Option<String>,
    pub ended_at: Option<String>,
    /// Staff only: the customer's latest frustration score (0–100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frustration: Option<i64>,
    /// Staff only: the customer's lines the agent holding the chat has not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread: Option<i64>,
    /// While waiting: the place in the queue and a realistic estimate.
    pub queue: Option<QueueView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueView {
    /// 1 for the next chat to be answered.
    pub place: u32,
    pub ahead: u32,
    pub estimate_minutes: u32,
    /// e.g. "2 ahead of you, about 4 minutes"
    pub text: String,
}

impl From<QueuePlace> for QueueView {
    fn from(p: QueuePlace) -> Self {
        let ahead = match p.ahead {
            0 => "You are next".to_string(),
            n => format!("{n} ahead of you"),
        };
        let wait = match p.estimate_minutes {
            1 => "about a minute".to_string(),
            m => format!("about {m} minutes"),
        };
        QueueView {
            place: p.place,
            ahead: p.ahead,
            estimate_minutes: p.estimate_minutes,
            text: format!("{ahead}, {wait}"),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatLine {
    pub body: String,
}

/// The lines after a cursor, with the chat as it is now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatLines {
    pub chat: ChatView,
    /// Public lines (and, for staff, internal notes such as hand-off notes), oldest first.
    pub messages: Vec<MessageView>,
    /// Pass as `?after=` to read what comes next.
    pub next_after: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOverChat {
    pub to_agent_id: i64,
    /// What the colleague must know so the customer repeats nothing.
    pub handoff_note: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    /// How many chats an agent holds at once (1–20).
    pub max_chats_per_agent: i64,
}

fn chat_not_found() -> ServiceError {
    ServiceError::not_found("chat", ErrorCode::ChatNotFound)
}

fn refused(r: ChatRefusal) -> ServiceError {
    ServiceError::conflict(r.code, r.message)
}

fn state_of(c: &ChatRow) -> Result<ChatState> {
    Ok(c.state.parse::<ChatState>()?)
}

fn staff_only(actor: &Actor, what: &str) -> Result<()> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::forbidden(format!("only staff {what}")))
    }
}

/// The chat's row after a change, checked against the version `c` was read at.
fn touch(c: &ChatRow, state: ChatState, agent_id: Option<i64>) -> ChatTouch {
    ChatTouch {
        chat_id: c.id,
        expected_version: c.version,
        state: state.as_str().into(),
        agent_id,
        accepted_at: c.accepted_at,
        ended_at: c.ended_at,
        send_key: None,
    }
}

/// The router's candidates for chats: everyone as for tickets, with the chats they hold
/// against the chat limit in place of their tickets against their capacity.
fn chat_candidates(
    candidates: &[Candidate],
    held: &HashMap<i64, i64>,
    limit: u32,
) -> Vec<Candidate> {
    candidates
        .iter()
        .cloned()
        .map(|mut c| {
            c.open_tickets = held
                .get(&c.agent_id)
                .copied()
                .unwrap_or(0)
                .clamp(0, i64::from(u32::MAX)) as u32;
            c.capacity = limit;
            c
        })
        .collect()
}

impl Services {
    /// How many chats an agent holds at once.
    pub async fn chat_limit(&self) -> Result<u32> {
        Ok(self
            .store
            .setting(CHAT_LIMIT_KEY)
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(|n| chat_limit(n).ok())
            .unwrap_or(DEFAULT_CHAT_LIMIT))
    }

    pub async fn chat_settings(&self, actor: &Actor) -> Result<ChatSettings> {
        staff_only(actor, "read the chat settings")?;
        Ok(ChatSettings {
            max_chats_per_agent: i64::from(self.chat_limit().await?),
        })
    }

    /// Sets the per-agent chat limit (admins; `None` for the command line).
    pub async fn set_chat_settings(
        &self,
        actor: Option<&Actor>,
        input: ChatSettings,
    ) -> Result<ChatSettings> {
        if actor.is_some_and(|a| !a.may_configure()) {
            return Err(ServiceError::forbidden("only an admin sets the chat limit"));
        }
        let limit = chat_limit(input.max_chats_per_agent)?;
        self.store
            .set_setting(CHAT_LIMIT_KEY, &limit.to_string())
            .await?;
        Ok(ChatSettings {
            max_chats_per_agent: i64::from(limit),
        })
    }

    /// Whether a chat of `team_id` (with this frustration) could be taken live now, and by
    /// whom the router would have it: the first agent it would choose.
    async fn chat_taker(
        &self,
        team_id: Option<i64>,
        tier: i64,
        frustration: Option<i64>,
        abusive: bool,
        only: Option<i64>,
    ) -> Result<heard_domain::routing::Decision> {
        let snapshot = self.snapshot().await?;
        let desk = self.desk().await?;
        let held: HashMap<i64, i64> = self.store.active_chat_counts().await?.into_iter().collect();
        let limit = self.chat_limit().await?;
        let mut candidates = chat_candidates(&desk.candidates, &held, limit);
        if let Some(agent) = only {
            candidates.retain(|c| c.agent_id == agent);
        }
        let needs = desk.needs(team_id, tier, frustration, abusive, &[]);
        Ok(decide(
            &needs,
            &candidates,
            &snapshot.routing.for_team(team_id).policy,
        ))
    }

    /// A chat view as `actor` sees it, with the queue place while it waits.
    async fn chat_view(
        &self,
        actor: &Actor,
        c: ChatRow,
        queue: Option<&[i64]>,
    ) -> Result<ChatView> {
        let state = state_of(&c)?;
        let queue = if state == ChatState::Waiting {
            let waiting = match queue {
                Some(q) => q.to_vec(),
                None => self.store.waiting_chat_ids().await?,
            };
            let waits = self.store.recent_chat_waits(RECENT_WAITS).await?;
            // Rounds are served as fast as agents with room for a chat free up.
            let free = self
                .chat_taker(c.team_id, 1, None, false, None)
                .await?
                .chosen
                .is_some() as u32;
            queue_place(&waiting, c.id, free, &waits).map(QueueView::from)
        } else {
            None
        };
        let staff = actor.is_staff();
        Ok(ChatView {
            id: c.id,
            ticket_id: c.ticket_id,
            state: c.state,
            subject: c.subject,
            customer: PersonRef {
                id: c.requester_id,
                name: c.customer_name,
            },
            agent: c.agent_id.map(|id| PersonRef {
                id,
                name: c.agent_name.unwrap_or_default(),
            }),
            team_id: c.team_id,
            started_at: rfc3339(c.started_at),
            accepted_at: c.accepted_at.map(rfc3339),
            ended_at: c.ended_at.map(rfc3339),
            frustration: c.frustration_score.filter(|_| staff),
            unread: staff.then_some(c.unread),
            queue,
        })
    }

    /// The chat if `actor` may see its ticket; otherwise exactly what a missing chat gives.
    async fn visible_chat(&self, actor: &Actor, id: i64) -> Result<ChatRow> {
        let c = self.store.chat(id).await?.ok_or_else(chat_not_found)?;
        match self.visible_ticket(actor, c.ticket_id).await {
            Ok(_) => Ok(c),
            Err(ServiceError::NotFound { .. }) => Err(chat_not_found()),
            Err(e) => Err(e),
        }
    }

    /// The customer a guest's chat token speaks for, in that one chat only; a wrong token
    /// answers like a missing chat.
    pub async fn chat_guest(&self, id: i64, token: &str) -> Result<Actor> {
        let c = self.store.chat(id).await?.ok_or_else(chat_not_found)?;
        let Some(hash) = c.guest_token_hash.as_deref() else {
            return Err(chat_not_found());
        };
        if !constant_time_eq(sha256_hex(token.as_bytes()).as_bytes(), hash.as_bytes()) {
            return Err(chat_not_found());
        }
        self.actor_for_user(c.requester_id).await
    }

    /// Starts a chat for a signed-in customer (`signed_in`) or a guest naming themselves.
    /// Outside business hours, or when no agent could take it, the first line becomes an
    /// ordinary ticket with its promise instead, and the answer says so.
    pub async fn start_chat(
        &self,
        signed_in: Option<&Actor>,
        input: StartChat,
    ) -> Result<ChatStarted> {
        let body = message_body(&input.message).map_err(|i| Invalid {
            field: Some("message"),
            ..i
        })?;
        let (actor, guest) = match signed_in {
            Some(a) if a.is_staff() => {
                return Err(ServiceError::forbidden(
                    "chats are started by customers; staff answer them",
                ));
            }
            Some(a) => (a.clone(), false),
            None => {
                let name = input.name.as_deref().map(str::trim).unwrap_or("");
                if name.is_empty()
                    || name.chars().count() > 200
                    || name.chars().any(char::is_control)
                {
                    return Err(ServiceError::invalid(
                        "name",
                        ErrorCode::MissingField,
                        "a guest gives their name (1 to 200 characters)",
                    ));
                }
                let Some(email) = input
                    .email
                    .as_deref()
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                else {
                    return Err(ServiceError::invalid(
                        "email",
                        ErrorCode::MissingField,
                        "a guest gives an e-mail address, where a chat that becomes a ticket is answered",
                    ));
                };
                let user =
                    self.customer_for_email(email, Some(name))
                        .await
                        .map_err(|e| match e {
                            ServiceError::Invalid(i) => ServiceError::Invalid(Invalid {
                                field: Some("email"),
                                ..i
                            }),
                            other => other,
                        })?;
                if user.role != "customer" {
                    return Err(ServiceError::invalid(
                        "email",
                        ErrorCode::InvalidEmail,
                        "this address belongs to the help desk's staff; sign in instead",
                    ));
                }
                (self.actor_for_user(user.id).await?, true)
            }
        };
        let requester = self
            .store
            .user(actor.user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let snapshot = self.snapshot().await?;
        let team_id = snapshot.default_team;
        let now = self.now();
        let policy_id = Self::select_policy(
            &snapshot.policies,
            Priority::Normal.as_str(),
            Channel::Chat.as_str(),
            team_id,
            requester.organization_id,
        );
        let book = &snapshot.policies;
        let calendar = book.calendar_for(
            book.policy_or_default(&policy_id),
            team_id.map(|t| t.to_string()).as_deref(),
        );
        let open_now = calendar.is_open(jiff::Timestamp::from_millisecond(now).unwrap_or_default());
        let taker = self.chat_taker(team_id, 1, None, false, None).await?;
        let subject = chat_subject(&body);
        if let Some(why) = fallback(open_now, taker.chosen.is_some()) {
            let (detail, _) = self
                .create_ticket(
                    &actor,
                    CreateTicket {
                        subject,
                        body,
                        body_html: None,
                        priority: None,
                        channel: Some(Channel::Chat.as_str().into()),
                        requester_email: None,
                        requester_name: None,
                        requester_id: None,
                        team_id: None,
                        assignee_id: None,
                        tags: Vec::new(),
                    },
                    None,
                )
                .await?;
            return Ok(ChatStarted {
                outcome: "ticket".into(),
                ticket_id: detail.ticket.id,
                chat: None,
                chat_token: None,
                fallback: Some(FallbackView {
                    reason: why.as_str().into(),
                    message: why.explain().into(),
                    promise_due_at: detail.ticket.next_update_due.clone(),
                }),
                articles: Vec::new(),
            });
        }
        let articles = self
            .suggest_articles(
                Some(&actor),
                crate::kb::SearchQuery {
                    q: Some(body.chars().take(500).collect()),
                    limit: Some(3),
                    ..Default::default()
                },
            )
            .await
            .map(|r| r.hits)
            .unwrap_or_default();
        let care = self.inbound_care(&actor, None, requester.id, &body).await?;
        let plan = plan_opening(
            Opening {
                actor: &actor,
                subject: Subject::parse(&subject)?,
                body,
                body_html: None,
                priority: Priority::Normal,
                channel: Channel::Chat,
                requester_id: requester.id,
                organization_id: requester.organization_id,
                team_id,
                assignee_id: None,
                tags: Vec::new(),
                care,
                idempotency: None,
            },
            &snapshot,
            now,
        );
        let token = guest.then(|| format!("chat_{}", hex::encode(random_bytes::<24>())));
        let hash = token.as_deref().map(|t| sha256_hex(t.as_bytes()));
        let (chat_id, ticket_id) = self
            .store
            .start_chat(&plan.ticket, hash.as_deref(), now)
            .await?;
        self.chat_signal(chat_id, "state", None).await;
        let row = self.store.chat(chat_id).await?.ok_or_else(chat_not_found)?;
        Ok(ChatStarted {
            outcome: "chat".into(),
            ticket_id,
            chat: Some(self.chat_view(&actor, row, None).await?),
            chat_token: token,
            fallback: None,
            articles,
        })
    }

    /// One chat the caller may see.
    pub async fn get_chat(&self, actor: &Actor, id: i64) -> Result<ChatView> {
        let c = self.visible_chat(actor, id).await?;
        self.chat_view(actor, c, None).await
    }

    /// Waiting chats the agent's teams may see, in the order they are served (staff).
    pub async fn waiting_chats(&self, actor: &Actor) -> Result<Vec<ChatView>> {
        staff_only(actor, "list waiting chats")?;
        let queue = self.store.waiting_chat_ids().await?;
        let rows = self
            .store
            .chats(
                &actor.ticket_scope(),
                &ListChats {
                    state: Some(ChatState::Waiting.as_str().into()),
                    limit: 200,
                    ..Default::default()
                },
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.chat_view(actor, r, Some(&queue)).await?);
        }
        Ok(out)
    }

    /// The chats the caller holds now, with their unread counts (staff).
    pub async fn my_chats(&self, actor: &Actor) -> Result<Vec<ChatView>> {
        staff_only(actor, "hold chats")?;
        let rows = self
            .store
            .chats(
                &actor.ticket_scope(),
                &ListChats {
                    state: Some(ChatState::Active.as_str().into()),
                    agent_id: Some(actor.user_id),
                    limit: 200,
                    ..Default::default()
                },
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.chat_view(actor, r, None).await?);
        }
        Ok(out)
    }

    /// Writes a change to a chat's ticket decided by `decide` on the chat and ticket as
    /// they are now, retrying when someone changed either first. Returns the message id.
    async fn change_chat(
        &self,
        actor: &Actor,
        id: i64,
        decide: impl Fn(&ChatRow, &TicketRow, i64) -> Result<Change>,
    ) -> Result<Option<i64>> {
        for attempt in 0..ATTEMPTS {
            back_off(attempt).await;
            let c = self.visible_chat(actor, id).await?;
            let t = self
                .visible_ticket(actor, c.ticket_id)
                .await
                .map_err(|_| chat_not_found())?;
            let now = self.now();
            let change = decide(&c, &t, now)?;
            match self.write_change(&t, change, now).await? {
                Written::Done(m) => return Ok(m),
                Written::Stale => continue,
            }
        }
        Err(StoreError::Stale.into())
    }

    /// An agent takes a waiting chat: the router must be willing to give it to them (team,
    /// skills, tier, presence, the hard-conversation streak) and they must be under the
    /// chat limit. They own its ticket from then on.
    pub async fn accept_chat(&self, actor: &Actor, id: i64) -> Result<ChatView> {
        let c = self.visible_chat(actor, id).await?;
        staff_only(actor, "accept chats")?;
        next_state(state_of(&c)?, ChatAction::Accept).map_err(refused)?;
        let held = self
            .store
            .active_chat_counts()
            .await?
            .into_iter()
            .find(|(a, _)| *a == actor.user_id)
            .map_or(0, |(_, n)| n);
        let limit = self.chat_limit().await?;
        if held >= i64::from(limit) {
            return Err(ServiceError::conflict(
                ErrorCode::ChatLimitReached,
                format!("you already hold {held} chats, the most the desk allows at once"),
            ));
        }
        let t = self
            .store
            .ticket(c.ticket_id)
            .await?
            .ok_or_else(chat_not_found)?;
        let decision = self
            .chat_taker(
                t.team_id,
                t.tier,
                t.frustration_score,
                t.abusive,
                Some(actor.user_id),
            )
            .await?;
        if decision.chosen != Some(actor.user_id) {
            let why: Vec<String> = decision.reasons.iter().map(ToString::to_string).collect();
            return Err(ServiceError::conflict(
                ErrorCode::ChatNotForAgent,
                format!(
                    "the router would not give you this chat now: {}",
                    why.join("; ")
                ),
            ));
        }
        let book = self.routing_book().await?;
        let me = actor.user_id;
        self.change_chat(actor, id, |c, t, now| {
            let to = next_state(state_of(c)?, ChatAction::Accept).map_err(refused)?;
            let mut change = Change::of(t);
            change.state.assignee_id = Some(me);
            change.events.push(event(
                actor,
                "chat_accepted",
                json!({"chat_id": c.id, "waited_ms": now - c.started_at}),
            ));
            if t.assignee_id != Some(me) {
                change.events.push(event(
                    actor,
                    "assigned",
                    json!({"from": t.assignee_id, "to": me, "by": "chat"}),
                ));
                change.agents.push(crate::routing::assigned_by_hand(
                    me,
                    &change.state,
                    book.for_team(t.team_id),
                ));
            }
            let mut chat = touch(c, to, Some(me));
            chat.accepted_at = Some(now);
            change.chat = Some(chat);
            Ok(change)
        })
        .await?;
        self.chat_signal(id, "state", None).await;
        self.get_chat(actor, id).await
    }

    /// A line in the chat, durable (in the ticket's conversation) before it is answered.
    /// With an `Idempotency-Key` a retry answers with the line already written. Returns
    /// the line and whether it was such a replay.
    pub async fn send_chat_line(
        &self,
        actor: &Actor,
        id: i64,
        input: ChatLine,
        idempotency_key: Option<&str>,
    ) -> Result<(MessageView, bool)> {
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
        let reply = NewReply {
            body: input.body,
            body_html: None,
            internal: false,
            channel: Some(Channel::Chat.as_str().into()),
        };
        let (body, body_html, kind, channel) = parse_reply(actor, &reply)?;
        let c = self.visible_chat(actor, id).await?;
        let by_staff = actor.is_staff();
        let may_write = |c: &ChatRow| -> Result<ChatState> {
            let s = next_state(state_of(c)?, ChatAction::Send { by_staff }).map_err(refused)?;
            let holder = if by_staff {
                c.agent_id
            } else {
                Some(c.requester_id)
            };
            if holder != Some(actor.user_id) {
                return Err(ServiceError::conflict(
                    ErrorCode::ChatNotYours,
                    "only the customer and the agent holding the chat write in it",
                ));
            }
            Ok(s)
        };
        may_write(&c)?;
        let hash = sha256_hex(body.as_bytes());
        let replay = |found: Option<(i64, String)>| -> Result<Option<i64>> {
            match found {
                Some((m, h)) if h == hash => Ok(Some(m)),
                Some(_) => Err(ServiceError::conflict(
                    ErrorCode::IdempotencyKeyReused,
                    "this Idempotency-Key was already used for a different line",
                )),
                None => Ok(None),
            }
        };
        if let Some(k) = key
            && let Some(m) = replay(self.store.chat_send(id, actor.user_id, k).await?)?
        {
            return Ok((self.message_view(actor, m).await?, true));
        }
        let t = self.visible_ticket(actor, c.ticket_id).await?;
        let plan = self
            .message_plan(actor, &t, kind, channel, body, body_html)
            .await?;
        let written = self
            .change_chat(actor, id, |c, t, _now| {
                let s = may_write(c)?;
                let mut change = plan.change(actor, t)?;
                let mut chat = touch(c, s, c.agent_id);
                chat.send_key = key.map(|k| (actor.user_id, k.to_string(), hash.clone()));
                change.chat = Some(chat);
                Ok(change)
            })
            .await;
        let message_id = match written {
            Ok(m) => m.ok_or_else(|| ServiceError::internal("message id missing"))?,
            // The same key raced us and won: answer with its line.
            Err(e) => match key {
                Some(k) => match replay(self.store.chat_send(id, actor.user_id, k).await?)? {
                    Some(m) => return Ok((self.message_view(actor, m).await?, true)),
                    None => return Err(e),
                },
                None => return Err(e),
            },
        };
        if by_staff {
            self.store
                .mark_chat_read(id, actor.user_id, message_id)
                .await?;
        }
        self.chat_signal(id, "message", None).await;
        Ok((self.message_view(actor, message_id).await?, false))
    }

    /// The lines after `after` (a message id; 0 for all), oldest first, and the chat as it
    /// is now. Reading marks the lines read for the agent holding the chat.
    pub async fn chat_lines(
        &self,
        actor: &Actor,
        id: i64,
        after: Option<i64>,
    ) -> Result<ChatLines> {
        let after = after.unwrap_or(0);
        if after < 0 {
            return Err(ServiceError::invalid(
                "after",
                ErrorCode::InvalidCursor,
                "after is the id of the last line read, 0 or more",
            ));
        }
        let c = self.visible_chat(actor, id).await?;
        let staff = actor.is_staff();
        let messages: Vec<MessageView> = self
            .store
            .messages(c.ticket_id, staff)
            .await?
            .into_iter()
            .filter(|m| m.id > after)
            .take(MAX_LINES)
            .map(|m| MessageView::new(m, staff))
            .collect();
        let next_after = messages.last().map_or(after, |m| m.id);
        let mut c = c;
        if staff && c.agent_id == Some(actor.user_id) && next_after > c.agent_read_id {
            self.store
                .mark_chat_read(id, actor.user_id, next_after)
                .await?;
            c = self.store.chat(id).await?.ok_or_else(chat_not_found)?;
        }
        Ok(ChatLines {
            chat: self.chat_view(actor, c, None).await?,
            messages,
            next_after,
        })
    }

    /// Tells the other side that the caller is typing (nothing is stored).
    pub async fn chat_typing(&self, actor: &Actor, id: i64) -> Result<()> {
        let c = self.visible_chat(actor, id).await?;
        if state_of(&c)? == ChatState::Ended {
            return Err(ServiceError::conflict(
                ErrorCode::ChatEnded,
                "this chat has ended",
            ));
        }
        let by = if actor.is_staff() {
            "staff"
        } else {
            "customer"
        };
        self.chat_signal(id, "typing", Some(by)).await;
        Ok(())
    }

    /// Hands the chat to a colleague with a hand-off note (the ticket's hand-over, so the
    /// note travels with it and the customer repeats nothing). The holder or a supervisor.
    pub async fn hand_over_chat(
        &self,
        actor: &Actor,
        id: i64,
        input: HandOverChat,
    ) -> Result<ChatView> {
        let c = self.visible_chat(actor, id).await?;
        staff_only(actor, "hand chats over")?;
        next_state(state_of(&c)?, ChatAction::HandOver).map_err(refused)?;
        let name = self.staff_name(input.to_agent_id, "to_agent_id").await?;
        let reason = optional_text(input.reason.as_deref(), "reason", 500)?;
        let held = self
            .store
            .active_chat_counts()
            .await?
            .into_iter()
            .find(|(a, _)| *a == input.to_agent_id)
            .map_or(0, |(_, n)| n);
        if held >= i64::from(self.chat_limit().await?) {
            return Err(ServiceError::conflict(
                ErrorCode::ChatLimitReached,
                format!("{name} already holds as many chats as the desk allows at once"),
            ));
        }
        let book = self.routing_book().await?;
        let handover = HandOver {
            to_agent_id: input.to_agent_id,
            handoff_note: input.handoff_note.clone(),
            reason: reason.clone(),
        };
        self.change_chat(actor, id, |c, t, _now| {
            let s = next_state(state_of(c)?, ChatAction::HandOver).map_err(refused)?;
            if c.agent_id != Some(actor.user_id) && !actor.may_view_agents() {
                return Err(ServiceError::conflict(
                    ErrorCode::ChatNotYours,
                    "only the agent holding the chat, or a supervisor, hands it over",
                ));
            }
            let mut change =
                hand_over_change(actor, t, &handover, &name, reason.as_deref(), &book)?;
            change.chat = Some(touch(c, s, Some(input.to_agent_id)));
            Ok(change)
        })
        .await?;
        self.chat_signal(id, "state", None).await;
        match self.get_chat(actor, id).await {
            // Handed outside the caller's teams: they may no longer see it.
            Err(ServiceError::NotFound { .. }) => {
                self.get_chat(&self.unrestricted(actor), id).await
            }
            other => other,
        }
    }

    /// Ends the chat: the customer, the agent holding it or a supervisor. The ticket
    /// carries on like any other; a chat nobody accepted joins the ticket queue.
    pub async fn end_chat(&self, actor: &Actor, id: i64) -> Result<ChatView> {
        let by = if actor.is_staff() {
            "staff"
        } else {
            "customer"
        };
        self.change_chat(actor, id, |c, t, now| {
            let s = next_state(state_of(c)?, ChatAction::End).map_err(refused)?;
            let allowed = if actor.is_staff() {
                c.agent_id == Some(actor.user_id) || actor.may_view_agents() || c.agent_id.is_none()
            } else {
                c.requester_id == actor.user_id
            };
            if !allowed {
                return Err(ServiceError::conflict(
                    ErrorCode::ChatNotYours,
                    "another agent holds this chat",
                ));
            }
            let mut change = Change::of(t);
            change.events.push(event(
                actor,
                "chat_ended",
                json!({"chat_id": c.id, "by": by}),
            ));
            let mut chat = touch(c, s, c.agent_id);
            chat.ended_at = Some(now);
            change.chat = Some(chat);
            Ok(change)
        })
        .await?;
        self.chat_signal(id, "state", None).await;
        self.capacity_may_have_freed().await;
        self.get_chat(actor, id).await
    }
}

/// Chats as a CSV table (the waiting list's `format=csv`).
pub fn chats_csv(chats: &[ChatView]) -> String {
    let mut out = String::new();
    crate::export::push_record(
        &mut out,
        &[
            "id",
            "ticket_id",
            "state",
            "subject",
            "customer",
            "agent",
            "started_at",
            "place",
            "estimate_minutes",
        ],
    );
    for c in chats {
        crate::export::push_record(
            &mut out,
            &[
                c.id.to_string(),
                c.ticket_id.to_string(),
                c.state.clone(),
                c.subject.clone(),
                c.customer.name.clone(),
                c.agent.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
                c.started_at.clone(),
                c.queue
                    .as_ref()
                    .map(|q| q.place.to_string())
                    .unwrap_or_default(),
                c.queue
                    .as_ref()
                    .map(|q| q.estimate_minutes.to_string())
                    .unwrap_or_default(),
            ],
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use heard_domain::Tier;
    use heard_domain::routing::Presence;

    fn agent(id: i64) -> Candidate {
        Candidate {
            agent_id: id,
            team_ids: vec![1],
            tier: Tier::FIRST,
            skills: Vec::new(),
            presence: Presence::Available,
            open_tickets: 40,
            capacity: 10,
            hard_in_a_row: 0,
            hard_this_shift: 0,
            last_assigned_at: None,
        }
    }

    #[test]
    fn chats_count_against_the_chat_limit_not_the_ticket_capacity() {
        let held = HashMap::from([(1, 3), (2, 1)]);
        let c = chat_candidates(&[agent(1), agent(2), agent(3)], &held, 3);
        assert_eq!(
            c.iter()
                .map(|c| (c.open_tickets, c.capacity))
                .collect::<Vec<_>>(),
            [(3, 3), (1, 3), (0, 3)]
        );
        let needs = heard_domain::routing::TicketNeeds::default();
        let d = decide(&needs, &c[..1], &Default::default());
        assert_eq!(d.chosen, None, "at the chat limit");
        let d = decide(&needs, &c[1..2], &Default::default());
        assert_eq!(
            d.chosen,
            Some(2),
            "over the ticket capacity but with room for a chat"
        );
    }
}
