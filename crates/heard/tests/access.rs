//! The access rules as a matrix: every ticket, people, presence and routing route × every
//! role. What a caller may not see answers 404 exactly like what does not exist.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

const OK: u16 = 200;
const CREATED: u16 = 201;
const HIDDEN: u16 = 404;
const FORBIDDEN: u16 = 403;
const ANON: u16 = 401;

#[tokio::test]
async fn every_ticket_route_by_every_role() {
    let w = World::new().await;
    let app = &w.app;
    // A ticket of c1 (private organization), in team A by default, with an internal note.
    let id = w.ticket_by(&w.c1, "Laptop will not boot").await;
    let (st, _) = app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &w.agent_a.token,
            json!({"body": "Checked warranty: valid until 2027.", "internal": true}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);

    let who: Vec<(&str, Option<&Person>)> = vec![
        ("anonymous", None),
        ("owner", Some(&w.c1)),
        ("same-org customer (org does not share)", Some(&w.c2)),
        ("customer elsewhere", Some(&w.s1)),
        ("agent of the ticket's team", Some(&w.agent_a)),
        ("agent of another team", Some(&w.agent_b)),
        ("supervisor", Some(&w.supervisor)),
        ("admin", Some(&w.admin)),
    ];
    // (method, path, body, expected per role in the order above)
    let t = format!("/api/v1/tickets/{id}");
    let routes: Vec<(&str, String, Option<serde_json::Value>, [u16; 8])> = vec![
        (
            "GET",
            t.clone(),
            None,
            [ANON, OK, HIDDEN, HIDDEN, OK, HIDDEN, OK, OK],
        ),
        (
            "GET",
            format!("{t}/events"),
            None,
            [ANON, HIDDEN, HIDDEN, HIDDEN, OK, HIDDEN, OK, OK],
        ),
        (
            "GET",
            format!("{t}/viewers"),
            None,
            [ANON, FORBIDDEN, HIDDEN, HIDDEN, OK, HIDDEN, OK, OK],
        ),
        (
            "POST",
            format!("{t}/viewers"),
            Some(json!({"activity": "viewing"})),
            [ANON, FORBIDDEN, HIDDEN, HIDDEN, OK, HIDDEN, OK, OK],
        ),
        (
            "PATCH",
            t.clone(),
            Some(json!({"priority": "high"})),
            [ANON, FORBIDDEN, HIDDEN, HIDDEN, OK, HIDDEN, OK, OK],
        ),
        (
            "POST",
            format!("{t}/messages"),
            Some(json!({"body": "any news?"})),
            [
                ANON, CREATED, HIDDEN, HIDDEN, CREATED, HIDDEN, CREATED, CREATED,
            ],
        ),
        (
            "POST",
            format!("{t}/messages"),
            Some(json!({"body": "internal", "internal": true})),
            [
                ANON, FORBIDDEN, HIDDEN, HIDDEN, CREATED, HIDDEN, CREATED, CREATED,
            ],
        ),
        (
            "POST",
            format!("{t}/escalate"),
            Some(json!({"reason": "needs tier 2", "handoff_note": "short"})),
            [ANON, FORBIDDEN, HIDDEN, HIDDEN, 422, HIDDEN, 422, 422],
        ),
        (
            "POST",
            format!("{t}/merge"),
            Some(json!({"into_ticket_id": id})),
            [ANON, FORBIDDEN, HIDDEN, HIDDEN, 422, HIDDEN, 422, 422],
        ),
        (
            "POST",
            format!("{t}/diagnosis"),
            Some(json!({"root_cause": "x"})),
            [ANON, FORBIDDEN, HIDDEN, HIDDEN, 422, HIDDEN, 422, 422],
        ),
        (
            "POST",
            format!("{t}/survey"),
            Some(json!({"rating": 5})),
            [
                ANON, 409, HIDDEN, HIDDEN, FORBIDDEN, HIDDEN, FORBIDDEN, FORBIDDEN,
            ],
        ),
        (
            "POST",
            format!("{t}/recovery"),
            Some(json!({"note": "called"})),
            [ANON, FORBIDDEN, HIDDEN, HIDDEN, FORBIDDEN, HIDDEN, 409, 409],
        ),
        (
            "GET",
            "/api/v1/recoveries".into(),
            None,
            [
                ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK,
            ],
        ),
        (
            "GET",
            "/api/v1/problems".into(),
            None,
            [ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK],
        ),
        (
            "GET",
            "/api/v1/problems/999999".into(),
            None,
            [ANON, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN],
        ),
        (
            "GET",
            "/api/v1/tickets/999999".into(),
            None,
            [ANON, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN],
        ),
        (
            "GET",
            "/api/v1/customers".into(),
            None,
            [ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK],
        ),
        (
            "GET",
            format!("/api/v1/customers/{}", w.c1.id),
            None,
            [ANON, OK, HIDDEN, HIDDEN, OK, OK, OK, OK],
        ),
        (
            "GET",
            "/api/v1/agents".into(),
            None,
            [
                ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK,
            ],
        ),
        (
            "GET",
            format!("/api/v1/agents/{}", w.agent_b.id),
            None,
            [ANON, HIDDEN, HIDDEN, HIDDEN, HIDDEN, OK, OK, OK],
        ),
        (
            "POST",
            "/api/v1/teams".into(),
            Some(json!({"name": "New team"})),
            [
                ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, CREATED,
            ],
        ),
        (
            "GET",
            format!("/api/v1/teams/{}", w.team_a),
            None,
            [ANON, HIDDEN, HIDDEN, HIDDEN, OK, OK, OK, OK],
        ),
        (
            "GET",
            "/api/v1/organizations".into(),
            None,
            [ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK],
        ),
        (
            "GET",
            "/api/v1/me".into(),
            None,
            [ANON, OK, OK, OK, OK, OK, OK, OK],
        ),
        (
            "GET",
            "/api/v1/me/presence".into(),
            None,
            [ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK],
        ),
        (
            "PUT",
            "/api/v1/me/presence".into(),
            Some(json!({"presence": "away"})),
            [ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK],
        ),
        (
            "GET",
            "/api/v1/me/presence/history".into(),
            None,
            [ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK],
        ),
        (
            "GET",
            "/api/v1/agents/presence".into(),
            None,
            [
                ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK,
            ],
        ),
        (
            "GET",
            format!("/api/v1/agents/{}/presence", w.agent_b.id),
            None,
            [ANON, HIDDEN, HIDDEN, HIDDEN, HIDDEN, OK, OK, OK],
        ),
        (
            "PUT",
            format!("/api/v1/agents/{}/presence", w.agent_b.id),
            Some(json!({"presence": "offline"})),
            [ANON, HIDDEN, HIDDEN, HIDDEN, HIDDEN, OK, OK, OK],
        ),
        (
            "GET",
            format!("/api/v1/agents/{}/presence/history", w.agent_b.id),
            None,
            [ANON, HIDDEN, HIDDEN, HIDDEN, HIDDEN, OK, OK, OK],
        ),
        (
            "GET",
            "/api/v1/routing".into(),
            None,
            [ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK],
        ),
        (
            "PUT",
            "/api/v1/routing".into(),
            Some(json!({"mode": "round_robin"})),
            [
                ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,
            ],
        ),
        (
            "PUT",
            format!("/api/v1/teams/{}/routing", w.team_b),
            Some(json!({"upset_at": 70})),
            [
                ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,
            ],
        ),
        (
            "DELETE",
            format!("/api/v1/teams/{}/routing", w.team_b),
            None,
            [
                ANON, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,
            ],
        ),
        (
            "POST",
            format!("{t}/handover"),
            Some(json!({"to_agent_id": w.agent_a.id, "handoff_note": "short"})),
            [ANON, FORBIDDEN, HIDDEN, HIDDEN, 422, HIDDEN, 422, 422],
        ),
        (
            "POST",
            format!("{t}/takeover"),
            Some(json!({})),
            [ANON, FORBIDDEN, HIDDEN, HIDDEN, FORBIDDEN, HIDDEN, 409, 409],
        ),
        (
            "DELETE",
            format!("{t}/collaborators/{}", w.agent_b.id),
            None,
            [
                ANON, FORBIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN,
            ],
        ),
        // Last: once agent A invites agent B, B sees the ticket (and that B is on it).
        (
            "POST",
            format!("{t}/collaborators"),
            Some(json!({"agent_id": w.agent_b.id})),
            [ANON, FORBIDDEN, HIDDEN, HIDDEN, CREATED, 409, 409, 409],
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, body, expected) in &routes {
        for ((role, person), want) in who.iter().zip(expected) {
            let (status, value) = app
                .call(method, path, person.map(|p| p.token.as_str()), body.clone())
                .await;
            if status.as_u16() != *want {
                failures.push(format!(
                    "{method} {path} as {role}: got {status}, want {want} ({value})"
                ));
            }
            if status == StatusCode::NOT_FOUND {
                assert!(
                    value["error"]["code"]
                        .as_str()
                        .is_some_and(|c| c.ends_with("not_found")),
                    "{value}"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "[{}] access matrix mismatches:\n{}",
        backend(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn hidden_tickets_answer_exactly_like_missing_ones() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "Mine").await;
    let (s1, hidden) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.c2.token)
        .await;
    let (s2, missing) = w.app.get("/api/v1/tickets/424242", &w.c2.token).await;
    assert_eq!((s1, s2), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(hidden, missing);
}

#[tokio::test]
async fn customers_never_see_internal_notes() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "Printer jam").await;
    w.app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &w.agent_a.token,
            json!({"body": "Customer sounds stressed; printer is the old HP.", "internal": true}),
        )
        .await;
    w.app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &w.agent_a.token,
            json!({"body": "I'm on it and will update you by noon."}),
        )
        .await;
    let (_, customer_view) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.c1.token)
        .await;
    let kinds: Vec<&str> = customer_view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["public", "public"]);
    assert!(!customer_view.to_string().contains("stressed"));
    assert!(
        customer_view.get("customer").is_none(),
        "customers get no agent panel"
    );
    let (_, agent_view) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.agent_a.token)
        .await;
    assert_eq!(agent_view["messages"].as_array().unwrap().len(), 3);
    assert_eq!(agent_view["customer"]["profile"]["id"], w.c1.id);
}

