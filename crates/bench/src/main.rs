//! `heard-bench`: the HTTP load driver. It starts nothing itself: it drives an already
//! running `heard serve` over HTTP (loopback, keep-alive, one connection pool) and prints
//! throughput and latency percentiles per operation, as a table on stdout and, with
//! `--json FILE`, as JSON.
//!
//! ```text
//! heard-bench --url http://127.0.0.1:8080 --tokens FILE [--duration-secs 10] [--concurrency 4]
//!             [--ops create,queue,view,reply,search,suggest,tone] [--json FILE]
//!             [--server-pid PID] [--bare-sqlite DIR] [--label TEXT]
//! ```
//!
//! `--tokens FILE` is the JSON `heard seed --tokens FILE` writes (API tokens of a customer,
//! an agent and a supervisor):
//! `{"customer":{"email":…,"token":…},"agent":{"email":…,"token":…,"team_id":N},"supervisor":{…}}`.
//! Without `team_id` the agent's first team (`GET /api/v1/me`) is used.
//!
//! Each operation is a phase of `--duration-secs` with `--concurrency` workers, one after
//! another in the order given:
//!
//! | op | request |
//! |---|---|
//! | `create` | customer `POST /api/v1/tickets` (the whole pipeline, durable before the 201) |
//! | `queue` | agent `GET /api/v1/tickets?order=due&status=new,open,pending_customer,pending_third_party&team_id=N&limit=50` |
//! | `view` | agent `GET /api/v1/tickets/{id}` (conversation and customer panel in one) |
//! | `reply` | agent `POST /api/v1/tickets/{id}/messages` (a public reply) |
//! | `search` | agent `GET /api/v1/search?q=…` |
//! | `suggest` | customer `GET /api/v1/kb/suggest?q=…` with a half-typed request |
//! | `tone` | agent `POST /api/v1/analyze/tone` with a draft reply |
//!
//! `view` and `reply` pick tickets from the agent's queue, read (up to 300 ids) when their
//! phase starts. Any non-2xx answer counts as an error; the first one of each operation is
//! printed, and the exit status is 1 when any phase had one (a phase that cannot start, as
//! `view` with an empty queue, counts one error), or 2 when the run could not start at all
//! (no server, a bad tokens file).
//!
//! `--server-pid PID` reads the server's CPU time around each phase and its resident memory
//! after it, from `/proc` (Linux): CPU milliseconds per request is the figure that holds
//! steady on a busy shared machine, where wall-clock throughput does not.
//!
//! `--bare-sqlite DIR` measures the physical limit: one-row transactions per second in a
//! fresh SQLite file in DIR with heard's settings (WAL, `synchronous=FULL`), first with one
//! writer, then with `--concurrency` tasks sharing the one connection; `create` throughput
//! is also given as a share of it.
//!
//! For example, over 10,000 seeded tickets:
//!
//! ```text
//! heard seed --tickets 10000 --data-dir seed --tokens seed/tokens.json
//! heard serve --data-dir seed --listen 127.0.0.1:18090 &
//! heard-bench --url http://127.0.0.1:18090 --tokens seed/tokens.json --duration-secs 3 \
//!     --server-pid $! --bare-sqlite bare-sqlite --json bench.json
//! ```
//!
//! Against `heard serve --demo`, write the tokens file by hand from the tokens the demo
//! prints and `heard token create --email priya@heard.demo` (the supervisor).

mod bare;
mod corpus;
mod process;
mod stats;

use anyhow::{Context, bail};
use clap::Parser;
use reqwest::header::AUTHORIZATION;
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(
    name = "heard-bench",
    version,
    about = "Drives a running heard server over HTTP and reports throughput and latency per operation"
)]
struct Args {
    /// The running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// API tokens as written by `heard seed --tokens FILE`.
    #[arg(long)]
    tokens: Option<PathBuf>,
    /// How long each operation's phase runs.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Concurrent workers per phase.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Operations to run, in this order (comma-separated; empty for none).
    #[arg(long, default_value = "create,queue,view,reply,search,suggest,tone")]
    ops: String,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The server's process id, to report its CPU time per request and its memory.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Measure bare SQLite commits per second in a fresh file in this folder.
    #[arg(long)]
    bare_sqlite: Option<PathBuf>,
    /// A name for this run, carried into the report.
    #[arg(long)]
    label: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Create,
    Queue,
    View,
    Reply,
    Search,
    Suggest,
    Tone,
}

impl Op {
    const ALL: [Op; 7] = [
        Op::Create,
        Op::Queue,
        Op::View,
        Op::Reply,
        Op::Search,
        Op::Suggest,
        Op::Tone,
    ];

    fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Queue => "queue",
            Op::View => "view",
            Op::Reply => "reply",
            Op::Search => "search",
            Op::Suggest => "suggest",
            Op::Tone => "tone",
        }
    }

    fn parse_list(list: &str) -> anyhow::Result<Vec<Op>> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                Op::ALL
                    .into_iter()
                    .find(|op| op.name() == s)
                    .with_context(|| {
                        let names: Vec<&str> = Op::ALL.iter().map(|o| o.name()).collect();
                        format!("unknown operation {s:?}; known: {}", names.join(","))
                    })
            })
            .collect()
    }

    fn needs_tickets(self) -> bool {
        matches!(self, Op::View | Op::Reply)
    }
}

#[derive(Deserialize)]
struct Tokens {
    customer: Account,
    agent: Account,
}

#[derive(Deserialize)]
struct Account {
    token: String,
    team_id: Option<i64>,
}

/// What every worker needs: one client (one keep-alive pool) and who it is.
#[derive(Clone)]
struct Ctx {
    client: reqwest::Client,
    api: String,
    customer: String,
    agent: String,
    team_id: Option<i64>,
    tickets: Arc<Vec<i64>>,
}

/// Statuses of work still to do, as the agent workspace's queues use them.
const OPEN_STATUSES: &str = "new,open,pending_customer,pending_third_party";
const QUEUE_PAGE: usize = 50;
const TICKET_POOL: usize = 300;

#[derive(Deserialize)]
struct QueuePage {
    items: Vec<Item>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    id: i64,
}

#[derive(Deserialize)]
struct Me {
    team_ids: Vec<i64>,
}

impl Ctx {
    fn queue_request(&self, cursor: Option<&str>) -> reqwest::RequestBuilder {
        let mut query: Vec<(&str, String)> = vec![
            ("order", "due".into()),
            ("status", OPEN_STATUSES.into()),
            ("limit", QUEUE_PAGE.to_string()),
        ];
        if let Some(team) = self.team_id {
            query.push(("team_id", team.to_string()));
        }
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        self.client
            .get(format!("{}/tickets", self.api))
            .header(AUTHORIZATION, &self.agent)
            .query(&query)
    }

    /// Ticket ids the agent sees, from the first queue pages.
    async fn ticket_pool(&self) -> anyhow::Result<Vec<i64>> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        while ids.len() < TICKET_POOL {
            let resp = self.queue_request(cursor.as_deref()).send().await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            if !status.is_success() {
                bail!(
                    "reading the agent's queue for ticket ids: {status}: {}",
                    excerpt(&body)
                );
            }
            let page: QueuePage = serde_json::from_slice(&body)
                .context("reading the agent's queue for ticket ids")?;
            ids.extend(page.items.iter().map(|t| t.id));
            match page.next_cursor {
                Some(c) if !page.items.is_empty() => cursor = Some(c),
                _ => break,
            }
        }
        Ok(ids)
    }

    fn ticket(&self, rng: &mut corpus::Rng) -> i64 {
        self.tickets[rng.below(self.tickets.len())]
    }

    fn request(&self, op: Op, rng: &mut corpus::Rng) -> reqwest::RequestBuilder {
        let c = &self.client;
        match op {
            Op::Create => {
                let (subject, body) = corpus::ticket(rng);
                c.post(format!("{}/tickets", self.api))
                    .header(AUTHORIZATION, &self.customer)
                    .json(&json!({"subject": subject, "body": body}))
            }
            Op::Queue => self.queue_request(None),
            Op::View => c
                .get(format!("{}/tickets/{}", self.api, self.ticket(rng)))
                .header(AUTHORIZATION, &self.agent),
            Op::Reply => c
                .post(format!(
                    "{}/tickets/{}/messages",
                    self.api,
                    self.ticket(rng)
                ))
                .header(AUTHORIZATION, &self.agent)
                .json(&json!({"body": corpus::reply(rng)})),
            Op::Search => c
                .get(format!("{}/search", self.api))
                .header(AUTHORIZATION, &self.agent)
                .query(&[("q", corpus::search_query(rng))]),
            Op::Suggest => c
                .get(format!("{}/kb/suggest", self.api))
                .header(AUTHORIZATION, &self.customer)
                .query(&[("q", corpus::suggest_draft(rng))]),
            Op::Tone => c
                .post(format!("{}/analyze/tone", self.api))
                .header(AUTHORIZATION, &self.agent)
                .json(&json!({"text": corpus::tone_draft(rng)})),
        }
    }
}

/// The first 200 bytes of a body, for an error line.
fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
}

/// What the workers of one phase recorded.
#[derive(Default)]
struct Record {
    latencies_ms: Vec<f64>,
    errors: u64,
    first_error: Option<(Instant, String)>,
    /// Items on queue pages, to check they are full.
    queue_items: u64,
}

impl Record {
    fn merge(&mut self, other: Record) {
        self.latencies_ms.extend(other.latencies_ms);
        self.errors += other.errors;
        self.queue_items += other.queue_items;
        self.first_error = match (self.first_error.take(), other.first_error) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
    }

