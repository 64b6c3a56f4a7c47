//! The knowledge base and self-service: articles with visibility rules, version history
//! and restore, Markdown rendered to sanitised HTML, readable slugs; search and
//! suggestions over the embedded index (heard-search), ticket search with the caller's
//! access rules inside the query; "did this help?" feedback, deflection events, the
//! knowledge-gap report, and a resolved ticket turned into a draft article.
//!
//! The index follows the database through the `search_outbox` table, written in the same
//! transaction as every article and ticket change. [`Search::sync`] reads the outbox from
//! this process's cursor (persisted next to the index), applies the changed documents
//! (idempotent by version), commits the index and only then moves the cursor: a crash
//! between the database commit and the index update loses nothing, and writes made by
//! other `heard serve` processes sharing PostgreSQL reach this process's index too.

use crate::views::rfc3339;
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::Role;
use heard_search::{
    ArticleDoc, ArticleFilter, Drift, SearchIndex, TicketDoc, TicketScope as IndexScope,
    Visibility, import::ArticleDraft, import::slugify,
};
use heard_store::{ArticleContent, ArticleRow, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use utoipa::{IntoParams, ToSchema};

/// How long a hole in the outbox ids is waited for before it is skipped. PostgreSQL hands
/// out ids before commit, so a slower transaction can commit a smaller id after a larger
/// one; a hole older than this is a rolled-back transaction.
const GAP_PATIENCE: Duration = Duration::from_secs(10);
const OUTBOX_BATCH: i64 = 500;
const CURSOR_FILE: &str = "outbox-cursor";

/// The way to a person that every self-service answer carries: no dead ends.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    pub message: String,
    /// The portal page where a new request is written.
    pub new_request_url: String,
    /// The API to open a ticket.
    pub api: String,
}

pub fn contact() -> Contact {
    Contact {
        message:
            "Still stuck? Ask a person: write to us and someone from the help desk will answer."
                .into(),
        new_request_url: "/".into(),
        api: "POST /api/v1/tickets".into(),
    }
}

// ---------------------------------------------------------------- the index and its sync

struct SyncState {
    /// Every outbox row up to here is in the index.
    cursor: i64,
    /// Rows above the cursor already applied (while waiting for a hole below them).
    applied_above: BTreeSet<i64>,
    /// Since when the hole right above the cursor has been waited for.
    hole_since: Option<(i64, Instant)>,
    needs_rebuild: bool,
}

struct SearchInner {
    /// Created on first use for the in-memory kind, so tools that never search pay nothing.
    index: std::sync::OnceLock<SearchIndex>,
    dir: Option<PathBuf>,
    sync: tokio::sync::Mutex<SyncState>,
}

/// This process's search index and its position in the outbox. Cheap to clone.
#[derive(Clone)]
pub struct Search {
    inner: Arc<SearchInner>,
}

impl Search {
    /// An index in memory, filled from the database on first use (tests, tools).
    pub fn in_ram() -> Search {
        Search::from_index(None, None, 0, true)
    }

