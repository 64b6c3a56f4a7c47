//! The knowledge base: articles (with an append-only version history), categories, tags,
//! feedback, the search log, deflection events, and the search outbox that carries every
//! article and ticket change to the search indexes.

use crate::backend::{in_transaction, with_reader};
use crate::{Result, Store, StoreError};
use sqlx::FromRow;
use std::collections::{BTreeMap, HashMap};

/// Everything an article version holds (what a write replaces whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleContent {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub locale: String,
    pub visibility: String,
    /// `Network/Wi-Fi`; empty for none. Missing categories are created.
    pub category_path: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ArticleRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub locale: String,
    pub visibility: String,
    pub category_id: Option<i64>,
    pub category_path: Option<String>,
    pub version: i64,
    pub author_id: Option<i64>,
    pub updated_by: Option<i64>,
    pub source: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct ArticleVersionRow {
    pub article_id: i64,
    pub version: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub locale: String,
    pub visibility: String,
    pub category_path: String,
    /// JSON array of strings.
    pub tags: String,
    pub changed_by: Option<i64>,
    pub changed_by_name: Option<String>,
    pub note: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct CategoryRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub path: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub entity: String,
    pub entity_id: i64,
}

/// A ticket with the texts the search index needs.
#[derive(Debug, Clone)]
pub struct TicketForIndex {
    pub id: i64,
    pub version: i64,
    pub subject: String,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub status: String,
    pub public_messages: Vec<String>,
    pub internal_notes: Vec<String>,
    /// Numbers the ticket had in another help desk it was imported from, e.g. `DH-42`.
    pub references: Vec<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct FeedbackSummaryRow {
    pub helpful: i64,
    pub not_helpful: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct FeedbackRow {
    pub id: i64,
    pub article_id: i64,
    pub helpful: bool,
    pub comment: String,
    pub user_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct DeflectionEventRow {
    pub session_key: String,
    pub kind: String,
    pub article_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct SearchLogRow {
    pub query: String,
    pub kind: String,
    pub results: i64,
    pub session_key: Option<String>,
    pub created_at: i64,
}

const ARTICLE_SELECT: &str = "SELECT a.id, a.slug, a.title, a.summary, a.body_markdown, a.locale,
        a.visibility, a.category_id, c.path AS category_path, a.version, a.author_id,
        a.updated_by, a.source, a.created_at, a.updated_at
     FROM kb_articles a LEFT JOIN kb_categories c ON c.id = a.category_id";

/// Tells the search indexes that `entity` `id` changed, inside the caller's transaction.
macro_rules! outbox {
    ($tx:ident, $entity:expr, $id:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO search_outbox (entity, entity_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind($entity)
        .bind($id)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    };
}
pub(crate) use outbox;

/// Finds or creates the category `path` (and its parents) inside the caller's transaction.
macro_rules! category_for_path {
    ($tx:ident, $path:expr, $now:expr) => {{
        let mut parent: Option<i64> = None;
        let mut so_far = String::new();
        for name in $path.split('/').map(str::trim).filter(|n| !n.is_empty()) {
            if !so_far.is_empty() {
                so_far.push('/');
            }
            so_far.push_str(name);
            sqlx::query(
                "INSERT INTO kb_categories (parent_id, name, path, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (path) DO NOTHING",
            )
            .bind(parent)
            .bind(name)
            .bind(&so_far)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
            let id: i64 = sqlx::query_scalar("SELECT id FROM kb_categories WHERE path = $1")
                .bind(&so_far)
                .fetch_one(&mut *$tx)
                .await?;
            parent = Some(id);
        }
        (parent, so_far)
    }};
}

/// Writes tags, the version row and the outbox row of an article inside the transaction.
macro_rules! after_article_write {
    ($tx:ident, $id:expr, $version:expr, $c:expr, $path:expr, $by:expr, $note:expr, $now:expr) => {{
        sqlx::query("DELETE FROM kb_article_tags WHERE article_id = $1")
            .bind($id)
            .execute(&mut *$tx)
            .await?;
        let mut tags = $c.tags.clone();
        tags.sort();
        tags.dedup();
        for tag in &tags {
            sqlx::query("INSERT INTO kb_article_tags (article_id, tag) VALUES ($1, $2)")
                .bind($id)
                .bind(tag)
                .execute(&mut *$tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO kb_article_versions (article_id, version, slug, title, summary, body_markdown,
                 locale, visibility, category_path, tags, changed_by, note, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind($id)
        .bind($version)
        .bind(&$c.slug)
        .bind(&$c.title)
        .bind(&$c.summary)
        .bind(&$c.body_markdown)
        .bind(&$c.locale)
        .bind(&$c.visibility)
        .bind($path)
        .bind(serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()))
        .bind($by)
        .bind($note)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        outbox!($tx, "article", $id, $now);
    }};
}

impl Store {
    /// Adds an article at version 1 with its tags, first history entry and outbox row.
    pub async fn insert_article(
        &self,
        c: &ArticleContent,
        author_id: Option<i64>,
        source: Option<&str>,
        now: i64,
    ) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            let (category_id, path) = category_for_path!(tx, c.category_path, now);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO kb_articles (slug, title, summary, body_markdown, locale, visibility,
                     category_id, version, author_id, updated_by, source, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8, $9, $10, $10) RETURNING id",
            )
            .bind(&c.slug)
            .bind(&c.title)
            .bind(&c.summary)
            .bind(&c.body_markdown)
            .bind(&c.locale)
            .bind(&c.visibility)
            .bind(category_id)
            .bind(author_id)
            .bind(source)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "an article with this slug"))?;
            after_article_write!(tx, id, 1i64, c, &path, author_id, "created", now);
            id
        }))
    }

