//! Outgoing mail and the one-time sign-in links it carries.
//!
//! Mail is never sent from a request: the use case queues it in the database in the same
//! transaction as what it announces, so a 2xx means the mail will go out, and the outbox
//! sweep (any process, any number of them) sends it, retrying with backoff while the SMTP
//! server is away.
//!
//! A sign-in link signs a customer in once, within [`LINK_MS`]; only its hash is stored.
//! Asking for one answers the same whether or not the address has an account, and each
//! address gets at most [`LINKS_PER_WINDOW`] links per [`LINK_WINDOW_MS`].

use crate::ErrorCode;
use crate::auth::{NewSession, new_secret, sha256_hex};
use crate::{Result, ServiceError, Services};
use heard_domain::{EmailAddress, Role};
use heard_mail::{Mailer, OutgoingMail, SendError, escape_html};
use heard_store::{LinkPurpose, MailRow, NewMail, NewSigninLink};
use std::sync::Arc;

/// How long a sign-in link works.
pub const LINK_MS: i64 = 15 * 60 * 1000;
/// At most this many links per address…
pub const LINKS_PER_WINDOW: i64 = 3;
/// …in this long.
pub const LINK_WINDOW_MS: i64 = 15 * 60 * 1000;
/// One attempt may hold a mail this long before another process may try it.
const CLAIM_MS: i64 = 2 * 60 * 1000;
/// Attempts before a mail is given up (the backoff makes that about a day).
pub const MAX_ATTEMPTS: i64 = 12;

/// The SMTP server, the address links point at, and a bell that wakes the sweep when
/// something was queued.
#[derive(Clone)]
pub struct Outgoing {
    pub mailer: Mailer,
    /// Where this help desk is reached from outside, e.g. `https://help.example.com`;
    /// links in mail point here (never at a request's Host header, which a caller
    /// chooses).
    pub public_url: String,
    wake: Arc<tokio::sync::Notify>,
}

/// Seconds to wait after the `attempts`-th failure: 30 s doubling, at most an hour.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let doublings = (attempts - 1).clamp(0, 20) as u32;
    (30_000i64 << doublings).min(60 * 60 * 1000)
}

impl Services {
    /// The same services with outgoing mail through `mailer`.
    pub fn with_mail(mut self, mailer: Mailer, public_url: &str) -> Services {
        self.mail = Some(Outgoing {
            mailer,
            public_url: public_url.trim_end_matches('/').to_string(),
            wake: Default::default(),
        });
        self
    }

    /// Whether sign-in links (and any other mail) can be sent.
    pub fn mail_configured(&self) -> bool {
        self.mail.is_some()
    }

    /// Sends what is due in the outbox; returns how many went out. Safe to run in several
    /// processes at once: each mail is claimed before it is sent.
    pub async fn run_mail_outbox(&self) -> Result<usize> {
        let Some(out) = &self.mail else {
            return Ok(0);
        };
        let now = self.now();
        let mut sent = 0;
        for row in self.store.mail_due(now, 50).await? {
            if !self.store.claim_mail(row.id, now, now + CLAIM_MS).await? {
                continue;
            }
            let attempt = row.attempts + 1;
            let mut mail = outgoing(&row);
            mail.headers = self.store.mail_headers(row.id).await?;
            match out.mailer.send(&mail).await {
                Ok(()) => {
                    self.store.mail_sent(row.id, self.now()).await?;
                    sent += 1;
                }
                Err(e) => {
                    let retry = match &e {
                        SendError::Transient(_) if attempt < MAX_ATTEMPTS => {
                            Some(self.now() + retry_delay_ms(attempt))
                        }
                        _ => None,
                    };
                    match retry {
                        Some(_) => {
                            tracing::warn!(mail = row.id, purpose = %row.purpose, attempt, error = %e, "sending mail failed; will retry")
                        }
                        None => {
                            tracing::error!(mail = row.id, purpose = %row.purpose, attempt, error = %e, "sending mail failed; giving up")
                        }
                    }
                    self.store
                        .mail_failed(row.id, &e.to_string(), retry, self.now())
                        .await?;
                }
            }
        }
        // Old link requests only matter to the rate limit; used links to nobody.
        self.store
            .prune_signin_links(now - 24 * 60 * 60 * 1000)
            .await?;
        Ok(sent)
    }

    /// Sends mail forever: every `every`, and at once when something is queued (the
    /// `heard serve` background task).
    pub async fn mail_loop(self, every: std::time::Duration) {
        let Some(wake) = self.mail.as_ref().map(|m| m.wake.clone()) else {
            return;
        };
        loop {
            if let Err(e) = self.queue_ticket_replies().await {
                tracing::warn!(error = %e, "queueing replies by mail failed; retrying");
            }
            if let Err(e) = self.run_mail_outbox().await {
                tracing::warn!(error = %e, "mail sweep failed; retrying");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = wake.notified() => {}
            }
        }
    }

