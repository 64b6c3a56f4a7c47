//! Quality reviews through the API: the queue gives its reasons, suggested scores carry
//! their evidence, a supervisor reviews one agent's part, the agent reads it and answers
//! once, nobody else sees it, and an edited rubric leaves old reviews on their version.

mod common;

use common::*;
use heard_services::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Monday 2026-11-23 09:00 UTC: the default calendar opens.
const MONDAY_9: i64 = 1_795_424_400_000;
const MINUTE: i64 = 60_000;

const BLUNT: &str = "Obviously you should have restarted it first. Simply just reboot.";

async fn reply(w: &World, id: i64, who: &Person, body: &str) -> i64 {
    let (s, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &who.token,
            json!({"body": body}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
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

async fn queue(w: &World, who: &Person) -> Vec<Value> {
    let (s, v) = w
        .app
        .get("/api/v1/reviews/queue?limit=200", &who.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"].as_array().unwrap().clone()
}

fn reasons_of(q: &[Value], id: i64) -> Vec<String> {
    q.iter()
        .find(|t| t["ticket_id"] == id)
        .map(|t| {
            t["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["reason"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn scores(keys: &[&str], score: i64) -> Value {
    Value::Object(keys.iter().map(|k| (k.to_string(), json!(score))).collect())
}

const RUBRIC: [&str; 10] = [
    "hear",
    "empathize",
    "apologize",
    "resolve",
    "diagnose",
    "listened",
    "serious",
    "respect",
    "timely",
    "next_step",
];

#[tokio::test]
async fn reviews_from_queue_to_reply() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let app = &w.app;

    // A blunt reply, resolved, then rated poorly.
    let rated = w.ticket_by(&w.c1, "Printer jams").await;
    let blunt = reply(&w, rated, &w.agent_a, BLUNT).await;
    resolve(&w, rated).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/tickets/{rated}/survey"),
            &w.c1.token,
            json!({"rating": 1, "comment": "rude"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // An angry customer.
    let upset = w.ticket_by(&w.c2, "VPN down again").await;
    reply(
        &w,
        upset,
        &w.c2,
        "This is RIDICULOUS!!! Third time I write and NOBODY answers. I will cancel my contract!",
    )
    .await;

    // A promise missed.
    let promised = w.ticket_by(&w.s1, "New laptop").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/tickets/{promised}/promise"),
            &w.agent_a.token,
            json!({"due_at": "2026-11-23T10:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    clock.advance_ms(70 * MINUTE);
    assert!(app.services.run_due_alerts().await.unwrap() >= 1);

    // Resolved tickets until one falls in the random sample (about one in five).
    let mut sampled = None;
    for n in 0..25 {
        let id = w.ticket_by(&w.s2, &format!("Password reset {n}")).await;
        reply(
            &w,
            id,
            &w.agent_a,
            "I have reset it; you can sign in again now.",
        )
        .await;
        resolve(&w, id).await;
        if reasons_of(&queue(&w, &w.supervisor).await, id).contains(&"sample".to_string()) {
            sampled = Some(id);
            break;
        }
    }
    assert!(sampled.is_some(), "a resolved ticket is sampled");

    let q = queue(&w, &w.supervisor).await;
    let r = reasons_of(&q, rated);
    assert!(r.contains(&"poor_rating".into()), "{r:?}");
    assert!(r.contains(&"tone_findings_sent".into()), "{r:?}");
    assert!(
        reasons_of(&q, upset).contains(&"upset_customer".into()),
        "{q:?}"
    );
    assert!(
        reasons_of(&q, promised).contains(&"missed_promise".into()),
        "{q:?}"
    );
    let line = q.iter().find(|t| t["ticket_id"] == rated).unwrap();
    assert!(
        line["reasons"].to_string().contains("rated 1/5"),
        "each reason says why: {line}"
    );
    // Agents who are not reviewers have no queue; customers neither.
    let (s, v) = app.get("/api/v1/reviews/queue", &w.agent_b.token).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_a_reviewer"))
    );
    let (s, _) = app.get("/api/v1/reviews/queue", &w.c1.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Suggested scores carry evidence.
    let (s, d) = app
        .get(
            &format!("/api/v1/reviews/suggestions?ticket_id={rated}"),
            &w.supervisor.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["agent"]["id"], w.agent_a.id);
    let items = d["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    assert!(
        items
            .iter()
            .all(|i| !i["evidence"].as_array().unwrap().is_empty()),
        "{d}"
    );
    let respect = items.iter().find(|i| i["key"] == "respect").unwrap();
    assert!(respect["score"].as_i64().unwrap() < 4, "{respect}");
    assert!(
        respect["evidence"].to_string().contains("condescension"),
        "{respect}"
    );
    let version = d["rubric_version"].as_i64().unwrap();

    // Bad scores are refused, naming the item.
    let mut bad = scores(&RUBRIC, 3);
    bad["hear"] = json!(7);
    let (s, v) = app
        .post(
            "/api/v1/reviews",
            &w.supervisor.token,
            json!({"ticket_id": rated, "scores": bad}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["code"], "invalid_score");
    assert_eq!(v["error"]["field"], "scores");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("scores.hear"),
        "{v}"
    );
    let (s, v) = app
        .post(
            "/api/v1/reviews",
            &w.supervisor.token,
            json!({"ticket_id": rated, "scores": scores(&RUBRIC[1..], 3)}),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (422, Some("missing_score"))
    );
    let (s, v) = app
        .post(
            "/api/v1/reviews",
            &w.supervisor.token,
            json!({"ticket_id": rated, "scores": scores(&RUBRIC, 3),
                   "comments": [{"message_id": blunt, "start": 0, "end": 500, "body": "x"}]}),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (422, Some("invalid_anchor"))
    );

    // An agent never reviews themselves, even once named reviewer.
    let (s, v) = app
        .post(
            "/api/v1/reviews",
            &w.agent_a.token,
            json!({"ticket_id": rated, "scores": scores(&RUBRIC, 4)}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_a_reviewer"))
    );
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/v1/reviews/reviewers/{}", w.agent_a.id),
            Some(&w.admin.token),
            Some(json!({"reviewer": true})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app
        .post(
            "/api/v1/reviews",
            &w.agent_a.token,
            json!({"ticket_id": rated, "scores": scores(&RUBRIC, 4)}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("self_review"))
    );

    // The supervisor reviews, with a comment on the words that hurt.
    let mut sc = scores(&RUBRIC, 2);
    sc["diagnose"] = Value::Null;
    sc["respect"] = json!(0);
    let (s, review) = app
        .post(
            "/api/v1/reviews",
            &w.supervisor.token,
            json!({"ticket_id": rated, "rubric_version": version, "scores": sc,
                   "summary": "Right fix, wrong tone.",
                   "comments": [{"item": "respect", "message_id": blunt, "start": 0, "end": 9,
                                 "body": "Drop “obviously”: it tells the customer they should have known."}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{review}");
    let rid = review["id"].as_i64().unwrap();
    assert_eq!(review["agent"]["id"], w.agent_a.id);
    assert_eq!(
        review["score"], 44,
        "16 of 36 points over the 9 applicable items"
    );
    assert_eq!(review["comments"][0]["excerpt"], "Obviously");
    assert!(
        reasons_of(&queue(&w, &w.supervisor).await, rated).is_empty(),
        "a reviewed ticket drops out of the queue"
    );

    // The agent sees it and replies once; the supervisor sees the reply.
    let path = format!("/api/v1/reviews/{rid}");
    let (s, seen) = app.get(&path, &w.agent_a.token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(seen["comments"][0]["message_id"], blunt);
    let (s, mine) = app
        .get(
            &format!("/api/v1/reviews?agent_id={}", w.agent_a.id),
            &w.agent_a.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let (s, v) = app
        .post(
            &format!("{path}/reply"),
            &w.agent_a.token,
            json!({"reply": "Fair. I will drop it."}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("{path}/reply"),
            &w.agent_a.token,
            json!({"reply": "And another thing"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_replied"))
    );
    let (_, v) = app.get(&path, &w.supervisor.token).await;
    assert_eq!(v["reply"], "Fair. I will drop it.");
    let (s, trend) = app.get("/api/v1/reviews/trend", &w.agent_a.token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(trend["weeks"][0]["average"], 44, "{trend}");

    // Nobody else sees it.
    let (s, v) = app.get(&path, &w.agent_b.token).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("review_not_found"))
    );
    let (s, _) = app.get(&path, &w.c1.token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = app
        .get(
            &format!("/api/v1/reviews?agent_id={}", w.agent_a.id),
            &w.agent_b.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["items"].as_array().unwrap().is_empty(), "{v}");

    // The admin edits the rubric: the old review keeps version 1 and its labels.
    let (_, rubric) = app.get("/api/v1/reviews/rubric", &w.admin.token).await;
    let mut items = rubric["items"].as_array().unwrap().clone();
    items.retain(|i| i["key"] != "diagnose");
    items[0]["label"] = json!("Hear them out");
    items.push(json!({"key": "ownership", "label": "Took ownership", "guide": ""}));
    let (s, v) = app
        .call(
            "PUT",
            "/api/v1/reviews/rubric",
            Some(&w.agent_a.token),
            Some(json!({"items": items.clone()})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = app
        .call(
            "PUT",
            "/api/v1/reviews/rubric",
            Some(&w.admin.token),
            Some(json!({"items": items})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], version + 1);
    let (_, old) = app.get(&path, &w.supervisor.token).await;
    assert_eq!(old["rubric_version"], version);
    assert_eq!(old["items"].as_array().unwrap().len(), 10);
    assert_eq!(old["items"][0]["label"], "Hear");
    // A form opened on the old version is told to reload; the new one needs the new item.
    let agent_b_reply = reply(
        &w,
        upset,
        &w.agent_a,
        "I am sorry; I will call you within the hour.",
    )
    .await;
    let _ = agent_b_reply;
    let (s, v) = app
        .post(
            "/api/v1/reviews",
            &w.supervisor.token,
            json!({"ticket_id": upset, "rubric_version": version, "scores": scores(&RUBRIC, 3)}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("rubric_changed"))
    );
    let new_keys = [
        "hear",
        "empathize",
        "apologize",
        "resolve",
        "listened",
        "serious",
        "respect",
        "timely",
        "next_step",
        "ownership",
    ];
    let (s, v) = app
        .post(
            "/api/v1/reviews",
            &w.supervisor.token,
            json!({"ticket_id": upset, "scores": scores(&new_keys, 4)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["rubric_version"], version + 1);
    assert_eq!(v["items"][0]["label"], "Hear them out");
    assert_eq!(v["score"], 100);
}
