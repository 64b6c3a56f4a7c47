//! `/metrics` in the Prometheus text exposition format (version 0.0.4), and the layers
//! that feed and trace every request: a request id (`x-request-id`, taken from the
//! request or made up, echoed in the response), a `request` span carrying it that the
//! use case's and the store's spans nest in, and a counter with a latency histogram per
//! method, route template and status.
//!
//! The registry is hand-written (a map behind a mutex in `heard-services`) rather than
//! the `metrics` crates: heard has a dozen series, a fixed bucket set and one exporter,
//! and the text format is a few lines to write.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Auth;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use heard_services::telemetry::{LATENCY_BUCKETS, PoolStats};
use heard_services::{ErrorCode, Services};
use std::fmt::Write;
use std::time::Instant;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Adds request ids, the request span and the request metrics to every route of `app`.
/// They run after routing (layers of a `Router` wrap each route), so the matched route
/// template is known.
pub fn observe(app: Router, services: Services) -> Router {
    app.layer(axum::middleware::from_fn_with_state(services, count))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(|m| route_label(m.as_str()))
                        .unwrap_or("unmatched");
                    tracing::info_span!("request", id, method = %req.method(), route)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// A route template as a label; the catch-all of a nested router's fallback is not a route.
fn route_label(path: &str) -> &str {
    if path.contains("__private__") {
        "unmatched"
    } else {
        path
    }
}

async fn count(State(services): State<Services>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| route_label(m.as_str()).to_string());
    let response = next.run(req).await;
    services.telemetry().observe_request(
        method.as_str(),
        route.as_deref().unwrap_or("unmatched"),
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The router a `--metrics-listen` address serves: `GET /metrics` for anyone who can
/// reach that address (keep it on a private interface).
pub fn metrics_router(services: Services) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .with_state(services)
}

async fn scrape(State(services): State<Services>) -> Response {
    exposition(&services).await
}

/// `GET /metrics` on the main address: admins only; anyone else is told there is no
/// such route, as for anything they may not see.
pub async fn admin_metrics(
    State(state): State<AppState>,
    auth: Result<Auth, ApiError>,
) -> Response {
    match auth {
        Ok(Auth(actor)) if actor.may_configure() => exposition(&state.services).await,
        _ => ApiError::new(ErrorCode::RouteNotFound, "no such route").into_response(),
    }
}

async fn exposition(services: &Services) -> Response {
    match render(services).await {
        Ok(text) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "metrics could not be gathered");
            ApiError::from(e).into_response()
        }
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value with `\`, `"` and newlines escaped as the format asks.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One number read from a pool's occupancy.
type PoolReading = fn(&PoolStats) -> u32;

/// The whole exposition.
pub async fn render(services: &Services) -> heard_services::Result<String> {
    let gauges = services.gauges().await?;
    let mut out = String::with_capacity(8 * 1024);

    let requests = services.telemetry().requests();
    family(
        &mut out,
        "heard_http_requests_total",
        "counter",
        "HTTP requests answered, by method, route template and status.",
    );
    for (k, s) in &requests {
        let _ = writeln!(
            out,
            "heard_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}",
            k.method,
            label(&k.route),
            k.status,
            s.count
        );
    }
    family(
        &mut out,
        "heard_http_request_duration_seconds",
        "histogram",
        "Time to answer an HTTP request (until the response headers), by method, route template and status.",
    );
    for (k, s) in &requests {
        let labels = format!(
            "method=\"{}\",route=\"{}\",status=\"{}\"",
            k.method,
            label(&k.route),
            k.status
        );
        let mut cumulative = 0;
        for (le, n) in LATENCY_BUCKETS.iter().zip(&s.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "heard_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "heard_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            s.count
        );
        let _ = writeln!(
            out,
            "heard_http_request_duration_seconds_sum{{{labels}}} {}",
            s.sum_seconds
        );
        let _ = writeln!(
            out,
            "heard_http_request_duration_seconds_count{{{labels}}} {}",
            s.count
        );
    }

    let pool_families: [(&str, &str, PoolReading); 4] = [
        (
            "heard_db_pool_connections",
            "Open database connections, by pool.",
            |p| p.size,
        ),
        (
            "heard_db_pool_idle_connections",
            "Idle database connections, by pool.",
            |p| p.idle,
        ),
        (
            "heard_db_pool_in_use_connections",
            "Database connections in use, by pool.",
            PoolStats::in_use,
        ),
        (
            "heard_db_pool_max_connections",
            "The most connections a pool opens.",
            |p| p.max,
        ),
    ];
    for (name, help, value) in pool_families {
        family(&mut out, name, "gauge", help);
        for p in &gauges.pools {
            let _ = writeln!(out, "{name}{{pool=\"{}\"}} {}", p.name, value(p));
        }
    }

    if let Some(w) = &gauges.writer {
        family(
            &mut out,
            "heard_writer_queue_depth",
            "gauge",
            "Ticket writes waiting for the SQLite group-commit writer.",
        );
        let _ = writeln!(out, "heard_writer_queue_depth {}", w.queue_depth);
        family(
            &mut out,
            "heard_writer_batch_size",
            "histogram",
            "Ticket writes per group commit on SQLite.",
        );
        for (le, n) in &w.batch_le {
            let _ = writeln!(out, "heard_writer_batch_size_bucket{{le=\"{le}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "heard_writer_batch_size_bucket{{le=\"+Inf\"}} {}",
            w.batches
        );
        let _ = writeln!(out, "heard_writer_batch_size_sum {}", w.plans);
        let _ = writeln!(out, "heard_writer_batch_size_count {}", w.batches);
    }

    family(
        &mut out,
        "heard_outbox_backlog",
        "gauge",
        "Work waiting in a durable outbox, by outbox (mail, search_index, …).",
    );
    for (name, n) in &gauges.backlogs {
        let _ = writeln!(out, "heard_outbox_backlog{{outbox=\"{name}\"}} {n}");
    }
    family(
        &mut out,
        "heard_open_tickets",
        "gauge",
        "Open tickets, by status.",
    );
    for (status, n) in &gauges.open_tickets {
        let _ = writeln!(out, "heard_open_tickets{{status=\"{status}\"}} {n}");
    }
    family(
        &mut out,
        "heard_promises",
        "gauge",
        "Open tickets' customer-visible promises: lapsed, or due within the hour (at_risk).",
    );
    let _ = writeln!(
        out,
        "heard_promises{{state=\"lapsed\"}} {}",
        gauges.promises.lapsed
    );
    let _ = writeln!(
        out,
        "heard_promises{{state=\"at_risk\"}} {}",
        gauges.promises.at_risk
    );
    family(
        &mut out,
        "heard_metrics_counted_at_seconds",
        "gauge",
        "When the database counts above were taken (they are reused for a few seconds).",
    );
    let _ = writeln!(
        out,
        "heard_metrics_counted_at_seconds {}",
        gauges.counted_at / 1000
    );
    Ok(out)
}
