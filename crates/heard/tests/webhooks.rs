//! Webhooks end to end: a receiver on loopback that checks every signature and
//! timestamp the Standard Webhooks way (with the hmac crate, independently of heard's
//! own signing code), subscriptions made through the API, tickets worked through the
//! API, and the delivery log, retries, pause, resume and replay read back through the
//! API. The server's clock is fixed and moved by the test, so a day of retries takes
//! no time; each sweep is run by the test, as the `heard serve` loop would.

mod common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::pages::browser;
use common::{TestApp, World};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const HOUR: i64 = 3_600_000;

/// One request the receiver took.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: i64,
    body: Value,
    /// The signature matched the secret the test was given and the timestamp was fresh.
    verified: bool,
}

/// A webhook receiver on loopback answering with `status` (and a body) after `delay_ms`.
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
    secret: Arc<Mutex<String>>,
    clock: heard_services::Clock,
}

impl Receiver {
    async fn start(clock: heard_services::Clock) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let r = Receiver {
            url: format!("http://{}/hooks/heard", listener.local_addr().unwrap()),
            got: Default::default(),
            status: Arc::new(AtomicU16::new(200)),
            delay_ms: Default::default(),
            secret: Default::default(),
            clock,
        };
        let app = axum::Router::new()
            .route("/hooks/heard", axum::routing::post(receive))
            .with_state(r.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        r
    }

    fn trust(&self, secret: &str) {
        *self.secret.lock().unwrap() = secret.to_string();
    }

    fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn types(&self) -> Vec<String> {
        self.got()
            .iter()
            .map(|r| r.body["type"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

/// Verifies as a receiver following the Standard Webhooks specification would.
fn verify(secret: &str, headers: &HeaderMap, body: &str, now_s: i64) -> bool {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (id, ts, sigs) = (
        get("webhook-id"),
        get("webhook-timestamp"),
        get("webhook-signature"),
    );
    let Ok(ts) = ts.parse::<i64>() else {
        return false;
    };
    if (now_s - ts).abs() > 5 * 60 {
        return false;
    }
    let key = BASE64
        .decode(secret.strip_prefix("whsec_").unwrap_or(""))
        .unwrap_or_default();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
    // The header may carry several space-separated signatures.
    !key.is_empty() && sigs.split(' ').any(|s| s == expected)
}

async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: String,
) -> (AxumStatus, String) {
    let secret = r.secret.lock().unwrap().clone();
    let verified = verify(&secret, &headers, &body, r.clock.now_ms() / 1000);
    let get = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    r.got.lock().unwrap().push(Received {
        id: get("webhook-id"),
        timestamp: get("webhook-timestamp").parse().unwrap_or(0),
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
        verified,
    });
    let delay = r.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = r.status.load(Ordering::SeqCst);
    let text = if status < 300 {
        "thanks, got it"
    } else {
        "down for maintenance"
    };
    (AxumStatus::from_u16(status).unwrap(), text.to_string())
}

fn fixed_clock() -> heard_services::Clock {
    heard_services::Clock::fixed(jiff::Timestamp::now().as_millisecond())
}

async fn subscribe(w: &World, r: &Receiver, types: &[&str]) -> (i64, String) {
    let (status, v) = w
        .app
        .post(
            "/api/v1/webhooks",
            &w.admin.token,
            json!({"url": r.url, "event_types": types, "description": "test receiver"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let secret = v["secret"].as_str().expect("the secret, once").to_string();
    r.trust(&secret);
    (v["id"].as_i64().unwrap(), secret)
}

async fn deliveries(w: &World, id: i64) -> Vec<Value> {
    let (status, v) = w
        .app
        .get(&format!("/api/v1/webhooks/{id}/deliveries"), &w.admin.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["items"].as_array().unwrap().clone()
}

#[test]
fn the_signature_matches_an_independent_hmac() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let key = BASE64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(b"msg_1.1700000000.{\"type\":\"ticket.created\"}");
    let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
    assert_eq!(
        heard_services::webhook_delivery::sign(
            secret,
            "msg_1",
            1_700_000_000,
            r#"{"type":"ticket.created"}"#
        ),
        Some(expected)
    );
}

#[tokio::test]
async fn signed_deliveries_arrive_for_the_subscribed_events_only() {
    let clock = fixed_clock();
    let w = World::with_clock(clock.clone()).await;
    let r = Receiver::start(clock.clone()).await;
    let before = w
        .ticket_by(&w.c2, "Opened before the webhook existed")
        .await;
    let (hook, secret) = subscribe(
        &w,
        &r,
        &[
            "ticket.status_changed",
            "ticket.created",
            "ticket.message_added",
        ],
    )
    .await;
    let key = BASE64
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    assert_eq!(key.len(), 32, "{secret}");

    // The secret is shown once: never in reads or lists.
    let (_, v) = w
        .app
        .get(&format!("/api/v1/webhooks/{hook}"), &w.admin.token)
        .await;
    assert!(v.get("secret").is_none(), "{v}");
    assert_eq!(
        v["event_types"],
        json!([
            "ticket.created",
            "ticket.message_added",
            "ticket.status_changed"
        ])
    );
    let (_, list) = w.app.get("/api/v1/webhooks", &w.admin.token).await;
    assert!(!list.to_string().contains(&secret));

    let id = w.ticket_by(&w.c1, "VPN drops every hour").await;
    let t = format!("/api/v1/tickets/{id}");
    w.app
        .post(
            &format!("{t}/messages"),
            &w.agent_a.token,
            json!({"body": "Which client version do you run?"}),
        )
        .await;
    w.app
        .post(
            &format!("{t}/messages"),
            &w.agent_a.token,
            json!({"body": "SECRET-NOTE: customer is on the old plan", "internal": true}),
        )
        .await;
    w.app
        .patch(&t, &w.agent_a.token, json!({"priority": "high"}))
        .await;
    w.app.services.run_webhooks().await.unwrap();

    let got = r.got();
    assert!(got.iter().all(|g| g.verified), "{got:#?}");
    let mut types = r.types();
    types.sort();
    assert_eq!(
        types,
        vec![
            "ticket.created",
            "ticket.message_added",
            "ticket.status_changed"
        ],
        "the events of the new ticket, nothing from before the subscription, no note, no priority change"
    );
    let of = |t: &str| {
        got.iter()
            .find(|g| g.body["type"] == t)
            .unwrap()
            .body
            .clone()
    };
    let created = of("ticket.created");
    assert_eq!(created["data"]["ticket"]["id"], id);
    assert_eq!(created["data"]["ticket"]["number"], id);
    assert_eq!(created["data"]["ticket"]["subject"], "VPN drops every hour");
    assert_eq!(created["data"]["ticket"]["requester"]["id"], w.c1.id);
    assert!(created["timestamp"].as_str().unwrap().ends_with('Z'));
    let status = of("ticket.status_changed")["data"].clone();
    assert_eq!(
        (&status["from"], &status["to"]),
        (&json!("new"), &json!("open"))
    );
    let message = of("ticket.message_added")["data"]["message"].clone();
    assert_eq!(message["body_text"], "Which client version do you run?");
    assert_eq!(message["author"]["id"], w.agent_a.id);
    for g in &got {
        let text = g.body.to_string();
        assert!(
            !text.contains("SECRET-NOTE"),
            "an internal note leaked: {text}"
        );
        assert!(!text.contains("frustration"), "{text}");
        assert_ne!(g.body["data"]["ticket"]["id"], before);
        assert_eq!(g.timestamp, clock.now_ms() / 1000);
    }
    let ids: std::collections::HashSet<_> = got.iter().map(|g| g.id.clone()).collect();
    assert_eq!(ids.len(), 3, "each message has its own webhook-id");

    // Sweeping again sends nothing twice.
    w.app.services.run_webhooks().await.unwrap();
    clock.advance_ms(HOUR);
    w.app.services.run_webhooks().await.unwrap();
    assert_eq!(r.got().len(), 3);

    // The log: newest first, each delivered at the first attempt with the answer kept.
    let log = deliveries(&w, hook).await;
    assert_eq!(log.len(), 3);
    assert_eq!(log[0]["event_type"], "ticket.message_added");
    for d in &log {
        assert_eq!(d["state"], "delivered", "{d}");
        assert_eq!(d["attempts"], 1);
        assert_eq!(d["response_status"], 200);
        assert_eq!(d["response_excerpt"], "thanks, got it");
        assert!(d["duration_ms"].as_i64().is_some());
        assert!(d["next_attempt_at"].is_null());
        assert!(
            got.iter()
                .any(|g| g.id == d["message_id"].as_str().unwrap())
        );
    }
    // Keyset pages.
    let (_, page) = w
        .app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries?limit=2"),
            &w.admin.token,
        )
        .await;
    let after = page["next_after"].as_i64().expect("a next page");
    let (_, rest) = w
        .app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries?limit=2&after={after}"),
            &w.admin.token,
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["event_type"], "ticket.created");
    assert!(rest["next_after"].is_null());

    // A rotated secret signs what follows; the old one no longer verifies.
    let (status, v) = w
        .app
        .post(
            &format!("/api/v1/webhooks/{hook}/rotate-secret"),
            &w.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let rotated = v["secret"].as_str().unwrap().to_string();
    assert_ne!(rotated, secret);
    w.ticket_by(&w.c1, "Printer jammed").await;
    w.app.services.run_webhooks().await.unwrap();
    assert!(
        !r.got()[3].verified,
        "signed with the new secret, not the old"
    );
    r.trust(&rotated);
    w.ticket_by(&w.c1, "Printer jammed again").await;
    w.app.services.run_webhooks().await.unwrap();
    assert!(r.got()[4].verified);

    // Narrowing the event types and deleting.
    let (status, v) = w
        .app
        .patch(
            &format!("/api/v1/webhooks/{hook}"),
            &w.admin.token,
            json!({"event_types": ["ticket.rated"], "description": "ratings only"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["event_types"], json!(["ticket.rated"]));
    w.ticket_by(&w.c1, "Not sent").await;
    w.app.services.run_webhooks().await.unwrap();
    assert_eq!(r.got().len(), 5);
    let (status, _) = w
        .app
        .call(
            "DELETE",
            &format!("/api/v1/webhooks/{hook}"),
            Some(&w.admin.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, v) = w
        .app
        .get(&format!("/api/v1/webhooks/{hook}"), &w.admin.token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "webhook_not_found");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_then_paused_and_replay_delivers() {
    let clock = fixed_clock();
    let w = World::with_clock(clock.clone()).await;
    let r = Receiver::start(clock.clone()).await;
    r.answer(503);
    let (hook, _) = subscribe(&w, &r, &["ticket.created"]).await;
    let first = w.ticket_by(&w.c1, "Billing page is blank").await;
    w.app.services.run_webhooks().await.unwrap();
    let d = deliveries(&w, hook).await.remove(0);
    assert_eq!(
        (&d["state"], &d["attempts"], &d["response_status"]),
        (&json!("pending"), &json!(1), &json!(503)),
        "{d}"
    );
    assert_eq!(d["response_excerpt"], "down for maintenance");
    assert!(d["next_attempt_at"].is_string());
    let delivery = d["id"].as_i64().unwrap();

    // Not before the back-off has passed.
    clock.advance_ms(10_000);
    w.app.services.run_webhooks().await.unwrap();
    assert_eq!(r.got().len(), 1, "retried before its time");

    // Ten attempts over about a day, then the subscription pauses itself.
    let mut waited = 10_000;
    for attempt in 2..=10 {
        let before = r.got().len();
        // Step in hours until the retry falls due: each wait is shorter than 10 hours.
        for _ in 0..10 {
            clock.advance_ms(HOUR);
            waited += HOUR;
            w.app.services.run_webhooks().await.unwrap();
            if r.got().len() > before {
                break;
            }
        }
        assert_eq!(r.got().len(), attempt, "attempt {attempt} was made");
    }
    assert!(
        (18 * HOUR..=40 * HOUR).contains(&waited),
        "ten attempts took {} hours",
        waited / HOUR
    );
    let (_, detail) = w
        .app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries/{delivery}"),
            &w.admin.token,
        )
        .await;
    assert_eq!(detail["state"], "failed", "{detail}");
    assert_eq!(detail["attempts"], 10);
    let log = detail["attempt_log"].as_array().unwrap();
    assert_eq!(log.len(), 10);
    assert!(log.iter().all(|a| a["response_status"] == 503));
    assert_eq!(detail["payload"]["data"]["ticket"]["id"], first);
    let (_, v) = w
        .app
        .get(&format!("/api/v1/webhooks/{hook}"), &w.admin.token)
        .await;
    assert_eq!(v["paused"], true, "{v}");
    assert!(v["paused_reason"].as_str().unwrap().contains("failed"));
    assert_eq!(v["consecutive_failures"], 10);
    assert!(r.got().iter().all(|g| g.verified));

    // While paused nothing goes out, but events still queue.
    let second = w.ticket_by(&w.c1, "Second while paused").await;
    clock.advance_ms(HOUR);
    w.app.services.run_webhooks().await.unwrap();
    assert_eq!(r.got().len(), 10);

    // The receiver is fixed; the admin replays the failed delivery and resumes.
    r.answer(204);
    let (status, replay) = w
        .app
        .post(
            &format!("/api/v1/webhooks/{hook}/deliveries/{delivery}/replay"),
            &w.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{replay}");
    assert_eq!(replay["replay_of"], delivery);
    assert_eq!(replay["message_id"], d["message_id"]);
    let (status, v) = w
        .app
        .patch(
            &format!("/api/v1/webhooks/{hook}"),
            &w.admin.token,
            json!({"paused": false}),
        )
        .await;
    assert_eq!((status, &v["paused"]), (StatusCode::OK, &json!(false)));
    w.app.services.run_webhooks().await.unwrap();
    let got = r.got();
    assert_eq!(got.len(), 12, "the replay and what waited during the pause");
    let tickets: Vec<_> = got[10..]
        .iter()
        .map(|g| g.body["data"]["ticket"]["id"].as_i64().unwrap())
        .collect();
    assert!(
        tickets.contains(&first) && tickets.contains(&second),
        "{tickets:?}"
    );
    assert!(
        got.iter().any(|g| g.id == d["message_id"].as_str().unwrap()
            && g.body["data"]["ticket"]["id"] == first)
    );
    let log = deliveries(&w, hook).await;
    let replayed = log.iter().find(|d| d["replay_of"] == delivery).unwrap();
    assert_eq!(replayed["state"], "delivered");
    assert_eq!(replayed["response_status"], 204);
    let (_, v) = w
        .app
        .get(&format!("/api/v1/webhooks/{hook}"), &w.admin.token)
        .await;
    assert_eq!(v["consecutive_failures"], 0);

    // A delivered message can be replayed too.
    let (status, _) = w
        .app
        .post(
            &format!("/api/v1/webhooks/{hook}/deliveries/{delivery}/replay"),
            &w.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    w.app.services.run_webhooks().await.unwrap();
    assert_eq!(r.got().len(), 13);
    let (status, v) = w
        .app
        .post(
            &format!("/api/v1/webhooks/{hook}/deliveries/999999/replay"),
            &w.admin.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "webhook_delivery_not_found");
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_redirects_are_not_followed() {
    let clock = fixed_clock();
    let app = TestApp::spawn_configured(clock.clone(), |s, _| {
        s.with_webhook_timeout(Duration::from_millis(300))
    })
    .await;
    let w = World::on(app).await;
    let r = Receiver::start(clock.clone()).await;
    r.delay_ms.store(3_000, Ordering::SeqCst);
    let (hook, _) = subscribe(&w, &r, &["ticket.created"]).await;
    w.ticket_by(&w.c1, "Slow receiver").await;
    w.app.services.run_webhooks().await.unwrap();
    let d = deliveries(&w, hook).await.remove(0);
    assert_eq!(d["state"], "pending", "{d}");
    assert_eq!(d["error"], "timed out");
    assert!(d["response_status"].is_null());

    r.delay_ms.store(0, Ordering::SeqCst);
    r.answer(302);
    clock.advance_ms(HOUR);
    w.app.services.run_webhooks().await.unwrap();
    let d = deliveries(&w, hook).await.remove(0);
    assert_eq!(
        (&d["attempts"], &d["response_status"]),
        (&json!(2), &json!(302)),
        "{d}"
    );
    assert_eq!(d["state"], "pending");
}

#[tokio::test]
async fn two_processes_sweeping_at_once_send_each_message_once() {
    let clock = fixed_clock();
    let w = World::with_clock(clock.clone()).await;
    let r = Receiver::start(clock.clone()).await;
    subscribe(&w, &r, &["ticket.created", "ticket.message_added"]).await;
    for n in 0..6 {
        let id = w.ticket_by(&w.c1, &format!("Ticket {n}")).await;
        w.app
            .post(
                &format!("/api/v1/tickets/{id}/messages"),
                &w.c1.token,
                json!({"body": "More detail"}),
            )
            .await;
    }
    // A second process over the same database.
    let other = heard_services::Services::new(w.app.store.clone()).with_clock(clock.clone());
    let (a, b) = tokio::join!(w.app.services.run_webhooks(), other.run_webhooks());
    a.unwrap();
    b.unwrap();
    let (a, b) = tokio::join!(w.app.services.run_webhooks(), other.run_webhooks());
    a.unwrap();
    b.unwrap();
    let got = r.got();
    let ids: std::collections::HashSet<_> = got.iter().map(|g| g.id.clone()).collect();
    assert_eq!(got.len(), 12, "{:?}", r.types());
    assert_eq!(ids.len(), 12, "a message was sent twice");
}

#[tokio::test]
async fn only_admins_manage_webhooks() {
    let w = World::new().await;
    let r = Receiver::start(heard_services::Clock::System).await;
    let (hook, _) = subscribe(&w, &r, &["ticket.created"]).await;
    for p in [&w.agent_a, &w.supervisor, &w.c1] {
        let (status, v) = w.app.get("/api/v1/webhooks", &p.token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
        let (status, _) = w
            .app
            .get(&format!("/api/v1/webhooks/{hook}"), &p.token)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = w
            .app
            .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &p.token)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = w
            .app
            .post(
                "/api/v1/webhooks",
                &p.token,
                json!({"url": r.url, "event_types": ["ticket.created"]}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = w
            .app
            .patch(
                &format!("/api/v1/webhooks/{hook}"),
                &p.token,
                json!({"paused": true}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = w.app.call("GET", "/api/v1/webhooks", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, list) = w.app.get("/api/v1/webhooks", &w.admin.token).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "nobody else added one");
    let page = w
        .app
        .client
        .get(w.app.url("/admin/webhooks"))
        .bearer_auth(&w.agent_a.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("Add a webhook"),
        "an agent sees no webhook page"
    );
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field() {
    let w = World::new().await;
    for url in [
        "ftp://example.com/hook",
        "example.com/hook",
        "javascript:alert(1)",
        "https://",
        "http://exa mple.com/",
        "",
    ] {
        let (status, v) = w
            .app
            .post(
                "/api/v1/webhooks",
                &w.admin.token,
                json!({"url": url, "event_types": ["ticket.created"]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {v}");
        assert_eq!(v["error"]["field"], "url", "{url}");
        assert_eq!(v["error"]["code"], "invalid_webhook_url");
    }
    for types in [json!([]), json!(["ticket.deleted"])] {
        let (status, v) = w
            .app
            .post(
                "/api/v1/webhooks",
                &w.admin.token,
                json!({"url": "https://example.com/h", "event_types": types}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["field"], "event_types");
        assert_eq!(v["error"]["code"], "invalid_webhook_event_type");
    }
    let (status, v) = w
        .app
        .post(
            "/api/v1/webhooks",
            &w.admin.token,
            json!({"url": "https://example.com/h", "event_types": ["ticket.created"], "secret": "mine"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (status, v) = w
        .app
        .post(
            "/api/v1/webhooks",
            &w.admin.token,
            json!({"url": "https://example.com/h", "event_types": ["ticket.created"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let hook = v["id"].as_i64().unwrap();
    let (status, v) = w
        .app
        .patch(
            &format!("/api/v1/webhooks/{hook}"),
            &w.admin.token,
            json!({"url": "mailto:a@b.c"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["field"], "url");
    let (_, v) = w
        .app
        .get(&format!("/api/v1/webhooks/{hook}"), &w.admin.token)
        .await;
    assert_eq!(v["url"], "https://example.com/h", "nothing half-written");
    let (status, _) = w
        .app
        .get("/api/v1/webhooks/424242/deliveries", &w.admin.token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, types) = w
        .app
        .get("/api/v1/webhooks/event-types", &w.admin.token)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        types
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "ticket.promise_breached")
    );
}

#[tokio::test]
async fn the_admin_page_adds_shows_the_secret_once_and_replays() {
    let clock = fixed_clock();
    let w = World::with_clock(clock.clone()).await;
    let r = Receiver::start(clock.clone()).await;
    let admin = browser(&w.app, &w.admin).await;
    let (status, page) = admin.page("/admin/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No webhooks yet"));
    let (_, nav) = admin.page("/admin").await;
    assert!(
        nav.contains("href=\"/admin/webhooks\""),
        "linked from the admin navigation"
    );

    // Refused: the message sits next to the URL field and the ticked type stays ticked.
    let (status, _, page) = admin
        .form(
            "/admin/webhooks",
            &[
                ("url", "ftp://127.0.0.1/x"),
                ("event_types", "ticket.created"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"new-webhook-url-error\""), "{page}");
    assert!(page.contains("value=\"ticket.created\" checked"));

    let (status, _, page) = admin
        .form(
            "/admin/webhooks",
            &[
                ("url", &r.url),
                ("description", "Chat bridge"),
                ("event_types", "ticket.created"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let secret = page
        .split("whsec_")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .map(|b64| format!("whsec_{b64}"))
        .expect("the secret on the page");
    r.trust(&secret);
    let (_, again) = admin.page("/admin/webhooks").await;
    assert!(!again.contains(&secret), "the secret is shown once");
    assert!(again.contains("Chat bridge") && again.contains("Active"));

    w.ticket_by(&w.c1, "Through the page").await;
    w.app.services.run_webhooks().await.unwrap();
    assert_eq!(r.got().len(), 1);
    assert!(r.got()[0].verified);
    let (_, page) = admin.page("/admin/webhooks").await;
    assert!(page.contains("class=\"delivery delivered\""), "{page}");
    assert!(page.contains("thanks, got it"));

    let hook = w.app.get("/api/v1/webhooks", &w.admin.token).await.1[0]["id"]
        .as_i64()
        .unwrap();
    let delivery = deliveries(&w, hook).await[0]["id"].as_i64().unwrap();
    let (status, to, _) = admin
        .form(
            &format!("/admin/webhooks/{hook}/deliveries/{delivery}/replay"),
            &[],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/admin/webhooks?done=replayed")
    );
    w.app.services.run_webhooks().await.unwrap();
    assert_eq!(r.got().len(), 2);
    assert_eq!(r.got()[1].id, r.got()[0].id);

    let (status, to, _) = admin
        .form(&format!("/admin/webhooks/{hook}"), &[("action", "pause")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (_, page) = admin.page("/admin/webhooks").await;
    assert!(page.contains("Paused") && page.contains("paused by an admin"));
    assert!(page.contains("value=\"resume\""));
    let (status, _, _) = admin
        .form(&format!("/admin/webhooks/{hook}"), &[("action", "remove")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        w.app
            .get("/api/v1/webhooks", &w.admin.token)
            .await
            .1
            .as_array()
            .unwrap()
            .is_empty()
    );

    let agent = browser(&w.app, &w.agent_a).await;
    let (status, page) = agent.page("/admin/webhooks").await;
    assert_ne!(status, StatusCode::OK);
    assert!(!page.contains("Add a webhook"));
    let (status, _, _) = agent
        .form(
            "/admin/webhooks",
            &[("url", &r.url), ("event_types", "ticket.created")],
        )
        .await;
    assert_ne!(status, StatusCode::OK);
    assert!(
        w.app
            .get("/api/v1/webhooks", &w.admin.token)
            .await
            .1
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_webhook_endpoints() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/webhooks", "get"),
        ("/webhooks", "post"),
        ("/webhooks/event-types", "get"),
        ("/webhooks/{id}", "get"),
        ("/webhooks/{id}", "patch"),
        ("/webhooks/{id}", "delete"),
        ("/webhooks/{id}/rotate-secret", "post"),
        ("/webhooks/{id}/deliveries", "get"),
        ("/webhooks/{id}/deliveries/{delivery_id}", "get"),
        ("/webhooks/{id}/deliveries/{delivery_id}/replay", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    for schema in [
        "WebhookInput",
        "WebhookView",
        "DeliveryView",
        "DeliveryDetail",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}
