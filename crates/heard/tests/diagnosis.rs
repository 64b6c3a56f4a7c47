//! Diagnose (H.E.A.R.D.): an upset customer's ticket closes only once its root cause is
//! recorded, and root causes group tickets into problems — through the API, under the
//! access rules.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn open(w: &World, who: &Person, subject: &str, body: &str) -> Value {
    let (s, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &who.token,
            json!({"subject": subject, "body": body}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t
}

#[tokio::test]
async fn an_upset_customers_ticket_closes_only_after_its_root_cause_is_recorded() {
    let w = World::new().await;
    let app = &w.app;
    let angry = open(
        &w,
        &w.c1,
        "VPN keeps dropping",
        "This is the THIRD time I'm writing!!! The VPN drops every hour, it's absolutely unacceptable and I am furious.",
    )
    .await;
    let id = angry["id"].as_i64().unwrap();
    let (_, staff) = app
        .get(&format!("/api/v1/tickets/{id}"), &w.agent_a.token)
        .await;
    assert!(
        matches!(
            staff["frustration"]["level"].as_str(),
            Some("frustrated" | "angry")
        ),
        "the scenario needs an upset customer: {staff}"
    );
    // A calm request closes without ceremony.
    let calm = open(
        &w,
        &w.c2,
        "Printer setup",
        "Could you help me add the office printer?",
    )
    .await;
    for status in ["resolved", "closed"] {
        let (s, v) = app
            .patch(
                &format!("/api/v1/tickets/{}", calm["id"]),
                &w.agent_a.token,
                json!({"status": status}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    // Resolving is allowed; closing waits for the diagnosis.
    let t = format!("/api/v1/tickets/{id}");
    let (s, _) = app
        .patch(&t, &w.agent_a.token, json!({"status": "resolved"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .patch(&t, &w.agent_a.token, json!({"status": "closed"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "root_cause_required");

    let diagnose = |who: &Person, body: Value| {
        let token = who.token.clone();
        let path = format!("{t}/diagnosis");
        async move { app.post(&path, &token, body).await }
    };
    let (s, v) = diagnose(&w.agent_a, json!({"root_cause": "the VPN keeps dropping"})).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("root_cause")),
        "{v}"
    );
    let cause = "Gateway firmware 4.2 closes idle tunnels after sixty minutes";
    let (s, v) = diagnose(
        &w.agent_a,
        json!({"root_cause": cause, "problem_id": 1, "new_problem_title": "Idle tunnels"}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("new_problem_title"))
    );
    let (s, v) = diagnose(
        &w.agent_a,
        json!({"root_cause": cause, "problem_id": 999_999}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("problem_id"))
    );
    let (s, _) = diagnose(&w.c1, json!({"root_cause": cause})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = diagnose(&w.agent_b, json!({"root_cause": cause})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = app.get("/api/v1/problems", &w.agent_a.token).await;
    assert_eq!(
        (s, v["items"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0)),
        "refusals opened nothing: {v}"
    );

    let (s, d) = diagnose(
        &w.agent_a,
        json!({"root_cause": cause, "resolution": "Raised the idle timeout to 8 hours",
               "new_problem_title": "VPN gateway drops idle tunnels"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["diagnosis"]["root_cause"], cause);
    assert_eq!(
        d["diagnosis"]["problem"]["title"],
        "VPN gateway drops idle tunnels"
    );
    assert_eq!(d["diagnosis"]["recorded_by"]["id"], w.agent_a.id);
    let problem = d["diagnosis"]["problem"]["id"].as_i64().unwrap();
    let (s, v) = app
        .patch(&t, &w.agent_a.token, json!({"status": "closed"}))
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("closed")),
        "{v}"
    );
    let (_, mine) = app.get(&t, &w.c1.token).await;
    assert!(
        mine.get("diagnosis").is_none(),
        "customers see the outcome, not the internals: {mine}"
    );
    let (_, events) = app.get(&format!("{t}/events"), &w.agent_a.token).await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "diagnosed" && e["data"]["problem_id"] == problem)
    );

    // A second case of the same fault joins the problem.
    let again = open(
        &w,
        &w.c2,
        "VPN disconnects",
        "My VPN disconnects after lunch every day.",
    )
    .await;
    let again = again["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/tickets/{again}/diagnosis"),
            &w.agent_a.token,
            json!({"root_cause": "Same gateway firmware closing idle tunnels at sixty minutes", "problem_id": problem}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let p = format!("/api/v1/problems/{problem}");
    let (_, v) = app.get(&p, &w.agent_a.token).await;
    assert_eq!(v["tickets"], 2);
    let linked: Vec<i64> = v["linked_tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(linked, [again, id]);
    let (_, v) = app.get(&p, &w.agent_b.token).await;
    assert_eq!(v["tickets"], 2);
    assert_eq!(
        v["linked_tickets"],
        json!([]),
        "another team's agent sees the problem, not the tickets"
    );
    let (_, v) = app
        .get(
            &format!("/api/v1/tickets?problem_id={problem}"),
            &w.supervisor.token,
        )
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 2, "{v}");

    let (s, _) = app.get(&p, &w.c1.token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/api/v1/problems", &w.c1.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .patch(&p, &w.agent_a.token, json!({"status": "fixed"}))
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("status"))
    );
    let (s, v) = app.patch(&p, &w.agent_a.token, json!({"status": "known_error", "description": "Firmware 4.3 fixes it; rollout next week."})).await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("known_error")),
        "{v}"
    );
    let (_, v) = app
        .get("/api/v1/problems?status=known_error", &w.agent_a.token)
        .await;
    assert_eq!(v["items"][0]["id"], problem);
    let (s, v) = app
        .post("/api/v1/problems", &w.agent_a.token, json!({"title": "x"}))
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("title"))
    );
}
