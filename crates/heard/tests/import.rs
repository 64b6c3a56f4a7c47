//! `heard import` as a team moving to heard runs it. django-helpdesk itself (from PyPI, in
//! bench/peer's virtual environment) fills a database through its own models
//! (tests/import/django-helpdesk/make); the real binary imports it into a running heard,
//! and what arrived is read back through the API: counts against the source's own tables,
//! one conversation message by message, a private note that stays internal, statuses,
//! original times, the old number found by search, nothing sent or breached, and a second
//! run that changes nothing. A CSV file is brought in the same way.

mod common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A django-helpdesk database with `tickets` tickets in `dir` (helpdesk.sqlite3, media/).
fn django_helpdesk(dir: &Path, tickets: usize) -> Value {
    let out = Command::new(root().join("tests/import/django-helpdesk/make"))
        .arg(dir)
        .arg("--tickets")
        .arg(tickets.to_string())
        .output()
        .expect("tests/import/django-helpdesk/make runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "make failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

/// The JSON report: the last line of standard output.
fn report(out: &str) -> Value {
    serde_json::from_str(out.lines().last().expect("a report line"))
        .unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Counts in the django-helpdesk database itself (read with sqlx, like the importer, but
/// with the test's own SQL).
async fn source_count(db: &Path, sql: &str) -> i64 {
    use sqlx::Connection;
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}?mode=ro", db.display()))
        .await
        .unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
}

async fn source_exec(db: &Path, sql: &str) {
    use sqlx::Connection;
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut c).await.unwrap();
}

/// A new user with `role` on the desk, and an API token for them.
fn user_token(app: &TestApp, email: &str, role: &str) -> String {
    let (ok, _, err) = app.cli(&[
        "user", "create", "--email", email, "--name", "Someone", "--role", role,
    ]);
    assert!(ok, "{err}");
    token(app, email)
}

fn token(app: &TestApp, email: &str) -> String {
    let (ok, out, err) = app.cli(&["token", "create", "--email", email]);
    assert!(ok, "{err}");
    out.trim().to_string()
}

async fn find(app: &TestApp, token: &str, q: &str) -> Value {
    let (s, v) = app
        .get(&format!("/api/v1/search?q={}", q.replace(' ', "+")), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// The ticket that search finds first for its old number.
async fn by_reference(app: &TestApp, token: &str, reference: &str) -> Value {
    let found = find(app, token, reference).await;
    let id = found["hits"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{reference} not found: {found}"));
    let (s, t) = app.get(&format!("/api/v1/tickets/{id}"), token).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    t
}

#[tokio::test]
async fn a_django_helpdesk_desk_comes_over_whole_and_only_once() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let made = django_helpdesk(dir.path(), 30);
    assert_eq!(made["tickets"], 30, "{made}");
    let db = dir.path().join("helpdesk.sqlite3");
    let media = dir.path().join("media");

    // Someone on the desk already, with the address of one of the source's staff; and a
    // webhook subscribed to everything before the import.
    let admin = user_token(&app, "admin@heard.example", "admin");
    user_token(&app, "sam@desk.example", "agent");
    let (s, hook) = app
        .post(
            "/api/v1/webhooks",
            &admin,
            json!({"url": "http://127.0.0.1:9/hook", "event_types": [
                "ticket.created", "ticket.message_added", "ticket.note_added",
                "ticket.status_changed", "ticket.assigned", "ticket.promise_breached"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");

    let (ok, out, err) = app.cli(&[
        "import",
        "django-helpdesk",
        "--from",
        db.to_str().unwrap(),
        "--media-dir",
        media.to_str().unwrap(),
    ]);
    assert!(ok, "{err}\n{out}");
    assert!(err.contains("import: 30/30 tickets"), "{err}");
    let r = report(&out);
    assert!(out.contains("django-helpdesk: 30 tickets read"), "{out}");

    // Counts against the source's own tables. Ticket 6 has no submitter address.
    let tickets = source_count(&db, "SELECT COUNT(*) FROM helpdesk_ticket").await;
    let with_requester = source_count(
        &db,
        "SELECT COUNT(*) FROM helpdesk_ticket WHERE submitter_email <> ''",
    )
    .await;
    let followups = source_count(
        &db,
        "SELECT COUNT(*) FROM helpdesk_followup f JOIN helpdesk_ticket t ON t.id = f.ticket_id
         WHERE t.submitter_email <> '' AND TRIM(COALESCE(f.comment, '')) <> ''",
    )
    .await;
    let private = source_count(
        &db,
        "SELECT COUNT(*) FROM helpdesk_followup f JOIN helpdesk_ticket t ON t.id = f.ticket_id
         WHERE t.submitter_email <> '' AND TRIM(COALESCE(f.comment, '')) <> '' AND f.public = 0",
    )
    .await;
    assert!(
        private >= 2,
        "the fixture has private follow-ups: {private}"
    );
    assert_eq!(r["tickets_read"], tickets, "{r}");
    assert_eq!(r["tickets_created"], with_requester, "{r}");
    assert_eq!(r["tickets_skipped"], tickets - with_requester, "{r}");
    assert_eq!(r["skipped"]["no_requester"], 1, "{r}");
    // Descriptions are the first messages; follow-ups with text the rest.
    assert_eq!(r["messages"], with_requester + followups, "{r}");
    assert_eq!(r["internal_notes"], private, "{r}");
    assert_eq!(r["attachments"], 1, "{r}");
    // The staff member without an address is reported, and the ticket assigned to them
    // left unassigned; the status-only follow-up is left out and said so.
    assert_eq!(r["skipped"]["no_email"], 1, "{r}");
    assert_eq!(r["skipped"]["assignee_unknown"], 1, "{r}");
    assert!(r["skipped"]["no_text"].as_u64().unwrap() >= 1, "{r}");
    // Sam already had an account: matched by address, not created twice.
    assert_eq!(r["merged"]["person"], 1, "{r}");
    assert_eq!(r["created"]["team"], 2, "{r}");

    // The first ticket, found by its old number, message by message.
    let t = by_reference(&app, &admin, "DH-1").await;
    assert_eq!(t["subject"], "Printer prints blank pages", "{t}");
    assert_eq!(t["status"], "open");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["requester"]["email"], "carol@customer.example");
    assert_eq!(t["assignee"]["name"], "Alex Agent");
    assert_eq!(t["team"]["name"], "Support");
    assert_eq!(t["created_at"], "2026-03-02T09:00:00Z", "{t}");
    let conversation: Vec<(String, String, String)> = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_string(),
                m["author"]["name"].as_str().unwrap().to_string(),
                m["created_at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |k: &str, a: &str, at: &str| (k.to_string(), a.to_string(), at.to_string());
    assert_eq!(
        conversation,
        [
            expect("public", "Carol Customer", "2026-03-02T09:00:00Z"),
            expect("public", "Alex Agent", "2026-03-02T10:00:00Z"),
            expect("internal", "Alex Agent", "2026-03-02T11:00:00Z"),
            expect("public", "Carol Customer", "2026-03-02T12:00:00Z"),
        ],
        "{t}"
    );
    assert_eq!(
        t["messages"][2]["body_text"],
        "Toner order placed with the vendor."
    );
    assert_eq!(t["attachments"][0]["file_name"], "scan.txt", "{t}");
    // Its clocks start at the import: something is due, nothing is overdue.
    let due = t["due_at"].as_str().expect("an open ticket has a due time");
    let due: jiff::Timestamp = due.parse().unwrap();
    assert!(due > jiff::Timestamp::now(), "{t}");

    // The customer (who had an account there) sees her ticket, without the private note,
    // and finds it by its old number too.
    let carol = token(&app, "carol@customer.example");
    let (s, mine) = app
        .get(&format!("/api/v1/tickets/{}", t["id"]), &carol)
        .await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    let kinds: Vec<&str> = mine["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["public", "public", "public"], "{mine}");
    assert!(!mine.to_string().contains("Toner order"), "{mine}");
    assert_eq!(find(&app, &carol, "DH-1").await["hits"][0]["id"], t["id"]);
    assert_eq!(find(&app, &carol, "toner").await["total"], 0);

    // Statuses as they were.
    for (reference, status) in [
        ("DH-2", "closed"),
        ("DH-3", "resolved"),
        ("DH-4", "closed"),
        ("DH-5", "pending_third_party"),
    ] {
        let t = by_reference(&app, &admin, reference).await;
        assert_eq!(t["status"], status, "{reference}: {t}");
        if status == "closed" {
            assert!(t["due_at"].is_null(), "a closed ticket owes nothing: {t}");
        }
    }
    assert_eq!(
        by_reference(&app, &admin, "DH-4").await["tags"],
        json!(["duplicate"])
    );
    assert!(by_reference(&app, &admin, "DH-7").await["assignee"].is_null());
    let none = find(&app, &admin, "DH-6").await;
    assert!(
        !none.to_string().contains("No address on this one"),
        "a skipped ticket is not there: {none}"
    );
    // The old number alone finds it too.
    assert_eq!(find(&app, &admin, "1").await["hits"][0]["id"], t["id"]);

    // Nothing was sent, queued or breached for history.
    assert_eq!(app.services.queue_webhook_deliveries().await.unwrap(), 0);
    assert_eq!(app.services.run_due_alerts().await.unwrap(), 0);
    assert!(app.store.recent_mail(10).await.unwrap().is_empty());

    // Again: nothing new.
    let highest = app.store.seed_ids().await.unwrap();
    let (ok, out, err) = app.cli(&[
        "import",
        "django-helpdesk",
        "--from",
        &format!("sqlite:{}", db.display()),
        "--media-dir",
        media.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let again = report(&out);
    assert_eq!(again["tickets_created"], 0, "{again}");
    assert_eq!(again["tickets_updated"], 0, "{again}");
    assert_eq!(again["tickets_unchanged"], with_requester, "{again}");
    assert_eq!(again["messages"], 0, "{again}");
    let after = app.store.seed_ids().await.unwrap();
    assert_eq!(
        (after.ticket, after.message, after.user),
        (highest.ticket, highest.message, highest.user)
    );

    // The source moves on (a reply on a closed ticket reopens it there): the next run
    // brings exactly that over.
    source_exec(
        &db,
        "INSERT INTO helpdesk_followup (date, title, comment, public, ticket_id, user_id)
         VALUES ('2026-04-01 08:00:00', 'E-Mail Received', 'It is back, sorry!', 1, 2, NULL)",
    )
    .await;
    source_exec(&db, "UPDATE helpdesk_ticket SET status = 2 WHERE id = 2").await;
    let (ok, out, err) = app.cli(&["import", "django-helpdesk", "--from", db.to_str().unwrap()]);
    assert!(ok, "{err}");
    let moved = report(&out);
    assert_eq!(moved["tickets_updated"], 1, "{moved}");
    assert_eq!(moved["messages"], 1, "{moved}");
    let t = by_reference(&app, &admin, "DH-2").await;
    assert_eq!(t["status"], "open", "{t}");
    assert_eq!(
        t["messages"].as_array().unwrap().last().unwrap()["body_text"],
        "It is back, sorry!"
    );
    let due: jiff::Timestamp = t["due_at"].as_str().unwrap().parse().unwrap();
    assert!(due > jiff::Timestamp::now(), "{t}");
    assert_eq!(app.services.queue_webhook_deliveries().await.unwrap(), 0);
}

#[tokio::test]
async fn an_import_killed_halfway_carries_on_without_doubling() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    django_helpdesk(dir.path(), 450);
    let db = dir.path().join("helpdesk.sqlite3");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_heard"))
        .args(["import", "django-helpdesk", "--from", db.to_str().unwrap()])
        .env("HEARD_DATABASE_URL", &app.database_url)
        .env("HEARD_DATA_DIR", app.data_dir.path())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Killed (no chance to clean up) once its first batch is committed.
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let first = lines.next().expect("a progress line").unwrap();
    assert!(first.starts_with("import: 200/450"), "{first}");
    child.kill().unwrap();
    child.wait().unwrap();
    // The first batch (one of its 200 has no submitter address), perhaps the second.
    let partial = app.store.ticket_versions_all().await.unwrap().len() as i64;
    assert!((199..450).contains(&partial), "{partial}");

    let (ok, out, err) = app.cli(&["import", "django-helpdesk", "--from", db.to_str().unwrap()]);
    assert!(ok, "{err}");
    let r = report(&out);
    assert!(r["resumed_after"].is_i64(), "{r}");
    let with_requester = source_count(
        &db,
        "SELECT COUNT(*) FROM helpdesk_ticket WHERE submitter_email <> ''",
    )
    .await;
    assert_eq!(
        r["tickets_created"].as_i64().unwrap() + r["tickets_unchanged"].as_i64().unwrap(),
        with_requester,
        "{r}"
    );
    assert_eq!(r["tickets_unchanged"].as_i64().unwrap(), partial, "{r}");
    // Every ticket once.
    assert_eq!(
        app.store.ticket_versions_all().await.unwrap().len() as i64,
        with_requester
    );
}

#[tokio::test]
async fn a_csv_file_comes_over_with_its_notes_and_says_what_it_left_out() {
    let app = TestApp::spawn().await;
    let file = root().join("tests/import/csv/tickets.csv");
    let (ok, out, err) = app.cli(&["import", "csv", file.to_str().unwrap()]);
    assert!(ok, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["tickets_read"], 4, "{r}");
    assert_eq!(r["tickets_created"], 3, "{r}");
    assert_eq!(r["skipped"]["no_requester"], 1, "{r}");
    assert_eq!(r["messages"], 6, "{r}");
    assert_eq!(r["internal_notes"], 1, "{r}");
    assert_eq!(r["created"]["organization"], 1, "{r}");

    let sup = user_token(&app, "sup@heard.example", "supervisor");
    let t = by_reference(&app, &sup, "CSV-1001").await;
    assert_eq!(t["subject"], "VPN drops every few minutes", "{t}");
    assert_eq!(t["status"], "resolved");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["tags"], json!(["remote", "vpn"]));
    assert_eq!(t["team"]["name"], "Network");
    assert_eq!(t["assignee"]["name"], "Sam Support");
    assert_eq!(t["created_at"], "2026-01-12T08:30:00Z");
    assert!(t["organization_id"].is_i64(), "{t}");
    let kinds: Vec<&str> = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["public", "internal", "public"], "{t}");
    assert_eq!(
        t["messages"][1]["body_text"],
        "Gateway idle timeout is too low."
    );
    assert!(t["due_at"].is_null(), "resolved: {t}");
    let open = by_reference(&app, &sup, "CSV-1002").await;
    assert_eq!(open["status"], "open", "{open}");
    assert!(open["due_at"].is_string(), "{open}");
    // The multi-line body survives the quoting.
    assert!(
        open["messages"][0]["body_text"]
            .as_str()
            .unwrap()
            .contains("line two"),
        "{open}"
    );

    let (ok, out, err) = app.cli(&["import", "csv", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    let again = report(&out);
    assert_eq!(again["tickets_unchanged"], 3, "{again}");
    assert_eq!(again["tickets_created"], 0, "{again}");

    // A file without the columns it needs is refused, naming them.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "id,title\n1,x\n").unwrap();
    let (ok, _, err) = app.cli(&["import", "csv", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("ticket_id"), "{err}");
}

#[tokio::test]
async fn a_zendesk_export_comes_over_with_private_comments_and_attachments() {
    let app = TestApp::spawn().await;
    let dir = root().join("tests/import/zendesk");
    let (ok, out, err) = app.cli(&["import", "zendesk", dir.to_str().unwrap()]);
    assert!(ok, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["tickets_read"], 3, "{r}");
    assert_eq!(r["tickets_created"], 2, "{r}");
    assert_eq!(r["skipped"]["no_requester"], 1, "{r}");
    assert_eq!(r["skipped"]["no_email"], 1, "{r}");
    assert_eq!(r["messages"], 5, "{r}");
    assert_eq!(r["internal_notes"], 1, "{r}");
    assert_eq!(r["attachments"], 1, "{r}");
    assert_eq!(r["created"]["organization"], 1, "{r}");
    assert_eq!(r["created"]["team"], 2, "{r}");

    let sup = user_token(&app, "sup@heard.example", "supervisor");
    let t = by_reference(&app, &sup, "ZD-4101").await;
    assert_eq!(t["subject"], "Export to CSV stops halfway", "{t}");
    assert_eq!(
        (t["status"].as_str(), t["priority"].as_str()),
        (Some("open"), Some("high"))
    );
    assert_eq!(t["tags"], json!(["export", "reporting"]));
    assert_eq!(t["team"]["name"], "Reporting");
    assert_eq!(t["assignee"]["name"], "Robin Reports");
    assert_eq!(t["requester"]["email"], "noor@globex.test");
    assert!(t["organization_id"].is_i64(), "{t}");
    assert_eq!(t["created_at"], "2026-02-16T09:15:00Z");
    let kinds: Vec<&str> = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["public", "internal", "public"], "{t}");
    assert_eq!(t["attachments"][0]["file_name"], "error.txt", "{t}");
    let solved = by_reference(&app, &sup, "ZD-4102").await;
    assert_eq!(solved["status"], "resolved", "{solved}");
    assert_eq!(solved["priority"], "normal");

    // The customer sees the public part only.
    let noor = token(&app, "noor@globex.test");
    let (s, mine) = app
        .get(&format!("/api/v1/tickets/{}", t["id"]), &noor)
        .await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert_eq!(mine["messages"].as_array().unwrap().len(), 2, "{mine}");
    assert!(!mine.to_string().contains("row limit"), "{mine}");

    let (ok, out, err) = app.cli(&["import", "zendesk", dir.to_str().unwrap()]);
    assert!(ok, "{err}");
    let again = report(&out);
    assert_eq!(again["tickets_unchanged"], 2, "{again}");
    assert_eq!(again["messages"], 0, "{again}");
}
