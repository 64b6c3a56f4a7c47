//! The phone in the agent workspace: the caller lookup a softphone opens on an incoming
//! call (`/agent/call?number=…`), logging a call from it or from a ticket, and adding an
//! unknown number to a new or an existing customer.

use crate::WebState;
use crate::cards::Card;
use crate::format::{url_encode, when};
use crate::page::{BackTo, Chrome, PageError, PageResult, notice_text, render, see_other};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use heard_domain::Invalid;
use heard_services::calls::{CallView, NewCallLog, TicketFromCall};
use heard_services::people::{CustomerHit, NewIdentity};
use heard_services::{ErrorCode, ServiceError};
use serde::Deserialize;

/// A number shown with the link that dials it.
pub struct Dial {
    pub number: String,
    pub tel: String,
}

impl Dial {
    pub fn new(e164: &str) -> Dial {
        Dial {
            number: e164.to_string(),
            tel: format!("tel:{e164}"),
        }
    }
}

/// A logged call as a line on a page.
pub struct CallLine {
    pub ticket_id: i64,
    pub ticket_subject: String,
    pub direction: &'static str,
    pub dial: Dial,
    pub duration: String,
    pub outcome: String,
    pub agent: String,
    pub at: String,
    pub call_back: Option<String>,
}

impl From<&CallView> for CallLine {
    fn from(c: &CallView) -> Self {
        CallLine {
            ticket_id: c.ticket_id,
            ticket_subject: c.ticket_subject.clone(),
            direction: if c.direction == "inbound" {
                "Inbound"
            } else {
                "Outbound"
            },
            dial: Dial::new(&c.number),
            duration: heard_domain::phone::duration_label(c.duration_seconds),
            outcome: c.outcome.replace('_', " "),
            agent: c.agent.name.clone(),
            at: when(&c.created_at),
            call_back: c.call_back_due.as_deref().map(when),
        }
    }
}

pub struct ContactLine {
    pub ticket_id: i64,
    pub ticket_subject: String,
    pub channel: String,
    pub who: String,
    pub excerpt: String,
    pub at: String,
}

pub struct IdentityLine {
    pub kind: String,
    pub value: String,
    /// For a phone number: its `tel:` link and its caller lookup.
    pub tel: Option<String>,
    pub lookup: Option<String>,
}

pub struct CallerCard {
    pub id: i64,
    /// Prefix of the ids in this caller's call form.
    pub form_id: String,
    pub name: String,
    pub email: String,
    pub identities: Vec<IdentityLine>,
    pub facts: Vec<(String, String)>,
    pub open: Vec<Card>,
    pub calls: Vec<CallLine>,
    pub contacts: Vec<ContactLine>,
}

