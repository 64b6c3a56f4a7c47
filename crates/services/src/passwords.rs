//! Choosing a password through a mailed link: anyone who forgot theirs asks for one, and
//! an admin who adds a staff member (or resets one's password) has one sent. The link only
//! lets its holder choose a new password; using it ends every session of the account, so
//! whoever knew the old password is signed out. Asking answers the same whether or not
//! the address has an account.

use crate::ErrorCode;
use crate::auth::{NewSession, new_secret, sha256_hex};
use crate::mail::{LINK_MS, LINK_WINDOW_MS, LINKS_PER_WINDOW};
use crate::people::{NewAgent, hash_blocking};
use crate::signup::mail;
use crate::views::AgentView;
use crate::{Result, ServiceError, Services};
use heard_domain::Actor;
use heard_domain::EmailAddress;
use heard_store::{LinkPurpose, NewAudit, NewMail, NewSigninLink, UserRow};
use std::net::IpAddr;

/// How long a new staff member's first link works: they may not read mail at once.
pub const WELCOME_LINK_MS: i64 = 3 * 24 * 60 * 60 * 1000;

/// What adding a staff member did about their password.
#[derive(Debug)]
pub struct StaffAdded {
    pub agent: AgentView,
    /// A link to choose their password went to their address (no password was given).
    pub link_mailed: bool,
}

impl Services {
    /// Mails a link to choose a new password to `email`'s owner, if the address has an
    /// active account. The answer is the same either way (only a malformed address is
    /// refused), and each address gets at most [`LINKS_PER_WINDOW`] links per
    /// [`LINK_WINDOW_MS`], counted with sign-in links.
    pub async fn request_password_reset(&self, email: &str, client: Option<IpAddr>) -> Result<()> {
        self.require_mail()?;
        let address = EmailAddress::parse(email)?;
        self.throttle_requests(client).await?;
        let user = self
            .store
            .user_by_email(address.as_str())
            .await?
            .filter(|u| u.active);
        let grant = user.map(|u| self.password_link(&u, LINK_MS, reset_mail));
        self.grant_link(&address, grant.as_ref()).await?;
        Ok(())
    }

    /// Whether a password link would still work, without using it.
    pub async fn password_link_usable(&self, token: &str) -> Result<bool> {
        Ok(self
            .store
            .signin_link_usable(
                &sha256_hex(token.as_bytes()),
                LinkPurpose::Password,
                self.now(),
            )
            .await?)
    }

    /// Sets the password chosen through a link, ends the account's other sessions and
    /// signs its owner in here. A used, expired or unknown link answers alike; a weak
    /// password is refused before the link is spent, so the holder can try another.
    pub async fn choose_password(&self, token: &str, password: &str) -> Result<NewSession> {
        let refused = || {
            ServiceError::invalid(
                "token",
                ErrorCode::PasswordLinkInvalid,
                "this link has expired or was already used; ask for a new one",
            )
        };
        if !self.password_link_usable(token).await? {
            return Err(refused());
        }
        let hash = hash_blocking(password.to_string()).await?;
        let audit = NewAudit {
            actor_id: None,
            action: "password_changed".into(),
            data: serde_json::json!({"by": "mailed link"}).to_string(),
        };
        let user_id = self
            .store
            .use_password_link(&sha256_hex(token.as_bytes()), &hash, &audit, self.now())
            .await?
            .ok_or_else(refused)?;
        match self.store.user(user_id).await? {
            Some(u) if u.active => self.open_session(u.id).await,
            _ => Err(refused()),
        }
    }

    /// An admin has a password link sent to a staff member (who forgot it, or never
    /// chose one). Refused while the address has had its share of links lately.
    pub async fn send_password_link(&self, actor: &Actor, user_id: i64) -> Result<()> {
        if !actor.may_view_agents() {
            return Err(ServiceError::not_found("agent", ErrorCode::AgentNotFound));
        }
        self.require(actor.may_configure(), "reset staff passwords")?;
        self.require_mail()?;
        let u = match self.store.user(user_id).await? {
            Some(u) if u.role != "customer" => u,
            _ => return Err(ServiceError::not_found("agent", ErrorCode::AgentNotFound)),
        };
        if !u.active {
            return Err(ServiceError::invalid(
                "user",
                ErrorCode::AccountInactive,
                "this account is switched off; switch it on before sending a link",
            ));
        }
        let address = EmailAddress::parse(&u.email)?;
        let grant = self.password_link(&u, LINK_MS, reset_mail);
        if !self.grant_link(&address, Some(&grant)).await? {
            return Err(ServiceError::Throttled {
                retry_after_secs: (LINK_WINDOW_MS / 1000) as u64,
            });
        }
        self.store
            .append_audit(
                &NewAudit {
                    actor_id: Some(actor.user_id),
                    action: "password_link_sent".into(),
                    data: "{}".into(),
                },
                "user",
                user_id,
                self.now(),
            )
            .await?;
        Ok(())
    }

