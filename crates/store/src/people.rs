//! Users (customers and staff), their identities and verified facts, organizations,
//! teams, API tokens and sessions.

use crate::backend::{in_transaction, with_reader};
use crate::rows::*;
use crate::trust::{NewAudit, insert_audit};
use crate::{Result, Store, StoreError};

const USER_COLUMNS: &str = "id, email, name, role, password_hash, organization_id, tier, \
     time_zone, capacity, active, created_at, updated_at";

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub organization_id: Option<i64>,
    pub tier: Option<i64>,
    pub time_zone: Option<String>,
    pub capacity: i64,
    pub skills: Vec<String>,
    pub team_ids: Vec<i64>,
}

/// A full replacement of a user's editable fields (services merge a patch onto the row).
#[derive(Debug, Clone)]
pub struct UserPatch {
    pub name: String,
    pub role: String,
    pub organization_id: Option<i64>,
    pub tier: Option<i64>,
    pub time_zone: Option<String>,
    pub capacity: i64,
    pub active: bool,
    /// Replaced when `Some`.
    pub skills: Option<Vec<String>>,
    pub team_ids: Option<Vec<i64>>,
}

impl Store {
    /// Adds a user together with their e-mail identity, skills and teams.
    pub async fn insert_user(&self, u: &NewUser, now: i64) -> Result<i64> {
        self.insert_user_audited(u, now, None).await
    }

