//! The JSON API end to end over HTTP: bad input, idempotency, pagination, the ticket's
//! life, escalation, profiles, sessions, attachments and concurrent writers.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ticket_count(w: &World) -> usize {
    let (_, v) = w
        .app
        .get("/api/v1/tickets?limit=200", &w.supervisor.token)
        .await;
    v["items"].as_array().unwrap().len()
}

fn error_of(v: &Value) -> (&str, Option<&str>) {
    (
        v["error"]["code"].as_str().unwrap_or("?"),
        v["error"]["field"].as_str(),
    )
}

#[tokio::test]
async fn bad_input_gets_a_named_4xx_and_writes_nothing() {
    let w = World::new().await;
    let app = &w.app;
    let tok = &w.c1.token;
    let cases: Vec<(Value, u16, &str, Option<&str>)> = vec![
        (
            json!({"body": "no subject"}),
            422,
            "missing_field",
            Some("subject"),
        ),
        (
            json!({"subject": "  ", "body": "blank subject"}),
            422,
            "missing_subject",
            Some("subject"),
        ),
        (
            json!({"subject": "x", "body": ""}),
            422,
            "missing_body",
            Some("body"),
        ),
        (
            json!({"subject": 5, "body": "wrong type"}),
            422,
            "invalid_field",
            Some("subject"),
        ),
        (
            json!({"subject": "x", "body": "y", "priority": "whenever"}),
            422,
            "invalid_priority",
            Some("priority"),
        ),
        (
            json!({"subject": "x", "body": "y", "tags": ["two words"]}),
            422,
            "invalid_tag",
            Some("tags"),
        ),
        (
            json!({"subject": "x", "body": "y", "colour": "red"}),
            422,
            "unknown_field",
            Some("colour"),
        ),
        (
            json!({"subject": "x".repeat(300), "body": "y"}),
            422,
            "subject_too_long",
            Some("subject"),
        ),
        (
            json!({"subject": "x", "body": "y", "team_id": 1}),
            403,
            "forbidden",
            None,
        ),
    ];
    for (body, status, code, field) in cases {
        let (st, v) = app.post("/api/v1/tickets", tok, body.clone()).await;
        assert_eq!(st.as_u16(), status, "{body} → {v}");
        assert_eq!(error_of(&v), (code, field), "{body} → {v}");
    }
    // Staff must name a real team and a real agent.
    let (st, v) = app.post("/api/v1/tickets", &w.agent_a.token, json!({"subject": "x", "body": "y", "requester_email": "c1@private.test", "team_id": 999})).await;
    assert_eq!(
        (st.as_u16(), error_of(&v)),
        (422, ("team_not_found", Some("team_id")))
    );
    let (st, v) = app
        .post(
            "/api/v1/tickets",
            &w.agent_a.token,
            json!({"subject": "x", "body": "y", "requester_email": "not an address"}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), error_of(&v).1),
        (422, Some("requester_email"))
    );

    // Malformed JSON, wrong media type, oversized body.
    let res = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(tok)
        .header("content-type", "application/json")
        .body("{\"subject\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "malformed_json"
    );
    let res = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(tok)
        .body("subject=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = json!({"subject": "big", "body": "x".repeat(2 * 1024 * 1024)});
    let (st, v) = app.post("/api/v1/tickets", tok, huge).await;
    assert_eq!(
        (st, error_of(&v).0),
        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
    );
    // Malformed ids and queries.
    let (st, v) = app.get("/api/v1/tickets/abc", tok).await;
    assert_eq!(
        (st, error_of(&v)),
        (StatusCode::BAD_REQUEST, ("invalid_id", Some("id")))
    );
    let (st, v) = app.get("/api/v1/tickets?limit=lots", tok).await;
    assert_eq!(
        (st, error_of(&v).0),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    let (st, v) = app.get("/api/v1/tickets?limit=5000", tok).await;
    assert_eq!(
        (st.as_u16(), error_of(&v)),
        (422, ("invalid_limit", Some("limit")))
    );
    let (st, v) = app.get("/api/v1/tickets?status=sleeping", tok).await;
    assert_eq!(
        (st.as_u16(), error_of(&v)),
        (422, ("invalid_status", Some("status")))
    );
    let (st, v) = app.get("/api/v1/nothing-here", tok).await;
    assert_eq!(
        (st, error_of(&v).0),
        (StatusCode::NOT_FOUND, "route_not_found")
    );

    assert_eq!(
        ticket_count(&w).await,
        0,
        "no failed request left a ticket behind"
    );
}

#[tokio::test]
async fn invalid_transitions_are_refused_and_change_nothing() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "Screen flickers").await;
    let path = format!("/api/v1/tickets/{id}");
    let (st, v) = w
        .app
        .patch(
            &path,
            &w.agent_a.token,
            json!({"status": "closed", "priority": "urgent"}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), error_of(&v)),
        (422, ("invalid_transition", Some("status")))
    );
    let (_, t) = w.app.get(&path, &w.agent_a.token).await;
    assert_eq!(
        (t["status"].as_str(), t["priority"].as_str()),
        (Some("new"), Some("normal")),
        "nothing half-written"
    );
    let (st, v) = w
        .app
        .patch(&path, &w.agent_a.token, json!({"assignee_id": 987654}))
        .await;
    assert_eq!(
        (st.as_u16(), error_of(&v)),
        (422, ("agent_not_found", Some("assignee_id")))
    );
    let (st, v) = w
        .app
        .patch(&path, &w.agent_a.token, json!({"assignee_id": w.c2.id}))
        .await;
    assert_eq!(
        (st.as_u16(), error_of(&v).1),
        (422, Some("assignee_id")),
        "a customer cannot own a ticket"
    );
}

