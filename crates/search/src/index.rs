//! The tantivy index: two tantivy indexes (articles, tickets) side by side in one
//! directory, each with one writer behind a mutex and a manually reloaded reader, so a
//! search sees exactly what was committed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, FuzzyTermQuery, Occur,
    PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TERMINATED,
    TantivyDocument, Term,
};

use crate::query::{Plan, plan};
use crate::scope::{InScope, Scope, ScopeCache, ScopeQuery};
use crate::text::{
    PREFIXES, STEMMED, edge_ngrams, escape_html, markdown_to_plain, register_analyzers,
    stemmed_analyzer, truncate_words,
};
use crate::thesaurus::Thesaurus;
use crate::{
    Applied, ArticleDoc, ArticleFilter, ArticleHit, SearchError, SearchResults, TicketDoc,
    TicketHit, TicketScope,
};

/// Bump when the schema or the analyzers change: an index written with another value is
/// dropped and rebuilt on open (see [`SearchIndex::needs_rebuild`]).
const SCHEMA_VERSION: &str = "heard-search 3";
const MARKER_FILE: &str = "heard-search-schema";
const SNIPPET_CHARS: usize = 180;

/// Tuning of the writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexOptions {
    /// Indexing threads per writer (articles and tickets each have one writer).
    pub writer_threads: usize,
    /// Memory budget per writer, in bytes, shared by its threads (at least 15 MB a thread).
    pub writer_memory_bytes: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            writer_threads: 1,
            writer_memory_bytes: 50_000_000,
        }
    }
}

struct WriterState {
    /// Only `None` while [`SearchIndex::optimize`] swaps it.
    writer: Option<IndexWriter<TantivyDocument>>,
    /// Versions written or deleted (None) since the last commit: the reader cannot see
    /// them yet, but the stale-version check must.
    pending: HashMap<i64, Option<i64>>,
    /// `clear()` was called and not yet committed: committed versions no longer count.
    cleared: bool,
}

impl WriterState {
    fn w(&mut self) -> &mut IndexWriter<TantivyDocument> {
        self.writer
            .as_mut()
            .expect("writer present outside optimize")
    }
}

fn new_writer(index: &Index, opts: IndexOptions) -> tantivy::Result<IndexWriter<TantivyDocument>> {
    let threads = opts.writer_threads.max(1);
    index.writer_with_num_threads(threads, opts.writer_memory_bytes.max(15_000_000 * threads))
}

struct Part<F> {
    index: Index,
    opts: IndexOptions,
    reader: IndexReader,
    writer: Mutex<WriterState>,
    f: F,
    id: Field,
    version: Field,
}

#[derive(Clone, Copy)]
struct ArticleFields {
    slug: Field,
    title: Field,
    summary: Field,
    body: Field,
    tags: Field,
    category: Field,
    locale: Field,
    visibility: Field,
    prefix: Field,
}

#[derive(Clone, Copy)]
struct TicketFields {
    subject: Field,
    public: Field,
    internal: Field,
    access: Field,
    team: Field,
    status: Field,
    /// Numbers from another help desk the ticket was imported from (`DH-42`).
    reference: Field,
}

fn prose(stored: bool) -> TextOptions {
    let o = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(STEMMED)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored { o.set_stored() } else { o }
}

fn article_schema() -> (Schema, Field, Field, ArticleFields) {
    let mut b = Schema::builder();
    let id = b.add_i64_field("id", INDEXED | STORED | FAST);
    let version = b.add_i64_field("version", STORED | FAST);
    let f = ArticleFields {
        slug: b.add_text_field("slug", STRING | STORED),
        title: b.add_text_field("title", prose(true)),
        summary: b.add_text_field("summary", prose(true)),
        body: b.add_text_field("body", prose(true)),
        tags: b.add_text_field("tags", prose(false)),
        category: b.add_text_field("category", STRING | STORED),
        locale: b.add_text_field("locale", STRING),
        visibility: b.add_text_field("visibility", STRING),
        prefix: b.add_text_field(
            "prefix",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(PREFIXES)
                    .set_index_option(IndexRecordOption::Basic),
            ),
        ),
    };
    (b.build(), id, version, f)
}

