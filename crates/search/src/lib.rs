//! heard's search: the embedded full-text index (tantivy) for knowledge-base articles and
//! for tickets with their messages, the query understanding that lets a customer find an
//! article in their own words (stemming, phrase and title boosts, typo tolerance, the
//! help-desk thesaurus in `data/thesaurus.txt`), and the conversion of article files
//! (Markdown, reStructuredText-like text, GNOME help JSON lines) for `heard kb import`.
//!
//! What this crate does not own: the database. The index is a cache of it, fed by the
//! caller from a durable outbox through idempotent, versioned upserts and deletes
//! ([`SearchIndex::upsert_article`], [`SearchIndex::commit`]); [`SearchIndex::article_versions`]
//! and [`SearchIndex::ticket_versions`] list what is indexed so drift can be checked, and
//! [`SearchIndex::clear`] starts a rebuild.
//!
//! Access rules for tickets are part of the tantivy query itself ([`TicketScope`]), so hits
//! *and counts* only ever cover what the caller may see.
//!
//! ```
//! use heard_search::{ArticleDoc, ArticleFilter, SearchIndex, Visibility};
//!
//! let index = SearchIndex::in_ram(); // SearchIndex::open(dir) in the server
//! index.upsert_article(&ArticleDoc {
//!     id: 7,
//!     version: 1,
//!     slug: "fix-a-blue-screen".into(),
//!     title: "Fix a stop error (BSOD)".into(),
//!     summary: "What to do when Windows shows a stop code.".into(),
//!     body: "Restart, then update your drivers.".into(),
//!     tags: vec!["windows".into()],
//!     category: "Computers/Windows".into(),
//!     locale: "en".into(),
//!     visibility: Visibility::Public,
//! })?;
//! index.commit()?;
//! let customer = ArticleFilter::public(Some("en"));
//! let found = index.suggest_articles("my laptop shows a blue screen and rest", &customer, 5)?;
//! assert_eq!(found.hits[0].slug, "fix-a-blue-screen");
//! # Ok::<(), heard_search::SearchError>(())
//! ```

pub mod import;
mod index;
mod query;
mod scope;
pub mod text;
pub mod thesaurus;

pub use index::{IndexOptions, SearchIndex};
pub use text::escape_html;
pub use thesaurus::Thesaurus;

use serde::{Deserialize, Serialize};

/// Who may read an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Anyone, including customers who are not signed in.
    Public,
    /// Staff only.
    Internal,
    /// Being written; staff who edit articles only.
    Draft,
}

impl Visibility {
    /// The stable lower-case name, as stored in the index and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
            Visibility::Draft => "draft",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Visibility> {
        match s.trim().to_ascii_lowercase().as_str() {
            "public" => Some(Visibility::Public),
            "internal" => Some(Visibility::Internal),
            "draft" => Some(Visibility::Draft),
            _ => None,
        }
    }
}

/// An article as the index needs it (one version of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleDoc {
    /// The database id.
    pub id: i64,
    /// Increases with every change; an older version never replaces a newer one.
    pub version: i64,
    /// Readable address part, e.g. `connect-to-a-wireless-network`.
    pub slug: String,
    /// The title.
    pub title: String,
    /// One or two sentences.
    pub summary: String,
    /// The body in Markdown (plain text works too).
    pub body: String,
    /// Free tags.
    pub tags: Vec<String>,
    /// Category path, e.g. `Network/Wi-Fi`; empty for none.
    pub category: String,
    /// Language tag, e.g. `en`.
    pub locale: String,
    /// Who may see it.
    pub visibility: Visibility,
}

/// Which articles a search may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleFilter {
    /// Allowed visibilities (empty: nothing matches).
    pub visibilities: Vec<Visibility>,
    /// Only this locale, when set.
    pub locale: Option<String>,
}

impl ArticleFilter {
    /// What a customer may see: public articles.
    pub fn public(locale: Option<&str>) -> ArticleFilter {
        ArticleFilter {
            visibilities: vec![Visibility::Public],
            locale: locale.map(str::to_string),
        }
    }

    /// What staff may see: everything, drafts included.
    pub fn staff(locale: Option<&str>) -> ArticleFilter {
        ArticleFilter {
            visibilities: vec![Visibility::Public, Visibility::Internal, Visibility::Draft],
            locale: locale.map(str::to_string),
        }
    }
}

/// One article found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleHit {
    /// Database id.
    pub id: i64,
    /// Slug for the link.
    pub slug: String,
    /// Title as plain text (escape it when rendering).
    pub title: String,
    /// Relevance score: only comparable within one result list.
    pub score: f32,
    /// A passage of the article, HTML-escaped, with the matched words in `<mark>`.
    pub snippet_html: String,
}

