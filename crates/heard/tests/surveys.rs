//! "How did we do?": the customer rates a resolved request; a poor rating opens one
//! recovery task for the supervisors, who close it with what they did; satisfaction is
//! reported per team and agent.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn poor_rating_notices(w: &World) -> usize {
    let (s, v) = w
        .app
        .get("/api/v1/notifications", &w.supervisor.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    v.as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "poor_rating")
        .count()
}

async fn resolve(w: &World, id: i64) {
    let (s, v) = w
        .app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            &w.agent_a.token,
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn a_poor_rating_opens_one_recovery_task_that_a_supervisor_completes() {
    let w = World::new().await;
    let app = &w.app;
    let id = w.ticket_by(&w.c1, "Laptop fan is loud").await;
    let survey = format!("/api/v1/tickets/{id}/survey");
    let rate = |who: &Person, body: Value| {
        let (token, path) = (who.token.clone(), survey.clone());
        async move { app.post(&path, &token, body).await }
    };
    let (s, v) = rate(&w.c1, json!({"rating": 4})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_resolved"))
    );
    resolve(&w, id).await;

    let (s, _) = rate(&w.agent_a, json!({"rating": 5})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "staff do not rate themselves");
    let (s, _) = rate(&w.c2, json!({"rating": 5})).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "another customer's request stays hidden"
    );
    for bad in [
        json!({"rating": 0}),
        json!({"rating": 6}),
        json!({"rating": "five"}),
    ] {
        let (s, v) = rate(&w.c1, bad.clone()).await;
        assert_eq!(
            (s, v["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("rating")),
            "{bad}: {v}"
        );
    }
    assert_eq!(poor_rating_notices(&w).await, 0);

    let (s, v) = rate(
        &w.c1,
        json!({"rating": 2, "comment": "It took three days and nobody called."}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["survey"]["rating"], 2);
    assert!(
        v["survey"].get("recovery").is_none(),
        "customers see their rating, not our follow-up: {v}"
    );
    assert_eq!(poor_rating_notices(&w).await, 1);
    let (_, staff) = app
        .get(&format!("/api/v1/tickets/{id}"), &w.agent_a.token)
        .await;
    assert_eq!(staff["survey"]["recovery"], "open");
    let (s, tasks) = app.get("/api/v1/recoveries", &w.supervisor.token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(tasks[0]["ticket_id"], id);
    assert_eq!(tasks[0]["comment"], "It took three days and nobody called.");
    let (s, _) = app.get("/api/v1/recoveries", &w.agent_a.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A kinder second thought leaves the task open and notifies nobody again.
    let (s, _) = rate(&w.c1, json!({"rating": 5})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(poor_rating_notices(&w).await, 1);
    let (_, tasks) = app.get("/api/v1/recoveries", &w.supervisor.token).await;
    assert_eq!(tasks.as_array().unwrap().len(), 1);

    let recovery = format!("/api/v1/tickets/{id}/recovery");
    let (s, _) = app
        .post(&recovery, &w.agent_a.token, json!({"note": "called"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .post(&recovery, &w.supervisor.token, json!({"note": "  "}))
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("note"))
    );
    let (s, v) = app
        .post(
            &recovery,
            &w.supervisor.token,
            json!({"note": "Called her, apologised, swapped the fan under warranty."}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["survey"]["recovery"], "done");
    let (_, tasks) = app.get("/api/v1/recoveries", &w.supervisor.token).await;
    assert_eq!(tasks, json!([]));
    let (s, v) = app
        .post(&recovery, &w.supervisor.token, json!({"note": "again"}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("no_recovery_open"))
    );

    // Let down again: a new task.
    let (s, _) = rate(&w.c1, json!({"rating": 1})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(poor_rating_notices(&w).await, 2);
    let (_, events) = app
        .get(&format!("/api/v1/tickets/{id}/events"), &w.agent_a.token)
        .await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "rated").count(), 3);
    assert!(kinds.contains(&"recovered"));
}

#[tokio::test]
async fn satisfaction_is_reported_per_team_and_agent() {
    let w = World::new().await;
    let app = &w.app;
    for (who, rating) in [(&w.c1, 5), (&w.s1, 4), (&w.s2, 1)] {
        let id = w.ticket_by(who, "Projector flickers").await;
        let (s, _) = app
            .patch(
                &format!("/api/v1/tickets/{id}"),
                &w.agent_a.token,
                json!({"assignee_id": w.agent_a.id}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        resolve(&w, id).await;
        let (s, v) = app
            .post(
                &format!("/api/v1/tickets/{id}/survey"),
                &who.token,
                json!({"rating": rating}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, r) = app
        .get("/api/v1/reports/satisfaction?days=7", &w.supervisor.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["rated"].as_i64(), r["csat_percent"].as_i64()),
        (Some(3), Some(67))
    );
    let line = r["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["agent"].is_string())
        .expect("a line for the agent");
    assert_eq!(
        (
            line["rated"].as_i64(),
            line["satisfied"].as_i64(),
            line["poor"].as_i64()
        ),
        (Some(3), Some(2), Some(1))
    );
    let (s, v) = app
        .get("/api/v1/reports/satisfaction?days=0", &w.supervisor.token)
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("days"))
    );
    let (s, _) = app.get("/api/v1/reports/satisfaction", &w.c1.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
