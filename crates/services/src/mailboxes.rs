//! The desk's mailboxes (an address routed to a team, optionally fetched over IMAP),
//! the quarantine of mail kept aside, and, for staff, the mail a message came from.

use crate::ErrorCode;
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::EmailAddress;
use heard_store::{MailboxRow, QuarantineRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxInput {
    /// The address customers write to, e.g. `billing@example.com`.
    pub address: String,
    /// The team its mail goes to.
    pub team_id: i64,
    /// `imaps://user:password@host/INBOX` (or `imap://` on loopback) to fetch its mail;
    /// the password is kept and never shown back.
    pub imap_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MailboxView {
    pub id: i64,
    pub address: String,
    pub team_id: i64,
    /// The IMAP URL without its password.
    pub imap_url: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<MailboxRow> for MailboxView {
    fn from(m: MailboxRow) -> Self {
        MailboxView {
            id: m.id,
            address: m.address,
            team_id: m.team_id,
            imap_url: m.imap_url.as_deref().map(without_password),
            created_at: crate::views::rfc3339(m.created_at),
            updated_at: crate::views::rfc3339(m.updated_at),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuarantineQuery {
    /// The page's `next_after`, for the next page.
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuarantineView {
    pub id: i64,
    /// Why it was kept aside (`spam`, `empty`, `automatic_list`, …).
    pub reason: String,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub subject: String,
    pub size: i64,
    pub created_at: String,
}

impl From<QuarantineRow> for QuarantineView {
    fn from(q: QuarantineRow) -> Self {
        QuarantineView {
            id: q.id,
            reason: q.reason,
            sender: q.sender,
            recipient: q.recipient,
            subject: q.subject,
            size: q.size,
            created_at: crate::views::rfc3339(q.created_at),
        }
    }
}

/// The mail a ticket message came from, for staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageMailView {
    pub message_id: Option<String>,
    /// Every header as it arrived: `[[name, value], …]`.
    pub headers: Vec<(String, String)>,
    /// The quoted history and signature folded away from the message's text.
    pub folded: String,
    /// Where to download the original `.eml`.
    pub original_url: String,
}

/// `imaps://user:secret@host/INBOX` → `imaps://user@host/INBOX`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => format!("{}@{host}", user.split(':').next().unwrap_or("")),
        None => authority.to_string(),
    };
    if path.is_empty() {
        format!("{scheme}://{authority}")
    } else {
        format!("{scheme}://{authority}/{path}")
    }
}

fn imap_url(url: Option<&str>) -> Result<Option<String>> {
    let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let host = url
        .strip_prefix("imaps://")
        .or_else(|| url.strip_prefix("imap://"))
        .map(|rest| rest.split('/').next().unwrap_or(""))
        .map(|a| a.rsplit('@').next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() && url.len() <= 500 && !url.contains(char::is_whitespace) => {
            Ok(Some(url.to_string()))
        }
        _ => Err(ServiceError::invalid(
            "imap_url",
            ErrorCode::InvalidImapUrl,
            "an IMAP URL looks like imaps://user:password@host/INBOX (imap:// only on loopback)",
        )),
    }
}

impl Services {
    fn require_admin(&self, actor: &Actor, what: &str) -> Result<()> {
        if actor.may_configure() {
            Ok(())
        } else {
            Err(ServiceError::forbidden(format!("only admins may {what}")))
        }
    }

    async fn mailbox_row(&self, input: &MailboxInput) -> Result<(String, Option<String>)> {
        let address = EmailAddress::parse(&input.address).map_err(|mut e| {
            e.field = Some("address");
            e
        })?;
        if self.store.team(input.team_id).await?.is_none() {
            return Err(ServiceError::invalid(
                "team_id",
                ErrorCode::TeamNotFound,
                format!("team {} does not exist", input.team_id),
            ));
        }
        Ok((
            address.as_str().to_lowercase(),
            imap_url(input.imap_url.as_deref())?,
        ))
    }

    pub async fn mailboxes(&self, actor: &Actor) -> Result<Vec<MailboxView>> {
        self.require_admin(actor, "see mailboxes")?;
        Ok(self
            .store
            .mailboxes()
            .await?
            .into_iter()
            .map(MailboxView::from)
            .collect())
    }

    pub async fn mailbox(&self, actor: &Actor, id: i64) -> Result<MailboxView> {
        self.require_admin(actor, "see mailboxes")?;
        self.store
            .mailbox(id)
            .await?
            .map(MailboxView::from)
            .ok_or(ServiceError::not_found(
                "mailbox",
                ErrorCode::MailboxNotFound,
            ))
    }

    pub async fn create_mailbox(&self, actor: &Actor, input: MailboxInput) -> Result<MailboxView> {
        self.require_admin(actor, "add mailboxes")?;
        let (address, imap) = self.mailbox_row(&input).await?;
        let id = self
            .store
            .create_mailbox(&address, input.team_id, imap.as_deref(), self.now())
            .await?;
        self.mailbox(actor, id).await
    }

    /// Replaces a mailbox. An absent `imap_url` keeps the stored one (whose password the
    /// caller never saw); an empty one removes it.
    pub async fn update_mailbox(
        &self,
        actor: &Actor,
        id: i64,
        input: MailboxInput,
    ) -> Result<MailboxView> {
        self.require_admin(actor, "change mailboxes")?;
        let old = self
            .store
            .mailbox(id)
            .await?
            .ok_or(ServiceError::not_found(
                "mailbox",
                ErrorCode::MailboxNotFound,
            ))?;
        let (address, imap) = self.mailbox_row(&input).await?;
        let imap = match input.imap_url {
            None => old.imap_url,
            Some(_) => imap,
        };
        if !self
            .store
            .update_mailbox(id, &address, input.team_id, imap.as_deref(), self.now())
            .await?
        {
            return Err(ServiceError::not_found(
                "mailbox",
                ErrorCode::MailboxNotFound,
            ));
        }
        self.mailbox(actor, id).await
    }

    pub async fn delete_mailbox(&self, actor: &Actor, id: i64) -> Result<()> {
        self.require_admin(actor, "remove mailboxes")?;
        if self.store.delete_mailbox(id).await? {
            Ok(())
        } else {
            Err(ServiceError::not_found(
                "mailbox",
                ErrorCode::MailboxNotFound,
            ))
        }
    }

    /// Mail kept aside, newest first (admins).
    pub async fn quarantine(
        &self,
        actor: &Actor,
        q: QuarantineQuery,
    ) -> Result<crate::views::Page<QuarantineView>> {
        self.require_admin(actor, "see the mail quarantine")?;
        let limit = crate::page_limit(q.limit)?;
        let rows = self.store.quarantined(q.after, limit + 1).await?;
        let more = rows.len() as i64 > limit;
        let items: Vec<QuarantineView> = rows
            .into_iter()
            .take(limit as usize)
            .map(QuarantineView::from)
            .collect();
        Ok(crate::views::Page {
            next_after: if more {
                items.last().map(|q| q.id)
            } else {
                None
            },
            items,
            next_cursor: None,
        })
    }

    async fn quarantined_row(&self, id: i64) -> Result<QuarantineRow> {
        self.store
            .quarantined_mail(id)
            .await?
            .ok_or(ServiceError::not_found(
                "quarantined mail",
                ErrorCode::QuarantineNotFound,
            ))
    }

    /// Opens a ticket from a quarantined mail, as if it had been let through, and takes
    /// it out of quarantine. Returns the ticket's id.
    pub async fn release_quarantined(&self, actor: &Actor, id: i64) -> Result<i64> {
        self.require_admin(actor, "release quarantined mail")?;
        let q = self.quarantined_row(id).await?;
        let raw =
            self.store.blob(&q.raw_sha256).await?.ok_or_else(|| {
                ServiceError::Internal("quarantined mail without its bytes".into())
            })?;
        let ticket_id = self.release_mail(&raw).await?;
        self.store.unquarantine(id).await?;
        Ok(ticket_id)
    }

    pub async fn delete_quarantined(&self, actor: &Actor, id: i64) -> Result<()> {
        self.require_admin(actor, "delete quarantined mail")?;
        if self.store.unquarantine(id).await? {
            Ok(())
        } else {
            Err(ServiceError::not_found(
                "quarantined mail",
                ErrorCode::QuarantineNotFound,
            ))
        }
    }

    /// The mail a message came from: staff only, under the ticket's 404 rules.
    pub async fn message_mail(
        &self,
        actor: &Actor,
        ticket_id: i64,
        message_id: i64,
    ) -> Result<(MessageMailView, String)> {
        let not_found = || ServiceError::not_found("mail", ErrorCode::MailNotFound);
        if !actor.is_staff() {
            return Err(not_found());
        }
        self.visible_ticket(actor, ticket_id).await?;
        let on_ticket = self
            .store
            .messages(ticket_id, true)
            .await?
            .iter()
            .any(|m| m.id == message_id);
        if !on_ticket {
            return Err(not_found());
        }
        let row = self
            .store
            .message_mail(message_id)
            .await?
            .ok_or_else(not_found)?;
        let sha = row.raw_sha256.ok_or_else(not_found)?;
        Ok((
            MessageMailView {
                message_id: row.message_id,
                headers: serde_json::from_str(&row.headers).unwrap_or_default(),
                folded: row.folded,
                original_url: format!(
                    "/api/v1/tickets/{ticket_id}/messages/{message_id}/mail/original"
                ),
            },
            sha,
        ))
    }

    /// The original `.eml` of a message that came by mail (staff, the ticket's 404 rules).
    pub async fn message_original(
        &self,
        actor: &Actor,
        ticket_id: i64,
        message_id: i64,
    ) -> Result<Vec<u8>> {
        let (_, sha) = self.message_mail(actor, ticket_id, message_id).await?;
        self.store
            .blob(&sha)
            .await?
            .ok_or(ServiceError::not_found("mail", ErrorCode::MailNotFound))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_a_password_back() {
        assert_eq!(
            without_password("imaps://desk:s3cret@mail.example.org/INBOX"),
            "imaps://desk@mail.example.org/INBOX"
        );
        assert_eq!(
            without_password("imap://127.0.0.1:1143"),
            "imap://127.0.0.1:1143"
        );
        assert!(imap_url(Some("https://x")).is_err());
        assert!(imap_url(Some("imaps://")).is_err());
        assert_eq!(imap_url(Some(" ")).unwrap(), None);
    }
}
