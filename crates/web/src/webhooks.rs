//! Admin: webhooks — the subscriptions with their state, adding one (its signing secret
//! is shown on the answer to that form, once, and never put in a URL), pausing,
//! resuming and removing one, and each one's recent deliveries with a replay button.

use crate::WebState;
use crate::admin::{Done, Fields};
use crate::format::when;
use crate::forms::{FormState, all, field, refusal};
use crate::page::{Chrome, PageResult, notice_text, render, render_status, see_other};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use heard_services::webhooks::{DeliveryQuery, EventTypeView, WebhookInput, WebhookView};

/// Deliveries shown under each subscription.
const RECENT: i64 = 10;

pub struct DeliveryLine {
    pub id: i64,
    pub event_type: String,
    pub state: String,
    pub attempts: i64,
    pub status: String,
    pub excerpt: String,
    pub duration: String,
    pub next_attempt: String,
    pub at: String,
}

pub struct WebhookLine {
    pub w: WebhookView,
    pub types: String,
    pub deliveries: Vec<DeliveryLine>,
}

/// The secret of a subscription just added, shown once.
pub struct NewSecret {
    pub url: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    webhooks: Vec<WebhookLine>,
    event_types: Vec<EventTypeView>,
    created: Option<NewSecret>,
    f: FormState,
}

async fn page(s: &WebState, viewer: &Viewer, f: FormState) -> PageResult<WebhooksPage> {
    let mut webhooks = Vec::new();
    for w in s.services.webhooks(&viewer.actor).await? {
        let deliveries = s
            .services
            .webhook_deliveries(
                &viewer.actor,
                w.id,
                DeliveryQuery {
                    after: None,
                    limit: Some(RECENT),
                },
            )
            .await?
            .items
            .into_iter()
            .map(|d| DeliveryLine {
                id: d.id,
                event_type: d.event_type,
                status: d
                    .response_status
                    .map(|s| s.to_string())
                    .or(d.error)
                    .unwrap_or_else(|| "—".into()),
                excerpt: d.response_excerpt.unwrap_or_default(),
                duration: d
                    .duration_ms
                    .map(|ms| format!("{ms} ms"))
                    .unwrap_or_default(),
                next_attempt: d.next_attempt_at.as_deref().map(when).unwrap_or_default(),
                at: when(&d.created_at),
                state: d.state,
                attempts: d.attempts,
            })
            .collect();
        webhooks.push(WebhookLine {
            types: w.event_types.join(", "),
            w,
            deliveries,
        });
    }
    Ok(WebhooksPage {
        chrome: viewer.chrome("Webhooks", "admin"),
        webhooks,
        event_types: s.services.webhook_event_types(),
        created: None,
        f,
    })
}

pub async fn webhooks(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<Done>,
) -> PageResult {
    viewer.require_admin()?;
    let mut p = page(&s, &viewer, FormState::default()).await?;
    p.chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&p))
}

/// Adds a subscription and answers with the page showing its secret (not a redirect:
/// the secret must not travel in a URL).
pub async fn add(State(s): State<WebState>, viewer: Viewer, Form(v): Fields) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    let input = WebhookInput {
        url: field(&v, "url").to_string(),
        event_types: all(&v, "event_types")
            .into_iter()
            .map(String::from)
            .collect(),
        description: Some(field(&v, "description").to_string()),
    };
    match s.services.create_webhook(&viewer.actor, input).await {
        Ok(created) => {
            let mut p = page(&s, &viewer, FormState::default()).await?;
            p.chrome.notice = Some("The webhook was added.".into());
            p.created = Some(NewSecret {
                url: created.url,
                secret: created.secret.unwrap_or_default(),
            });
            Ok(render(&p))
        }
        Err(e) => {
            let f = refusal(
                "new-webhook",
                &v,
                e,
                &[
                    ("url", "url"),
                    ("event_types", "event_types"),
                    ("description", "description"),
                ],
            )?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&s, &viewer, f).await?,
            ))
        }
    }
}

/// Pauses, resumes or removes a subscription, by the button pressed.
pub async fn change(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    let notice = match field(&v, "action") {
        "remove" => {
            s.services.delete_webhook(&viewer.actor, id).await?;
            "webhook_removed"
        }
        "resume" => {
            s.services.pause_webhook(&viewer.actor, id, false).await?;
            "webhook_resumed"
        }
        _ => {
            s.services.pause_webhook(&viewer.actor, id, true).await?;
            "webhook_paused"
        }
    };
    Ok(see_other("/admin/webhooks", notice))
}

/// Sends a delivery's message again.
pub async fn replay(
    State(s): State<WebState>,
    viewer: Viewer,
    Path((id, delivery_id)): Path<(i64, i64)>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    s.services
        .replay_webhook_delivery(&viewer.actor, id, delivery_id)
        .await?;
    Ok(see_other("/admin/webhooks", "replayed"))
}
