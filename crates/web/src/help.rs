//! Help articles as pages, for anyone (signed in or not): where a suggested article leads.

use crate::WebState;
use crate::format::when;
use crate::page::{Chrome, PageResult, render};
use crate::session::MaybeViewer;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use heard_services::kb::DeflectionEvent;
use serde::Deserialize;

/// `visit`: the self-service visit (the new-request form's key) a suggestion came from.
#[derive(Deserialize)]
pub struct Visit {
    visit: Option<String>,
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
    updated: String,
    contact: String,
    signed_in: bool,
    slug: String,
    /// Set when the article was opened from a suggestion: offers "this solved it".
    visit: Option<String>,
}

pub async fn article(
    State(s): State<WebState>,
    MaybeViewer(viewer): MaybeViewer,
    Path(slug): Path<String>,
    Query(q): Query<Visit>,
) -> PageResult {
    let actor = viewer.as_ref().map(|v| &v.actor);
    // Opening an article from a suggestion is the "opened" step of deflection.
    let visit = q.visit.filter(|v| !v.is_empty() && v.len() <= 100);
    let a = s
        .services
        .get_article(actor, &slug, visit.as_deref())
        .await?;
    let chrome = match &viewer {
        Some(v) => v.chrome(a.title.clone(), "help"),
        None => Chrome {
            title: a.title.clone(),
            area: "help",
            ..Default::default()
        },
    };
    Ok(render(&ArticlePage {
        chrome,
        title: a.title,
        summary: a.summary,
        body_html: a.body_html,
        category: a.category.unwrap_or_default(),
        updated: when(&a.updated_at),
        contact: a.contact.message,
        signed_in: viewer.is_some(),
        slug: a.slug,
        visit: visit.filter(|_| viewer.is_some()),
    }))
}

#[derive(Deserialize)]
pub struct SolvedForm {
    csrf: String,
    visit: String,
}

/// "This solved it": the customer leaves without writing a request — a deflection.
pub async fn solved(
    State(s): State<WebState>,
    viewer: crate::session::Viewer,
    Path(slug): Path<String>,
    axum::Form(f): axum::Form<SolvedForm>,
) -> Result<Response, crate::page::PageError> {
    viewer.check_csrf(&f.csrf)?;
    let a = s
        .services
        .get_article(Some(&viewer.actor), &slug, None)
        .await?;
    s.services
        .record_deflection(
            Some(&viewer.actor),
            DeflectionEvent {
                session: f.visit,
                event: "abandoned".into(),
                article_id: Some(a.id),
                ticket_id: None,
            },
        )
        .await?;
    Ok(crate::page::see_other("/", "solved"))
}