    /// Adds many articles in one transaction (seeding and benchmarks): the same rows as
    /// [`Store::insert_article`] writes for each, outbox included.
    pub async fn insert_articles_bulk(&self, articles: &[ArticleContent], now: i64) -> Result<()> {
        in_transaction!(self, |tx| {
            for c in articles {
                let (category_id, path) = category_for_path!(tx, c.category_path, now);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO kb_articles (slug, title, summary, body_markdown, locale, visibility,
                         category_id, version, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) RETURNING id",
                )
                .bind(&c.slug)
                .bind(&c.title)
                .bind(&c.summary)
                .bind(&c.body_markdown)
                .bind(&c.locale)
                .bind(&c.visibility)
                .bind(category_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::classify(e, "an article with this slug"))?;
                after_article_write!(tx, id, 1i64, c, &path, None::<i64>, "created", now);
            }
        });
        Ok(())
    }

    /// Replaces an article's content if nobody changed it since `expected_version`
    /// ([`StoreError::Stale`] otherwise); appends the new version to the history.
    pub async fn update_article(
        &self,
        id: i64,
        expected_version: i64,
        c: &ArticleContent,
        changed_by: Option<i64>,
        note: &str,
        now: i64,
    ) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            let (category_id, path) = category_for_path!(tx, c.category_path, now);
            let updated = sqlx::query(
                "UPDATE kb_articles SET slug = $1, title = $2, summary = $3, body_markdown = $4,
                     locale = $5, visibility = $6, category_id = $7, version = version + 1,
                     updated_by = $8, updated_at = $9
                 WHERE id = $10 AND version = $11",
            )
            .bind(&c.slug)
            .bind(&c.title)
            .bind(&c.summary)
            .bind(&c.body_markdown)
            .bind(&c.locale)
            .bind(&c.visibility)
            .bind(category_id)
            .bind(changed_by)
            .bind(now)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "an article with this slug"))?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Stale);
            }
            let version = expected_version + 1;
            after_article_write!(tx, id, version, c, &path, changed_by, note, now);
            version
        }))
    }

    pub async fn article(&self, id: i64) -> Result<Option<ArticleRow>> {
        let sql = format!("{ARTICLE_SELECT} WHERE a.id = $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ArticleRow>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    pub async fn article_by_slug(&self, slug: &str) -> Result<Option<ArticleRow>> {
        let sql = format!("{ARTICLE_SELECT} WHERE a.slug = $1");
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ArticleRow>(&sql)
                .bind(slug)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Whether a slug is taken (by any article, whatever its visibility).
    pub async fn slug_taken(&self, slug: &str) -> Result<bool> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>("SELECT id FROM kb_articles WHERE slug = $1")
                .bind(slug)
                .fetch_optional(db)
                .await?
                .is_some()
        }))
    }

    pub async fn article_tags(&self, id: i64) -> Result<Vec<String>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, String>(
                "SELECT tag FROM kb_article_tags WHERE article_id = $1 ORDER BY tag",
            )
            .bind(id)
            .fetch_all(db)
            .await?
        }))
    }

    /// Articles with one of `visibilities`, by id ascending after `after_id`.
    pub async fn articles(
        &self,
        visibilities: &[&str],
        category_path: Option<&str>,
        after_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ArticleRow>> {
        Ok(with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new(ARTICLE_SELECT);
            q.push(" WHERE a.visibility IN (");
            let mut sep = q.separated(", ");
            for v in visibilities {
                sep.push_bind(v.to_string());
            }
            q.push(")");
            if let Some(path) = category_path {
                q.push(" AND (c.path = ")
                    .push_bind(path.to_string())
                    .push(" OR c.path LIKE ")
                    .push_bind(format!("{path}/%"))
                    .push(")");
            }
            if let Some(after) = after_id {
                q.push(" AND a.id > ").push_bind(after);
            }
            q.push(" ORDER BY a.id LIMIT ").push_bind(limit);
            q.build_query_as::<ArticleRow>().fetch_all(db).await?
        }))
    }

    /// Tags of many articles at once.
    pub async fn tags_of_articles(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
        self.tags_by_owner("kb_article_tags", "article_id", ids)
            .await
    }

    /// Articles by id (any visibility), for the indexer.
    pub async fn articles_by_ids(&self, ids: &[i64]) -> Result<Vec<ArticleRow>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        Ok(with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new(ARTICLE_SELECT);
            q.push(" WHERE a.id IN (");
            let mut sep = q.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            q.push(")");
            q.build_query_as::<ArticleRow>().fetch_all(db).await?
        }))
    }

    pub async fn article_history(&self, id: i64) -> Result<Vec<ArticleVersionRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, ArticleVersionRow>(
                "SELECT v.article_id, v.version, v.slug, v.title, v.summary, v.body_markdown,
                        v.locale, v.visibility, v.category_path, v.tags, v.changed_by,
                        u.name AS changed_by_name, v.note, v.created_at
                 FROM kb_article_versions v LEFT JOIN users u ON u.id = v.changed_by
                 WHERE v.article_id = $1 ORDER BY v.version DESC",
            )
            .bind(id)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn categories(&self) -> Result<Vec<CategoryRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, CategoryRow>(
                "SELECT id, parent_id, name, path FROM kb_categories ORDER BY path",
            )
            .fetch_all(db)
            .await?
        }))
    }

    /// Every article id with its version, for drift checks.
    pub async fn article_versions_all(&self) -> Result<BTreeMap<i64, i64>> {
        let rows: Vec<(i64, i64)> = with_reader!(self, |db| {
            sqlx::query_as::<_, (i64, i64)>("SELECT id, version FROM kb_articles")
                .fetch_all(db)
                .await?
        });
        Ok(rows.into_iter().collect())
    }

    /// Every ticket id with its version, for drift checks.
    pub async fn ticket_versions_all(&self) -> Result<BTreeMap<i64, i64>> {
        let rows: Vec<(i64, i64)> = with_reader!(self, |db| {
            sqlx::query_as::<_, (i64, i64)>("SELECT id, version FROM tickets")
                .fetch_all(db)
                .await?
        });
        Ok(rows.into_iter().collect())
    }

    /// Tickets with their message texts: by `ids`, or (when `ids` is `None`) the next
    /// `limit` tickets after `after_id`, for a rebuild.
    pub async fn tickets_for_index(
        &self,
        ids: Option<&[i64]>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<TicketForIndex>> {
        type Head = (
            i64,
            i64,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            String,
        );
        let heads: Vec<Head> = with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT id, version, subject, requester_id, organization_id, team_id, assignee_id, status
                 FROM tickets WHERE ",
            );
            match ids {
                Some([]) => return Ok(vec![]),
                Some(ids) => {
                    q.push("id IN (");
                    let mut sep = q.separated(", ");
                    for id in ids {
                        sep.push_bind(*id);
                    }
                    q.push(")");
                }
                None => {
                    q.push("id > ")
                        .push_bind(after_id)
                        .push(" ORDER BY id LIMIT ")
                        .push_bind(limit);
                }
            }
            q.build_query_as::<Head>().fetch_all(db).await?
        });
        if heads.is_empty() {
            return Ok(vec![]);
        }
        let messages: Vec<(i64, String, String)> = with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT ticket_id, kind, body_text FROM messages WHERE ticket_id IN (",
            );
            let mut sep = q.separated(", ");
            for h in &heads {
                sep.push_bind(h.0);
            }
            q.push(") ORDER BY ticket_id, id");
            q.build_query_as::<(i64, String, String)>()
                .fetch_all(db)
                .await?
        });
        let mut texts: HashMap<i64, (Vec<String>, Vec<String>)> = HashMap::new();
        for (ticket, kind, body) in messages {
            let e = texts.entry(ticket).or_default();
            if kind == "public" {
                e.0.push(body)
            } else {
                e.1.push(body)
            }
        }
        let ids: Vec<i64> = heads.iter().map(|h| h.0).collect();
        let mut references = self.ticket_references(&ids).await?;
        Ok(heads
            .into_iter()
            .map(|h| {
                let (public_messages, internal_notes) = texts.remove(&h.0).unwrap_or_default();
                let references = references.remove(&h.0).unwrap_or_default();
                TicketForIndex {
                    id: h.0,
                    version: h.1,
                    subject: h.2,
                    requester_id: h.3,
                    organization_id: h.4,
                    team_id: h.5,
                    assignee_id: h.6,
                    status: h.7,
                    public_messages,
                    internal_notes,
                    references,
                }
            })
            .collect())
    }

    /// Outbox rows after `after_id`, oldest first.
    pub async fn outbox_after(&self, after_id: i64, limit: i64) -> Result<Vec<OutboxRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, OutboxRow>(
                "SELECT id, entity, entity_id FROM search_outbox WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after_id)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    /// The newest outbox id (0 when empty).
    pub async fn outbox_max(&self) -> Result<i64> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM search_outbox")
                .fetch_one(db)
                .await?
                .unwrap_or(0)
        }))
    }

    pub async fn insert_feedback(
        &self,
        article_id: i64,
        helpful: bool,
        comment: &str,
        user_id: Option<i64>,
        session_key: Option<&str>,
        now: i64,
    ) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO kb_feedback (article_id, helpful, comment, user_id, session_key, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(article_id)
            .bind(helpful)
            .bind(comment)
            .bind(user_id)
            .bind(session_key)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "feedback"))?
        }))
    }

    pub async fn feedback_summary(&self, article_id: i64) -> Result<FeedbackSummaryRow> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, FeedbackSummaryRow>(
                "SELECT COALESCE(SUM(CASE WHEN helpful THEN 1 ELSE 0 END), 0) AS helpful,
                        COALESCE(SUM(CASE WHEN helpful THEN 0 ELSE 1 END), 0) AS not_helpful
                 FROM kb_feedback WHERE article_id = $1",
            )
            .bind(article_id)
            .fetch_one(db)
            .await?
        }))
    }

    /// The newest feedback (with comments) on an article.
    pub async fn feedback_of(&self, article_id: i64, limit: i64) -> Result<Vec<FeedbackRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, FeedbackRow>(
                "SELECT id, article_id, helpful, comment, user_id, created_at FROM kb_feedback
                 WHERE article_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(article_id)
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn log_search(
        &self,
        query: &str,
        kind: &str,
        results: i64,
        role: &str,
        user_id: Option<i64>,
        session_key: Option<&str>,
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO kb_search_log (query, kind, results, role, user_id, session_key, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(query)
            .bind(kind)
            .bind(results)
            .bind(role)
            .bind(user_id)
            .bind(session_key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    pub async fn insert_deflection_event(
        &self,
        session_key: &str,
        kind: &str,
        article_id: Option<i64>,
        ticket_id: Option<i64>,
        user_id: Option<i64>,
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO kb_deflection_events (session_key, kind, article_id, ticket_id, user_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(session_key)
            .bind(kind)
            .bind(article_id)
            .bind(ticket_id)
            .bind(user_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::classify(e, "deflection event"))?;
        });
        Ok(())
    }

    /// Deflection events since `since` (ordered by session, then time).
    pub async fn deflection_events(&self, since: i64) -> Result<Vec<DeflectionEventRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, DeflectionEventRow>(
                "SELECT session_key, kind, article_id, ticket_id, created_at FROM kb_deflection_events
                 WHERE created_at >= $1 ORDER BY session_key, id",
            )
            .bind(since)
            .fetch_all(db)
            .await?
        }))
    }

    /// Customer-side searches since `since` that found nothing, or whose session went on to
    /// submit a ticket.
    pub async fn gap_searches(&self, since: i64) -> Result<Vec<SearchLogRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, SearchLogRow>(
                "SELECT l.query, l.kind, l.results, l.session_key, l.created_at FROM kb_search_log l
                 WHERE l.created_at >= $1 AND l.role IN ('customer', 'anonymous')
                   AND (l.results = 0 OR (l.session_key IS NOT NULL AND EXISTS (
                        SELECT 1 FROM kb_deflection_events d
                        WHERE d.session_key = l.session_key AND d.kind = 'submitted')))
                 ORDER BY l.id",
            )
            .bind(since)
            .fetch_all(db)
            .await?
        }))
    }
}