#[derive(Template)]
#[template(path = "agent_call.html")]
struct CallPage {
    chrome: Chrome,
    /// What was asked for, as typed.
    raw: String,
    /// The number read, when it could be.
    dial: Option<Dial>,
    /// Why it could not be read.
    refusal: Option<String>,
    callers: Vec<CallerCard>,
    /// For an unknown number: customers matching `q`.
    q: String,
    hits: Vec<CustomerHit>,
    durations: Vec<(i64, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    call_backs: Vec<(i64, &'static str)>,
}

/// Choices for the call forms, shared with the ticket page.
pub fn durations() -> Vec<(i64, &'static str)> {
    vec![
        (0, "under a minute"),
        (60, "about 1 minute"),
        (180, "about 3 minutes"),
        (300, "about 5 minutes"),
        (600, "about 10 minutes"),
        (900, "about 15 minutes"),
        (1800, "about 30 minutes"),
        (3600, "about an hour"),
    ]
}

pub fn outcomes() -> Vec<(&'static str, &'static str)> {
    vec![
        ("resolved", "Resolved"),
        ("call_back_needed", "Call back needed"),
        ("left_voicemail", "Left a voicemail"),
        ("no_answer", "No answer"),
    ]
}

pub fn call_backs() -> Vec<(i64, &'static str)> {
    vec![
        (0, "no call-back promised"),
        (1, "within 1 hour"),
        (2, "within 2 hours"),
        (4, "within 4 hours"),
        (8, "within 8 hours"),
        (24, "within a day"),
        (72, "within 3 days"),
    ]
}

#[derive(Deserialize)]
pub struct LookupQuery {
    #[serde(default)]
    number: String,
    #[serde(default)]
    q: String,
    done: Option<String>,
}

pub async fn lookup(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<LookupQuery>,
) -> PageResult {
    viewer.require_staff()?;
    let raw = q.number.trim().to_string();
    let mut chrome = viewer.chrome("Caller lookup", "agent");
    chrome.notice = notice_text(q.done.as_deref());
    let mut page = CallPage {
        chrome,
        raw: raw.clone(),
        dial: None,
        refusal: None,
        callers: Vec::new(),
        q: q.q.trim().to_string(),
        hits: Vec::new(),
        durations: durations(),
        outcomes: outcomes(),
        call_backs: call_backs(),
    };
    if raw.is_empty() {
        return Ok(render(&page));
    }
    let found = match s.services.caller_lookup(&viewer.actor, &raw).await {
        Ok(found) => found,
        // A number a phone system sent that we cannot read is said plainly on the page.
        Err(ServiceError::Invalid(i)) => {
            page.refusal = Some(i.message);
            return Ok(render(&page));
        }
        Err(e) => return Err(e.into()),
    };
    page.chrome.title = format!("Call from {}", found.number);
    page.dial = Some(Dial::new(&found.number));
    let now = s.services.now();
    page.callers = found
        .callers
        .into_iter()
        .map(|c| CallerCard {
            id: c.profile.id,
            form_id: format!("call-{}", c.profile.id),
            name: c.profile.name.clone(),
            email: c.profile.email.clone(),
            identities: identity_lines(&c.profile),
            facts: c
                .profile
                .facts
                .iter()
                .map(|f| (f.key.replace('_', " "), f.value.clone()))
                .collect(),
            open: c.open_tickets.iter().map(|t| Card::new(t, now)).collect(),
            calls: c.recent_calls.iter().map(CallLine::from).collect(),
            contacts: c
                .last_contacts
                .into_iter()
                .map(|m| ContactLine {
                    ticket_id: m.ticket_id,
                    ticket_subject: m.ticket_subject,
                    channel: m.channel,
                    who: if m.author_role == "customer" {
                        m.author_name
                    } else {
                        format!("{} (us)", m.author_name)
                    },
                    excerpt: m.excerpt,
                    at: when(&m.at),
                })
                .collect(),
        })
        .collect();
    if page.callers.is_empty() && !page.q.is_empty() {
        page.hits = s
            .services
            .search_customers(&viewer.actor, &page.q, 10)
            .await?;
    }
    Ok(render(&page))
}

/// A customer's identities for a page, phone numbers with their `tel:` link.
pub fn identity_lines(p: &heard_services::views::CustomerView) -> Vec<IdentityLine> {
    p.identities
        .iter()
        .filter(|i| !(i.kind == "email" && i.value == p.email))
        .map(|i| IdentityLine {
            kind: match i.kind.as_str() {
                "phone" => "Phone".into(),
                "email" => "E-mail".into(),
                "chat" => "Chat".into(),
                other => other.into(),
            },
            tel: (i.kind == "phone").then(|| format!("tel:{}", i.value)),
            lookup: (i.kind == "phone")
                .then(|| format!("/agent/call?number={}", url_encode(&i.value))),
            value: i.value.clone(),
        })
        .collect()
}

#[derive(Deserialize)]
pub struct CallForm {
    csrf: String,
    direction: String,
    number: String,
    #[serde(default)]
    duration_seconds: String,
    outcome: String,
    #[serde(default)]
    notes: String,
    /// A ticket id, or `new` with `subject`.
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    call_back_hours: String,
    #[serde(default)]
    call_back_note: String,
}

fn number_field(raw: &str, field: &'static str) -> PageResult<Option<i64>> {
    let raw = raw.trim().trim_start_matches('#');
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse().map(Some).map_err(|_| {
        PageError::from(ServiceError::Invalid(Invalid::new(
            field,
            ErrorCode::InvalidNumber,
            "choose one of the listed options",
        )))
    })
}

/// The call a form describes, at `now`.
fn call_of(f: &CallForm, ticket_id: Option<i64>, now: i64) -> PageResult<NewCallLog> {
    let new_ticket = (f.ticket == "new").then(|| TicketFromCall {
        subject: f.subject.clone(),
        priority: None,
        team_id: None,
    });
    let ticket_id = match ticket_id {
        Some(id) => Some(id),
        None if new_ticket.is_some() => None,
        None => number_field(&f.ticket, "ticket_id")?,
    };
    let hours = number_field(&f.call_back_hours, "call_back_hours")?
        .unwrap_or(0)
        .clamp(0, 24 * 14);
    let note = f.call_back_note.trim();
    Ok(NewCallLog {
        direction: f.direction.clone(),
        number: f.number.clone(),
        duration_seconds: number_field(&f.duration_seconds, "duration_seconds")?.unwrap_or(0),
        outcome: f.outcome.clone(),
        notes: f.notes.clone(),
        ticket_id,
        new_ticket,
        customer_id: number_field(&f.customer_id, "customer_id")?,
        call_back_due: (hours > 0)
            .then(|| heard_services::views::rfc3339(now + hours * 60 * 60 * 1000)),
        call_back_note: (hours > 0 && !note.is_empty()).then(|| note.to_string()),
    })
}

/// Logs a call from the lookup page: on the chosen open ticket or a new one.
pub async fn log_from_lookup(
    State(s): State<WebState>,
    viewer: Viewer,
    Form(f): Form<CallForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let back = format!("/agent/call?number={}", url_encode(&f.number));
    let input = call_of(&f, None, s.services.now()).map_err(|e| e.back_to(&back))?;
    let call = s
        .services
        .log_call(&viewer.actor, input)
        .await
        .back_to(&back)?;
    Ok(see_other(
        &format!("/agent/tickets/{}", call.ticket_id),
        "call_logged",
    ))
}

/// Logs a call from a ticket's page.
pub async fn log_on_ticket(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<CallForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let back = format!("/agent/tickets/{id}");
    let input = call_of(&f, Some(id), s.services.now()).map_err(|e| e.back_to(&back))?;
    s.services
        .log_call(&viewer.actor, input)
        .await
        .back_to(&back)?;
    Ok(see_other(&back, "call_logged"))
}

#[derive(Deserialize)]
pub struct NewCallerForm {
    csrf: String,
    number: String,
    name: String,
    email: String,
}

/// A new customer for an unknown number.
pub async fn create_caller(
    State(s): State<WebState>,
    viewer: Viewer,
    Form(f): Form<NewCallerForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let back = format!("/agent/call?number={}", url_encode(&f.number));
    s.services
        .create_caller(&viewer.actor, &f.number, &f.name, &f.email)
        .await
        .back_to(&back)?;
    Ok(see_other(&back, "caller_added"))
}

#[derive(Deserialize)]
pub struct LinkForm {
    csrf: String,
    number: String,
    customer_id: i64,
}

/// Adds an unknown number to an existing customer's profile.
pub async fn link_caller(
    State(s): State<WebState>,
    viewer: Viewer,
    Form(f): Form<LinkForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let back = format!("/agent/call?number={}", url_encode(&f.number));
    s.services
        .add_identity(
            &viewer.actor,
            f.customer_id,
            NewIdentity {
                kind: "phone".into(),
                value: f.number.clone(),
            },
        )
        .await
        .back_to(&back)?;
    Ok(see_other(&back, "number_linked"))
}
