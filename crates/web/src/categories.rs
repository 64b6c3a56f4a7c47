//! Admin: knowledge-base categories — the tree with its article counts, adding one by
//! path, renaming one (its articles are refiled, each as a new version) and removing an
//! empty one.

use crate::WebState;
use crate::admin::{Done, Fields};
use crate::forms::{FormState, field, refusal};
use crate::page::{Chrome, PageResult, notice_text, render, render_status, see_other};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

pub struct CategoryLine {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub path: String,
    /// How deep in the tree (0 at the top), for indentation.
    pub depth: usize,
    pub articles: i64,
    pub empty: bool,
}

#[derive(Template)]
#[template(path = "admin_categories.html")]
struct CategoriesPage {
    chrome: Chrome,
    categories: Vec<CategoryLine>,
    f: FormState,
}

async fn page(s: &WebState, viewer: &Viewer, f: FormState) -> PageResult<CategoriesPage> {
    let rows = s.services.list_categories(&viewer.actor).await?;
    let categories = rows
        .iter()
        .map(|c| CategoryLine {
            id: c.id,
            key: format!("category-{}", c.id),
            name: c.name.clone(),
            path: c.path.clone(),
            depth: c.path.matches('/').count(),
            articles: c.articles,
            empty: c.articles == 0 && !rows.iter().any(|o| o.parent_id == Some(c.id)),
        })
        .collect();
    Ok(CategoriesPage {
        chrome: viewer.chrome("Knowledge-base categories", "admin"),
        categories,
        f,
    })
}

pub async fn categories(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<Done>,
) -> PageResult {
    viewer.require_admin()?;
    let mut p = page(&s, &viewer, FormState::default()).await?;
    p.chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&p))
}

async fn refused(s: &WebState, viewer: &Viewer, f: FormState) -> PageResult {
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(s, viewer, f).await?,
    ))
}

pub async fn add(State(s): State<WebState>, viewer: Viewer, Form(v): Fields) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    match s
        .services
        .add_category(&viewer.actor, field(&v, "path"))
        .await
    {
        Ok(()) => Ok(see_other("/admin/categories", "category")),
        Err(e) => {
            let f = refusal("new-category", &v, e, &[("path", "path")])?;
            refused(&s, &viewer, f).await
        }
    }
}

/// Renames a category, or removes it when the form's `remove` button was pressed.
pub async fn change(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    let done = if field(&v, "action") == "remove" {
        s.services.remove_category(&viewer.actor, id).await
    } else {
        s.services
            .rename_category(&viewer.actor, id, field(&v, "name"))
            .await
            .map(|_| ())
    };
    match done {
        Ok(()) => Ok(see_other("/admin/categories", "category")),
        Err(e) => {
            let f = refusal(format!("category-{id}"), &v, e, &[("name", "name")])?;
            refused(&s, &viewer, f).await
        }
    }
}
