//! The `heard` command line as a user runs it: separate processes sharing the database
//! with a running server.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn heard(app: &TestApp, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_heard"))
        .args(args)
        .env("HEARD_DATABASE_URL", &app.database_url)
        .env("HEARD_DATA_DIR", app.data_dir.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test]
async fn users_and_tokens_made_on_the_command_line_work_against_the_server() {
    let app = TestApp::spawn().await;
    let (ok, out, err) = heard(
        &app,
        &[
            "user",
            "create",
            "--email",
            "Rita@Desk.test",
            "--name",
            "Rita Ops",
            "--role",
            "supervisor",
            "--tier",
            "2",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    );
    assert!(ok, "{err}");
    let id = serde_json::from_str::<Value>(out.trim()).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (ok, token, err) = heard(
        &app,
        &["token", "create", "--email", "rita@desk.test"],
        None,
    );
    assert!(ok, "{err}");
    let token = token.trim();
    assert!(token.starts_with("hd_"), "{token}");
    let (st, me) = app.get("/api/v1/me", token).await;
    assert_eq!(
        (st, me["id"].as_i64(), me["role"].as_str()),
        (StatusCode::OK, Some(id), Some("supervisor"))
    );
    // The password given on stdin signs in.
    let (st, _) = app.call("POST", "/api/v1/session", None, Some(serde_json::json!({"email": "rita@desk.test", "password": "a long enough password"}))).await;
    assert_eq!(st, StatusCode::CREATED);

    let (ok, _, err) = heard(
        &app,
        &[
            "user",
            "create",
            "--email",
            "x@desk.test",
            "--name",
            "X",
            "--role",
            "overlord",
        ],
        None,
    );
    assert!(
        !ok && err.contains("role"),
        "a bad role fails naming the role: {err}"
    );
    let (ok, _, err) = heard(
        &app,
        &[
            "user",
            "create",
            "--email",
            "rita@desk.test",
            "--name",
            "Again",
            "--role",
            "agent",
        ],
        None,
    );
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = heard(
        &app,
        &["token", "create", "--email", "ghost@desk.test"],
        None,
    );
    assert!(!ok && err.contains("not found"), "{err}");
}

#[tokio::test]
async fn serve_demo_fills_an_empty_database_and_prints_how_to_sign_in() {
    let app = TestApp::spawn().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_heard"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .env("HEARD_DATABASE_URL", &app.database_url)
        .env("HEARD_DATA_DIR", app.data_dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut base, mut agent_token, mut printed) = (None, None, String::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(rest) = line.trim().strip_prefix("agent sam@heard.demo: ") {
            agent_token = Some(rest.to_string());
        }
        if let Some(url) = line.strip_prefix("heard listening on ") {
            base = Some(url.to_string());
            break;
        }
    }
    let base = base.unwrap_or_else(|| panic!("no listening line in:\n{printed}"));
    assert!(
        printed.contains("heard-demo-2026") && printed.contains("priya@heard.demo"),
        "{printed}"
    );
    let client = reqwest::Client::new();
    let res = client
        .get(format!("{base}/api/v1/tickets?limit=200"))
        .bearer_auth(agent_token.expect("an agent token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Sam works the Service Desk: the supervisor view checks every status is present.
    let supervisor = app
        .services
        .create_token("priya@heard.demo", "test")
        .await
        .unwrap();
    let (_, all) = app.get("/api/v1/tickets?limit=200", &supervisor).await;
    let mut statuses: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    statuses.sort();
    statuses.dedup();
    assert_eq!(
        statuses,
        vec![
            "closed",
            "new",
            "open",
            "pending_customer",
            "pending_third_party",
            "resolved"
        ]
    );
    let (_, teams) = app.get("/api/v1/teams", &supervisor).await;
    assert_eq!(teams.as_array().unwrap().len(), 3);
    let escalated = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["transfers"].as_i64() == Some(1) && t["tier"].as_i64() == Some(2));
    assert!(escalated, "the demo has an escalated ticket");
    let items = all["items"].as_array().unwrap();
    let transferred = items
        .iter()
        .filter(|t| t["transfers"].as_i64() >= Some(1))
        .count();
    assert!(transferred >= 2, "an escalated and a handed-over ticket");
    let by_subject = |s: &str| {
        items
            .iter()
            .find(|t| t["subject"] == s)
            .unwrap_or_else(|| panic!("no demo ticket {s}"))["id"]
            .as_i64()
            .unwrap()
    };
    let (_, vpn) = app
        .get(
            &format!(
                "/api/v1/tickets/{}",
                by_subject("VPN disconnects every hour")
            ),
            &supervisor,
        )
        .await;
    assert_eq!(vpn["collaborators"].as_array().unwrap().len(), 1, "{vpn}");
    let (_, waiting) = app
        .get(
            &format!(
                "/api/v1/tickets/{}",
                by_subject("Replica lag on the reporting database")
            ),
            &supervisor,
        )
        .await;
    assert!(
        waiting["assignee"].is_null(),
        "waits for a skill nobody on shift has"
    );
    assert_eq!(waiting["routing"]["chosen"], serde_json::Value::Null);
    let (_, presence) = app.get("/api/v1/agents/presence", &supervisor).await;
    let presence = presence.as_array().unwrap();
    let states: Vec<&str> = presence
        .iter()
        .map(|p| p["presence"].as_str().unwrap())
        .collect();
    for state in ["available", "on_break", "at_lunch"] {
        assert!(states.contains(&state), "{state} missing from {states:?}");
    }
    assert!(
        presence.iter().any(|p| p["break_overdue"] == true),
        "someone is overdue a break"
    );
    assert!(presence.iter().all(|p| p["capacity"].as_i64() == Some(8)));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn analyze_reads_a_file_or_jsonl_and_answers_each_line() {
    let dir = tempfile::tempdir().unwrap();
    let draft = dir.path().join("draft.txt");
    std::fs::write(
        &draft,
        "Obviously you should have read the FAQ. As I already said, just reboot.",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_heard"))
        .args(["analyze", "tone", "--audience", "non-technical"])
        .arg(&draft)
        .output()
        .unwrap();
    assert!(out.status.success());
    let review: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"condescension") && review["score"].as_i64().unwrap() < 60,
        "{review}"
    );
    for f in review["findings"].as_array().unwrap() {
        let (s, e) = (
            f["start"].as_u64().unwrap() as usize,
            f["end"].as_u64().unwrap() as usize,
        );
        if e > s {
            assert_eq!(
                &std::fs::read_to_string(&draft).unwrap()[s..e],
                f["excerpt"].as_str().unwrap()
            );
        }
    }

    let lines = "{\"id\": 7, \"text\": \"I have asked THREE times!!! Still broken.\"}\nnot json\n{\"id\": \"b\", \"text\": \"Thanks, that worked.\"}\n";
    let mut child = Command::new(env!("CARGO_BIN_EXE_heard"))
        .args(["analyze", "frustration", "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "one bad line does not abort the run");
    let results: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["id"], 7);
    assert!(results[0]["score"].as_i64().unwrap() >= 50);
    assert!(results[1]["error"]["code"].is_string());
    assert_eq!(
        (results[2]["id"].as_str(), results[2]["level"].as_str()),
        (Some("b"), Some("calm"))
    );
}