    /// Adds a staff member (admins). Without a password, a link to choose one goes to
    /// their address, valid for [`WELCOME_LINK_MS`]; with no outgoing mail set up, a
    /// password must be given (there would be no way for them to sign in).
    pub async fn add_staff(&self, actor: &Actor, input: NewAgent) -> Result<StaffAdded> {
        let needs_link = input.password.as_deref().is_none_or(str::is_empty);
        if needs_link && self.mail.is_none() {
            return Err(ServiceError::invalid(
                "password",
                ErrorCode::MissingPassword,
                "outgoing mail is not set up, so no link can reach them: give them a first password",
            ));
        }
        let input = NewAgent {
            password: input.password.filter(|p| !p.is_empty()),
            ..input
        };
        let agent = self.create_agent(Some(actor), input).await?;
        if needs_link {
            let u = self
                .store
                .user(agent.id)
                .await?
                .ok_or_else(|| ServiceError::not_found("agent", ErrorCode::AgentNotFound))?;
            let address = EmailAddress::parse(&u.email)?;
            let grant = self.password_link(&u, WELCOME_LINK_MS, welcome_staff_mail);
            self.grant_link(&address, Some(&grant)).await?;
        }
        Ok(StaffAdded {
            agent,
            link_mailed: needs_link,
        })
    }

    fn require_mail(&self) -> Result<()> {
        match self.mail {
            Some(_) => Ok(()),
            None => Err(ServiceError::not_found(
                "password link",
                ErrorCode::MailNotConfigured,
            )),
        }
    }

    fn password_link(
        &self,
        u: &UserRow,
        valid_ms: i64,
        compose: fn(&str, &str, &str, i64) -> NewMail,
    ) -> NewSigninLink {
        let public_url = self.mail.as_ref().map(|m| m.public_url.as_str());
        let token = new_secret("hp_");
        let url = format!("{}/signin/password/{token}", public_url.unwrap_or(""));
        NewSigninLink {
            token_hash: sha256_hex(token.as_bytes()),
            user_id: u.id,
            expires_at: self.now() + valid_ms,
            password_hash: None,
            purpose: LinkPurpose::Password,
            mail: compose(&u.name, &u.email, &url, valid_ms),
        }
    }

    /// Stores and mails `grant` under the per-address limit; false when the limit held
    /// it back (the request is counted either way).
    async fn grant_link(
        &self,
        address: &EmailAddress,
        grant: Option<&NewSigninLink>,
    ) -> Result<bool> {
        let now = self.now();
        let granted = self
            .store
            .request_signin_link(
                &sha256_hex(address.as_str().as_bytes()),
                now - LINK_WINDOW_MS,
                LINKS_PER_WINDOW,
                grant,
                now,
            )
            .await?;
        if granted {
            self.wake_mail();
        }
        Ok(granted)
    }
}

/// "15 minutes", "3 days": how long a link works, in words.
fn validity(ms: i64) -> String {
    let minutes = ms / 60_000;
    match minutes {
        m if m % (24 * 60) == 0 => format!("{} days", m / (24 * 60)),
        m if m % 60 == 0 => format!("{} hours", m / 60),
        m => format!("{m} minutes"),
    }
}

fn reset_mail(name: &str, to: &str, url: &str, valid_ms: i64) -> NewMail {
    mail(
        "password_reset",
        to,
        "Choose a new password",
        &[
            format!("Hello {name},"),
            format!(
                "Someone asked to reset the password of your help desk account. Open this link within {} to choose a new one; it works once, and signs out wherever the old password is in use. If it was not you, ignore this mail: your password stays as it is.",
                validity(valid_ms)
            ),
        ],
        Some(url),
    )
}

fn welcome_staff_mail(name: &str, to: &str, url: &str, valid_ms: i64) -> NewMail {
    mail(
        "staff_welcome",
        to,
        "Your help desk account",
        &[
            format!("Hello {name},"),
            format!(
                "An administrator added you to the help desk. Open this link within {} to choose your password and sign in; it works once. If the link has expired, ask for a new one from the sign-in page (\"Forgot your password?\").",
                validity(valid_ms)
            ),
        ],
        Some(url),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_reads_in_the_largest_whole_unit() {
        assert_eq!(validity(LINK_MS), "15 minutes");
        assert_eq!(validity(WELCOME_LINK_MS), "3 days");
        assert_eq!(validity(2 * 60 * 60 * 1000), "2 hours");
    }

    #[test]
    fn the_mails_escape_names_and_carry_the_link() {
        for m in [
            reset_mail(
                "<i>Eve</i>",
                "eve@example.org",
                "http://h/signin/password/hp_1",
                LINK_MS,
            ),
            welcome_staff_mail(
                "<i>Eve</i>",
                "eve@example.org",
                "http://h/signin/password/hp_1",
                WELCOME_LINK_MS,
            ),
        ] {
            let html = m.body_html.unwrap();
            assert!(html.contains("&lt;i&gt;Eve"), "{html}");
            assert!(m.body_text.contains("http://h/signin/password/hp_1"));
        }
    }
}
