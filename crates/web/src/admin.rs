//! Admin: teams (added and edited), agents (role, tier, skills, teams, capacity), and
//! organizations. Calendars, policies and knowledge-base categories have pages of their
//! own (`calendars.rs`, `policies.rs`, `categories.rs`). Every form works without
//! JavaScript; a refused one comes back with the message next to its field.

use crate::WebState;
use crate::forms::{FormState, all, field, refusal};
use crate::page::{Chrome, PageResult, notice_text, render, render_status, see_other};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use heard_services::people::{AgentPatch, NewAgent, NewTeam, TeamPatch};
use heard_services::views::AgentView;
use serde::Deserialize;

pub struct TeamLine {
    pub id: i64,
    /// The form's name on the page (`team-3`).
    pub key: String,
    pub name: String,
    pub description: String,
    pub members: Vec<String>,
}

pub struct AgentLine {
    pub id: i64,
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
    /// Outgoing mail is set up: a new staff member gets a link to choose a password.
    mail: bool,
    /// The teams a new staff member may join.
    team_choices: Vec<TeamChoice>,
    teams: Vec<TeamLine>,
    agents: Vec<AgentLine>,
    organizations: Vec<OrganizationLine>,
    f: FormState,
}

/// The confirmation key a form's redirect carries (`?done=team`).
#[derive(Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

async fn admin_page(s: &WebState, viewer: &Viewer, f: FormState) -> PageResult<AdminPage> {
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
    Ok(AdminPage {
        chrome: viewer.chrome("Admin", "admin"),
        mail: s.services.mail_configured(),
        team_choices: teams
            .iter()
            .map(|t| TeamChoice {
                id: t.id,
                value: t.id.to_string(),
                name: t.name.clone(),
                member: false,
            })
            .collect(),
        teams: teams
            .iter()
            .map(|t| TeamLine {
                id: t.id,
                key: format!("team-{}", t.id),
                name: t.name.clone(),
                description: t.description.clone(),
                members: t.member_ids.iter().map(|id| name_of(*id)).collect(),
            })
            .collect(),
        agents: agents
            .items
            .iter()
            .map(|a| AgentLine {
                id: a.id,
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
        f,
    })
}

pub async fn overview(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<Done>,
) -> PageResult {
    viewer.require_admin()?;
    let mut page = admin_page(&s, &viewer, FormState::default()).await?;
    page.chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&page))
}

/// Re-renders the page with the refused form's messages and values.
async fn refused(s: &WebState, viewer: &Viewer, f: FormState) -> PageResult {
    let page = admin_page(s, viewer, f).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// A form's fields in order, repeated names (checkboxes) included.
pub type Fields = Form<Vec<(String, String)>>;

const TEAM_FIELDS: &[(&str, &str)] = &[("name", "name"), ("description", "description")];

pub async fn create_team(State(s): State<WebState>, viewer: Viewer, Form(v): Fields) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    let created = s
        .services
        .create_team(
            Some(&viewer.actor),
            NewTeam {
                name: field(&v, "name").to_string(),
                description: field(&v, "description").to_string(),
            },
        )
        .await;
    match created {
        Ok(_) => Ok(see_other("/admin", "team")),
        Err(e) => {
            let f = refusal("new-team", &v, e, TEAM_FIELDS)?;
            refused(&s, &viewer, f).await
        }
    }
}

pub async fn update_team(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    let saved = s
        .services
        .update_team(
            &viewer.actor,
            id,
            TeamPatch {
                name: Some(field(&v, "name").to_string()),
                description: Some(field(&v, "description").to_string()),
            },
        )
        .await;
    match saved {
        Ok(_) => Ok(see_other("/admin", "team_saved")),
        Err(e) => {
            let f = refusal(format!("team-{id}"), &v, e, TEAM_FIELDS)?;
            refused(&s, &viewer, f).await
        }
    }
}

const STAFF_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("email", "email"),
    ("role", "role"),
    ("team_ids", "team"),
    ("password", "password"),
];

/// Adds a staff member. Where outgoing mail is set up they choose their own password
/// through a mailed link; otherwise the admin gives them a first one.
pub async fn add_staff(State(s): State<WebState>, viewer: Viewer, Form(v): Fields) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    let mut f = FormState::new("new-staff", &v);
    let team_ids = chosen_teams(&v, &mut f);
    if f.is_refused() {
        return refused(&s, &viewer, f).await;
    }
    let password = field(&v, "password");
    let input = NewAgent {
        email: field(&v, "email").to_string(),
        name: field(&v, "name").to_string(),
        role: field(&v, "role").to_string(),
        tier: None,
        skills: Vec::new(),
        team_ids,
        capacity: None,
        time_zone: None,
        password: (!password.is_empty()).then(|| password.to_string()),
    };
    match s.services.add_staff(&viewer.actor, input).await {
        Ok(added) if added.link_mailed => Ok(see_other("/admin", "staff_invited")),
        Ok(_) => Ok(see_other("/admin", "staff_added")),
        Err(e) => {
            let f = refusal("new-staff", &v, e, STAFF_FIELDS)?;
            refused(&s, &viewer, f).await
        }
    }
}