fn ticket_schema() -> (Schema, Field, Field, TicketFields) {
    let mut b = Schema::builder();
    let id = b.add_i64_field("id", INDEXED | STORED | FAST);
    let version = b.add_i64_field("version", STORED | FAST);
    let f = TicketFields {
        subject: b.add_text_field("subject", prose(true)),
        public: b.add_text_field("public", prose(true)),
        internal: b.add_text_field("internal", prose(true)),
        access: b.add_text_field("access", STRING),
        team: b.add_text_field("team", STRING),
        status: b.add_text_field("status", STRING | STORED),
        reference: b.add_text_field("reference", STRING),
    };
    (b.build(), id, version, f)
}

impl<F> Part<F> {
    fn new(
        index: Index,
        id: Field,
        version: Field,
        f: F,
        opts: IndexOptions,
    ) -> Result<Part<F>, SearchError> {
        register_analyzers(index.tokenizers());
        let writer = new_writer(&index, opts)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Part {
            index,
            opts,
            reader,
            writer: Mutex::new(WriterState {
                writer: Some(writer),
                pending: HashMap::new(),
                cleared: false,
            }),
            f,
            id,
            version,
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, WriterState>, SearchError> {
        self.writer.lock().map_err(|_| SearchError::Poisoned)
    }

    fn committed_version(&self, id: i64) -> Result<Option<i64>, SearchError> {
        let searcher = self.reader.searcher();
        let term = Term::from_field_i64(self.id, id);
        let mut best = None;
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(self.id)?;
            let Some(mut postings) = inv.read_postings(&term, IndexRecordOption::Basic)? else {
                continue;
            };
            let versions = seg.fast_fields().i64("version")?;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if !seg.is_deleted(doc) {
                    best = best.max(versions.first(doc));
                }
                doc = postings.advance();
            }
        }
        Ok(best)
    }

    /// Whether `version` of `id` should be written (it is newer than what the index has).
    fn is_newer(&self, st: &WriterState, id: i64, version: i64) -> Result<bool, SearchError> {
        let known = match st.pending.get(&id) {
            Some(v) => *v,
            None if st.cleared => None,
            None => self.committed_version(id)?,
        };
        Ok(known.is_none_or(|k| version > k))
    }

    fn write(&self, id: i64, version: i64, doc: TantivyDocument) -> Result<Applied, SearchError> {
        let mut st = self.lock()?;
        if !self.is_newer(&st, id, version)? {
            return Ok(Applied::Stale);
        }
        st.w().delete_term(Term::from_field_i64(self.id, id));
        st.w().add_document(doc)?;
        st.pending.insert(id, Some(version));
        Ok(Applied::Written)
    }

    fn delete(&self, id: i64) -> Result<(), SearchError> {
        let mut st = self.lock()?;
        st.w().delete_term(Term::from_field_i64(self.id, id));
        st.pending.insert(id, None);
        Ok(())
    }

    fn clear(&self) -> Result<(), SearchError> {
        let mut st = self.lock()?;
        st.w().delete_all_documents()?;
        st.pending.clear();
        st.cleared = true;
        Ok(())
    }

    fn commit(&self) -> Result<(), SearchError> {
        let mut st = self.lock()?;
        st.w().commit()?;
        st.pending.clear();
        st.cleared = false;
        // Reload while still holding the lock, so a later upsert's stale check reads the
        // state this commit produced.
        self.reader.reload()?;
        Ok(())
    }

    fn optimize(&self) -> Result<(), SearchError> {
        let mut st = self.lock()?;
        if !st.pending.is_empty() || st.cleared {
            st.w().commit()?;
            st.pending.clear();
            st.cleared = false;
        }
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() > 1 {
            st.w().merge(&ids).wait()?;
        }
        if let Some(w) = st.writer.take() {
            w.wait_merging_threads()?;
        }
        st.writer = Some(new_writer(&self.index, self.opts)?);
        self.reader.reload()?;
        Ok(())
    }

    fn versions(&self) -> Result<BTreeMap<i64, i64>, SearchError> {
        let searcher = self.reader.searcher();
        let mut out = BTreeMap::new();
        for seg in searcher.segment_readers() {
            let ids = seg.fast_fields().i64("id")?;
            let versions = seg.fast_fields().i64("version")?;
            for doc in seg.doc_ids_alive() {
                if let (Some(id), Some(v)) = (ids.first(doc), versions.first(doc)) {
                    out.insert(id, v);
                }
            }
        }
        Ok(out)
    }

    fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

/// heard's search index. Cheap to share behind an `Arc`; every method takes `&self`.
///
/// Writes are buffered until [`SearchIndex::commit`]; searches see the last commit.
pub struct SearchIndex {
    articles: Part<ArticleFields>,
    tickets: Part<TicketFields>,
    /// Ticket access scopes as bitsets, per segment.
    scopes: Arc<ScopeCache>,
    thesaurus: Thesaurus,
    analyzer: TextAnalyzer,
    created: bool,
}

/// Opens the index in `path`, or creates it when missing or written by another schema.
/// Returns the index and whether it was (re)created.
fn open_or_create_dir(path: &Path, schema: Schema) -> Result<(Index, bool), SearchError> {
    let has_index = path.join("meta.json").exists();
    if has_index {
        match Index::open_in_dir(path) {
            Ok(index) => return Ok((index, false)),
            Err(tantivy::TantivyError::SchemaError(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if path.exists() {
        std::fs::remove_dir_all(path)?;
    }
    std::fs::create_dir_all(path)?;
    Ok((Index::create_in_dir(path, schema)?, true))
}

impl SearchIndex {
    /// Opens the index stored in `dir`, creating it when missing. An index written by an
    /// older schema is dropped and recreated empty; [`SearchIndex::needs_rebuild`] then
    /// says so, and the caller should run a reindex from the database.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        SearchIndex::open_with(dir, IndexOptions::default(), Thesaurus::builtin())
    }

    /// [`SearchIndex::open`] with explicit writer options and thesaurus.
    pub fn open_with(
        dir: &Path,
        opts: IndexOptions,
        thesaurus: Thesaurus,
    ) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir)?;
        let marker = dir.join(MARKER_FILE);
        let same_schema = std::fs::read_to_string(&marker)
            .map(|s| s.trim() == SCHEMA_VERSION)
            .unwrap_or(false);
        if !same_schema {
            for sub in ["articles", "tickets"] {
                let p = dir.join(sub);
                if p.exists() {
                    std::fs::remove_dir_all(&p)?;
                }
            }
        }
        let (a_schema, a_id, a_ver, a_f) = article_schema();
        let (t_schema, t_id, t_ver, t_f) = ticket_schema();
        let (a_index, a_new) = open_or_create_dir(&dir.join("articles"), a_schema)?;
        let (t_index, t_new) = open_or_create_dir(&dir.join("tickets"), t_schema)?;
        std::fs::write(&marker, format!("{SCHEMA_VERSION}\n"))?;
        Ok(SearchIndex {
            articles: Part::new(a_index, a_id, a_ver, a_f, opts)?,
            tickets: Part::new(t_index, t_id, t_ver, t_f, opts)?,
            scopes: Arc::default(),
            thesaurus,
            analyzer: stemmed_analyzer(),
            created: a_new || t_new,
        })
    }

    /// An index in memory, for tests and tools.
    pub fn in_ram() -> SearchIndex {
        SearchIndex::in_ram_with(IndexOptions::default(), Thesaurus::builtin())
    }

    /// [`SearchIndex::in_ram`] with explicit options and thesaurus.
    pub fn in_ram_with(opts: IndexOptions, thesaurus: Thesaurus) -> SearchIndex {
        let (a_schema, a_id, a_ver, a_f) = article_schema();
        let (t_schema, t_id, t_ver, t_f) = ticket_schema();
        let build = || -> Result<SearchIndex, SearchError> {
            Ok(SearchIndex {
                articles: Part::new(Index::create_in_ram(a_schema), a_id, a_ver, a_f, opts)?,
                tickets: Part::new(Index::create_in_ram(t_schema), t_id, t_ver, t_f, opts)?,
                scopes: Arc::default(),
                thesaurus,
                analyzer: stemmed_analyzer(),
                created: true,
            })
        };
        build().expect("an in-memory index always opens")
    }

    /// True when this open created the index (new directory or schema change): it is
    /// empty and must be filled from the database.
    pub fn needs_rebuild(&self) -> bool {
        self.created
    }

    // ----- writing

    /// Adds or replaces an article. Idempotent; a version not newer than the indexed one
    /// is ignored ([`Applied::Stale`]), so replays and out-of-order deliveries are safe.
    pub fn upsert_article(&self, a: &ArticleDoc) -> Result<Applied, SearchError> {
        let p = &self.articles;
        let f = p.f;
        let mut d = TantivyDocument::default();
        d.add_i64(p.id, a.id);
        d.add_i64(p.version, a.version);
        d.add_text(f.slug, &a.slug);
        d.add_text(f.title, &a.title);
        d.add_text(f.summary, markdown_to_plain(&a.summary));
        d.add_text(f.body, markdown_to_plain(&a.body));
        for t in &a.tags {
            d.add_text(f.tags, t);
        }
        if !a.category.is_empty() {
            // the category's words are searchable like tags ("Network/Wi-Fi")
            d.add_text(f.tags, a.category.replace('/', " "));
        }
        d.add_text(f.category, &a.category);
        d.add_text(f.locale, &a.locale);
        d.add_text(f.visibility, a.visibility.as_str());
        let mut prefix_src = a.title.clone();
        for t in &a.tags {
            prefix_src.push(' ');
            prefix_src.push_str(t);
        }
        d.add_text(f.prefix, edge_ngrams(&prefix_src));
        p.write(a.id, a.version, d)
    }

    /// Removes an article (no error when absent).
    pub fn delete_article(&self, id: i64) -> Result<(), SearchError> {
        self.articles.delete(id)
    }

    /// Adds or replaces a ticket; same version rules as [`SearchIndex::upsert_article`].
    pub fn upsert_ticket(&self, t: &TicketDoc) -> Result<Applied, SearchError> {
        let p = &self.tickets;
        let f = p.f;
        let mut d = TantivyDocument::default();
        d.add_i64(p.id, t.id);
        d.add_i64(p.version, t.version);
        d.add_text(f.subject, &t.subject);
        d.add_text(f.public, t.public_messages.join("\n\n"));
        d.add_text(f.internal, t.internal_notes.join("\n\n"));
        d.add_text(f.access, format!("u:{}", t.requester_id));
        if let (Some(org), true) = (t.organization_id, t.org_shared) {
            d.add_text(f.access, format!("o:{org}"));
        }
        d.add_text(
            f.team,
            t.team_id
                .map_or_else(|| "none".to_string(), |id| format!("t:{id}")),
        );
        if let Some(a) = t.assignee_id {
            d.add_text(f.team, format!("a:{a}"));
        }
        d.add_text(f.status, &t.status);
        // Whole, lower-cased (`dh-42`), and the number alone (`42`): a search for either,
        // as typed, finds the ticket first.
        for r in &t.references {
            let r = r.trim().to_lowercase();
            if let Some((_, number)) = r.split_once('-') {
                d.add_text(f.reference, number);
            }
            d.add_text(f.reference, &r);
        }
        p.write(t.id, t.version, d)
    }

    /// Removes a ticket (no error when absent).
    pub fn delete_ticket(&self, id: i64) -> Result<(), SearchError> {
        self.tickets.delete(id)
    }

    /// Makes every write since the last commit durable and visible, atomically per kind.
    /// Call it after a batch, not after every document: a commit costs milliseconds.
    pub fn commit(&self) -> Result<(), SearchError> {
        self.articles.commit()?;
        self.tickets.commit()
    }

    /// Commits, merges all segments into one and waits for it. Call it after a bulk load
    /// (`heard reindex`): a fresh index has many segments, and every search visits each.
    /// It rewrites the whole index, so not after every small batch.
    pub fn optimize(&self) -> Result<(), SearchError> {
        self.articles.optimize()?;
        self.tickets.optimize()
    }

    /// Empties the index, for a rebuild: searches keep seeing the old contents until the
    /// next [`SearchIndex::commit`], so a reindex is clear + upserts + commit.
    pub fn clear(&self) -> Result<(), SearchError> {
        self.articles.clear()?;
        self.tickets.clear()
    }

    /// Indexed article ids with their versions (committed state), for drift checks.
    pub fn article_versions(&self) -> Result<BTreeMap<i64, i64>, SearchError> {
        self.articles.versions()
    }

    /// Indexed ticket ids with their versions (committed state), for drift checks.
    pub fn ticket_versions(&self) -> Result<BTreeMap<i64, i64>, SearchError> {
        self.tickets.versions()
    }

    /// Number of committed articles.
    pub fn article_count(&self) -> u64 {
        self.articles.num_docs()
    }

    /// Number of committed tickets.
    pub fn ticket_count(&self) -> u64 {
        self.tickets.num_docs()
    }

    // ----- searching

    /// Full search of articles, for the knowledge base's search page.
    pub fn search_articles(
        &self,
        text: &str,
        filter: &ArticleFilter,
        limit: usize,
    ) -> Result<SearchResults<ArticleHit>, SearchError> {
        self.find_articles(text, filter, limit, false)
    }

    /// Suggestions while a customer types a new ticket: takes the whole draft (a sentence
    /// or more), treats an unfinished last word as a prefix, and favours titles. Built for
    /// speed: `total` is only the number of suggestions returned.
    pub fn suggest_articles(
        &self,
        text: &str,
        filter: &ArticleFilter,
        limit: usize,
    ) -> Result<SearchResults<ArticleHit>, SearchError> {
        self.find_articles(text, filter, limit, true)
    }

    fn plan(&self, text: &str, typing: bool) -> Plan {
        // Long drafts: the first words carry the problem; bound the cost of the query.
        let bounded: String = text.chars().take(400).collect();
        plan(
            &mut self.analyzer.clone(),
            &self.thesaurus,
            &bounded,
            typing,
        )
    }

    fn find_articles(
        &self,
        text: &str,
        filter: &ArticleFilter,
        limit: usize,
        typing: bool,
    ) -> Result<SearchResults<ArticleHit>, SearchError> {
        let plan = self.plan(text, typing);
        if plan.is_empty() || filter.visibilities.is_empty() || limit == 0 {
            return Ok(empty());
        }
        let p = &self.articles;
        let f = p.f;
        let searcher = p.reader.searcher();
        // Suggestions must answer within a few milliseconds on every keystroke: the long
        // body counts only through single words, not phrases or thesaurus alternatives.
        let all = [
            (f.title, 3.0),
            (f.tags, 2.0),
            (f.summary, 1.5),
            (f.body, 1.0),
        ];
        let short = [(f.title, 3.0), (f.tags, 2.0), (f.summary, 1.5)];
        let weights = if typing {
            Weights {
                terms: &[
                    (f.title, 3.0),
                    (f.tags, 2.0),
                    (f.summary, 1.5),
                    (f.body, 0.5),
                ],
                fuzzy: &[(f.title, 2.0)],
                pairs: &[(f.title, 2.0), (f.tags, 1.5), (f.summary, 1.0)],
                synonyms: &short,
            }
        } else {
            Weights {
                terms: &all,
                fuzzy: &[(f.title, 2.0), (f.body, 1.0)],
                pairs: &[(f.title, 2.0), (f.body, 1.0)],
                synonyms: &all,
            }
        };
        let mut scoring = text_clauses(&searcher, &plan, &weights, None)?;
        if let Some(prefix) = &plan.prefix {
            let t = Term::from_field_text(f.prefix, prefix);
            scoring.push(boost(
                Box::new(TermQuery::new(t, IndexRecordOption::Basic)),
                2.0,
            ));
        }
        let mut must: Vec<Box<dyn Query>> = vec![should(scoring)];
        for q in &plan.quoted {
            must.push(dismax(
                [(f.title, 1.0), (f.summary, 1.0), (f.body, 1.0)]
                    .iter()
                    .map(|&(fld, w)| boost(phrase(fld, q, 0), w))
                    .collect(),
                0.1,
            ));
        }
        let vis: Vec<Box<dyn Query>> = filter
            .visibilities
            .iter()
            .map(|v| term_q(f.visibility, v.as_str()))
            .collect();
        must.push(Box::new(ConstScoreQuery::new(should(vis), 0.0)));
        if let Some(locale) = &filter.locale {
            must.push(Box::new(ConstScoreQuery::new(
                term_q(f.locale, locale),
                0.0,
            )));
        }
        let query = BooleanQuery::new(must.into_iter().map(|q| (Occur::Must, q)).collect());

        // Counting visits every match; suggestions do not show a count, so skip it.
        let (total, top) = if typing {
            let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
            (top.len(), top)
        } else {
            searcher.search(
                &query,
                &(Count, TopDocs::with_limit(limit).order_by_score()),
            )?
        };
        let highlight = self.snippets(&plan, f.body);
        let highlight_summary = self.snippets(&plan, f.summary);
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let body = str_of(&doc, f.body);
            let summary = str_of(&doc, f.summary);
            // While typing, the summary says best what the article is about; on the search
            // page, the passage where the words are.
            let order = if typing {
                [(&highlight_summary, summary), (&highlight, body)]
            } else {
                [(&highlight, body), (&highlight_summary, summary)]
            };
            let snippet_html = order
                .iter()
                .find_map(|(g, t)| marked(g, t))
                .unwrap_or_else(|| {
                    let fallback = if summary.is_empty() { body } else { summary };
                    escape_html(&truncate_words(fallback, SNIPPET_CHARS))
                });
            hits.push(ArticleHit {
                id: i64_of(&doc, p.id),
                slug: str_of(&doc, f.slug).to_string(),
                title: str_of(&doc, f.title).to_string(),
                score,
                snippet_html,
            });
        }
        Ok(SearchResults { total, hits })
    }

    /// Searches tickets and their messages within `scope`. The scope is a required clause
    /// of the query, so neither hits nor `total` ever include a ticket outside it.
    pub fn search_tickets(
        &self,
        text: &str,
        scope: &TicketScope,
        limit: usize,
    ) -> Result<SearchResults<TicketHit>, SearchError> {
        let reference = text.trim().to_lowercase();
        let plan = self.plan(text, false);
        if plan.is_empty() || limit == 0 {
            return Ok(empty());
        }
        let p = &self.tickets;
        let f = p.f;
        let customer = matches!(scope, TicketScope::Customer { .. });
        let fields: &[(Field, f32)] = if customer {
            &[(f.subject, 2.0), (f.public, 1.0)]
        } else {
            &[(f.subject, 2.0), (f.public, 1.0), (f.internal, 0.8)]
        };
        let searcher = p.reader.searcher();
        // Message texts are long and there are millions: phrases (pairs) only in subjects,
        // spelling variants only in subjects, thesaurus alternatives not in internal notes.
        let weights = Weights {
            terms: fields,
            fuzzy: &fields[..1],
            pairs: &fields[..1],
            synonyms: &fields[..2],
        };
        let text = |t: String| Term::from_field_text(f.access, &t);
        let team = |t: String| Term::from_field_text(f.team, &t);
        let scope = match scope {
            TicketScope::Customer {
                customer_id,
                organization_id,
            } => {
                let mut terms = vec![text(format!("u:{customer_id}"))];
                if let Some(org) = organization_id {
                    terms.push(text(format!("o:{org}")));
                }
                Some(terms)
            }
            TicketScope::Agent {
                assignee_id,
                team_ids,
                include_unassigned,
            } => {
                let mut terms: Vec<Term> =
                    team_ids.iter().map(|t| team(format!("t:{t}"))).collect();
                if let Some(a) = assignee_id {
                    terms.push(team(format!("a:{a}")));
                }
                if *include_unassigned {
                    terms.push(team("none".to_string()));
                }
                Some(terms)
            }
            TicketScope::Everything => None,
        }
        .map(|terms| Scope::new(terms, self.scopes.clone()));
        let mut scoring = text_clauses(&searcher, &plan, &weights, scope.as_ref())?;
        // The number a ticket had in a help desk it was imported from, typed as it was.
        scoring.push(Box::new(BoostQuery::new(
            in_scope(term_q(f.reference, &reference), scope.as_ref()),
            20.0,
        )));
        let mut must: Vec<Box<dyn Query>> = vec![should(scoring)];
        for q in &plan.quoted {
            must.push(dismax(
                fields
                    .iter()
                    .map(|&(fld, _)| in_scope(phrase(fld, q, 0), scope.as_ref()))
                    .collect(),
                0.1,
            ));
        }
        if let Some(scope) = scope {
            // the guarantee: whatever the scoring clauses, nothing outside the scope matches
            must.push(Box::new(ScopeQuery(scope)));
        }
        let query = BooleanQuery::new(must.into_iter().map(|q| (Occur::Must, q)).collect());
        let (total, top) = searcher.search(
            &query,
            &(Count, TopDocs::with_limit(limit).order_by_score()),
        )?;
        let g_public = self.snippets(&plan, f.public);
        let g_internal = self.snippets(&plan, f.internal);
        let g_subject = self.snippets(&plan, f.subject);
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let public = str_of(&doc, f.public);
            let (snippet_html, internal) = match marked(&g_public, public) {
                Some(s) => (s, false),
                None if !customer => match marked(&g_internal, str_of(&doc, f.internal)) {
                    Some(s) => (s, true),
                    None => (fallback_snippet(&g_subject, &doc, f.subject, public), false),
                },
                None => (fallback_snippet(&g_subject, &doc, f.subject, public), false),
            };
            hits.push(TicketHit {
                id: i64_of(&doc, p.id),
                subject: str_of(&doc, f.subject).to_string(),
                status: str_of(&doc, f.status).to_string(),
                score,
                snippet_html,
                snippet_is_internal: internal,
            });
        }
        Ok(SearchResults { total, hits })
    }

