//! Mail in: one use case, [`Services::ingest_mail`], for every way mail arrives (the
//! SMTP listener, `heard mail import`). It claims the mail first (so a second delivery
//! of the same bytes or Message-ID counts as a duplicate, in any process), looks up the
//! facts, lets `heard_mail::intake::decide` choose, and then acts through the ordinary
//! ticket use cases, so mail gets the same rules as every other channel (frustration,
//! had-to-repeat, routing, service levels).

use crate::ErrorCode;
use crate::auth::new_secret;
use crate::tickets::{CreateTicket, NewReply};
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::Role;
use heard_mail::inbound::{self, InboundMail};
use heard_mail::intake::{self, Decision, Facts, Limits, Reason, Thread};
use heard_mail::smtp_server::Reply;
use heard_store::{MailClaim, MailOutcome, NewInboundMail, NewQuarantine, StoreError};
use serde::Serialize;

/// A claim older than this was left by a process that died; another may take it over.
pub const CLAIM_STALE_MS: i64 = 2 * 60 * 1000;
/// The window of the per-sender flood limit.
pub const FLOOD_WINDOW_MS: i64 = 60 * 60 * 1000;
/// Attachments larger than this stay in the original mail only (downloadable there).
const ATTACHMENT_BYTES: usize = crate::tickets::MAX_ATTACHMENT_BYTES;

/// What one mail became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Ingested {
    Ticket {
        ticket_id: i64,
    },
    Reply {
        ticket_id: i64,
    },
    Quarantined {
        id: i64,
        reason: String,
    },
    /// Not taken in (a bounce is recorded on the address it names).
    Rejected {
        reason: String,
    },
    Duplicate,
    /// Another process is taking the same mail in right now: ask again later.
    Busy,
}

impl Ingested {
    /// The counter an import adds this to: `tickets`, `replies`, `quarantined`,
    /// `rejected` or `duplicates`.
    pub fn counter(&self) -> &'static str {
        match self {
            Ingested::Ticket { .. } => "tickets",
            Ingested::Reply { .. } => "replies",
            Ingested::Quarantined { .. } => "quarantined",
            Ingested::Rejected { .. } => "rejected",
            Ingested::Duplicate | Ingested::Busy => "duplicates",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Ingested::Quarantined { reason, .. } | Ingested::Rejected { reason } => Some(reason),
            _ => None,
        }
    }
}

/// The desk's own addresses: `--mail-from` and every mailbox.
pub(crate) fn address_of(mailbox: &str) -> String {
    let inner = match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(a), Some(b)) if a < b => &mailbox[a + 1..b],
        _ => mailbox,
    };
    inner.trim().to_lowercase()
}

/// A ticket's reply token: 96 random bits in hex, short enough that `help+TOKEN` stays
/// within the 64 characters a mailbox name may have.
fn reply_secret() -> String {
    new_secret("")[..24].to_string()
}

