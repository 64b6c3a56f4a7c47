//! Webhook subscriptions and the outbox of their deliveries: the event log turned into
//! deliveries from a cursor (each at most once per subscription and event), deliveries
//! claimed with a lease before they are sent, and every attempt logged.

use crate::backend::{in_transaction, with_reader};
use crate::{EventRow, Result, Store, StoreError};
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    pub description: String,
    /// JSON array of event types.
    pub event_types: String,
    pub secret: String,
    pub paused_at: Option<i64>,
    pub paused_reason: Option<String>,
    pub consecutive_failures: i64,
    pub from_event_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub secret: String,
    pub created_by: Option<i64>,
}

/// A change to a subscription: each `Some` replaces the stored value.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<String>,
    pub secret: Option<String>,
    /// `Some(true)` pauses (with the reason), `Some(false)` resumes.
    pub paused: Option<(bool, Option<String>)>,
}

#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub subscription_id: i64,
    pub event_id: i64,
    pub event_type: String,
    pub message_id: String,
    pub payload: String,
    pub replay_of: Option<i64>,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub last_excerpt: Option<String>,
    pub last_duration_ms: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, FromRow)]
pub struct WebhookAttemptRow {
    pub attempt: i64,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub excerpt: Option<String>,
    pub duration_ms: i64,
    pub created_at: i64,
}

/// A delivery due now, with what sending it needs from its subscription.
#[derive(Debug, Clone, FromRow)]
pub struct DueDeliveryRow {
    pub id: i64,
    pub subscription_id: i64,
    pub message_id: String,
    pub payload: String,
    pub created_at: i64,
    pub attempts: i64,
    pub url: String,
    pub secret: String,
}

#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub subscription_id: i64,
    pub event_id: i64,
    pub event_type: String,
    pub message_id: String,
    pub payload: String,
}

/// What one attempt got.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub status: Option<i64>,
    pub error: Option<String>,
    pub excerpt: Option<String>,
    pub duration_ms: i64,
    /// `None` when the delivery is done (delivered, or failed for good).
    pub retry_at: Option<i64>,
    pub delivered: bool,
    /// Pause the subscription with this reason (the delivery was given up).
    pub pause: Option<String>,
}

const WEBHOOK_COLUMNS: &str = "id, url, description, event_types, secret, paused_at, paused_reason, consecutive_failures, from_event_id, created_at, updated_at";
const DELIVERY_COLUMNS: &str = "id, subscription_id, event_id, event_type, message_id, payload, replay_of, state, attempts, next_attempt_at, last_status, last_error, last_excerpt, last_duration_ms, created_at, updated_at";

