//! The figures of a run, without I/O: latency percentiles, one summary per operation, the
//! report's JSON shape (read by other scripts, so its field names are fixed) and the table.

use serde::Serialize;

/// The nearest-rank percentile of an ascending slice: the smallest value with at least
/// `p` percent of the values at or below it. An empty slice gives 0.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// One operation's phase, as the JSON report carries it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpSummary {
    pub op: String,
    pub requests: u64,
    pub errors: u64,
    pub per_s: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub server_cpu_ms_per_req: Option<f64>,
    /// The server's resident memory right after the phase (table only).
    #[serde(skip)]
    pub server_rss_mb: Option<f64>,
    /// Its private part (heap and caches), without mapped file pages.
    #[serde(skip)]
    pub server_anon_mb: Option<f64>,
}

/// Summarises one phase from every request's latency in milliseconds (failed ones
/// included), the failures among them, the phase's wall time and the server's CPU time
/// over it.
pub fn summarize(
    op: &str,
    mut latencies_ms: Vec<f64>,
    errors: u64,
    elapsed_secs: f64,
    server_cpu_ms: Option<f64>,
) -> OpSummary {
    latencies_ms.sort_by(f64::total_cmp);
    let requests = latencies_ms.len() as u64;
    let per_s = if elapsed_secs > 0.0 {
        requests as f64 / elapsed_secs
    } else {
        0.0
    };
    OpSummary {
        op: op.to_string(),
        requests,
        errors,
        per_s: round(per_s, 1),
        p50_ms: round(percentile(&latencies_ms, 50.0), 3),
        p95_ms: round(percentile(&latencies_ms, 95.0), 3),
        p99_ms: round(percentile(&latencies_ms, 99.0), 3),
        max_ms: round(latencies_ms.last().copied().unwrap_or(0.0), 3),
        server_cpu_ms_per_req: server_cpu_ms
            .filter(|_| requests > 0)
            .map(|cpu| round(cpu / requests as f64, 3)),
        server_rss_mb: None,
        server_anon_mb: None,
    }
}

/// Rounds to `digits` decimals, so the JSON does not carry float noise.
pub fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// The whole run, as written by `--json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub label: Option<String>,
    pub url: String,
    pub concurrency: usize,
    pub duration_secs: u64,
    pub operations: Vec<OpSummary>,
    /// One writer committing one small row per transaction (WAL, synchronous=FULL).
    pub bare_sqlite_tx_per_s: Option<f64>,
    /// The same with `concurrency` tasks sharing the one connection.
    pub bare_sqlite_shared_tx_per_s: Option<f64>,
    pub server_peak_rss_mb: Option<f64>,
    /// The peak of the private part of it (heap and caches, no mapped files).
    pub server_peak_anon_mb: Option<f64>,
}

impl Report {
    /// Ticket creation as a share of what bare SQLite commits, when both were measured.
    pub fn create_share_of_bare(&self) -> Option<f64> {
        let bare = self.bare_sqlite_tx_per_s.filter(|b| *b > 0.0)?;
        let create = self.operations.iter().find(|o| o.op == "create")?;
        Some(create.per_s / bare * 100.0)
    }

    /// The table printed to stdout, followed by the lines about the server and SQLite.
    pub fn render(&self) -> String {
        let headers = [
            "op",
            "requests",
            "errors",
            "req/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "cpu ms/req",
            "rss MB",
        ];
        let rows: Vec<Vec<String>> = self
            .operations
            .iter()
            .map(|o| {
                vec![
                    o.op.clone(),
                    o.requests.to_string(),
                    o.errors.to_string(),
                    format!("{:.1}", o.per_s),
                    format!("{:.2}", o.p50_ms),
                    format!("{:.2}", o.p95_ms),
                    format!("{:.2}", o.p99_ms),
                    format!("{:.2}", o.max_ms),
                    optional(o.server_cpu_ms_per_req, 3),
                    optional(o.server_rss_mb, 1),
                ]
            })
            .collect();
        let mut out = format!(
            "{} — {} workers, {} s per operation{}\n",
            self.url,
            self.concurrency,
            self.duration_secs,
            self.label
                .as_deref()
                .map(|l| format!(", {l}"))
                .unwrap_or_default()
        );
        out.push_str(&table(&headers, &rows));
        if let Some(rss) = self.server_peak_rss_mb {
            out.push_str(&format!("server peak RSS: {rss:.1} MB"));
            if let Some(anon) = self.server_peak_anon_mb {
                out.push_str(&format!(
                    " (private: {anon:.1} MB; the rest is mapped files such as the search index)"
                ));
            }
            out.push('\n');
        }
        if let Some(bare) = self.bare_sqlite_tx_per_s {
            out.push_str(&format!(
                "bare SQLite (WAL, synchronous=FULL, one row per transaction): 1 writer {bare:.1} tx/s"
            ));
            if let Some(shared) = self.bare_sqlite_shared_tx_per_s {
                out.push_str(&format!(
                    "; {} tasks on one connection {shared:.1} tx/s",
                    self.concurrency
                ));
            }
            out.push('\n');
        }
        if let Some(share) = self.create_share_of_bare() {
            out.push_str(&format!("create throughput: {share:.1}% of bare SQLite\n"));
        }
        out
    }
}