#[tokio::test]
async fn an_idempotency_key_never_opens_a_second_ticket() {
    let w = World::new().await;
    let app = &w.app;
    let send = |key: &'static str, subject: &'static str| {
        app.client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&w.c1.token)
            .header("Idempotency-Key", key)
            .json(&json!({"subject": subject, "body": "The app crashes on start."}))
            .send()
    };
    let first = send("k-1", "Crash on start").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = send("k-1", "Crash on start").await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    let reused = send("k-1", "Something else").await.unwrap();
    assert_eq!(reused.status(), StatusCode::CONFLICT);
    assert_eq!(
        reused.json::<Value>().await.unwrap()["error"]["code"],
        "idempotency_key_reused"
    );
    // Retries racing each other still open exactly one ticket.
    let racers: Vec<_> = (0..8).map(|_| send("k-2", "Race")).collect();
    let mut ids = Vec::new();
    for r in futures_join(racers).await {
        let r = r.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(ticket_count(&w).await, 2);
}

async fn futures_join<F>(fs: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn keyset_pagination_walks_every_ticket_once() {
    let w = World::new().await;
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(w.ticket_by(&w.c1, &format!("Ticket {i}")).await);
    }
    let mut seen = Vec::new();
    let mut after: Option<i64> = None;
    loop {
        let path = match after {
            Some(a) => format!("/api/v1/tickets?limit=3&after={a}"),
            None => "/api/v1/tickets?limit=3".into(),
        };
        let (st, page) = w.app.get(&path, &w.c1.token).await;
        assert_eq!(st, StatusCode::OK);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap()),
        );
        match page["next_after"].as_i64() {
            Some(a) => after = Some(a),
            None => break,
        }
    }
    created.reverse();
    assert_eq!(seen, created, "newest first, each exactly once");
}

