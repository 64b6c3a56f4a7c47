//! Load benchmark for the search index: synthetic but realistic articles and tickets built
//! from the vocabulary of the sample knowledge bases, then timed indexing, searches and
//! suggestions.
//!
//! ```text
//! cargo run --release -p heard-search --example bench -- [--articles 100000]
//!     [--tickets 0] [--queries 2000] [--dir PATH] [--kb PATH] [--dump PATH] [--keep] [--scope WORD]
//! ```
//! `--keep` keeps the index in `--dir` and reuses it when it already holds `--tickets`
//! tickets (and no articles are asked for), to profile searches without indexing.
//! `--scope WORD` runs only the ticket scopes whose name contains WORD.
//! `--dump` writes every ticket search's total and hits (id, score) to PATH, to check
//! that a change to the query code finds exactly the same.
//! `--dir` puts the index on disk (default: a fresh folder under the system temp dir);
//! `--kb` is the folder with the sample sets (default: shared/data/kb beside the repo).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use heard_search::import::import_dir;
use heard_search::{
    ArticleDoc, ArticleFilter, IndexOptions, SearchIndex, Thesaurus, TicketDoc, TicketScope,
    Visibility,
};

/// xorshift64*: deterministic, so every run indexes the same corpus.
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

struct Corpus {
    titles: Vec<String>,
    title_words: Vec<String>,
    sentences: Vec<String>,
    queries: Vec<String>,
}