    /// Adds a user and, in the same transaction, `audit` about them (e.g. who placed a
    /// customer in an organization).
    pub async fn insert_user_audited(
        &self,
        u: &NewUser,
        now: i64,
        audit: Option<&NewAudit>,
    ) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (email, name, role, password_hash, organization_id, tier,
                                    time_zone, capacity, active, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $9) RETURNING id",
            )
            .bind(&u.email)
            .bind(&u.name)
            .bind(&u.role)
            .bind(&u.password_hash)
            .bind(u.organization_id)
            .bind(u.tier)
            .bind(&u.time_zone)
            .bind(u.capacity)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "a user with this e-mail address"))?;
            sqlx::query(
                "INSERT INTO identities (user_id, kind, value, created_at) VALUES ($1, 'email', $2, $3)",
            )
            .bind(id)
            .bind(&u.email)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "this e-mail identity"))?;
            for skill in &u.skills {
                sqlx::query("INSERT INTO agent_skills (user_id, skill) VALUES ($1, $2)")
                    .bind(id)
                    .bind(skill)
                    .execute(&mut *tx)
                    .await?;
            }
            for team in &u.team_ids {
                sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)")
                    .bind(team)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| StoreError::classify(e, "team membership"))?;
            }
            if let Some(a) = audit {
                insert_audit!(tx, a, "user", id, now);
            }
            id
        }))
    }

    pub async fn update_user(&self, id: i64, p: &UserPatch, now: i64) -> Result<()> {
        self.update_user_audited(id, p, now, None).await
    }

    /// Changes a user and, in the same transaction, records `audit` about the change.
    pub async fn update_user_audited(
        &self,
        id: i64,
        p: &UserPatch,
        now: i64,
        audit: Option<&NewAudit>,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            if let Some(a) = audit {
                insert_audit!(tx, a, "user", id, now);
            }
            sqlx::query(
                "UPDATE users SET name = $1, role = $2, organization_id = $3, tier = $4,
                        time_zone = $5, capacity = $6, active = $7, updated_at = $8
                 WHERE id = $9",
            )
            .bind(&p.name)
            .bind(&p.role)
            .bind(p.organization_id)
            .bind(p.tier)
            .bind(&p.time_zone)
            .bind(p.capacity)
            .bind(p.active)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "user"))?;
            if let Some(skills) = &p.skills {
                sqlx::query("DELETE FROM agent_skills WHERE user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for skill in skills {
                    sqlx::query("INSERT INTO agent_skills (user_id, skill) VALUES ($1, $2)")
                        .bind(id)
                        .bind(skill)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            if let Some(teams) = &p.team_ids {
                sqlx::query("DELETE FROM team_members WHERE user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for team in teams {
                    sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)")
                        .bind(team)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| StoreError::classify(e, "team membership"))?;
                }
            }
        });
        Ok(())
    }

    pub async fn set_password_hash(&self, id: i64, hash: &str, now: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(hash)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, UserRow>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, UserRow>(&sql)
                .bind(email)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Finds whoever owns an identity (an e-mail address, a phone number, a chat handle).
    pub async fn user_by_identity(&self, kind: &str, value: &str) -> Result<Option<UserRow>> {
        let sql = format!(
            "SELECT {} FROM users u WHERE u.id = (SELECT user_id FROM identities WHERE kind = $1 AND value = $2)",
            USER_COLUMNS
                .split(", ")
                .map(|c| format!("u.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, UserRow>(&sql)
                .bind(kind)
                .bind(value)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Users with one of `roles`, by id, `limit` after `after` (keyset pagination).
    pub async fn users(
        &self,
        roles: &[&str],
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<UserRow>> {
        let roles_list = roles
            .iter()
            .map(|r| format!("'{}'", r.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE role IN ({roles_list}) AND id > $1 ORDER BY id LIMIT $2"
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, UserRow>(&sql)
                .bind(after.unwrap_or(0))
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    pub async fn skills_of(&self, user_id: i64) -> Result<Vec<String>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, String>(
                "SELECT skill FROM agent_skills WHERE user_id = $1 ORDER BY skill",
            )
            .bind(user_id)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn team_ids_of(&self, user_id: i64) -> Result<Vec<i64>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id",
            )
            .bind(user_id)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn identities_of(&self, user_id: i64) -> Result<Vec<IdentityRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, IdentityRow>(
                "SELECT id, user_id, kind, value, created_at FROM identities WHERE user_id = $1 ORDER BY id",
            )
            .bind(user_id)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn add_identity(
        &self,
        user_id: i64,
        kind: &str,
        value: &str,
        now: i64,
    ) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO identities (user_id, kind, value, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(user_id)
            .bind(kind)
            .bind(value)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "this identity"))?
        }))
    }

    /// Records a verified fact once; recording the same key again replaces it.
    pub async fn upsert_fact(
        &self,
        customer_id: i64,
        key: &str,
        value: &str,
        verified_by: i64,
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO facts (customer_id, key, value, verified_by, verified_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (customer_id, key) DO UPDATE
                 SET value = excluded.value, verified_by = excluded.verified_by,
                     verified_at = excluded.verified_at",
            )
            .bind(customer_id)
            .bind(key)
            .bind(value)
            .bind(verified_by)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "fact"))?;
        });
        Ok(())
    }

    pub async fn facts_of(&self, customer_id: i64) -> Result<Vec<FactRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, FactRow>(
                "SELECT f.id, f.customer_id, f.key, f.value, f.verified_by,
                        u.name AS verified_by_name, f.verified_at
                 FROM facts f JOIN users u ON u.id = f.verified_by
                 WHERE f.customer_id = $1 ORDER BY f.key",
            )
            .bind(customer_id)
            .fetch_all(db)
            .await?
        }))
    }

    /// Adds an organization with the audit entry saying who did and how it was set up.
    pub async fn insert_organization(
        &self,
        name: &str,
        domain: Option<&str>,
        shares: bool,
        now: i64,
        audit: &NewAudit,
    ) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO organizations (name, domain, shares_tickets, created_at)
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(name)
            .bind(domain)
            .bind(shares)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "an organization with this name or domain"))?;
            insert_audit!(tx, audit, "organization", id, now);
            id
        }))
    }

    pub async fn update_organization(
        &self,
        id: i64,
        name: &str,
        domain: Option<&str>,
        shares: bool,
        audit: &NewAudit,
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            insert_audit!(tx, audit, "organization", id, now);
            sqlx::query("UPDATE organizations SET name = $1, domain = $2, shares_tickets = $3 WHERE id = $4")
                .bind(name)
                .bind(domain)
                .bind(shares)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::classify(e, "an organization with this name or domain"))?;
        });
        Ok(())
    }

    pub async fn organization(&self, id: i64) -> Result<Option<OrganizationRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, OrganizationRow>(
                "SELECT id, name, domain, shares_tickets, created_at FROM organizations WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(db)
            .await?
        }))
    }

    pub async fn organization_by_domain(&self, domain: &str) -> Result<Option<OrganizationRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, OrganizationRow>(
                "SELECT id, name, domain, shares_tickets, created_at FROM organizations WHERE domain = $1",
            )
            .bind(domain)
            .fetch_optional(db)
            .await?
        }))
    }

    pub async fn organizations(
        &self,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<OrganizationRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, OrganizationRow>(
                "SELECT id, name, domain, shares_tickets, created_at FROM organizations
                 WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after.unwrap_or(0))
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn insert_team(&self, name: &str, description: &str, now: i64) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO teams (name, description, created_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(name)
            .bind(description)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "a team with this name"))?
        }))
    }

    pub async fn update_team(&self, id: i64, name: &str, description: &str) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("UPDATE teams SET name = $1, description = $2 WHERE id = $3")
                .bind(name)
                .bind(description)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::classify(e, "a team with this name"))?;
        });
        Ok(())
    }

    pub async fn team(&self, id: i64) -> Result<Option<TeamRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, TeamRow>(
                "SELECT id, name, description, created_at FROM teams WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(db)
            .await?
        }))
    }

    pub async fn teams(&self) -> Result<Vec<TeamRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, TeamRow>(
                "SELECT id, name, description, created_at FROM teams ORDER BY id",
            )
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn team_member_ids(&self, team_id: i64) -> Result<Vec<i64>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id",
            )
            .bind(team_id)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn insert_token(
        &self,
        user_id: i64,
        token_hash: &str,
        label: &str,
        now: i64,
    ) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(user_id)
            .bind(token_hash)
            .bind(label)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }))
    }

    const AUTH_SELECT: &'static str = "SELECT u.id AS user_id, u.role, u.organization_id,
            o.shares_tickets AS organization_shares, u.active
         FROM users u LEFT JOIN organizations o ON o.id = u.organization_id";

    pub async fn auth_by_token_hash(&self, token_hash: &str) -> Result<Option<AuthRow>> {
        let sql = format!(
            "{} WHERE u.id = (SELECT user_id FROM api_tokens WHERE token_hash = $1)",
            Self::AUTH_SELECT
        );
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, AuthRow>(&sql)
                .bind(token_hash)
                .fetch_optional(db)
                .await?
        }))
    }

    pub async fn auth_by_user(&self, user_id: i64) -> Result<Option<AuthRow>> {
        let sql = format!("{} WHERE u.id = $1", Self::AUTH_SELECT);
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, AuthRow>(&sql)
                .bind(user_id)
                .fetch_optional(db)
                .await?
        }))
    }

    pub async fn insert_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            // Expired sessions are swept whenever someone signs in, so the table stays small.
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    pub async fn session(&self, token_hash: &str, now: i64) -> Result<Option<SessionRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, SessionRow>(
                "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(db)
            .await?
        }))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }
}

