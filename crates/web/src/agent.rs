//! The agent workspace: queues ordered by what is due and how upset the customer is, the
//! ticket view with the customer's whole story, the reply box with the tone coach,
//! internal notes, escalation with a hand-off note, colleagues on the ticket, hand-overs
//! and take-overs, the presence switch, and search.

use crate::WebState;
use crate::cards::Card;
use crate::format::when;
use crate::page::{BackTo, Chrome, PageError, PageResult, notice_text, render, see_other};
use crate::portal::{Attachment, attachments};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use heard_domain::Invalid;
use heard_language::{Audience, Checklist, KnownFact, ToneContext, ToneReview, review_tone};
use heard_services::ServiceError;
use heard_services::service_levels::NewPromise;
use heard_services::tickets::{Escalation, NewReply, TicketPatch};
use heard_services::views::{TicketDetail, TicketView};
use heard_store::ListTickets;
use serde::Deserialize;

const OPEN_STATUSES: &str = "new,open,pending_customer,pending_third_party";

pub struct Queue {
    pub title: String,
    pub id: String,
    pub cards: Vec<Card>,
}

impl Queue {
    pub fn upset(&self) -> usize {
        self.cards.iter().filter(|c| c.upset()).count()
    }
    pub fn at_risk(&self) -> usize {
        self.cards.iter().filter(|c| c.at_risk()).count()
    }
    pub fn breached(&self) -> usize {
        self.cards.iter().filter(|c| c.breached()).count()
    }
}

#[derive(Template)]
#[template(path = "agent_queues.html")]
struct QueuesPage {
    chrome: Chrome,
    queues: Vec<Queue>,
    shown: usize,
    presence: crate::presence::PresencePanel,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The open tickets this viewer may see, most pressing first (the store's queue key: due
/// soonest, weighted by frustration), at most 200 (the page says so when that cuts).
///
/// One query: the viewer's scope is part of its SQL, as in the ticket list use case, and
/// tags (which queue pages do not show) are not loaded ticket by ticket.
pub async fn open_cards(s: &WebState, viewer: &Viewer) -> PageResult<Vec<Card>> {
    let filter = ListTickets {
        statuses: OPEN_STATUSES.split(',').map(str::to_string).collect(),
        by_due: true,
        limit: 200,
        ..Default::default()
    };
    cards(s, viewer, &filter).await
}

/// Tickets in the viewer's scope matching `filter`, as cards (without tags).
pub async fn cards(s: &WebState, viewer: &Viewer, filter: &ListTickets) -> PageResult<Vec<Card>> {
    let now = s.services.now();
    let staff = viewer.actor.is_staff();
    let rows = s
        .services
        .store
        .tickets(&viewer.actor.ticket_scope(), filter)
        .await
        .map_err(ServiceError::from)?;
    Ok(rows
        .into_iter()
        .map(|r| Card::new(&TicketView::from_row(r, Vec::new(), staff), now))
        .collect())
}

pub async fn queues(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<Done>,
) -> PageResult {
    viewer.require_staff()?;
    let cards = open_cards(&s, &viewer).await?;
    let shown = cards.len();
    let me = viewer.actor.user_id;
    // Already in queue order.
    let mine: Vec<Card> = cards
        .iter()
        .filter(|c| c.owner_id == Some(me))
        .cloned()
        .collect();
    let mut queues = vec![Queue {
        title: "My queue".into(),
        id: "mine".into(),
        cards: mine,
    }];
    // Tickets a colleague asked me to join.
    let invited = s
        .services
        .store
        .collaborating_on(me, 200)
        .await
        .map_err(ServiceError::from)?;
    let helping: Vec<Card> = cards
        .iter()
        .filter(|c| invited.contains(&c.id) && c.owner_id != Some(me))
        .cloned()
        .collect();
    if !helping.is_empty() {
        queues.push(Queue {
            title: "Helping with".into(),
            id: "helping".into(),
            cards: helping,
        });
    }
    let presence = s.services.presence(&viewer.actor, me).await?;
    let teams = s.services.store.teams().await.map_err(ServiceError::from)?;
    for team in teams {
        if !viewer.actor.team_ids.contains(&team.id) && !viewer.actor.may_view_agents() {
            continue;
        }
        let cards: Vec<Card> = cards
            .iter()
            .filter(|c| c.team_id == Some(team.id) && c.owner_id != Some(me))
            .cloned()
            .collect();
        queues.push(Queue {
            title: team.name.clone(),
            id: format!("team-{}", team.id),
            cards,
        });
    }
    let mut chrome = viewer.chrome("Queues", "agent");
    chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&QueuesPage {
        chrome,
        queues,
        shown,
        presence: crate::presence::PresencePanel::new(&presence),
    }))
}

