//! Sending webhooks. The event log is the outbox: every state change appends its event
//! in the change's own transaction, and [`Services::queue_webhook_deliveries`] turns the
//! events after a cursor into one delivery per matching subscription (at most once per
//! subscription and event, whichever process gets there first). Deliveries are claimed
//! with a lease before each attempt, signed the Standard Webhooks way, retried on the
//! domain's schedule, and given up after its last attempt, which pauses the subscription.
//! The state lives in the database, so a restart loses nothing.

use crate::views::rfc3339;
use crate::{Result, Services};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use heard_domain::webhook::{AfterFailure, MAX_ATTEMPTS, accepted, after_failure, event_type_for};
use heard_store::{AttemptOutcome, DueDeliveryRow, EventRow, NewDelivery, TicketRow};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An event this recent may still have a neighbour with a smaller id committing (ids are
/// handed out before commit), so the cursor stays below it and it is looked at again.
const SETTLE_MS: i64 = 60_000;
/// Events read per step.
const EVENT_BATCH: i64 = 500;
/// Deliveries attempted per sweep.
const DELIVERY_BATCH: i64 = 50;
/// Bytes of a receiver's answer kept in the log.
const EXCERPT_BYTES: usize = 500;

/// The HTTP client deliveries go out with, and a bell that wakes the sweep.
#[derive(Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    /// How long one attempt may take, connection to last byte.
    pub timeout: Duration,
    wake: Arc<tokio::sync::Notify>,
}

impl WebhookSender {
    pub fn new(timeout: Duration) -> WebhookSender {
        let client = reqwest::Client::builder()
            // A receiver answers for itself: a redirect is a failed attempt, never a
            // second destination that was not subscribed.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("heard-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds");
        WebhookSender {
            client,
            timeout,
            wake: Default::default(),
        }
    }
}

impl Default for WebhookSender {
    fn default() -> Self {
        WebhookSender::new(Duration::from_secs(10))
    }
}

/// The `webhook-signature` value for a message: `v1,` and the base64 HMAC-SHA256, keyed
/// with the secret's decoded bytes, of `id.timestamp.body`.
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = BASE64
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{message_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Some(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())))
}

fn person(id: Option<i64>, name: Option<&str>) -> Value {
    match (id, name) {
        (Some(id), Some(name)) => json!({"id": id, "name": name}),
        (Some(id), None) => json!({"id": id}),
        _ => Value::Null,
    }
}

/// What every payload says about its ticket: nothing internal (no frustration scores,
/// tone reviews, notes or hand-off notes).
fn ticket_json(t: &TicketRow) -> Value {
    json!({
        "id": t.id,
        "number": t.id,
        "subject": t.subject,
        "status": t.status,
        "priority": t.priority,
        "channel": t.channel,
        "requester": {"id": t.requester_id, "name": t.requester_name, "email": t.requester_email},
        "team": person(t.team_id, t.team_name.as_deref()),
        "assignee": person(t.assignee_id, t.assignee_name.as_deref()),
        "created_at": rfc3339(t.created_at),
        "updated_at": rfc3339(t.updated_at),
    })
}

/// The fields of an event's own data that a receiver may see, by event type.
fn event_fields(kind: &str, data: &Value) -> Value {
    let pick = |keys: &[&str]| {
        let mut out = serde_json::Map::new();
        for k in keys {
            if let Some(v) = data.get(*k) {
                out.insert((*k).to_string(), v.clone());
            }
        }
        Value::Object(out)
    };
    match kind {
        "status_changed" | "priority_changed" => pick(&["from", "to"]),
        "assigned" => {
            json!({"from_assignee_id": data.get("from"), "to_assignee_id": data.get("to")})
        }
        "escalated" => pick(&[
            "from_team_id",
            "to_team_id",
            "from_tier",
            "to_tier",
            "to_assignee_id",
        ]),
        "rated" => pick(&["rating", "comment"]),
        "sla_breached" => json!({"target": data.get("subject"), "due_at": data.get("due_at")}),
        _ => json!({}),
    }
}

impl Services {
    /// The same services sending webhooks with attempts of at most `timeout`.
    pub fn with_webhook_timeout(mut self, timeout: Duration) -> Services {
        self.webhook_sender = WebhookSender::new(timeout);
        self
    }

    pub(crate) fn wake_webhooks(&self) {
        self.webhook_sender.wake.notify_one();
    }

