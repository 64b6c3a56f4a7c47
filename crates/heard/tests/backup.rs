//! `heard backup` while the server takes writes, and `heard restore` of what it wrote: every
//! ticket acknowledged before the backup began is in the restored database, with its
//! attachment. PostgreSQL is backed up with pg_dump, and the command says so.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn heard(app: &TestApp, args: &[&str], data_dir: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_heard"))
        .args(args)
        .env("HEARD_DATABASE_URL", &app.database_url)
        .env("HEARD_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn a_backup_taken_under_write_load_restores_every_acknowledged_ticket() {
    let w = World::new().await;
    let app = &w.app;
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("desk.backup");
    if backend() == "postgres" {
        let (ok, text) = heard(
            app,
            &["backup", "--to", backup.to_str().unwrap()],
            dir.path(),
        );
        assert!(!ok && text.contains("pg_dump"), "{text}");
        return;
    }
    let first = w.ticket_by(&w.c1, "Before the backup").await;
    let res = app
        .client
        .post(app.url(&format!(
            "/api/v1/tickets/{first}/attachments?file_name=screen.png"
        )))
        .bearer_auth(&w.c1.token)
        .header("content-type", "image/png")
        .body(vec![7u8; 5000])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let attachment = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();

    // Four writers open tickets as fast as the server acknowledges them.
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for n in 0..4 {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/tickets"),
            w.c2.token.clone(),
        );
        let (stop, acknowledged) = (stop.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let res = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"subject": format!("Writer {n}, ticket {i}"), "body": "Under load."}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::CREATED);
                let id = res.json::<serde_json::Value>().await.unwrap()["id"]
                    .as_i64()
                    .unwrap();
                acknowledged.lock().unwrap().push(id);
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let before: Vec<i64> = acknowledged.lock().unwrap().clone();
    let (ok, text) = {
        let (app_url, data_dir) = (app.database_url.clone(), app.data_dir.path().to_path_buf());
        let to = backup.clone();
        tokio::task::spawn_blocking(move || {
            let out = Command::new(env!("CARGO_BIN_EXE_heard"))
                .args(["backup", "--to", to.to_str().unwrap()])
                .env("HEARD_DATABASE_URL", app_url)
                .env("HEARD_DATA_DIR", data_dir)
                .env("RUST_LOG", "warn")
                .output()
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stderr).to_string(),
            )
        })
        .await
        .unwrap()
    };
    assert!(ok, "{text}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }
    let all: Vec<i64> = acknowledged.lock().unwrap().clone();
    assert!(all.len() > before.len(), "writes went on during the backup");
    assert!(!before.is_empty(), "writes were acknowledged before it");

    // Restore into a new data folder and serve it.
    let restored_dir = tempfile::tempdir().unwrap();
    let restore = |force: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_heard"));
        cmd.args(["restore", backup.to_str().unwrap()])
            .env_remove("HEARD_DATABASE_URL")
            .env("HEARD_DATA_DIR", restored_dir.path())
            .env("RUST_LOG", "warn");
        if force {
            cmd.arg("--force");
        }
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, text) = restore(false);
    assert!(ok, "{text}");
    let (ok, text) = restore(false);
    assert!(
        !ok && text.contains("--force"),
        "an existing database is kept: {text}"
    );
    let (ok, text) = restore(true);
    assert!(ok, "{text}");
    assert!(
        restored_dir
            .path()
            .join("heard.sqlite.before-restore")
            .exists()
    );

    let store = heard_store::Store::open_data_dir(restored_dir.path())
        .await
        .unwrap();
    let services = heard_services::Services::new(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(heard::serve(listener, services, std::future::pending()));
    let client = reqwest::Client::new();
    let mut missing = Vec::new();
    for id in std::iter::once(first).chain(before.iter().copied()) {
        let res = client
            .get(format!("{base}/api/v1/tickets/{id}"))
            .bearer_auth(&w.supervisor.token)
            .send()
            .await
            .unwrap();
        if res.status() != StatusCode::OK {
            missing.push(id);
        }
    }
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, missing after restore: {missing:?}"
    );
    let res = client
        .get(format!("{base}/api/v1/attachments/{attachment}"))
        .bearer_auth(&w.c1.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), vec![7u8; 5000]);
    // Nothing in the copy that was never acknowledged: every ticket is one a writer got
    // a 201 for, or the first.
    let res = client
        .get(format!("{base}/api/v1/tickets?limit=200"))
        .bearer_auth(&w.supervisor.token)
        .send()
        .await
        .unwrap();
    let page: serde_json::Value = res.json().await.unwrap();
    for t in page["items"].as_array().unwrap() {
        let id = t["id"].as_i64().unwrap();
        assert!(
            id == first || all.contains(&id),
            "ticket {id} was never acknowledged"
        );
    }
}