impl Store {
    /// Adds a subscription that receives events from now on.
    pub async fn create_webhook(&self, w: &NewWebhook, now: i64) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO webhook_subscriptions (url, description, event_types, secret, from_event_id, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, COALESCE((SELECT MAX(id) FROM events), 0), $5, $6, $6) RETURNING id",
            )
            .bind(&w.url)
            .bind(&w.description)
            .bind(&w.event_types)
            .bind(&w.secret)
            .bind(w.created_by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }))
    }

    pub async fn webhooks(&self) -> Result<Vec<WebhookRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, WebhookRow>(&format!(
                "SELECT {WEBHOOK_COLUMNS} FROM webhook_subscriptions ORDER BY id"
            ))
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn webhook(&self, id: i64) -> Result<Option<WebhookRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, WebhookRow>(&format!(
                "SELECT {WEBHOOK_COLUMNS} FROM webhook_subscriptions WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(db)
            .await?
        }))
    }

    /// Applies `p`; false when there is no such subscription. Resuming clears the failure
    /// count and makes what waited during the pause due at once.
    pub async fn update_webhook(&self, id: i64, p: &WebhookPatch, now: i64) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            let found = sqlx::query(
                "UPDATE webhook_subscriptions SET url = COALESCE($1, url), description = COALESCE($2, description),
                        event_types = COALESCE($3, event_types), secret = COALESCE($4, secret), updated_at = $5
                 WHERE id = $6",
            )
            .bind(&p.url)
            .bind(&p.description)
            .bind(&p.event_types)
            .bind(&p.secret)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            match &p.paused {
                Some((true, reason)) if found => {
                    sqlx::query(
                        "UPDATE webhook_subscriptions SET paused_at = COALESCE(paused_at, $1), paused_reason = $2 WHERE id = $3",
                    )
                    .bind(now)
                    .bind(reason)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                Some((false, _)) if found => {
                    sqlx::query(
                        "UPDATE webhook_subscriptions SET paused_at = NULL, paused_reason = NULL, consecutive_failures = 0 WHERE id = $1",
                    )
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE webhook_deliveries SET next_attempt_at = $1
                         WHERE subscription_id = $2 AND state = 'pending' AND next_attempt_at > $1",
                    )
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                _ => {}
            }
            found
        }))
    }

    /// Removes a subscription with its deliveries and their attempts.
    pub async fn delete_webhook(&self, id: i64) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE subscription_id = $1)",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            // Replays first: they point at the deliveries they replay.
            sqlx::query(
                "DELETE FROM webhook_deliveries WHERE subscription_id = $1 AND replay_of IS NOT NULL",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM webhook_deliveries WHERE subscription_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM webhook_subscriptions WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1
        }))
    }

    /// Where turning events into deliveries stopped.
    pub async fn webhook_cursor(&self) -> Result<i64> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>("SELECT last_event_id FROM webhook_cursor WHERE id = 1")
                .fetch_optional(db)
                .await?
                .unwrap_or(0)
        }))
    }

    /// Moves the cursor forward (never back: another process may be ahead).
    pub async fn advance_webhook_cursor(&self, to: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE webhook_cursor SET last_event_id = $1 WHERE id = 1 AND last_event_id < $1",
            )
            .bind(to)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Events after `after`, oldest first.
    pub async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<EventRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, EventRow>(
                "SELECT id, ticket_id, actor_id, kind, data, created_at FROM events
                 WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// (subscription, event) pairs already queued for events after `after`.
    pub async fn queued_webhook_events(&self, after: i64) -> Result<Vec<(i64, i64)>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT subscription_id, event_id FROM webhook_deliveries
                 WHERE event_id > $1 AND replay_of IS NULL",
            )
            .bind(after)
            .fetch_all(db)
            .await?
        }))
    }

    /// Queues deliveries, skipping any already queued (by another process). Returns how
    /// many were new.
    pub async fn queue_deliveries(&self, ds: &[NewDelivery], now: i64) -> Result<usize> {
        if ds.is_empty() {
            return Ok(0);
        }
        Ok(in_transaction!(self, |tx| {
            let mut added = 0;
            for d in ds {
                added += sqlx::query(
                    "INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, message_id, payload, state, next_attempt_at, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6, $6) ON CONFLICT DO NOTHING",
                )
                .bind(d.subscription_id)
                .bind(d.event_id)
                .bind(&d.event_type)
                .bind(&d.message_id)
                .bind(&d.payload)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::classify(e, "delivery"))?
                .rows_affected() as usize;
            }
            added
        }))
    }

    /// Deliveries due by `now` whose subscription is not paused and that nobody holds.
    pub async fn deliveries_due(&self, now: i64, limit: i64) -> Result<Vec<DueDeliveryRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, DueDeliveryRow>(
                "SELECT d.id, d.subscription_id, d.message_id, d.payload, d.created_at, d.attempts, s.url, s.secret
                 FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
                 WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND s.paused_at IS NULL
                   AND (d.claimed_until IS NULL OR d.claimed_until < $1)
                 ORDER BY d.next_attempt_at, d.id LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// Takes a delivery for one attempt until `until`; false when another process holds
    /// it, or has made the attempt `d` was read for since.
    pub async fn claim_delivery(&self, d: &DueDeliveryRow, now: i64, until: i64) -> Result<bool> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query(
                "UPDATE webhook_deliveries SET claimed_until = $1
                 WHERE id = $2 AND state = 'pending' AND attempts = $4 AND next_attempt_at <= $3
                   AND (claimed_until IS NULL OR claimed_until < $3)",
            )
            .bind(until)
            .bind(d.id)
            .bind(now)
            .bind(d.attempts)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }))
    }

    /// Logs an attempt and moves the delivery (and its subscription's failure count and
    /// pause) on, in one transaction.
    pub async fn record_attempt(
        &self,
        d: &DueDeliveryRow,
        o: &AttemptOutcome,
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            let attempt = d.attempts + 1;
            sqlx::query(
                "INSERT INTO webhook_attempts (delivery_id, attempt, status, error, excerpt, duration_ms, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(d.id)
            .bind(attempt)
            .bind(o.status)
            .bind(&o.error)
            .bind(&o.excerpt)
            .bind(o.duration_ms)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let state = match (o.delivered, o.retry_at) {
                (true, _) => "delivered",
                (false, Some(_)) => "pending",
                (false, None) => "failed",
            };
            sqlx::query(
                "UPDATE webhook_deliveries SET state = $1, attempts = $2, next_attempt_at = $3, claimed_until = NULL,
                        last_status = $4, last_error = $5, last_excerpt = $6, last_duration_ms = $7, updated_at = $8
                 WHERE id = $9",
            )
            .bind(state)
            .bind(attempt)
            .bind(o.retry_at)
            .bind(o.status)
            .bind(&o.error)
            .bind(&o.excerpt)
            .bind(o.duration_ms)
            .bind(now)
            .bind(d.id)
            .execute(&mut *tx)
            .await?;
            if o.delivered {
                sqlx::query(
                    "UPDATE webhook_subscriptions SET consecutive_failures = 0 WHERE id = $1",
                )
                .bind(d.subscription_id)
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query(
                    "UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1 WHERE id = $1",
                )
                .bind(d.subscription_id)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(reason) = &o.pause {
                sqlx::query(
                    "UPDATE webhook_subscriptions SET paused_at = COALESCE(paused_at, $1), paused_reason = $2 WHERE id = $3",
                )
                .bind(now)
                .bind(reason)
                .bind(d.subscription_id)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// A subscription's deliveries, newest first, below `before` when given.
    pub async fn deliveries(
        &self,
        subscription_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, DeliveryRow>(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
                 WHERE subscription_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
            ))
            .bind(subscription_id)
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn delivery(&self, subscription_id: i64, id: i64) -> Result<Option<DeliveryRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, DeliveryRow>(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE subscription_id = $1 AND id = $2"
            ))
            .bind(subscription_id)
            .bind(id)
            .fetch_optional(db)
            .await?
        }))
    }

    /// A delivery's attempts, oldest first.
    pub async fn webhook_attempts(&self, delivery_id: i64) -> Result<Vec<WebhookAttemptRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, WebhookAttemptRow>(
                "SELECT attempt, status, error, excerpt, duration_ms, created_at FROM webhook_attempts
                 WHERE delivery_id = $1 ORDER BY id",
            )
            .bind(delivery_id)
            .fetch_all(db)
            .await?
        }))
    }

    /// Queues the same message again as a new delivery, due now. Returns its id.
    pub async fn replay_delivery(&self, original: &DeliveryRow, now: i64) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, message_id, payload, replay_of, state, next_attempt_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7, $7) RETURNING id",
            )
            .bind(original.subscription_id)
            .bind(original.event_id)
            .bind(&original.event_type)
            .bind(&original.message_id)
            .bind(&original.payload)
            .bind(original.id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }))
    }

    /// Deliveries waiting to go out (all subscriptions), for operators.
    pub async fn webhook_backlog(&self) -> Result<i64> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'",
            )
            .fetch_one(db)
            .await?
        }))
    }

    /// The message added to a ticket at `at` (a message and its event share the instant
    /// of their write), newest of that kind.
    pub async fn message_written_at(
        &self,
        ticket_id: i64,
        kind: &str,
        at: i64,
    ) -> Result<Option<crate::MessageRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, crate::MessageRow>(
                "SELECT m.id, m.ticket_id, m.author_id, u.name AS author_name, u.role AS author_role, m.kind, m.channel,
                        m.body_text, m.body_html, m.analysis, m.created_at
                 FROM messages m JOIN users u ON u.id = m.author_id
                 WHERE m.ticket_id = $1 AND m.kind = $2 AND m.created_at = $3 ORDER BY m.id DESC LIMIT 1",
            )
            .bind(ticket_id)
            .bind(kind)
            .bind(at)
            .fetch_optional(db)
            .await?
        }))
    }
}
