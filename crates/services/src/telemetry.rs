//! What `/metrics` reports. Requests are counted in memory as they are answered (by route
//! template, never by raw path, so the number of series stays bounded). Everything read
//! from the database is gathered by [`Services::gauges`] and kept for
//! [`GAUGE_TTL`]: however many scrapers ask, the counts run at most once per interval.

use crate::{Result, Services};
pub use heard_store::telemetry::{PoolStats, PromiseCounts, WriterStats};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Upper bounds (seconds) of the request latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// How long the database counts are reused between scrapes.
pub const GAUGE_TTL: Duration = Duration::from_secs(5);

/// How close to its due time a customer-visible promise counts as at risk (the agent's
/// queue marks the same hour).
pub const PROMISE_AT_RISK_MS: i64 = 60 * 60 * 1000;

/// One series of requests: a method, a route template and a status.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestKey {
    pub method: String,
    /// The matched route template (`/api/v1/tickets/{id}`), or `unmatched`.
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, Default)]
pub struct RequestSeries {
    pub count: u64,
    pub sum_seconds: f64,
    /// Requests per latency bucket, not cumulative; one more for `+Inf`.
    pub buckets: [u64; LATENCY_BUCKETS.len() + 1],
}

impl RequestSeries {
    fn observe(&mut self, seconds: f64) {
        self.count += 1;
        self.sum_seconds += seconds;
        let i = LATENCY_BUCKETS
            .iter()
            .position(|&le| seconds <= le)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[i] += 1;
    }
}

/// The process's request counters and the cached database gauges. Shared by clones.
#[derive(Default)]
pub struct Telemetry {
    requests: Mutex<BTreeMap<RequestKey, RequestSeries>>,
    gauges: tokio::sync::Mutex<Option<(Instant, Gauges)>>,
}

impl Telemetry {
    /// Counts one answered request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let key = RequestKey {
            method: method.to_string(),
            route: route.to_string(),
            status,
        };
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        requests.entry(key).or_default().observe(seconds);
    }

    /// Every request series so far, in a stable order.
    pub fn requests(&self) -> Vec<(RequestKey, RequestSeries)> {
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        requests
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// What the database and the writer look like now.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    pub pools: Vec<PoolStats>,
    /// `None` on PostgreSQL (no group commit there).
    pub writer: Option<WriterStats>,
    /// Open tickets per status, every open status present (0 when none).
    pub open_tickets: Vec<(String, i64)>,
    pub promises: PromiseCounts,
    /// Work waiting in each outbox, by name (see [`Services::outbox_backlogs`]).
    pub backlogs: Vec<(&'static str, i64)>,
    /// When the database counts were taken (milliseconds since the epoch).
    pub counted_at: i64,
}

pub(crate) type SharedTelemetry = Arc<Telemetry>;

impl Services {
    pub fn telemetry(&self) -> &Telemetry {
        &self.telemetry
    }

    /// Work waiting in each durable outbox, by name: `mail` (queued, unsent mail) and
    /// `search_index` (outbox rows this process's index has not taken in yet). A new
    /// outbox adds its line here and `/metrics` reports it as `heard_outbox_backlog`.
    pub async fn outbox_backlogs(&self) -> Result<Vec<(&'static str, i64)>> {
        let mail = self.store.mail_backlog().await?;
        let high_water = self.store.outbox_max().await?;
        let index = (high_water - self.search.cursor()).max(0);
        let webhooks = self.store.webhook_backlog().await?;
        Ok(vec![
            ("mail", mail),
            ("search_index", index),
            ("webhooks", webhooks),
        ])
    }

    /// The gauges `/metrics` shows: the pools and the writer as they are this instant,
    /// the database counts as of at most [`GAUGE_TTL`] ago.
    #[tracing::instrument(name = "services.gauges", level = "debug", skip_all)]
    pub async fn gauges(&self) -> Result<Gauges> {
        let mut cached = self.telemetry.gauges.lock().await;
        let fresh = cached
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < GAUGE_TTL);
        if !fresh {
            let now = self.now();
            let by_status: BTreeMap<String, i64> = self
                .store
                .open_tickets_by_status()
                .await?
                .into_iter()
                .collect();
            let open_tickets = heard_store::telemetry::OPEN_STATUSES
                .iter()
                .map(|s| (s.to_string(), by_status.get(*s).copied().unwrap_or(0)))
                .collect();
            let gauges = Gauges {
                pools: Vec::new(),
                writer: None,
                open_tickets,
                promises: self.store.promise_counts(now, PROMISE_AT_RISK_MS).await?,
                backlogs: self.outbox_backlogs().await?,
                counted_at: now,
            };
            *cached = Some((Instant::now(), gauges));
        }
        let mut gauges = cached.as_ref().map(|(_, g)| g.clone()).unwrap_or_default();
        gauges.pools = self.store.pool_stats();
        gauges.writer = self.store.writer_stats();
        Ok(gauges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_lands_in_the_first_bucket_that_holds_it() {
        let t = Telemetry::default();
        t.observe_request("GET", "/a", 200, 0.0005);
        t.observe_request("GET", "/a", 200, 0.003);
        t.observe_request("GET", "/a", 200, 99.0);
        t.observe_request("GET", "/a", 404, 0.003);
        let all = t.requests();
        assert_eq!(all.len(), 2);
        let ok = &all[0].1;
        assert_eq!(ok.count, 3);
        assert_eq!(ok.buckets[0], 1);
        assert_eq!(ok.buckets[2], 1);
        assert_eq!(ok.buckets[LATENCY_BUCKETS.len()], 1);
    }
}
