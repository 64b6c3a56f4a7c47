//! `heard seed`: a bulk-written help desk that obeys the same rules as one built request by
//! request — every status, queues in due order, searchable, upset customers' closed
//! tickets diagnosed — and that the live service carries on from.

mod common;

use common::TestApp;
use heard_services::seed::SeedPlan;
use reqwest::StatusCode;
use serde_json::json;

const PLAN: SeedPlan = SeedPlan {
    tickets: 2_500,
    customers: 150,
    agents: 6,
    articles: 30,
};

async fn seeded() -> (TestApp, heard_services::seed::SeedReport) {
    let app = TestApp::spawn().await;
    let report = app.services.seed(PLAN, |_| {}).await.expect("seed");
    app.services.reindex(None).await.expect("reindex");
    (app, report)
}

async fn token(app: &TestApp, email: &str) -> String {
    app.services.create_token(email, "test").await.unwrap()
}

#[tokio::test]
async fn seeded_desk_has_every_status_queues_in_due_order_and_is_searchable() {
    let (app, report) = seeded().await;
    assert_eq!(report.tickets, PLAN.tickets);
    assert_eq!(report.customers, PLAN.customers);
    assert_eq!(report.articles, PLAN.articles);
    let per_ticket = report.messages as f64 / report.tickets as f64;
    assert!(
        (3.0..8.0).contains(&per_ticket),
        "conversations of several messages: {per_ticket}"
    );

    let supervisor = token(&app, &report.supervisor_email).await;
    for status in [
        "new",
        "open",
        "pending_customer",
        "pending_third_party",
        "resolved",
        "closed",
    ] {
        let (s, page) = app
            .get(
                &format!("/api/v1/tickets?status={status}&limit=5"),
                &supervisor,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(
            !page["items"].as_array().unwrap().is_empty(),
            "no {status} tickets: {page}"
        );
    }

    // The agent's queue: their team's open work, soonest due first.
    let agent = token(&app, &report.agent_email).await;
    let (s, page) = app
        .get(
            &format!(
                "/api/v1/tickets?team_id={}&status=new,open&order=due&limit=50",
                report.agent_team_id
            ),
            &agent,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 50, "{page}");
    let dues: Vec<&str> = items.iter().filter_map(|t| t["due_at"].as_str()).collect();
    assert!(dues.len() > 40, "seeded open tickets carry their clocks");
    assert!(
        items
            .iter()
            .all(|t| t["team"]["id"] == json!(report.agent_team_id)),
        "only the agent's team"
    );

    // Walking the queue page by page gives exactly the one long page, across statuses.
    let queue = |extra: String| {
        let (app, agent) = (&app, &agent);
        async move {
            let (s, page) = app
                .get(
                    &format!("/api/v1/tickets?status=new,open,pending_customer&order=due{extra}"),
                    agent,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{page}");
            page
        }
    };
    let long = queue("&limit=60".into()).await;
    let ids = |p: &serde_json::Value| -> Vec<i64> {
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    };
    let mut walked = Vec::new();
    let mut cursor = String::new();
    for _ in 0..3 {
        let page = queue(format!("&limit=20{cursor}")).await;
        walked.extend(ids(&page));
        cursor = format!("&cursor={}", page["next_cursor"].as_str().unwrap());
    }
    assert_eq!(walked, ids(&long));
    assert!(long["items"].as_array().unwrap().iter().all(|t| matches!(
        t["status"].as_str(),
        Some("new" | "open" | "pending_customer")
    )));

    // A ticket view with its conversation and the tone review of its replies.
    let id = items[0]["id"].as_i64().unwrap();
    let (s, detail) = app.get(&format!("/api/v1/tickets/{id}"), &agent).await;
    assert_eq!(s, StatusCode::OK, "{detail}");
    assert!(!detail["messages"].as_array().unwrap().is_empty());

    // Search sees the seeded conversations, within the agent's teams.
    let (s, found) = app.get("/api/v1/search?q=printer", &supervisor).await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert!(found["total"].as_i64().unwrap() > 0, "{found}");
    let (_, articles) = app.get("/api/v1/kb/search?q=vpn", &agent).await;
    assert!(
        !articles["hits"].as_array().unwrap().is_empty(),
        "{articles}"
    );
}

#[tokio::test]
async fn upset_customers_closed_tickets_are_diagnosed_and_the_live_desk_carries_on() {
    let (app, report) = seeded().await;
    let supervisor = token(&app, &report.supervisor_email).await;
    let mut checked = 0;
    let mut cursor: Option<i64> = None;
    while checked < 20 {
        let after = cursor.map(|c| format!("&after={c}")).unwrap_or_default();
        let (_, page) = app
            .get(
                &format!("/api/v1/tickets?status=closed&limit=100{after}"),
                &supervisor,
            )
            .await;
        for t in page["items"].as_array().unwrap() {
            if t["frustration"]["score"].as_i64().unwrap_or(0) >= 50 {
                let (_, d) = app
                    .get(&format!("/api/v1/tickets/{}", t["id"]), &supervisor)
                    .await;
                assert!(
                    d["diagnosis"]["root_cause"].is_string(),
                    "an upset customer's ticket closed without a root cause: {d}"
                );
                checked += 1;
            }
        }
        match page["next_after"].as_i64() {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert!(checked > 0, "the seed has upset customers");

    // New work continues after the seeded ids (PostgreSQL's sequences were moved on).
    let customer = token(&app, &report.customer_email).await;
    let (s, t) = app
        .post(
            "/api/v1/tickets",
            &customer,
            json!({"subject": "After the seed", "body": "My monitor flickers."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert!(t["id"].as_i64().unwrap() > PLAN.tickets as i64);
    let (s, m) = app
        .post(
            &format!("/api/v1/tickets/{}/messages", t["id"]),
            &customer,
            json!({"body": "It also hums."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");

    // Seeding twice would mix two desks: refused, nothing written.
    let again = app.services.seed(PLAN, |_| {}).await;
    assert!(again.is_err());
    let ids = app.store.seed_ids().await.unwrap();
    assert_eq!(
        ids.ticket,
        PLAN.tickets as i64 + 1,
        "nothing more was written"
    );
}
