//! The customer portal: my requests, a new request (with article suggestions while
//! typing), and one request with its promise, timeline and conversation.

use crate::WebState;
use crate::cards::Card;
use crate::format::{relative, when};
use crate::page::{BackTo, Chrome, PageError, PageResult, notice_text, render, see_other};
use crate::session::{MaybeViewer, Viewer, home_of, sign_in_form};
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use heard_domain::Invalid;
use heard_services::ErrorCode;
use heard_services::ServiceError;
use heard_services::tickets::{CreateTicket, NewReply, TicketQuery};
use heard_services::timeline::HistoryEntry;
use heard_services::views::TicketDetail;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_home.html")]
struct HomePage {
    chrome: Chrome,
    open: Vec<Card>,
    closed: Vec<Card>,
}

pub async fn home(
    State(s): State<WebState>,
    MaybeViewer(viewer): MaybeViewer,
    headers: HeaderMap,
    Query(q): Query<Done>,
    Query(format): Query<crate::export::Format>,
) -> PageResult {
    let Some(v) = viewer else {
        return sign_in_form(&s, &headers).await;
    };
    if v.actor.is_staff() {
        return Ok(Redirect::to(home_of(v.actor.role)).into_response());
    }
    if format.csv()? {
        let csv = s
            .services
            .export_tickets(&v.actor, TicketQuery::default())
            .await?;
        return Ok(crate::export::download(&s, csv, "requests"));
    }
    let now = s.services.now();
    let page = s
        .services
        .list_tickets(
            &v.actor,
            TicketQuery {
                limit: Some(100),
                ..Default::default()
            },
        )
        .await?;
    let (open, closed): (Vec<Card>, Vec<Card>) = page
        .items
        .iter()
        .map(|t| Card::new(t, now))
        .partition(|c| c.is_open);
    let mut chrome = v.chrome("My requests", "portal");
    chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&HomePage {
        chrome,
        open,
        closed,
    }))
}

#[derive(Template)]
#[template(path = "portal_new.html")]
struct NewRequestPage {
    chrome: Chrome,
    subject: String,
    body: String,
    key: String,
    error: Option<String>,
}

fn form_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

pub async fn new_request(viewer: Viewer) -> PageResult {
    Ok(render(&NewRequestPage {
        chrome: viewer.chrome("New request", "portal"),
        subject: String::new(),
        body: String::new(),
        key: form_key(),
        error: None,
    }))
}

#[derive(Deserialize)]
pub struct NewRequestForm {
    csrf: String,
    #[serde(default)]
    key: String,
    subject: String,
    body: String,
}

pub async fn create_request(
    State(s): State<WebState>,
    viewer: Viewer,
    Form(f): Form<NewRequestForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    let input = CreateTicket {
        subject: f.subject.clone(),
        body: f.body.clone(),
        body_html: None,
        priority: None,
        channel: None,
        requester_email: None,
        requester_name: None,
        requester_id: None,
        team_id: None,
        assignee_id: None,
        tags: vec![],
    };
    // Each rendering of the form has its own key: a double click opens one request.
    let key = (f.key.len() == 32).then(|| format!("web-{}", f.key));
    match s
        .services
        .create_ticket(&viewer.actor, input, key.as_deref())
        .await
    {
        Ok((t, _)) => {
            // Wrote it anyway: the visit's suggestions did not help ("read it and still
            // needed help" for any article opened on the way).
            if !f.key.is_empty()
                && let Err(e) = s
                    .services
                    .record_deflection(
                        Some(&viewer.actor),
                        heard_services::kb::DeflectionEvent {
                            session: f.key.clone(),
                            event: "submitted".into(),
                            article_id: None,
                            ticket_id: Some(t.ticket.id),
                        },
                    )
                    .await
            {
                tracing::warn!(error = %e, "recording a submitted self-service visit failed");
            }
            Ok(see_other(&format!("/requests/{}", t.ticket.id), "created"))
        }
        Err(ServiceError::Invalid(i)) => Ok(crate::page::render_status(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &NewRequestPage {
                chrome: viewer.chrome("New request", "portal"),
                subject: f.subject,
                body: f.body,
                key: f.key,
                error: Some(i.message),
            },
        )),
        Err(e) => Err(e.into()),
    }
}