    fn error(&mut self, what: String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some((Instant::now(), what));
        }
    }
}

async fn worker(ctx: Ctx, op: Op, seed: u64, deadline: Instant) -> Record {
    let mut rng = corpus::Rng::new(seed);
    let mut rec = Record::default();
    while Instant::now() < deadline {
        let request = ctx.request(op, &mut rng);
        let start = Instant::now();
        let result = match request.send().await {
            Ok(resp) => {
                let status = resp.status();
                resp.bytes().await.map(|body| (status, body))
            }
            Err(e) => Err(e),
        };
        rec.latencies_ms
            .push(start.elapsed().as_secs_f64() * 1000.0);
        match result {
            Ok((status, body)) if status.is_success() => {
                if op == Op::Queue {
                    match serde_json::from_slice::<QueuePage>(&body) {
                        Ok(page) => rec.queue_items += page.items.len() as u64,
                        Err(e) => rec.error(format!("{status}, but not a page of tickets: {e}")),
                    }
                }
            }
            Ok((status, body)) => rec.error(format!("{status}: {}", excerpt(&body))),
            Err(e) => rec.error(format!("no answer: {e}")),
        }
    }
    rec
}

struct Phase {
    summary: stats::OpSummary,
    first_error: Option<String>,
    note: Option<String>,
}

/// A reading of the server's process; one that fails (the server has gone) is reported
/// and left out, so the phases already measured are still printed.
fn sample<T>(op: Op, reading: anyhow::Result<T>) -> Option<T> {
    reading
        .map_err(|e| eprintln!("{}: server not measured: {e:#}", op.name()))
        .ok()
}

/// The largest of the phases' readings, if any was taken.
fn peak(readings: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    readings
        .flatten()
        .reduce(f64::max)
        .map(|mb| stats::round(mb, 1))
}

