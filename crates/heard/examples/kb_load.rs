//! Load driver for the knowledge base over HTTP: fills a fresh SQLite database with
//! synthetic articles made of the sample sets' sentences, rebuilds the search index
//! (timed), starts the real server on a loopback port and times `/api/v1/kb/suggest`
//! (half-typed customer drafts) and `/api/v1/kb/search` (whole questions) from
//! concurrent clients.
//!
//! ```text
//! cargo run --release -p heard --example kb_load -- [--articles 100000]
//!     [--requests 3000] [--concurrency 4] [--kb PATH]
//! ```

use heard_services::Services;
use heard_services::search_index::Search;
use heard_store::{ArticleContent, Store};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

struct Corpus {
    titles: Vec<String>,
    words: Vec<String>,
    sentences: Vec<String>,
    queries: Vec<String>,
}

fn corpus(kb: &Path) -> Corpus {
    let report = heard_search::import::import_dir(kb).expect("the sample sets are readable");
    let mut titles = Vec::new();
    let mut sentences = Vec::new();
    for a in &report.articles {
        titles.push(a.title.clone());
        for s in heard_search::text::markdown_to_plain(&a.body).split(['.', '\n']) {
            if s.split_whitespace().count() >= 5 {
                sentences.push(format!("{}.", s.trim()));
            }
        }
    }
    let mut words: Vec<String> = titles
        .iter()
        .flat_map(|t| t.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|w| w.len() > 3)
        .collect();
    words.sort();
    words.dedup();
    let queries = include_str!("../../search/data/relevance.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .filter_map(|l| l.split_once('\t').map(|(q, _)| q.to_string()))
        .collect();
    Corpus {
        titles,
        words,
        sentences,
        queries,
    }
}

fn paragraph(rng: &mut Rng, c: &Corpus, min_words: usize) -> String {
    let mut out = String::new();
    while out.split_whitespace().count() < min_words {
        if !out.is_empty() {
            out.push(' ');
        }
        let s: &String = rng.pick(&c.sentences);
        out.push_str(s);
    }
    out
}

fn article(rng: &mut Rng, c: &Corpus, n: usize) -> ArticleContent {
    let mut title: Vec<String> = rng
        .pick(&c.titles)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let i = rng.below(title.len());
    title[i] = rng.pick(&c.words).clone();
    let body: Vec<String> = (0..2 + rng.below(6))
        .map(|_| paragraph(rng, c, 40))
        .collect();
    let visibility = match rng.below(20) {
        0 => "draft",
        1 | 2 => "internal",
        _ => "public",
    };
    ArticleContent {
        slug: format!("article-{n}"),
        title: title.join(" "),
        summary: paragraph(rng, c, 12),
        body_markdown: body.join("\n\n"),
        locale: "en".into(),
        visibility: visibility.into(),
        category_path: format!("Area {}", rng.below(20)),
        tags: vec![rng.pick(&c.words).to_lowercase()],
    }
}

fn enc(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn drive(base: &str, paths: Vec<String>, concurrency: usize) -> (Vec<Duration>, f64) {
    let client = reqwest::Client::new();
    let paths = std::sync::Arc::new(paths);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, paths, next, base) = (
            client.clone(),
            paths.clone(),
            next.clone(),
            base.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(p) = paths.get(i) else { break };
                let t = Instant::now();
                let res = client.get(format!("{base}{p}")).send().await.unwrap();
                assert!(res.status().is_success(), "{p}: {}", res.status());
                let _ = res.bytes().await.unwrap();
                times.push(t.elapsed());
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    (all, secs)
}

fn report(name: &str, times: &[Duration], secs: f64) {
    println!(
        "{name:<8} {:>6} requests  {:>7.0}/s  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms",
        times.len(),
        times.len() as f64 / secs,
        percentile(times, 0.50),
        percentile(times, 0.95),
        percentile(times, 0.99),
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );
}

#[tokio::main]
async fn main() {
    let n: usize = arg("--articles").map_or(100_000, |v| v.parse().unwrap());
    let requests: usize = arg("--requests").map_or(3000, |v| v.parse().unwrap());
    let concurrency: usize = arg("--concurrency").map_or(4, |v| v.parse().unwrap());
    let kb = arg("--kb").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/kb")
    });
    let c = corpus(&kb);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();

    let t = Instant::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut batch = Vec::with_capacity(5000);
    for i in 0..n {
        batch.push(article(&mut rng, &c, i));
        if batch.len() == 5000 || i + 1 == n {
            store.insert_articles_bulk(&batch, 0).await.unwrap();
            batch.clear();
        }
    }
    println!(
        "database: {n} articles written in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let search = Search::open(&dir.path().join("index")).unwrap();
    let services = Services::new(store.clone()).with_search(search);
    let rebuilt = services.reindex(None).await.unwrap();
    println!(
        "index: {} articles indexed (read from the database, indexed, committed, merged) in {:.1} s",
        rebuilt.articles, rebuilt.seconds
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(heard::serve(
        listener,
        services.clone(),
        std::future::pending(),
    ));

    // Suggestions: drafts as they are typed (cut mid-word); searches: whole questions.
    let mut suggest = Vec::with_capacity(requests);
    let mut search = Vec::with_capacity(requests);
    for _ in 0..requests {
        let q = rng.pick(&c.queries).clone();
        let cut = (q.len() / 2 + rng.below(q.len() / 2 + 1)).min(q.len());
        let cut = (0..=cut)
            .rev()
            .find(|&i| q.is_char_boundary(i))
            .unwrap_or(0);
        suggest.push(format!("/api/v1/kb/suggest?q={}", enc(&q[..cut.max(3)])));
        search.push(format!("/api/v1/kb/search?q={}", enc(&q)));
    }
    // Warm up caches and connections.
    drive(&base, suggest[..200.min(requests)].to_vec(), concurrency).await;
    let (times, secs) = drive(&base, suggest, concurrency).await;
    report("suggest", &times, secs);
    let (times, secs) = drive(&base, search, concurrency).await;
    report("search", &times, secs);
    println!(
        "(HTTP on loopback, {concurrency} concurrent clients, client and server in one process)"
    );
}