/// One step of the plain-language timeline.
pub struct Step {
    pub what: String,
    pub at: String,
    pub ago: String,
}

/// The ticket's history in the customer's words, from the event log's kinds only: no
/// internal reason, note or hand-off text ever reaches the customer this way.
fn timeline(history: &[HistoryEntry], detail: &TicketDetail, now: i64) -> Vec<Step> {
    let mut steps = Vec::new();
    let owner = |e: &HistoryEntry| {
        detail
            .ticket
            .assignee
            .as_ref()
            .filter(|a| e.owner_id == Some(a.id))
    };
    for e in history {
        let what = match e.kind.as_str() {
            "created" => "We received your request".to_string(),
            "assigned" if e.owner_id.is_some() => match owner(e) {
                Some(a) => format!("{} took ownership of your request", a.name),
                None => "A member of our team took ownership of your request".into(),
            },
            "escalated" => "Passed to a specialist, with everything you told us".into(),
            "handed_over" | "taken_over" => match owner(e) {
                Some(a) => format!(
                    "{} took over your request, with everything you told us",
                    a.name
                ),
                None => "A colleague took over your request, with everything you told us".into(),
            },
            "team_changed" => "Moved to the team best placed to help".into(),
            "replied" if e.by_staff => "We replied".into(),
            "replied" => "You wrote to us".into(),
            "attached" => "A file was attached".into(),
            // The promise's note is written for the customer ("I'll call the vendor first").
            "promised" => {
                let due = when(e.promised_by.as_deref().unwrap_or(""));
                match e.promise_note.as_deref().unwrap_or("") {
                    "" => format!("We promised an update by {due}"),
                    note => format!("We promised an update by {due}: {note}"),
                }
            }
            "status_changed" => match (
                e.status_from.as_deref().unwrap_or(""),
                e.status_to.as_deref().unwrap_or(""),
            ) {
                ("new", "open") => "Being diagnosed".into(),
                ("resolved" | "closed", "open") => "Reopened".into(),
                (_, "open") => "Back with our team".into(),
                (_, "pending_customer") => "Waiting for you".into(),
                (_, "pending_third_party") => "Waiting on a supplier".into(),
                (_, "resolved") => "Solved".into(),
                (_, "closed") => "Closed".into(),
                _ => continue,
            },
            _ => continue,
        };
        steps.push(Step {
            what,
            ago: relative(&e.at, now),
            at: when(&e.at),
        });
    }
    steps
}

pub struct Message {
    pub author: String,
    pub mine: bool,
    pub staff: bool,
    pub at: String,
    pub body_text: String,
    /// Sanitised on the way in (ammonia), so it may be rendered as HTML.
    pub body_html: Option<String>,
}

pub struct Attachment {
    pub name: String,
    pub url: String,
    pub size: String,
}

