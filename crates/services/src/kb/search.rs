//! Finding things: the knowledge base's search and the suggestions shown while a
//! customer writes, and ticket search with the caller's access rules inside the query.

use super::{Contact, contact, parse_locale, session_key};
use crate::ErrorCode;
use crate::search_index::internal;
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::Role;
use heard_search::{ArticleFilter, TicketScope as IndexScope};
use heard_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

fn role_name(actor: Option<&Actor>) -> &'static str {
    match actor.map(|a| a.role) {
        None => "anonymous",
        Some(Role::Customer) => "customer",
        Some(Role::Agent) => "agent",
        Some(Role::Supervisor) => "supervisor",
        Some(Role::Admin) => "admin",
    }
}

fn search_text(q: Option<&str>) -> Result<String> {
    let q = q.unwrap_or("").trim();
    if q.is_empty() {
        return Err(ServiceError::invalid(
            "q",
            ErrorCode::MissingQuery,
            "say what you are looking for",
        ));
    }
    if q.len() > 2000 {
        return Err(ServiceError::invalid(
            "q",
            ErrorCode::QueryTooLong,
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
            ErrorCode::InvalidLimit,
            "limit must be between 1 and 50",
        )),
    }
}

struct ArticleAsk {
    text: String,
    limit: usize,
    filter: ArticleFilter,
    session: Option<String>,
}

impl Services {
    fn article_filter(&self, actor: Option<&Actor>, locale: Option<&str>) -> Result<ArticleFilter> {
        let locale = locale.map(parse_locale).transpose()?;
        Ok(match actor {
            Some(a) if a.is_staff() => ArticleFilter::staff(locale.as_deref()),
            _ => ArticleFilter::public(locale.as_deref()),
        })
    }

    /// What a search and a suggestion both start from: the checked query, limit, filter
    /// and session, with this process's index caught up with the database.
    async fn article_ask(
        &self,
        actor: Option<&Actor>,
        q: SearchQuery,
        default_limit: usize,
    ) -> Result<ArticleAsk> {
        let ask = ArticleAsk {
            text: search_text(q.q.as_deref())?,
            limit: result_limit(q.limit, default_limit)?,
            filter: self.article_filter(actor, q.locale.as_deref())?,
            session: session_key(q.session.as_deref())?,
        };
        self.search.try_sync(&self.store).await?;
        Ok(ask)
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
        let ArticleAsk {
            text,
            limit,
            filter,
            session,
        } = self.article_ask(actor, q, 10).await?;
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

    /// Suggestions while a customer writes a new ticket. With a `session`, what was shown
    /// is recorded (in the background: typing must not wait for a disk write).
    pub async fn suggest_articles(
        &self,
        actor: Option<&Actor>,
        q: SearchQuery,
    ) -> Result<ArticleResults> {
        let ArticleAsk {
            text,
            limit,
            filter,
            session,
        } = self.article_ask(actor, q, 5).await?;
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
}
