//! Live chat through the API (issue 15), on both backends: a chat is a ticket whose
//! conversation is the transcript; guests speak with a token that opens only their chat;
//! agents accept through the router under a chat limit, hand over with a note and end;
//! after hours, or with nobody to answer, the chat is a ticket with its promise. Lines
//! arrive live over a WebSocket, also across two `heard serve` processes on PostgreSQL.

mod common;

use common::processes::HeardProcess;
use common::*;
use futures_util::{SinkExt, StreamExt};
use heard_services::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Monday 23 November 2026, 11:00 UTC: inside the default office hours.
const MONDAY_11: i64 = 1_795_424_400_000 + 2 * 3_600_000;
/// Saturday 28 November 2026, 11:00 UTC: the office is closed.
const SATURDAY_11: i64 = MONDAY_11 + 5 * 86_400_000;

/// A request with optional bearer token, chat token and idempotency key.
async fn req(
    app: &TestApp,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    chat_token: Option<&str>,
    key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = app.client.request(method.parse().unwrap(), app.url(path));
    if let Some(t) = bearer {
        r = r.bearer_auth(t);
    }
    if let Some(t) = chat_token {
        r = r.header("chat-token", t);
    }
    if let Some(k) = key {
        r = r.header("idempotency-key", k);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let res = r.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_ne!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{method} {path}: {text}"
    );
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn available(app: &TestApp, p: &Person) {
    let (st, v) = app
        .call(
            "PUT",
            "/api/v1/me/presence",
            Some(&p.token),
            Some(json!({"presence": "available"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

fn code(v: &Value) -> (&str, &str) {
    (
        v["error"]["code"].as_str().unwrap_or(""),
        v["error"]["field"].as_str().unwrap_or(""),
    )
}

async fn guest_chat(app: &TestApp, name: &str, email: &str, line: &str) -> (i64, String, Value) {
    let (st, v) = req(
        app,
        "POST",
        "/api/v1/chats",
        None,
        None,
        None,
        Some(json!({"name": name, "email": email, "message": line})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["outcome"], "chat", "{v}");
    (
        v["chat"]["id"].as_i64().unwrap(),
        v["chat_token"].as_str().unwrap().to_string(),
        v,
    )
}

#[tokio::test]
async fn a_chat_from_start_to_hand_over_and_end() {
    let w = World::with_clock(Clock::fixed(MONDAY_11)).await;
    let app = &w.app;

    // Bad input names the field; staff do not start chats.
    let (st, v) = req(
        app,
        "POST",
        "/api/v1/chats",
        None,
        None,
        None,
        Some(json!({"message": "hi", "email": "a@b.test"})),
    )
    .await;
    assert_eq!(
        (st.as_u16(), code(&v)),
        (422, ("missing_field", "name")),
        "{v}"
    );
    let (st, v) = req(
        app,
        "POST",
        "/api/v1/chats",
        None,
        None,
        None,
        Some(json!({"message": "hi", "name": "Ann", "email": "nope"})),
    )
    .await;
    assert_eq!((st.as_u16(), code(&v).1), (422, "email"), "{v}");
    let (st, v) = req(
        app,
        "POST",
        "/api/v1/chats",
        None,
        None,
        None,
        Some(json!({"message": "  ", "name": "Ann", "email": "ann@guest.test"})),
    )
    .await;
    assert_eq!((st.as_u16(), code(&v).1), (422, "message"), "{v}");
    let (st, _) = req(
        app,
        "POST",
        "/api/v1/chats",
        Some(&w.agent_a.token),
        None,
        None,
        Some(json!({"message": "hi"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Open hours but nobody on: the chat is a ticket with its promise, never a dead end.
    let (st, v) = req(
        app,
        "POST",
        "/api/v1/chats",
        Some(&w.c1.token),
        None,
        None,
        Some(json!({"message": "Is anyone there?"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["outcome"].as_str(), v["fallback"]["reason"].as_str()),
        (Some("ticket"), Some("nobody_available")),
        "{v}"
    );
    assert!(v["fallback"]["promise_due_at"].is_string(), "{v}");
    assert!(v["chat"].is_null() && v["chat_token"].is_null());

    available(app, &w.agent_a).await;
    available(app, &w.agent_b).await;

    // A guest starts a chat: waiting, first in line, with a token for this chat only.
    let (chat, token, started) = guest_chat(
        app,
        "Gina Guest",
        "gina@guest.test",
        "My VPN drops every hour",
    )
    .await;
    assert_eq!(started["chat"]["state"], "waiting");
    assert_eq!(started["chat"]["queue"]["place"], 1);
    assert!(
        started["chat"]["queue"]["text"]
            .as_str()
            .unwrap()
            .contains("next"),
        "{started}"
    );
    let ticket = started["ticket_id"].as_i64().unwrap();
    // A signed-in customer's chat waits behind it.
    let (st, second) = req(
        app,
        "POST",
        "/api/v1/chats",
        Some(&w.c1.token),
        None,
        None,
        Some(json!({"message": "Printer offline"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{second}");
    assert_eq!(second["chat"]["queue"]["place"], 2, "{second}");
    assert!(
        second["chat_token"].is_null(),
        "signed-in customers need no token"
    );
    let chat2 = second["chat"]["id"].as_i64().unwrap();

    // The token opens its chat and nothing else; others' chats answer 404.
    let (st, v) = req(
        app,
        "GET",
        &format!("/api/v1/chats/{chat}"),
        None,
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::OK, Some("waiting")));
    let (st, v) = req(
        app,
        "GET",
        &format!("/api/v1/chats/{chat2}"),
        None,
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!((st.as_u16(), code(&v).0), (404, "chat_not_found"));
    let (st, _) = req(
        app,
        "GET",
        &format!("/api/v1/chats/{chat}"),
        None,
        Some("chat_wrong"),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = req(
        app,
        "GET",
        &format!("/api/v1/tickets/{ticket}"),
        None,
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(
        st,
        StatusCode::UNAUTHORIZED,
        "a chat token is no key to the rest of the API"
    );
    let (st, _) = req(
        app,
        "GET",
        &format!("/api/v1/chats/{chat}"),
        Some(&w.c2.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = req(
        app,
        "GET",
        "/api/v1/chats/999999",
        Some(&w.agent_a.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Waiting lists are scoped to the agent's teams; customers get none.
    let (st, list) = req(
        app,
        "GET",
        "/api/v1/chats",
        Some(&w.agent_a.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [chat, chat2]);
    let (_, list_b) = req(
        app,
        "GET",
        "/api/v1/chats",
        Some(&w.agent_b.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(list_b, json!([]), "another team's chats stay hidden");
    let (st, _) = req(
        app,
        "GET",
        "/api/v1/chats",
        Some(&w.c1.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let res = app
        .client
        .get(app.url("/api/v1/chats?format=csv"))
        .bearer_auth(&w.agent_a.token)
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    assert!(
        csv.starts_with("id,ticket_id,state") && csv.contains("My VPN drops"),
        "{csv}"
    );
    let (st, _) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/accept"),
        Some(&w.agent_b.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(
        st,
        StatusCode::NOT_FOUND,
        "another team's chat cannot be accepted"
    );

    // The customer may write while waiting; staff only once accepted.
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/messages"),
        None,
        Some(&token),
        Some("g-1"),
        Some(json!({"body": "It started after the update"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let first_line = v["id"].as_i64().unwrap();
    assert!(v["analysis"].is_null(), "customers never see the analysis");
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/messages"),
        Some(&w.agent_a.token),
        None,
        None,
        Some(json!({"body": "Hello"})),
    )
    .await;
    assert_eq!((st.as_u16(), code(&v).0), (409, "chat_not_active"));

    // The admin sets a limit of one chat per agent; bad limits name the field.
    let (st, v) = app
        .call(
            "PUT",
            "/api/v1/chats/settings",
            Some(&w.admin.token),
            Some(json!({"max_chats_per_agent": 0})),
        )
        .await;
    assert_eq!(
        (st.as_u16(), code(&v)),
        (422, ("invalid_chat_limit", "max_chats_per_agent"))
    );
    let (st, _) = app
        .call(
            "PUT",
            "/api/v1/chats/settings",
            Some(&w.agent_a.token),
            Some(json!({"max_chats_per_agent": 1})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = app
        .call(
            "PUT",
            "/api/v1/chats/settings",
            Some(&w.admin.token),
            Some(json!({"max_chats_per_agent": 1})),
        )
        .await;
    assert_eq!(
        (st, v["max_chats_per_agent"].as_i64()),
        (StatusCode::OK, Some(1))
    );

    // Accept: the agent owns the ticket; a second accept is refused; the limit holds.
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/accept"),
        Some(&w.agent_a.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (v["state"].as_str(), v["agent"]["id"].as_i64()),
        (Some("active"), Some(w.agent_a.id))
    );
    assert_eq!(
        v["unread"], 2,
        "the first line and the one sent while waiting"
    );
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/accept"),
        Some(&w.agent_a.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!((st.as_u16(), code(&v).0), (409, "chat_not_waiting"));
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat2}/accept"),
        Some(&w.agent_a.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(
        (st.as_u16(), code(&v).0),
        (409, "chat_limit_reached"),
        "{v}"
    );
    let (_, t) = app
        .get(&format!("/api/v1/tickets/{ticket}"), &w.agent_a.token)
        .await;
    assert_eq!(
        (t["assignee"]["id"].as_i64(), t["channel"].as_str()),
        (Some(w.agent_a.id), Some("chat")),
        "{t}"
    );

    // Lines: durable, idempotent, read after a cursor by both sides.
    let (st, reply) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/messages"),
        Some(&w.agent_a.token),
        None,
        Some("a-1"),
        Some(json!({"body": "Sorry about that! Which VPN client version do you use?"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{reply}");
    assert!(
        reply["analysis"]["tone"].is_object(),
        "the tone coach reviews agent lines: {reply}"
    );
    let (st, again) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/messages"),
        Some(&w.agent_a.token),
        None,
        Some("a-1"),
        Some(json!({"body": "Sorry about that! Which VPN client version do you use?"})),
    )
    .await;
    assert_eq!(
        (st, again["id"].clone()),
        (StatusCode::OK, reply["id"].clone()),
        "a retry answers with the same line"
    );
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/messages"),
        Some(&w.agent_a.token),
        None,
        Some("a-1"),
        Some(json!({"body": "something else"})),
    )
    .await;
    assert_eq!((st.as_u16(), code(&v).0), (409, "idempotency_key_reused"));
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/messages"),
        None,
        Some(&token),
        None,
        Some(json!({"body": "This is useless, I am so angry, nothing works!!!"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let angry = v["id"].as_i64().unwrap();
    let (st, lines) = req(
        app,
        "GET",
        &format!("/api/v1/chats/{chat}/messages?after={first_line}"),
        None,
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let got: Vec<i64> = lines["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, [reply["id"].as_i64().unwrap(), angry]);
    assert_eq!(lines["next_after"], angry);
    let (_, lines) = req(
        app,
        "GET",
        &format!("/api/v1/chats/{chat}/messages?after={angry}"),
        None,
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(lines["messages"], json!([]));
    assert_eq!(lines["next_after"], angry);
    let (st, v) = req(
        app,
        "GET",
        &format!("/api/v1/chats/{chat}/messages?after=-1"),
        None,
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!((st.as_u16(), code(&v).1), (422, "after"));
    let (_, mine) = req(
        app,
        "GET",
        "/api/v1/chats/mine",
        Some(&w.agent_a.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(mine[0]["unread"], 1, "{mine}");
    let (_, lines) = req(
        app,
        "GET",
        &format!("/api/v1/chats/{chat}/messages?after=0"),
        Some(&w.agent_a.token),
        None,
        None,
        None,
    )
    .await;
    let last = lines["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["analysis"]["frustration"]["score"].as_f64().unwrap() > 0.0,
        "frustration on customer lines: {last}"
    );
    assert!(lines["chat"]["frustration"].as_i64().unwrap() > 0);
    assert_eq!(lines["chat"]["unread"], 0, "reading marks the lines read");
    let (st, _) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/typing"),
        None,
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);

    // Another agent neither writes in nor ends a chat someone else holds.
    let (_, _) = app
        .call(
            "PUT",
            "/api/v1/chats/settings",
            Some(&w.admin.token),
            Some(json!({"max_chats_per_agent": 2})),
        )
        .await;
    // Hand over to agent B with a note: B owns ticket and chat, the note is internal.
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/handover"),
        Some(&w.agent_a.token),
        None,
        None,
        Some(json!({"to_agent_id": w.agent_b.id, "handoff_note": "ok"})),
    )
    .await;
    assert_eq!((st.as_u16(), code(&v).1), (422, "handoff_note"), "{v}");
    let (st, v) = req(app, "POST", &format!("/api/v1/chats/{chat}/handover"), Some(&w.agent_a.token), None, None, Some(json!({"to_agent_id": w.agent_b.id, "handoff_note": "VPN client drops hourly since the update; version not known yet; customer upset"}))).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["agent"]["id"].as_i64(), Some(w.agent_b.id));
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/messages"),
        Some(&w.agent_a.token),
        None,
        None,
        Some(json!({"body": "still me"})),
    )
    .await;
    assert!(matches!(st.as_u16(), 404 | 409), "{st} {v}");
    let (st, _) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/messages"),
        Some(&w.agent_b.token),
        None,
        None,
        Some(json!({"body": "Hi, I am taking over: which version do you have?"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, lines) = req(
        app,
        "GET",
        &format!("/api/v1/chats/{chat}/messages"),
        None,
        Some(&token),
        None,
        None,
    )
    .await;
    let bodies: Vec<&str> = lines["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body_text"].as_str().unwrap())
        .collect();
    assert!(
        !bodies.iter().any(|b| b.contains("Hand-off")),
        "the customer never sees the hand-off note"
    );
    let (_, staff_lines) = req(
        app,
        "GET",
        &format!("/api/v1/chats/{chat}/messages"),
        Some(&w.agent_b.token),
        None,
        None,
        None,
    )
    .await;
    assert!(staff_lines["messages"].as_array().unwrap().iter().any(|m| {
        m["body_text"]
            .as_str()
            .unwrap()
            .contains("VPN client drops hourly")
    }));

    // End: no more lines; the transcript is the ticket's conversation.
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/end"),
        None,
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(
        (st, v["state"].as_str()),
        (StatusCode::OK, Some("ended")),
        "{v}"
    );
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/messages"),
        None,
        Some(&token),
        None,
        Some(json!({"body": "one more"})),
    )
    .await;
    assert_eq!((st.as_u16(), code(&v).0), (409, "chat_ended"));
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat}/end"),
        None,
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!((st.as_u16(), code(&v).0), (409, "chat_ended"));
    let (_, t) = app
        .get(&format!("/api/v1/tickets/{ticket}"), &w.agent_b.token)
        .await;
    let transcript: Vec<&str> = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body_text"].as_str().unwrap())
        .collect();
    assert_eq!(transcript[0], "My VPN drops every hour", "{t}");
    assert!(transcript.contains(&"Hi, I am taking over: which version do you have?"));
    assert_eq!(t["requester"]["email"], "gina@guest.test", "{t}");

    // The second chat, never accepted, ends and joins the ticket queue like any ticket.
    let (st, v) = req(
        app,
        "POST",
        &format!("/api/v1/chats/{chat2}/end"),
        Some(&w.c1.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(
        (st, v["state"].as_str()),
        (StatusCode::OK, Some("ended")),
        "{v}"
    );
}

#[tokio::test]
async fn after_hours_a_chat_becomes_a_ticket_with_a_promise() {
    let w = World::with_clock(Clock::fixed(SATURDAY_11)).await;
    available(&w.app, &w.agent_a).await;
    let (st, v) = req(
        &w.app,
        "POST",
        "/api/v1/chats",
        None,
        None,
        None,
        Some(json!({"name": "Sam", "email": "sam@guest.test", "message": "Can I change my plan?"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["outcome"], "ticket");
    assert_eq!(v["fallback"]["reason"], "after_hours");
    assert!(
        v["fallback"]["message"]
            .as_str()
            .unwrap()
            .contains("ticket")
    );
    // Answered within office hours: Monday, within the standard first-response target.
    let due = v["fallback"]["promise_due_at"].as_str().unwrap();
    assert!(due.starts_with("2026-11-30T"), "{due}");
    assert!(v["chat"].is_null() && v["chat_token"].is_null());
    let id = v["ticket_id"].as_i64().unwrap();
    let (_, t) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.agent_a.token)
        .await;
    assert_eq!(
        (t["channel"].as_str(), t["subject"].as_str()),
        (Some("chat"), Some("Chat: Can I change my plan?")),
        "{t}"
    );
    let (_, list) = req(
        &w.app,
        "GET",
        "/api/v1/chats",
        Some(&w.agent_a.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(list, json!([]));
}

/// Reads frames from a live connection until one satisfies `want`.
async fn until<S>(ws: &mut S, want: impl Fn(&Value) -> bool) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let frame = tokio::time::timeout(left, ws.next())
            .await
            .expect("the frame arrives in time")
            .expect("the connection stays open")
            .unwrap();
        if let Message::Text(t) = frame {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if want(&v) {
                return v;
            }
        }
    }
}

fn ws_url(base: &str, path: &str) -> String {
    format!("{}{}", base.replacen("http://", "ws://", 1), path)
}

/// A guest on one server and the agent on another (a second `heard serve` process on
/// PostgreSQL; on SQLite the same process) talk live: each line is delivered over the
/// other side's WebSocket, and so is typing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_arrive_live_across_processes() {
    let w = World::with_clock(Clock::fixed(MONDAY_11)).await;
    available(&w.app, &w.agent_a).await;
    let two = backend() == "postgres";
    // The second process is killed when dropped at the end of the test.
    let other = two.then(|| HeardProcess::on(&w.app));
    let agent_base = match &other {
        Some(p) => p.base.clone(),
        None => w.app.base.clone(),
    };
    let (chat, token, _) = guest_chat(&w.app, "Lea Live", "lea@guest.test", "Hello, anyone?").await;
    let (mut customer, _) = tokio_tungstenite::connect_async(ws_url(
        &w.app.base,
        &format!("/api/v1/chats/{chat}/live?token={token}"),
    ))
    .await
    .unwrap();
    let first = until(&mut customer, |v| v["type"] == "lines").await;
    assert_eq!(first["chat"]["state"], "waiting");
    assert_eq!(first["messages"][0]["body_text"], "Hello, anyone?");
    // Without a token or a same-site cookie the live connection is refused.
    assert!(
        tokio_tungstenite::connect_async(ws_url(
            &w.app.base,
            &format!("/api/v1/chats/{chat}/live")
        ))
        .await
        .is_err()
    );
    assert!(
        tokio_tungstenite::connect_async(ws_url(
            &w.app.base,
            &format!("/api/v1/chats/{chat}/live?token=chat_wrong")
        ))
        .await
        .is_err()
    );

    let client = reqwest::Client::new();
    let on_agent = |method: &str, path: &str| {
        client
            .request(method.parse().unwrap(), format!("{agent_base}{path}"))
            .bearer_auth(&w.agent_a.token)
    };
    let res = on_agent("POST", &format!("/api/v1/chats/{chat}/accept"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let accepted = until(&mut customer, |v| {
        v["type"] == "lines" && v["chat"]["state"] == "active"
    })
    .await;
    assert_eq!(accepted["chat"]["agent"]["id"].as_i64(), Some(w.agent_a.id));

    // The agent's live connection, on the other server, authorised by a bearer token.
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(ws_url(
            &agent_base,
            &format!("/api/v1/chats/{chat}/live?after={}", first["next_after"]),
        ))
        .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", w.agent_a.token).parse().unwrap(),
    );
    let (mut agent, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    until(&mut agent, |v| v["type"] == "lines").await;

    let sent = std::time::Instant::now();
    let res = on_agent("POST", &format!("/api/v1/chats/{chat}/messages"))
        .json(&json!({"body": "Hi Lea, how can I help?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let got = until(&mut customer, |v| {
        v["type"] == "lines" && !v["messages"].as_array().unwrap().is_empty()
    })
    .await;
    assert_eq!(got["messages"][0]["body_text"], "Hi Lea, how can I help?");
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "delivered by signal, not by the 5 s catch-up"
    );

    // The customer types (over the socket) and writes (over the API, on the first server).
    customer
        .send(Message::Text(r#"{"type":"typing"}"#.into()))
        .await
        .unwrap();
    let typing = until(&mut agent, |v| v["type"] == "typing").await;
    assert_eq!(typing["by"], "customer");
    let (st, _) = req(
        &w.app,
        "POST",
        &format!("/api/v1/chats/{chat}/messages"),
        None,
        Some(&token),
        None,
        Some(json!({"body": "My printer is offline"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let got = until(&mut agent, |v| {
        v["type"] == "lines" && !v["messages"].as_array().unwrap().is_empty()
    })
    .await;
    assert_eq!(got["messages"][0]["body_text"], "My printer is offline");
    assert!(
        got["messages"][0]["analysis"].is_object(),
        "staff see the analysis live"
    );

    let res = on_agent("POST", &format!("/api/v1/chats/{chat}/end"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    until(&mut customer, |v| {
        v["type"] == "lines" && v["chat"]["state"] == "ended"
    })
    .await;
    drop(other);
}
