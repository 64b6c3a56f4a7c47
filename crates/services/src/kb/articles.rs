//! Articles: visibility rules, version history and restore, Markdown rendered to
//! sanitised HTML, readable slugs, imports, and a resolved ticket turned into a draft.

use super::{Contact, FeedbackCounts, contact, parse_locale, session_key, text_field};
use crate::ErrorCode;
use crate::views::rfc3339;
use crate::{Actor, Result, ServiceError, Services};
use heard_search::Visibility;
use heard_search::import::{ArticleDraft, slugify};
use heard_store::{ArticleContent, ArticleRow, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    pub imported: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: Vec<heard_search::import::Skip>,
}

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

fn parse_visibility(v: &str) -> Result<String> {
    Visibility::parse(v)
        .map(|v| v.as_str().to_string())
        .ok_or_else(|| {
            ServiceError::invalid(
                "visibility",
                ErrorCode::InvalidVisibility,
                "visibility is public, internal or draft",
            )
        })
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
            ErrorCode::InvalidSlug,
            "a slug has lower-case letters, digits and single dashes, and is not only digits",
        ))
    }
}

fn parse_tags(tags: &[String]) -> Result<Vec<String>> {
    if tags.len() > 30 {
        return Err(ServiceError::invalid(
            "tags",
            ErrorCode::TooManyTags,
            "at most 30 tags",
        ));
    }
    let mut out = Vec::new();
    for t in tags {
        let t = t.trim().to_lowercase();
        if t.is_empty() || t.len() > 60 {
            return Err(ServiceError::invalid(
                "tags",
                ErrorCode::InvalidTag,
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
            ErrorCode::InvalidCategory,
            "a category path has at most 8 levels and 300 bytes",
        ));
    }
    Ok(parts.join("/"))
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

impl Services {
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
            ErrorCode::SlugTaken,
            "no free slug for this title; give one",
        ))
    }

    /// The article if `actor` may read it (by id or slug); otherwise 404 as if missing.
    pub(super) async fn readable_article(
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
            _ => Err(ServiceError::not_found(
                "article",
                ErrorCode::ArticleNotFound,
            )),
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
                        ErrorCode::SlugTaken,
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
                ErrorCode::EditConflict,
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
                    ErrorCode::SlugTaken,
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
                    ErrorCode::SlugTaken,
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
            .ok_or_else(|| {
                ServiceError::not_found("article version", ErrorCode::VersionNotFound)
            })?;
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
                ErrorCode::TicketNotResolved,
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
