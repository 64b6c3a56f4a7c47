//! The public help centre, for anyone (signed in or not): the home page with the
//! categories and the articles readers found most helpful, search (the same knowledge-base
//! search the portal's suggestions use, public articles only), category pages, articles
//! with "did this help?", and on every page the way to a person.

use crate::WebState;
use crate::format::{url_encode, when};
use crate::page::{Chrome, PageError, PageResult, notice_text, render, see_other};
use crate::session::{MaybeViewer, Viewer, check_form_token, form_token, with_cookie};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use heard_services::kb::{ArticleQuery, DeflectionEvent, NewFeedback, SearchQuery};
use serde::Deserialize;

/// How many "most helpful" articles the home page lists.
const MOST_HELPFUL: i64 = 6;

/// The way to a person, on every help page: a new request, through sign-in when needed
/// (sign-in comes back to the request form).
pub struct Person {
    pub href: String,
    pub signed_in: bool,
}

impl Person {
    fn for_viewer(viewer: &Option<Viewer>) -> Person {
        match viewer {
            Some(_) => Person {
                href: "/requests/new".into(),
                signed_in: true,
            },
            None => Person {
                href: format!("/signin?next={}", url_encode("/requests/new")),
                signed_in: false,
            },
        }
    }
}

/// The help centre's layout data, and a form token for readers who are not signed in.
async fn help_chrome(
    s: &WebState,
    viewer: &Option<Viewer>,
    headers: &HeaderMap,
    title: &str,
) -> PageResult<(Chrome, Option<String>)> {
    Ok(match viewer {
        Some(v) => (v.chrome(title, "help"), None),
        None => {
            let (token, set) = form_token(s, headers).await?;
            let mut c = Chrome::anonymous(title, token);
            c.area = "help";
            (c, set)
        }
    })
}

pub struct Hit {
    pub slug: String,
    pub title: String,
    /// Plain text of the matched passage.
    pub snippet: String,
}

pub struct CategoryLine {
    pub path: String,
    pub href: String,
    pub articles: i64,
}

pub struct ArticleLine {
    pub slug: String,
    pub title: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "help_home.html")]
struct HomePage {
    chrome: Chrome,
    q: String,
    /// Set when a search was made.
    results: Option<Vec<Hit>>,
    total: usize,
    categories: Vec<CategoryLine>,
    most_helpful: Vec<ArticleLine>,
    person: Person,
}

#[derive(Deserialize)]
pub struct HomeQuery {
    #[serde(default)]
    q: String,
}

/// The text of an escaped snippet with `<mark>`s: tags dropped, entities decoded.
fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// `/help`: categories, the most helpful articles, and search (`?q=`).
pub async fn home(
    State(s): State<WebState>,
    MaybeViewer(viewer): MaybeViewer,
    headers: HeaderMap,
    Query(q): Query<HomeQuery>,
) -> PageResult {
    let text = q.q.trim().chars().take(200).collect::<String>();
    // Searched as a customer would: staff browsing the help centre get no internal hits.
    let reader = viewer.as_ref().map(|v| &v.actor).filter(|a| !a.is_staff());
    let (results, total) = if text.is_empty() {
        (None, 0)
    } else {
        let found = s
            .services
            .search_articles(
                reader,
                SearchQuery {
                    q: Some(text.clone()),
                    limit: Some(20),
                    ..Default::default()
                },
            )
            .await?;
        let hits = found
            .hits
            .into_iter()
            .map(|h| Hit {
                slug: h.slug,
                title: h.title,
                snippet: plain(&h.snippet_html),
            })
            .collect();
        (Some(hits), found.total)
    };
    let home = s.services.help_home(MOST_HELPFUL).await?;
    let title = if text.is_empty() {
        "Help centre".to_string()
    } else {
        format!("Help: {text}")
    };
    let (chrome, set) = help_chrome(&s, &viewer, &headers, &title).await?;
    let page = HomePage {
        chrome,
        q: text,
        results,
        total,
        categories: home
            .categories
            .into_iter()
            .map(|c| CategoryLine {
                href: format!(
                    "/help/topics/{}",
                    c.path
                        .split('/')
                        .map(url_encode)
                        .collect::<Vec<_>>()
                        .join("/")
                ),
                path: c.path,
                articles: c.articles,
            })
            .collect(),
        most_helpful: home
            .most_helpful
            .into_iter()
            .map(|a| ArticleLine {
                slug: a.slug,
                title: a.title,
                summary: a.summary,
            })
            .collect(),
        person: Person::for_viewer(&viewer),
    };
    Ok(with_cookie(render(&page), set))
}

#[derive(Template)]
#[template(path = "help_topic.html")]
struct TopicPage {
    chrome: Chrome,
    path: String,
    articles: Vec<ArticleLine>,
    person: Person,
}

