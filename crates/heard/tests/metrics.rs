//! `/metrics` (Prometheus text format) on the metrics listener and, for admins, on the
//! main address; request ids on every response.

mod common;

use common::{World, backend};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeMap;

/// The samples of an exposition: `name{labels}` → value.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("a sample is `series value`");
            (series.to_string(), value.parse().expect("a number"))
        })
        .collect()
}

async fn scrape(url: &str) -> (String, BTreeMap<String, f64>) {
    let res = reqwest::get(url).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.unwrap();
    let parsed = samples(&text);
    (text, parsed)
}

#[tokio::test]
async fn requests_pools_writer_and_tickets_are_measured() {
    let w = World::new().await;
    let app = &w.app;
    let first = w.ticket_by(&w.c1, "Printer offline").await;
    let second = w.ticket_by(&w.c1, "VPN drops").await;
    w.ticket_by(&w.c2, "Mail bounces").await;
    let (status, _) = app
        .patch(
            &format!("/api/v1/tickets/{second}"),
            &w.agent_a.token,
            json!({"status": "pending_customer"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..3 {
        let (status, _) = app
            .get(&format!("/api/v1/tickets/{first}"), &w.c1.token)
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = app.get("/api/v1/tickets/987654", &w.c1.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (text, m) = scrape(&format!("{}/metrics", app.metrics_base)).await;
    let get_one = "method=\"GET\",route=\"/api/v1/tickets/{id}\"";
    assert_eq!(
        m[&format!("heard_http_requests_total{{{get_one},status=\"200\"}}")],
        3.0,
        "{text}"
    );
    assert_eq!(
        m[&format!("heard_http_requests_total{{{get_one},status=\"404\"}}")],
        1.0
    );
    assert_eq!(
        m["heard_http_requests_total{method=\"POST\",route=\"/api/v1/tickets\",status=\"201\"}"],
        3.0
    );
    // Routes are templates: no raw path with an id becomes a label.
    assert!(!text.contains(&format!("/api/v1/tickets/{first}\"")));
    assert!(!text.contains("987654"));
    // The latency histogram: cumulative buckets ending in +Inf = count.
    let bucket = |le: &str| {
        m[&format!(
            "heard_http_request_duration_seconds_bucket{{{get_one},status=\"200\",le=\"{le}\"}}"
        )]
    };
    assert_eq!(bucket("+Inf"), 3.0);
    assert!(bucket("0.001") <= bucket("0.1") && bucket("0.1") <= bucket("+Inf"));
    assert_eq!(
        m[&format!("heard_http_request_duration_seconds_count{{{get_one},status=\"200\"}}")],
        3.0
    );

    // Open tickets by status match the tickets as the API lists them.
    let (_, all) = app.get("/api/v1/tickets?limit=200", &w.admin.token).await;
    let mut expected: BTreeMap<String, f64> = BTreeMap::new();
    for t in all["items"].as_array().unwrap() {
        *expected
            .entry(t["status"].as_str().unwrap().to_string())
            .or_default() += 1.0;
    }
    assert_eq!(expected.get("pending_customer"), Some(&1.0));
    for status in ["new", "open", "pending_customer", "pending_third_party"] {
        assert_eq!(
            m[&format!("heard_open_tickets{{status=\"{status}\"}}")],
            expected.get(status).copied().unwrap_or(0.0),
            "{status}: {text}"
        );
    }

    // The pools, per backend.
    let pools: &[&str] = if backend() == "sqlite" {
        &["writer", "reader"]
    } else {
        &["main"]
    };
    for pool in pools {
        for name in [
            "heard_db_pool_connections",
            "heard_db_pool_idle_connections",
            "heard_db_pool_in_use_connections",
            "heard_db_pool_max_connections",
        ] {
            assert!(
                m.contains_key(&format!("{name}{{pool=\"{pool}\"}}")),
                "{name} {pool}: {text}"
            );
        }
        assert!(m[&format!("heard_db_pool_max_connections{{pool=\"{pool}\"}}")] >= 1.0);
    }
    // SQLite's group-commit writer took the three openings and the status change.
    if backend() == "sqlite" {
        assert_eq!(m["heard_writer_queue_depth"], 0.0);
        assert!(m["heard_writer_batch_size_sum"] >= 4.0, "{text}");
        assert!(m["heard_writer_batch_size_count"] >= 1.0);
        assert_eq!(
            m["heard_writer_batch_size_bucket{le=\"+Inf\"}"],
            m["heard_writer_batch_size_count"]
        );
    } else {
        assert!(!text.contains("heard_writer_queue_depth"));
    }
    for outbox in ["mail", "search_index", "webhooks"] {
        assert!(
            m.contains_key(&format!("heard_outbox_backlog{{outbox=\"{outbox}\"}}")),
            "{text}"
        );
    }
    for state in ["lapsed", "at_risk"] {
        assert!(m.contains_key(&format!("heard_promises{{state=\"{state}\"}}")));
    }
}

#[tokio::test]
async fn the_main_address_shows_metrics_to_admins_only() {
    let w = World::new().await;
    let app = &w.app;
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(&w.admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(text.contains("# TYPE heard_http_requests_total counter"));
    assert!(text.contains("heard_open_tickets{status=\"new\"}"));
    for who in [&w.supervisor, &w.agent_a, &w.c1] {
        let res = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth(&who.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", who.email);
    }
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let w = World::new().await;
    let app = &w.app;
    // Taken from the request when it brings one…
    let res = app
        .client
        .get(app.url("/api/v1/tickets"))
        .bearer_auth(&w.c1.token)
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-request-id"], "trace-me-42");
    // …made up otherwise, a new one each time, on pages, errors and unknown routes too.
    let mut seen = Vec::new();
    for path in [
        "/healthz",
        "/healthz",
        "/signin",
        "/api/v1/nowhere",
        "/nowhere",
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
        assert!(id.len() >= 16, "{path}: {id}");
        assert!(!seen.contains(&id));
        seen.push(id);
    }
}

/// The unmatched requests are counted under one label, whatever their path.
#[tokio::test]
async fn unknown_paths_share_one_label() {
    let w = World::new().await;
    let app = &w.app;
    for i in 0..3 {
        let res = app
            .client
            .get(app.url(&format!("/api/v1/no-such-thing/{i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let (text, _) = scrape(&format!("{}/metrics", app.metrics_base)).await;
    assert!(!text.contains("no-such-thing"), "{text}");
    assert!(text.contains("route=\"unmatched\""), "{text}");
}

/// The real binary: `HEARD_METRICS_LISTEN` (as `--metrics-listen`) opens the metrics
/// address, which answers `/metrics` and nothing else.
#[tokio::test]
async fn heard_serve_opens_the_metrics_address() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let app = common::TestApp::spawn().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_heard"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("HEARD_METRICS_LISTEN", "127.0.0.1:0")
        .env("HEARD_DATABASE_URL", &app.database_url)
        .env("HEARD_DATA_DIR", app.data_dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok);
    let metrics = lines.find_map(|l| Some(l.strip_prefix("heard metrics on ")?.trim().to_string()));
    let base = lines.find_map(|l| Some(l.strip_prefix("heard listening on ")?.trim().to_string()));
    let (Some(metrics), Some(base)) = (metrics, base) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("heard serve printed no metrics or listening line");
    };
    let res = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, m) = scrape(&metrics).await;
    let healthz =
        m.get("heard_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}");
    let other = reqwest::get(metrics.replace("/metrics", "/api/v1/tickets"))
        .await
        .unwrap()
        .status();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(healthz, Some(&1.0));
    assert_eq!(other, StatusCode::NOT_FOUND);
}