/// A ticket as the index needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketDoc {
    /// Database id.
    pub id: i64,
    /// Increases with every change (a new message included).
    pub version: i64,
    /// Subject line.
    pub subject: String,
    /// Texts of the messages the customer can see, oldest first.
    pub public_messages: Vec<String>,
    /// Internal notes between staff: never searched or shown for a customer.
    pub internal_notes: Vec<String>,
    /// The customer who asked.
    pub requester_id: i64,
    /// The requester's organization.
    pub organization_id: Option<i64>,
    /// Whether the organization's members may see each other's tickets.
    pub org_shared: bool,
    /// Owning team.
    pub team_id: Option<i64>,
    /// The agent it is assigned to: they see it whatever its team.
    #[serde(default)]
    pub assignee_id: Option<i64>,
    /// Status name, e.g. `open`.
    pub status: String,
    /// Numbers it had in a help desk it was imported from (`DH-42`): found by search.
    #[serde(default)]
    pub references: Vec<String>,
}

/// Whose tickets a search may return. Applied inside the index query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketScope {
    /// A customer: their own tickets, plus their organization's tickets that are shared
    /// with the organization. Internal notes are neither searched nor shown.
    Customer {
        /// The signed-in customer.
        customer_id: i64,
        /// Their organization, if any. Only tickets indexed with `org_shared` match through it.
        organization_id: Option<i64>,
    },
    /// An agent: tickets of their teams (and unassigned ones when allowed), and those
    /// assigned to them.
    Agent {
        /// The agent: tickets assigned to them match whatever their team.
        assignee_id: Option<i64>,
        /// The agent's teams.
        team_ids: Vec<i64>,
        /// Whether tickets with no team are visible too.
        include_unassigned: bool,
    },
    /// A supervisor or admin: every ticket.
    Everything,
}

/// One ticket found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketHit {
    /// Database id.
    pub id: i64,
    /// Subject as plain text.
    pub subject: String,
    /// Status name.
    pub status: String,
    /// Relevance score.
    pub score: f32,
    /// A passage, HTML-escaped, matched words in `<mark>`.
    pub snippet_html: String,
    /// True when the passage comes from an internal note (never for customers).
    pub snippet_is_internal: bool,
}

/// Hits and how many documents matched in all (within the caller's scope).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults<H> {
    /// Number of matching documents the caller may see.
    pub total: usize,
    /// The best `limit` of them, best first.
    pub hits: Vec<H>,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The document was (re)written; visible after the next commit.
    Written,
    /// The index already holds this version or a newer one: nothing done.
    Stale,
}

/// Errors of the index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The search engine failed (I/O, corruption, lock held by another process…).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// File system trouble around the index directory.
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    /// A writer panicked while holding the lock; the process should restart.
    #[error("search index writer is poisoned")]
    Poisoned,
}

/// Differences between the database and the index, for `heard reindex --check` and the
/// like: compare what the database holds with [`SearchIndex::article_versions`] (or
/// [`SearchIndex::ticket_versions`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// In the database, not in the index.
    pub missing: Vec<i64>,
    /// In both, but the index holds an older version: (id, indexed, database).
    pub stale: Vec<(i64, i64, i64)>,
    /// In the index, no longer in the database.
    pub extra: Vec<i64>,
}

impl Drift {
    /// Compares `database` (id → current version) with `indexed` (id → indexed version).
    /// An index version newer than the database's also counts as stale: after a restore
    /// from backup, the index is ahead of the truth.
    pub fn between(
        database: &std::collections::BTreeMap<i64, i64>,
        indexed: &std::collections::BTreeMap<i64, i64>,
    ) -> Drift {
        let mut d = Drift::default();
        for (&id, &v) in database {
            match indexed.get(&id) {
                None => d.missing.push(id),
                Some(&iv) if iv != v => d.stale.push((id, iv, v)),
                Some(_) => {}
            }
        }
        d.extra = indexed
            .keys()
            .filter(|id| !database.contains_key(id))
            .copied()
            .collect();
        d
    }

    /// True when the index matches the database.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.stale.is_empty() && self.extra.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn drift_lists_missing_stale_and_extra() {
        let db: BTreeMap<i64, i64> = [(1, 1), (2, 5), (3, 1)].into();
        let idx: BTreeMap<i64, i64> = [(1, 1), (2, 4), (9, 2)].into();
        let d = Drift::between(&db, &idx);
        assert_eq!(d.missing, [3]);
        assert_eq!(d.stale, [(2, 4, 5)]);
        assert_eq!(d.extra, [9]);
        assert!(!d.is_empty());
        assert!(Drift::between(&db, &db).is_empty());
    }
}
