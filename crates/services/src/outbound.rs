//! Mail out for tickets that came by mail: every public reply of staff goes to the
//! requester, copied to the people kept on the ticket (never an internal note), threaded the way mail programs expect (its own Message-ID, In-Reply-To and
//! References to the customer's mail, a Reply-To with the ticket's secret token that
//! brings the answer back), and a new ticket is acknowledged once, never to machine-sent
//! mail (RFC 3834) and at most once an hour per sender, so two desks acknowledging each
//! other stop after one round.

use crate::auth::new_secret;
use crate::customer_mail::NOT_SENT_BOUNCED;
use crate::mail_intake::address_of;
use crate::{Result, Services};
use heard_mail::inbound::InboundMail;
use heard_mail::intake::may_answer_automatically;
use heard_mail::notices::{About, ENGLISH, Notice, compose};
use heard_store::{NewMail, NewTicketMail, ReplyDueRow};

/// Acknowledgements to one address within this window…
pub const ACK_WINDOW_MS: i64 = 60 * 60 * 1000;
/// …at most this many.
pub const ACKS_PER_WINDOW: u32 = 1;

/// `help@desk.test` + token → `help+TOKEN@desk.test`.
pub(crate) fn reply_address(desk: &str, token: &str) -> String {
    match desk.split_once('@') {
        Some((local, domain)) => format!("{local}+{token}@{domain}"),
        None => desk.to_string(),
    }
}

fn angle(id: &str) -> String {
    format!("<{id}>")
}

/// The headers that thread a mail under the customer's: `references` oldest first.
pub(crate) fn threading(
    message_id: &str,
    references: &[String],
    in_reply_to: Option<&str>,
    reply_to: &str,
) -> Vec<(String, String)> {
    let mut h = vec![
        ("Message-ID".to_string(), angle(message_id)),
        ("Reply-To".to_string(), reply_to.to_string()),
    ];
    if let Some(parent) = in_reply_to {
        h.push(("In-Reply-To".into(), angle(parent)));
    }
    // The newest 20 are enough for any mail program to find the thread.
    let refs: Vec<String> = references
        .iter()
        .skip(references.len().saturating_sub(20))
        .map(|r| angle(r))
        .collect();
    if !refs.is_empty() {
        h.push(("References".into(), refs.join(" ")));
    }
    h
}

impl Services {
    /// The desk's own address (the `--mail-from`), and the domain its Message-IDs use.
    pub(crate) fn desk_sender(&self) -> Option<(String, String)> {
        let from = address_of(&self.mail.as_ref()?.mailer.from_address());
        let domain = from.split_once('@')?.1.to_string();
        Some((from, domain))
    }

    /// Queues by mail every public reply of staff on a ticket that came by mail and was
    /// not mailed yet (the outbox sweep runs this). Returns how many were queued.
    pub async fn queue_ticket_replies(&self) -> Result<usize> {
        let Some((from, domain)) = self.desk_sender() else {
            return Ok(0);
        };
        let mut queued = 0;
        for r in self.store.replies_due_by_mail(100).await? {
            if self.queue_reply(&r, &from, &domain).await? {
                queued += 1;
            }
        }
        queued += self.queue_ticket_notices().await?;
        if queued > 0 {
            self.wake_mail();
        }
        Ok(queued)
    }