    fn snippets(&self, plan: &Plan, field: Field) -> SnippetGenerator {
        let terms: BTreeMap<String, f32> = plan
            .highlight_terms()
            .into_iter()
            .map(|t| (t, 1.0))
            .collect();
        SnippetGenerator::new(terms, self.analyzer.clone(), field, SNIPPET_CHARS)
    }

    /// Explains the first hit's score for `text` (a debugging aid for ranking work).
    pub fn explain_article(&self, text: &str, id: i64) -> Option<String> {
        let plan = self.plan(text, false);
        let p = &self.articles;
        let f = p.f;
        let searcher = p.reader.searcher();
        let all = [
            (f.title, 3.0),
            (f.tags, 2.0),
            (f.summary, 1.5),
            (f.body, 1.0),
        ];
        let weights = Weights {
            terms: &all,
            fuzzy: &[(f.title, 2.0), (f.body, 1.0)],
            pairs: &[(f.title, 2.0), (f.body, 1.0)],
            synonyms: &all,
        };
        let clauses = text_clauses(&searcher, &plan, &weights, None).ok()?;
        let q = should(clauses);
        let addr = find_doc(&searcher, p.id, id)?;
        q.explain(&searcher, addr).ok().map(|e| e.to_pretty_json())
    }
}

fn find_doc(searcher: &Searcher, id_field: Field, id: i64) -> Option<DocAddress> {
    let q = TermQuery::new(Term::from_field_i64(id_field, id), IndexRecordOption::Basic);
    let top = searcher
        .search(&q, &TopDocs::with_limit(1).order_by_score())
        .ok()?;
    top.first().map(|(_, a)| *a)
}

