//! The mails a customer of a ticket that came by mail expects besides replies: resolved
//! (with the satisfaction survey link), merged into another of their requests, and a
//! promised time for the next update (or a new one after a promise lapsed). The event log
//! is the outbox: the mail sweep queues one mail per such event made by staff, threaded
//! into the ticket's conversation, never for automatic events or the customer's own.
//!
//! And delivery failures shown to staff: an address whose mail bounced for good is not
//! mailed again (until mail comes from it), and agents are told so on the ticket.

use crate::auth::new_secret;
use crate::outbound::{reply_address, threading};
use crate::views::{Page, rfc3339};
use crate::{Actor, Result, ServiceError, Services};
use heard_mail::delivery::{is_permanent, stops_mail};
use heard_mail::notices::{About, ENGLISH, Notice, compose};
use heard_store::{NewMail, NewTicketMail, NoticeDueRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// What a mail to a ticket's person outcome was recorded as when nobody could be mailed.
pub(crate) const NOT_SENT_BOUNCED: &str = "not_sent:bounced";

/// A delivery failure reported for an address (RFC 3464), as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BounceView {
    pub id: i64,
    pub address: String,
    /// The RFC 3464 status, e.g. `5.1.1` (permanent) or `4.2.2` (temporary).
    pub status: String,
    pub permanent: bool,
    /// What the receiving server said, e.g. "mailbox full".
    pub diagnostic: Option<String>,
    pub bounced_at: String,
}

/// Whether mail to one of a ticket's people goes out, after a reported failure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MailDelivery {
    pub address: String,
    pub status: String,
    pub diagnostic: Option<String>,
    pub bounced_at: String,
    /// True: heard does not mail this address until mail comes from it again.
    pub stopped: bool,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BounceQuery {
    /// Only failures of this address.
    pub address: Option<String>,
    /// Keyset: failures older than this id (the `next_after` of the previous page).
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

fn staff_only(actor: &Actor) -> Result<()> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::forbidden("this is for staff"))
    }
}

/// `ms` as the customer reads it: "Tuesday 8 December 2026, 15:00 CET" in their zone
/// (UTC when they have none).
fn customer_time(ms: i64, zone: Option<&str>) -> String {
    let tz = zone
        .and_then(|z| jiff::tz::TimeZone::get(z).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t
            .to_zoned_datetime(tz)
            .strftime("%A %-d %B %Y, %H:%M %Z")
            .to_string(),
        Err(_) => rfc3339(ms),
    }
}

impl Services {
    /// Of `addresses`, the ones heard no longer mails (lower case), with why.
    pub(crate) async fn stopped_addresses(&self, addresses: &[String]) -> Result<Vec<String>> {
        let lower: Vec<String> = addresses.iter().map(|a| a.to_lowercase()).collect();
        Ok(self
            .store
            .delivery_failures(&lower)
            .await?
            .into_iter()
            .filter(|d| stops_mail(&d.status, d.bounced_at, d.last_heard_at))
            .map(|d| d.address.to_lowercase())
            .collect())
    }

    /// Queues the mail for every event a mail customer should hear of and was not told of
    /// yet (the mail sweep runs this). Returns how many were queued.
    pub async fn queue_ticket_notices(&self) -> Result<usize> {
        let Some((from, domain)) = self.desk_sender() else {
            return Ok(0);
        };
        let mut queued = 0;
        for n in self.store.notices_due_by_mail(100).await? {
            if self.queue_notice(&n, &from, &domain).await? {
                queued += 1;
            }
        }
        if queued > 0 {
            self.wake_mail();
        }
        Ok(queued)
    }

