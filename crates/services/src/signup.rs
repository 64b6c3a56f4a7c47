//! Self sign-up. It answers the same whether or not the address already has an account,
//! customer or staff, so nobody learns from it who is registered; the address's owner is
//! told by mail instead. A new account gets its password only once the link mailed to the
//! address is used, so nobody can claim someone else's address (and, through its domain,
//! a place in their organization) by signing up first.

use crate::ErrorCode;
use crate::auth::{NewSession, new_secret, sha256_hex};
use crate::mail::{LINK_MS, LINK_WINDOW_MS, LINKS_PER_WINDOW};
use crate::people::hash_blocking;
use crate::{Result, ServiceError, Services};
use heard_domain::people::person_name;
use heard_domain::{EmailAddress, Role};
use heard_mail::escape_html;
use heard_store::{LinkPurpose, NewMail, NewSigninLink, NewUser};
use std::net::IpAddr;

/// What a sign-up did.
#[derive(Debug)]
pub enum SignedUp {
    /// No outgoing mail is set up: the account was made and signed in at once.
    SignedIn(NewSession),
    /// A mail went (or, for a taken address, a notice went) to the address: the same
    /// answer either way.
    CheckMail,
}

impl Services {
    /// Signs a customer up from `client`. With outgoing mail, every well-formed request
    /// answers [`SignedUp::CheckMail`]: a new address gets a link that sets the password
    /// and signs in; a taken one gets a notice (with a sign-in link for a customer). Without
    /// mail there is no way to prove the address or reach its owner, so a taken address
    /// is refused and a new account joins no organization by its domain.
    pub async fn sign_up(
        &self,
        name: &str,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<SignedUp> {
        self.throttle_requests(client).await?;
        let address = EmailAddress::parse(email)?;
        let name = person_name(name)?;
        let password_hash = hash_blocking(password.to_string()).await?;
        let existing = self.store.user_by_email(address.as_str()).await?;
        let now = self.now();
        let Some(out) = &self.mail else {
            if existing.is_some() {
                return Err(ServiceError::conflict(
                    ErrorCode::AlreadyExists,
                    "there is already an account with that e-mail address; sign in instead",
                ));
            }
            let id = self
                .store
                .insert_user(&customer(&address, name, None, Some(password_hash)), now)
                .await?;
            return Ok(SignedUp::SignedIn(self.open_session(id).await?));
        };
        let address_hash = sha256_hex(address.as_str().as_bytes());
        let since = now - LINK_WINDOW_MS;
        let link = |user_id: i64,
                    password_hash: Option<String>,
                    mail: fn(&str, &str, &str) -> NewMail,
                    name: &str| {
            let token = new_secret("hl_");
            let url = format!("{}/signin/link/{token}", out.public_url);
            NewSigninLink {
                token_hash: sha256_hex(token.as_bytes()),
                user_id,
                expires_at: now + LINK_MS,
                password_hash,
                purpose: LinkPurpose::SignIn,
                mail: mail(name, address.as_str(), &url),
            }
        };
        let queued = match existing {
            None => {
                // The link proves the address, so the organization of its domain is right.
                let organization_id = self
                    .store
                    .organization_by_domain(address.domain())
                    .await?
                    .map(|o| o.id);
                let created = self
                    .store
                    .insert_user(
                        &customer(&address, name.clone(), organization_id, None),
                        now,
                    )
                    .await
                    .map_err(ServiceError::from);
                match created {
                    Ok(id) => {
                        let grant = link(id, Some(password_hash), welcome_mail, &name);
                        self.store
                            .request_signin_link(
                                &address_hash,
                                since,
                                LINKS_PER_WINDOW,
                                Some(&grant),
                                now,
                            )
                            .await?
                    }
                    // Signed up twice at once: the other request's mail is on its way.
                    Err(ServiceError::Conflict { .. }) => false,
                    Err(e) => return Err(e),
                }
            }
            Some(u) if u.active && u.role == Role::Customer.as_str() => {
                let grant = link(u.id, None, already_customer_mail, &u.name);
                self.store
                    .request_signin_link(&address_hash, since, LINKS_PER_WINDOW, Some(&grant), now)
                    .await?
            }
            Some(u) => {
                self.store
                    .request_address_mail(
                        &address_hash,
                        since,
                        LINKS_PER_WINDOW,
                        &already_staff_mail(&u.name, address.as_str()),
                        now,
                    )
                    .await?
            }
        };
        if queued {
            self.wake_mail();
        }
        Ok(SignedUp::CheckMail)
    }
}

fn customer(
    address: &EmailAddress,
    name: String,
    organization_id: Option<i64>,
    password_hash: Option<String>,
) -> NewUser {
    NewUser {
        email: address.to_string(),
        name,
        role: Role::Customer.as_str().into(),
        password_hash,
        organization_id,
        tier: None,
        time_zone: None,
        capacity: 0,
        skills: vec![],
        team_ids: vec![],
    }
}

/// A mail in plain text and in HTML built only from escaped parts.
pub(crate) fn mail(
    purpose: &str,
    to: &str,
    subject: &str,
    paragraphs: &[String],
    url: Option<&str>,
) -> NewMail {
    let mut text = paragraphs.join("\n\n");
    let mut html = String::from("<!doctype html><html><body>");
    for p in paragraphs {
        html.push_str(&format!("<p>{}</p>", escape_html(p)));
    }
    if let Some(url) = url {
        text.push_str(&format!("\n\n{url}\n"));
        let url = escape_html(url);
        html.push_str(&format!("<p><a href=\"{url}\">{url}</a></p>"));
    }
    html.push_str("</body></html>");
    NewMail {
        purpose: purpose.into(),
        to_address: to.into(),
        subject: subject.into(),
        body_text: text,
        body_html: Some(html),
    }
}

fn welcome_mail(name: &str, to: &str, url: &str) -> NewMail {
    let minutes = LINK_MS / 60_000;
    mail(
        "signup_confirm",
        to,
        "Confirm your e-mail address",
        &[
            format!("Hello {name},"),
            format!(
                "Open this link within {minutes} minutes to confirm your address; it finishes creating your help desk account and signs you in. If you did not sign up, ignore this mail: no account gets a password without it."
            ),
        ],
        Some(url),
    )
}

fn already_customer_mail(name: &str, to: &str, url: &str) -> NewMail {
    let minutes = LINK_MS / 60_000;
    mail(
        "signup_existing",
        to,
        "You already have an account",
        &[
            format!("Hello {name},"),
            format!(
                "Someone asked to create a help desk account with this address, and you already have one. If it was you, this link signs you in (once, within {minutes} minutes). Your password was not changed. If it was not you, ignore this mail."
            ),
        ],
        Some(url),
    )
}

fn already_staff_mail(name: &str, to: &str) -> NewMail {
    mail(
        "signup_existing",
        to,
        "You already have an account",
        &[
            format!("Hello {name},"),
            "Someone asked to create a customer account at the help desk with this address, which already belongs to your staff account. Nothing was changed; sign in with your password as usual. If it was not you, you may want to tell your administrator.".into(),
        ],
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mails_escape_what_people_typed() {
        for m in [
            welcome_mail("<b>Eve</b>", "eve@example.org", "http://h/signin/link/hl_1"),
            already_customer_mail("<b>Eve</b>", "eve@example.org", "http://h/signin/link/hl_1"),
            already_staff_mail("<b>Eve</b>", "eve@example.org"),
        ] {
            let html = m.body_html.unwrap();
            assert!(!html.contains("<b>Eve"), "{html}");
            assert!(html.contains("&lt;b&gt;Eve"), "{html}");
        }
    }
}
