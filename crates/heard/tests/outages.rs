//! When the storage fails under it, heard answers `503 storage_unavailable` with a
//! `Retry-After` (never a 500, never a half-written record), keeps every ticket it
//! acknowledged, and works again by itself once the cause is gone:
//!
//! - SQLite on a full disk: the data folder is a small tmpfs the test mounts (it runs as
//!   root, as CI does) and fills with a file; removing the file frees the space.
//! - PostgreSQL refusing and dropping connections, as during a restart: the test's own
//!   database is set to `ALLOW_CONNECTIONS false` and its connections are ended with
//!   `pg_terminate_backend` (the machine's shared server keeps running), then allowed again.

mod common;

use common::*;
use heard_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A ticket create through the API: its status, body and `Retry-After`.
async fn create(app: &TestApp, token: &str, subject: &str) -> (StatusCode, Value, Option<String>) {
    let res = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(token)
        .json(&json!({"subject": subject, "body": "It stopped working this morning."}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body, retry)
}

/// What `/healthz` (the balancer's check) answers.
async fn health(app: &TestApp) -> StatusCode {
    app.client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .status()
}

/// An answer while the storage is away: 503 with the code and a `Retry-After`.
fn assert_unavailable(status: StatusCode, body: &Value, retry: &Option<String>) {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "storage_unavailable", "{body}");
    assert!(retry.is_some(), "a 503 without Retry-After");
}

/// Every acknowledged ticket is there with its subject.
async fn assert_all_there(w: &World, acked: &[(i64, String)]) {
    for (id, subject) in acked {
        let (status, t) = w
            .app
            .get(&format!("/api/v1/tickets/{id}"), &w.supervisor.token)
            .await;
        assert_eq!(status, StatusCode::OK, "acknowledged ticket {id} is gone");
        assert_eq!(t["subject"], subject.as_str());
    }
}

/// Creates until one is acknowledged again (the cause is gone), within 30 s.
async fn until_created(w: &World, acked: &mut Vec<(i64, String)>) {
    let start = Instant::now();
    loop {
        let subject = format!("After the outage {}", acked.len());
        let (status, body, _) = create(&w.app, &w.c1.token, &subject).await;
        if status == StatusCode::CREATED {
            acked.push((body["id"].as_i64().unwrap(), subject));
            return;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "heard did not recover by itself: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A tmpfs of `mb` megabytes mounted for the test; unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(mb: u32) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cannot mount a tmpfs for the full-disk test (it needs root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Writes zeros to `file` until the filesystem is full.
fn fill(file: &Path) {
    let mut f = std::fs::File::create(file).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while f.write_all(&chunk).is_ok() {}
    // The last partial chunk: fill byte by byte what is left.
    while f.write_all(&[0]).is_ok() {}
    let _ = f.sync_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_keeps_what_was_acknowledged_and_recovers() {
    if backend() != "sqlite" {
        eprintln!("outages: the full-disk case is SQLite's (PostgreSQL's disk is its own)");
        return;
    }
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let disk = Tmpfs::mount(24);
    let path: PathBuf = disk.path().join("heard.sqlite");
    let store = Store::open_sqlite(&path).await.unwrap();
    let app = TestApp::spawn_over(store, format!("sqlite:{}", path.display())).await;
    let w = World::on(app).await;
    let mut acked = Vec::new();
    for n in 0..5 {
        let subject = format!("Before the disk filled {n}");
        acked.push((w.ticket_by(&w.c1, &subject).await, subject));
    }

    let filler = disk.path().join("filler");
    fill(&filler);
    // The write-ahead log may still have room for a few commits; keep writing until
    // the disk refuses one, as it must.
    let mut refused = 0;
    for n in 0..2_000 {
        let subject = format!("While the disk is full {n}");
        let (status, body, retry) = create(&w.app, &w.c1.token, &subject).await;
        if status == StatusCode::CREATED {
            acked.push((body["id"].as_i64().unwrap(), subject));
            continue;
        }
        assert_unavailable(status, &body, &retry);
        refused += 1;
        if refused == 3 {
            break;
        }
    }
    assert_eq!(refused, 3, "the full disk never refused a write");
    // Reading still works, and the health check (a read) still answers.
    let (status, _) = w
        .app
        .get(
            &format!("/api/v1/tickets/{}", acked[0].0),
            &w.supervisor.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    std::fs::remove_file(&filler).unwrap();
    until_created(&w, &mut acked).await;
    assert_all_there(&w, &acked).await;
    w.app.store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refusing_and_dropping_connections_answers_503_then_recovers() {
    if backend() != "postgres" {
        eprintln!("outages: the connection case is PostgreSQL's");
        return;
    }
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let w = World::new().await;
    let mut acked = Vec::new();
    for n in 0..5 {
        let subject = format!("Before the restart {n}");
        acked.push((w.ticket_by(&w.c1, &subject).await, subject));
    }
    let agent = common::pages::browser(&w.app, &w.agent_a).await;
    let name = w
        .app
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let admin = {
        use sqlx::Connection;
        let url = std::env::var("HEARD_TEST_DATABASE_URL").unwrap();
        sqlx::PgConnection::connect(&url).await.unwrap()
    };
    let admin = tokio::sync::Mutex::new(admin);
    let run = |sql: String| {
        let admin = &admin;
        async move {
            sqlx::query(&sql)
                .execute(&mut *admin.lock().await)
                .await
                .unwrap();
        }
    };
    // What a restart does to heard: every connection dropped, new ones refused.
    run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    run(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .await;

    for n in 0..3 {
        let (status, body, retry) =
            create(&w.app, &w.c1.token, &format!("During the restart {n}")).await;
        assert_unavailable(status, &body, &retry);
    }
    assert_eq!(health(&w.app).await, StatusCode::SERVICE_UNAVAILABLE);
    // A page answers the same way, as a page.
    let (status, page) = agent.page("/agent").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{page}");
    assert!(page.contains("try again in a moment"), "{page}");

    run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    until_created(&w, &mut acked).await;
    assert_all_there(&w, &acked).await;
    assert_eq!(health(&w.app).await, StatusCode::OK);
}
