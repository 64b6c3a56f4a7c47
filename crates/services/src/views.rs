//! The JSON shapes the API answers with (and the CLI prints). Instants are RFC 3339 UTC.

use heard_store::*;
use serde::Serialize;
use utoipa::ToSchema;

pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after` to fetch the next page; absent on the last page.
    pub next_after: Option<i64>,
    /// For lists in due order: pass as `cursor` to fetch the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page, pointing to the next one only when this one is full.
    pub fn new(items: Vec<T>, limit: i64, key: impl Fn(&T) -> i64) -> Self {
        let next_after = if items.len() as i64 == limit {
            items.last().map(&key)
        } else {
            None
        };
        Page {
            items,
            next_after,
            next_cursor: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequesterRef {
    pub id: i64,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketView {
    pub id: i64,
    pub subject: String,
    /// new, open, pending_customer, pending_third_party, resolved or closed
    pub status: String,
    /// low, normal, high or urgent
    pub priority: String,
    /// email, portal, chat, phone or api
    pub channel: String,
    pub requester: RequesterRef,
    pub organization_id: Option<i64>,
    /// Who owns it now.
    pub assignee: Option<PersonRef>,
    pub team: Option<PersonRef>,
    pub tier: i64,
    /// How many times the ticket was handed to another team or tier.
    pub transfers: i64,
    pub tags: Vec<String>,
    /// Increases with every change (optimistic concurrency, search index freshness).
    pub version: i64,
    /// When the customer will hear from us next: the promise they see.
    pub next_update_due: Option<String>,
    /// The earliest service-level instant due (staff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    /// How upset the customer's latest message was (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frustration: Option<FrustrationBadge>,
    /// "Had to repeat" events on this ticket (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub had_to_repeat: Option<i64>,
    /// The service-level policy in force (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FrustrationBadge {
    /// 0–100
    pub score: i64,
    /// calm, concerned, frustrated or angry
    pub level: String,
    /// A message was abusive towards the agent.
    pub abusive: bool,
}

impl TicketView {
    /// `staff` adds what only the help desk sees (frustration, repeats, policy).
    pub fn from_row(t: TicketRow, tags: Vec<String>, staff: bool) -> Self {
        let frustration = t
            .frustration_score
            .filter(|_| staff)
            .map(|score| FrustrationBadge {
                score,
                level: t.frustration_level.clone().unwrap_or_default(),
                abusive: t.abusive,
            });
        TicketView {
            next_update_due: t.next_update_due.map(rfc3339),
            due_at: t.due_at.filter(|_| staff).map(rfc3339),
            frustration,
            had_to_repeat: staff.then_some(t.repeats),
            policy: t.policy_id.clone().filter(|_| staff),
            id: t.id,
            subject: t.subject,
            status: t.status,
            priority: t.priority,
            channel: t.channel,
            requester: RequesterRef {
                id: t.requester_id,
                name: t.requester_name,
                email: t.requester_email,
            },
            organization_id: t.organization_id,
            assignee: t
                .assignee_id
                .zip(t.assignee_name)
                .map(|(id, name)| PersonRef { id, name }),
            team: t
                .team_id
                .zip(t.team_name)
                .map(|(id, name)| PersonRef { id, name }),
            tier: t.tier,
            transfers: t.transfers,
            tags,
            version: t.version,
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthorRef {
    pub id: i64,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    /// public or internal
    pub kind: String,
    pub channel: String,
    pub author: AuthorRef,
    pub body_text: String,
    /// Sanitised HTML, when the message arrived as HTML.
    pub body_html: Option<String>,
    /// Staff only: the frustration score of a customer's message, or the tone review
    /// of a reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub analysis: Option<serde_json::Value>,
    pub created_at: String,
}

impl MessageView {
    pub fn new(m: MessageRow, staff: bool) -> Self {
        MessageView {
            analysis: m
                .analysis
                .as_deref()
                .filter(|_| staff)
                .and_then(|a| serde_json::from_str(a).ok()),
            id: m.id,
            kind: m.kind,
            channel: m.channel,
            author: AuthorRef {
                id: m.author_id,
                name: m.author_name,
                role: m.author_role,
            },
            body_text: m.body_text,
            body_html: m.body_html,
            created_at: rfc3339(m.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub message_id: Option<i64>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub url: String,
    pub created_at: String,
}

impl From<AttachmentRow> for AttachmentView {
    fn from(a: AttachmentRow) -> Self {
        AttachmentView {
            url: format!("/api/v1/attachments/{}", a.id),
            id: a.id,
            message_id: a.message_id,
            file_name: a.file_name,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            created_at: rfc3339(a.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FactView {
    pub key: String,
    pub value: String,
    pub verified_by: PersonRef,
    pub verified_at: String,
}

impl From<FactRow> for FactView {
    fn from(f: FactRow) -> Self {
        FactView {
            key: f.key,
            value: f.value,
            verified_by: PersonRef {
                id: f.verified_by,
                name: f.verified_by_name,
            },
            verified_at: rfc3339(f.verified_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdentityView {
    pub id: i64,
    /// email, phone or chat
    pub kind: String,
    pub value: String,
}

impl From<IdentityRow> for IdentityView {
    fn from(i: IdentityRow) -> Self {
        IdentityView {
            id: i.id,
            kind: i.kind,
            value: i.value,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub organization_id: Option<i64>,
    pub time_zone: Option<String>,
    pub identities: Vec<IdentityView>,
    /// Verified once, shown to every agent, never asked again.
    pub facts: Vec<FactView>,
    pub created_at: String,
}

/// What the agent sees beside a ticket: who the customer is and what they went through.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerPanel {
    pub profile: CustomerView,
    /// The customer's other tickets, newest first.
    pub other_tickets: Vec<TicketView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: TicketView,
    /// This ticket was a duplicate: its conversation continues on that ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<i64>,
    /// Staff only: the root cause recorded (Diagnose) and the problem it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<crate::diagnosis::DiagnosisView>,
    /// The customer's rating once resolved ("how did we do?"); staff also see its
    /// recovery task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survey: Option<crate::survey::SurveyView>,
    pub messages: Vec<MessageView>,
    pub attachments: Vec<AttachmentView>,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerPanel>,
    /// Staff only: every service-level clock (due at, elapsed business minutes, paused,
    /// breached, met, at risk) and the current promise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub sla: Option<serde_json::Value>,
    /// `next_update_due` in the customer's own time zone, e.g. "Thu 26 Nov 2026, 15:00 CET".
    pub next_update_due_local: Option<String>,
    /// The explicit promise in force, if an agent made one (customers see it too).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub promise: Option<serde_json::Value>,
    /// The latest transfer: who has the ticket now and that the customer need not repeat
    /// anything; staff also get who handed it on, why, and the hand-off note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandoffView>,
    /// Staff only: an automatic escalation found nobody at the next tier, so the ticket
    /// stays where it is and waits (the supervisors were alerted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_escalation: Option<crate::history::WaitingEscalation>,
    /// Colleagues invited to work the ticket (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collaborators: Option<Vec<CollaboratorView>>,
    /// Why the router gave the ticket to its owner, or why it waits (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<RoutingNote>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HandoffView {
    /// escalated, handed_over or taken_over
    pub kind: String,
    /// The ticket escalated on its own after too long at its tier.
    pub automatic: bool,
    pub at: String,
    /// Who has the ticket now, and in which team.
    pub owner: Option<PersonRef>,
    pub team: Option<PersonRef>,
    /// What the customer is told.
    pub message: String,
    /// Staff only: who handed it on (none for an automatic escalation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<PersonRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Staff only: what the receiver must know.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handoff_note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CollaboratorView {
    pub id: i64,
    pub name: String,
    pub invited_by: i64,
    pub since: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoutingNote {
    pub at: String,
    /// The agent the router chose; `null` when the ticket waits.
    pub chosen: Option<i64>,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub kind: String,
    pub actor_id: Option<i64>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub created_at: String,
}

impl From<EventRow> for EventView {
    fn from(e: EventRow) -> Self {
        EventView {
            id: e.id,
            kind: e.kind,
            actor_id: e.actor_id,
            data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
            created_at: rfc3339(e.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentView {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// agent, supervisor or admin
    pub role: String,
    pub tier: Option<i64>,
    pub skills: Vec<String>,
    pub team_ids: Vec<i64>,
    /// How many open tickets the agent takes at once.
    pub capacity: i64,
    pub active: bool,
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: i64,
    pub name: String,
    pub domain: Option<String>,
    /// Members see each other's tickets when true.
    pub shares_tickets: bool,
    pub created_at: String,
}

impl From<OrganizationRow> for OrganizationView {
    fn from(o: OrganizationRow) -> Self {
        OrganizationView {
            id: o.id,
            name: o.name,
            domain: o.domain,
            shares_tickets: o.shares_tickets,
            created_at: rfc3339(o.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub member_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    pub organization_id: Option<i64>,
    pub team_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// The ticket it is about; `null` for a break reminder.
    pub ticket_id: Option<i64>,
    /// sla_warning, sla_breached or break_due
    pub kind: String,
    pub message: String,
    pub created_at: String,
    /// Whether the person asking has read it (each person reads a role's apart).
    pub read: bool,
}

impl From<NotificationRow> for NotificationView {
    fn from(n: NotificationRow) -> Self {
        NotificationView {
            id: n.id,
            ticket_id: n.ticket_id,
            kind: n.kind,
            message: n.message,
            created_at: rfc3339(n.created_at),
            read: n.read_at.is_some(),
        }
    }
}
