//! The phone through the API: logging calls on tickets and from new tickets, the
//! call-back promise in the service levels, the caller lookup by any written form of a
//! number, and who may do what.

mod common;

use common::pages::browser;
use common::*;
use heard_services::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Monday 2026-11-23 09:00 UTC: the default calendar (weekdays 09:00–17:00 UTC) opens.
const MONDAY_9: i64 = 1_795_424_400_000;
const MINUTE: i64 = 60_000;

fn error(v: &Value) -> (&str, Option<&str>) {
    (
        v["error"]["code"].as_str().unwrap_or(""),
        v["error"]["field"].as_str(),
    )
}

async fn give_phone(w: &World, customer: &Person, number: &str) {
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/customers/{}/identities", customer.id),
            &w.agent_a.token,
            json!({"kind": "phone", "value": number}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn a_call_on_a_ticket_is_a_phone_entry_with_its_event_and_call_back_promise() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let id = w.ticket_by(&w.c1, "VPN drops every hour").await;
    let (st, call) = w
        .app
        .post(
            "/api/v1/calls",
            &w.agent_a.token,
            json!({"direction": "inbound", "number": "+49 (30) 1234-567", "duration_seconds": 245,
                   "outcome": "call_back_needed", "notes": "Drops at the hour; checking the gateway.",
                   "ticket_id": id, "call_back_due": "2026-11-23T10:00:00Z",
                   "call_back_note": "after the gateway logs are read"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{call}");
    assert_eq!(call["number"], "+49301234567", "stored in E.164");
    assert_eq!(call["ticket_id"], id);
    assert_eq!(
        call["customer"]["id"], w.c1.id,
        "the ticket's customer by default"
    );
    assert_eq!(call["call_back_due"], "2026-11-23T10:00:00Z");

    // The conversation shows the call as a phone entry, the customer sees it too.
    let t = format!("/api/v1/tickets/{id}");
    let (_, seen) = w.app.get(&t, &w.c1.token).await;
    let entry = seen["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == call["message_id"])
        .expect("the call's entry is in the customer's conversation");
    assert_eq!(entry["channel"], "phone");
    assert!(
        entry["body_text"]
            .as_str()
            .unwrap()
            .contains("checking the gateway"),
        "{entry}"
    );
    // The call-back is the promise the customer sees, and the ticket is answered.
    assert_eq!(seen["next_update_due"], "2026-11-23T10:00:00Z");
    assert_eq!(seen["promise"]["due_at"], "2026-11-23T10:00:00Z");
    assert_eq!(
        seen["status"], "open",
        "an answered call opens a new ticket"
    );
    let (_, events) = w.app.get(&format!("{t}/events"), &w.agent_a.token).await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"call_logged") && kinds.contains(&"promised"),
        "{kinds:?}"
    );

    // The call-back lapses like any promise: warned, then breached, once.
    let s = &w.app.services;
    assert_eq!(s.run_due_alerts().await.unwrap(), 0, "nothing is due yet");
    clock.advance_ms(66 * MINUTE);
    assert!(s.run_due_alerts().await.unwrap() >= 1);
    let keys = w.app.store.fired_alerts(id).await.unwrap();
    assert!(
        keys.iter().any(|k| k.starts_with("promise/1/breach")),
        "{keys:?}"
    );

    // The log answers by number in any form, by ticket and by customer, and one by id.
    for q in [
        "number=%2B49%2030%201234567".to_string(),
        format!("ticket_id={id}"),
        format!("customer_id={}", w.c1.id),
    ] {
        let (st, list) = w
            .app
            .get(&format!("/api/v1/calls?{q}"), &w.agent_a.token)
            .await;
        assert_eq!(st, StatusCode::OK, "{list}");
        assert_eq!(list["items"][0]["id"], call["id"], "{q}");
    }
    let (_, none) = w
        .app
        .get("/api/v1/calls?number=%2B4930999999", &w.agent_a.token)
        .await;
    assert_eq!(none["items"], json!([]));
    let (st, one) = w
        .app
        .get(&format!("/api/v1/calls/{}", call["id"]), &w.agent_a.token)
        .await;
    assert_eq!(
        (st, &one["outcome"]),
        (StatusCode::OK, &json!("call_back_needed"))
    );
}

#[tokio::test]
async fn an_unanswered_outbound_call_is_an_internal_attempt() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let id = w.ticket_by(&w.c1, "Printer jams").await;
    let t = format!("/api/v1/tickets/{id}");
    let (_, before) = w.app.get(&t, &w.agent_a.token).await;
    let (st, call) = w
        .app
        .post(
            "/api/v1/calls",
            &w.agent_a.token,
            json!({"direction": "outbound", "number": "+44 20 7946 0958", "duration_seconds": 0,
                   "outcome": "no_answer", "ticket_id": id}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{call}");
    let (_, seen) = w.app.get(&t, &w.c1.token).await;
    assert!(
        !seen["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == call["message_id"]),
        "the customer does not see an attempt that never reached them"
    );
    let (_, after) = w.app.get(&t, &w.agent_a.token).await;
    assert_eq!(
        after["next_update_due"], before["next_update_due"],
        "an unanswered call is not an answer"
    );
}

#[tokio::test]
async fn a_call_opens_a_new_phone_ticket_for_the_caller() {
    let w = World::new().await;
    give_phone(&w, &w.c2, "+1 (212) 555-0142").await;
    // The number alone names the caller.
    let (st, call) = w
        .app
        .post(
            "/api/v1/calls",
            &w.agent_a.token,
            json!({"direction": "inbound", "number": "+1 212 555 0142", "duration_seconds": 300,
                   "outcome": "resolved", "notes": "Reset the password together.",
                   "new_ticket": {"subject": "Password reset by phone"}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{call}");
    assert_eq!(call["customer"]["id"], w.c2.id);
    let id = call["ticket_id"].as_i64().unwrap();
    let (st, t) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.agent_a.token)
        .await;
    assert_eq!(st, StatusCode::OK, "{t}");
    assert_eq!(t["channel"], "phone");
    assert_eq!(t["requester"]["id"], w.c2.id, "{t}");
    assert_eq!(
        t["assignee"]["id"], w.agent_a.id,
        "the agent on the line owns it"
    );
    let (_, mine) = w.app.get("/api/v1/tickets", &w.c2.token).await;
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id),
        "the customer has it among their requests"
    );
    // An unknown number with no customer named cannot open a ticket for anyone.
    let (st, v) = w
        .app
        .post(
            "/api/v1/calls",
            &w.agent_a.token,
            json!({"direction": "inbound", "number": "+1 415 555 0100", "duration_seconds": 60,
                   "outcome": "resolved", "new_ticket": {"subject": "Who is this"}}),
        )
        .await;
    assert_eq!(
        (st, error(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ("missing_requester", Some("customer_id"))
        )
    );
    // Both a ticket and a new ticket, or neither: one is needed.
    let (st, v) = w
        .app
        .post(
            "/api/v1/calls",
            &w.agent_a.token,
            json!({"direction": "inbound", "number": "+1 212 555 0142", "duration_seconds": 60,
                   "outcome": "resolved"}),
        )
        .await;
    assert_eq!(
        (st, error(&v).0),
        (StatusCode::UNPROCESSABLE_ENTITY, "one_ticket")
    );
}

#[tokio::test]
async fn the_lookup_finds_one_customer_however_the_number_is_written() {
    let w = World::new().await;
    // National numbers need the desk's country: only admins set it.
    let (st, _) = w
        .app
        .call(
            "PUT",
            "/api/v1/calls/settings",
            Some(&w.agent_a.token),
            Some(json!({"default_country_code": "+49"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = w
        .app
        .call(
            "PUT",
            "/api/v1/calls/settings",
            Some(&w.admin.token),
            Some(json!({"default_country_code": "0"})),
        )
        .await;
    assert_eq!(
        (st, error(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_country_code", Some("default_country_code"))
        )
    );
    let (st, v) = w
        .app
        .call(
            "PUT",
            "/api/v1/calls/settings",
            Some(&w.admin.token),
            Some(json!({"default_country_code": "+49"})),
        )
        .await;
    assert_eq!(
        (st, &v["default_country_code"]),
        (StatusCode::OK, &json!("+49"))
    );
    give_phone(&w, &w.c1, "030 1234567").await;
    let ticket = w.ticket_by(&w.c1, "Laptop will not boot").await;
    for written in [
        "+49301234567",
        "+49 30 1234567",
        "0049 (30) 123-45-67",
        "030/1234567",
        "+49 (0)30 1234567",
        "tel:+49-30-1234567",
    ] {
        let url = format!("/api/v1/calls/lookup?number={}", urlencoding(written));
        let (st, v) = w.app.get(&url, &w.agent_a.token).await;
        assert_eq!(st, StatusCode::OK, "{written}: {v}");
        assert_eq!(v["number"], "+49301234567", "{written}");
        let callers = v["callers"].as_array().unwrap();
        assert_eq!(callers.len(), 1, "{written}: {v}");
        assert_eq!(callers[0]["profile"]["id"], w.c1.id);
        assert_eq!(callers[0]["open_tickets"][0]["id"], ticket);
        assert!(
            callers[0]["last_contacts"][0]["excerpt"]
                .as_str()
                .unwrap()
                .contains("stopped working"),
            "{v}"
        );
    }
    // Unknown and unreadable numbers.
    let (st, v) = w
        .app
        .get(
            "/api/v1/calls/lookup?number=%2B4940555000",
            &w.agent_a.token,
        )
        .await;
    assert_eq!((st, &v["callers"]), (StatusCode::OK, &json!([])));
    let (st, v) = w
        .app
        .get("/api/v1/calls/lookup?number=call%20me", &w.agent_a.token)
        .await;
    assert_eq!(
        (st, error(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_phone", Some("number"))
        )
    );
    // The identity was stored normalised: the same number in another form is taken.
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/customers/{}/identities", w.c2.id),
            &w.agent_a.token,
            json!({"kind": "phone", "value": "+49 30 123 4567"}),
        )
        .await;
    assert_eq!((st, error(&v).0), (StatusCode::CONFLICT, "already_exists"));
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn access_follows_the_ticket_and_bad_input_names_its_field() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "Email not syncing").await;
    let body = json!({"direction": "inbound", "number": "+49 30 1234567", "duration_seconds": 60,
                      "outcome": "resolved", "ticket_id": id});
    // An agent of another team: the ticket does not exist for them.
    let (st, v) = w
        .app
        .post("/api/v1/calls", &w.agent_b.token, body.clone())
        .await;
    assert_eq!(
        (st, error(&v).0),
        (StatusCode::NOT_FOUND, "ticket_not_found")
    );
    // Customers do not use the call log at all.
    let (st, _) = w.app.post("/api/v1/calls", &w.c1.token, body.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = w.app.get("/api/v1/calls", &w.c1.token).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = w
        .app
        .get("/api/v1/calls/lookup?number=%2B49301234567", &w.c1.token)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let (st, call) = w
        .app
        .post("/api/v1/calls", &w.agent_a.token, body.clone())
        .await;
    assert_eq!(st, StatusCode::CREATED, "{call}");
    let one = format!("/api/v1/calls/{}", call["id"]);
    let (st, v) = w.app.get(&one, &w.agent_b.token).await;
    assert_eq!((st, error(&v).0), (StatusCode::NOT_FOUND, "call_not_found"));
    let (_, list) = w.app.get("/api/v1/calls", &w.agent_b.token).await;
    assert_eq!(
        list["items"],
        json!([]),
        "another team's calls are not listed"
    );
    let (st, _) = w.app.get(&one, &w.c1.token).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = w.app.get(&one, &w.supervisor.token).await;
    assert_eq!(st, StatusCode::OK);

    // Bad input: a 422 naming the field, and nothing written.
    for (change, code, field) in [
        (json!({"number": "call me"}), "invalid_phone", "number"),
        (json!({"number": "030 1234567"}), "invalid_phone", "number"),
        (
            json!({"direction": "sideways"}),
            "invalid_call_direction",
            "direction",
        ),
        (
            json!({"outcome": "voicemail"}),
            "invalid_call_outcome",
            "outcome",
        ),
        (
            json!({"duration_seconds": -5}),
            "invalid_duration",
            "duration_seconds",
        ),
        (
            json!({"call_back_due": "tomorrow"}),
            "invalid_due_at",
            "call_back_due",
        ),
        (
            json!({"call_back_due": "2020-01-01T00:00:00Z"}),
            "promise_in_past",
            "call_back_due",
        ),
        (
            json!({"customer_id": 999_999}),
            "customer_not_found",
            "customer_id",
        ),
    ] {
        let mut b = body.clone();
        for (k, v) in change.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (st, v) = w.app.post("/api/v1/calls", &w.agent_a.token, b).await;
        assert_eq!(
            (st, error(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, (code, Some(field))),
            "{change}"
        );
    }
    let (_, list) = w
        .app
        .get(&format!("/api/v1/calls?ticket_id={id}"), &w.agent_a.token)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (st, v) = w
        .app
        .get("/api/v1/calls?number=junk", &w.agent_a.token)
        .await;
    assert_eq!(
        (st, error(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ("invalid_phone", Some("number"))
        )
    );
}

#[tokio::test]
async fn the_calls_api_is_in_the_openapi_document() {
    let w = World::new().await;
    let (_, doc) = w.app.get("/api/v1/openapi.json", &w.agent_a.token).await;
    for path in ["/calls", "/calls/{id}", "/calls/lookup", "/calls/settings"] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(doc["paths"]["/calls"].get("post").is_some());
}

#[tokio::test]
async fn the_lookup_page_shows_the_caller_logs_the_call_and_adds_unknown_numbers() {
    let w = World::new().await;
    give_phone(&w, &w.c1, "+49 30 1234567").await;
    let id = w.ticket_by(&w.c1, "Laptop will not boot").await;
    let a = browser(&w.app, &w.agent_a).await;

    // A number that cannot be read: a plain refusal on the page, not an error page.
    let (st, html) = a.page("/agent/call?number=call%20me").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("is not a phone number we can read"), "{html}");

    let (st, html) = a.page("/agent/call?number=0049%2030%20123-4567").await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("Call from <a href=\"tel:+49301234567\""),
        "{html}"
    );
    assert!(
        html.contains("Laptop will not boot"),
        "the open ticket is offered"
    );

    let (st, to, _) = a
        .form(
            "/agent/call",
            &[
                ("number", "+49301234567"),
                ("customer_id", &w.c1.id.to_string()),
                ("ticket", &id.to_string()),
                ("subject", "unused"),
                ("direction", "inbound"),
                ("duration_seconds", "300"),
                ("outcome", "call_back_needed"),
                ("notes", "Boots to a black screen after the logo."),
                ("call_back_hours", "2"),
                ("call_back_note", ""),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(to, format!("/agent/tickets/{id}?done=call_logged"));
    let (_, html) = a.page(&format!("/agent/tickets/{id}")).await;
    assert!(html.contains("phone call"), "the entry is marked as a call");
    assert!(html.contains("black screen after the logo"));
    assert!(
        html.matches("href=\"tel:+49301234567\"").count() >= 2,
        "tel: links on the call entry and in the customer panel"
    );
    let (_, t) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.c1.token)
        .await;
    assert!(
        t["promise"]["due_at"].is_string(),
        "the call-back is promised: {t}"
    );

    // An agent of another team: the ticket is not there for them.
    let b = browser(&w.app, &w.agent_b).await;
    let (st, _, _) = b
        .form(
            &format!("/agent/tickets/{id}/call"),
            &[
                ("number", "+49301234567"),
                ("direction", "inbound"),
                ("duration_seconds", "60"),
                ("outcome", "resolved"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // An unknown number becomes a new customer, found by it at once.
    let (_, html) = a.page("/agent/call?number=%2B4940555000").await;
    assert!(html.contains("Nobody has this number yet"));
    let (st, to, _) = a
        .form(
            "/agent/call/customer",
            &[
                ("number", "+49 40 555000"),
                ("name", "Alex Morgan"),
                ("email", "alex.morgan@example.org"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{to}");
    let (_, html) = a.page(&to).await;
    assert!(html.contains("Alex Morgan"), "{html}");
    // Another number linked to an existing customer.
    let (st, _, _) = a
        .form(
            "/agent/call/link",
            &[
                ("number", "+49 40 555001"),
                ("customer_id", &w.c2.id.to_string()),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, v) = w
        .app
        .get(
            "/api/v1/calls/lookup?number=%2B4940555001",
            &w.agent_a.token,
        )
        .await;
    assert_eq!(v["callers"][0]["profile"]["id"], w.c2.id);
}