    async fn queue_reply(&self, r: &ReplyDueRow, from: &str, domain: &str) -> Result<bool> {
        // To the requester, copied to the people kept on the ticket; an address that
        // bounced for good is left out (staff see why on the ticket).
        let (_, copied) = self.store.ticket_mail_people(r.ticket_id).await?;
        let mut people = vec![r.requester_email.clone()];
        for c in copied {
            if !people.iter().any(|p| p.eq_ignore_ascii_case(&c)) {
                people.push(c);
            }
        }
        let stopped = self.stopped_addresses(&people).await?;
        people.retain(|p| !stopped.contains(&p.to_lowercase()));
        if people.is_empty() {
            self.store
                .skip_ticket_mail(
                    r.ticket_id,
                    Some(r.message_id),
                    None,
                    NOT_SENT_BOUNCED,
                    self.now(),
                )
                .await?;
            return Ok(false);
        }
        let to = people.remove(0);
        let (references, last_in) = self.store.ticket_mail_ids(r.ticket_id).await?;
        let message_id = format!(
            "heard.{}.{}.{}@{domain}",
            r.ticket_id,
            r.message_id,
            &new_secret("")[..12]
        );
        let desk = r.desk_address.as_deref().unwrap_or(from);
        let mut headers = threading(
            &message_id,
            &references,
            last_in.as_deref(),
            &reply_address(desk, &r.reply_token),
        );
        if !people.is_empty() {
            headers.push(("Cc".into(), people.join(", ")));
        }
        let m = compose(
            &ENGLISH,
            &About {
                ticket_id: r.ticket_id,
                subject: &r.subject,
                name: "",
            },
            &Notice::Reply {
                text: &r.body_text,
                html: r.body_html.as_deref(),
                author: &r.author_name,
            },
        );
        let mail = NewTicketMail {
            mail: NewMail {
                purpose: "ticket_reply".into(),
                to_address: to,
                subject: m.subject,
                body_text: m.text,
                body_html: Some(m.html),
            },
            headers: serde_json::to_string(&headers).unwrap_or_default(),
            message_id,
            ticket_id: r.ticket_id,
            ticket_message_id: Some(r.message_id),
            event_id: None,
        };
        Ok(self.store.queue_ticket_mail(&mail, self.now()).await?)
    }

    /// Acknowledges a new ticket opened by `mail`, unless RFC 3834 or the per-sender
    /// limit says not to. Automatic itself: it carries `Auto-Submitted: auto-replied`.
    pub(crate) async fn acknowledge_by_mail(
        &self,
        mail: &InboundMail,
        ticket_id: i64,
        subject: &str,
        reply_token: &str,
        desk_address: Option<&str>,
        desk: &[String],
    ) -> Result<()> {
        let (Some((from, domain)), Some(sender)) = (self.desk_sender(), mail.from.as_ref()) else {
            return Ok(());
        };
        let recent = self
            .store
            .mail_sent_to(
                "acknowledgement",
                &sender.address,
                self.now() - ACK_WINDOW_MS,
            )
            .await?;
        if !may_answer_automatically(mail, desk, recent as u32, ACKS_PER_WINDOW) {
            return Ok(());
        }
        let message_id = format!("heard.{ticket_id}.ack.{}@{domain}", &new_secret("")[..12]);
        let mut headers = threading(
            &message_id,
            &mail.message_id.iter().cloned().collect::<Vec<_>>(),
            mail.message_id.as_deref(),
            &reply_address(desk_address.unwrap_or(&from), reply_token),
        );
        headers.push(("Auto-Submitted".into(), "auto-replied".into()));
        let m = compose(
            &ENGLISH,
            &About {
                ticket_id,
                subject,
                name: "",
            },
            &Notice::Acknowledged,
        );
        let ack = NewTicketMail {
            mail: NewMail {
                purpose: "acknowledgement".into(),
                to_address: sender.address.clone(),
                subject: m.subject,
                body_text: m.text,
                body_html: Some(m.html),
            },
            headers: serde_json::to_string(&headers).unwrap_or_default(),
            message_id,
            ticket_id,
            ticket_message_id: None,
            event_id: None,
        };
        if self.store.queue_ticket_mail(&ack, self.now()).await? {
            self.wake_mail();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_under_the_customers_mail() {
        let h = threading(
            "r1@desk.test",
            &["c1@example.org".into(), "r0@desk.test".into()],
            Some("c1@example.org"),
            &reply_address("help@desk.test", "tok"),
        );
        let get = |n: &str| h.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("Message-ID"), Some("<r1@desk.test>"));
        assert_eq!(get("In-Reply-To"), Some("<c1@example.org>"));
        assert_eq!(get("References"), Some("<c1@example.org> <r0@desk.test>"));
        assert_eq!(get("Reply-To"), Some("help+tok@desk.test"));
    }
}