fn empty<H>() -> SearchResults<H> {
    SearchResults {
        total: 0,
        hits: Vec::new(),
    }
}

fn str_of(doc: &TantivyDocument, f: Field) -> &str {
    doc.get_first(f).and_then(|v| v.as_str()).unwrap_or("")
}

fn i64_of(doc: &TantivyDocument, f: Field) -> i64 {
    doc.get_first(f)
        .and_then(|v| v.as_i64())
        .unwrap_or_default()
}

fn marked(generator: &SnippetGenerator, text: &str) -> Option<String> {
    let mut s = generator.snippet(text);
    if s.is_empty() {
        return None;
    }
    s.set_snippet_prefix_postfix("<mark>", "</mark>");
    Some(s.to_html())
}

fn fallback_snippet(
    g: &SnippetGenerator,
    doc: &TantivyDocument,
    subject: Field,
    public: &str,
) -> String {
    marked(g, str_of(doc, subject))
        .unwrap_or_else(|| escape_html(&truncate_words(public, SNIPPET_CHARS)))
}

fn boost(q: Box<dyn Query>, w: f32) -> Box<dyn Query> {
    if (w - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, w))
    }
}

fn dismax(qs: Vec<Box<dyn Query>>, tie: f32) -> Box<dyn Query> {
    Box::new(DisjunctionMaxQuery::with_tie_breaker(qs, tie))
}