pub fn size(bytes: i64) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if bytes < 1024 * 1024 {
        format!("{:.0} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

pub fn attachments(d: &TicketDetail) -> Vec<Attachment> {
    d.attachments
        .iter()
        .map(|a| Attachment {
            name: a.file_name.clone(),
            url: a.url.clone(),
            size: size(a.size),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portal_request.html")]
struct RequestPage {
    chrome: Chrome,
    card: Card,
    steps: Vec<Step>,
    messages: Vec<Message>,
    attachments: Vec<Attachment>,
    can_rate: bool,
    survey: Option<heard_services::survey::SurveyView>,
    rating_choices: [(i64, &'static str); 5],
    /// After a transfer: who has it now, and that nothing needs repeating.
    handoff: Option<String>,
}

pub async fn request(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    if viewer.actor.is_staff() {
        return Ok(Redirect::to(&format!("/agent/tickets/{id}")).into_response());
    }
    let now = s.services.now();
    let d = s.services.ticket_detail(&viewer.actor, id).await?;
    if let Some(into) = d.merged_into {
        return Ok(see_other(&format!("/requests/{into}"), "joined"));
    }
    let history = s.services.request_history(&viewer.actor, id).await?;
    let steps = timeline(&history, &d, now);
    let messages = d
        .messages
        .iter()
        .map(|m| Message {
            author: if m.author.id == viewer.actor.user_id {
                "You".into()
            } else {
                m.author.name.clone()
            },
            mine: m.author.id == viewer.actor.user_id,
            staff: m.author.role != "customer",
            at: when(&m.created_at),
            body_text: m.body_text.clone(),
            body_html: m.body_html.clone(),
        })
        .collect();
    let mut chrome = viewer.chrome(format!("Request #{id}"), "portal");
    chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&RequestPage {
        chrome,
        card: Card::new(&d.ticket, now),
        steps,
        messages,
        attachments: attachments(&d),
        can_rate: crate::survey::can_rate(&d, &viewer),
        survey: d.survey.clone(),
        rating_choices: crate::survey::RATING_CHOICES,
        handoff: d.handoff.as_ref().map(|h| h.message.clone()),
    }))
}

/// A multipart form: the text fields and at most one file.
#[derive(Default)]
pub struct Posted {
    pub fields: Vec<(String, String)>,
    pub file: Option<(String, String, Vec<u8>)>,
}

impl Posted {
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

pub async fn read_multipart(mut mp: Multipart) -> PageResult<Posted> {
    let bad = |m: String| {
        PageError::from(ServiceError::Invalid(Invalid::new(
            "file",
            ErrorCode::InvalidForm,
            m,
        )))
    };
    let mut out = Posted::default();
    while let Some(field) = mp.next_field().await.map_err(|e| bad(e.body_text()))? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let kind = field.content_type().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
            if !file_name.is_empty() && !bytes.is_empty() {
                out.file = Some((file_name, kind, bytes.to_vec()));
            }
        } else {
            let text = field.text().await.map_err(|e| bad(e.body_text()))?;
            out.fields.push((name, text));
        }
    }
    Ok(out)
}

/// A reply, a file, or both, from the customer; "solved" marks the request solved.
pub async fn reply(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    mp: Multipart,
) -> PageResult {
    let posted = read_multipart(mp).await?;
    viewer.check_csrf(posted.field("csrf"))?;
    let back = format!("/requests/{id}");
    if posted.field("action") == "solved" {
        s.services
            .update_ticket(
                &viewer.actor,
                id,
                heard_services::tickets::TicketPatch {
                    status: Some("resolved".into()),
                    ..Default::default()
                },
            )
            .await
            .back_to(&back)?;
        return Ok(see_other(&back, "updated"));
    }
    let body = posted.field("body").trim().to_string();
    if body.is_empty() && posted.file.is_none() {
        return Err(PageError::from(ServiceError::Invalid(Invalid::new(
            "body",
            ErrorCode::EmptyReply,
            "Write a message or choose a file to attach.",
        )))
        .back_to(&back));
    }
    let mut notice = "attached";
    if !body.is_empty() {
        s.services
            .add_message(
                &viewer.actor,
                id,
                NewReply {
                    body,
                    body_html: None,
                    internal: false,
                    channel: None,
                },
            )
            .await
            .back_to(&back)?;
        notice = "sent";
    }
    if let Some((name, kind, bytes)) = posted.file {
        s.services
            .add_attachment(&viewer.actor, id, &name, &kind, bytes)
            .await
            .back_to(&back)?;
    }
    Ok(see_other(&back, notice))
}
