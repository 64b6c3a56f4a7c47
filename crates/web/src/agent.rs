//! The agent workspace: queues ordered by what is due and how upset the customer is, the
//! ticket view with the customer's whole story, the reply box with the tone coach,
//! internal notes, escalation with a hand-off note, colleagues on the ticket, hand-overs
//! and take-overs, the presence switch, and search.

use crate::WebState;
use crate::cards::Card;
use crate::format::when;
use crate::forms::{FormState, field, refusal};
use crate::page::{BackTo, Chrome, PageError, PageResult, notice_text, render, see_other};
use crate::portal::{Attachment, attachments};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use heard_domain::{Invalid, Status};
use heard_language::{Audience, Checklist, KnownFact, ToneContext, ToneReview, review_tone};
use heard_services::ErrorCode;
use heard_services::ServiceError;
use heard_services::calls::CallView;
use heard_services::service_levels::NewPromise;
use heard_services::tickets::{Escalation, NewReply, TicketPatch};
use heard_services::viewers::Heartbeat;
use heard_services::views::{TicketDetail, TicketView};
use serde::Deserialize;

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
pub(crate) struct QueuesPage {
    pub chrome: Chrome,
    queues: Vec<Queue>,
    shown: usize,
    presence: crate::presence::PresencePanel,
    pub bulk: crate::bulk::BulkBar,
    /// The saved views this agent may open (the workspace's navigation).
    views: Vec<heard_services::saved_views::SavedView>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The open tickets this viewer may see, most pressing first, as cards (at most
/// `QUEUE_LIMIT`; the page says so when that cuts).
pub async fn open_cards(s: &WebState, viewer: &Viewer) -> PageResult<Vec<Card>> {
    let now = s.services.now();
    Ok(s.services
        .queue(&viewer.actor)
        .await?
        .iter()
        .map(|t| Card::new(t, now))
        .collect())
}

pub async fn queues(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<Done>,
    Query(format): Query<crate::export::Format>,
) -> PageResult {
    viewer.require_staff()?;
    if format.csv()? {
        // The open tickets this agent may see, in queue order, all of them (the page
        // shows the first QUEUE_LIMIT).
        let query = heard_services::tickets::TicketQuery {
            status: Some("new,open,pending_customer,pending_third_party".into()),
            order: Some("due".into()),
            ..Default::default()
        };
        let csv = s.services.export_tickets(&viewer.actor, query).await?;
        return Ok(crate::export::download(&s, csv, "queue"));
    }
    let mut page = queues_page(&s, &viewer).await?;
    page.chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&page))
}

