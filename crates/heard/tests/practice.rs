//! Practice mode: a supervisor copies a resolved conversation into the practice sets,
//! scrubbed of personal data; an agent answers it replayed message by message with the
//! tone coach's review; the sandbox never shows up for customers, in ticket lists or in
//! search. Scrubbing is also run over real text: a seeded desk and the mail corpora.

mod common;

use common::pages::browser;
use common::*;
use heard_domain::scrub::{has_email_address, has_phone_number, scrub_ticket};
use heard_services::people::NewAgent;
use heard_services::seed::SeedPlan;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;

async fn ok(w: &World, token: &str, method: &str, path: &str, body: Value) -> Value {
    let (s, v) = w.app.call(method, path, Some(token), Some(body)).await;
    assert!(s.is_success(), "{method} {path}: {s} {v}");
    v
}

fn texts(run: &Value) -> Vec<String> {
    run["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn an_agent_practises_a_scrubbed_conversation_that_no_customer_ever_sees() {
    let w = World::new().await;
    let app = &w.app;
    let (a, sup) = (&w.agent_a, &w.supervisor);
    let (s, t) = app
        .post(
            "/api/v1/tickets",
            &w.c1.token,
            json!({"subject": "Refund for Anna Berg",
                   "body": "Hi, I am Anna Berg (anna.berg@mail.test, +46 70 123 45 67), 12 Baker Street.\nCard 4111 1111 1111 1111 was charged twice."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_i64().unwrap();
    let p = format!("/api/v1/tickets/{id}");
    ok(
        &w,
        &a.token,
        "POST",
        &format!("{p}/messages"),
        json!({"body": "Hello Anna, I am looking into it."}),
    )
    .await;
    ok(
        &w,
        &w.c1.token,
        "POST",
        &format!("{p}/messages"),
        json!({"body": "Thanks. Anna again: call me on 070-1234567 please."}),
    )
    .await;
    ok(&w, &a.token, "PATCH", &p, json!({"status": "resolved"})).await;

    // Only supervisors choose practice conversations, and only resolved ones.
    let (s, _) = app
        .post("/api/v1/practice/cases", &a.token, json!({"ticket_id": id}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let open = w.ticket_by(&w.c2, "Still open").await;
    let (s, v) = app
        .post(
            "/api/v1/practice/cases",
            &sup.token,
            json!({"ticket_id": open}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("ticket_id")),
        "{v}"
    );
    let (s, cases) = app
        .post(
            "/api/v1/practice/cases",
            &sup.token,
            json!({"ticket_id": id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cases}");
    let case = &cases[0];
    let level = case["level"].as_str().unwrap();
    let set = ["calm", "upset", "abusive"]
        .iter()
        .position(|l| *l == level)
        .expect("a known set");
    assert_eq!(case["messages"], 2);
    assert_eq!(case["subject"], "Refund for Alex Lee");
    let (s, _) = app
        .post(
            "/api/v1/practice/cases",
            &sup.token,
            json!({"ticket_id": id}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a conversation is copied once");

    let (s, overview) = app.get("/api/v1/practice", &a.token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(overview["sets"][0]["level"], "calm");
    assert_eq!(overview["sets"][set]["cases"][0]["id"], case["id"]);
    assert_eq!(overview["sets"][set]["finished"], 0);

    // The replay: the first message, scrubbed; the second after the agent answers.
    let (s, run) = app
        .post(
            "/api/v1/practice/runs",
            &a.token,
            json!({"case_id": case["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{run}");
    let run_path = format!("/api/v1/practice/runs/{}", run["id"]);
    let first = texts(&run);
    assert_eq!(first.len(), 1);
    assert_eq!(run["waiting"], 1);
    for leak in ["Anna", "Berg", "anna.berg", "123 45 67", "4111", "Baker"] {
        assert!(!first[0].contains(leak), "{leak} in {}", first[0]);
    }
    assert!(
        first[0].contains("[email 1]")
            && first[0].contains("[phone 1]")
            && first[0].contains("[address 1]"),
        "{}",
        first[0]
    );
    let (s, v) = app
        .post(
            &format!("{run_path}/replies"),
            &a.token,
            json!({"body": "  "}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("body"))
    );
    let (s, _) = app
        .post(
            &format!("{run_path}/replies"),
            &w.agent_b.token,
            json!({"body": "Hi"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another agent's run");
    let run = ok(
        &w,
        &a.token,
        "POST",
        &format!("{run_path}/replies"),
        json!({"body": "Obviously you should have read the manual. Zebracorn policy applies."}),
    )
    .await;
    let entries = run["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{run}");
    assert_eq!(entries[1]["from"], "agent");
    assert!(entries[1]["tone_score"].as_i64().unwrap() < 100, "{run}");
    assert!(
        !entries[1]["findings"].as_array().unwrap().is_empty(),
        "the tone coach responds: {run}"
    );
    assert_eq!(entries[2]["from"], "customer");
    assert!(
        entries[2]["body"]
            .as_str()
            .unwrap()
            .starts_with("Thanks. Alex again"),
        "{run}"
    );
    assert!(!has_phone_number(entries[2]["body"].as_str().unwrap()));
    assert_eq!(run["finished"], false);
    let run = ok(&w, &a.token, "POST", &format!("{run_path}/replies"),
        json!({"body": "I understand, and I am sorry for the double charge. I will call you today."})).await;
    assert_eq!(run["finished"], true);
    let (s, v) = app
        .post(
            &format!("{run_path}/replies"),
            &a.token,
            json!({"body": "One more"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("practice_finished"))
    );
    let (_, overview) = app.get("/api/v1/practice", &a.token).await;
    assert_eq!(overview["sets"][set]["finished"], 1);
    assert_eq!(overview["runs"][0]["finished"], true);

    // Who sees the run: its agent and supervisors; not other agents nor customers.
    assert_eq!(app.get(&run_path, &sup.token).await.0, StatusCode::OK);
    assert_eq!(
        app.get(&run_path, &w.agent_b.token).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&run_path, &w.c1.token).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/practice", &w.c1.token).await.0,
        StatusCode::FORBIDDEN
    );

    // The sandbox stays apart: the real ticket is unchanged, no list or search shows the
    // practice replies, the customer got nothing.
    let (_, real) = app.get(&p, &w.c1.token).await;
    assert_eq!(real["messages"].as_array().unwrap().len(), 3, "{real}");
    for token in [&w.c1.token, &a.token, &sup.token] {
        let (_, list) = app.get("/api/v1/tickets?limit=200", token).await;
        assert!(!list.to_string().contains("Zebracorn"), "{list}");
        let (s, hits) = app.get("/api/v1/search?q=Zebracorn", token).await;
        assert_eq!(s, StatusCode::OK, "{hits}");
        assert_eq!(hits["total"], 0, "{hits}");
        let (_, notes) = app.get("/api/v1/notifications", token).await;
        assert!(
            !notes.to_string().contains("Zebracorn") && !notes.to_string().contains("practice"),
            "{notes}"
        );
    }
    let (_, events) = app.get(&format!("{p}/events"), &sup.token).await;
    assert!(!events.to_string().contains("Zebracorn"));

    // The pages: the sets, a run answered through the form.
    let page = browser(app, a).await;
    let (s, html) = page.page("/agent/practice").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("Refund for Alex Lee") && html.contains("3. Abusive customers"),
        "{html}"
    );
    let (s, location, _) = page
        .form(
            "/agent/practice/runs",
            &[("case_id", &case["id"].to_string())],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{location}");
    let (s, html) = page.page(&location).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("[email 1]") && !html.contains("anna.berg"),
        "{html}"
    );
    let (s, _, _) = page
        .form(
            &format!("{location}/reply"),
            &[("body", "Sorry for the trouble, I am on it.")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = page.page(&location).await;
    assert!(
        html.contains("Sorry for the trouble") && html.contains("Thanks. Alex again"),
        "{html}"
    );
    let (s, _, html) = page
        .form(&format!("{location}/reply"), &[("body", "")])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let customer_page = browser(app, &w.c1).await;
    let (s, _) = customer_page.page(&location).await;
    assert_ne!(s, StatusCode::OK);
}

/// Practice cases picked from a seeded desk by frustration carry no e-mail address, phone
/// number or customer name; scrubbing the seeded conversations themselves leaves none.
#[tokio::test]
async fn seeded_conversations_are_scrubbed_before_practice() {
    let app = TestApp::spawn().await;
    let plan = SeedPlan {
        tickets: 300,
        customers: 30,
        agents: 4,
        articles: 5,
    };
    let report = app.services.seed(plan, |_| {}).await.expect("seed");
    app.services
        .create_agent(
            None,
            NewAgent {
                email: "lead@practice.test".into(),
                name: "Lead".into(),
                role: "supervisor".into(),
                tier: Some(3),
                skills: vec![],
                team_ids: vec![],
                capacity: Some(5),
                time_zone: None,
                password: Some(PASSWORD.into()),
            },
        )
        .await
        .unwrap();
    let sup = app
        .services
        .create_token("lead@practice.test", "test")
        .await
        .unwrap();
    let agent = app
        .services
        .create_token(&report.agent_email, "test")
        .await
        .unwrap();

    // Scrub every seeded conversation with its people's names, as the copy does.
    let (_, list) = app.get("/api/v1/tickets?limit=200", &sup).await;
    let tickets = list["items"].as_array().unwrap();
    assert!(tickets.len() >= 100);
    for t in tickets {
        let (_, d) = app.get(&format!("/api/v1/tickets/{}", t["id"]), &sup).await;
        let msgs: Vec<String> = d["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body_text"].as_str().unwrap().to_string())
            .collect();
        let names: Vec<String> = d["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["author"]["name"].as_str().map(str::to_string))
            .collect();
        for m in scrub_ticket(&msgs, &names) {
            assert!(!has_email_address(&m) && !has_phone_number(&m), "{m}");
        }
    }

    let (s, cases) = app.post("/api/v1/practice/cases", &sup, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{cases}");
    let cases = cases.as_array().unwrap();
    assert!(
        !cases.is_empty(),
        "a seeded desk has resolved conversations to practise on"
    );
    let levels: std::collections::BTreeSet<&str> =
        cases.iter().map(|c| c["level"].as_str().unwrap()).collect();
    assert!(levels.len() >= 2, "sets of several levels: {levels:?}");
    for c in cases {
        let subject = c["subject"].as_str().unwrap();
        assert!(
            !has_email_address(subject) && !has_phone_number(subject),
            "{subject}"
        );
        let (s, run) = app
            .post("/api/v1/practice/runs", &agent, json!({"case_id": c["id"]}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{run}");
        for text in texts(&run) {
            assert!(
                !has_email_address(&text) && !has_phone_number(&text),
                "{text}"
            );
        }
    }
}

fn walk(dir: &std::path::Path, files: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// The mail corpora as real text: whole raw messages, headers and all.
#[test]
fn scrubbing_the_mail_corpora_leaves_no_address_or_phone_number() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/email");
    let mut files = Vec::new();
    for dir in ["cpython/msgs", "mail-parser/eml"] {
        let dir = root.join(dir);
        assert!(dir.is_dir(), "the corpus is missing: {}", dir.display());
        walk(&dir, &mut files);
    }
    files.sort();
    let mut had_addresses = 0;
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        had_addresses += has_email_address(&text) as usize;
        // One mail is one ticket: its paragraphs are its messages.
        let parts: Vec<String> = text.split("\n\n").map(str::to_string).collect();
        for out in scrub_ticket(&parts, &[]) {
            assert!(!has_email_address(&out), "{}: {out}", f.display());
            assert!(!has_phone_number(&out), "{}: {out}", f.display());
        }
    }
    assert!(files.len() >= 40, "{} files", files.len());
    assert!(
        had_addresses >= 30,
        "the corpus is full of addresses to scrub: {had_addresses}"
    );
}