/// A category with how many articles sit directly in it.
#[derive(Debug, Clone, FromRow)]
pub struct CategoryCountRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub path: String,
    pub articles: i64,
}

impl Store {
    /// Every category by path, with its own article count (one query).
    pub async fn categories_with_counts(&self) -> Result<Vec<CategoryCountRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, CategoryCountRow>(
                "SELECT c.id, c.parent_id, c.name, c.path,
                        (SELECT COUNT(*) FROM kb_articles a WHERE a.category_id = c.id) AS articles
                 FROM kb_categories c ORDER BY c.path",
            )
            .fetch_all(db)
            .await?
        }))
    }

    /// Creates the category `path` and any missing parents; returns its id.
    pub async fn add_category(&self, path: &str, now: i64) -> Result<Option<i64>> {
        Ok(in_transaction!(self, |tx| {
            let (id, _) = category_for_path!(tx, path, now);
            id
        }))
    }

    /// Articles filed under `path` or below it.
    pub async fn article_ids_under(&self, path: &str) -> Result<Vec<i64>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT a.id FROM kb_articles a JOIN kb_categories c ON c.id = a.category_id
                 WHERE c.path = $1 OR substr(c.path, 1, length($1) + 1) = $1 || '/'
                 ORDER BY a.id",
            )
            .bind(path)
            .fetch_all(db)
            .await?
        }))
    }

    /// Removes `path` and the categories below it that hold no article and no other
    /// category, deepest first; returns how many went.
    pub async fn remove_empty_categories_under(&self, path: &str) -> Result<u64> {
        Ok(in_transaction!(self, |tx| {
            let paths: Vec<String> = sqlx::query_scalar(
                "SELECT path FROM kb_categories
                 WHERE path = $1 OR substr(path, 1, length($1) + 1) = $1 || '/'
                 ORDER BY length(path) DESC",
            )
            .bind(path)
            .fetch_all(&mut *tx)
            .await?;
            let mut removed = 0;
            for p in paths {
                removed += sqlx::query(
                    "DELETE FROM kb_categories WHERE path = $1
                       AND NOT EXISTS (SELECT 1 FROM kb_articles a WHERE a.category_id = kb_categories.id)
                       AND NOT EXISTS (SELECT 1 FROM kb_categories c WHERE c.parent_id = kb_categories.id)",
                )
                .bind(&p)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            removed
        }))
    }
}