pub struct Entry {
    pub author: String,
    pub role: String,
    pub internal: bool,
    /// The customer's first account of the problem: shown in full, first (Hear).
    pub first: bool,
    pub at: String,
    pub body_text: String,
    /// Sanitised on the way in (ammonia), so it may be rendered as HTML.
    pub body_html: Option<String>,
}

pub struct Fact {
    pub key: String,
    pub value: String,
    pub by: String,
    pub at: String,
}

pub struct TeamOption {
    pub id: i64,
    pub name: String,
    pub current: bool,
}

/// A colleague on the ticket, or one who could be asked to join or take it.
pub struct Colleague {
    pub id: i64,
    pub name: String,
    pub me: bool,
    /// "on a break", "at lunch"…: said beside the name when they are not available.
    pub away: Option<String>,
}

/// The latest hand-off, as the receiver reads it first.
pub struct Handoff {
    pub what: &'static str,
    pub from: Option<String>,
    pub at: String,
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// The tone review of a draft, when the agent asked for one without JavaScript.
pub struct Coached {
    pub draft: String,
    pub internal: bool,
    pub score: u8,
    pub findings: Vec<FindingLine>,
    pub checklist: Checklist,
}

pub struct FindingLine {
    pub kind: String,
    pub excerpt: String,
    pub reason: String,
    pub suggestion: String,
}

impl Coached {
    fn new(draft: String, internal: bool, review: ToneReview) -> Coached {
        Coached {
            draft,
            internal,
            score: review.score,
            findings: review
                .findings
                .into_iter()
                .map(|f| FindingLine {
                    kind: serde_json::to_value(f.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(|k| k.replace('_', " ")))
                        .unwrap_or_default(),
                    excerpt: f.excerpt,
                    reason: f.reason,
                    suggestion: f.suggestion,
                })
                .collect(),
            checklist: review.checklist,
        }
    }
}

pub struct CheckItem {
    pub key: &'static str,
    pub label: &'static str,
    pub done: bool,
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "agent_ticket.html")]
struct TicketPage {
    chrome: Chrome,
    card: Card,
    entries: Vec<Entry>,
    attachments: Vec<Attachment>,
    customer_name: String,
    customer_email: String,
    customer_since: String,
    time_zone: String,
    identities: Vec<(String, String)>,
    facts: Vec<Fact>,
    others: Vec<Card>,
    teams: Vec<TeamOption>,
    coached: Option<Coached>,
    statuses: Vec<Choice>,
    diagnosis: Option<heard_services::diagnosis::DiagnosisView>,
    /// Problems a diagnosis may link to (open and known errors).
    problems: Vec<heard_services::diagnosis::ProblemView>,
    handoff: Option<Handoff>,
    routing: Option<(String, Vec<String>)>,
    collaborators: Vec<Colleague>,
    /// Who may be invited (not the owner, not already on it).
    invitable: Vec<Colleague>,
    /// Who the ticket may be handed to (anyone but its owner).
    receivers: Vec<Colleague>,
    abusive: bool,
    can_take_over: bool,
}