fn should(qs: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        qs.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

fn term_q(f: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(f, value),
        IndexRecordOption::Basic,
    ))
}

fn phrase(f: Field, terms: &[String], slop: u32) -> Box<dyn Query> {
    if terms.len() == 1 {
        return Box::new(TermQuery::new(
            Term::from_field_text(f, &terms[0]),
            IndexRecordOption::WithFreqs,
        ));
    }
    let mut q = PhraseQuery::new(terms.iter().map(|t| Term::from_field_text(f, t)).collect());
    q.set_slop(slop);
    Box::new(q)
}

/// `q` restricted to `scope`, when there is one (see [`InScope`]).
fn in_scope(q: Box<dyn Query>, scope: Option<&Scope>) -> Box<dyn Query> {
    match scope {
        Some(scope) => Box::new(InScope {
            inner: q,
            scope: scope.clone(),
        }),
        None => q,
    }
}

/// Which fields each kind of clause looks in, with weights.
struct Weights<'a> {
    terms: &'a [(Field, f32)],
    fuzzy: &'a [(Field, f32)],
    pairs: &'a [(Field, f32)],
    synonyms: &'a [(Field, f32)],
}

/// The scoring clauses for a plan over weighted prose fields:
/// - each meaningful word: its best field (title counts most), or a near spelling of it
///   when the word is not in the index as typed;
/// - each thesaurus match: its best alternative;
/// - each pair of adjacent words found together in that order (phrase boost).
fn text_clauses(
    searcher: &Searcher,
    plan: &Plan,
    w: &Weights<'_>,
    scope: Option<&Scope>,
) -> Result<Vec<Box<dyn Query>>, SearchError> {
    let leaf = |q: Box<dyn Query>| in_scope(q, scope);
    let (fields, fuzzy_fields, phrase_fields) = (w.terms, w.fuzzy, w.pairs);
    let n_docs = searcher.num_docs();
    let mut out: Vec<Box<dyn Query>> = Vec::new();
    for term in &plan.terms {
        let mut alts: Vec<Box<dyn Query>> = Vec::with_capacity(fields.len());
        for (i, &(f, w)) in fields.iter().enumerate() {
            let t = Term::from_field_text(f, term);
            // A word in most long texts says little (low idf) but costs the most to
            // score: outside the first field (title, subject) it is left out past a
            // third of the documents — the "common terms" cut-off.
            if i > 0 && n_docs >= 1_000 && searcher.doc_freq(&t)? > n_docs / 3 {
                continue;
            }
            alts.push(boost(
                leaf(Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs))),
                w,
            ));
        }
        let len = term.chars().count();
        if len >= 5 && !term.chars().any(|c| c.is_ascii_digit()) {
            // A word the index (almost) never saw is probably misspelt: also accept
            // words one edit away (two for long words). Known words are left alone,
            // which keeps "print" from matching "paint".
            let mut df = 0;
            for &(f, _) in fuzzy_fields {
                df += searcher.doc_freq(&Term::from_field_text(f, term))?;
            }
            if df <= n_docs / 20_000 {
                let distance = if len >= 8 { 2 } else { 1 };
                for &(f, w) in fuzzy_fields {
                    alts.push(boost(
                        leaf(Box::new(FuzzyTermQuery::new(
                            Term::from_field_text(f, term),
                            distance,
                            true,
                        ))),
                        w,
                    ));
                }
            }
        }
        out.push(dismax(alts, 0.2));
    }
    for alts in &plan.synonyms {
        let mut qs: Vec<Box<dyn Query>> = Vec::new();
        for alt in alts {
            // multi-word alternatives are phrases: only in fields where phrases are
            // affordable (those of the pairs)
            for &(f, weight) in w.synonyms {
                if alt.len() > 1 && !w.pairs.iter().any(|&(pf, _)| pf == f) {
                    continue;
                }
                qs.push(boost(leaf(phrase(f, alt, 0)), weight));
            }
        }
        out.push(boost(dismax(qs, 0.1), 0.8));
    }
    for pair in &plan.pairs {
        let qs = phrase_fields
            .iter()
            .map(|&(f, w)| boost(leaf(phrase(f, pair, 1)), w))
            .collect();
        out.push(boost(dismax(qs, 0.1), 0.5));
    }
    Ok(out)
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<SearchIndex>();
}