    /// Turns new events into deliveries for the subscriptions that asked for them.
    /// Returns how many deliveries were queued.
    pub async fn queue_webhook_deliveries(&self) -> Result<usize> {
        let now = self.now();
        let cursor = self.store.webhook_cursor().await?;
        let subscriptions: Vec<(i64, i64, Vec<String>)> = self
            .store
            .webhooks()
            .await?
            .into_iter()
            .map(|w| {
                let types = serde_json::from_str(&w.event_types).unwrap_or_default();
                (w.id, w.from_event_id, types)
            })
            .collect();
        let queued: HashSet<(i64, i64)> = if subscriptions.is_empty() {
            HashSet::new()
        } else {
            self.store
                .queued_webhook_events(cursor)
                .await?
                .into_iter()
                .collect()
        };
        let mut seen = cursor;
        let mut settled = cursor;
        let mut blocked = false;
        let mut added = 0;
        loop {
            let events = self.store.events_after(seen, EVENT_BATCH).await?;
            let mut tickets: HashMap<i64, Option<TicketRow>> = HashMap::new();
            let mut deliveries = Vec::new();
            for e in &events {
                if let Some(t) = event_type_for(&e.kind) {
                    for (sub, from, types) in &subscriptions {
                        if e.id <= *from
                            || !types.iter().any(|n| n == t.name)
                            || queued.contains(&(*sub, e.id))
                        {
                            continue;
                        }
                        if let std::collections::hash_map::Entry::Vacant(slot) =
                            tickets.entry(e.ticket_id)
                        {
                            slot.insert(self.store.ticket(e.ticket_id).await?);
                        }
                        let Some(ticket) = tickets[&e.ticket_id].as_ref() else {
                            continue;
                        };
                        let body = self.payload(t.name, e, ticket).await?;
                        deliveries.push(NewDelivery {
                            subscription_id: *sub,
                            event_id: e.id,
                            event_type: t.name.to_string(),
                            message_id: format!("msg_heard_{}_{}", e.id, sub),
                            payload: body.to_string(),
                        });
                    }
                }
            }
            added += self.store.queue_deliveries(&deliveries, now).await?;
            for e in &events {
                if blocked {
                    break;
                }
                // A run of ids right after the cursor has no hole to wait for; past a
                // hole, only events old enough that nothing below them can still commit.
                if e.id == settled + 1 || e.created_at <= now - SETTLE_MS {
                    settled = e.id;
                } else {
                    blocked = true;
                }
            }
            match events.last() {
                Some(last) if events.len() as i64 == EVENT_BATCH => seen = last.id,
                _ => break,
            }
        }
        if settled > cursor {
            self.store.advance_webhook_cursor(settled).await?;
        }
        Ok(added)
    }

    /// The JSON body of a delivery: its type, when the event happened, and data about
    /// the ticket and what changed.
    async fn payload(&self, name: &str, e: &EventRow, t: &TicketRow) -> Result<Value> {
        let data: Value = serde_json::from_str(&e.data).unwrap_or_default();
        let mut out = json!({"ticket": ticket_json(t), "event_id": e.id});
        if let Some(actor) = e.actor_id {
            out["actor"] = match self.store.user(actor).await? {
                Some(u) => json!({"id": u.id, "name": u.name, "role": u.role}),
                None => json!({"id": actor}),
            };
        }
        if let Value::Object(fields) = event_fields(&e.kind, &data) {
            for (k, v) in fields {
                out[k] = v;
            }
        }
        let message_kind = match e.kind.as_str() {
            "replied" => Some("public"),
            "noted" => Some("internal"),
            _ => None,
        };
        if let Some(kind) = message_kind
            && let Some(m) = self
                .store
                .message_written_at(e.ticket_id, kind, e.created_at)
                .await?
        {
            out["message"] = json!({
                "id": m.id,
                "kind": m.kind,
                "channel": m.channel,
                "author": {"id": m.author_id, "name": m.author_name, "role": m.author_role},
                "body_text": m.body_text,
                "created_at": rfc3339(m.created_at),
            });
        }
        Ok(json!({"type": name, "timestamp": rfc3339(e.created_at), "data": out}))
    }