impl TicketPage {
    fn checklist(&self) -> Vec<CheckItem> {
        let c = self
            .coached
            .as_ref()
            .map(|c| c.checklist)
            .unwrap_or_default();
        let item = |key, label, done| CheckItem { key, label, done };
        vec![
            item(
                "acknowledges",
                "Hear: acknowledge what they told you",
                c.acknowledges,
            ),
            item(
                "empathizes",
                "Empathize with how it affects them",
                c.empathizes,
            ),
            item("apologizes", "Apologize for the experience", c.apologizes),
            item("next_step", "Resolve: say what happens next", c.next_step),
            item(
                "time_frame",
                "Say when they will hear from you",
                c.time_frame,
            ),
        ]
    }
}

fn known_facts(d: &TicketDetail) -> Vec<KnownFact> {
    d.customer
        .as_ref()
        .map(|c| {
            c.profile
                .facts
                .iter()
                .map(|f| KnownFact {
                    key: f.key.clone(),
                    value: f.value.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn ticket_page(
    s: &WebState,
    viewer: &Viewer,
    id: i64,
    coached: Option<Coached>,
    notice: Option<String>,
) -> PageResult {
    viewer.require_staff()?;
    let now = s.services.now();
    let d = s.services.ticket_detail(&viewer.actor, id).await?;
    if let Some(into) = d.merged_into {
        return Ok(see_other(&format!("/agent/tickets/{into}"), "merged"));
    }
    let card = Card::new(&d.ticket, now);
    let first_customer = d
        .messages
        .iter()
        .find(|m| m.author.role == "customer")
        .map(|m| m.id);
    let entries = d
        .messages
        .iter()
        .map(|m| Entry {
            author: m.author.name.clone(),
            role: m.author.role.clone(),
            internal: m.kind == "internal",
            first: Some(m.id) == first_customer,
            at: when(&m.created_at),
            body_text: m.body_text.clone(),
            body_html: m.body_html.clone(),
        })
        .collect();
    let (customer_name, customer_email, customer_since, time_zone, identities, facts, others) =
        match &d.customer {
            Some(c) => (
                c.profile.name.clone(),
                c.profile.email.clone(),
                when(&c.profile.created_at),
                c.profile
                    .time_zone
                    .clone()
                    .unwrap_or_else(|| "not known".into()),
                c.profile
                    .identities
                    .iter()
                    .filter(|i| !(i.kind == "email" && i.value == c.profile.email))
                    .map(|i| (sentence(&i.kind), i.value.clone()))
                    .collect(),
                c.profile
                    .facts
                    .iter()
                    .map(|f| Fact {
                        key: sentence(&f.key.replace('_', " ")),
                        value: f.value.clone(),
                        by: f.verified_by.name.clone(),
                        at: when(&f.verified_at),
                    })
                    .collect(),
                c.other_tickets.iter().map(|t| Card::new(t, now)).collect(),
            ),
            None => Default::default(),
        };
    let teams = s
        .services
        .store
        .teams()
        .await
        .map_err(ServiceError::from)?
        .into_iter()
        .map(|t| TeamOption {
            current: Some(t.id) == card.team_id,
            id: t.id,
            name: t.name,
        })
        .collect();
    let me = viewer.actor.user_id;
    let presences: std::collections::HashMap<i64, String> = s
        .services
        .store
        .presences()
        .await
        .map_err(ServiceError::from)?
        .into_iter()
        .collect();
    let away = |id: i64| {
        let p = presences.get(&id).map_or("offline", String::as_str);
        (p != "available").then(|| crate::presence::label(p).to_lowercase())
    };
    let collaborators: Vec<Colleague> = d
        .collaborators
        .iter()
        .flatten()
        .map(|c| Colleague {
            id: c.id,
            name: c.name.clone(),
            me: c.id == me,
            away: away(c.id),
        })
        .collect();
    let staff: Vec<Colleague> = s
        .services
        .store
        .users(&["agent", "supervisor", "admin"], None, 500)
        .await
        .map_err(ServiceError::from)?
        .into_iter()
        .filter(|u| u.active && Some(u.id) != card.owner_id)
        .map(|u| Colleague {
            me: u.id == me,
            away: away(u.id),
            id: u.id,
            name: u.name,
        })
        .collect();
    let invitable = staff
        .iter()
        .filter(|u| !collaborators.iter().any(|c| c.id == u.id))
        .map(|u| Colleague {
            id: u.id,
            name: u.name.clone(),
            me: u.me,
            away: u.away.clone(),
        })
        .collect();
    let abusive = d.ticket.frustration.as_ref().is_some_and(|f| f.abusive);
    let handoff = d.handoff.as_ref().map(|h| Handoff {
        what: match (h.kind.as_str(), h.automatic) {
            ("escalated", true) => "Escalated automatically",
            ("escalated", false) => "Escalated",
            ("handed_over", _) => "Handed over",
            _ => "Taken over by a supervisor",
        },
        from: h.from.as_ref().map(|f| f.name.clone()),
        at: when(&h.at),
        reason: h.reason.clone(),
        note: h.handoff_note.clone(),
    });
    let routing = d.routing.as_ref().map(|r| (when(&r.at), r.reasons.clone()));
    let mut chrome = viewer.chrome(format!("#{id} {}", card.subject), "agent");
    chrome.notice = notice;
    let can_take_over =
        viewer.actor.may_view_agents() && abusive && card.is_open && card.owner_id != Some(me);
    let problems = crate::diagnosis::linkable_problems(s, viewer).await?;
    Ok(render(&TicketPage {
        diagnosis: d.diagnosis.clone(),
        problems,
        handoff,
        routing,
        collaborators,
        invitable,
        receivers: staff,
        abusive,
        can_take_over,
        chrome,
        card,
        entries,
        attachments: attachments(&d),
        customer_name,
        customer_email,
        customer_since,
        time_zone,
        identities,
        facts,
        others,
        teams,
        coached,
        statuses: [
            ("open", "Open"),
            ("pending_customer", "Waiting on customer"),
            ("pending_third_party", "Waiting on third party"),
            ("resolved", "Resolved"),
            ("closed", "Closed"),
        ]
        .into_iter()
        .map(|(value, label)| Choice { value, label })
        .collect(),
    }))
}

pub async fn ticket(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    ticket_page(&s, &viewer, id, None, notice_text(q.done.as_deref())).await
}

#[derive(Deserialize)]
pub struct ReplyForm {
    csrf: String,
    body: String,
    #[serde(default)]
    internal: Option<String>,
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    action: Option<String>,
}

pub async fn reply(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<ReplyForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let internal = f.internal.is_some();
    let back = format!("/agent/tickets/{id}");
    if f.action.as_deref() == Some("check") {
        // Without JavaScript the coach runs on request and the page comes back with the
        // draft in place and the findings beside it.
        let d = s.services.ticket_detail(&viewer.actor, id).await?;
        let ctx = ToneContext {
            audience: f
                .audience
                .as_deref()
                .and_then(|a| a.parse().ok())
                .unwrap_or(Audience::NonTechnical),
            known_facts: known_facts(&d),
        };
        let review = review_tone(&f.body, &ctx);
        return ticket_page(
            &s,
            &viewer,
            id,
            Some(Coached::new(f.body, internal, review)),
            None,
        )
        .await;
    }
    s.services
        .add_message(
            &viewer.actor,
            id,
            NewReply {
                body: f.body,
                body_html: None,
                internal,
                channel: None,
            },
        )
        .await
        .back_to(&back)?;
    Ok(see_other(&back, if internal { "noted" } else { "sent" }))
}

#[derive(Deserialize)]
pub struct UpdateForm {
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    assign: String,
}

pub async fn update(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<UpdateForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let back = format!("/agent/tickets/{id}");
    let current = s.services.visible_ticket(&viewer.actor, id).await?;
    let mut patch = TicketPatch::default();
    if !f.status.is_empty() && f.status != current.status {
        patch.status = Some(f.status.clone());
    }
    match f.assign.as_str() {
        "me" => patch.assignee_id = Some(Some(viewer.actor.user_id)),
        "nobody" => patch.assignee_id = Some(None),
        _ => {}
    }
    s.services
        .update_ticket(&viewer.actor, id, patch)
        .await
        .back_to(&back)?;
    Ok(see_other(&back, "updated"))
}

#[derive(Deserialize)]
pub struct EscalateForm {
    csrf: String,
    #[serde(default)]
    to_team_id: String,
    #[serde(default)]
    to_tier: String,
    reason: String,
    handoff_note: String,
}

fn optional_number(raw: &str, field: &'static str) -> PageResult<Option<i64>> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    raw.trim().parse().map(Some).map_err(|_| {
        PageError::from(ServiceError::Invalid(Invalid::new(
            field,
            "invalid_number",
            "choose one of the listed options",
        )))
    })
}

pub async fn escalate(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<EscalateForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let back = format!("/agent/tickets/{id}");
    let current = s.services.visible_ticket(&viewer.actor, id).await?;
    // The form preselects the ticket's own team: choosing it means "stay, go up a tier".
    let to_team = optional_number(&f.to_team_id, "to_team_id")
        .map_err(|e| e.back_to(&back))?
        .filter(|t| Some(*t) != current.team_id);
    let input = Escalation {
        to_team_id: to_team,
        to_tier: optional_number(&f.to_tier, "to_tier").map_err(|e| e.back_to(&back))?,
        to_assignee_id: None,
        reason: f.reason,
        handoff_note: f.handoff_note,
    };
    s.services
        .escalate(&viewer.actor, id, input)
        .await
        .back_to(&back)?;
    // The ticket may now belong to a team this agent cannot see.
    match s.services.visible_ticket(&viewer.actor, id).await {
        Ok(_) => Ok(see_other(&back, "escalated")),
        Err(_) => Ok(see_other("/agent", "escalated")),
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub struct CustomerHit {
    pub name: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "agent_search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    tickets: Vec<Card>,
    customers: Vec<CustomerHit>,
}

/// Tickets (subject, number, customer) and customers (name, e-mail) containing the words;
/// articles are searched live by the page's script through `/api/v1/kb/search`.
pub async fn search(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    viewer.require_staff()?;
    let needle = q.q.trim().to_lowercase();
    let mut tickets = Vec::new();
    let mut customers = Vec::new();
    if !needle.is_empty() {
        let recent = cards(
            &s,
            &viewer,
            &ListTickets {
                limit: 200,
                ..Default::default()
            },
        )
        .await?;
        let number = needle.trim_start_matches('#');
        tickets = recent
            .into_iter()
            .filter(|c| {
                c.id.to_string() == number
                    || c.subject.to_lowercase().contains(&needle)
                    || c.requester.to_lowercase().contains(&needle)
            })
            .collect();
        // One query for names and addresses (staff may look up any customer).
        let people = s
            .services
            .store
            .users(&["customer"], None, 500)
            .await
            .map_err(ServiceError::from)?;
        customers = people
            .into_iter()
            .filter(|c| {
                c.name.to_lowercase().contains(&needle) || c.email.to_lowercase().contains(&needle)
            })
            .map(|c| CustomerHit {
                name: c.name,
                email: c.email,
            })
            .collect();
    }
    Ok(render(&SearchPage {
        chrome: viewer.chrome("Search", "search"),
        q: q.q,
        tickets,
        customers,
    }))
}

#[derive(Deserialize)]
pub struct PromiseForm {
    csrf: String,
    hours: String,
    #[serde(default)]
    note: String,
}

/// Promises the customer an update within the chosen time; they see it on their request.
pub async fn promise(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<PromiseForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    let back = format!("/agent/tickets/{id}");
    let hours = optional_number(&f.hours, "hours")
        .map_err(|e| e.back_to(&back))?
        .unwrap_or(4)
        .clamp(1, 24 * 14);
    let due = s.services.now() + hours * 60 * 60 * 1000;
    let note = f.note.trim();
    s.services
        .make_promise(
            &viewer.actor,
            id,
            NewPromise {
                due_at: heard_services::views::rfc3339(due),
                note: (!note.is_empty()).then(|| note.to_string()),
            },
        )
        .await
        .back_to(&back)?;
    Ok(see_other(&back, "promised"))
}

/// "vpn client" → "Vpn client": labels start with a capital, the rest as written.
fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