#[tokio::test]
async fn a_ticket_lives_through_its_states_with_an_event_for_each_change() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "Cannot print").await;
    let t = format!("/api/v1/tickets/{id}");
    let msg = format!("{t}/messages");
    let status_of = |v: &Value| v["status"].as_str().unwrap().to_string();
    let get = || async { w.app.get(&t, &w.agent_a.token).await.1 };

    w.app
        .post(
            &msg,
            &w.agent_a.token,
            json!({"body": "Sorry about that — which printer is it?"}),
        )
        .await;
    assert_eq!(
        status_of(&get().await),
        "open",
        "an agent's first public reply opens a new ticket"
    );
    w.app.patch(&t, &w.agent_a.token, json!({"status": "pending_customer", "assignee_id": w.agent_a.id, "tags": ["printing", "Printing", "floor-3"]})).await;
    let v = get().await;
    assert_eq!(
        (
            status_of(&v).as_str(),
            v["assignee"]["id"].as_i64(),
            v["tags"].clone()
        ),
        (
            "pending_customer",
            Some(w.agent_a.id),
            json!(["floor-3", "printing"])
        )
    );
    w.app
        .post(&msg, &w.c1.token, json!({"body": "The one on floor 3."}))
        .await;
    assert_eq!(
        status_of(&get().await),
        "open",
        "the customer's answer hands the ball back"
    );
    let (st, _) = w
        .app
        .patch(&t, &w.c1.token, json!({"status": "resolved"}))
        .await;
    assert_eq!(
        st,
        StatusCode::OK,
        "a customer may mark their own request solved"
    );
    w.app
        .post(&msg, &w.c1.token, json!({"body": "Sorry, it broke again."}))
        .await;
    assert_eq!(
        status_of(&get().await),
        "open",
        "writing after resolution reopens"
    );
    w.app
        .patch(&t, &w.agent_a.token, json!({"status": "resolved"}))
        .await;
    // Coming back because it broke again counts as upset: Diagnose before closing.
    let (st, _) = w
        .app
        .post(
            &format!("{t}/diagnosis"),
            &w.agent_a.token,
            json!({"root_cause": "Floor 3 printer's driver reverted after the nightly update"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = w
        .app
        .patch(&t, &w.agent_a.token, json!({"status": "closed"}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = w
        .app
        .post(&msg, &w.c1.token, json!({"body": "Hello?"}))
        .await;
    assert_eq!(
        (st, error_of(&v).0),
        (StatusCode::UNPROCESSABLE_ENTITY, "ticket_closed")
    );
    let (st, _) = w
        .app
        .patch(&t, &w.agent_a.token, json!({"status": "open"}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "closed is final");

    let (_, events) = w.app.get(&format!("{t}/events"), &w.agent_a.token).await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"created"));
    for k in ["replied", "status_changed", "assigned", "tags_changed"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let closes = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "status_changed" && e["data"]["to"] == "closed")
        .count();
    assert_eq!(closes, 1);
}

#[tokio::test]
async fn escalation_needs_a_real_handoff_note_and_is_counted() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "VPN drops every hour").await;
    let path = format!("/api/v1/tickets/{id}/escalate");
    let (st, v) = w.app.post(&path, &w.agent_a.token, json!({"to_team_id": w.team_b, "reason": "needs network access", "handoff_note": "VPN drops every hour"})).await;
    assert_eq!(
        (st.as_u16(), error_of(&v)),
        (422, ("handoff_note_too_thin", Some("handoff_note")))
    );
    let (st, v) = w.app.post(&path, &w.agent_a.token, json!({"to_team_id": 4242, "reason": "x", "handoff_note": "Client 6.2 on Windows 11, reinstalled, certificate renewed"})).await;
    assert_eq!((st.as_u16(), error_of(&v).1), (422, Some("to_team_id")));
    let note =
        "Client 6.2 on Windows 11; reinstalled and renewed the certificate with her, no change.";
    let (st, v) = w.app.post(&path, &w.agent_a.token, json!({"to_team_id": w.team_b, "to_tier": 2, "reason": "gateway logs needed", "handoff_note": note})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["team"]["id"].as_i64(),
            v["tier"].as_i64(),
            v["transfers"].as_i64()
        ),
        (Some(w.team_b), Some(2), Some(1))
    );
    // The receiving team sees the whole thread with the note; the sender's team no longer does.
    let (st, seen) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.agent_b.token)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        seen["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "internal" && m["body_text"].as_str().unwrap().contains(note))
    );
    let (st, _) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.agent_a.token)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, events) = w
        .app
        .get(&format!("/api/v1/tickets/{id}/events"), &w.agent_b.token)
        .await;
    let esc = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "escalated")
        .expect("escalated event");
    assert_eq!(
        (
            esc["data"]["handoff_note"].as_str(),
            esc["data"]["to_team_id"].as_i64()
        ),
        (Some(note), Some(w.team_b))
    );
}