    /// Attempts the deliveries that are due, several at once. Returns how many went
    /// through. Safe in any number of processes: each delivery is claimed first.
    pub async fn send_due_webhooks(&self) -> Result<usize> {
        let now = self.now();
        let lease = self.webhook_sender.timeout.as_millis() as i64 * 2 + 30_000;
        let mut running = tokio::task::JoinSet::new();
        for d in self.store.deliveries_due(now, DELIVERY_BATCH).await? {
            if !self.store.claim_delivery(&d, now, now + lease).await? {
                continue;
            }
            let s = self.clone();
            running.spawn(async move { s.attempt(d).await });
        }
        let mut delivered = 0;
        while let Some(done) = running.join_next().await {
            match done {
                Ok(Ok(true)) => delivered += 1,
                Ok(Ok(false)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "recording a webhook attempt failed"),
                Err(e) => tracing::error!(error = %e, "a webhook attempt panicked"),
            }
        }
        Ok(delivered)
    }

    /// One attempt: send, then log what came back and decide what follows.
    async fn attempt(&self, d: DueDeliveryRow) -> Result<bool> {
        let timestamp = self.now() / 1000;
        let signature = sign(&d.secret, &d.message_id, timestamp, &d.payload).unwrap_or_default();
        let started = Instant::now();
        let answer = self
            .webhook_sender
            .client
            .post(&d.url)
            .header("content-type", "application/json")
            .header("webhook-id", &d.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(d.payload.clone())
            .send()
            .await;
        let (status, excerpt, error) = match answer {
            Ok(mut res) => {
                let status = res.status().as_u16();
                let mut body = Vec::new();
                while body.len() < EXCERPT_BYTES {
                    match res.chunk().await {
                        Ok(Some(chunk)) => body.extend_from_slice(chunk.as_ref()),
                        _ => break,
                    }
                }
                body.truncate(EXCERPT_BYTES);
                let text = String::from_utf8_lossy(&body).trim().to_string();
                (Some(status), (!text.is_empty()).then_some(text), None)
            }
            Err(e) => (None, None, Some(describe(&e))),
        };
        let duration_ms = started.elapsed().as_millis() as i64;
        let delivered = status.is_some_and(accepted);
        let attempts = d.attempts as u32 + 1;
        let next = if delivered {
            None
        } else {
            match after_failure(attempts, rand::random_range(0..=1000)) {
                AfterFailure::RetryIn(ms) => Some(self.now() + ms),
                AfterFailure::GiveUp => None,
            }
        };
        let pause = (!delivered && next.is_none())
            .then(|| format!("paused after a delivery failed {MAX_ATTEMPTS} attempts in a row"));
        if delivered {
            tracing::debug!(delivery = d.id, status, "webhook delivered");
        } else {
            tracing::warn!(delivery = d.id, url = %d.url, ?status, error = error.as_deref().unwrap_or(""), attempts, "webhook attempt failed");
        }
        let outcome = AttemptOutcome {
            status: status.map(i64::from),
            error: error.or_else(|| {
                status
                    .filter(|s| (300..400).contains(s))
                    .map(|_| "redirects are not followed".to_string())
            }),
            excerpt,
            duration_ms,
            retry_at: next,
            delivered,
            pause,
        };
        self.store.record_attempt(&d, &outcome, self.now()).await?;
        Ok(delivered)
    }

    /// One sweep: queue what new events call for, then send what is due.
    pub async fn run_webhooks(&self) -> Result<usize> {
        self.queue_webhook_deliveries().await?;
        self.send_due_webhooks().await
    }

    /// Sends webhooks forever: every `every`, and at once when a replay or a resume
    /// asks (the `heard serve` background task).
    pub async fn webhook_loop(self, every: Duration) {
        let wake = self.webhook_sender.wake.clone();
        loop {
            if let Err(e) = self.run_webhooks().await {
                tracing::warn!(error = %e, "webhook sweep failed; retrying");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = wake.notified() => {}
            }
        }
    }
}

/// A short reason an attempt got no answer.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        let mut text = e.to_string();
        text.truncate(200);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_way() {
        // The example from the Standard Webhooks specification's reference tests.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("whsec_not base64!", "m", 1, "{}"), None);
    }

    #[test]
    fn payloads_leave_internal_fields_out() {
        let escalated = json!({"from_team_id": 1, "to_team_id": 2, "from_tier": 1, "to_tier": 2,
                               "reason": "angry", "handoff_note": "internal", "to_assignee_id": null});
        let f = event_fields("escalated", &escalated);
        assert!(
            f.get("handoff_note").is_none() && f.get("reason").is_none(),
            "{f}"
        );
        assert_eq!(f["to_team_id"], 2);
        let replied = json!({"by": "customer", "frustration": 80, "tone_score": 10});
        assert_eq!(event_fields("replied", &replied), json!({}));
    }
}
