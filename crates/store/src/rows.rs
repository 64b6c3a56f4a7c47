//! Rows as the store returns them. Instants are UTC milliseconds since the epoch; the
//! adapters turn them into RFC 3339.

use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub organization_id: Option<i64>,
    pub tier: Option<i64>,
    pub time_zone: Option<String>,
    pub capacity: i64,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct OrganizationRow {
    pub id: i64,
    pub name: String,
    pub domain: Option<String>,
    pub shares_tickets: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct IdentityRow {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub value: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct FactRow {
    pub id: i64,
    pub customer_id: i64,
    pub key: String,
    pub value: String,
    pub verified_by: i64,
    pub verified_by_name: String,
    pub verified_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct TeamRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub created_at: i64,
}

/// What a token or session resolves to: the user and what their access depends on.
#[derive(Debug, Clone, FromRow)]
pub struct AuthRow {
    pub user_id: i64,
    pub role: String,
    pub organization_id: Option<i64>,
    pub organization_shares: Option<bool>,
    pub active: bool,
}

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// A ticket with the names a reader needs, joined in one query.
#[derive(Debug, Clone, FromRow)]
pub struct TicketRow {
    pub id: i64,
    pub version: i64,
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub channel: String,
    pub requester_id: i64,
    pub requester_name: String,
    pub requester_email: String,
    pub organization_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub tier: i64,
    pub transfers: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub frustration_score: Option<i64>,
    pub frustration_level: Option<String>,
    pub abusive: bool,
    pub repeats: i64,
    pub policy_id: Option<String>,
    pub next_update_due: Option<i64>,
    pub due_at: Option<i64>,
    pub queue_rank: i64,
    pub next_alert_at: Option<i64>,
    pub escalate_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub ticket_id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub author_role: String,
    pub kind: String,
    pub channel: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub analysis: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub id: i64,
    pub ticket_id: i64,
    pub actor_id: Option<i64>,
    pub kind: String,
    pub data: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct AttachmentRow {
    pub id: i64,
    pub ticket_id: i64,
    pub message_id: Option<i64>,
    pub uploaded_by: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct ProblemRow {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub status: String,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Tickets diagnosed as caused by it.
    pub tickets: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct DiagnosisRow {
    pub ticket_id: i64,
    pub root_cause: String,
    pub resolution: Option<String>,
    pub problem_id: Option<i64>,
    pub problem_title: Option<String>,
    pub problem_status: Option<String>,
    pub recorded_by: i64,
    pub recorded_by_name: String,
    pub recorded_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct SurveyRow {
    pub ticket_id: i64,
    pub rating: i64,
    pub comment: Option<String>,
    pub recovery: String,
    pub recovery_note: Option<String>,
    pub recovered_by_name: Option<String>,
    pub recovered_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct RecoveryRow {
    pub ticket_id: i64,
    pub subject: String,
    pub rating: i64,
    pub comment: Option<String>,
    pub customer_name: String,
    pub agent_name: Option<String>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct SatisfactionRow {
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub agent_id: Option<i64>,
    pub agent_name: Option<String>,
    pub rated: i64,
    pub satisfied: i64,
    pub poor: i64,
}
