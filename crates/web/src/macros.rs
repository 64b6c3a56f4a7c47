//! The agent's macros page (`/agent/macros`): their own canned replies and the shared
//! ones, with the placeholders a reply may use; adding, changing and removing one, each
//! refusal beside its field (an unknown placeholder is named).

use crate::WebState;
use crate::forms::{FormState, field, refusal};
use crate::page::{
    BackTo, Chrome, Done, PageResult, notice_text, render, render_status, see_other,
};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use heard_services::ErrorCode;
use heard_services::macros::{ApplyMacro, MacroInput, MacroView, PlaceholderView};

type Fields = Form<Vec<(String, String)>>;

/// The statuses a macro may move a ticket to, as the ticket page names them.
pub const MACRO_STATUSES: &[(&str, &str)] = &[
    ("open", "Open"),
    ("pending_customer", "Waiting on customer"),
    ("pending_third_party", "Waiting on third party"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
];

const FIELDS: &[(&str, &str)] = &[
    ("title", "title"),
    ("body", "body"),
    ("status", "status"),
    ("tags", "tags"),
];

#[derive(Template)]
#[template(path = "agent_macros.html")]
struct MacrosPage {
    chrome: Chrome,
    macros: Vec<MacroView>,
    placeholders: Vec<PlaceholderView>,
    statuses: &'static [(&'static str, &'static str)],
    may_share: bool,
    /// The macro being changed, when the page is its edit form.
    editing: Option<MacroView>,
    /// What the form starts with: the macro being changed, or nothing.
    stored: Stored,
    f: FormState,
}

#[derive(Default)]
struct Stored {
    title: String,
    body: String,
    status: String,
    tags: String,
    shared: bool,
}

impl MacrosPage {
    fn status_label(&self, value: &str) -> &'static str {
        MACRO_STATUSES
            .iter()
            .find(|(v, _)| *v == value)
            .map_or("", |(_, l)| *l)
    }
}

async fn page(
    s: &WebState,
    viewer: &Viewer,
    editing: Option<i64>,
    f: FormState,
) -> PageResult<MacrosPage> {
    viewer.require_staff()?;
    let editing = match editing {
        Some(id) => Some(s.services.macro_view(&viewer.actor, id).await?),
        None => None,
    };
    let stored = editing
        .as_ref()
        .map(|m| Stored {
            title: m.title.clone(),
            body: m.body.clone(),
            status: m.status.clone().unwrap_or_default(),
            tags: m.tags.join(", "),
            shared: m.shared,
        })
        .unwrap_or_default();
    Ok(MacrosPage {
        stored,
        chrome: viewer.chrome("Macros", "macros"),
        macros: s.services.macros(&viewer.actor).await?,
        placeholders: s.services.macro_placeholders(),
        statuses: MACRO_STATUSES,
        may_share: viewer.actor.may_view_agents(),
        editing,
        f,
    })
}

pub async fn list(State(s): State<WebState>, viewer: Viewer, Query(q): Query<Done>) -> PageResult {
    let mut p = page(&s, &viewer, None, FormState::default()).await?;
    p.chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&p))
}

pub async fn edit(State(s): State<WebState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    let p = page(&s, &viewer, Some(id), FormState::default()).await?;
    Ok(render(&p))
}

fn input_of(v: &[(String, String)]) -> MacroInput {
    MacroInput {
        title: field(v, "title").to_string(),
        // The body as typed: its spacing is the reply's.
        body: v
            .iter()
            .find(|(k, _)| k == "body")
            .map(|(_, b)| b.replace("\r\n", "\n"))
            .unwrap_or_default(),
        status: Some(field(v, "status").to_string()).filter(|s| !s.is_empty()),
        tags: field(v, "tags")
            .split([',', ' '])
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().to_string())
            .collect(),
        shared: field(v, "shared") == "1",
    }
}

/// The page again with the refused form beside its fields (422).
async fn refused(
    s: &WebState,
    viewer: &Viewer,
    editing: Option<i64>,
    form: &str,
    v: &[(String, String)],
    e: heard_services::ServiceError,
) -> PageResult {
    let f = refusal(form, v, e, FIELDS)?;
    let p = page(s, viewer, editing, f).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p))
}

pub async fn create(State(s): State<WebState>, viewer: Viewer, Form(v): Fields) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_staff()?;
    match s.services.create_macro(&viewer.actor, input_of(&v)).await {
        Ok(_) => Ok(see_other("/agent/macros", "macro_saved")),
        Err(e) => refused(&s, &viewer, None, "macro", &v, e).await,
    }
}

pub async fn save(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_staff()?;
    if field(&v, "action") == "delete" {
        s.services.delete_macro(&viewer.actor, id).await?;
        return Ok(see_other("/agent/macros", "macro_removed"));
    }
    match s
        .services
        .update_macro(&viewer.actor, id, input_of(&v))
        .await
    {
        Ok(_) => Ok(see_other("/agent/macros", "macro_saved")),
        Err(e) => refused(&s, &viewer, Some(id), "macro", &v, e).await,
    }
}

/// Sends a reply filled from a macro, then its status change and tags. When the ticket's
/// rules refuse the change, the page says the reply went and shows the refusal beside
/// the status (or, for a missing root cause, in the Diagnose form).
pub async fn send_with_macro(
    s: &WebState,
    viewer: &Viewer,
    id: i64,
    macro_id: i64,
    body: String,
    internal: bool,
) -> PageResult {
    let back = format!("/agent/tickets/{id}");
    let applied = s
        .services
        .apply_macro(
            &viewer.actor,
            macro_id,
            ApplyMacro {
                ticket_id: id,
                body: Some(body),
                internal,
            },
        )
        .await
        .back_to(&back)?;
    let Some(r) = applied.change_refused else {
        return Ok(see_other(&back, if internal { "noted" } else { "sent" }));
    };
    let f = if r.code == ErrorCode::RootCauseRequired.as_str() {
        let mut f = FormState::new("diagnose", &[]);
        f.refuse(
            "root_cause",
            "Your reply was sent. This customer was upset, so the ticket closes only once the root cause is recorded: write it here, then close the ticket.",
        );
        f
    } else {
        let mut f = FormState::new("update", &[]);
        let at = if r.field.as_deref() == Some("tags") {
            ""
        } else {
            "status"
        };
        f.refuse(
            at,
            format!(
                "Your reply was sent, but the macro's change was not made: {}.",
                r.message
            ),
        );
        f
    };
    let mut page = crate::agent::ticket_page_with(
        s,
        viewer,
        id,
        None,
        Some(if internal {
            "Your internal note was saved.".into()
        } else {
            "Your reply was sent.".into()
        }),
        f,
        None,
    )
    .await?;
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}