async fn run_phase(
    ctx: &Ctx,
    op: Op,
    concurrency: usize,
    duration: Duration,
    server: Option<&process::Watched>,
) -> anyhow::Result<Phase> {
    let mut ctx = ctx.clone();
    if op.needs_tickets() {
        let pool = match ctx.ticket_pool().await {
            Ok(pool) if pool.is_empty() => Err(anyhow::anyhow!(
                "the agent's queue is empty, so there is no ticket to use (run create first, or seed)"
            )),
            other => other,
        };
        match pool {
            Ok(pool) => ctx.tickets = Arc::new(pool),
            // Counted as a failed phase, so the other phases still run and are printed.
            Err(e) => {
                return Ok(Phase {
                    summary: stats::summarize(op.name(), Vec::new(), 1, 0.0, None),
                    first_error: Some(format!("{e:#}")),
                    note: None,
                });
            }
        }
    }
    let cpu_before = server.and_then(|s| sample(op, s.cpu_ms()));
    let start = Instant::now();
    let deadline = start + duration;
    let mut set = tokio::task::JoinSet::new();
    for w in 0..concurrency {
        let seed = ((op as u64) << 32) | w as u64;
        set.spawn(worker(ctx.clone(), op, seed, deadline));
    }
    let mut rec = Record::default();
    while let Some(done) = set.join_next().await {
        rec.merge(done?);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = match (server, cpu_before) {
        (Some(s), Some(before)) => sample(op, s.cpu_ms()).map(|after| after - before),
        _ => None,
    };
    let requests = rec.latencies_ms.len();
    let ok = requests as u64 - rec.errors;
    let mut summary = stats::summarize(op.name(), rec.latencies_ms, rec.errors, elapsed, cpu);
    let memory = server.and_then(|s| sample(op, s.memory()));
    summary.server_rss_mb = memory.map(|m| m.rss_mb);
    summary.server_anon_mb = memory.map(|m| m.anon_mb);
    let note = match op {
        Op::Queue if ok > 0 => Some(format!(
            "queue: {:.1} tickets per page on average (limit {QUEUE_PAGE})",
            rec.queue_items as f64 / ok as f64
        )),
        Op::View | Op::Reply => Some(format!(
            "{}: {} tickets from the agent's queue",
            op.name(),
            ctx.tickets.len()
        )),
        _ => None,
    };
    Ok(Phase {
        summary,
        first_error: rec.first_error.map(|(_, e)| e),
        note,
    })
}

async fn connect(args: &Args) -> anyhow::Result<Ctx> {
    let path = args
        .tokens
        .as_ref()
        .context("--tokens FILE is needed to run operations")?;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let tokens: Tokens = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a tokens file", path.display()))?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency.max(1))
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()?;
    let mut ctx = Ctx {
        client,
        api: format!("{}/api/v1", args.url.trim_end_matches('/')),
        customer: format!("Bearer {}", tokens.customer.token),
        agent: format!("Bearer {}", tokens.agent.token),
        team_id: tokens.agent.team_id,
        tickets: Arc::new(Vec::new()),
    };
    // Also checks the server answers and the agent's token is good before any phase.
    let resp = ctx
        .client
        .get(format!("{}/me", ctx.api))
        .header(AUTHORIZATION, &ctx.agent)
        .send()
        .await
        .with_context(|| format!("no answer from {}", args.url))?;
    let status = resp.status();
    let body = resp.bytes().await?;
    if !status.is_success() {
        bail!("GET /api/v1/me as the agent: {status}: {}", excerpt(&body));
    }
    if ctx.team_id.is_none() {
        let me: Me = serde_json::from_slice(&body).context("reading GET /api/v1/me")?;
        ctx.team_id = me.team_ids.first().copied();
    }
    Ok(ctx)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("heard-bench: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Runs the phases and prints the report; false when any request failed.
async fn run(args: Args) -> anyhow::Result<bool> {
    let ops = Op::parse_list(&args.ops)?;
    if args.concurrency == 0 || args.duration_secs == 0 {
        bail!("--concurrency and --duration-secs must be at least 1");
    }
    let duration = Duration::from_secs(args.duration_secs);
    let server = args.server_pid.map(process::Watched::new);
    if let Some(s) = &server {
        s.cpu_ms().context("--server-pid")?;
    }

    let mut phases = Vec::new();
    if !ops.is_empty() {
        let ctx = connect(&args).await?;
        for op in ops {
            eprintln!(
                "{}: {} workers for {} s…",
                op.name(),
                args.concurrency,
                args.duration_secs
            );
            phases.push(run_phase(&ctx, op, args.concurrency, duration, server.as_ref()).await?);
        }
    }

    let bare = match &args.bare_sqlite {
        Some(dir) => {
            eprintln!(
                "bare SQLite in {}: 2 × {} s…",
                dir.display(),
                args.duration_secs
            );
            Some(bare::measure(dir, duration, args.concurrency).await?)
        }
        None => None,
    };

    let operations: Vec<stats::OpSummary> = phases.iter().map(|p| p.summary.clone()).collect();
    let report = stats::Report {
        label: args.label.clone(),
        url: args.url.clone(),
        concurrency: args.concurrency,
        duration_secs: args.duration_secs,
        server_peak_rss_mb: peak(operations.iter().map(|o| o.server_rss_mb)),
        server_peak_anon_mb: peak(operations.iter().map(|o| o.server_anon_mb)),
        operations,
        bare_sqlite_tx_per_s: bare.as_ref().map(|b| stats::round(b.single_tx_per_s, 1)),
        bare_sqlite_shared_tx_per_s: bare.as_ref().map(|b| stats::round(b.shared_tx_per_s, 1)),
    };
    print!("{}", report.render());
    for p in &phases {
        if let Some(note) = &p.note {
            println!("{note}");
        }
    }
    let mut failed = false;
    for p in &phases {
        if let Some(e) = &p.first_error {
            failed = true;
            println!("{}: {} errors; first: {e}", p.summary.op, p.summary.errors);
        }
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(!failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_parse_in_the_order_given() {
        assert_eq!(
            Op::parse_list("tone, create,view").unwrap(),
            [Op::Tone, Op::Create, Op::View]
        );
        assert_eq!(Op::parse_list("").unwrap(), []);
        assert_eq!(
            Op::parse_list(Args::parse_from(["heard-bench"]).ops.as_str()).unwrap(),
            Op::ALL
        );
        let err = Op::parse_list("create,delete").unwrap_err().to_string();
        assert!(err.contains("\"delete\""), "{err}");
    }

    #[test]
    fn the_tokens_file_of_heard_seed_is_read() {
        let t: Tokens = serde_json::from_str(
            r#"{"customer":{"email":"c@x.example","token":"ct"},
                "agent":{"email":"a@x.example","token":"at","team_id":3},
                "supervisor":{"email":"s@x.example","token":"st"}}"#,
        )
        .unwrap();
        assert_eq!(t.customer.token, "ct");
        assert_eq!(t.agent.token, "at");
        assert_eq!(t.agent.team_id, Some(3));
    }

    #[test]
    fn error_excerpts_stop_at_200_bytes() {
        assert_eq!(excerpt(&[b'x'; 500]).len(), 200);
        assert_eq!(excerpt(b"{\"error\":{}}"), "{\"error\":{}}");
    }

    #[test]
    fn the_first_error_in_time_is_kept_when_merging() {
        let mut a = Record::default();
        let mut b = Record::default();
        b.error("first".into());
        a.error("second".into());
        a.merge(b);
        assert_eq!(a.errors, 2);
        assert_eq!(a.first_error.unwrap().1, "first");
    }
}
