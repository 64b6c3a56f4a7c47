//! Webhook subscriptions (admins): which URL receives which event types, its signing
//! secret (shown once, at creation and on rotation), pausing and resuming, and the log
//! of its deliveries with replay. Sending lives in [`crate::webhook_delivery`].

use crate::auth::random_bytes;
use crate::views::{Page, rfc3339};
use crate::{Actor, ErrorCode, Result, ServiceError, Services};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use heard_domain::webhook::{EVENT_TYPES, parse_event_types, parse_url};
use heard_store::{DeliveryRow, NewWebhook, WebhookAttemptRow, WebhookPatch, WebhookRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest description a subscription may carry.
const MAX_DESCRIPTION: usize = 500;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// Where deliveries are POSTed: an `http://` or `https://` URL.
    pub url: String,
    /// The event types to receive, e.g. `["ticket.created", "ticket.status_changed"]`.
    pub event_types: Vec<String>,
    /// What the receiver is, for the people who look after it.
    #[serde(default)]
    pub description: Option<String>,
}

/// A change to a subscription; fields left out keep their value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChange {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    /// `true` pauses deliveries, `false` resumes them (what waited goes out at once).
    pub paused: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub paused: bool,
    pub paused_at: Option<String>,
    /// Why it is paused: by an admin, or after a delivery failed every attempt.
    pub paused_reason: Option<String>,
    /// Failed attempts since the last delivery that went through.
    pub consecutive_failures: i64,
    pub created_at: String,
    pub updated_at: String,
    /// The signing secret (`whsec_` + base64): only in the answer that creates the
    /// subscription or rotates its secret, never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<WebhookRow> for WebhookView {
    fn from(w: WebhookRow) -> Self {
        WebhookView {
            id: w.id,
            url: w.url,
            description: w.description,
            event_types: serde_json::from_str(&w.event_types).unwrap_or_default(),
            paused: w.paused_at.is_some(),
            paused_at: w.paused_at.map(rfc3339),
            paused_reason: w.paused_reason,
            consecutive_failures: w.consecutive_failures,
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
            secret: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// The entry of the event log it carries.
    pub event_id: i64,
    pub event_type: String,
    /// The `webhook-id` header: the same on every attempt and replay.
    pub message_id: String,
    /// `pending`, `delivered` or `failed` (every attempt failed).
    pub state: String,
    pub attempts: i64,
    /// The last attempt's HTTP status (none when it got no answer).
    pub response_status: Option<i64>,
    /// The start of the last answer's body.
    pub response_excerpt: Option<String>,
    /// Why the last attempt got no answer (timeout, refused connection…).
    pub error: Option<String>,
    pub duration_ms: Option<i64>,
    pub next_attempt_at: Option<String>,
    /// The delivery this one replays.
    pub replay_of: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(d: DeliveryRow) -> Self {
        DeliveryView {
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type,
            message_id: d.message_id,
            next_attempt_at: d
                .next_attempt_at
                .filter(|_| d.state == "pending")
                .map(rfc3339),
            state: d.state,
            attempts: d.attempts,
            response_status: d.last_status,
            response_excerpt: d.last_excerpt,
            error: d.last_error,
            duration_ms: d.last_duration_ms,
            replay_of: d.replay_of,
            created_at: rfc3339(d.created_at),
            updated_at: rfc3339(d.updated_at),
        }
    }
}

/// One attempt of a delivery as the receiver answered it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempt: i64,
    pub response_status: Option<i64>,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: String,
}

impl From<WebhookAttemptRow> for AttemptView {
    fn from(a: WebhookAttemptRow) -> Self {
        AttemptView {
            attempt: a.attempt,
            response_status: a.status,
            response_excerpt: a.excerpt,
            error: a.error,
            duration_ms: a.duration_ms,
            at: rfc3339(a.created_at),
        }
    }
}

/// A delivery with every attempt, and the body it sends.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: DeliveryView,
    pub attempt_log: Vec<AttemptView>,
    /// The JSON body, as sent.
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// The page's `next_after`, for the next (older) page.
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

/// An event type a subscription can ask for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventTypeView {
    pub name: &'static str,
    pub description: &'static str,
}

/// A new signing secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_signing_secret() -> String {
    format!("whsec_{}", BASE64.encode(random_bytes::<32>()))
}

