//! Saved views: a named ticket list (filters and the columns shown), an agent's own or
//! shared with the desk (shared ones kept by supervisors and admins). A view's tickets
//! are always read under the viewer's own access rules, whoever saved it.

use crate::tickets::TicketQuery;
use crate::views::{Page, TicketView, rfc3339};
use crate::{Actor, ErrorCode, Result, ServiceError, Services};
use heard_domain::{Priority, Status, Tag};
use heard_store::{ListTickets, SavedViewRow, SavedViewWrite, ViewFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The columns a view may show, in the order a table shows them.
pub const COLUMNS: &[(&str, &str)] = &[
    ("subject", "Ticket"),
    ("requester", "Customer"),
    ("status", "Status"),
    ("priority", "Priority"),
    ("owner", "Owner"),
    ("team", "Team"),
    ("frustration", "Frustration"),
    ("tags", "Tags"),
    ("next_update_due", "Next update due"),
    ("created_at", "Opened"),
];

/// What a view shows when it names no columns.
pub const DEFAULT_COLUMNS: &[&str] =
    &["subject", "requester", "status", "owner", "next_update_due"];

const FRUSTRATION_LEVELS: &[&str] = &["calm", "concerned", "frustrated", "angry"];

/// The longest name and search text a view may have, in characters.
const MAX_NAME: usize = 100;
const MAX_TEXT: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewFilters {
    /// Any of these statuses (none: every status).
    #[serde(default)]
    pub statuses: Vec<String>,
    pub team_id: Option<i64>,
    /// Any of these priorities.
    #[serde(default)]
    pub priorities: Vec<String>,
    pub tag: Option<String>,
    /// `me` (whoever opens the view), `nobody`, or an agent's id.
    pub assignee: Option<String>,
    /// Any of `calm`, `concerned`, `frustrated`, `angry`.
    #[serde(default)]
    pub frustration_levels: Vec<String>,
    /// Words the subject must contain.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewInput {
    pub name: String,
    #[serde(default)]
    pub filters: ViewFilters,
    /// Columns shown, from `subject`, `requester`, `status`, `priority`, `owner`, `team`,
    /// `frustration`, `tags`, `next_update_due`, `created_at`.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Shared with the whole desk (supervisors and admins only); otherwise yours alone.
    #[serde(default)]
    pub shared: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    pub filters: ViewFilters,
    pub columns: Vec<String>,
    pub shared: bool,
    /// Whether the caller may change or delete it.
    pub editable: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ViewPageQuery {
    /// The `next_after` of the previous page (newest first).
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

fn staff_only(actor: &Actor) -> Result<()> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::forbidden("saved views are for staff"))
    }
}

fn view_not_found() -> ServiceError {
    ServiceError::not_found("view", ErrorCode::ViewNotFound)
}

fn may_edit(actor: &Actor, owner_id: Option<i64>) -> bool {
    match owner_id {
        Some(o) => o == actor.user_id,
        None => actor.may_view_agents(),
    }
}

fn invalid(field: &'static str, code: ErrorCode, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(field, code, message)
}

/// Filters in their stored form (statuses, priorities and levels spelt as the API
/// spells them), or why not.
fn clean_filters(f: &ViewFilters) -> Result<ViewFilters> {
    let statuses = f
        .statuses
        .iter()
        .map(|s| Ok(s.trim().parse::<Status>()?.as_str().to_string()))
        .collect::<Result<Vec<_>>>()?;
    let priorities = f
        .priorities
        .iter()
        .map(|p| Ok(p.trim().parse::<Priority>()?.as_str().to_string()))
        .collect::<Result<Vec<_>>>()?;
    let frustration_levels = f
        .frustration_levels
        .iter()
        .map(|l| {
            let l = l.trim().to_ascii_lowercase();
            if FRUSTRATION_LEVELS.contains(&l.as_str()) {
                Ok(l)
            } else {
                Err(invalid(
                    "frustration_levels",
                    ErrorCode::InvalidField,
                    "a frustration level is calm, concerned, frustrated or angry",
                ))
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let tag = match f.tag.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(Tag::parse(t)?.as_str().to_string()),
    };
    let assignee = match f.assignee.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(a @ ("me" | "nobody")) => Some(a.to_string()),
        Some(a) => Some(
            a.parse::<i64>()
                .map_err(|_| {
                    invalid(
                        "assignee",
                        ErrorCode::InvalidField,
                        "the owner is me, nobody, or an agent's id",
                    )
                })?
                .to_string(),
        ),
    };
    let text = f
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    if text.as_ref().is_some_and(|t| t.chars().count() > MAX_TEXT) {
        return Err(invalid(
            "text",
            ErrorCode::TooLong,
            format!("the search text is at most {MAX_TEXT} characters"),
        ));
    }
    Ok(ViewFilters {
        statuses,
        team_id: f.team_id,
        priorities,
        tag,
        assignee,
        frustration_levels,
        text,
    })
}

fn clean_columns(columns: &[String]) -> Result<Vec<String>> {
    if columns.is_empty() {
        return Ok(DEFAULT_COLUMNS.iter().map(|c| c.to_string()).collect());
    }
    // Kept in the table's order, each once.
    for c in columns {
        if !COLUMNS.iter().any(|(name, _)| name == c) {
            return Err(invalid(
                "columns",
                ErrorCode::InvalidField,
                format!("there is no column {c}"),
            ));
        }
    }
    Ok(COLUMNS
        .iter()
        .filter(|(name, _)| columns.iter().any(|c| c == name))
        .map(|(name, _)| name.to_string())
        .collect())
}

fn checked(actor: &Actor, input: &ViewInput) -> Result<SavedViewWrite> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(invalid(
            "name",
            ErrorCode::MissingField,
            "give the view a name",
        ));
    }
    if name.chars().count() > MAX_NAME {
        return Err(invalid(
            "name",
            ErrorCode::TooLong,
            format!("a name has at most {MAX_NAME} characters"),
        ));
    }
    if input.shared && !actor.may_view_agents() {
        return Err(ServiceError::forbidden(
            "shared views are kept by supervisors and admins",
        ));
    }
    let filters = clean_filters(&input.filters)?;
    let columns = clean_columns(&input.columns)?;
    Ok(SavedViewWrite {
        name: name.to_string(),
        filters: serde_json::to_string(&filters).map_err(ServiceError::internal)?,
        columns: serde_json::to_string(&columns).map_err(ServiceError::internal)?,
        owner_id: (!input.shared).then_some(actor.user_id),
    })
}