fn optional(x: Option<f64>, digits: usize) -> String {
    match x {
        Some(x) => format!("{x:.digits$}"),
        None => "-".to_string(),
    }
}

/// A plain-text table: the first column left-aligned, the rest (figures) right-aligned.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            if i == 0 {
                s.push_str(&format!("{cell:<w$}"));
            } else {
                s.push_str(&format!("{cell:>w$}"));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    out.push_str(&"-".repeat(total));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_to_hundred() -> Vec<f64> {
        (1..=100).map(f64::from).collect()
    }

    #[test]
    fn nearest_rank_percentiles_of_one_to_a_hundred() {
        let v = one_to_hundred();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
    }

    #[test]
    fn percentiles_of_small_and_empty_inputs() {
        assert_eq!(percentile(&[], 50.0), 0.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        // Ranks round up: the median of four values is the second.
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 51.0), 3.0);
    }

    #[test]
    fn summary_sorts_counts_and_divides_by_wall_time() {
        let mut v = one_to_hundred();
        v.reverse();
        let s = summarize("queue", v, 3, 2.0, Some(250.0));
        assert_eq!(s.requests, 100);
        assert_eq!(s.errors, 3);
        assert_eq!(s.per_s, 50.0);
        assert_eq!(s.p50_ms, 50.0);
        assert_eq!(s.p95_ms, 95.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert_eq!(s.server_cpu_ms_per_req, Some(2.5));
    }

    #[test]
    fn summary_of_nothing_has_no_cpu_per_request() {
        let s = summarize("view", vec![], 0, 1.0, Some(10.0));
        assert_eq!(s.requests, 0);
        assert_eq!(s.per_s, 0.0);
        assert_eq!(s.max_ms, 0.0);
        assert_eq!(s.server_cpu_ms_per_req, None);
    }

    fn report() -> Report {
        let mut create = summarize("create", vec![10.0, 20.0, 30.0, 40.0], 0, 1.0, None);
        create.server_rss_mb = Some(41.31);
        Report {
            label: Some("laptop".into()),
            url: "http://127.0.0.1:8080".into(),
            concurrency: 4,
            duration_secs: 3,
            operations: vec![
                create,
                summarize("search", vec![1.5, 2.5], 1, 1.0, Some(3.0)),
            ],
            bare_sqlite_tx_per_s: Some(400.0),
            bare_sqlite_shared_tx_per_s: Some(398.5),
            server_peak_rss_mb: Some(41.31),
            server_peak_anon_mb: Some(20.0),
        }
    }

    #[test]
    fn table_carries_every_figure() {
        let text = report().render();
        let create = text.lines().find(|l| l.starts_with("create")).unwrap();
        let cells: Vec<&str> = create.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "create", "4", "0", "4.0", "20.00", "40.00", "40.00", "40.00", "-", "41.3"
            ]
        );
        let search = text.lines().find(|l| l.starts_with("search")).unwrap();
        let cells: Vec<&str> = search.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "search", "2", "1", "2.0", "1.50", "2.50", "2.50", "2.50", "1.500", "-"
            ]
        );
        assert!(text.contains("laptop"));
        assert!(text.contains("server peak RSS: 41.3 MB (private: 20.0 MB;"));
        assert!(text.contains("1 writer 400.0 tx/s; 4 tasks on one connection 398.5 tx/s"));
        assert!(text.contains("create throughput: 1.0% of bare SQLite"));
        assert!(text.contains("server peak RSS: 41.3 MB"));
    }

    #[test]
    fn table_columns_line_up() {
        let t = table(
            &["op", "n"],
            &[
                vec!["a".into(), "1".into()],
                vec!["longer".into(), "1000".into()],
            ],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "op         n");
        assert_eq!(lines[1], "------------");
        assert_eq!(lines[2], "a          1");
        assert_eq!(lines[3], "longer  1000");
    }

    #[test]
    fn json_uses_the_agreed_names() {
        let v = serde_json::to_value(report()).unwrap();
        assert_eq!(v["label"], "laptop");
        assert_eq!(v["concurrency"], 4);
        assert_eq!(v["duration_secs"], 3);
        assert_eq!(v["bare_sqlite_tx_per_s"], 400.0);
        assert_eq!(v["server_peak_rss_mb"], 41.31);
        let op = &v["operations"][0];
        let mut keys: Vec<&str> = op.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "errors",
                "max_ms",
                "op",
                "p50_ms",
                "p95_ms",
                "p99_ms",
                "per_s",
                "requests",
                "server_cpu_ms_per_req"
            ]
        );
        assert_eq!(op["server_cpu_ms_per_req"], serde_json::Value::Null);
        assert_eq!(v["operations"][1]["server_cpu_ms_per_req"], 1.5);
    }
}