/// The queues page: my queue, what I help with, each team's.
pub(crate) async fn queues_page(s: &WebState, viewer: &Viewer) -> PageResult<QueuesPage> {
    viewer.require_staff()?;
    let cards = open_cards(s, viewer).await?;
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
    let invited = s.services.invited_to(&viewer.actor).await?;
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
    let teams = s.services.team_names(&viewer.actor).await?;
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
    Ok(QueuesPage {
        chrome: viewer.chrome("Queues", "agent"),
        queues,
        shown,
        presence: crate::presence::PresencePanel::new(&presence),
        bulk: crate::bulk::BulkBar::new(s, viewer, "/agent/bulk".into()).await?,
        views: s.services.saved_views(&viewer.actor).await?,
    })
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
    /// The call this entry records, when it is a logged phone call.
    pub call: Option<crate::phone::CallLine>,
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
    identities: Vec<crate::phone::IdentityLine>,
    facts: Vec<Fact>,
    /// The number the call form starts with (the customer's first phone identity).
    phone: String,
    call_id: &'static str,
    durations: Vec<(i64, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    call_backs: Vec<(i64, &'static str)>,
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
    /// Other staff with this ticket open now (the script keeps it current).
    viewers: Vec<ViewerLine>,
    /// A refused form on this page: its message beside the field, what was typed kept.
    f: FormState,
    /// "waiting for tier 2 — nobody on it": an automatic escalation found nobody.
    waiting: Option<String>,
    /// The ticket's people whose mail bounced, and whether heard stopped mailing them.
    bounced: Vec<BounceLine>,
    /// The macros the agent may pick, and the one filled into the reply box.
    macros: Vec<heard_services::macros::MacroView>,
    chosen: Option<heard_services::macros::RenderedMacro>,
    /// What the reply box holds: the draft being checked, or the macro filled in.
    draft: String,
}

pub struct BounceLine {
    pub address: String,
    pub at: String,
    pub status: String,
    pub diagnostic: Option<String>,
    pub stopped: bool,
}

pub struct ViewerLine {
    pub name: String,
    pub role: String,
    pub replying: bool,
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

/// The conversation as staff read it, the customer's first account marked and each
/// logged call shown with its details.
pub(crate) fn entries_of(d: &TicketDetail, calls: &[CallView]) -> Vec<Entry> {
    let first_customer = d
        .messages
        .iter()
        .find(|m| m.author.role == "customer")
        .map(|m| m.id);
    d.messages
        .iter()
        .map(|m| Entry {
            call: calls
                .iter()
                .find(|c| c.message_id == m.id)
                .map(crate::phone::CallLine::from),
            author: m.author.name.clone(),
            role: m.author.role.clone(),
            internal: m.kind == "internal",
            first: Some(m.id) == first_customer,
            at: when(&m.created_at),
            body_text: m.body_text.clone(),
            body_html: m.body_html.clone(),
        })
        .collect()
}

/// The latest hand-off as staff read it.
pub(crate) fn handoff_of(d: &TicketDetail) -> Option<Handoff> {
    d.handoff.as_ref().map(|h| Handoff {
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
    })
}

async fn ticket_page(
    s: &WebState,
    viewer: &Viewer,
    id: i64,
    coached: Option<Coached>,
    notice: Option<String>,
    pick: Option<i64>,
) -> PageResult {
    ticket_page_with(s, viewer, id, coached, notice, FormState::default(), pick).await
}

/// The ticket page again with a refused form beside its fields (422).
async fn refused_on_ticket(s: &WebState, viewer: &Viewer, id: i64, f: FormState) -> PageResult {
    let mut page = ticket_page_with(s, viewer, id, None, None, f, None).await?;
    *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}

/// The states the status menu offers: only the moves the state machine allows from here.
fn status_choices(current: &str) -> Vec<Choice> {
    current
        .parse::<Status>()
        .map(Status::allowed_next)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|to| {
            let label = match to {
                Status::Open => "Open",
                Status::PendingCustomer => "Waiting on customer",
                Status::PendingThirdParty => "Waiting on third party",
                Status::Resolved => "Resolved",
                Status::Closed => "Closed",
                Status::New => return None,
            };
            Some(Choice {
                value: to.as_str(),
                label,
            })
        })
        .collect()
}

pub(crate) async fn ticket_page_with(
    s: &WebState,
    viewer: &Viewer,
    id: i64,
    coached: Option<Coached>,
    notice: Option<String>,
    f: FormState,
    pick: Option<i64>,
) -> PageResult {
    viewer.require_staff()?;
    let now = s.services.now();
    let d = s.services.ticket_detail(&viewer.actor, id).await?;
    if let Some(into) = d.merged_into {
        return Ok(see_other(&format!("/agent/tickets/{into}"), "merged"));
    }
    let card = Card::new(&d.ticket, now);
    let calls = s
        .services
        .list_calls(
            &viewer.actor,
            heard_services::calls::CallQuery {
                ticket_id: Some(id),
                limit: Some(200),
                ..Default::default()
            },
        )
        .await?
        .items;
    let entries = entries_of(&d, &calls);
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
                crate::phone::identity_lines(&c.profile),
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
    let phone = d
        .customer
        .iter()
        .flat_map(|c| c.profile.identities.iter())
        .find(|i| i.kind == "phone")
        .map(|i| i.value.clone())
        .unwrap_or_default();
    let teams = s
        .services
        .team_names(&viewer.actor)
        .await?
        .into_iter()
        .map(|t| TeamOption {
            current: Some(t.id) == card.team_id,
            id: t.id,
            name: t.name,
        })
        .collect();
    let me = viewer.actor.user_id;
    let colleagues = s.services.colleagues(&viewer.actor).await?;
    let away = |id: i64| {
        let p = colleagues
            .iter()
            .find(|c| c.id == id)
            .map_or("offline", |c| c.presence.as_str());
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
    let staff: Vec<Colleague> = colleagues
        .iter()
        .filter(|u| u.active && Some(u.id) != card.owner_id)
        .map(|u| Colleague {
            me: u.id == me,
            away: away(u.id),
            id: u.id,
            name: u.name.clone(),
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
    let handoff = handoff_of(&d);
    let waiting = d.waiting_escalation.as_ref().map(|w| w.message.clone());
    let routing = d.routing.as_ref().map(|r| (when(&r.at), r.reasons.clone()));
    // Opening the page counts as a heartbeat, so others see this viewer even before (or
    // without) the script.
    let viewers = s
        .services
        .ticket_heartbeat(&viewer.actor, id, Heartbeat::default())
        .await?
        .into_iter()
        .filter(|v| !v.you)
        .map(|v| ViewerLine {
            replying: v.activity == "replying",
            name: v.name,
            role: v.role,
        })
        .collect();
    let mut chrome = viewer.chrome(format!("#{id} {}", card.subject), "agent");
    chrome.notice = notice;
    let can_take_over =
        viewer.actor.may_view_agents() && abusive && card.is_open && card.owner_id != Some(me);
    let problems = crate::diagnosis::linkable_problems(s, viewer).await?;
    let bounced = s
        .services
        .ticket_mail_delivery(&viewer.actor, id)
        .await?
        .into_iter()
        .map(|b| BounceLine {
            at: when(&b.bounced_at),
            address: b.address,
            status: b.status,
            diagnostic: b.diagnostic,
            stopped: b.stopped,
        })
        .collect();
    let macros = s.services.macros(&viewer.actor).await?;
    let chosen = match pick {
        Some(m) => Some(s.services.render_macro(&viewer.actor, m, id).await?),
        None => None,
    };
    let draft = match (&coached, &chosen) {
        (Some(c), _) => c.draft.clone(),
        (None, Some(m)) => m.body.clone(),
        (None, None) => String::new(),
    };
    Ok(render(&TicketPage {
        bounced,
        macros,
        chosen,
        draft,
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
        phone,
        call_id: "ticket-call",
        durations: crate::phone::durations(),
        outcomes: crate::phone::outcomes(),
        call_backs: crate::phone::call_backs(),
        others,
        teams,
        coached,
        viewers,
        waiting,
        statuses: status_choices(&d.ticket.status),
        f,
    }))
}

/// `?macro=ID` on the ticket page: the macro filled into the reply box (without JavaScript).
#[derive(Deserialize)]
pub struct MacroPick {
    #[serde(rename = "macro", default)]
    pick: Option<String>,
}

impl MacroPick {
    fn id(&self) -> Option<i64> {
        self.pick.as_deref().and_then(|m| m.trim().parse().ok())
    }
}

pub async fn ticket(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
    Query(m): Query<MacroPick>,
) -> PageResult {
    match ticket_page(
        &s,
        &viewer,
        id,
        None,
        notice_text(q.done.as_deref()),
        m.id(),
    )
    .await
    {
        // A ticket this agent handed on: readable from their history, never workable.
        Err(PageError::Service {
            error: ServiceError::NotFound { .. },
            ..
        }) => crate::history::handled_page(&s, &viewer, id).await,
        other => other,
    }
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
    /// The macro the reply was filled from: its status change and tags follow the reply.
    #[serde(default)]
    macro_id: Option<String>,
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
        let pick = f.macro_id.as_deref().and_then(|m| m.parse().ok());
        return ticket_page(
            &s,
            &viewer,
            id,
            Some(Coached::new(f.body, internal, review)),
            None,
            pick,
        )
        .await;
    }
    if let Some(m) = f.macro_id.as_deref().and_then(|m| m.parse::<i64>().ok()) {
        return crate::macros::send_with_macro(&s, &viewer, id, m, f.body, internal).await;
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

/// A form's fields in order, as sent.
type Fields = Form<Vec<(String, String)>>;

pub async fn update(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_staff()?;
    let back = format!("/agent/tickets/{id}");
    let current = s.services.visible_ticket(&viewer.actor, id).await?;
    let mut patch = TicketPatch::default();
    let status = field(&v, "status");
    if !status.is_empty() && status != current.status {
        patch.status = Some(status.to_string());
    }
    match field(&v, "assign") {
        "me" => patch.assignee_id = Some(Some(viewer.actor.user_id)),
        "nobody" => patch.assignee_id = Some(None),
        _ => {}
    }
    match s.services.update_ticket(&viewer.actor, id, patch).await {
        Ok(_) => Ok(see_other(&back, "updated")),
        // The root cause is asked for by the Diagnose form on this page: the refusal is
        // shown there, and that form takes the focus.
        Err(e) if e.code() == ErrorCode::RootCauseRequired => {
            let mut f = FormState::new("diagnose", &[]);
            f.refuse(
                "root_cause",
                "This customer was upset, so the ticket closes only once the root cause is recorded. Write it here, then close the ticket.",
            );
            refused_on_ticket(&s, &viewer, id, f).await
        }
        Err(e) => {
            let f = refusal(
                "update",
                &v,
                e,
                &[("status", "status"), ("assignee_id", "assign")],
            )?;
            refused_on_ticket(&s, &viewer, id, f).await
        }
    }
}

const ESCALATE_FIELDS: &[(&str, &str)] = &[
    ("to_team_id", "to_team_id"),
    ("to_tier", "to_tier"),
    ("reason", "reason"),
    ("handoff_note", "handoff_note"),
];

fn optional_number(raw: &str, field: &'static str) -> Result<Option<i64>, ServiceError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    raw.trim().parse().map(Some).map_err(|_| {
        ServiceError::Invalid(Invalid::new(
            field,
            ErrorCode::InvalidNumber,
            "choose one of the listed options",
        ))
    })
}

pub async fn escalate(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_staff()?;
    let back = format!("/agent/tickets/{id}");
    let current = s.services.visible_ticket(&viewer.actor, id).await?;
    let escalated = async {
        // The form preselects the ticket's own team: choosing it means "stay, go up a tier".
        let to_team = optional_number(field(&v, "to_team_id"), "to_team_id")?
            .filter(|t| Some(*t) != current.team_id);
        let input = Escalation {
            to_team_id: to_team,
            to_tier: optional_number(field(&v, "to_tier"), "to_tier")?,
            to_assignee_id: None,
            reason: field(&v, "reason").to_string(),
            handoff_note: field(&v, "handoff_note").to_string(),
        };
        s.services.escalate(&viewer.actor, id, input).await
    }
    .await;
    if let Err(e) = escalated {
        let f = refusal("escalate", &v, e, ESCALATE_FIELDS)?;
        return refused_on_ticket(&s, &viewer, id, f).await;
    }
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

pub struct CustomerLine {
    pub name: String,
    pub email: String,
    pub organization: Option<String>,
    /// Their newest tickets this viewer may see.
    pub tickets: Vec<Card>,
}

pub struct ArticleLine {
    pub slug: String,
    pub title: String,
    /// Plain text of the matched passage.
    pub snippet: String,
    /// `internal` and `draft` articles are for staff only: the page says so.
    pub visibility: String,
}

pub struct TicketHit {
    pub card: Card,
    /// The matched passage as plain text, and whether it is from an internal note.
    pub snippet: String,
    pub internal: bool,
}

#[derive(Template)]
#[template(path = "agent_search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    /// This search's CSV export.
    export_href: String,
    tickets: Vec<TicketHit>,
    ticket_total: usize,
    customers: Vec<CustomerLine>,
    articles: Vec<ArticleLine>,
    article_total: usize,
}

/// How many customers the search lists, each with their newest tickets.
const CUSTOMERS_SHOWN: i64 = 10;

/// The text of an escaped snippet with `<mark>`s: tags dropped, entities decoded.
fn snippet_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// Tickets (subject, messages and notes, or `#number`), customers (name, e-mail, phone,
/// organization) and articles (internal ones too: this is the staff search). Each part
/// keeps the viewer's access rules: tickets come from the index with the viewer's scope
/// as a clause of the query, customers' tickets from the scoped ticket list.
pub async fn search(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<SearchQuery>,
    Query(format): Query<crate::export::Format>,
) -> PageResult {
    viewer.require_staff()?;
    let text = q.q.trim().to_string();
    if format.csv()? {
        let csv = s
            .services
            .export_ticket_search(&viewer.actor, &text)
            .await?;
        return Ok(crate::export::download(&s, csv, "search"));
    }
    let mut page = SearchPage {
        chrome: viewer.chrome("Search", "search"),
        export_href: format!(
            "/agent/search?q={}&format=csv",
            crate::format::url_encode(&text)
        ),
        q: q.q.clone(),
        tickets: Vec::new(),
        ticket_total: 0,
        customers: Vec::new(),
        articles: Vec::new(),
        article_total: 0,
    };
    if text.is_empty() {
        return Ok(render(&page));
    }
    let query = || heard_services::kb::SearchQuery {
        q: Some(text.clone()),
        limit: Some(20),
        ..Default::default()
    };
    let now = s.services.now();
    let staff = viewer.actor.is_staff();
    // "#123" or "123" is a ticket number.
    if let Ok(number) = text.trim_start_matches('#').parse::<i64>()
        && let Ok(t) = s.services.visible_ticket(&viewer.actor, number).await
    {
        page.tickets.push(TicketHit {
            card: Card::new(&TicketView::from_row(t, Vec::new(), staff), now),
            snippet: String::new(),
            internal: false,
        });
    }
    let found = s.services.search_tickets(&viewer.actor, query()).await?;
    page.ticket_total = found.total;
    for h in found.hits {
        if page.tickets.iter().any(|t| t.card.id == h.id) {
            continue;
        }
        // The index may lag a write by a moment; the database has the ticket's state.
        if let Ok(t) = s.services.visible_ticket(&viewer.actor, h.id).await {
            page.tickets.push(TicketHit {
                card: Card::new(&TicketView::from_row(t, Vec::new(), staff), now),
                snippet: snippet_text(&h.snippet_html),
                internal: h.snippet_is_internal,
            });
        }
    }
    page.ticket_total = page.ticket_total.max(page.tickets.len());
    for c in s
        .services
        .search_customers(&viewer.actor, &text, CUSTOMERS_SHOWN)
        .await?
    {
        let theirs = s
            .services
            .latest_requests_of(&viewer.actor, c.id, 3)
            .await?
            .iter()
            .map(|t| Card::new(t, now))
            .collect();
        page.customers.push(CustomerLine {
            name: c.name,
            email: c.email,
            organization: c.organization,
            tickets: theirs,
        });
    }
    let articles = s
        .services
        .search_articles(Some(&viewer.actor), query())
        .await?;
    page.article_total = articles.total;
    let ids: Vec<i64> = articles.hits.iter().map(|h| h.id).collect();
    let visibility = s
        .services
        .article_visibility(Some(&viewer.actor), &ids)
        .await?;
    page.articles = articles
        .hits
        .into_iter()
        .map(|h| ArticleLine {
            visibility: visibility.get(&h.id).cloned().unwrap_or_default(),
            snippet: snippet_text(&h.snippet_html),
            slug: h.slug,
            title: h.title,
        })
        .collect();
    Ok(render(&page))
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
        .map_err(|e| PageError::from(e).back_to(&back))?
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