fn saved(actor: &Actor, v: SavedViewRow) -> SavedView {
    SavedView {
        editable: may_edit(actor, v.owner_id),
        id: v.id,
        name: v.name,
        filters: serde_json::from_str(&v.filters).unwrap_or_default(),
        columns: serde_json::from_str(&v.columns)
            .unwrap_or_else(|_| DEFAULT_COLUMNS.iter().map(|c| c.to_string()).collect()),
        shared: v.owner_id.is_none(),
        created_at: rfc3339(v.created_at),
        updated_at: rfc3339(v.updated_at),
    }
}

/// The store's filter for `f` as `actor` opens it ("me" is the viewer).
fn store_filter(actor: &Actor, f: &ViewFilters, after: Option<i64>, limit: i64) -> ViewFilter {
    let (assignee_id, unassigned) = match f.assignee.as_deref() {
        Some("me") => (Some(actor.user_id), false),
        Some("nobody") => (None, true),
        Some(id) => (id.parse().ok(), false),
        None => (None, false),
    };
    ViewFilter {
        list: ListTickets {
            statuses: f.statuses.clone(),
            team_id: f.team_id,
            assignee_id,
            tag: f.tag.clone(),
            before_id: after,
            limit,
            ..Default::default()
        },
        priorities: f.priorities.clone(),
        frustration_levels: f.frustration_levels.clone(),
        unassigned,
        words: f
            .text
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect(),
    }
}

impl Services {
    /// The shared views and the caller's own, by name.
    pub async fn saved_views(&self, actor: &Actor) -> Result<Vec<SavedView>> {
        staff_only(actor)?;
        Ok(self
            .store
            .views_for(actor.user_id)
            .await?
            .into_iter()
            .map(|v| saved(actor, v))
            .collect())
    }

    /// A view the caller may open: shared, or their own (a colleague's is not found).
    pub async fn saved_view(&self, actor: &Actor, id: i64) -> Result<SavedView> {
        staff_only(actor)?;
        match self.store.view_row(id).await? {
            Some(v) if v.owner_id.is_none() || v.owner_id == Some(actor.user_id) => {
                Ok(saved(actor, v))
            }
            _ => Err(view_not_found()),
        }
    }

    pub async fn create_saved_view(&self, actor: &Actor, input: ViewInput) -> Result<SavedView> {
        staff_only(actor)?;
        let write = checked(actor, &input)?;
        let id = self
            .store
            .create_view(&write, actor.user_id, self.now())
            .await?;
        self.saved_view(actor, id).await
    }

    pub async fn update_saved_view(
        &self,
        actor: &Actor,
        id: i64,
        input: ViewInput,
    ) -> Result<SavedView> {
        let v = self.saved_view(actor, id).await?;
        if !v.editable {
            return Err(ServiceError::forbidden(
                "shared views are kept by supervisors and admins",
            ));
        }
        let write = checked(actor, &input)?;
        if !self.store.update_view(id, &write, self.now()).await? {
            return Err(view_not_found());
        }
        self.saved_view(actor, id).await
    }

    pub async fn delete_saved_view(&self, actor: &Actor, id: i64) -> Result<()> {
        let v = self.saved_view(actor, id).await?;
        if !v.editable {
            return Err(ServiceError::forbidden(
                "shared views are kept by supervisors and admins",
            ));
        }
        self.store.delete_view(id).await?;
        Ok(())
    }

    /// A page of the view's tickets, newest first, under the caller's access rules.
    pub async fn saved_view_tickets(
        &self,
        actor: &Actor,
        id: i64,
        q: ViewPageQuery,
    ) -> Result<Page<TicketView>> {
        let v = self.saved_view(actor, id).await?;
        let limit = crate::page_limit(q.limit)?;
        let rows = self
            .store
            .view_tickets(
                &actor.ticket_scope(),
                &store_filter(actor, &v.filters, q.after, limit),
            )
            .await?;
        let items = self.ticket_views(rows, true).await?;
        Ok(Page::new(items, limit, |t| t.id))
    }

    /// The whole of a view's list as CSV, read page by page like every export.
    pub async fn export_saved_view(
        &self,
        actor: &Actor,
        id: i64,
        after: Option<i64>,
    ) -> Result<crate::export::TicketCsv> {
        let from = TicketQuery {
            after,
            ..Default::default()
        };
        self.export_view_pages(actor, id, from).await
    }
}