#[tokio::test]
async fn lists_only_ever_contain_what_the_caller_may_see() {
    let w = World::new().await;
    let c1_ticket = w.ticket_by(&w.c1, "c1's").await;
    let c2_ticket = w.ticket_by(&w.c2, "c2's").await;
    let s1_ticket = w.ticket_by(&w.s1, "s1's").await;
    let s2_ticket = w.ticket_by(&w.s2, "s2's").await;
    // Move s2's ticket to team B: agent A no longer sees it, agent B does.
    let (st, _) = w
        .app
        .patch(
            &format!("/api/v1/tickets/{s2_ticket}"),
            &w.supervisor.token,
            json!({"team_id": w.team_b}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let ids = |v: serde_json::Value| -> Vec<i64> {
        let mut ids: Vec<i64> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    let list = |p: &Person| {
        let token = p.token.clone();
        let app = &w.app;
        async move { ids(app.get("/api/v1/tickets", &token).await.1) }
    };
    assert_eq!(list(&w.c1).await, vec![c1_ticket]);
    assert_eq!(list(&w.c2).await, vec![c2_ticket]);
    assert_eq!(
        list(&w.s1).await,
        vec![s1_ticket, s2_ticket],
        "a sharing organization's members see each other's tickets"
    );
    assert_eq!(
        list(&w.agent_a).await,
        vec![c1_ticket, c2_ticket, s1_ticket]
    );
    assert_eq!(list(&w.agent_b).await, vec![s2_ticket]);
    assert_eq!(
        list(&w.supervisor).await,
        vec![c1_ticket, c2_ticket, s1_ticket, s2_ticket]
    );
    // Filters cannot widen the scope.
    let (_, v) = w
        .app
        .get(
            &format!("/api/v1/tickets?requester_id={}", w.c2.id),
            &w.c1.token,
        )
        .await;
    assert!(ids(v).is_empty());
}