/// `/help/topics/{path}`: the public articles of a category (and the ones below it).
pub async fn topic(
    State(s): State<WebState>,
    MaybeViewer(viewer): MaybeViewer,
    headers: HeaderMap,
    Path(path): Path<String>,
) -> PageResult {
    // Public articles only, whoever reads: the help centre is the customers' view.
    let list = s
        .services
        .list_articles(
            None,
            ArticleQuery {
                category: Some(path.clone()),
                after: None,
                limit: Some(100),
            },
        )
        .await?;
    if list.items.is_empty() {
        return Err(PageError::from(heard_services::ServiceError::not_found(
            "category",
            heard_services::ErrorCode::CategoryNotFound,
        )));
    }
    let (chrome, set) = help_chrome(&s, &viewer, &headers, &path).await?;
    let page = TopicPage {
        chrome,
        articles: list
            .items
            .into_iter()
            .map(|a| ArticleLine {
                slug: a.slug,
                title: a.title,
                summary: a.summary,
            })
            .collect(),
        path,
        person: Person::for_viewer(&viewer),
    };
    Ok(with_cookie(render(&page), set))
}

/// `visit`: the self-service visit (the new-request form's key) a suggestion came from.
#[derive(Deserialize)]
pub struct Visit {
    visit: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "help_article.html")]
struct ArticlePage {
    chrome: Chrome,
    title: String,
    summary: String,
    /// Rendered from Markdown and sanitised by the knowledge base on the way in.
    body_html: String,
    category: String,
    category_href: String,
    updated: String,
    contact: String,
    slug: String,
    /// Set when the article was opened from a suggestion: "this solved it" also ends the
    /// visit as solved without a request.
    visit: Option<String>,
    /// The reader said it did not help: the way to a person comes first.
    not_helped: bool,
    /// The reader already answered "did this help?".
    answered: bool,
    person: Person,
}

pub async fn article(
    State(s): State<WebState>,
    MaybeViewer(viewer): MaybeViewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<Visit>,
) -> PageResult {
    // Staff read the help centre as customers do; internal articles stay in the workspace.
    let reader = viewer.as_ref().map(|v| &v.actor).filter(|a| !a.is_staff());
    // Opening an article from a suggestion is the "opened" step of deflection.
    let visit = q.visit.filter(|v| !v.is_empty() && v.len() <= 100);
    let a = s
        .services
        .get_article(reader, &slug, visit.as_deref())
        .await?;
    let (mut chrome, set) = help_chrome(&s, &viewer, &headers, &a.title).await?;
    chrome.notice = notice_text(q.done.as_deref());
    let category = a.category.unwrap_or_default();
    let page = ArticlePage {
        chrome,
        title: a.title,
        summary: a.summary,
        body_html: a.body_html,
        category_href: format!(
            "/help/topics/{}",
            category
                .split('/')
                .map(url_encode)
                .collect::<Vec<_>>()
                .join("/")
        ),
        category,
        updated: when(&a.updated_at),
        contact: a.contact.message,
        slug: a.slug,
        visit: visit.filter(|_| viewer.is_some()),
        not_helped: q.done.as_deref() == Some("not_helped"),
        answered: matches!(q.done.as_deref(), Some("helped" | "not_helped")),
        person: Person::for_viewer(&viewer),
    };
    Ok(with_cookie(render(&page), set))
}

#[derive(Deserialize)]
pub struct SolvedForm {
    csrf: String,
    #[serde(default)]
    visit: String,
    /// `yes` (the default: "this solved it") or `no`.
    #[serde(default)]
    helped: String,
}

/// "Did this help?": the answer is recorded as the article's feedback. A "yes" after a
/// suggestion also ends the visit without a request (a deflection); a "no" comes back
/// to the article with the way to a person first.
pub async fn solved(
    State(s): State<WebState>,
    MaybeViewer(viewer): MaybeViewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
    axum::Form(f): axum::Form<SolvedForm>,
) -> Result<Response, PageError> {
    match &viewer {
        Some(v) => v.check_csrf(&f.csrf)?,
        None => check_form_token(&s, &headers, &f.csrf).await?,
    }
    let reader = viewer.as_ref().map(|v| &v.actor).filter(|a| !a.is_staff());
    let helped = f.helped != "no";
    let visit = (!f.visit.is_empty()).then_some(f.visit);
    let a = s.services.get_article(reader, &slug, None).await?;
    s.services
        .article_feedback(
            reader,
            &a.slug,
            NewFeedback {
                helpful: helped,
                comment: String::new(),
                session: visit.clone(),
            },
        )
        .await?;
    let back = format!("/help/{}", a.slug);
    if !helped {
        return Ok(see_other(&back, "not_helped"));
    }
    match (visit, &viewer) {
        (Some(visit), Some(v)) => {
            s.services
                .record_deflection(
                    Some(&v.actor),
                    DeflectionEvent {
                        session: visit,
                        event: "abandoned".into(),
                        article_id: Some(a.id),
                        ticket_id: None,
                    },
                )
                .await?;
            Ok(see_other("/", "solved"))
        }
        _ => Ok(see_other(&back, "helped")),
    }
}