    /// The index stored in `dir` (`<data-dir>/index`), with its outbox cursor beside it.
    pub fn open(dir: &Path) -> Result<Search> {
        let index = SearchIndex::open(dir).map_err(internal)?;
        let cursor = std::fs::read_to_string(dir.join(CURSOR_FILE))
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok());
        let rebuild = index.needs_rebuild() || cursor.is_none();
        Ok(Search::from_index(
            Some(index),
            Some(dir.to_path_buf()),
            cursor.unwrap_or(0),
            rebuild,
        ))
    }

    fn from_index(
        index: Option<SearchIndex>,
        dir: Option<PathBuf>,
        cursor: i64,
        rebuild: bool,
    ) -> Search {
        let cell = std::sync::OnceLock::new();
        if let Some(index) = index {
            let _ = cell.set(index);
        }
        Search {
            inner: Arc::new(SearchInner {
                index: cell,
                dir,
                sync: tokio::sync::Mutex::new(SyncState {
                    cursor,
                    applied_above: BTreeSet::new(),
                    hole_since: None,
                    needs_rebuild: rebuild,
                }),
            }),
        }
    }

    pub fn index(&self) -> &SearchIndex {
        self.inner.index.get_or_init(SearchIndex::in_ram)
    }

    fn persist_cursor(&self, cursor: i64) -> Result<()> {
        if let Some(dir) = &self.inner.dir {
            let tmp = dir.join(format!("{CURSOR_FILE}.tmp"));
            std::fs::write(&tmp, format!("{cursor}\n")).map_err(internal)?;
            std::fs::rename(&tmp, dir.join(CURSOR_FILE)).map_err(internal)?;
        }
        Ok(())
    }

    /// Brings the index up to date with the outbox (a full rebuild first if the index is
    /// new). Returns how many outbox rows were applied.
    pub async fn sync(&self, store: &heard_store::Store) -> Result<usize> {
        let mut st = self.inner.sync.lock().await;
        self.sync_locked(store, &mut st).await
    }

    /// Like [`Search::sync`], but returns at once when another task is already syncing
    /// (searches call this: they should not queue behind each other).
    pub async fn try_sync(&self, store: &heard_store::Store) -> Result<()> {
        if let Ok(mut st) = self.inner.sync.try_lock() {
            self.sync_locked(store, &mut st).await?;
        }
        Ok(())
    }

    async fn sync_locked(&self, store: &heard_store::Store, st: &mut SyncState) -> Result<usize> {
        if st.needs_rebuild {
            self.rebuild_locked(store, st).await?;
        }
        let mut applied = 0;
        loop {
            let rows = store.outbox_after(st.cursor, OUTBOX_BATCH).await?;
            let fresh: Vec<_> = rows
                .iter()
                .filter(|r| !st.applied_above.contains(&r.id))
                .collect();
            if !fresh.is_empty() {
                let mut articles = BTreeSet::new();
                let mut tickets = BTreeSet::new();
                for r in &fresh {
                    match r.entity.as_str() {
                        "article" => articles.insert(r.entity_id),
                        _ => tickets.insert(r.entity_id),
                    };
                }
                let articles: Vec<i64> = articles.into_iter().collect();
                let tickets: Vec<i64> = tickets.into_iter().collect();
                self.apply_articles(store, &articles).await?;
                self.apply_tickets(store, &tickets).await?;
                self.index().commit().map_err(internal)?;
                applied += fresh.len();
            }
            // Move the cursor over the contiguous run; remember what lies above a hole.
            let mut cursor = st.cursor;
            for r in &rows {
                st.applied_above.insert(r.id);
            }
            loop {
                if st.applied_above.remove(&(cursor + 1)) {
                    cursor += 1;
                    st.hole_since = None;
                    continue;
                }
                let Some(&next) = st.applied_above.iter().next() else {
                    break;
                };
                // A hole at cursor + 1: wait for it a while, then skip it.
                match st.hole_since {
                    Some((at, since)) if at == cursor + 1 && since.elapsed() > GAP_PATIENCE => {
                        cursor = next - 1;
                        st.hole_since = None;
                    }
                    Some((at, _)) if at == cursor + 1 => break,
                    _ => {
                        st.hole_since = Some((cursor + 1, Instant::now()));
                        break;
                    }
                }
            }
            if cursor != st.cursor {
                st.cursor = cursor;
                self.persist_cursor(cursor)?;
            }
            if (rows.len() as i64) < OUTBOX_BATCH {
                break;
            }
        }
        Ok(applied)
    }

    async fn apply_articles(&self, store: &heard_store::Store, ids: &[i64]) -> Result<()> {
        for chunk in ids.chunks(500) {
            let rows = store.articles_by_ids(chunk).await?;
            let tags = store.tags_of_articles(chunk).await?;
            let mut found = BTreeSet::new();
            for a in rows {
                found.insert(a.id);
                let doc = article_doc(&a, tags.get(&a.id).cloned().unwrap_or_default());
                self.index().upsert_article(&doc).map_err(internal)?;
            }
            for id in chunk.iter().filter(|id| !found.contains(id)) {
                self.index().delete_article(*id).map_err(internal)?;
            }
        }
        Ok(())
    }

    async fn apply_tickets(&self, store: &heard_store::Store, ids: &[i64]) -> Result<()> {
        for chunk in ids.chunks(200) {
            let rows = store.tickets_for_index(Some(chunk), 0, 0).await?;
            let mut found = BTreeSet::new();
            for t in rows {
                found.insert(t.id);
                self.index()
                    .upsert_ticket(&ticket_doc(t))
                    .map_err(internal)?;
            }
            for id in chunk.iter().filter(|id| !found.contains(id)) {
                self.index().delete_ticket(*id).map_err(internal)?;
            }
        }
        Ok(())
    }

    /// Rebuilds the whole index from the database (`heard reindex`).
    pub async fn rebuild(&self, store: &heard_store::Store) -> Result<RebuildReport> {
        let mut st = self.inner.sync.lock().await;
        let report = self.rebuild_locked(store, &mut st).await?;
        self.sync_locked(store, &mut st).await?;
        Ok(report)
    }

    async fn rebuild_locked(
        &self,
        store: &heard_store::Store,
        st: &mut SyncState,
    ) -> Result<RebuildReport> {
        let started = Instant::now();
        // Everything up to here is in what we read next; later rows are replayed after.
        let high_water = store.outbox_max().await?;
        let index = self.index();
        index.clear().map_err(internal)?;
        let mut articles = 0usize;
        let mut after = None;
        loop {
            let rows = store
                .articles(&["public", "internal", "draft"], None, after, 1000)
                .await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.id);
            let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
            let tags = store.tags_of_articles(&ids).await?;
            for a in &rows {
                let doc = article_doc(a, tags.get(&a.id).cloned().unwrap_or_default());
                index.upsert_article(&doc).map_err(internal)?;
                articles += 1;
            }
        }
        let mut tickets = 0usize;
        let mut after = 0;
        loop {
            let rows = store.tickets_for_index(None, after, 500).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            for t in rows {
                index.upsert_ticket(&ticket_doc(t)).map_err(internal)?;
                tickets += 1;
            }
        }
        index.commit().map_err(internal)?;
        index.optimize().map_err(internal)?;
        st.cursor = high_water;
        st.applied_above.clear();
        st.hole_since = None;
        st.needs_rebuild = false;
        self.persist_cursor(high_water)?;
        Ok(RebuildReport {
            articles,
            tickets,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Compares the index with the database (after catching up with the outbox).
    pub async fn drift(&self, store: &heard_store::Store) -> Result<IndexDrift> {
        self.sync(store).await?;
        let index = self.index();
        let articles = Drift::between(
            &store.article_versions_all().await?,
            &index.article_versions().map_err(internal)?,
        );
        let tickets = Drift::between(
            &store.ticket_versions_all().await?,
            &index.ticket_versions().map_err(internal)?,
        );
        Ok(IndexDrift {
            in_sync: articles.is_empty() && tickets.is_empty(),
            articles,
            tickets,
        })
    }
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    tracing::error!(error = %e, "search index failure");
    ServiceError::Internal(e.to_string())
}

fn article_doc(a: &ArticleRow, tags: Vec<String>) -> ArticleDoc {
    ArticleDoc {
        id: a.id,
        version: a.version,
        slug: a.slug.clone(),
        title: a.title.clone(),
        summary: a.summary.clone(),
        body: a.body_markdown.clone(),
        tags,
        category: a.category_path.clone().unwrap_or_default(),
        locale: a.locale.clone(),
        visibility: Visibility::parse(&a.visibility).unwrap_or(Visibility::Draft),
    }
}

fn ticket_doc(t: heard_store::TicketForIndex) -> TicketDoc {
    TicketDoc {
        id: t.id,
        version: t.version,
        subject: t.subject,
        public_messages: t.public_messages,
        internal_notes: t.internal_notes,
        requester_id: t.requester_id,
        organization_id: t.organization_id,
        // Whether an organization shares is decided when searching (the customer's scope
        // names the organization only while it shares), so a change of that setting needs
        // no reindex.
        org_shared: true,
        team_id: t.team_id,
        assignee_id: t.assignee_id,
        status: t.status,
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RebuildReport {
    pub articles: usize,
    pub tickets: usize,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndexDrift {
    pub in_sync: bool,
    #[schema(value_type = Object)]
    pub articles: Drift,
    #[schema(value_type = Object)]
    pub tickets: Drift,
}

// ---------------------------------------------------------------- views and inputs

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleView {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    /// The body rendered from Markdown and sanitised.
    pub body_html: String,
    pub locale: String,
    /// public, internal or draft
    pub visibility: String,
    /// Category path, e.g. `Network/Wi-Fi`.
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub feedback: FeedbackCounts,
    pub contact: Contact,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedbackCounts {
    pub helpful: i64,
    pub not_helpful: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub visibility: String,
    pub category: Option<String>,
    pub locale: String,
    pub version: i64,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleList {
    pub items: Vec<ArticleSummary>,
    pub next_after: Option<i64>,
    pub contact: Contact,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleVersionView {
    pub version: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub locale: String,
    pub visibility: String,
    pub category: String,
    pub tags: Vec<String>,
    pub changed_by: Option<crate::views::PersonRef>,
    /// What the change was: `created`, `updated`, `restored version 2`…
    pub note: String,
    pub at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    pub title: String,
    /// Markdown.
    pub body: String,
    #[serde(default)]
    pub summary: String,
    /// Readable address part; made from the title when absent.
    pub slug: Option<String>,
    /// Language tag, `en` unless given.
    pub locale: Option<String>,
    /// public, internal or draft (the default).
    pub visibility: Option<String>,
    /// Category path, e.g. `Network/Wi-Fi`.
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticlePatch {
    pub title: Option<String>,
    pub body: Option<String>,
    pub summary: Option<String>,
    pub slug: Option<String>,
    pub locale: Option<String>,
    pub visibility: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    /// The version the edit was based on: refused with 409 when someone changed it since.
    pub expected_version: Option<i64>,
    /// A few words on what changed, kept in the history.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// Only this category (and below).
    pub category: Option<String>,
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What the person typed.
    pub q: Option<String>,
    /// Only articles in this language.
    pub locale: Option<String>,
    pub limit: Option<usize>,
    /// A key the page keeps for one visit (e.g. a random string), tying suggestions,
    /// opened articles and the ticket that followed together for deflection counts.
    pub session: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleHitView {
    pub id: i64,
    pub slug: String,
    pub title: String,
    /// HTML-escaped passage with the matched words in `<mark>`.
    pub snippet_html: String,
    pub url: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleResults {
    pub query: String,
    /// How many articles matched (for suggestions: how many are returned).
    pub total: usize,
    pub hits: Vec<ArticleHitView>,
    pub contact: Contact,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketHitView {
    pub id: i64,
    pub subject: String,
    pub status: String,
    pub snippet_html: String,
    /// The passage comes from an internal note (never for customers).
    pub snippet_is_internal: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketResults {
    pub query: String,
    /// Matching tickets the caller may see (never more).
    pub total: usize,
    pub hits: Vec<TicketHitView>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeedback {
    pub helpful: bool,
    #[serde(default)]
    pub comment: String,
    pub session: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedbackView {
    pub id: i64,
    pub article_id: i64,
    pub helpful: bool,
    pub feedback: FeedbackCounts,
    /// Shown after "no": the way to a person.
    pub contact: Contact,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeflectionEvent {
    pub session: String,
    /// `shown`, `opened`, `abandoned` (left without writing a ticket) or `submitted`
    /// (wrote the ticket anyway; give `ticket_id`).
    pub event: String,
    pub article_id: Option<i64>,
    pub ticket_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeflectionArticle {
    pub article_id: i64,
    pub title: String,
    pub shown: i64,
    pub opened: i64,
    /// Opened, then the customer left without writing a ticket.
    pub deflected: i64,
    /// Opened, and the customer still needed help ("read it and still needed help").
    pub submitted_anyway: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeflectionReport {
    pub since: String,
    pub sessions: i64,
    pub deflected: i64,
    pub submitted: i64,
    /// deflected / (deflected + submitted), when any session ended.
    pub deflection_rate: Option<f64>,
    pub articles: Vec<DeflectionArticle>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapQuery {
    /// The query as typed, lower-cased with spaces collapsed.
    pub query: String,
    pub searches: i64,
    pub no_results: i64,
    /// Searches after which the customer wrote a ticket anyway.
    pub led_to_ticket: i64,
    pub last_seen: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapArticle {
    pub article_id: i64,
    pub title: String,
    pub not_helpful: i64,
    pub helpful: i64,
    pub comments: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapReport {
    pub since: String,
    /// What customers looked for and did not find, most frequent first.
    pub queries: Vec<GapQuery>,
    /// Articles readers said did not help.
    pub unhelpful_articles: Vec<GapArticle>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Look back this many days (default 30, at most 365).
    pub days: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    pub imported: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: Vec<heard_search::import::Skip>,
}

// ---------------------------------------------------------------- rules and helpers

/// Who may read which articles.
fn readable(actor: Option<&Actor>) -> &'static [&'static str] {
    match actor {
        Some(a) if a.is_staff() => &["public", "internal", "draft"],
        _ => &["public"],
    }
}

fn may_edit(actor: &Actor) -> Result<()> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::forbidden("only staff write articles"))
    }
}

fn require_staff(actor: &Actor) -> Result<()> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::forbidden("reports are for staff"))
    }
}

fn role_name(actor: Option<&Actor>) -> &'static str {
    match actor.map(|a| a.role) {
        None => "anonymous",
        Some(Role::Customer) => "customer",
        Some(Role::Agent) => "agent",
        Some(Role::Supervisor) => "supervisor",
        Some(Role::Admin) => "admin",
    }
}

/// Markdown to HTML, then sanitised: article bodies may come from imports.
pub fn render_markdown(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    let mut out = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(md, opts));
    ammonia::clean(&out)
}

fn text_field(value: &str, field: &'static str, max: usize, required: bool) -> Result<String> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(ServiceError::invalid(
            field,
            "missing_field",
            format!("{field} must not be empty"),
        ));
    }
    if v.len() > max {
        return Err(ServiceError::invalid(
            field,
            "too_long",
            format!("{field} is limited to {max} bytes"),
        ));
    }
    Ok(v.to_string())
}

fn parse_visibility(v: &str) -> Result<String> {
    Visibility::parse(v)
        .map(|v| v.as_str().to_string())
        .ok_or_else(|| {
            ServiceError::invalid(
                "visibility",
                "invalid_visibility",
                "visibility is public, internal or draft",
            )
        })
}

fn parse_locale(v: &str) -> Result<String> {
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= 16
        && v.split('-')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(v.to_string())
    } else {
        Err(ServiceError::invalid(
            "locale",
            "invalid_locale",
            "locale is a language tag such as en or pt-BR",
        ))
    }
}

fn parse_slug(v: &str) -> Result<String> {
    let ok = !v.is_empty()
        && v.len() <= 120
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !v.starts_with('-')
        && !v.ends_with('-')
        && !v.chars().all(|c| c.is_ascii_digit());
    if ok {
        Ok(v.to_string())
    } else {
        Err(ServiceError::invalid(
            "slug",
            "invalid_slug",
            "a slug has lower-case letters, digits and single dashes, and is not only digits",
        ))
    }
}

fn parse_tags(tags: &[String]) -> Result<Vec<String>> {
    if tags.len() > 30 {
        return Err(ServiceError::invalid(
            "tags",
            "too_many_tags",
            "at most 30 tags",
        ));
    }
    let mut out = Vec::new();
    for t in tags {
        let t = t.trim().to_lowercase();
        if t.is_empty() || t.len() > 60 {
            return Err(ServiceError::invalid(
                "tags",
                "invalid_tag",
                "a tag has 1 to 60 characters",
            ));
        }
        out.push(t);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn parse_category(c: &str) -> Result<String> {
    let parts: Vec<&str> = c
        .split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if c.len() > 300 || parts.len() > 8 {
        return Err(ServiceError::invalid(
            "category",
            "invalid_category",
            "a category path has at most 8 levels and 300 bytes",
        ));
    }
    Ok(parts.join("/"))
}

fn session_key(s: Option<&str>) -> Result<Option<String>> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.len() <= 100 && s.chars().all(|c| c.is_ascii_graphic()) => {
            Ok(Some(s.to_string()))
        }
        Some(_) => Err(ServiceError::invalid(
            "session",
            "invalid_session",
            "a session key has 1 to 100 visible ASCII characters",
        )),
    }
}

fn search_text(q: Option<&str>) -> Result<String> {
    let q = q.unwrap_or("").trim();
    if q.is_empty() {
        return Err(ServiceError::invalid(
            "q",
            "missing_query",
            "say what to look for in q",
        ));
    }
    if q.len() > 2000 {
        return Err(ServiceError::invalid(
            "q",
            "query_too_long",
            "q is limited to 2000 bytes",
        ));
    }
    Ok(q.to_string())
}

fn result_limit(limit: Option<usize>, default: usize) -> Result<usize> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=50).contains(&n) => Ok(n),
        Some(_) => Err(ServiceError::invalid(
            "limit",
            "invalid_limit",
            "limit must be between 1 and 50",
        )),
    }
}

fn since(days: Option<i64>, now: i64) -> Result<i64> {
    let days = days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(ServiceError::invalid(
            "days",
            "invalid_days",
            "days must be between 1 and 365",
        ));
    }
    Ok(now - days * 86_400_000)
}

fn summary_of(a: &ArticleRow) -> ArticleSummary {
    ArticleSummary {
        id: a.id,
        slug: a.slug.clone(),
        title: a.title.clone(),
        summary: a.summary.clone(),
        visibility: a.visibility.clone(),
        category: a.category_path.clone(),
        locale: a.locale.clone(),
        version: a.version,
        updated_at: rfc3339(a.updated_at),
    }
}

fn content_of(a: &ArticleRow, tags: Vec<String>) -> ArticleContent {
    ArticleContent {
        slug: a.slug.clone(),
        title: a.title.clone(),
        summary: a.summary.clone(),
        body_markdown: a.body_markdown.clone(),
        locale: a.locale.clone(),
        visibility: a.visibility.clone(),
        category_path: a.category_path.clone().unwrap_or_default(),
        tags,
    }
}

/// Removes what identifies a customer from text: their name and e-mail address, and any
/// e-mail address, phone number or long number (accounts, serials) in it.
pub fn scrub_customer_details(text: &str, names: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let words: Vec<String> = line
            .split(' ')
            .map(|w| {
                let core = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '@' && c != '+');
                if core.contains('@') && core.contains('.') {
                    return w.replace(core, "[email address]");
                }
                w.to_string()
            })
            .collect();
        out.push_str(&scrub_numbers(&words.join(" ")));
    }
    for name in names {
        for part in std::iter::once(name.as_str()).chain(name.split_whitespace()) {
            if part.chars().count() < 3 {
                continue;
            }
            out = replace_word_ci(&out, part, "[customer]");
        }
    }
    out
}

/// Replaces runs of digits (with spaces, dashes, dots, brackets, a leading +) holding at
/// least six digits: phone, account and serial numbers.
fn scrub_numbers(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || (c == '+' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let mut j = i;
            let mut digits = 0;
            let mut last_digit = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || " -.()+/".contains(chars[j])) {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                    last_digit = j;
                }
                j += 1;
            }
            if digits >= 6 {
                out.push_str("[number]");
                i = last_digit + 1;
                continue;
            }
            out.extend(&chars[i..=last_digit]);
            i = last_digit + 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn replace_word_ci(text: &str, word: &str, with: &str) -> String {
    let lower = text.to_lowercase();
    let w = word.to_lowercase();
    if lower.len() != text.len() || w.is_empty() {
        return text.replace(word, with);
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(pos) = lower[i..].find(&w) {
        let start = i + pos;
        let end = start + w.len();
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = text[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        out.push_str(&text[i..start]);
        if before_ok && after_ok {
            out.push_str(with);
        } else {
            out.push_str(&text[start..end]);
        }
        i = end;
    }
    out.push_str(&text[i..]);
    out
}

// ---------------------------------------------------------------- use cases

impl Services {
    /// Replaces the in-memory index with `search` (the server's on-disk index).
    pub fn with_search(mut self, search: Search) -> Services {
        self.search = search;
        self
    }

    async fn unique_slug(&self, base: &str, except: Option<i64>) -> Result<String> {
        let base = if base.is_empty() { "article" } else { base };
        let mut candidate = base.to_string();
        for n in 2..1000 {
            match self.store.article_by_slug(&candidate).await? {
                Some(a) if Some(a.id) != except => candidate = format!("{base}-{n}"),
                _ => return Ok(candidate),
            }
        }
        Err(ServiceError::conflict(
            "slug_taken",
            "no free slug for this title; give one",
        ))
    }

    /// The article if `actor` may read it (by id or slug); otherwise 404 as if missing.
    async fn readable_article(
        &self,
        actor: Option<&Actor>,
        id_or_slug: &str,
    ) -> Result<ArticleRow> {
        let row = match id_or_slug.parse::<i64>() {
            Ok(id) => self.store.article(id).await?,
            Err(_) => self.store.article_by_slug(id_or_slug).await?,
        };
        match row {
            Some(a) if readable(actor).contains(&a.visibility.as_str()) => Ok(a),
            _ => Err(ServiceError::not_found("article", "article_not_found")),
        }
    }

    async fn article_view(&self, a: ArticleRow) -> Result<ArticleView> {
        let tags = self.store.article_tags(a.id).await?;
        let fb = self.store.feedback_summary(a.id).await?;
        Ok(ArticleView {
            id: a.id,
            body_html: render_markdown(&a.body_markdown),
            slug: a.slug,
            title: a.title,
            summary: a.summary,
            body_markdown: a.body_markdown,
            locale: a.locale,
            visibility: a.visibility,
            category: a.category_path,
            tags,
            version: a.version,
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
            feedback: FeedbackCounts {
                helpful: fb.helpful,
                not_helpful: fb.not_helpful,
            },
            contact: contact(),
        })
    }

    pub async fn create_article(&self, actor: &Actor, input: NewArticle) -> Result<ArticleView> {
        may_edit(actor)?;
        let title = text_field(&input.title, "title", 200, true)?;
        let body = text_field(&input.body, "body", 1_000_000, true)?;
        let summary = text_field(&input.summary, "summary", 1000, false)?;
        let visibility = parse_visibility(input.visibility.as_deref().unwrap_or("draft"))?;
        let locale = parse_locale(input.locale.as_deref().unwrap_or("en"))?;
        let category = parse_category(input.category.as_deref().unwrap_or(""))?;
        let tags = parse_tags(&input.tags)?;
        let slug = match input.slug.as_deref() {
            Some(s) => {
                let s = parse_slug(s)?;
                if self.store.slug_taken(&s).await? {
                    return Err(ServiceError::Invalid(heard_domain::Invalid::new(
                        "slug",
                        "slug_taken",
                        "another article has this slug",
                    )));
                }
                s
            }
            None => self.unique_slug(&slugify(&title), None).await?,
        };
        let content = ArticleContent {
            slug,
            title,
            summary,
            body_markdown: body,
            locale,
            visibility,
            category_path: category,
            tags,
        };
        let id = self
            .store
            .insert_article(&content, Some(actor.user_id), None, self.now())
            .await?;
        self.search.sync(&self.store).await?;
        self.get_article(Some(actor), &id.to_string(), None).await
    }

    /// Reads an article; `session` records that it was opened from a suggestion.
    pub async fn get_article(
        &self,
        actor: Option<&Actor>,
        id_or_slug: &str,
        session: Option<&str>,
    ) -> Result<ArticleView> {
        let a = self.readable_article(actor, id_or_slug).await?;
        if let Some(s) = session_key(session)? {
            self.store
                .insert_deflection_event(
                    &s,
                    "opened",
                    Some(a.id),
                    None,
                    actor.map(|a| a.user_id),
                    self.now(),
                )
                .await?;
        }
        self.article_view(a).await
    }

    pub async fn list_articles(
        &self,
        actor: Option<&Actor>,
        q: ArticleQuery,
    ) -> Result<ArticleList> {
        let limit = crate::page_limit(q.limit)?;
        let category = q.category.as_deref().map(parse_category).transpose()?;
        let rows = self
            .store
            .articles(readable(actor), category.as_deref(), q.after, limit)
            .await?;
        let next_after = if rows.len() as i64 == limit {
            rows.last().map(|a| a.id)
        } else {
            None
        };
        Ok(ArticleList {
            items: rows.iter().map(summary_of).collect(),
            next_after,
            contact: contact(),
        })
    }

    pub async fn update_article(
        &self,
        actor: &Actor,
        id_or_slug: &str,
        patch: ArticlePatch,
    ) -> Result<ArticleView> {
        may_edit(actor)?;
        let a = self.readable_article(Some(actor), id_or_slug).await?;
        if let Some(v) = patch.expected_version
            && v != a.version
        {
            return Err(ServiceError::conflict(
                "edit_conflict",
                format!(
                    "the article is at version {}, not {v}; reload it",
                    a.version
                ),
            ));
        }
        let mut c = content_of(&a, self.store.article_tags(a.id).await?);
        if let Some(t) = &patch.title {
            c.title = text_field(t, "title", 200, true)?;
        }
        if let Some(b) = &patch.body {
            c.body_markdown = text_field(b, "body", 1_000_000, true)?;
        }
        if let Some(s) = &patch.summary {
            c.summary = text_field(s, "summary", 1000, false)?;
        }
        if let Some(v) = &patch.visibility {
            c.visibility = parse_visibility(v)?;
        }
        if let Some(l) = &patch.locale {
            c.locale = parse_locale(l)?;
        }
        if let Some(cat) = &patch.category {
            c.category_path = parse_category(cat)?;
        }
        if let Some(t) = &patch.tags {
            c.tags = parse_tags(t)?;
        }
        if let Some(s) = &patch.slug {
            let s = parse_slug(s)?;
            if let Some(other) = self.store.article_by_slug(&s).await?
                && other.id != a.id
            {
                return Err(ServiceError::invalid(
                    "slug",
                    "slug_taken",
                    "another article has this slug",
                ));
            }
            c.slug = s;
        }
        let note = text_field(
            patch.note.as_deref().unwrap_or("updated"),
            "note",
            500,
            false,
        )?;
        self.write_article(actor, &a, &c, &note).await
    }

    async fn write_article(
        &self,
        actor: &Actor,
        a: &ArticleRow,
        c: &ArticleContent,
        note: &str,
    ) -> Result<ArticleView> {
        match self
            .store
            .update_article(a.id, a.version, c, Some(actor.user_id), note, self.now())
            .await
        {
            Ok(_) => {}
            Err(StoreError::Duplicate(_)) => {
                return Err(ServiceError::invalid(
                    "slug",
                    "slug_taken",
                    "another article has this slug",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.search.sync(&self.store).await?;
        self.get_article(Some(actor), &a.id.to_string(), None).await
    }

    pub async fn article_versions(
        &self,
        actor: &Actor,
        id_or_slug: &str,
    ) -> Result<Vec<ArticleVersionView>> {
        may_edit(actor)?;
        let a = self.readable_article(Some(actor), id_or_slug).await?;
        Ok(self
            .store
            .article_history(a.id)
            .await?
            .into_iter()
            .map(|v| ArticleVersionView {
                version: v.version,
                slug: v.slug,
                title: v.title,
                summary: v.summary,
                body_markdown: v.body_markdown,
                locale: v.locale,
                visibility: v.visibility,
                category: v.category_path,
                tags: serde_json::from_str(&v.tags).unwrap_or_default(),
                changed_by: v.changed_by.map(|id| crate::views::PersonRef {
                    id,
                    name: v.changed_by_name.unwrap_or_default(),
                }),
                note: v.note,
                at: rfc3339(v.created_at),
            })
            .collect())
    }

    /// Makes an old version current again, as a new version (history is never rewritten).
    pub async fn restore_article_version(
        &self,
        actor: &Actor,
        id_or_slug: &str,
        version: i64,
    ) -> Result<ArticleView> {
        may_edit(actor)?;
        let a = self.readable_article(Some(actor), id_or_slug).await?;
        let old = self
            .store
            .article_history(a.id)
            .await?
            .into_iter()
            .find(|v| v.version == version)
            .ok_or_else(|| ServiceError::not_found("article version", "version_not_found"))?;
        let c = ArticleContent {
            slug: old.slug,
            title: old.title,
            summary: old.summary,
            body_markdown: old.body_markdown,
            locale: old.locale,
            visibility: old.visibility,
            category_path: old.category_path,
            tags: serde_json::from_str(&old.tags).unwrap_or_default(),
        };
        self.write_article(actor, &a, &c, &format!("restored version {version}"))
            .await
    }

    fn article_filter(&self, actor: Option<&Actor>, locale: Option<&str>) -> Result<ArticleFilter> {
        let locale = locale.map(parse_locale).transpose()?;
        Ok(match actor {
            Some(a) if a.is_staff() => ArticleFilter::staff(locale.as_deref()),
            _ => ArticleFilter::public(locale.as_deref()),
        })
    }

    fn hits_view(hits: Vec<heard_search::ArticleHit>) -> Vec<ArticleHitView> {
        hits.into_iter()
            .map(|h| ArticleHitView {
                url: format!("/api/v1/kb/articles/{}", h.slug),
                id: h.id,
                slug: h.slug,
                title: h.title,
                snippet_html: h.snippet_html,
                score: h.score,
            })
            .collect()
    }

    /// The knowledge base's search page.
    pub async fn search_articles(
        &self,
        actor: Option<&Actor>,
        q: SearchQuery,
    ) -> Result<ArticleResults> {
        let text = search_text(q.q.as_deref())?;
        let limit = result_limit(q.limit, 10)?;
        let filter = self.article_filter(actor, q.locale.as_deref())?;
        let session = session_key(q.session.as_deref())?;
        self.search.try_sync(&self.store).await?;
        let found = self
            .search
            .index()
            .search_articles(&text, &filter, limit)
            .map_err(internal)?;
        // Logged in the background, like suggestions: the answer need not wait for a disk
        // write (the gap report tolerates the rare log lost in a crash).
        {
            let (store, now, role) = (self.store.clone(), self.now(), role_name(actor));
            let (user, total, text) = (actor.map(|a| a.user_id), found.total as i64, text.clone());
            tokio::spawn(async move {
                if let Err(e) = store
                    .log_search(&text, "search", total, role, user, session.as_deref(), now)
                    .await
                {
                    tracing::warn!(error = %e, "recording a search failed");
                }
            });
        }
        Ok(ArticleResults {
            query: text,
            total: found.total,
            hits: Self::hits_view(found.hits),
            contact: contact(),
        })
    }

    /// The visibility (public, internal, draft) of each of `ids` that `actor` may read,
    /// for pages that label search hits.
    pub async fn article_visibility(
        &self,
        actor: Option<&Actor>,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>> {
        let readable = readable(actor);
        Ok(self
            .store
            .articles_by_ids(ids)
            .await?
            .into_iter()
            .filter(|a| readable.contains(&a.visibility.as_str()))
            .map(|a| (a.id, a.visibility))
            .collect())
    }

    /// Suggestions while a customer writes a new ticket. With a `session`, what was shown
    /// is recorded (in the background: typing must not wait for a disk write).
    pub async fn suggest_articles(
        &self,
        actor: Option<&Actor>,
        q: SearchQuery,
    ) -> Result<ArticleResults> {
        let text = search_text(q.q.as_deref())?;
        let limit = result_limit(q.limit, 5)?;
        let filter = self.article_filter(actor, q.locale.as_deref())?;
        let session = session_key(q.session.as_deref())?;
        self.search.try_sync(&self.store).await?;
        let found = self
            .search
            .index()
            .suggest_articles(&text, &filter, limit)
            .map_err(internal)?;
        if let Some(session) = session {
            let store = self.store.clone();
            let now = self.now();
            let role = role_name(actor);
            let user = actor.map(|a| a.user_id);
            let shown: Vec<i64> = found.hits.iter().map(|h| h.id).collect();
            let text = text.clone();
            tokio::spawn(async move {
                let r = async {
                    store
                        .log_search(
                            &text,
                            "suggest",
                            shown.len() as i64,
                            role,
                            user,
                            Some(&session),
                            now,
                        )
                        .await?;
                    for id in shown {
                        store
                            .insert_deflection_event(&session, "shown", Some(id), None, user, now)
                            .await?;
                    }
                    Ok::<(), StoreError>(())
                };
                if let Err(e) = r.await {
                    tracing::warn!(error = %e, "recording suggestions failed");
                }
            });
        }
        Ok(ArticleResults {
            query: text,
            total: found.total,
            hits: Self::hits_view(found.hits),
            contact: contact(),
        })
    }

    /// Searches tickets and their messages; the caller's access rules are a required
    /// clause of the index query, so neither hits nor the count reach beyond them.
    pub async fn search_tickets(&self, actor: &Actor, q: SearchQuery) -> Result<TicketResults> {
        let text = search_text(q.q.as_deref())?;
        let limit = result_limit(q.limit, 20)?;
        let scope = match actor.ticket_scope() {
            heard_domain::access::TicketScope::All => IndexScope::Everything,
            heard_domain::access::TicketScope::Agent { user_id, team_ids } => IndexScope::Agent {
                assignee_id: Some(user_id),
                team_ids,
                include_unassigned: false,
            },
            heard_domain::access::TicketScope::Customer {
                user_id,
                shared_organization_id,
            } => IndexScope::Customer {
                customer_id: user_id,
                organization_id: shared_organization_id,
            },
        };
        self.search.try_sync(&self.store).await?;
        let found = self
            .search
            .index()
            .search_tickets(&text, &scope, limit)
            .map_err(internal)?;
        Ok(TicketResults {
            query: text,
            total: found.total,
            hits: found
                .hits
                .into_iter()
                .map(|h| TicketHitView {
                    id: h.id,
                    subject: h.subject,
                    status: h.status,
                    snippet_html: h.snippet_html,
                    snippet_is_internal: h.snippet_is_internal,
                })
                .collect(),
        })
    }

    pub async fn article_feedback(
        &self,
        actor: Option<&Actor>,
        id_or_slug: &str,
        input: NewFeedback,
    ) -> Result<FeedbackView> {
        let a = self.readable_article(actor, id_or_slug).await?;
        let comment = text_field(&input.comment, "comment", 4000, false)?;
        let session = session_key(input.session.as_deref())?;
        let id = self
            .store
            .insert_feedback(
                a.id,
                input.helpful,
                &comment,
                actor.map(|a| a.user_id),
                session.as_deref(),
                self.now(),
            )
            .await?;
        let fb = self.store.feedback_summary(a.id).await?;
        Ok(FeedbackView {
            id,
            article_id: a.id,
            helpful: input.helpful,
            feedback: FeedbackCounts {
                helpful: fb.helpful,
                not_helpful: fb.not_helpful,
            },
            contact: contact(),
        })
    }

    /// Records a step of a self-service visit.
    pub async fn record_deflection(&self, actor: Option<&Actor>, e: DeflectionEvent) -> Result<()> {
        let session = session_key(Some(&e.session))?.ok_or_else(|| {
            ServiceError::invalid("session", "missing_session", "session must not be empty")
        })?;
        let kind = match e.event.as_str() {
            k @ ("shown" | "opened" | "abandoned" | "submitted") => k,
            _ => {
                return Err(ServiceError::invalid(
                    "event",
                    "invalid_event",
                    "event is shown, opened, abandoned or submitted",
                ));
            }
        };
        if let Some(id) = e.article_id {
            self.readable_article(actor, &id.to_string())
                .await
                .map_err(|_| {
                    ServiceError::invalid("article_id", "article_not_found", "no such article")
                })?;
        } else if matches!(kind, "shown" | "opened") {
            return Err(ServiceError::invalid(
                "article_id",
                "missing_article",
                "shown and opened name the article",
            ));
        }
        let ticket_id = match (kind, e.ticket_id) {
            ("submitted", Some(t)) => {
                let a = actor.ok_or(ServiceError::Unauthenticated)?;
                self.visible_ticket(a, t).await.map_err(|_| {
                    ServiceError::invalid("ticket_id", "ticket_not_found", "no such ticket")
                })?;
                Some(t)
            }
            ("submitted", None) => {
                return Err(ServiceError::invalid(
                    "ticket_id",
                    "missing_ticket",
                    "submitted names the ticket that was written",
                ));
            }
            (_, Some(_)) => {
                return Err(ServiceError::invalid(
                    "ticket_id",
                    "unexpected_ticket",
                    "only submitted names a ticket",
                ));
            }
            (_, None) => None,
        };
        self.store
            .insert_deflection_event(
                &session,
                kind,
                e.article_id,
                ticket_id,
                actor.map(|a| a.user_id),
                self.now(),
            )
            .await?;
        Ok(())
    }

    /// Per session: which articles were shown and opened, and whether the visit ended with
    /// the customer leaving (deflected) or writing a ticket anyway.
    pub async fn deflection_report(
        &self,
        actor: &Actor,
        q: ReportQuery,
    ) -> Result<DeflectionReport> {
        require_staff(actor)?;
        let now = self.now();
        let from = since(q.days, now)?;
        let events = self.store.deflection_events(from).await?;
        #[derive(Default)]
        struct Visit {
            shown: BTreeSet<i64>,
            opened: BTreeSet<i64>,
            abandoned: bool,
            submitted: bool,
        }
        let mut visits: BTreeMap<String, Visit> = BTreeMap::new();
        for e in events {
            let v = visits.entry(e.session_key).or_default();
            match (e.kind.as_str(), e.article_id) {
                ("shown", Some(a)) => {
                    v.shown.insert(a);
                }
                ("opened", Some(a)) => {
                    v.opened.insert(a);
                }
                ("abandoned", _) => v.abandoned = true,
                ("submitted", _) => v.submitted = true,
                _ => {}
            }
        }
        let mut per: HashMap<i64, DeflectionArticle> = HashMap::new();
        let (mut deflected, mut submitted) = (0, 0);
        for v in visits.values() {
            let is_deflected = v.abandoned && !v.submitted && !v.opened.is_empty();
            if is_deflected {
                deflected += 1;
            }
            if v.submitted {
                submitted += 1;
            }
            let entry = |per: &mut HashMap<i64, DeflectionArticle>, id: i64| {
                per.entry(id)
                    .or_insert_with(|| DeflectionArticle {
                        article_id: id,
                        title: String::new(),
                        shown: 0,
                        opened: 0,
                        deflected: 0,
                        submitted_anyway: 0,
                    })
                    .article_id
            };
            for &a in &v.shown {
                entry(&mut per, a);
                per.get_mut(&a).unwrap().shown += 1;
            }
            for &a in &v.opened {
                entry(&mut per, a);
                let d = per.get_mut(&a).unwrap();
                d.opened += 1;
                if is_deflected {
                    d.deflected += 1;
                }
                if v.submitted {
                    d.submitted_anyway += 1;
                }
            }
        }
        let ids: Vec<i64> = per.keys().copied().collect();
        for a in self.store.articles_by_ids(&ids).await? {
            if let Some(d) = per.get_mut(&a.id) {
                d.title = a.title;
            }
        }
        let mut articles: Vec<DeflectionArticle> = per.into_values().collect();
        articles.sort_by(|a, b| {
            (
                b.deflected + b.submitted_anyway,
                b.opened,
                b.shown,
                a.article_id,
            )
                .cmp(&(
                    a.deflected + a.submitted_anyway,
                    a.opened,
                    a.shown,
                    b.article_id,
                ))
        });
        Ok(DeflectionReport {
            since: rfc3339(from),
            sessions: visits.len() as i64,
            deflected,
            submitted,
            deflection_rate: (deflected + submitted > 0)
                .then(|| deflected as f64 / (deflected + submitted) as f64),
            articles,
        })
    }

    /// What customers looked for and did not find, or found and still wrote a ticket; and
    /// the articles readers said did not help.
    pub async fn gap_report(&self, actor: &Actor, q: ReportQuery) -> Result<GapReport> {
        require_staff(actor)?;
        let now = self.now();
        let from = since(q.days, now)?;
        let mut groups: BTreeMap<String, GapQuery> = BTreeMap::new();
        let mut counted_sessions: BTreeSet<(String, String)> = BTreeSet::new();
        for row in self.store.gap_searches(from).await? {
            let key = row
                .query
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let g = groups.entry(key.clone()).or_insert_with(|| GapQuery {
                query: key.clone(),
                searches: 0,
                no_results: 0,
                led_to_ticket: 0,
                last_seen: String::new(),
            });
            g.searches += 1;
            if row.results == 0 {
                g.no_results += 1;
            }
            if let Some(s) = &row.session_key
                && counted_sessions.insert((key.clone(), s.clone()))
                && row.results > 0
            {
                g.led_to_ticket += 1;
            }
            g.last_seen = rfc3339(row.created_at);
        }
        let mut queries: Vec<GapQuery> = groups.into_values().collect();
        queries.sort_by(|a, b| b.searches.cmp(&a.searches).then(a.query.cmp(&b.query)));
        // Articles with "did not help" answers, worst first.
        let mut unhelpful = Vec::new();
        let mut after = None;
        loop {
            let rows = self
                .store
                .articles(&["public", "internal", "draft"], None, after, 500)
                .await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.id);
            for a in rows {
                let fb = self.store.feedback_summary(a.id).await?;
                if fb.not_helpful > 0 {
                    let comments = self
                        .store
                        .feedback_of(a.id, 20)
                        .await?
                        .into_iter()
                        .filter(|f| !f.helpful && !f.comment.is_empty())
                        .map(|f| f.comment)
                        .collect();
                    unhelpful.push(GapArticle {
                        article_id: a.id,
                        title: a.title,
                        not_helpful: fb.not_helpful,
                        helpful: fb.helpful,
                        comments,
                    });
                }
            }
        }
        unhelpful.sort_by(|a, b| {
            (b.not_helpful - b.helpful)
                .cmp(&(a.not_helpful - a.helpful))
                .then(a.article_id.cmp(&b.article_id))
        });
        Ok(GapReport {
            since: rfc3339(from),
            queries,
            unhelpful_articles: unhelpful,
        })
    }

    /// Turns a resolved (or closed) ticket into a draft article: the customer's account
    /// becomes the problem, the public replies the solution; names, e-mail addresses,
    /// phone and account numbers are removed. Internal notes are left out.
    pub async fn draft_article_from_ticket(
        &self,
        actor: &Actor,
        ticket_id: i64,
    ) -> Result<ArticleView> {
        may_edit(actor)?;
        let t = self.visible_ticket(actor, ticket_id).await?;
        if !matches!(t.status.as_str(), "resolved" | "closed") {
            return Err(ServiceError::conflict(
                "ticket_not_resolved",
                "only a resolved or closed ticket becomes an article",
            ));
        }
        let messages = self.store.messages(ticket_id, false).await?;
        let mut names = vec![t.requester_name.clone(), t.requester_email.clone()];
        if let Some(local) = t.requester_email.split('@').next() {
            names.push(local.to_string());
        }
        for m in &messages {
            if m.author_role == "customer" {
                names.push(m.author_name.clone());
            }
        }
        for f in self.store.facts_of(t.requester_id).await? {
            if f.value.chars().count() >= 3 {
                names.push(f.value);
            }
        }
        if let Some(org) = t.organization_id
            && let Some(o) = self.store.organization(org).await?
        {
            names.push(o.name);
        }
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        names.dedup();
        let scrub = |s: &str| scrub_customer_details(s, &names);
        let problem: Vec<String> = messages
            .iter()
            .filter(|m| m.author_role == "customer")
            .take(2)
            .map(|m| scrub(&m.body_text))
            .collect();
        let solution: Vec<String> = messages
            .iter()
            .filter(|m| m.author_role != "customer")
            .map(|m| scrub(&m.body_text))
            .collect();
        let title = scrub(&t.subject);
        let body = format!(
            "## The problem\n\n{}\n\n## What solved it\n\n{}\n",
            if problem.is_empty() {
                "(describe the problem)".to_string()
            } else {
                problem.join("\n\n")
            },
            if solution.is_empty() {
                "(describe the solution)".to_string()
            } else {
                solution.join("\n\n")
            }
        );
        let summary: String = problem
            .first()
            .map(|p| p.chars().take(200).collect())
            .unwrap_or_default();
        let tags = self.store.tags_of(ticket_id).await?;
        let mut view = self
            .create_article(
                actor,
                NewArticle {
                    title: if title.trim().is_empty() {
                        format!("From ticket {ticket_id}")
                    } else {
                        title
                    },
                    body,
                    summary,
                    slug: None,
                    locale: None,
                    visibility: Some("draft".into()),
                    category: None,
                    tags,
                },
            )
            .await?;
        view.contact = contact();
        Ok(view)
    }

    /// Imports converted article files (`heard kb import`): new slugs are added, known
    /// slugs updated when their content changed. Imported articles are public.
    pub async fn import_articles(
        &self,
        drafts: Vec<ArticleDraft>,
        skipped: Vec<heard_search::import::Skip>,
    ) -> Result<ImportSummary> {
        let mut summary = ImportSummary {
            skipped,
            ..Default::default()
        };
        let now = self.now();
        for d in drafts {
            let tags = match parse_tags(&d.tags) {
                Ok(t) => t,
                Err(_) => d
                    .tags
                    .iter()
                    .map(|t| t.trim().to_lowercase())
                    .filter(|t| !t.is_empty() && t.len() <= 60)
                    .take(30)
                    .collect(),
            };
            let slug = match parse_slug(&d.slug) {
                Ok(s) => s,
                Err(_) => {
                    let s = slugify(&d.title);
                    if s.is_empty() {
                        summary.skipped.push(heard_search::import::Skip {
                            file: d.source.clone(),
                            reason: "no usable slug or title".into(),
                        });
                        continue;
                    }
                    s
                }
            };
            let title: String = d.title.trim().chars().take(200).collect();
            if title.is_empty() || d.body.trim().is_empty() {
                summary.skipped.push(heard_search::import::Skip {
                    file: d.source.clone(),
                    reason: "no title or no body".into(),
                });
                continue;
            }
            let c = ArticleContent {
                slug,
                title,
                summary: d.summary.chars().take(1000).collect(),
                body_markdown: d.body.clone(),
                locale: parse_locale(&d.locale).unwrap_or_else(|_| "en".into()),
                visibility: d.visibility.as_str().to_string(),
                category_path: parse_category(&d.category).unwrap_or_default(),
                tags,
            };
            match self.store.article_by_slug(&c.slug).await? {
                Some(existing) => {
                    let old = content_of(&existing, self.store.article_tags(existing.id).await?);
                    if old == c {
                        summary.unchanged += 1;
                    } else {
                        self.store
                            .update_article(
                                existing.id,
                                existing.version,
                                &c,
                                None,
                                "re-imported",
                                now,
                            )
                            .await?;
                        summary.updated += 1;
                    }
                }
                None => {
                    self.store
                        .insert_article(&c, None, Some(&d.source), now)
                        .await?;
                    summary.imported += 1;
                }
            }
        }
        // Indexes catch up from the outbox (the server's, or the caller's sync).
        Ok(summary)
    }

    /// Keeps this process's index following the database: every `every`, applies what
    /// other processes (and ticket writes) put in the outbox. Runs until the task is dropped.
    pub async fn search_sync_loop(self, every: std::time::Duration) {
        loop {
            if let Err(e) = self.search.sync(&self.store).await {
                tracing::warn!(error = %e, "search index sync failed; retrying");
            }
            tokio::time::sleep(every).await;
        }
    }

    /// Rebuilds this process's index from the database (`heard reindex`).
    pub async fn reindex(&self, actor: Option<&Actor>) -> Result<RebuildReport> {
        if let Some(a) = actor
            && !matches!(a.role, Role::Supervisor | Role::Admin)
        {
            return Err(ServiceError::forbidden(
                "rebuilding the search index is for supervisors and admins",
            ));
        }
        self.search.rebuild(&self.store).await
    }

    /// Compares this process's index with the database (`heard reindex --check`).
    pub async fn index_drift(&self, actor: Option<&Actor>) -> Result<IndexDrift> {
        if let Some(a) = actor
            && !matches!(a.role, Role::Supervisor | Role::Admin)
        {
            return Err(ServiceError::forbidden(
                "the index check is for supervisors and admins",
            ));
        }
        self.search.drift(&self.store).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_removes_names_addresses_and_numbers() {
        let names = vec!["Ada Lovelace".to_string(), "ada@example.com".to_string()];
        let s = scrub_customer_details(
            "Hi, Ada here (ada@example.com, +44 20 7946 0958). Account 12345678. Lovelace's laptop.",
            &names,
        );
        assert!(!s.contains("Ada"), "{s}");
        assert!(!s.contains("Lovelace"), "{s}");
        assert!(!s.contains("example.com"), "{s}");
        assert!(!s.contains("12345678"), "{s}");
        assert!(s.contains("laptop"));
    }

    #[test]
    fn markdown_is_rendered_and_sanitised() {
        let html = render_markdown(
            "# Hi\n\n<script>alert(1)</script>\n\n**bold** [x](javascript:alert(1))",
        );
        assert!(html.contains("<strong>bold</strong>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("javascript:"));
    }
}