/// Mails a staff member a link to choose a new password.
pub async fn send_password_link(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    match s.services.send_password_link(&viewer.actor, id).await {
        Ok(()) => Ok(see_other(&format!("/admin/agents/{id}"), "password_link")),
        Err(e) => {
            let f = refusal("password-link", &v, e, &[])?;
            let page = agent_page(&s, &viewer, id, f).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// The teams ticked in a form; anything that is not a team's id refuses the field.
fn chosen_teams(v: &[(String, String)], f: &mut FormState) -> Vec<i64> {
    let mut team_ids = Vec::new();
    for t in all(v, "team") {
        match t.parse::<i64>() {
            Ok(n) => team_ids.push(n),
            Err(_) => f.refuse("team", "choose teams from the list"),
        }
    }
    team_ids
}

pub struct TeamChoice {
    pub id: i64,
    /// The id as the checkbox sends it.
    pub value: String,
    pub name: String,
    pub member: bool,
}

#[derive(Template)]
#[template(path = "admin_agent.html")]
struct AgentPage {
    chrome: Chrome,
    agent: AgentView,
    skills: String,
    /// (value, currently chosen)
    roles: Vec<(&'static str, bool)>,
    tiers: Vec<(&'static str, bool)>,
    capacity: String,
    teams: Vec<TeamChoice>,
    /// Outgoing mail is set up: a password link can be sent.
    mail: bool,
    f: FormState,
}

async fn agent_page(s: &WebState, viewer: &Viewer, id: i64, f: FormState) -> PageResult<AgentPage> {
    let agent = s.services.get_agent(&viewer.actor, id).await?;
    let teams = s
        .services
        .list_teams(&viewer.actor)
        .await?
        .into_iter()
        .map(|t| TeamChoice {
            member: agent.team_ids.contains(&t.id),
            value: t.id.to_string(),
            id: t.id,
            name: t.name,
        })
        .collect();
    Ok(AgentPage {
        chrome: viewer.chrome(format!("Agent {}", agent.name), "admin"),
        skills: agent.skills.join(", "),
        roles: ["agent", "supervisor", "admin"]
            .into_iter()
            .map(|r| (r, agent.role == r))
            .collect(),
        tiers: ["1", "2", "3"]
            .into_iter()
            .map(|t| (t, agent.tier.map(|n| n.to_string()).as_deref() == Some(t)))
            .collect(),
        capacity: agent.capacity.to_string(),
        agent,
        teams,
        mail: s.services.mail_configured(),
        f,
    })
}

pub async fn agent(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    viewer.require_admin()?;
    let mut page = agent_page(&s, &viewer, id, FormState::default()).await?;
    page.chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&page))
}

/// Saves an agent's role, tier, skills, teams, capacity and whether they may sign in.
pub async fn save_agent(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    let mut f = FormState::new("agent", &v);
    let tier = match field(&v, "tier") {
        "" => None,
        t => match t.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                f.refuse("tier", "choose tier 1, 2 or 3");
                None
            }
        },
    };
    let capacity = match field(&v, "capacity").parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            f.refuse(
                "capacity",
                "capacity is a whole number of open tickets, 0 to 500",
            );
            None
        }
    };
    let team_ids = chosen_teams(&v, &mut f);
    if f.is_refused() {
        let page = agent_page(&s, &viewer, id, f).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let skills: Vec<String> = field(&v, "skills")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let patch = AgentPatch {
        name: Some(field(&v, "name").to_string()),
        role: Some(field(&v, "role").to_string()),
        tier,
        skills: Some(skills),
        team_ids: Some(team_ids),
        capacity,
        active: Some(field(&v, "active") == "1"),
    };
    match s.services.update_agent(&viewer.actor, id, patch).await {
        Ok(_) => Ok(see_other("/admin", "agent_saved")),
        Err(e) => {
            let known = f.refuse_service(
                &e,
                &[
                    ("name", "name"),
                    ("role", "role"),
                    ("tier", "tier"),
                    ("skills", "skills"),
                    ("team_ids", "team"),
                    ("capacity", "capacity"),
                ],
            );
            if !known {
                return Err(e.into());
            }
            let page = agent_page(&s, &viewer, id, f).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}