    async fn queue_notice(&self, n: &NoticeDueRow, from: &str, domain: &str) -> Result<bool> {
        let public_url = self
            .mail
            .as_ref()
            .map(|m| m.public_url.clone())
            .unwrap_or_default();
        let data: Value = serde_json::from_str(&n.data).unwrap_or_default();
        let mut reply_token = n.reply_token.clone();
        let (purpose, survey_url, into, due, lapsed);
        let notice = match n.kind.as_str() {
            "merged_into" => {
                purpose = "ticket_merged";
                let into_id = data["ticket_id"].as_i64().unwrap_or_default();
                into = self.store.ticket(into_id).await?;
                // Answers go where the conversation continues, when it has a mail address.
                if let Some(token) = self.store.reply_token_of(into_id).await? {
                    reply_token = token;
                }
                Notice::Merged {
                    into_id,
                    into_subject: into.as_ref().map_or("", |t| t.subject.as_str()),
                }
            }
            "promised" => {
                purpose = "ticket_promise";
                let events: Vec<_> = self
                    .store
                    .events(n.ticket_id)
                    .await?
                    .into_iter()
                    .filter(|e| e.id < n.event_id)
                    .collect();
                // A promise already broken when this one was made: say sorry for it.
                let before = self.clocks_for(&events, &[], n.created_at).await?;
                lapsed = before.promise.filter(|p| p.broken).map(|p| {
                    customer_time(p.due_at.as_millisecond(), n.requester_time_zone.as_deref())
                });
                due = customer_time(
                    data["due_at_ms"].as_i64().unwrap_or(n.created_at),
                    n.requester_time_zone.as_deref(),
                );
                Notice::Promised {
                    due: &due,
                    note: data["note"].as_str(),
                    lapsed: lapsed.as_deref(),
                }
            }
            _ => {
                purpose = "ticket_resolved";
                survey_url = format!("{public_url}/requests/{}#rate-h", n.ticket_id);
                Notice::Resolved {
                    survey_url: &survey_url,
                }
            }
        };
        let now = self.now();
        let requester = vec![n.requester_email.clone()];
        if !self.stopped_addresses(&requester).await?.is_empty() {
            self.store
                .skip_ticket_mail(n.ticket_id, None, Some(n.event_id), NOT_SENT_BOUNCED, now)
                .await?;
            return Ok(false);
        }
        let (references, last_in) = self.store.ticket_mail_ids(n.ticket_id).await?;
        let message_id = format!(
            "heard.{}.event.{}.{}@{domain}",
            n.ticket_id,
            n.event_id,
            &new_secret("")[..12]
        );
        let desk = n.desk_address.as_deref().unwrap_or(from);
        let mut headers = threading(
            &message_id,
            &references,
            last_in.as_deref(),
            &reply_address(desk, &reply_token),
        );
        // News, not an answer: the customer's own auto-responder must not answer it.
        headers.push(("Auto-Submitted".into(), "auto-generated".into()));
        let about = About {
            ticket_id: n.ticket_id,
            subject: &n.subject,
            name: &n.requester_name,
        };
        let m = compose(&ENGLISH, &about, &notice);
        let mail = NewTicketMail {
            mail: NewMail {
                purpose: purpose.into(),
                to_address: n.requester_email.clone(),
                subject: m.subject,
                body_text: m.text,
                body_html: Some(m.html),
            },
            headers: serde_json::to_string(&headers).unwrap_or_default(),
            message_id,
            ticket_id: n.ticket_id,
            ticket_message_id: None,
            event_id: Some(n.event_id),
        };
        Ok(self.store.queue_ticket_mail(&mail, now).await?)
    }

    /// Delivery failures reported for any address, newest first (staff).
    pub async fn mail_bounces(&self, actor: &Actor, q: BounceQuery) -> Result<Page<BounceView>> {
        staff_only(actor)?;
        let limit = crate::page_limit(q.limit)?;
        let rows = match &q.address {
            Some(a) => {
                let mut rows = self
                    .store
                    .bounces_of(&a.trim().to_lowercase(), 1000)
                    .await?;
                rows.retain(|b| q.after.is_none_or(|after| b.id < after));
                rows.truncate(limit as usize + 1);
                rows
            }
            None => self.store.bounces(q.after, limit + 1).await?,
        };
        let more = rows.len() as i64 > limit;
        let items: Vec<BounceView> = rows
            .into_iter()
            .take(limit as usize)
            .map(|b| BounceView {
                id: b.id,
                permanent: is_permanent(&b.status),
                address: b.address,
                status: b.status,
                diagnostic: b.diagnostic,
                bounced_at: rfc3339(b.created_at),
            })
            .collect();
        Ok(Page {
            next_after: if more {
                items.last().map(|b| b.id)
            } else {
                None
            },
            items,
            next_cursor: None,
        })
    }

    /// For a ticket's requester and the people copied on it: each address with a reported
    /// delivery failure, and whether heard stopped mailing it (staff who may see the
    /// ticket).
    pub async fn ticket_mail_delivery(&self, actor: &Actor, id: i64) -> Result<Vec<MailDelivery>> {
        staff_only(actor)?;
        self.visible_ticket(actor, id).await?;
        let (requester, copied) = self.store.ticket_mail_people(id).await?;
        let mut addresses: Vec<String> = requester
            .into_iter()
            .chain(copied)
            .map(|a| a.to_lowercase())
            .collect();
        addresses.sort();
        addresses.dedup();
        Ok(self
            .store
            .delivery_failures(&addresses)
            .await?
            .into_iter()
            .map(|d| MailDelivery {
                stopped: stops_mail(&d.status, d.bounced_at, d.last_heard_at),
                address: d.address,
                status: d.status,
                diagnostic: d.diagnostic,
                bounced_at: rfc3339(d.bounced_at),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_the_customers_zone() {
        // 2026-12-08T14:00:00Z
        let ms = 1_796_738_400_000;
        assert_eq!(
            customer_time(ms, None),
            "Tuesday 8 December 2026, 14:00 UTC"
        );
        assert_eq!(
            customer_time(ms, Some("Europe/Paris")),
            "Tuesday 8 December 2026, 15:00 CET"
        );
        assert_eq!(
            customer_time(ms, Some("Not/AZone")),
            "Tuesday 8 December 2026, 14:00 UTC"
        );
    }
}
