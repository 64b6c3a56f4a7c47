//! Mail out for tickets: replies queued once per message with their threading headers,
//! and what threading needs to know (the Message-IDs a ticket's mail carried).

use crate::backend::{in_transaction, with_reader};
use crate::{NewMail, Result, Store, StoreError};
use sqlx::FromRow;

/// A staff member's public message on a ticket that came by mail, not yet mailed.
#[derive(Debug, Clone, FromRow)]
pub struct ReplyDueRow {
    pub message_id: i64,
    pub ticket_id: i64,
    pub body_text: String,
    pub body_html: Option<String>,
    pub subject: String,
    pub requester_email: String,
    pub author_name: String,
    pub reply_token: String,
    pub desk_address: Option<String>,
}

/// A mail for a ticket, with the Message-ID it goes out with.
#[derive(Debug, Clone)]
pub struct NewTicketMail {
    pub mail: NewMail,
    /// JSON pairs, see `mail_outbox_headers`.
    pub headers: String,
    /// Without angle brackets.
    pub message_id: String,
    pub ticket_id: i64,
    /// The ticket message it carries (replies); `None` for an acknowledgement.
    pub ticket_message_id: Option<i64>,
    /// The ticket event it tells of (resolved, merged, promised); `None` otherwise.
    pub event_id: Option<i64>,
}

/// An event on a ticket that came by mail that its customer should hear of (resolved,
/// merged into another, a promised time), made by staff and not yet mailed about.
#[derive(Debug, Clone, FromRow)]
pub struct NoticeDueRow {
    pub event_id: i64,
    pub ticket_id: i64,
    pub kind: String,
    /// The event's JSON.
    pub data: String,
    pub created_at: i64,
    pub subject: String,
    pub requester_email: String,
    pub requester_name: String,
    /// IANA zone the customer's times are written in (UTC when unknown).
    pub requester_time_zone: Option<String>,
    pub reply_token: String,
    pub desk_address: Option<String>,
}

/// The newest delivery failure reported for an address, and when mail last came from it.
#[derive(Debug, Clone, FromRow)]
pub struct AddressFailureRow {
    pub address: String,
    pub status: String,
    pub diagnostic: Option<String>,
    pub bounced_at: i64,
    /// The newest mail taken in from the address (it works again if after the bounce).
    pub last_heard_at: Option<i64>,
}