/// A customer found by name, e-mail address (any of theirs), phone or organization.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerHitRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub organization: Option<String>,
}

/// `needle` as a LIKE pattern matching it anywhere, its wildcards taken literally.
fn contains_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Store {
    /// Customers whose name, an identity (e-mail, phone, chat) or organization contains
    /// `needle` (case-insensitive), oldest first, at most `limit`: the scan stops at the
    /// limit, so a common word costs no more than a rare one that matches early.
    pub async fn search_customers(&self, needle: &str, limit: i64) -> Result<Vec<CustomerHitRow>> {
        let pattern = contains_pattern(needle);
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, CustomerHitRow>(
                "SELECT u.id, u.name, u.email, o.name AS organization
                 FROM users u LEFT JOIN organizations o ON o.id = u.organization_id
                 WHERE u.role = 'customer' AND (
                       LOWER(u.name) LIKE $1 ESCAPE '\\'
                    OR LOWER(o.name) LIKE $1 ESCAPE '\\'
                    OR EXISTS (SELECT 1 FROM identities i WHERE i.user_id = u.id AND LOWER(i.value) LIKE $1 ESCAPE '\\'))
                 ORDER BY u.id LIMIT $2",
            )
            .bind(&pattern)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(super::contains_pattern("Ann_50%"), "%ann\\_50\\%%");
    }
}