/// `help+TOKEN@desk` → `TOKEN`.
fn reply_token(address: &str) -> Option<&str> {
    let (local, _) = address.split_once('@')?;
    let (_, token) = local.split_once('+')?;
    (token.len() >= 16 && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(token)
}

impl Services {
    /// The addresses mail to the desk arrives at: the sender of its own mail and every
    /// mailbox, lower case.
    pub async fn desk_addresses(&self) -> Result<Vec<String>> {
        let mut out: Vec<String> = self
            .mail
            .as_ref()
            .map(|m| address_of(&m.mailer.from_address()))
            .into_iter()
            .collect();
        out.extend(self.store.mailboxes().await?.into_iter().map(|m| m.address));
        Ok(out)
    }

    /// Takes one mail in. `recipients` are the envelope's (SMTP `RCPT TO`), empty for an
    /// import. The mail is counted once however often it is delivered: a repeat is
    /// `Duplicate`. An error leaves nothing claimed, so a redelivery tries again.
    pub async fn ingest_mail(&self, raw: &[u8], recipients: &[String]) -> Result<Ingested> {
        self.ingest(raw, recipients, Limits::default()).await
    }

    /// Takes in a mail from an archive (`heard mail import`): as [`Self::ingest_mail`],
    /// without the per-sender flood limit, which is about mail arriving now.
    pub async fn import_mail(&self, raw: &[u8]) -> Result<Ingested> {
        let limits = Limits {
            per_sender: u32::MAX,
            ..Limits::default()
        };
        self.ingest(raw, &[], limits).await
    }

    async fn ingest(&self, raw: &[u8], recipients: &[String], limits: Limits) -> Result<Ingested> {
        let parsed = inbound::parse(raw);
        let claim = NewInboundMail {
            message_id: parsed.as_ref().and_then(|m| m.message_id.clone()),
            content_hash: parsed
                .as_ref()
                .map(|m| m.content_hash.clone())
                .unwrap_or_else(|| inbound::hex_sha256(raw)),
            sender: parsed
                .as_ref()
                .and_then(|m| m.from.as_ref().map(|p| p.address.clone())),
            raw: raw.to_vec(),
            headers: parsed
                .as_ref()
                .map(|m| serde_json::to_string(&m.headers).unwrap_or_default())
                .unwrap_or_else(|| "[]".into()),
            folded: parsed
                .as_ref()
                .map(|m| m.folded.clone())
                .unwrap_or_default(),
        };
        let now = self.now();
        let claim = match self
            .store
            .claim_inbound_mail(&claim, now, now - CLAIM_STALE_MS)
            .await
        {
            Ok(MailClaim::Claimed(id)) => id,
            Ok(MailClaim::Seen) => return Ok(Ingested::Duplicate),
            Ok(MailClaim::Busy) | Err(StoreError::Duplicate(_)) => return Ok(Ingested::Busy),
            Err(e) => return Err(e.into()),
        };
        match self
            .take_in(claim, parsed.as_ref(), raw.len(), recipients, limits)
            .await
        {
            Ok(done) => Ok(done),
            Err(e) => {
                if let Err(release) = self.store.release_inbound_mail(claim).await {
                    tracing::error!(error = %release, claim, "releasing a mail claim failed; it lapses");
                }
                Err(e)
            }
        }
    }

    /// Opens a ticket from a mail that was kept aside (an admin let it through).
    pub(crate) async fn release_mail(&self, raw: &[u8]) -> Result<i64> {
        let refused = |why: &str| {
            ServiceError::conflict(
                ErrorCode::QuarantineNotReleasable,
                format!("this mail cannot become a ticket: {why}; delete it instead"),
            )
        };
        let mail = inbound::parse(raw).ok_or_else(|| refused("it is not readable as a mail"))?;
        let Some(sender) = &mail.from else {
            return Err(refused("it names no sender to answer"));
        };
        // What ticket_by_mail would keep aside again: refuse it here instead.
        if heard_domain::EmailAddress::parse(&sender.address).is_err() {
            return Err(refused("its sender's address is not usable"));
        }
        if let Some(u) = self
            .store
            .user_by_identity("email", &sender.address)
            .await?
            && (u.role != Role::Customer.as_str() || !u.active)
        {
            return Err(refused("its sender is not an active customer"));
        }
        let claim = self
            .store
            .inbound_mail_by_hash(&mail.content_hash)
            .await?
            .ok_or_else(|| ServiceError::Internal("quarantined mail without its claim".into()))?;
        let desk = self.desk_addresses().await?;
        match self.ticket_by_mail(claim, &mail, &[], &desk).await? {
            Ingested::Ticket { ticket_id } => Ok(ticket_id),
            _ => Err(refused("its sender is not a customer")),
        }
    }

    async fn take_in(
        &self,
        claim: i64,
        mail: Option<&InboundMail>,
        size: usize,
        recipients: &[String],
        limits: Limits,
    ) -> Result<Ingested> {
        let desk = self.desk_addresses().await?;
        let facts = match mail {
            Some(m) => Facts {
                limits,
                ..self.mail_facts(m, recipients, desk).await?
            },
            None => Facts::default(),
        };
        let decision = intake::decide(mail, size, &facts);
        let quarantine = |reason: Reason| self.keep_aside(claim, mail, recipients, reason.as_str());
        match (decision, mail) {
            (Decision::Quarantine(reason), _) => quarantine(reason).await,
            (Decision::Reject(reason), _) => {
                self.finish(claim, &format!("rejected:{}", reason.as_str()), None, None)
                    .await?;
                Ok(Ingested::Rejected {
                    reason: reason.as_str().into(),
                })
            }
            (Decision::Bounce(report), _) => {
                self.store
                    .record_bounce(
                        claim,
                        &report.recipient,
                        &report.status,
                        report.diagnostic.as_deref(),
                        self.now(),
                    )
                    .await?;
                Ok(Ingested::Rejected {
                    reason: "bounce_recorded".into(),
                })
            }
            (Decision::Duplicate, _) => Ok(Ingested::Duplicate),
            (Decision::Reply { ticket_id }, Some(m)) => {
                self.reply_by_mail(claim, m, ticket_id, recipients, &facts.desk_addresses)
                    .await
            }
            (Decision::NewTicket, Some(m)) => {
                self.ticket_by_mail(claim, m, recipients, &facts.desk_addresses)
                    .await
            }
            (_, None) => quarantine(Reason::Unparseable).await,
        }
    }

    async fn mail_facts(
        &self,
        m: &InboundMail,
        recipients: &[String],
        desk_addresses: Vec<String>,
    ) -> Result<Facts> {
        let ids: Vec<String> = m
            .in_reply_to
            .iter()
            .chain(m.references.iter().rev())
            .cloned()
            .collect();
        let by_headers = match self.store.ticket_for_message_ids(&ids).await? {
            Some(t) => Some(self.thread(t).await?),
            None => None,
        };
        let mut by_token = None;
        for address in recipients.iter().chain(&m.to).chain(&m.cc) {
            if let Some(token) = reply_token(address)
                && let Some(t) = self.store.ticket_for_reply_token(token).await?
            {
                by_token = Some(self.thread(t).await?);
                break;
            }
        }
        let by_subject = match intake::subject_ticket(&m.subject) {
            Some(t) => Some(self.thread(t).await?),
            None => None,
        };
        let sender_recent = match &m.from {
            // The claim just written counts itself.
            Some(p) => (self
                .store
                .inbound_mail_from(&p.address, self.now() - FLOOD_WINDOW_MS)
                .await?
                - 1)
            .max(0) as u32,
            None => 0,
        };
        Ok(Facts {
            desk_addresses,
            seen_before: false,
            by_headers,
            by_token,
            by_subject,
            sender_recent,
            limits: Limits::default(),
        })
    }

    async fn thread(&self, ticket_id: i64) -> Result<Thread> {
        let (requester, copied) = self.store.ticket_mail_people(ticket_id).await?;
        Ok(Thread {
            ticket_id,
            requester: requester.into_iter().map(|a| a.to_lowercase()).collect(),
            copied,
        })
    }

    async fn finish(
        &self,
        claim: i64,
        outcome: &str,
        ticket_id: Option<i64>,
        ticket_message_id: Option<i64>,
    ) -> Result<()> {
        Ok(self
            .store
            .finish_inbound_mail(
                claim,
                &MailOutcome {
                    outcome: outcome.into(),
                    ticket_id,
                    ticket_message_id,
                },
            )
            .await?)
    }

    async fn keep_aside(
        &self,
        claim: i64,
        mail: Option<&InboundMail>,
        recipients: &[String],
        reason: &str,
    ) -> Result<Ingested> {
        let q = NewQuarantine {
            reason: reason.into(),
            sender: mail.and_then(|m| m.from.as_ref().map(|p| p.address.clone())),
            recipient: recipients
                .first()
                .cloned()
                .or_else(|| mail.and_then(|m| m.to.first().cloned())),
            subject: mail
                .map(|m| m.subject.clone())
                .unwrap_or_else(|| "(unreadable)".into()),
        };
        let id = self.store.quarantine_mail(claim, &q, self.now()).await?;
        Ok(Ingested::Quarantined {
            id,
            reason: reason.into(),
        })
    }

    /// The team a mail goes to: the first mailbox among its recipients, else the default.
    async fn mail_team(&self, m: &InboundMail, recipients: &[String]) -> Result<Option<i64>> {
        let boxes = self.store.mailboxes().await?;
        Ok(recipients
            .iter()
            .chain(&m.to)
            .chain(&m.cc)
            .find_map(|a| boxes.iter().find(|b| &b.address == a))
            .map(|b| b.team_id))
    }

    /// The body a message gets: the new text, or a word about the attachments.
    fn mail_body(m: &InboundMail) -> String {
        if m.text.trim().is_empty() {
            "(no text; see the attached files)".into()
        } else {
            m.text.clone()
        }
    }

    async fn ticket_by_mail(
        &self,
        claim: i64,
        m: &InboundMail,
        recipients: &[String],
        desk: &[String],
    ) -> Result<Ingested> {
        let Some(sender) = &m.from else {
            return self
                .keep_aside(claim, Some(m), recipients, Reason::NoSender.as_str())
                .await;
        };
        let customer = match self
            .customer_for_email(&sender.address, sender.name.as_deref())
            .await
        {
            Ok(c) if c.role == Role::Customer.as_str() && c.active => c,
            Ok(_) => {
                return self
                    .keep_aside(claim, Some(m), recipients, "sender_not_a_customer")
                    .await;
            }
            Err(ServiceError::Invalid(_)) => {
                return self
                    .keep_aside(claim, Some(m), recipients, "invalid_sender")
                    .await;
            }
            Err(e) => return Err(e),
        };
        let team_id = self.mail_team(m, recipients).await?;
        // The desk's intake writes for the customer (every event names them) with the
        // authority to put the ticket in the mailbox's team, which a customer lacks.
        let intake = Actor {
            user_id: customer.id,
            role: Role::Admin,
            team_ids: Vec::new(),
            organization_id: customer.organization_id,
            organization_shares: false,
        };
        let input = CreateTicket {
            subject: m.subject.clone(),
            body: Self::mail_body(m),
            body_html: m.html.clone(),
            priority: None,
            channel: Some("email".into()),
            requester_email: None,
            requester_name: None,
            requester_id: Some(customer.id),
            team_id,
            assignee_id: None,
            tags: Vec::new(),
        };
        // Keyed by the mail's hash: a claim taken over after a crash replays the ticket
        // the first attempt opened instead of opening a second.
        let key = format!("mail:{}", m.content_hash);
        let (detail, _) = self.create_ticket(&intake, input, Some(&key)).await?;
        let ticket_id = detail.ticket.id;
        let message_id = detail.messages.first().map(|x| x.id);
        let customer_actor = self.actor_for_user(customer.id).await?;
        self.attach_mail_files(&customer_actor, ticket_id, m).await;
        let desk_address = recipients
            .iter()
            .chain(&m.to)
            .chain(&m.cc)
            .find(|a| desk.contains(a))
            .cloned();
        let token = self
            .store
            .ticket_reply_token(ticket_id, &reply_secret(), desk_address.as_deref())
            .await?;
        self.copy_people(ticket_id, m, desk).await?;
        self.finish(claim, "ticket", Some(ticket_id), message_id)
            .await?;
        // The mail is taken in whatever happens to its acknowledgement.
        if let Err(e) = self
            .acknowledge_by_mail(
                m,
                ticket_id,
                &detail.ticket.subject,
                &token,
                desk_address.as_deref(),
                desk,
            )
            .await
        {
            tracing::warn!(error = %e, ticket_id, "acknowledging a mail failed");
        }
        Ok(Ingested::Ticket { ticket_id })
    }

    /// Everyone on the mail but the desk and the sender is kept on the ticket, so they
    /// are copied on replies and may answer.
    async fn copy_people(&self, ticket_id: i64, m: &InboundMail, desk: &[String]) -> Result<()> {
        let sender = m.from.as_ref().map(|p| p.address.as_str());
        let people: Vec<String> = m
            .to
            .iter()
            .chain(&m.cc)
            .filter(|a| !desk.contains(a) && Some(a.as_str()) != sender && reply_token(a).is_none())
            .take(20)
            .cloned()
            .collect();
        Ok(self.store.add_ticket_copied(ticket_id, &people).await?)
    }

    /// Keeps the mail's files on the ticket. The claim is finished only after this, so a
    /// process that died halfway leaves the rest to the one taking the claim over: files
    /// already on the ticket (same name and content) are not added twice.
    async fn attach_mail_files(&self, actor: &Actor, ticket_id: i64, m: &InboundMail) {
        let kept: Vec<(String, String)> = match self.store.attachments(ticket_id).await {
            Ok(rows) => rows.into_iter().map(|r| (r.file_name, r.sha256)).collect(),
            Err(e) => {
                tracing::warn!(error = %e, ticket_id, "reading a ticket's files failed; the original mail has them");
                return;
            }
        };
        for a in &m.attachments {
            if a.bytes.is_empty() || a.bytes.len() > ATTACHMENT_BYTES {
                continue;
            }
            let sha256 = crate::auth::sha256_hex(&a.bytes);
            if kept.iter().any(|(name, sha)| {
                *sha == sha256
                    && heard_domain::attachment::attachment_name(&a.file_name)
                        .is_ok_and(|n| n == *name)
            }) {
                continue;
            }
            if let Err(e) = self
                .add_attachment(
                    actor,
                    ticket_id,
                    &a.file_name,
                    &a.content_type,
                    a.bytes.clone(),
                )
                .await
            {
                tracing::warn!(error = %e, ticket_id, file = %a.file_name, "a mail's attachment was not kept; the original mail has it");
            }
        }
    }

    async fn reply_by_mail(
        &self,
        claim: i64,
        m: &InboundMail,
        ticket_id: i64,
        recipients: &[String],
        desk: &[String],
    ) -> Result<Ingested> {
        let Some(sender) = &m.from else {
            return self
                .keep_aside(claim, Some(m), recipients, Reason::NoSender.as_str())
                .await;
        };
        let customer = self
            .customer_for_email(&sender.address, sender.name.as_deref())
            .await?;
        let actor = self.actor_for_user(customer.id).await?;
        let reply = NewReply {
            body: Self::mail_body(m),
            body_html: m.html.clone(),
            internal: false,
            channel: Some("email".into()),
        };
        match self.add_message(&actor, ticket_id, reply).await {
            Ok(message) => {
                self.attach_mail_files(&actor, ticket_id, m).await;
                self.copy_people(ticket_id, m, desk).await?;
                self.finish(claim, "reply", Some(ticket_id), Some(message.id))
                    .await?;
                Ok(Ingested::Reply { ticket_id })
            }
            // A closed ticket takes no more messages: the answer opens a follow-up.
            Err(ServiceError::Invalid(i)) if i.code == "ticket_closed" => {
                self.ticket_by_mail(claim, m, recipients, desk).await
            }
            // Someone copied whose account cannot see the ticket: kept for an agent.
            Err(ServiceError::NotFound { .. }) => {
                self.keep_aside(
                    claim,
                    Some(m),
                    recipients,
                    "copied_sender_cannot_see_ticket",
                )
                .await
            }
            Err(e) => Err(e),
        }
    }
}

/// The SMTP listener's view of the desk: which recipients are ours, and the answer to
/// give once a mail is taken in (or why not).
impl heard_mail::smtp_server::Deliver for Services {
    async fn accepts(&self, recipient: &str) -> bool {
        let Ok(desk) = self.desk_addresses().await else {
            return false;
        };
        // help+TOKEN@desk is help@desk's: the reply address of one of its tickets.
        let base = match (recipient.split_once('@'), reply_token(recipient)) {
            (Some((local, domain)), Some(_)) => {
                format!("{}@{domain}", local.split('+').next().unwrap_or(local))
            }
            _ => recipient.to_string(),
        };
        desk.contains(&base)
    }

    async fn deliver(&self, raw: Vec<u8>, recipients: Vec<String>) -> Reply {
        match self.ingest_mail(&raw, &recipients).await {
            Ok(Ingested::Busy) => {
                Reply::new(451, "4.3.0 this mail is being taken in; try again shortly")
            }
            Ok(Ingested::Rejected { reason }) if reason != "bounce_recorded" => {
                Reply::new(550, format!("5.7.1 not taken in: {reason}"))
            }
            Ok(done) => Reply::new(250, format!("2.0.0 kept ({})", done.counter())),
            Err(e) => {
                tracing::error!(error = %e, "taking in a mail failed; the sender will retry");
                Reply::new(451, "4.3.0 the mail could not be kept now; try again later")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_desk_addresses_and_reply_tokens() {
        assert_eq!(address_of("Help Desk <Help@Desk.test>"), "help@desk.test");
        assert_eq!(address_of("help@desk.test"), "help@desk.test");
        assert_eq!(
            reply_token("help+0123456789abcdef0123@desk.test"),
            Some("0123456789abcdef0123")
        );
        assert_eq!(reply_token("help+short@desk.test"), None);
        assert_eq!(reply_token("help@desk.test"), None);
    }
}
