//! Customers (with identities and verified facts), agents, organizations and teams.

use crate::ErrorCode;
use crate::views::*;
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::people::person_name;
use heard_domain::{EmailAddress, IdentityKind, Invalid, Role, Tier};
use heard_store::{NewAudit, NewUser, UserPatch, UserRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    pub email: String,
    pub name: String,
    /// Defaults to the organization whose domain matches the e-mail address.
    pub organization_id: Option<i64>,
    /// IANA time zone, e.g. Europe/Berlin.
    pub time_zone: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    pub name: Option<String>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub organization_id: Option<Option<i64>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub time_zone: Option<Option<String>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIdentity {
    /// email, phone or chat
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFact {
    /// What was verified, e.g. `account`, `device`, `os_version`, `tried`.
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    pub email: String,
    pub name: String,
    /// agent, supervisor or admin
    pub role: String,
    pub tier: Option<i64>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub team_ids: Vec<i64>,
    pub capacity: Option<i64>,
    pub time_zone: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentPatch {
    pub name: Option<String>,
    pub role: Option<String>,
    pub tier: Option<i64>,
    pub skills: Option<Vec<String>>,
    pub team_ids: Option<Vec<i64>>,
    pub capacity: Option<i64>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    pub name: String,
    /// New customers with e-mail addresses at this domain join the organization.
    pub domain: Option<String>,
    #[serde(default)]
    pub shares_tickets: bool,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub domain: Option<Option<String>>,
    pub shares_tickets: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Distinguishes an absent field (leave as is) from an explicit `null` (clear it).
pub mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

fn time_zone(tz: Option<String>) -> Result<Option<String>> {
    match tz {
        None => Ok(None),
        Some(tz) => jiff::tz::TimeZone::get(&tz)
            .map(|_| Some(tz.clone()))
            .map_err(|_| {
                ServiceError::invalid(
                    "time_zone",
                    ErrorCode::InvalidTimeZone,
                    format!("`{tz}` is not an IANA time zone such as Europe/Berlin"),
                )
            }),
    }
}

fn label(raw: &str, field: &'static str, max: usize) -> Result<String> {
    let s = raw.trim();
    if s.is_empty() || s.chars().count() > max || s.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            field,
            ErrorCode::InvalidName,
            format!("{field} must have 1 to {max} characters and no control characters"),
        ));
    }
    Ok(s.to_string())
}

fn skill_list(skills: &[String]) -> Result<Vec<String>> {
    let mut out = skills
        .iter()
        .map(|s| {
            heard_domain::Tag::parse(s)
                .map(|t| t.as_str().to_string())
                .map_err(|_| {
                    ServiceError::invalid(
                        "skills",
                        ErrorCode::InvalidSkill,
                        "a skill has 1 to 50 letters, digits, - _ or :",
                    )
                })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

impl Services {
    pub(crate) fn require(&self, allowed: bool, what: &str) -> Result<()> {
        if allowed {
            Ok(())
        } else {
            Err(ServiceError::forbidden(format!("your role may not {what}")))
        }
    }

    async fn check_teams(&self, team_ids: &[i64]) -> Result<()> {
        for id in team_ids {
            if self.store.team(*id).await?.is_none() {
                return Err(ServiceError::invalid(
                    "team_ids",
                    ErrorCode::TeamNotFound,
                    format!("team {id} does not exist"),
                ));
            }
        }
        Ok(())
    }

    async fn check_organization(&self, id: Option<i64>) -> Result<()> {
        match id {
            Some(id) if self.store.organization(id).await?.is_none() => Err(ServiceError::invalid(
                "organization_id",
                ErrorCode::OrganizationNotFound,
                format!("organization {id} does not exist"),
            )),
            _ => Ok(()),
        }
    }

    pub async fn me(&self, actor: &Actor) -> Result<MeView> {
        let u = self
            .store
            .user(actor.user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        Ok(MeView {
            id: u.id,
            name: u.name,
            email: u.email,
            role: u.role,
            organization_id: u.organization_id,
            team_ids: actor.team_ids.clone(),
        })
    }

    // ---- customers -------------------------------------------------------------------

    /// Creates a customer; `actor` is `None` for self sign-up and the CLI.
    pub async fn create_customer(
        &self,
        actor: Option<&Actor>,
        input: NewCustomer,
    ) -> Result<CustomerView> {
        if let Some(a) = actor {
            self.require(a.may_manage_customers(), "add customers")?;
            // An agent who could choose the organization, or a password for someone at an
            // organization's domain, could sign in as a member and read what it shares.
            if input.organization_id.is_some() {
                self.require(
                    a.may_manage_organizations(),
                    "place a customer in an organization (supervisors and admins do)",
                )?;
            }
            if input.password.is_some() {
                self.require(
                    a.may_manage_organizations(),
                    "set a customer's password (customers choose their own, or sign in by link)",
                )?;
            }
        }
        let email = EmailAddress::parse(&input.email)?;
        let name = person_name(&input.name)?;
        let time_zone = time_zone(input.time_zone)?;
        let organization_id = match input.organization_id {
            Some(id) => {
                self.check_organization(Some(id)).await?;
                Some(id)
            }
            None => self
                .store
                .organization_by_domain(email.domain())
                .await?
                .map(|o| o.id),
        };
        let password_hash = match input.password {
            Some(p) => Some(hash_blocking(p).await?),
            None => None,
        };
        let audit = actor
            .zip(input.organization_id)
            .map(|(a, to)| membership_audit(a, None, Some(to)));
        let id = self
            .store
            .insert_user_audited(
                &NewUser {
                    email: email.to_string(),
                    name,
                    role: Role::Customer.as_str().into(),
                    password_hash,
                    organization_id,
                    tier: None,
                    time_zone,
                    capacity: 0,
                    skills: vec![],
                    team_ids: vec![],
                },
                self.now(),
                audit.as_ref(),
            )
            .await?;
        self.customer_view(id).await
    }

    /// The customer with this e-mail address, created on first contact (e-mail, API).
    pub async fn customer_for_email(&self, email: &str, name: Option<&str>) -> Result<UserRow> {
        let email = EmailAddress::parse(email)?;
        if let Some(u) = self.store.user_by_identity("email", email.as_str()).await? {
            return Ok(u);
        }
        let fallback = email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("customer")
            .to_string();
        let created = self
            .create_customer(
                None,
                NewCustomer {
                    email: email.to_string(),
                    name: name.map(str::to_string).unwrap_or(fallback),
                    organization_id: None,
                    time_zone: None,
                    password: None,
                },
            )
            .await;
        match created {
            Ok(c) => Ok(self
                .store
                .user(c.id)
                .await?
                .ok_or(ServiceError::internal("customer vanished"))?),
            // Two first contacts at once: the other one created them.
            Err(ServiceError::Conflict { .. }) => self
                .store
                .user_by_identity("email", email.as_str())
                .await?
                .ok_or_else(|| ServiceError::internal("customer vanished")),
            Err(e) => Err(e),
        }
    }

    async fn customer_row(&self, id: i64) -> Result<UserRow> {
        match self.store.user(id).await? {
            Some(u) if u.role == "customer" => Ok(u),
            _ => Err(ServiceError::not_found(
                "customer",
                ErrorCode::CustomerNotFound,
            )),
        }
    }

    pub(crate) async fn customer_view(&self, id: i64) -> Result<CustomerView> {
        let u = self.customer_row(id).await?;
        let identities = self
            .store
            .identities_of(id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        let facts = self
            .store
            .facts_of(id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(CustomerView {
            id: u.id,
            name: u.name,
            email: u.email,
            organization_id: u.organization_id,
            time_zone: u.time_zone,
            identities,
            facts,
            created_at: rfc3339(u.created_at),
        })
    }

    /// Staff see any customer; a customer sees only themselves.
    pub async fn get_customer(&self, actor: &Actor, id: i64) -> Result<CustomerView> {
        if !actor.is_staff() && actor.user_id != id {
            return Err(ServiceError::not_found(
                "customer",
                ErrorCode::CustomerNotFound,
            ));
        }
        self.customer_view(id).await
    }

    pub async fn list_customers(
        &self,
        actor: &Actor,
        after: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<CustomerView>> {
        self.require(actor.may_manage_customers(), "list customers")?;
        let limit = crate::page_limit(limit)?;
        let rows = self.store.users(&["customer"], after, limit).await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            items.push(self.customer_view(r.id).await?);
        }
        Ok(Page::new(items, limit, |c| c.id))
    }

    pub async fn update_customer(
        &self,
        actor: &Actor,
        id: i64,
        patch: CustomerPatch,
    ) -> Result<CustomerView> {
        let u = if actor.is_staff() || actor.user_id == id {
            self.customer_row(id).await?
        } else {
            return Err(ServiceError::not_found(
                "customer",
                ErrorCode::CustomerNotFound,
            ));
        };
        let organization_id = patch.organization_id.unwrap_or(u.organization_id);
        let audit = if organization_id != u.organization_id {
            if !actor.may_manage_organizations() {
                return Err(ServiceError::forbidden(
                    "only supervisors and admins move a customer to another organization",
                ));
            }
            self.check_organization(organization_id).await?;
            Some(membership_audit(actor, u.organization_id, organization_id))
        } else {
            None
        };
        let time_zone = match patch.time_zone {
            Some(tz) => time_zone(tz)?,
            None => u.time_zone,
        };
        let name = match patch.name {
            Some(n) => person_name(&n)?,
            None => u.name,
        };
        self.store
            .update_user_audited(
                id,
                &UserPatch {
                    name,
                    role: u.role,
                    organization_id,
                    tier: None,
                    time_zone,
                    capacity: u.capacity,
                    active: u.active,
                    skills: None,
                    team_ids: None,
                },
                self.now(),
                audit.as_ref(),
            )
            .await?;
        self.customer_view(id).await
    }

    /// Adds another way to reach the same person, so every channel finds one profile.
    pub async fn add_identity(
        &self,
        actor: &Actor,
        customer_id: i64,
        input: NewIdentity,
    ) -> Result<CustomerView> {
        self.require(actor.may_manage_customers(), "add identities")?;
        self.customer_row(customer_id).await?;
        let kind: IdentityKind = input.kind.parse()?;
        let value = kind.normalise(&input.value, self.home_country().await?)?;
        self.store
            .add_identity(customer_id, kind.as_str(), &value, self.now())
            .await?;
        self.customer_view(customer_id).await
    }

    /// Records a fact an agent verified, so no one asks the customer for it again.
    pub async fn record_fact(
        &self,
        actor: &Actor,
        customer_id: i64,
        input: NewFact,
    ) -> Result<CustomerView> {
        self.require(actor.is_staff(), "record verified facts")?;
        self.customer_row(customer_id).await?;
        let key = heard_domain::Tag::parse(&input.key.replace(' ', "_")).map_err(|_| {
            Invalid::new(
                "key",
                ErrorCode::InvalidFactKey,
                "a fact key has 1 to 50 letters, digits, - _ or :",
            )
        })?;
        let value = input.value.trim();
        if value.is_empty() || value.chars().count() > 1000 {
            return Err(ServiceError::invalid(
                "value",
                ErrorCode::InvalidFactValue,
                "a fact value has 1 to 1000 characters",
            ));
        }
        self.store
            .upsert_fact(customer_id, key.as_str(), value, actor.user_id, self.now())
            .await?;
        self.customer_view(customer_id).await
    }

    // ---- agents ----------------------------------------------------------------------

    /// Adds a staff member (admins only; the CLI passes `None`).
    pub async fn create_agent(&self, actor: Option<&Actor>, input: NewAgent) -> Result<AgentView> {
        if let Some(a) = actor {
            self.require(a.may_configure(), "add agents")?;
        }
        let role: Role = input.role.parse()?;
        if !role.is_staff() {
            return Err(ServiceError::invalid(
                "role",
                ErrorCode::InvalidRole,
                "staff are agent, supervisor or admin; add customers as customers",
            ));
        }
        let email = EmailAddress::parse(&input.email)?;
        let tier = Tier::new(input.tier.unwrap_or(1))?;
        let skills = skill_list(&input.skills)?;
        self.check_teams(&input.team_ids).await?;
        let capacity = capacity(input.capacity.unwrap_or(10))?;
        let password_hash = match input.password {
            Some(p) => Some(hash_blocking(p).await?),
            None => None,
        };
        // Who may sign in as staff is an admin's act: kept in the audit log.
        let audit = actor.map(|a| NewAudit {
            actor_id: Some(a.user_id),
            action: "staff_added".into(),
            data: serde_json::json!({"role": role.as_str(), "team_ids": input.team_ids})
                .to_string(),
        });
        let id = self
            .store
            .insert_user_audited(
                &NewUser {
                    email: email.to_string(),
                    name: person_name(&input.name)?,
                    role: role.as_str().into(),
                    password_hash,
                    organization_id: None,
                    tier: Some(tier.get() as i64),
                    time_zone: time_zone(input.time_zone)?,
                    capacity,
                    skills,
                    team_ids: input.team_ids,
                },
                self.now(),
                audit.as_ref(),
            )
            .await?;
        self.agent_view(id).await
    }

    async fn agent_row(&self, id: i64) -> Result<UserRow> {
        match self.store.user(id).await? {
            Some(u) if u.role != "customer" => Ok(u),
            _ => Err(ServiceError::not_found("agent", ErrorCode::AgentNotFound)),
        }
    }

    pub(crate) async fn agent_view(&self, id: i64) -> Result<AgentView> {
        let u = self.agent_row(id).await?;
        Ok(AgentView {
            skills: self.store.skills_of(id).await?,
            team_ids: self.store.team_ids_of(id).await?,
            id: u.id,
            name: u.name,
            email: u.email,
            role: u.role,
            tier: u.tier,
            capacity: u.capacity,
            active: u.active,
            time_zone: u.time_zone,
        })
    }

    /// Supervisors and admins see the roster; an agent sees their own entry.
    pub async fn get_agent(&self, actor: &Actor, id: i64) -> Result<AgentView> {
        if !actor.may_view_agents() && actor.user_id != id {
            return Err(ServiceError::not_found("agent", ErrorCode::AgentNotFound));
        }
        self.agent_view(id).await
    }

    pub async fn list_agents(
        &self,
        actor: &Actor,
        after: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<AgentView>> {
        self.require(actor.may_view_agents(), "list agents")?;
        let limit = crate::page_limit(limit)?;
        let rows = self
            .store
            .users(&["agent", "supervisor", "admin"], after, limit)
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            items.push(self.agent_view(r.id).await?);
        }
        Ok(Page::new(items, limit, |a| a.id))
    }

    pub async fn update_agent(
        &self,
        actor: &Actor,
        id: i64,
        patch: AgentPatch,
    ) -> Result<AgentView> {
        if !actor.may_view_agents() {
            return Err(ServiceError::not_found("agent", ErrorCode::AgentNotFound));
        }
        self.require(actor.may_configure(), "change agents")?;
        let u = self.agent_row(id).await?;
        // What an admin changed about staff (role, teams, switched off) is kept.
        let audit = NewAudit {
            actor_id: Some(actor.user_id),
            action: "staff_changed".into(),
            data: serde_json::to_string(&patch).map_err(ServiceError::internal)?,
        };
        let role = match patch.role {
            Some(r) => {
                let role: Role = r.parse()?;
                if !role.is_staff() {
                    return Err(ServiceError::invalid(
                        "role",
                        ErrorCode::InvalidRole,
                        "staff are agent, supervisor or admin",
                    ));
                }
                role.as_str().to_string()
            }
            None => u.role,
        };
        let tier = match patch.tier {
            Some(t) => Some(Tier::new(t)?.get() as i64),
            None => u.tier,
        };
        let skills = patch.skills.as_deref().map(skill_list).transpose()?;
        if let Some(teams) = &patch.team_ids {
            self.check_teams(teams).await?;
        }
        self.store
            .update_user_audited(
                id,
                &UserPatch {
                    name: match patch.name {
                        Some(n) => person_name(&n)?,
                        None => u.name,
                    },
                    role,
                    organization_id: None,
                    tier,
                    time_zone: u.time_zone,
                    capacity: match patch.capacity {
                        Some(c) => capacity(c)?,
                        None => u.capacity,
                    },
                    active: patch.active.unwrap_or(u.active),
                    skills,
                    team_ids: patch.team_ids,
                },
                self.now(),
                Some(&audit),
            )
            .await?;
        // More capacity, another team or tier, new skills: waiting tickets may fit now.
        self.capacity_may_have_freed().await;
        self.agent_view(id).await
    }

    // ---- organizations -----------------------------------------------------------------

    pub async fn create_organization(
        &self,
        actor: &Actor,
        input: NewOrganization,
    ) -> Result<OrganizationView> {
        self.require(actor.may_manage_organizations(), "add organizations")?;
        let name = label(&input.name, "name", 200)?;
        let domain = input.domain.map(|d| domain(&d)).transpose()?;
        let audit = NewAudit {
            actor_id: Some(actor.user_id),
            action: "organization_created".into(),
            data: serde_json::json!({
                "name": name, "domain": domain, "shares_tickets": input.shares_tickets,
            })
            .to_string(),
        };
        let id = self
            .store
            .insert_organization(
                &name,
                domain.as_deref(),
                input.shares_tickets,
                self.now(),
                &audit,
            )
            .await?;
        self.get_organization(actor, id).await
    }

    /// Staff see every organization; a customer sees only their own.
    pub async fn get_organization(&self, actor: &Actor, id: i64) -> Result<OrganizationView> {
        if !actor.is_staff() && actor.organization_id != Some(id) {
            return Err(ServiceError::not_found(
                "organization",
                ErrorCode::OrganizationNotFound,
            ));
        }
        self.store
            .organization(id)
            .await?
            .map(Into::into)
            .ok_or(ServiceError::not_found(
                "organization",
                ErrorCode::OrganizationNotFound,
            ))
    }

    pub async fn list_organizations(
        &self,
        actor: &Actor,
        after: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<OrganizationView>> {
        self.require(actor.is_staff(), "list organizations")?;
        let limit = crate::page_limit(limit)?;
        let items = self
            .store
            .organizations(after, limit)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(Page::new(items, limit, |o: &OrganizationView| o.id))
    }

    pub async fn update_organization(
        &self,
        actor: &Actor,
        id: i64,
        patch: OrganizationPatch,
    ) -> Result<OrganizationView> {
        let current = self.get_organization(actor, id).await?;
        self.require(actor.may_manage_organizations(), "change organizations")?;
        let name = match patch.name {
            Some(n) => label(&n, "name", 200)?,
            None => current.name.clone(),
        };
        let domain = match patch.domain {
            Some(d) => d.map(|d| domain(&d)).transpose()?,
            None => current.domain.clone(),
        };
        let shares = patch.shares_tickets.unwrap_or(current.shares_tickets);
        let audit = NewAudit {
            actor_id: Some(actor.user_id),
            action: "organization_changed".into(),
            data: serde_json::json!({
                "from": {"name": current.name, "domain": current.domain, "shares_tickets": current.shares_tickets},
                "to": {"name": name, "domain": domain, "shares_tickets": shares},
            })
            .to_string(),
        };
        self.store
            .update_organization(id, &name, domain.as_deref(), shares, &audit, self.now())
            .await?;
        self.get_organization(actor, id).await
    }

    // ---- teams -------------------------------------------------------------------------

    pub async fn create_team(&self, actor: Option<&Actor>, input: NewTeam) -> Result<TeamView> {
        if let Some(a) = actor {
            self.require(a.may_configure(), "add teams")?;
        }
        let id = self
            .store
            .insert_team(
                &label(&input.name, "name", 100)?,
                input.description.trim(),
                self.now(),
            )
            .await?;
        self.team_view(id).await
    }

    async fn team_view(&self, id: i64) -> Result<TeamView> {
        let t = self
            .store
            .team(id)
            .await?
            .ok_or(ServiceError::not_found("team", ErrorCode::TeamNotFound))?;
        Ok(TeamView {
            member_ids: self.store.team_member_ids(id).await?,
            id: t.id,
            name: t.name,
            description: t.description,
        })
    }

    pub async fn get_team(&self, actor: &Actor, id: i64) -> Result<TeamView> {
        if !actor.is_staff() {
            return Err(ServiceError::not_found("team", ErrorCode::TeamNotFound));
        }
        self.team_view(id).await
    }

    pub async fn list_teams(&self, actor: &Actor) -> Result<Vec<TeamView>> {
        self.require(actor.is_staff(), "list teams")?;
        let mut out = Vec::new();
        for t in self.store.teams().await? {
            out.push(self.team_view(t.id).await?);
        }
        Ok(out)
    }

    pub async fn update_team(&self, actor: &Actor, id: i64, patch: TeamPatch) -> Result<TeamView> {
        let current = self.get_team(actor, id).await?;
        self.require(actor.may_configure(), "change teams")?;
        let name = match patch.name {
            Some(n) => label(&n, "name", 100)?,
            None => current.name,
        };
        let description = patch
            .description
            .map(|d| d.trim().to_string())
            .unwrap_or(current.description);
        self.store.update_team(id, &name, &description).await?;
        self.team_view(id).await
    }
}

/// The audit entry for a customer placed in, moved between or taken out of organizations.
fn membership_audit(actor: &Actor, from: Option<i64>, to: Option<i64>) -> NewAudit {
    NewAudit {
        actor_id: Some(actor.user_id),
        action: "customer_organization_changed".into(),
        data: serde_json::json!({"from": from, "to": to}).to_string(),
    }
}

fn capacity(n: i64) -> Result<i64> {
    if (0..=500).contains(&n) {
        Ok(n)
    } else {
        Err(ServiceError::invalid(
            "capacity",
            ErrorCode::InvalidCapacity,
            "capacity is between 0 and 500 open tickets",
        ))
    }
}

fn domain(raw: &str) -> Result<String> {
    let d = raw.trim().to_lowercase();
    let ok = d.contains('.')
        && d.len() <= 253
        && !d.starts_with('.')
        && !d.ends_with('.')
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if ok {
        Ok(d)
    } else {
        Err(ServiceError::invalid(
            "domain",
            ErrorCode::InvalidDomain,
            "a domain looks like example.com",
        ))
    }
}

/// argon2 is deliberately slow; keep it off the async workers.
pub(crate) async fn hash_blocking(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .map_err(ServiceError::internal)?
}

/// A customer found by the staff search.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct CustomerHit {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub organization: Option<String>,
}

impl Services {
    /// Customers whose name, e-mail address, phone, chat handle or organization contains
    /// `q` (staff, who may look up any customer). At most `limit`.
    pub async fn search_customers(
        &self,
        actor: &Actor,
        q: &str,
        limit: i64,
    ) -> Result<Vec<CustomerHit>> {
        self.require(actor.may_manage_customers(), "look up customers")?;
        let q = q.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let q: String = q.chars().take(200).collect();
        Ok(self
            .store
            .search_customers(&q, limit.clamp(1, 200))
            .await?
            .into_iter()
            .map(|c| CustomerHit {
                id: c.id,
                name: c.name,
                email: c.email,
                organization: c.organization,
            })
            .collect())
    }
}

/// One act that changed who sees what: an organization created or changed (its domain
/// and whether it shares tickets), a customer placed in or moved between organizations.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// Who did it (`null` for the command line).
    pub actor_id: Option<i64>,
    /// `organization_created`, `organization_changed` or `customer_organization_changed`.
    pub action: String,
    /// `organization` or `user`.
    pub subject_kind: String,
    pub subject_id: i64,
    /// What it was and what it became.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub at: String,
}

impl Services {
    /// The audit log, oldest first (supervisors and admins).
    pub async fn audit_log(
        &self,
        actor: &Actor,
        after: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<AuditEntry>> {
        self.require(actor.may_manage_organizations(), "read the audit log")?;
        let limit = crate::page_limit(limit)?;
        let items = self
            .store
            .audit_log(after, limit)
            .await?
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                actor_id: r.actor_id,
                action: r.action,
                subject_kind: r.subject_kind,
                subject_id: r.subject_id,
                data: serde_json::from_str(&r.data).unwrap_or(serde_json::Value::Null),
                at: rfc3339(r.created_at),
            })
            .collect();
        Ok(Page::new(items, limit, |e: &AuditEntry| e.id))
    }
}