impl Store {
    /// Queues a ticket's mail and records its Message-ID for threading, in one
    /// transaction. False when that message was already queued (by another process).
    pub async fn queue_ticket_mail(&self, m: &NewTicketMail, now: i64) -> Result<bool> {
        let queued = in_transaction!(self, |tx| {
            let recorded = sqlx::query(
                "INSERT INTO mail_messages (direction, message_id, state, outcome, ticket_id, ticket_message_id, event_id, claimed_at, created_at)
                 VALUES ('out', $1, 'done', $2, $3, $4, $5, $6, $6)",
            )
            .bind(&m.message_id)
            .bind(&m.mail.purpose)
            .bind(m.ticket_id)
            .bind(m.ticket_message_id)
            .bind(m.event_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "mail"));
            match recorded {
                Err(StoreError::Duplicate(_)) => false,
                Err(e) => return Err(e),
                Ok(_) => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO mail_outbox (purpose, to_address, subject, body_text, body_html, created_at, next_attempt_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                    )
                    .bind(&m.mail.purpose)
                    .bind(&m.mail.to_address)
                    .bind(&m.mail.subject)
                    .bind(&m.mail.body_text)
                    .bind(&m.mail.body_html)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO mail_outbox_headers (mail_id, headers) VALUES ($1, $2)",
                    )
                    .bind(id)
                    .bind(&m.headers)
                    .execute(&mut *tx)
                    .await?;
                    true
                }
            }
        });
        Ok(queued)
    }

    /// Records that a ticket message or event is not mailed (every address it would go to
    /// bounces for good), so it is not considered again. False when it was handled already.
    pub async fn skip_ticket_mail(
        &self,
        ticket_id: i64,
        ticket_message_id: Option<i64>,
        event_id: Option<i64>,
        outcome: &str,
        now: i64,
    ) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            let done = sqlx::query(
                "INSERT INTO mail_messages (direction, state, outcome, ticket_id, ticket_message_id, event_id, claimed_at, created_at)
                 VALUES ('out', 'done', $1, $2, $3, $4, $5, $5)",
            )
            .bind(outcome)
            .bind(ticket_id)
            .bind(ticket_message_id)
            .bind(event_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "mail"));
            match done {
                Ok(_) => true,
                Err(StoreError::Duplicate(_)) => false,
                Err(e) => return Err(e),
            }
        }))
    }

    /// Events the customer of a ticket that came by mail should hear of, not yet mailed
    /// about, oldest first: resolved or merged by staff, or a time promised by staff.
    /// Automatic events (no actor) and the customer's own are never mailed about.
    pub async fn notices_due_by_mail(&self, limit: i64) -> Result<Vec<NoticeDueRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, NoticeDueRow>(
                "SELECT e.id AS event_id, e.ticket_id, e.kind, e.data, e.created_at, t.subject,
                        u.email AS requester_email, u.name AS requester_name, u.time_zone AS requester_time_zone,
                        tm.reply_token, tm.desk_address
                 FROM events e
                 JOIN ticket_mail tm ON tm.ticket_id = e.ticket_id
                 JOIN tickets t ON t.id = e.ticket_id
                 JOIN users u ON u.id = t.requester_id
                 JOIN users a ON a.id = e.actor_id
                 WHERE e.id > (SELECT MAX(event_id) FROM customer_mail_from)
                   AND (e.kind IN ('merged_into', 'promised')
                        OR (e.kind = 'status_changed' AND e.data LIKE '%\"to\":\"resolved\"%'))
                   AND a.role <> 'customer'
                   AND NOT EXISTS (SELECT 1 FROM mail_messages o WHERE o.direction = 'out' AND o.event_id = e.id)
                 ORDER BY e.id LIMIT $1",
            )
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// The `promised` times of a ticket before event `before`, oldest first (ms).
    pub async fn earlier_promises(&self, ticket_id: i64, before: i64) -> Result<Vec<String>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, String>(
                "SELECT data FROM events WHERE ticket_id = $1 AND kind = 'promised' AND id < $2 ORDER BY id",
            )
            .bind(ticket_id)
            .bind(before)
            .fetch_all(db)
            .await?
        }))
    }

    /// The reply token of a ticket that has one (it came by mail).
    pub async fn reply_token_of(&self, ticket_id: i64) -> Result<Option<String>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, String>(
                "SELECT reply_token FROM ticket_mail WHERE ticket_id = $1",
            )
            .bind(ticket_id)
            .fetch_optional(db)
            .await?
        }))
    }

    /// For each of `addresses` (lower case) with a reported delivery failure: the newest
    /// failure and when mail last came from the address.
    pub async fn delivery_failures(&self, addresses: &[String]) -> Result<Vec<AddressFailureRow>> {
        let mut out = Vec::new();
        for a in addresses {
            let row = with_reader!(self, |db| {
                sqlx::query_as::<_, AddressFailureRow>(
                    "SELECT b.address, b.status, b.diagnostic, b.created_at AS bounced_at,
                            (SELECT MAX(m.created_at) FROM mail_messages m
                              WHERE m.direction = 'in' AND LOWER(m.sender) = $1) AS last_heard_at
                     FROM mail_bounces b WHERE LOWER(b.address) = $1 ORDER BY b.id DESC LIMIT 1",
                )
                .bind(a)
                .fetch_optional(db)
                .await?
            });
            out.extend(row);
        }
        Ok(out)
    }

    /// Delivery failures reported for any address, newest first, after id `after`
    /// (keyset: ids below it).
    pub async fn bounces(&self, before: Option<i64>, limit: i64) -> Result<Vec<crate::BounceRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, crate::BounceRow>(
                "SELECT id, address, status, diagnostic, created_at FROM mail_bounces
                 WHERE id < $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// The extra headers of a queued mail (none for mail queued without them).
    pub async fn mail_headers(&self, mail_id: i64) -> Result<Vec<(String, String)>> {
        let json: Option<String> = with_reader!(self, |db| {
            sqlx::query_scalar("SELECT headers FROM mail_outbox_headers WHERE mail_id = $1")
                .bind(mail_id)
                .fetch_optional(db)
                .await?
        });
        Ok(json
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default())
    }

    /// Staff's public messages on tickets that came by mail, not yet mailed, oldest first.
    pub async fn replies_due_by_mail(&self, limit: i64) -> Result<Vec<ReplyDueRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ReplyDueRow>(
                "SELECT m.id AS message_id, m.ticket_id, m.body_text, m.body_html, t.subject,
                        u.email AS requester_email, a.name AS author_name, tm.reply_token, tm.desk_address
                 FROM messages m
                 JOIN ticket_mail tm ON tm.ticket_id = m.ticket_id
                 JOIN tickets t ON t.id = m.ticket_id
                 JOIN users u ON u.id = t.requester_id
                 JOIN users a ON a.id = m.author_id
                 WHERE m.kind = 'public' AND a.role <> 'customer'
                   AND NOT EXISTS (SELECT 1 FROM mail_messages o WHERE o.direction = 'out' AND o.ticket_message_id = m.id)
                 ORDER BY m.id LIMIT $1",
            )
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// The Message-IDs a ticket's mail carried, oldest first, and the newest one that
    /// came in (what a reply answers).
    pub async fn ticket_mail_ids(&self, ticket_id: i64) -> Result<(Vec<String>, Option<String>)> {
        let rows: Vec<(String, String)> = with_reader!(self, |db| {
            sqlx::query_as(
                "SELECT message_id, direction FROM mail_messages
                 WHERE ticket_id = $1 AND message_id IS NOT NULL ORDER BY id",
            )
            .bind(ticket_id)
            .fetch_all(db)
            .await?
        });
        let last_in = rows
            .iter()
            .rev()
            .find(|(_, d)| d == "in")
            .map(|(id, _)| id.clone());
        Ok((rows.into_iter().map(|(id, _)| id).collect(), last_in))
    }

    /// Mail of `purpose` queued to `address` since `since` (the automatic-answer limit).
    pub async fn mail_sent_to(&self, purpose: &str, address: &str, since: i64) -> Result<i64> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM mail_outbox WHERE purpose = $1 AND to_address = $2 AND created_at >= $3",
            )
            .bind(purpose)
            .bind(address)
            .bind(since)
            .fetch_one(db)
            .await?
        }))
    }
}
