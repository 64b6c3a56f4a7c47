//! This process's search index and how it follows the database.
//!
//! The index follows the database through the `search_outbox` table, written in the same
//! transaction as every article and ticket change. [`Search::sync`] reads the outbox from
//! this process's cursor (persisted next to the index), applies the changed documents
//! (idempotent by version), commits the index and only then moves the cursor: a crash
//! between the database commit and the index update loses nothing, and writes made by
//! other `heard serve` processes sharing PostgreSQL reach this process's index too.

use crate::{Actor, Result, ServiceError, Services};
use heard_domain::Role;
use heard_search::{ArticleDoc, Drift, SearchIndex, TicketDoc, Visibility};
use heard_store::ArticleRow;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// How long a hole in the outbox ids is waited for before it is skipped. PostgreSQL hands
/// out ids before commit, so a slower transaction can commit a smaller id after a larger
/// one; a hole older than this is a rolled-back transaction.
const GAP_PATIENCE: Duration = Duration::from_secs(10);
const OUTBOX_BATCH: i64 = 500;
const CURSOR_FILE: &str = "outbox-cursor";

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
    /// The cursor as of its last move, readable without the lock (for `/metrics`).
    cursor_seen: std::sync::atomic::AtomicI64,
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
                cursor_seen: std::sync::atomic::AtomicI64::new(cursor),
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

    /// Every outbox row up to this id is in this process's index.
    pub fn cursor(&self) -> i64 {
        // Never waits behind a long sync: the mirror is updated with every move.
        self.inner
            .cursor_seen
            .load(std::sync::atomic::Ordering::Relaxed)
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
                self.inner
                    .cursor_seen
                    .store(cursor, std::sync::atomic::Ordering::Relaxed);
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
        self.inner
            .cursor_seen
            .store(high_water, std::sync::atomic::Ordering::Relaxed);
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

pub(crate) fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ServiceError {
    tracing::error!(error = %e, "search index failure");
    ServiceError::internal(e)
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
        references: t.references,
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

impl Services {
    /// Replaces the in-memory index with `search` (the server's on-disk index).
    pub fn with_search(mut self, search: Search) -> Services {
        self.search = search;
        self
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