fn load_corpus(kb: &Path) -> Corpus {
    let mut titles = Vec::new();
    let mut sentences = Vec::new();
    for set in ["django", "jitsi", "gnome"] {
        let report = import_dir(&kb.join(set)).expect("sample kb readable");
        for a in report.articles {
            titles.push(a.title.clone());
            let plain = heard_search::text::markdown_to_plain(&a.body);
            for s in plain.split(['.', '\n']) {
                let s = s.trim();
                if s.split_whitespace().count() >= 5 {
                    sentences.push(format!("{s}."));
                }
            }
        }
    }
    let mut title_words: Vec<String> = titles
        .iter()
        .flat_map(|t| t.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|w| w.len() > 3)
        .collect();
    title_words.sort();
    title_words.dedup();
    let queries = include_str!("../data/relevance.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .filter_map(|l| l.split_once('\t').map(|(q, _)| q.to_string()))
        .collect();
    Corpus {
        titles,
        title_words,
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

fn synthetic_article(rng: &mut Rng, c: &Corpus, id: i64) -> ArticleDoc {
    // a real title with one or two words swapped, so titles repeat realistically
    let mut title: Vec<String> = rng
        .pick(&c.titles)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    for _ in 0..1 + rng.below(2) {
        let i = rng.below(title.len());
        title[i] = rng.pick(&c.title_words).clone();
    }
    let paragraphs = 2 + rng.below(6);
    let body: Vec<String> = (0..paragraphs).map(|_| paragraph(rng, c, 40)).collect();
    let visibility = match rng.below(20) {
        0 => Visibility::Draft,
        1 | 2 => Visibility::Internal,
        _ => Visibility::Public,
    };
    ArticleDoc {
        id,
        version: 1,
        slug: format!("article-{id}"),
        title: title.join(" "),
        summary: paragraph(rng, c, 12),
        body: body.join("\n\n"),
        tags: vec![rng.pick(&c.title_words).to_lowercase()],
        category: String::new(),
        locale: "en".into(),
        visibility,
    }
}

fn synthetic_ticket(rng: &mut Rng, c: &Corpus, id: i64) -> TicketDoc {
    let messages = 1 + rng.below(4);
    let org = rng.below(20_000) as i64;
    TicketDoc {
        id,
        version: 1,
        subject: rng.pick(&c.queries).clone(),
        public_messages: (0..messages).map(|_| paragraph(rng, c, 25)).collect(),
        internal_notes: if rng.below(3) == 0 {
            vec![paragraph(rng, c, 15)]
        } else {
            vec![]
        },
        requester_id: rng.below(200_000) as i64,
        organization_id: (org > 0).then_some(org),
        org_shared: rng.below(2) == 0,
        team_id: Some(rng.below(20) as i64),
        assignee_id: None,
        status: "open".into(),
        references: vec![],
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// CPU time of this thread so far (Linux), which unlike wall time does not count waiting
/// for a core on a busy machine.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn report_cpu(name: &str, mut cpu: Vec<Duration>) {
    if cpu.is_empty() {
        return;
    }
    cpu.sort();
    let mean = cpu.iter().sum::<Duration>() / cpu.len() as u32;
    println!(
        "{:<30} cpu: mean={mean:>8.2?} p50={:>8.2?} p90={:>8.2?} p99={:>8.2?}",
        format!("  {name}"),
        percentile(&cpu, 0.50),
        percentile(&cpu, 0.90),
        percentile(&cpu, 0.99),
    );
}

fn report(name: &str, mut times: Vec<Duration>, hits: usize) {
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "{name:<30} n={:<6} mean={mean:>8.2?} p50={:>8.2?} p90={:>8.2?} p99={:>8.2?} max={:>8.2?} (queries with hits: {hits})",
        times.len(),
        percentile(&times, 0.50),
        percentile(&times, 0.90),
        percentile(&times, 0.99),
        times[times.len() - 1],
    );
}

/// What a customer has typed so far: a sentence cut somewhere, often mid-word.
fn typing_prefix(rng: &mut Rng, q: &str) -> String {
    let chars: Vec<char> = q.chars().collect();
    let cut = (chars.len() / 3 + rng.below(chars.len() - chars.len() / 3)).max(3);
    chars[..cut.min(chars.len())].iter().collect()
}

fn main() {
    let mut articles = 100_000usize;
    let mut tickets = 0usize;
    let mut queries = 2_000usize;
    let mut dir: Option<PathBuf> = None;
    let mut dump: Option<PathBuf> = None;
    let mut keep = false;
    let mut only_scope: Option<String> = None;
    let mut kb = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/kb");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("flag needs a value");
        match a.as_str() {
            "--articles" => articles = val().parse().expect("number"),
            "--tickets" => tickets = val().parse().expect("number"),
            "--queries" => queries = val().parse().expect("number"),
            "--dir" => dir = Some(PathBuf::from(val())),
            "--kb" => kb = PathBuf::from(val()),
            "--dump" => dump = Some(PathBuf::from(val())),
            "--keep" => keep = true,
            "--scope" => only_scope = Some(val()),
            other => panic!("unknown argument {other}"),
        }
    }
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("heard-search-bench-{}", std::process::id()))
    });
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let corpus = load_corpus(&kb);
    println!(
        "corpus: {} titles, {} sentences, {} customer queries; index in {}",
        corpus.titles.len(),
        corpus.sentences.len(),
        corpus.queries.len(),
        dir.display()
    );
    let opts = IndexOptions {
        writer_threads: 2,
        writer_memory_bytes: 400_000_000,
    };
    let index = SearchIndex::open_with(&dir, opts, Thesaurus::builtin()).expect("open index");
    let mut rng = Rng(0x5eed_1234_abcd_ef01);

    if articles > 0 {
        let docs: Vec<ArticleDoc> = (1..=articles as i64)
            .map(|id| synthetic_article(&mut rng, &corpus, id))
            .collect();
        let bytes: usize = docs
            .iter()
            .map(|d| d.body.len() + d.title.len() + d.summary.len())
            .sum();
        let t = Instant::now();
        for d in &docs {
            index.upsert_article(d).expect("upsert");
        }
        let added = t.elapsed();
        index.commit().expect("commit");
        let total = t.elapsed();
        let m = Instant::now();
        index.optimize().expect("optimize");
        println!(
            "articles: optimize (merge into one segment) took {:.2?}",
            m.elapsed()
        );
        println!(
            "articles: indexed {articles} ({:.0} MB of text) in {total:.2?} (upserts {added:.2?}, commit {:.2?}); {:.0} articles/s",
            bytes as f64 / 1e6,
            total - added,
            articles as f64 / total.as_secs_f64()
        );
        let t = Instant::now();
        let v = index.article_versions().expect("versions");
        println!(
            "drift listing: {} (id, version) pairs in {:.2?}",
            v.len(),
            t.elapsed()
        );

        let filter = ArticleFilter::public(Some("en"));
        let mut search_t = Vec::new();
        let mut suggest_t = Vec::new();
        let mut sentence_t = Vec::new();
        let (mut sh, mut gh, mut th) = (0, 0, 0);
        // warm-up, as a running server would be
        for q in corpus.queries.iter().take(50) {
            let _ = index.search_articles(q, &filter, 10);
        }
        for i in 0..queries {
            let q = rng.pick(&corpus.queries).clone();
            let q = if i % 2 == 0 {
                q
            } else {
                // short keyword queries as typed in a search box
                let a = rng.pick(&corpus.title_words).clone();
                let b = rng.pick(&corpus.title_words).clone();
                format!("{a} {b}")
            };
            let t = Instant::now();
            let r = index.search_articles(&q, &filter, 10).expect("search");
            search_t.push(t.elapsed());
            sh += (!r.hits.is_empty()) as usize;

            let full = rng.pick(&corpus.queries).clone();
            let typed = typing_prefix(&mut rng, &full);
            let t = Instant::now();
            let r = index.suggest_articles(&typed, &filter, 5).expect("suggest");
            suggest_t.push(t.elapsed());
            gh += (!r.hits.is_empty()) as usize;

            let sentence = rng.pick(&corpus.queries).clone();
            let t = Instant::now();
            let r = index
                .suggest_articles(&sentence, &filter, 5)
                .expect("suggest");
            sentence_t.push(t.elapsed());
            th += (!r.hits.is_empty()) as usize;
        }
        report("search (top 10)", search_t, sh);
        report("suggest, half-typed (top 5)", suggest_t, gh);
        report("suggest, sentence (top 5)", sentence_t, th);
    }

    // generate the tickets anyway: the queries come from the same random sequence
    let reuse = keep && articles == 0 && index.ticket_count() == tickets as u64;
    if keep && !reuse {
        index.clear().expect("clear");
        index.commit().expect("commit");
    }
    if tickets > 0 {
        let t = Instant::now();
        let mut messages = 0usize;
        let mut gen_time = Duration::ZERO;
        for id in 1..=tickets as i64 {
            let g = Instant::now();
            let doc = synthetic_ticket(&mut rng, &corpus, id);
            gen_time += g.elapsed();
            messages += doc.public_messages.len() + doc.internal_notes.len();
            if !reuse {
                index.upsert_ticket(&doc).expect("upsert ticket");
            }
            if id % 200_000 == 0 {
                println!("  {id} tickets queued after {:.1?}", t.elapsed());
            }
        }
        let c = Instant::now();
        index.commit().expect("commit");
        let total = t.elapsed() - gen_time;
        let m = Instant::now();
        if !reuse {
            index.optimize().expect("optimize");
        }
        println!(
            "tickets: optimize (merge into one segment) took {:.2?}",
            m.elapsed()
        );
        println!(
            "tickets: indexed {tickets} tickets with {messages} messages in {total:.2?} excluding generation (commit {:.2?}); {:.0} tickets/s",
            c.elapsed(),
            tickets as f64 / total.as_secs_f64()
        );
        let scopes = [
            (
                "customer",
                TicketScope::Customer {
                    customer_id: 4242,
                    organization_id: Some(77),
                },
            ),
            (
                "agent (2 teams)",
                TicketScope::Agent {
                    assignee_id: None,
                    team_ids: vec![3, 7],
                    include_unassigned: true,
                },
            ),
            (
                // as in production: each team term matches a large share of tickets
                "agent (7 teams, 35%)",
                TicketScope::Agent {
                    assignee_id: Some(5),
                    team_ids: (0..7).collect(),
                    include_unassigned: false,
                },
            ),
            ("supervisor", TicketScope::Everything),
        ];
        let mut dumped = String::new();
        for (name, scope) in scopes {
            if only_scope
                .as_ref()
                .is_some_and(|s| !name.contains(s.as_str()))
            {
                continue;
            }
            let mut times = Vec::new();
            let mut cpu = Vec::new();
            let mut hits = 0;
            for _ in 0..queries.min(1000) {
                let q = if rng.below(2) == 0 {
                    rng.pick(&corpus.queries).clone()
                } else {
                    format!(
                        "{} {}",
                        rng.pick(&corpus.title_words),
                        rng.pick(&corpus.title_words)
                    )
                };
                let c = thread_cpu();
                let t = Instant::now();
                let r = index
                    .search_tickets(&q, &scope, 20)
                    .expect("search tickets");
                times.push(t.elapsed());
                if let (Some(c0), Some(c1)) = (c, thread_cpu()) {
                    cpu.push(c1 - c0);
                }
                hits += (!r.hits.is_empty()) as usize;
                if dump.is_some() {
                    use std::fmt::Write;
                    let _ = write!(dumped, "{name}\t{q}\t{}", r.total);
                    for h in &r.hits {
                        let _ = write!(dumped, "\t{}:{:.4}", h.id, h.score);
                    }
                    dumped.push('\n');
                }
            }
            report(&format!("tickets, {name}"), times, hits);
            report_cpu(name, cpu);
        }
        if let Some(path) = &dump {
            std::fs::write(path, dumped).expect("write dump");
        }
    }
    let size: u64 = walk_size(&dir);
    println!("index size on disk: {:.0} MB", size as f64 / 1e6);
    drop(index);
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn walk_size(p: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    rd.filter_map(Result::ok)
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                walk_size(&path)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            }
        })
        .sum()
}