    pub(crate) fn wake_mail(&self) {
        if let Some(m) = &self.mail {
            m.wake.notify_one();
        }
    }

    /// Asks for a sign-in link to `email`. The answer is the same whether or not there is
    /// an account (only a malformed address is refused, which tells nothing): the link
    /// goes only to an active customer's address, at most [`LINKS_PER_WINDOW`] times per
    /// [`LINK_WINDOW_MS`]. Staff sign in with their password.
    pub async fn request_sign_in_link(
        &self,
        email: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<()> {
        let Some(out) = &self.mail else {
            return Err(ServiceError::not_found(
                "sign-in link",
                ErrorCode::MailNotConfigured,
            ));
        };
        let address = EmailAddress::parse(email)?;
        self.throttle_requests(client).await?;
        let now = self.now();
        let user = self.store.user_by_email(address.as_str()).await?;
        let grant = user
            .filter(|u| u.active && u.role == Role::Customer.as_str())
            .map(|u| {
                let token = new_secret("hl_");
                let url = format!("{}/signin/link/{token}", out.public_url);
                NewSigninLink {
                    token_hash: sha256_hex(token.as_bytes()),
                    user_id: u.id,
                    expires_at: now + LINK_MS,
                    password_hash: None,
                    purpose: LinkPurpose::SignIn,
                    mail: sign_in_mail(&u.name, address.as_str(), &url),
                }
            });
        let granted = self
            .store
            .request_signin_link(
                &sha256_hex(address.as_str().as_bytes()),
                now - LINK_WINDOW_MS,
                LINKS_PER_WINDOW,
                grant.as_ref(),
                now,
            )
            .await?;
        if granted {
            self.wake_mail();
        }
        Ok(())
    }

    /// Whether a link would still sign someone in, without using it up.
    pub async fn sign_in_link_usable(&self, token: &str) -> Result<bool> {
        Ok(self
            .store
            .signin_link_usable(
                &sha256_hex(token.as_bytes()),
                LinkPurpose::SignIn,
                self.now(),
            )
            .await?)
    }

    /// Signs in with a link from a mail, which then stops working. A used, expired or
    /// unknown link answers alike.
    pub async fn sign_in_with_link(&self, token: &str) -> Result<NewSession> {
        let refused = || {
            ServiceError::invalid(
                "token",
                ErrorCode::SignInLinkInvalid,
                "this sign-in link has expired or was already used; ask for a new one",
            )
        };
        let user_id = self
            .store
            .use_signin_link(&sha256_hex(token.as_bytes()), self.now())
            .await?
            .ok_or_else(refused)?;
        match self.store.user(user_id).await? {
            Some(u) if u.active => self.open_session(u.id).await,
            _ => Err(refused()),
        }
    }

    /// The outbox's newest mail (tests and operators).
    pub async fn recent_mail(&self, limit: i64) -> Result<Vec<MailRow>> {
        Ok(self.store.recent_mail(limit).await?)
    }
}

fn outgoing(row: &MailRow) -> OutgoingMail {
    OutgoingMail {
        to: row.to_address.clone(),
        subject: row.subject.clone(),
        text: row.body_text.clone(),
        html: row.body_html.clone(),
        headers: Vec::new(),
    }
}

/// The sign-in mail: plain text, and HTML built only from escaped parts.
fn sign_in_mail(name: &str, to: &str, url: &str) -> NewMail {
    let minutes = LINK_MS / 60_000;
    let text = format!(
        "Hello {name},\n\n\
         Here is your link to sign in to the help desk:\n\n{url}\n\n\
         It works once, within {minutes} minutes. If you did not ask for it, ignore this \
         mail: nobody can sign in without the link.\n"
    );
    let (name, url) = (escape_html(name), escape_html(url));
    let html = format!(
        "<!doctype html><html><body>\
         <p>Hello {name},</p>\
         <p>Here is your link to sign in to the help desk:</p>\
         <p><a href=\"{url}\">Sign in</a></p>\
         <p>Or copy this address into your browser: {url}</p>\
         <p>It works once, within {minutes} minutes. If you did not ask for it, ignore this \
         mail: nobody can sign in without the link.</p>\
         </body></html>"
    );
    NewMail {
        purpose: "signin_link".into(),
        to_address: to.to_string(),
        subject: "Your sign-in link".into(),
        body_text: text,
        body_html: Some(html),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay_ms(1), 30_000);
        assert_eq!(retry_delay_ms(2), 60_000);
        assert_eq!(retry_delay_ms(5), 480_000);
        assert_eq!(retry_delay_ms(12), 3_600_000);
    }

    #[test]
    fn the_mail_escapes_what_people_typed() {
        let m = sign_in_mail(
            "Ada <script>x</script>",
            "ada@example.org",
            "http://h/signin/link/hl_1",
        );
        let html = m.body_html.unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("Ada &lt;script&gt;"), "{html}");
        assert!(m.body_text.contains("http://h/signin/link/hl_1"));
    }
}
