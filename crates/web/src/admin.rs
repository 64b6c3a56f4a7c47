//! Admin: teams, agents (role, tier, skills) and organizations; adding a team.

use crate::WebState;
use crate::page::{BackTo, Chrome, PageError, PageResult, notice_text, render, see_other};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use heard_services::ServiceError;
use heard_services::people::NewTeam;
use serde::Deserialize;

pub struct TeamLine {
    pub name: String,
    pub description: String,
    pub members: Vec<String>,
}

pub struct AgentLine {
    pub name: String,
    pub email: String,
    pub role: String,
    pub tier: String,
    pub skills: String,
    pub teams: String,
    pub capacity: i64,
    pub active: bool,
}

pub struct OrganizationLine {
    pub name: String,
    pub domain: String,
    pub shares: bool,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    chrome: Chrome,
    teams: Vec<TeamLine>,
    agents: Vec<AgentLine>,
    organizations: Vec<OrganizationLine>,
    /// Business calendars (zone, hours, holidays) and service-level policies, as JSON.
    service_levels: String,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn overview(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<Done>,
) -> PageResult {
    viewer.require_admin()?;
    let teams = s.services.list_teams(&viewer.actor).await?;
    let agents = s
        .services
        .list_agents(&viewer.actor, None, Some(200))
        .await?;
    let organizations = s
        .services
        .list_organizations(&viewer.actor, None, Some(200))
        .await?;
    let name_of = |id: i64| {
        agents
            .items
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let team_name = |id: &i64| {
        teams
            .iter()
            .find(|t| t.id == *id)
            .map(|t| t.name.clone())
            .unwrap_or_default()
    };
    let book = s.services.service_levels(&viewer.actor).await?;
    let service_levels = serde_json::to_string_pretty(&book).unwrap_or_default();
    let mut chrome = viewer.chrome("Admin", "admin");
    chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&AdminPage {
        service_levels,
        chrome,
        teams: teams
            .iter()
            .map(|t| TeamLine {
                name: t.name.clone(),
                description: t.description.clone(),
                members: t.member_ids.iter().map(|id| name_of(*id)).collect(),
            })
            .collect(),
        agents: agents
            .items
            .iter()
            .map(|a| AgentLine {
                name: a.name.clone(),
                email: a.email.clone(),
                role: a.role.clone(),
                tier: a.tier.map(|t| t.to_string()).unwrap_or_default(),
                skills: a.skills.join(", "),
                teams: a
                    .team_ids
                    .iter()
                    .map(team_name)
                    .collect::<Vec<_>>()
                    .join(", "),
                capacity: a.capacity,
                active: a.active,
            })
            .collect(),
        organizations: organizations
            .items
            .into_iter()
            .map(|o| OrganizationLine {
                name: o.name,
                domain: o.domain.unwrap_or_default(),
                shares: o.shares_tickets,
            })
            .collect(),
    }))
}

#[derive(Deserialize)]
pub struct TeamForm {
    csrf: String,
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn create_team(
    State(s): State<WebState>,
    viewer: Viewer,
    Form(f): Form<TeamForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_admin()?;
    s.services
        .create_team(
            Some(&viewer.actor),
            NewTeam {
                name: f.name,
                description: f.description,
            },
        )
        .await
        .back_to("/admin")?;
    Ok(see_other("/admin", "team"))
}

#[derive(Deserialize)]
pub struct ServiceLevelsForm {
    csrf: String,
    book: String,
}

/// Replaces the calendars and policies; the services validate and name the field at fault.
pub async fn set_service_levels(
    State(s): State<WebState>,
    viewer: Viewer,
    Form(f): Form<ServiceLevelsForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_admin()?;
    let spec: serde_json::Value = serde_json::from_str(&f.book).map_err(|e| {
        PageError::from(ServiceError::Invalid(heard_domain::Invalid::new(
            "book",
            "malformed_json",
            format!("the service levels are not valid JSON: {e}"),
        )))
        .back_to("/admin#sl-h")
    })?;
    s.services
        .set_service_levels(&viewer.actor, spec)
        .await
        .back_to("/admin#sl-h")?;
    Ok(see_other("/admin", "service_levels"))
}
