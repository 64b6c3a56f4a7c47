//! Live chats in the agent workspace (`/agent/chats`): the waiting queue with accept, the
//! chats the agent holds with unread counts, and one conversation with frustration on each
//! customer line, the tone coach on the draft, the customer's ticket, hand-over and end.
//! Plain forms work without JavaScript; `chat-agent.js` makes the conversation live.

use crate::WebState;
use crate::format::when;
use crate::page::{BackTo, Chrome, PageResult, notice_text, render, see_other};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use heard_services::chats::{ChatLine, ChatView, HandOverChat};
use heard_services::views::MessageView;
use serde::Deserialize;

/// A chat in one of the lists.
pub struct ChatItem {
    pub id: i64,
    pub subject: String,
    pub customer: String,
    pub since: String,
    pub queue: String,
    pub unread: i64,
    pub frustration: Option<i64>,
}

impl From<&ChatView> for ChatItem {
    fn from(c: &ChatView) -> Self {
        ChatItem {
            id: c.id,
            subject: c.subject.clone(),
            customer: c.customer.name.clone(),
            since: when(&c.started_at),
            queue: c.queue.as_ref().map(|q| q.text.clone()).unwrap_or_default(),
            unread: c.unread.unwrap_or(0),
            frustration: c.frustration,
        }
    }
}

/// One line of the open conversation.
pub struct LineItem {
    pub id: i64,
    pub who: String,
    pub from_customer: bool,
    pub internal: bool,
    pub text: String,
    pub at: String,
    /// A customer line's frustration score, 0–100.
    pub frustration: Option<i64>,
}

impl From<&MessageView> for LineItem {
    fn from(m: &MessageView) -> Self {
        LineItem {
            id: m.id,
            who: m.author.name.clone(),
            from_customer: m.author.role == "customer",
            internal: m.kind == "internal",
            text: m.body_text.clone(),
            at: when(&m.created_at),
            frustration: m
                .analysis
                .as_ref()
                .and_then(|a| a["frustration"]["score"].as_i64()),
        }
    }
}

pub struct Open {
    pub id: i64,
    pub ticket_id: i64,
    pub subject: String,
    pub customer: String,
    pub state: String,
    pub mine: bool,
    pub agent: String,
    pub lines: Vec<LineItem>,
    pub after: i64,
}

pub struct Receiver {
    pub id: i64,
    pub name: String,
}

#[derive(Template)]
#[template(path = "agent_chats.html")]
struct ChatsPage {
    chrome: Chrome,
    waiting: Vec<ChatItem>,
    mine: Vec<ChatItem>,
    unread: i64,
    open: Option<Open>,
    receivers: Vec<Receiver>,
}

#[derive(Deserialize)]
pub struct ChatsQuery {
    chat: Option<i64>,
    done: Option<String>,
}

pub async fn page(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<ChatsQuery>,
) -> PageResult {
    viewer.require_staff()?;
    let mut chrome = viewer.chrome("Chats", "chats");
    chrome.notice = notice_text(q.done.as_deref());
    let services = &s.services;
    let actor = &viewer.actor;
    let waiting: Vec<ChatItem> = services
        .waiting_chats(actor)
        .await?
        .iter()
        .map(ChatItem::from)
        .collect();
    let mine: Vec<ChatItem> = services
        .my_chats(actor)
        .await?
        .iter()
        .map(ChatItem::from)
        .collect();
    let open = match q.chat {
        Some(id) => {
            let lines = services.chat_lines(actor, id, None).await?;
            let c = &lines.chat;
            Some(Open {
                id: c.id,
                ticket_id: c.ticket_id,
                subject: c.subject.clone(),
                customer: c.customer.name.clone(),
                state: c.state.clone(),
                mine: c.agent.as_ref().is_some_and(|a| a.id == actor.user_id),
                agent: c.agent.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
                lines: lines.messages.iter().map(LineItem::from).collect(),
                after: lines.next_after,
            })
        }
        None => None,
    };
    let receivers = services
        .colleagues(actor)
        .await?
        .into_iter()
        .filter(|c| c.active && c.id != actor.user_id)
        .map(|c| Receiver {
            id: c.id,
            name: c.name,
        })
        .collect();
    // After reading the open chat its lines are read: count what is left.
    let unread = mine
        .iter()
        .filter(|c| open.as_ref().is_none_or(|o| o.id != c.id))
        .map(|c| c.unread)
        .sum();
    Ok(render(&ChatsPage {
        chrome,
        waiting,
        mine,
        unread,
        open,
        receivers,
    }))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

fn at(id: i64) -> String {
    format!("/agent/chats?chat={id}")
}

pub async fn accept(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    s.services
        .accept_chat(&viewer.actor, id)
        .await
        .back_to("/agent/chats")?;
    Ok(see_other(&at(id), "chat_accepted"))
}

#[derive(Deserialize)]
pub struct LineForm {
    csrf: String,
    body: String,
    /// Set by the form so a resubmitted page does not send the line twice.
    #[serde(default)]
    key: String,
}

pub async fn send(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<LineForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let key = (!f.key.is_empty()).then_some(f.key.as_str());
    s.services
        .send_chat_line(&viewer.actor, id, ChatLine { body: f.body }, key)
        .await
        .back_to(at(id))?;
    Ok(see_other(&at(id), "sent"))
}

#[derive(Deserialize)]
pub struct HandOverForm {
    csrf: String,
    #[serde(default)]
    to_agent_id: String,
    #[serde(default)]
    reason: String,
    handoff_note: String,
}

pub async fn hand_over(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<HandOverForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let to_agent_id = f.to_agent_id.trim().parse::<i64>().map_err(|_| {
        crate::page::PageError::from(heard_services::ServiceError::Invalid(
            heard_domain::Invalid::new(
                "to_agent_id",
                heard_services::ErrorCode::InvalidField,
                "choose a colleague from the list",
            ),
        ))
        .back_to(at(id))
    })?;
    let reason = f.reason.trim();
    s.services
        .hand_over_chat(
            &viewer.actor,
            id,
            HandOverChat {
                to_agent_id,
                handoff_note: f.handoff_note,
                reason: (!reason.is_empty()).then(|| reason.to_string()),
            },
        )
        .await
        .back_to(at(id))?;
    Ok(see_other("/agent/chats", "handed_over"))
}

pub async fn end(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, crate::page::PageError> {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    s.services
        .end_chat(&viewer.actor, id)
        .await
        .back_to(at(id))?;
    Ok(see_other(&at(id), "chat_ended"))
}