#[tokio::test]
async fn one_profile_with_identities_and_verified_facts() {
    let w = World::new().await;
    let c = format!("/api/v1/customers/{}", w.c1.id);
    let (st, v) = w
        .app
        .post(
            &format!("{c}/identities"),
            &w.agent_a.token,
            json!({"kind": "phone", "value": "+49 (30) 1234-567"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    assert!(
        v["identities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["value"] == "+49301234567")
    );
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/customers/{}/identities", w.c2.id),
            &w.agent_a.token,
            json!({"kind": "phone", "value": "+49 30 1234567"}),
        )
        .await;
    assert_eq!(
        (st, error_of(&v).0),
        (StatusCode::CONFLICT, "already_exists"),
        "one identity, one person"
    );
    let (st, v) = w
        .app
        .post(
            &format!("{c}/identities"),
            &w.agent_a.token,
            json!({"kind": "pager", "value": "1"}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), error_of(&v)),
        (422, ("invalid_identity_kind", Some("kind")))
    );
    let (st, _) = w
        .app
        .post(
            &format!("{c}/facts"),
            &w.agent_a.token,
            json!({"key": "os version", "value": "Windows 11 23H2"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, _) = w
        .app
        .post(
            &format!("{c}/facts"),
            &w.c1.token,
            json!({"key": "os", "value": "mine"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Every agent sees the fact beside every ticket of the customer.
    let id = w.ticket_by(&w.c1, "Teams crashes").await;
    let (_, t) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.supervisor.token)
        .await;
    let fact = &t["customer"]["profile"]["facts"][0];
    assert_eq!(
        (
            fact["key"].as_str(),
            fact["value"].as_str(),
            fact["verified_by"]["id"].as_i64()
        ),
        (
            Some("os_version"),
            Some("Windows 11 23H2"),
            Some(w.agent_a.id)
        )
    );
    // Staff opening a ticket for a new address create the customer once.
    for _ in 0..2 {
        let (st, _) = w.app.post("/api/v1/tickets", &w.agent_a.token, json!({"subject": "Phoned in", "body": "Caller cannot log in.", "requester_email": "New.Person@Private.test", "channel": "phone"})).await;
        assert_eq!(st, StatusCode::CREATED);
    }
    let (_, list) = w
        .app
        .get("/api/v1/customers?limit=200", &w.agent_a.token)
        .await;
    let matching: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["email"] == "new.person@private.test")
        .collect();
    assert_eq!(matching.len(), 1);
    assert!(
        matching[0]["organization_id"].as_i64().is_some(),
        "placed in the organization of its domain"
    );
}

#[tokio::test]
async fn admins_configure_agents_and_teams() {
    let w = World::new().await;
    let (st, v) = w.app.post("/api/v1/agents", &w.admin.token, json!({"email": "new.agent@desk.test", "name": "New Agent", "role": "agent", "tier": 2, "skills": ["Linux", "vpn"], "team_ids": [w.team_b]})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(
        (
            v["tier"].as_i64(),
            v["skills"].clone(),
            v["team_ids"].clone()
        ),
        (Some(2), json!(["linux", "vpn"]), json!([w.team_b]))
    );
    let id = v["id"].as_i64().unwrap();
    let (st, v) = w
        .app
        .patch(
            &format!("/api/v1/agents/{id}"),
            &w.admin.token,
            json!({"tier": 4}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), error_of(&v)),
        (422, ("invalid_tier", Some("tier")))
    );
    let (st, v) = w
        .app
        .patch(
            &format!("/api/v1/agents/{id}"),
            &w.admin.token,
            json!({"role": "supervisor", "team_ids": [w.team_a, w.team_b]}),
        )
        .await;
    assert_eq!(
        (st, v["role"].as_str()),
        (StatusCode::OK, Some("supervisor"))
    );
    let (st, _) = w
        .app
        .patch(
            &format!("/api/v1/agents/{id}"),
            &w.supervisor.token,
            json!({"tier": 1}),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "supervisors read the roster, admins change it"
    );
    let (st, v) = w
        .app
        .post(
            "/api/v1/agents",
            &w.admin.token,
            json!({"email": "agent.a@desk.test", "name": "Dup", "role": "agent"}),
        )
        .await;
    assert_eq!(
        (st, error_of(&v).0),
        (StatusCode::CONFLICT, "already_exists")
    );
    let (st, v) = w
        .app
        .post("/api/v1/teams", &w.admin.token, json!({"name": "Desk"}))
        .await;
    assert_eq!(
        (st, error_of(&v).0),
        (StatusCode::CONFLICT, "already_exists")
    );
    let (st, v) = w
        .app
        .patch(
            &format!("/api/v1/teams/{}", w.team_a),
            &w.admin.token,
            json!({"description": "Front line"}),
        )
        .await;
    assert_eq!(
        (st, v["description"].as_str()),
        (StatusCode::OK, Some("Front line"))
    );
    let (_, teams) = w.app.get("/api/v1/teams", &w.agent_a.token).await;
    assert!(teams.as_array().unwrap().iter().any(|t| {
        t["id"] == w.team_a
            && t["member_ids"]
                .as_array()
                .unwrap()
                .contains(&json!(w.agent_a.id))
    }));
}

#[tokio::test]
async fn sessions_use_http_only_cookies_and_csrf_on_writes() {
    let w = World::new().await;
    let app = &w.app;
    let (st, v) = app
        .call(
            "POST",
            "/api/v1/session",
            None,
            Some(json!({"email": "c1@private.test", "password": "wrong password!"})),
        )
        .await;
    assert_eq!((st.as_u16(), error_of(&v).0), (422, "wrong_credentials"));
    let (st, v2) = app
        .call(
            "POST",
            "/api/v1/session",
            None,
            Some(json!({"email": "nobody@private.test", "password": "wrong password!"})),
        )
        .await;
    assert_eq!(
        (st.as_u16(), &v2),
        (422, &v),
        "unknown addresses answer like wrong passwords"
    );

    let res = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({"email": "C1@private.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let csrf = res.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();

    let me = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(me.json::<Value>().await.unwrap()["id"], w.c1.id);
    let body = json!({"subject": "From the browser", "body": "Hello"});
    let no_csrf = app
        .client
        .post(app.url("/api/v1/tickets"))
        .header("cookie", &session)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        no_csrf.json::<Value>().await.unwrap()["error"]["code"],
        "csrf_token_invalid"
    );
    let with_csrf = app
        .client
        .post(app.url("/api/v1/tickets"))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(with_csrf.status(), StatusCode::CREATED);

    let out = app
        .client
        .delete(app.url("/api/v1/session"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let after = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    let bad_token = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth("hd_not_a_token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_token.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn untrusted_html_is_sanitised_before_it_is_stored() {
    let w = World::new().await;
    let html = r#"<p onclick="steal()">Hi <b>there</b><script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a></p>"#;
    let (st, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.c1.token,
            json!({"subject": "<script>alert(4)</script>", "body": "Hi there", "body_html": html}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let stored = t["messages"][0]["body_html"].as_str().unwrap();
    assert!(stored.contains("<b>there</b>"), "{stored}");
    for bad in ["<script", "onclick", "onerror", "javascript:"] {
        assert!(!stored.contains(bad), "{bad} survived: {stored}");
    }
    // Subjects are plain text: kept verbatim in JSON (pages escape them when shown).
    assert_eq!(t["subject"], "<script>alert(4)</script>");
}

#[tokio::test]
async fn attachments_round_trip_and_respect_access() {
    let w = World::new().await;
    let app = &w.app;
    let id = w.ticket_by(&w.c1, "Error screenshot").await;
    let bytes: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let res = app
        .client
        .post(app.url(&format!(
            "/api/v1/tickets/{id}/attachments?file_name=..%2Fscreen.png"
        )))
        .bearer_auth(&w.c1.token)
        .header("content-type", "image/png")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let a: Value = res.json().await.unwrap();
    assert_eq!(
        (a["file_name"].as_str(), a["size"].as_i64()),
        (Some("screen.png"), Some(50_000))
    );
    let url = app.url(a["url"].as_str().unwrap());
    let got = app
        .client
        .get(&url)
        .bearer_auth(&w.agent_a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert!(
        got.headers()
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);
    let stranger = app
        .client
        .get(&url)
        .bearer_auth(&w.c2.token)
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND);
    let too_big = app
        .client
        .post(app.url(&format!(
            "/api/v1/tickets/{id}/attachments?file_name=big.bin"
        )))
        .bearer_auth(&w.c1.token)
        .body(vec![0u8; 11 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (_, t) = app.get(&format!("/api/v1/tickets/{id}"), &w.c1.token).await;
    assert_eq!(t["attachments"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_writers_never_see_a_locked_database_or_lose_a_write() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "Busy ticket").await;
    let mut jobs = Vec::new();
    for i in 0..24 {
        let (client, base) = (w.app.client.clone(), w.app.base.clone());
        let (agent, customer) = (w.agent_a.token.clone(), w.c1.token.clone());
        jobs.push(tokio::spawn(async move {
            let (path, token, body) = match i % 3 {
                0 => (
                    format!("/api/v1/tickets/{id}/messages"),
                    agent,
                    json!({"body": format!("note {i}"), "internal": true}),
                ),
                1 => (
                    format!("/api/v1/tickets/{id}/messages"),
                    customer,
                    json!({"body": format!("reply {i}")}),
                ),
                _ => (
                    "/api/v1/tickets".to_string(),
                    customer,
                    json!({"subject": format!("parallel {i}"), "body": "hi"}),
                ),
            };
            client
                .post(format!("{base}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for j in jobs {
        assert_eq!(j.await.unwrap(), StatusCode::CREATED);
    }
    let (_, t) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.agent_a.token)
        .await;
    assert_eq!(
        t["messages"].as_array().unwrap().len(),
        1 + 16,
        "every concurrent message was kept"
    );
    assert_eq!(ticket_count(&w).await, 1 + 8);
}

#[tokio::test]
async fn health_security_headers_and_an_openapi_document_of_every_route() {
    let w = World::new().await;
    let res = w
        .app
        .client
        .get(w.app.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    for h in [
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
    ] {
        assert!(res.headers().contains_key(h), "{h} missing");
    }
    let doc: Value = w
        .app
        .client
        .get(w.app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/tickets",
        "/tickets/{id}",
        "/tickets/{id}/messages",
        "/tickets/{id}/escalate",
        "/tickets/{id}/events",
        "/tickets/{id}/attachments",
        "/attachments/{id}",
        "/customers",
        "/customers/{id}",
        "/customers/{id}/identities",
        "/customers/{id}/facts",
        "/agents",
        "/agents/{id}",
        "/organizations",
        "/organizations/{id}",
        "/teams",
        "/teams/{id}",
        "/session",
        "/me",
        "/me/presence",
        "/me/presence/history",
        "/agents/presence",
        "/agents/{id}/presence",
        "/agents/{id}/presence/history",
        "/routing",
        "/teams/{id}/routing",
        "/tickets/{id}/collaborators",
        "/tickets/{id}/collaborators/{agent_id}",
        "/tickets/{id}/handover",
        "/tickets/{id}/takeover",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["TicketDetail"].is_object());
}
