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

/// Who sees whose ticket and attachment, for every role, over the ownership cases:
/// one's own, a colleague's in a private organization, one in a sharing organization,
/// another organization's, another team's; then again after an admin turns sharing on for
/// the private organization and off for the sharing one. Any 2xx not expected fails.
#[tokio::test]
async fn ownership_cases_by_every_role_with_sharing_on_and_off() {
    let w = World::new().await;
    let app = &w.app;
    let own = w.ticket_by(&w.c1, "c1's laptop").await;
    let shared = w.ticket_by(&w.s2, "s2's printer").await;
    let other_team = w.ticket_by(&w.c2, "c2's database").await;
    let (st, _) = app
        .patch(
            &format!("/api/v1/tickets/{other_team}"),
            &w.supervisor.token,
            json!({"team_id": w.team_b}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let mut attachment_of = std::collections::HashMap::new();
    for (ticket, owner) in [(own, &w.c1), (shared, &w.s2), (other_team, &w.c2)] {
        let res = app
            .client
            .post(app.url(&format!(
                "/api/v1/tickets/{ticket}/attachments?file_name=log.txt"
            )))
            .bearer_auth(&owner.token)
            .header("content-type", "text/plain")
            .body("the log")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let v: serde_json::Value = res.json().await.unwrap();
        attachment_of.insert(ticket, v["id"].as_i64().unwrap());
    }
    let who: Vec<(&str, Option<&Person>)> = vec![
        ("anonymous", None),
        ("c1", Some(&w.c1)),
        ("c2", Some(&w.c2)),
        ("s1", Some(&w.s1)),
        ("s2", Some(&w.s2)),
        ("agent A", Some(&w.agent_a)),
        ("agent B", Some(&w.agent_b)),
        ("supervisor", Some(&w.supervisor)),
        ("admin", Some(&w.admin)),
    ];
    // Who sees each ticket, in the order of `who` (anonymous is always refused with 401).
    type Seen = [bool; 9];
    let phases: [(&str, [(i64, Seen); 3]); 2] = [
        (
            "as set up (Private Co private, Sharing Co shares)",
            [
                (
                    own,
                    [false, true, false, false, false, true, false, true, true],
                ),
                (
                    shared,
                    [false, false, false, true, true, true, false, true, true],
                ),
                (
                    other_team,
                    [false, false, true, false, false, false, true, true, true],
                ),
            ],
        ),
        (
            "after an admin turns sharing on for Private Co and off for Sharing Co",
            [
                (
                    own,
                    [false, true, true, false, false, true, false, true, true],
                ),
                (
                    shared,
                    [false, false, false, false, true, true, false, true, true],
                ),
                (
                    other_team,
                    [false, true, true, false, false, false, true, true, true],
                ),
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (phase, (name, cases)) in phases.iter().enumerate() {
        if phase == 1 {
            let orgs = app.get("/api/v1/organizations", &w.admin.token).await.1;
            for org in orgs["items"].as_array().unwrap() {
                let shares = org["name"] == "Private Co";
                let (st, v) = app
                    .patch(
                        &format!("/api/v1/organizations/{}", org["id"]),
                        &w.admin.token,
                        json!({"shares_tickets": shares}),
                    )
                    .await;
                assert_eq!(st, StatusCode::OK, "{v}");
            }
        }
        for (ticket, seen) in cases {
            let attachment = attachment_of[ticket];
            for ((role, person), sees) in who.iter().zip(seen) {
                let token = person.map(|p| p.token.as_str());
                let paths = [
                    format!("/api/v1/tickets/{ticket}"),
                    format!("/api/v1/attachments/{attachment}"),
                ];
                for path in &paths {
                    let (status, _) = app.call("GET", path, token, None).await;
                    let want = match (person, sees) {
                        (None, _) => StatusCode::UNAUTHORIZED,
                        (_, true) => StatusCode::OK,
                        (_, false) => StatusCode::NOT_FOUND,
                    };
                    if status != want {
                        failures.push(format!(
                            "{name}: GET {path} as {role}: got {status}, want {want}"
                        ));
                    }
                }
                if let Some(p) = person {
                    let (_, list) = app.get("/api/v1/tickets?limit=200", &p.token).await;
                    let listed = list["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|t| t["id"] == *ticket);
                    if listed != *sees {
                        failures.push(format!(
                            "{name}: ticket {ticket} listed for {role}: {listed}, want {sees}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "[{}] ownership mismatches:\n{}",
        backend(),
        failures.join("\n")
    );
}

/// An agent's customer management never widens anyone's access: choosing a customer's
/// organization, moving one, setting a customer's password and changing organizations
/// (their domain, whether they share) are supervisors' and admins' acts, each in the audit
/// log; an agent's attempt changes nothing.
#[tokio::test]
async fn only_supervisors_and_admins_change_who_belongs_and_what_is_shared() {
    let w = World::new().await;
    let app = &w.app;
    let orgs = app.get("/api/v1/organizations", &w.admin.token).await.1;
    let org_id = |name: &str| {
        orgs["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (private, sharing) = (org_id("Private Co"), org_id("Sharing Co"));
    let who: Vec<(&str, Option<&Person>)> = vec![
        ("anonymous", None),
        ("customer", Some(&w.c1)),
        ("agent", Some(&w.agent_a)),
        ("agent of another team", Some(&w.agent_b)),
        ("supervisor", Some(&w.supervisor)),
        ("admin", Some(&w.admin)),
    ];
    const FORBID: u16 = 403;
    type Body = fn(&str) -> serde_json::Value;
    fn body(f: Body) -> Body {
        f
    }
    let c1 = format!("/api/v1/customers/{}", w.c1.id);
    let routes: Vec<(&str, String, Body, [u16; 6])> = vec![
        (
            "POST",
            "/api/v1/organizations".into(),
            body(|r| json!({"name": format!("Org of {r}"), "shares_tickets": true})),
            [ANON, FORBID, FORBID, FORBID, CREATED, CREATED],
        ),
        (
            "PATCH",
            format!("/api/v1/organizations/{private}"),
            body(|_| json!({"shares_tickets": true})),
            [ANON, FORBID, FORBID, FORBID, OK, OK],
        ),
        (
            "PATCH",
            format!("/api/v1/organizations/{sharing}"),
            body(|r| json!({"domain": format!("{}.example", r.replace(' ', "-"))})),
            [ANON, HIDDEN, FORBID, FORBID, OK, OK],
        ),
        (
            "POST",
            "/api/v1/customers".into(),
            body(|r| {
                json!({"email": format!("placed.{}@elsewhere.test", r.replace(' ', "-")),
                       "name": "Placed", "organization_id": 2})
            }),
            [ANON, FORBID, FORBID, FORBID, CREATED, CREATED],
        ),
        (
            "POST",
            "/api/v1/customers".into(),
            body(|r| {
                json!({"email": format!("pw.{}@elsewhere.test", r.replace(' ', "-")),
                       "name": "With password", "password": "a password of mine"})
            }),
            [ANON, FORBID, FORBID, FORBID, CREATED, CREATED],
        ),
        (
            "POST",
            "/api/v1/customers".into(),
            body(
                |r| json!({"email": format!("plain.{}@elsewhere.test", r.replace(' ', "-")), "name": "Plain"}),
            ),
            [ANON, FORBID, CREATED, CREATED, CREATED, CREATED],
        ),
        (
            "PATCH",
            c1.clone(),
            body(|_| json!({"name": "C. One"})),
            [ANON, OK, OK, OK, OK, OK],
        ),
        (
            "PATCH",
            c1.clone(),
            // The supervisor moves c1 to Sharing Co, the admin back to Private Co.
            body(|r| json!({"organization_id": if r == "admin" { 1 } else { 2 }})),
            [ANON, FORBID, FORBID, FORBID, OK, OK],
        ),
        (
            "GET",
            "/api/v1/audit".into(),
            body(|_| serde_json::Value::Null),
            [ANON, FORBID, FORBID, FORBID, OK, OK],
        ),
    ];
    assert_eq!(
        (private, sharing),
        (1, 2),
        "the bodies above name the organizations by id"
    );
    // What decides who sees what: every organization as it stands, and c1's membership.
    let (admin, c1_path) = (w.admin.token.as_str(), c1.as_str());
    let who_sees_what = move || async move {
        let (_, orgs) = app.get("/api/v1/organizations", admin).await;
        let (_, c) = app.get(c1_path, admin).await;
        (orgs["items"].clone(), c["organization_id"].clone())
    };
    // The World's own set-up is logged too; only what follows counts here.
    let (_, log) = app.get("/api/v1/audit?limit=200", admin).await;
    let set_up = log["items"].as_array().unwrap().len();
    let mut failures = Vec::new();
    for (method, path, body, expected) in &routes {
        for ((role, person), want) in who.iter().zip(expected) {
            let before = who_sees_what().await;
            let b = body(role);
            let (status, value) = app
                .call(
                    method,
                    path,
                    person.map(|p| p.token.as_str()),
                    (!b.is_null()).then_some(b),
                )
                .await;
            if status.as_u16() != *want {
                failures.push(format!(
                    "{method} {path} as {role}: got {status}, want {want} ({value})"
                ));
            }
            if !status.is_success() && who_sees_what().await != before {
                failures.push(format!(
                    "{method} {path} as {role} was refused but changed who sees what"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "[{}] organization matrix mismatches:\n{}",
        backend(),
        failures.join("\n")
    );
    // Every act that went through is in the audit log, by whom, with before and after.
    let (_, log) = app.get("/api/v1/audit?limit=200", &w.admin.token).await;
    let log = log["items"].as_array().unwrap()[set_up..].to_vec();
    let by = |actor: &Person, action: &str| {
        log.iter()
            .filter(|e| e["actor_id"] == actor.id && e["action"] == action)
            .count()
    };
    for staff in [&w.supervisor, &w.admin] {
        assert_eq!(by(staff, "organization_created"), 1, "{log:?}");
        assert_eq!(by(staff, "organization_changed"), 2, "{log:?}");
        assert_eq!(by(staff, "customer_organization_changed"), 2, "{log:?}");
    }
    for agent in [&w.agent_a, &w.agent_b, &w.c1] {
        assert!(
            log.iter().all(|e| e["actor_id"] != agent.id),
            "refused acts leave no trace: {log:?}"
        );
    }
    let moved = log
        .iter()
        .find(|e| {
            e["action"] == "customer_organization_changed"
                && e["subject_id"] == w.c1.id
                && e["actor_id"] == w.supervisor.id
        })
        .expect("the move of c1 is logged");
    assert_eq!(moved["data"], json!({"from": private, "to": sharing}));
    let shared = log
        .iter()
        .find(|e| {
            e["action"] == "organization_changed"
                && e["subject_id"] == private
                && e["actor_id"] == w.supervisor.id
        })
        .expect("turning sharing on is logged");
    assert_eq!(shared["data"]["from"]["shares_tickets"], false);
    assert_eq!(shared["data"]["to"]["shares_tickets"], true);
}

/// The hole as it was found: an agent of one team creates a customer in another
/// organization, turns its sharing on, or moves a real customer there; none of it works,
/// and nothing changed.
#[tokio::test]
async fn an_agent_cannot_reach_another_teams_tickets_through_customer_management() {
    let w = World::new().await;
    let app = &w.app;
    let billing = w.ticket_by(&w.c2, "Invoice dispute").await;
    app.patch(
        &format!("/api/v1/tickets/{billing}"),
        &w.supervisor.token,
        json!({"team_id": w.team_b}),
    )
    .await;
    let (st, _) = app
        .get(&format!("/api/v1/tickets/{billing}"), &w.agent_a.token)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, v) = app
        .post(
            "/api/v1/customers",
            &w.agent_a.token,
            json!({"email": "mole@private.test", "name": "Mole", "password": "my own password 1"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = app
        .post(
            "/api/v1/customers",
            &w.agent_a.token,
            json!({"email": "mole@elsewhere.test", "name": "Mole", "organization_id": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = app
        .patch(
            "/api/v1/organizations/1",
            &w.agent_a.token,
            json!({"shares_tickets": true}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = app
        .patch(
            &format!("/api/v1/customers/{}", w.s1.id),
            &w.agent_a.token,
            json!({"organization_id": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    // Nothing changed: Private Co keeps its tickets private, s1 stays where they were,
    // and neither c1 nor s1 sees the Billing ticket.
    let (_, org) = app.get("/api/v1/organizations/1", &w.admin.token).await;
    assert_eq!(
        (org["name"].as_str(), org["shares_tickets"].as_bool()),
        (Some("Private Co"), Some(false))
    );
    let (_, s1) = app
        .get(&format!("/api/v1/customers/{}", w.s1.id), &w.admin.token)
        .await;
    assert_eq!(s1["organization_id"], 2);
    for p in [&w.c1, &w.s1] {
        let (st, _) = app
            .get(&format!("/api/v1/tickets/{billing}"), &p.token)
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
    }
}