/// A public article with how many readers said it helped (the help centre's home).
#[derive(Debug, Clone, FromRow)]
pub struct HelpfulArticleRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub helpful: i64,
}

impl Store {
    /// Categories holding public articles, with how many, by path.
    pub async fn public_categories(&self) -> Result<Vec<(String, i64)>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, (String, i64)>(
                "SELECT c.path, COUNT(a.id) FROM kb_categories c
                 JOIN kb_articles a ON a.category_id = c.id
                 WHERE a.visibility = 'public' GROUP BY c.path ORDER BY c.path",
            )
            .fetch_all(db)
            .await?
        }))
    }

    /// The public articles readers found most helpful (then the oldest first).
    pub async fn most_helpful_public(&self, limit: i64) -> Result<Vec<HelpfulArticleRow>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, HelpfulArticleRow>(
                "SELECT a.id, a.slug, a.title, a.summary,
                        COALESCE(SUM(CASE WHEN f.helpful THEN 1 ELSE 0 END), 0) AS helpful
                 FROM kb_articles a LEFT JOIN kb_feedback f ON f.article_id = a.id
                 WHERE a.visibility = 'public'
                 GROUP BY a.id, a.slug, a.title, a.summary
                 ORDER BY helpful DESC, a.id LIMIT $1",
            )
            .bind(limit)
            .fetch_all(db)
            .await?
        }))
    }
}
