//! The knowledge base and self-service over HTTP (and the CLI): importing the sample sets,
//! suggestions in customers' words, visibility, version history, ticket search within
//! the caller's access, feedback, deflection, the gap report, drafts from tickets, and the
//! index following the database (outbox catch-up, reindex, drift check).

mod common;

use common::*;
use heard_services::Services;
use heard_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;

fn samples() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/kb");
    assert!(
        dir.is_dir(),
        "the sample knowledge bases are missing: expected them in {} (shared/data/kb beside the repository)",
        dir.display()
    );
    dir
}

async fn anon(app: &TestApp, path: &str) -> (StatusCode, Value) {
    app.call("GET", path, None, None).await
}

fn enc(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn article(w: &World, title: &str, body: &str, visibility: &str) -> Value {
    let (s, a) = w
        .app
        .post(
            "/api/v1/kb/articles",
            &w.agent_a.token,
            json!({"title": title, "body": body, "visibility": visibility,
                   "summary": format!("About {title}"), "tags": ["demo"], "category": "Help/General"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    a
}

fn slugs(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["slug"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_sample_sets_import_and_customers_find_articles_in_their_own_words() {
    let w = World::new().await;
    let dir = samples();
    let (ok, out, err) = w.app.cli(&["kb", "import", dir.to_str().unwrap()]);
    assert!(ok, "kb import failed: {err}");
    let summary: Value = serde_json::from_str(out.trim()).expect("JSON summary");
    let imported = summary["imported"].as_u64().unwrap();
    assert!(imported > 100, "only {imported} imported: {summary}");
    for s in summary["skipped"].as_array().unwrap() {
        assert!(!s["reason"].as_str().unwrap().is_empty(), "{s}");
    }
    // Importing again changes nothing.
    let (ok, out, _) = w.app.cli(&["kb", "import", dir.to_str().unwrap()]);
    assert!(ok);
    let again: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(again["imported"], 0, "{again}");
    assert_eq!(again["unchanged"].as_u64().unwrap(), imported);

    // Suggestions while typing, anonymous: the server's index catches up from the outbox.
    let (s, v) = anon(
        &w.app,
        &format!(
            "/api/v1/kb/suggest?q={}",
            enc("the wifi keeps cutting out every few minutes")
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let top = slugs(&v);
    assert!(
        top.iter()
            .take(3)
            .any(|s| s.contains("wireless") || s.contains("wifi")),
        "{top:?}"
    );
    assert!(v["contact"]["new_request_url"].is_string(), "{v}");
    // Full search: highlighted snippets, a count.
    let (s, v) = anon(
        &w.app,
        &format!("/api/v1/kb/search?q={}", enc("how do I change my password")),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["total"].as_u64().unwrap() >= 1);
    assert!(
        slugs(&v).iter().take(3).any(|s| s.contains("password")),
        "{v}"
    );
    assert!(
        v["hits"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>"),
        "{v}"
    );
    // Rendered, sanitised HTML of an imported article.
    let slug = slugs(&v)[0].clone();
    let (s, a) = anon(&w.app, &format!("/api/v1/kb/articles/{slug}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(a["body_html"].as_str().unwrap().contains("<p>"));
    assert!(!a["body_html"].as_str().unwrap().contains("<script"));
}

#[tokio::test]
async fn customers_and_visitors_see_public_articles_only() {
    let w = World::new().await;
    let public = article(
        &w,
        "Printer prints blank pages",
        "Check the toner cartridge.",
        "public",
    )
    .await;
    let internal = article(
        &w,
        "Printer fleet toner contract",
        "Internal: toner supplier details.",
        "internal",
    )
    .await;
    let draft = article(
        &w,
        "Printer toner draft",
        "Not ready: toner notes.",
        "draft",
    )
    .await;
    assert_eq!(public["slug"], "printer-prints-blank-pages");
    assert!(
        public["body_html"]
            .as_str()
            .unwrap()
            .contains("<p>Check the toner cartridge.</p>")
    );

    for token in [None, Some(w.c1.token.as_str())] {
        let (s, v) = w
            .app
            .call("GET", "/api/v1/kb/search?q=toner", token, None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["total"], 1, "{v}");
        assert_eq!(v["hits"][0]["id"], public["id"]);
        let (_, list) = w.app.call("GET", "/api/v1/kb/articles", token, None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        for hidden in [&internal, &draft] {
            for key in [
                hidden["id"].to_string(),
                hidden["slug"].as_str().unwrap().to_string(),
            ] {
                let (s, _) = w
                    .app
                    .call("GET", &format!("/api/v1/kb/articles/{key}"), token, None)
                    .await;
                assert_eq!(s, StatusCode::NOT_FOUND);
            }
        }
        let (s, _) = w
            .app
            .call("GET", "/api/v1/kb/suggest?q=printer%20ton", token, None)
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let (_, v) = w
        .app
        .get("/api/v1/kb/search?q=toner", &w.agent_b.token)
        .await;
    assert_eq!(v["total"], 3, "staff see internal articles and drafts: {v}");

    // Customers do not write articles; bad input names the field.
    let (s, _) = w
        .app
        .post(
            "/api/v1/kb/articles",
            &w.c1.token,
            json!({"title": "x", "body": "y"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for (body, field) in [
        (json!({"body": "y"}), "title"),
        (json!({"title": " ", "body": "y"}), "title"),
        (json!({"title": "x", "body": ""}), "body"),
        (
            json!({"title": "x", "body": "y", "visibility": "secret"}),
            "visibility",
        ),
        (
            json!({"title": "x", "body": "y", "slug": "Not A Slug"}),
            "slug",
        ),
        (
            json!({"title": "x", "body": "y", "slug": "printer-prints-blank-pages"}),
            "slug",
        ),
        (
            json!({"title": "x", "body": "y", "locale": "en_GB!"}),
            "locale",
        ),
        (
            json!({"title": "x", "body": "y", "colour": "red"}),
            "colour",
        ),
    ] {
        let (s, v) = w
            .app
            .post("/api/v1/kb/articles", &w.agent_a.token, body.clone())
            .await;
        assert!(s.is_client_error(), "{body} gave {s}");
        assert_eq!(v["error"]["field"], field, "{body}: {v}");
    }
    let (s, v) = anon(&w.app, "/api/v1/kb/search?q=").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["field"], "q");
    let (s, v) = anon(&w.app, "/api/v1/kb/search?q=x&limit=5000").await;
    assert!(s.is_client_error());
    assert_eq!(v["error"]["field"], "limit", "{v}");
    let (s, _) = w
        .app
        .call("GET", "/api/v1/kb/search?q=x", Some("not-a-token"), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn ticket_search_never_reaches_beyond_the_callers_access_not_even_in_counts() {
    let w = World::new().await;
    let mine = w.ticket_by(&w.c1, "Scanner jams on every page").await;
    let theirs = w.ticket_by(&w.c2, "Scanner jams again").await;
    let shared = w
        .ticket_by(&w.s1, "Scanner jams in the sharing office")
        .await;
    // An internal note only staff may find.
    let (s, _) = w
        .app
        .post(
            &format!("/api/v1/tickets/{mine}/messages"),
            &w.agent_a.token,
            json!({"body": "Rollerkit part number needed", "internal": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    let search = |token: String, q: &'static str| {
        let app = &w.app;
        async move {
            app.get(&format!("/api/v1/search?q={}", enc(q)), &token)
                .await
                .1
        }
    };
    let v = search(w.c1.token.clone(), "scanner jams").await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["hits"][0]["id"], mine);
    let v = search(w.c1.token.clone(), "rollerkit").await;
    assert_eq!(v["total"], 0, "customers never search internal notes: {v}");
    // The sharing organization's members see each other's tickets.
    let v = search(w.s2.token.clone(), "scanner").await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["hits"][0]["id"], shared);
    // Agents: their team's tickets; supervisors: everything.
    let v = search(w.agent_b.token.clone(), "scanner").await;
    assert_eq!(v["total"], 0, "{v}");
    let v = search(w.agent_a.token.clone(), "rollerkit").await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["hits"][0]["snippet_is_internal"], true);
    let v = search(w.supervisor.token.clone(), "scanner").await;
    assert_eq!(v["total"], 3, "{v}");
    let _ = theirs;
}

#[tokio::test]
async fn every_change_is_a_version_and_an_old_version_can_be_restored() {
    let w = World::new().await;
    let a = article(
        &w,
        "Connect to the office Wi-Fi",
        "Pick **Office** and sign in.",
        "public",
    )
    .await;
    let id = a["id"].as_i64().unwrap();
    let (s, v) = w
        .app
        .patch(
            &format!("/api/v1/kb/articles/{id}"),
            &w.agent_b.token,
            json!({"body": "Pick **Office-5G** and sign in.", "note": "new network name", "expected_version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    // A stale edit is refused.
    let (s, v) = w
        .app
        .patch(
            &format!("/api/v1/kb/articles/{id}"),
            &w.agent_a.token,
            json!({"title": "Old base", "expected_version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, h) = w
        .app
        .get(
            &format!("/api/v1/kb/articles/{id}/versions"),
            &w.agent_a.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let h = h.as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["version"], 2);
    assert_eq!(h[0]["note"], "new network name");
    assert_eq!(h[0]["changed_by"]["id"], w.agent_b.id);
    assert!(
        h[1]["body_markdown"]
            .as_str()
            .unwrap()
            .contains("**Office**")
    );
    // Customers cannot read the history.
    let (s, _) = w
        .app
        .get(&format!("/api/v1/kb/articles/{id}/versions"), &w.c1.token)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = w
        .app
        .post(
            &format!("/api/v1/kb/articles/{id}/versions/1/restore"),
            &w.agent_a.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 3);
    assert!(v["body_markdown"].as_str().unwrap().contains("**Office**"));
    let (s, _) = w
        .app
        .post(
            &format!("/api/v1/kb/articles/{id}/versions/9/restore"),
            &w.agent_a.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The index follows: the restored text is what search finds.
    let (_, v) = anon(&w.app, "/api/v1/kb/search?q=5g").await;
    assert_eq!(v["total"], 0, "{v}");
}

#[tokio::test]
async fn feedback_deflection_and_the_knowledge_gap_report() {
    let w = World::new().await;
    let a = article(
        &w,
        "Your computer stopped with a blue screen",
        "Restart, then update Windows.",
        "public",
    )
    .await;
    let id = a["id"].as_i64().unwrap();
    // Visit 1: suggestion shown, article opened, customer leaves: deflected.
    let (s, v) = w
        .app
        .get(
            &format!(
                "/api/v1/kb/suggest?q={}&session=visit-1",
                enc("my screen went all blue and rest")
            ),
            &w.c1.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["hits"][0]["id"], id, "{v}");
    let (s, _) = w
        .app
        .get(
            &format!(
                "/api/v1/kb/articles/{}?session=visit-1",
                a["slug"].as_str().unwrap()
            ),
            &w.c1.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = w
        .app
        .post(
            "/api/v1/kb/deflection",
            &w.c1.token,
            json!({"session": "visit-1", "event": "abandoned"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Visit 2: opened, then wrote a ticket anyway: counted against the article.
    let (s, _) = w
        .app
        .post(
            "/api/v1/kb/deflection",
            &w.c2.token,
            json!({"session": "visit-2", "event": "opened", "article_id": id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let t = w.ticket_by(&w.c2, "Blue screen again").await;
    let (s, _) = w
        .app
        .post(
            "/api/v1/kb/deflection",
            &w.c2.token,
            json!({"session": "visit-2", "event": "submitted", "ticket_id": t}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Someone else's ticket cannot be named.
    let (s, v) = w
        .app
        .post(
            "/api/v1/kb/deflection",
            &w.c1.token,
            json!({"session": "visit-3", "event": "submitted", "ticket_id": t}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["field"], "ticket_id");
    let (s, v) = w
        .app
        .post(
            "/api/v1/kb/deflection",
            &w.c1.token,
            json!({"session": "visit-3", "event": "bored"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["field"], "event");

    // Feedback, anonymous or signed in; "no" offers a person.
    let (s, v) = w
        .app
        .call(
            "POST",
            &format!("/api/v1/kb/articles/{id}/feedback"),
            None,
            Some(json!({"helpful": false, "comment": "my screen is green, not blue"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["contact"]["message"].is_string());
    let (_, v) = w
        .app
        .post(
            &format!("/api/v1/kb/articles/{id}/feedback"),
            &w.c1.token,
            json!({"helpful": true}),
        )
        .await;
    assert_eq!(v["feedback"]["helpful"], 1);
    assert_eq!(v["feedback"]["not_helpful"], 1);
    let (s, v) = w
        .app
        .post(
            &format!("/api/v1/kb/articles/{id}/feedback"),
            &w.c1.token,
            json!({"helpful": "maybe"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["field"], "helpful");

    // A search that finds nothing.
    let (_, v) = anon(
        &w.app,
        "/api/v1/kb/search?q=fax%20machine%20smoking&session=visit-4",
    )
    .await;
    assert_eq!(v["total"], 0);
    assert!(v["contact"]["new_request_url"].is_string());

    // Reports (staff only). Suggestions are recorded in the background: wait for them.
    let mut report = Value::Null;
    for _ in 0..50 {
        let (s, r) = w
            .app
            .get("/api/v1/kb/deflection", &w.supervisor.token)
            .await;
        assert_eq!(s, StatusCode::OK);
        report = r;
        if report["articles"][0]["shown"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(report["deflected"], 1, "{report}");
    assert_eq!(report["submitted"], 1, "{report}");
    let art = &report["articles"][0];
    assert_eq!(art["article_id"], id);
    assert_eq!(art["shown"], 1, "{report}");
    assert_eq!(art["opened"], 2);
    assert_eq!(art["deflected"], 1);
    assert_eq!(art["submitted_anyway"], 1);
    let (s, _) = w.app.get("/api/v1/kb/deflection", &w.c1.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Searches are logged in the background too: wait for the empty one to arrive.
    let found_nothing = |gaps: &Value| {
        gaps["queries"].as_array().is_some_and(|qs| {
            qs.iter()
                .any(|q| q["query"] == "fax machine smoking" && q["no_results"] == 1)
        })
    };
    let mut gaps = Value::Null;
    for _ in 0..50 {
        let (s, g) = w.app.get("/api/v1/kb/gaps", &w.agent_a.token).await;
        assert_eq!(s, StatusCode::OK);
        gaps = g;
        if found_nothing(&gaps) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found_nothing(&gaps), "{gaps}");
    assert_eq!(gaps["unhelpful_articles"][0]["article_id"], id);
    assert_eq!(
        gaps["unhelpful_articles"][0]["comments"][0],
        "my screen is green, not blue"
    );
    let (s, v) = w.app.get("/api/v1/kb/gaps?days=0", &w.agent_a.token).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["field"], "days");
}

#[tokio::test]
async fn a_resolved_ticket_becomes_a_draft_article_without_the_customers_details() {
    let w = World::new().await;
    let (s, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.c1.token,
            json!({"subject": "Outlook will not send",
                   "body": "Hi, this is c1@private.test, call me on +44 20 7946 0958. Messages sit in the Outbox."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_i64().unwrap();
    // Not resolved yet.
    let (s, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/draft-article"),
            &w.agent_a.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    w.app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &w.agent_a.token,
            json!({"body": "Outlook was in Work Offline mode: Send/Receive, then untick Work Offline."}),
        )
        .await;
    w.app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &w.agent_a.token,
            json!({"body": "customer account 99887766 flagged", "internal": true}),
        )
        .await;
    let (s, v) = w
        .app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            &w.agent_a.token,
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/draft-article"),
            &w.c1.token,
            json!({}),
        )
        .await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND);
    let (s, a) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/draft-article"),
            &w.agent_a.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["visibility"], "draft");
    let body = a["body_markdown"].as_str().unwrap();
    assert!(body.contains("Work Offline"), "{body}");
    assert!(body.contains("Outbox"), "{body}");
    for secret in ["c1@private.test", "7946", "99887766", "c1@"] {
        assert!(!body.contains(secret), "{secret} left in: {body}");
    }
    // A draft is invisible to customers.
    let (s, _) = w
        .app
        .get(&format!("/api/v1/kb/articles/{}", a["id"]), &w.c1.token)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_index_follows_the_database_across_processes_and_reports_drift() {
    let w = World::new().await;
    article(
        &w,
        "Headset crackles on calls",
        "Unplug and replug the headset.",
        "public",
    )
    .await;
    let t = w.ticket_by(&w.c1, "Headset crackle in meetings").await;

    // A second process (own index on disk) catches up from the outbox alone.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_url(&w.app.database_url).await.unwrap();
    let other = Services::new(store.clone()).with_search(
        heard_services::search_index::Search::open(&dir.path().join("index")).unwrap(),
    );
    other.search.sync(&store).await.unwrap();
    let found = other
        .search
        .index()
        .search_articles(
            "headset crackling",
            &heard_search::ArticleFilter::public(None),
            5,
        )
        .unwrap();
    assert_eq!(found.total, 1);
    // A write made after it started reaches it too (as from another `heard serve`).
    article(
        &w,
        "Headset microphone is muted",
        "Check the mute switch on the cable.",
        "public",
    )
    .await;
    assert!(other.search.sync(&store).await.unwrap() >= 1);
    let found = other
        .search
        .index()
        .search_articles("headset", &heard_search::ArticleFilter::public(None), 5)
        .unwrap();
    assert_eq!(found.total, 2);
    let drift = other.index_drift(None).await.unwrap();
    assert!(drift.in_sync, "{drift:?}");
    // "Crash" after the database commit, before the index took it in: reopening the index
    // from its folder replays the outbox from the persisted cursor.
    drop(other);
    let before = store.outbox_max().await.unwrap();
    let (s, _) = w
        .app
        .post(
            &format!("/api/v1/tickets/{t}/messages"),
            &w.c1.token,
            json!({"body": "Still crackling"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(store.outbox_max().await.unwrap() > before);
    let reopened = Services::new(store.clone()).with_search(
        heard_services::search_index::Search::open(&dir.path().join("index")).unwrap(),
    );
    assert_eq!(reopened.search.index().ticket_count(), 1);
    reopened.search.sync(&store).await.unwrap();
    let hits = reopened
        .search
        .index()
        .search_tickets("still crackling", &heard_search::TicketScope::Everything, 5)
        .unwrap();
    assert_eq!(hits.total, 1);
    assert!(reopened.index_drift(None).await.unwrap().in_sync);
    drop(reopened);

    // Over HTTP: the server's check and rebuild (supervisors and admins only).
    let (s, v) = w.app.get("/api/v1/search/index", &w.admin.token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["in_sync"], true, "{v}");
    let (s, v) = w
        .app
        .post("/api/v1/search/index", &w.supervisor.token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["articles"], 2);
    assert_eq!(v["tickets"], 1);
    let (s, _) = w.app.get("/api/v1/search/index", &w.agent_a.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The command line: rebuild into a data folder, then check it.
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap();
    let (ok, out, err) = w.app.cli(&["reindex", "--data-dir", data_dir]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["articles"], 2, "{v}");
    let (ok, out, err) = w.app.cli(&["reindex", "--check", "--data-dir", data_dir]);
    assert!(ok, "{out} {err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["in_sync"], true);
}