fn description(d: Option<&str>) -> Result<String> {
    let d = d.unwrap_or("").trim();
    if d.chars().count() > MAX_DESCRIPTION {
        return Err(ServiceError::invalid(
            "description",
            ErrorCode::TooLong,
            format!("a description has at most {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(d.to_string())
}

fn types_json(types: &[String]) -> Result<String> {
    Ok(serde_json::to_string(&parse_event_types(types)?).unwrap_or_else(|_| "[]".into()))
}

fn not_found() -> ServiceError {
    ServiceError::not_found("webhook", ErrorCode::WebhookNotFound)
}

impl Services {
    fn require_webhook_admin(&self, actor: &Actor) -> Result<()> {
        if actor.may_configure() {
            Ok(())
        } else {
            Err(ServiceError::forbidden("only admins may manage webhooks"))
        }
    }

    /// The event types subscriptions can ask for.
    pub fn webhook_event_types(&self) -> Vec<EventTypeView> {
        EVENT_TYPES
            .iter()
            .map(|t| EventTypeView {
                name: t.name,
                description: t.about,
            })
            .collect()
    }

    /// Subscribes a URL to event types; the answer carries the signing secret, once.
    pub async fn create_webhook(&self, actor: &Actor, input: WebhookInput) -> Result<WebhookView> {
        self.require_webhook_admin(actor)?;
        let url = parse_url(&input.url)?;
        let event_types = types_json(&input.event_types)?;
        let description = description(input.description.as_deref())?;
        let secret = new_signing_secret();
        let id = self
            .store
            .create_webhook(
                &NewWebhook {
                    url,
                    description,
                    event_types,
                    secret: secret.clone(),
                    created_by: Some(actor.user_id),
                },
                self.now(),
            )
            .await?;
        let mut view = self.webhook(actor, id).await?;
        view.secret = Some(secret);
        Ok(view)
    }

    pub async fn webhooks(&self, actor: &Actor) -> Result<Vec<WebhookView>> {
        self.require_webhook_admin(actor)?;
        Ok(self
            .store
            .webhooks()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub async fn webhook(&self, actor: &Actor, id: i64) -> Result<WebhookView> {
        self.require_webhook_admin(actor)?;
        Ok(self.store.webhook(id).await?.ok_or_else(not_found)?.into())
    }

    /// Changes a subscription's URL, event types or description, or pauses or resumes it.
    pub async fn update_webhook(
        &self,
        actor: &Actor,
        id: i64,
        change: WebhookChange,
    ) -> Result<WebhookView> {
        self.require_webhook_admin(actor)?;
        let patch = WebhookPatch {
            url: change.url.as_deref().map(parse_url).transpose()?,
            description: change
                .description
                .as_deref()
                .map(|d| description(Some(d)))
                .transpose()?,
            event_types: change.event_types.as_deref().map(types_json).transpose()?,
            secret: None,
            paused: change
                .paused
                .map(|p| (p, p.then(|| "paused by an admin".to_string()))),
        };
        if !self.store.update_webhook(id, &patch, self.now()).await? {
            return Err(not_found());
        }
        if change.paused == Some(false) {
            self.wake_webhooks();
        }
        self.webhook(actor, id).await
    }

    /// Pauses (`true`) or resumes (`false`) a subscription.
    pub async fn pause_webhook(&self, actor: &Actor, id: i64, paused: bool) -> Result<WebhookView> {
        self.update_webhook(
            actor,
            id,
            WebhookChange {
                paused: Some(paused),
                ..Default::default()
            },
        )
        .await
    }

    /// Replaces the signing secret; the answer carries the new one, once. Deliveries
    /// from now on are signed with it.
    pub async fn rotate_webhook_secret(&self, actor: &Actor, id: i64) -> Result<WebhookView> {
        self.require_webhook_admin(actor)?;
        let secret = new_signing_secret();
        let patch = WebhookPatch {
            secret: Some(secret.clone()),
            ..Default::default()
        };
        if !self.store.update_webhook(id, &patch, self.now()).await? {
            return Err(not_found());
        }
        let mut view = self.webhook(actor, id).await?;
        view.secret = Some(secret);
        Ok(view)
    }

    /// Removes a subscription and its delivery log.
    pub async fn delete_webhook(&self, actor: &Actor, id: i64) -> Result<()> {
        self.require_webhook_admin(actor)?;
        if self.store.delete_webhook(id).await? {
            Ok(())
        } else {
            Err(not_found())
        }
    }

    /// A subscription's deliveries, newest first.
    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        id: i64,
        q: DeliveryQuery,
    ) -> Result<Page<DeliveryView>> {
        self.webhook(actor, id).await?;
        let limit = crate::page_limit(q.limit)?;
        let rows = self.store.deliveries(id, q.after, limit).await?;
        Ok(Page::new(
            rows.into_iter().map(DeliveryView::from).collect(),
            limit,
            |d| d.id,
        ))
    }

    /// One delivery with its attempts and body.
    pub async fn webhook_delivery(
        &self,
        actor: &Actor,
        id: i64,
        delivery_id: i64,
    ) -> Result<DeliveryDetail> {
        self.webhook(actor, id).await?;
        let d = self.store.delivery(id, delivery_id).await?.ok_or_else(|| {
            ServiceError::not_found("delivery", ErrorCode::WebhookDeliveryNotFound)
        })?;
        let attempt_log = self
            .store
            .webhook_attempts(d.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(DeliveryDetail {
            payload: serde_json::from_str(&d.payload).unwrap_or_default(),
            delivery: d.into(),
            attempt_log,
        })
    }

    /// Sends a delivery's message again, as a new delivery with attempts of its own and
    /// the same `webhook-id` (receivers that already took it can tell). A paused
    /// subscription sends it when resumed.
    pub async fn replay_webhook_delivery(
        &self,
        actor: &Actor,
        id: i64,
        delivery_id: i64,
    ) -> Result<DeliveryView> {
        self.webhook(actor, id).await?;
        let original = self.store.delivery(id, delivery_id).await?.ok_or_else(|| {
            ServiceError::not_found("delivery", ErrorCode::WebhookDeliveryNotFound)
        })?;
        let new_id = self.store.replay_delivery(&original, self.now()).await?;
        self.wake_webhooks();
        let row = self
            .store
            .delivery(id, new_id)
            .await?
            .ok_or_else(|| ServiceError::internal("a replay vanished as it was queued"))?;
        Ok(row.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_whsec_and_32_random_bytes() {
        let s = new_signing_secret();
        let key = BASE64.decode(s.strip_prefix("whsec_").unwrap()).unwrap();
        assert_eq!(key.len(), 32);
        assert_ne!(s, new_signing_secret());
    }
}
