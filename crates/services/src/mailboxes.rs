//! The desk's mailboxes (an address routed to a team, optionally fetched over IMAP),
//! the quarantine of mail kept aside, and, for staff, the mail a message came from.

use crate::ErrorCode;
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::EmailAddress;
use heard_mail::imap::{self, ImapDraft, ImapSettings};
use heard_store::{ImapChange, ImapSettingsRow, MailboxImapRow, MailboxRow, QuarantineRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxInput {
    /// The address customers write to, e.g. `billing@example.com`.
    pub address: String,
    /// The team its mail goes to.
    pub team_id: i64,
    /// Shorthand for `imap`: `imaps://user:password@host/INBOX` (TLS), `imap://…`
    /// (STARTTLS; plain text when the host is this machine); taken-in mail is flagged
    /// `\Seen`. An empty string stops fetching; left out, the stored settings stay.
    pub imap_url: Option<String>,
    /// Fetch this mailbox's mail over IMAP. Left out, the stored settings stay; `null`
    /// stops fetching.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ImapInput>)]
    pub imap: Option<Option<ImapInput>>,
}

/// `null` is `Some(None)`, so that it differs from a field left out (`None`).
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<ImapInput>>, D::Error> {
    Option::<ImapInput>::deserialize(d).map(Some)
}

/// Where and how to fetch a mailbox's mail.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImapInput {
    /// The IMAP server, e.g. `imap.example.com`.
    pub host: Option<String>,
    /// Default: 993 with `tls`, 143 otherwise.
    pub port: Option<i64>,
    /// `tls` (the default), `starttls`, or `none` (plain text, only to a server on this
    /// machine).
    pub security: Option<String>,
    pub username: Option<String>,
    /// Kept, never shown back. Left out on a change, the stored one stays, as long as the
    /// host and user name stay the same.
    pub password: Option<String>,
    /// The folder to fetch from. Default: `INBOX`.
    pub folder: Option<String>,
    /// What happens to a message on the server once it is taken in: `seen` (flag it
    /// `\Seen`, the default) or `move` (to `move_to`).
    pub after_import: Option<String>,
    pub move_to: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MailboxView {
    pub id: i64,
    pub address: String,
    pub team_id: i64,
    /// Where its mail is fetched from, as a URL without the password.
    pub imap_url: Option<String>,
    /// Its IMAP settings and how fetching goes, when its mail is fetched.
    pub imap: Option<ImapView>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImapView {
    pub host: String,
    pub port: u16,
    pub security: String,
    pub username: String,
    /// Always `set`: the password is never shown back.
    pub password: String,
    pub folder: String,
    pub after_import: String,
    pub move_to: Option<String>,
    /// `waiting` (not polled yet), `ok` (the last poll went through) or `failing` (the
    /// last attempt failed: see `last_error`).
    pub state: String,
    /// When a poll last went through to the end.
    pub last_success_at: Option<String>,
    /// What went wrong last, and when.
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    /// The folder's UIDVALIDITY and the last UID taken in and handled.
    pub uid_validity: Option<i64>,
    pub last_uid: i64,
}

impl ImapView {
    fn new(s: &ImapSettings, status: Option<&MailboxImapRow>) -> ImapView {
        let at = |ms: Option<i64>| ms.map(crate::views::rfc3339);
        let (ok, failed) = (
            status.and_then(|r| r.last_success_at),
            status.and_then(|r| r.last_error_at),
        );
        let state = match (ok, failed) {
            (_, Some(f)) if ok.is_none_or(|o| f > o) => "failing",
            (Some(_), _) => "ok",
            _ => "waiting",
        };
        ImapView {
            host: s.host.clone(),
            port: s.port,
            security: s.security.as_str().into(),
            username: s.username.clone(),
            password: "set".into(),
            folder: s.folder.clone(),
            after_import: s.after_import.as_str().into(),
            move_to: s.after_import.move_to().map(str::to_string),
            state: state.into(),
            last_success_at: at(ok),
            last_error: status.and_then(|r| r.last_error.clone()),
            last_error_at: at(failed),
            uid_validity: status.and_then(|r| r.uid_validity),
            last_uid: status.map(|r| r.last_uid).unwrap_or(0),
        }
    }
}

fn mailbox_view(m: MailboxRow, imap: Option<&MailboxImapRow>) -> MailboxView {
    let settings = match imap {
        Some(row) => crate::imap_intake::settings_of(row).ok(),
        // An IMAP URL kept by an older version, not yet turned into settings.
        None => m
            .imap_url
            .as_deref()
            .and_then(|u| imap::settings_from_url(u).ok()),
    };
    MailboxView {
        id: m.id,
        address: m.address,
        team_id: m.team_id,
        imap_url: settings.as_ref().map(imap::display_url),
        imap: settings.as_ref().map(|s| ImapView::new(s, imap)),
        created_at: crate::views::rfc3339(m.created_at),
        updated_at: crate::views::rfc3339(m.updated_at),
    }
}

pub(crate) fn settings_row(s: &ImapSettings) -> ImapSettingsRow {
    ImapSettingsRow {
        host: s.host.clone(),
        port: s.port.into(),
        security: s.security.as_str().into(),
        username: s.username.clone(),
        password: s.password.clone(),
        folder: s.folder.clone(),
        after_import: s.after_import.as_str().into(),
        move_to: s.after_import.move_to().map(str::to_string),
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

impl Services {
    fn require_admin(&self, actor: &Actor, what: &str) -> Result<()> {
        if actor.may_configure() {
            Ok(())
        } else {
            Err(ServiceError::forbidden(format!("only admins may {what}")))
        }
    }

    async fn mailbox_address(&self, input: &MailboxInput) -> Result<String> {
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
        Ok(address.as_str().to_lowercase())
    }

    /// What the input does to the IMAP settings, given those stored (`old`).
    fn imap_change(
        &self,
        input: &MailboxInput,
        old: Option<&MailboxImapRow>,
    ) -> Result<ImapChange> {
        let url = input.imap_url.as_deref().map(str::trim);
        match (&input.imap, url) {
            (Some(Some(_)), Some(u)) if !u.is_empty() => Err(ServiceError::invalid(
                "imap_url",
                ErrorCode::InvalidImapUrl,
                "give imap or imap_url, not both",
            )),
            (Some(Some(i)), _) => {
                let host = i.host.as_deref().map(str::trim).unwrap_or_default();
                // A password kept for one server and user is never sent to another.
                let stored = old
                    .filter(|o| {
                        o.host.eq_ignore_ascii_case(host)
                            && Some(o.username.as_str()) == i.username.as_deref()
                    })
                    .map(|o| o.password.as_str());
                let draft = ImapDraft {
                    host: i.host.clone(),
                    port: i.port,
                    security: i.security.clone(),
                    username: i.username.clone(),
                    password: i.password.clone(),
                    folder: i.folder.clone(),
                    after_import: i.after_import.clone(),
                    move_to: i.move_to.clone(),
                };
                let s = imap::settings(&draft, stored).map_err(|r| {
                    ServiceError::invalid(r.field, ErrorCode::InvalidImapSettings, r.message)
                })?;
                Ok(ImapChange::Set(settings_row(&s)))
            }
            (Some(None), _) => Ok(ImapChange::Remove),
            (None, Some("")) => Ok(ImapChange::Remove),
            (None, Some(u)) => {
                let s = imap::settings_from_url(u).map_err(|r| {
                    ServiceError::invalid(r.field, ErrorCode::InvalidImapUrl, r.message)
                })?;
                Ok(ImapChange::Set(settings_row(&s)))
            }
            (None, None) => Ok(ImapChange::Keep),
        }
    }

    pub async fn mailboxes(&self, actor: &Actor) -> Result<Vec<MailboxView>> {
        self.require_admin(actor, "see mailboxes")?;
        let imap = self.store.imap_mailboxes().await?;
        Ok(self
            .store
            .mailboxes()
            .await?
            .into_iter()
            .map(|m| {
                let status = imap.iter().find(|i| i.mailbox_id == m.id);
                mailbox_view(m, status)
            })
            .collect())
    }

    pub async fn mailbox(&self, actor: &Actor, id: i64) -> Result<MailboxView> {
        self.require_admin(actor, "see mailboxes")?;
        let not_found = || ServiceError::not_found("mailbox", ErrorCode::MailboxNotFound);
        let m = self.store.mailbox(id).await?.ok_or_else(not_found)?;
        let imap = self.store.mailbox_imap(id).await?;
        Ok(mailbox_view(m, imap.as_ref()))
    }

    pub async fn create_mailbox(&self, actor: &Actor, input: MailboxInput) -> Result<MailboxView> {
        self.require_admin(actor, "add mailboxes")?;
        let address = self.mailbox_address(&input).await?;
        let imap = self.imap_change(&input, None)?;
        let id = self
            .store
            .create_mailbox(&address, input.team_id, imap, self.now())
            .await?;
        self.mailbox(actor, id).await
    }

    /// Replaces a mailbox. Left out, `imap` (and `imap_url`) keep the stored settings,
    /// whose password the caller never saw; `null` (or an empty URL) stops fetching.
    pub async fn update_mailbox(
        &self,
        actor: &Actor,
        id: i64,
        input: MailboxInput,
    ) -> Result<MailboxView> {
        self.require_admin(actor, "change mailboxes")?;
        let not_found = || ServiceError::not_found("mailbox", ErrorCode::MailboxNotFound);
        self.store.mailbox(id).await?.ok_or_else(not_found)?;
        let address = self.mailbox_address(&input).await?;
        let old = self.store.mailbox_imap(id).await?;
        let imap = self.imap_change(&input, old.as_ref())?;
        if !self
            .store
            .update_mailbox(id, &address, input.team_id, imap, self.now())
            .await?
        {
            return Err(not_found());
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
        let s = imap::settings_from_url("imaps://desk:s3cret@mail.example.org/INBOX").unwrap();
        let row = MailboxRow {
            id: 1,
            address: "help@example.org".into(),
            team_id: 1,
            imap_url: Some("imaps://desk:s3cret@mail.example.org/INBOX".into()),
            created_at: 0,
            updated_at: 0,
        };
        let v = serde_json::to_string(&mailbox_view(row, None)).unwrap();
        assert!(!v.contains("s3cret"), "{v}");
        assert!(v.contains(r#""password":"set""#), "{v}");
        assert_eq!(imap::display_url(&s), "imaps://desk@mail.example.org/INBOX");
    }
}
