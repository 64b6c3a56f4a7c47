//! Saved views in the agent workspace (`/agent/views`): each view is a ticket list with
//! its filters and columns, the agent's own or shared; a view's page lists its tickets
//! a page at a time (with the bulk bar and a CSV export), and is changed or removed there.

use crate::WebState;
use crate::bulk::BulkBar;
use crate::cards::Card;
use crate::forms::{FormState, all, field, refusal};
use crate::page::{Chrome, Done, PageResult, notice_text, render, render_status, see_other};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use heard_services::saved_views::{COLUMNS, SavedView, ViewFilters, ViewInput, ViewPageQuery};
use heard_services::views::PersonRef;
use serde::Deserialize;

type Fields = Form<Vec<(String, String)>>;

const STATUSES: &[(&str, &str)] = &[
    ("new", "New"),
    ("open", "Open"),
    ("pending_customer", "Waiting on customer"),
    ("pending_third_party", "Waiting on third party"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
];
const PRIORITIES: &[(&str, &str)] = &[
    ("low", "Low"),
    ("normal", "Normal"),
    ("high", "High"),
    ("urgent", "Urgent"),
];
const LEVELS: &[(&str, &str)] = &[
    ("calm", "Calm"),
    ("concerned", "Concerned"),
    ("frustrated", "Frustrated"),
    ("angry", "Angry"),
];
const FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("statuses", "statuses"),
    ("priorities", "priorities"),
    ("frustration_levels", "frustration_levels"),
    ("tag", "tag"),
    ("assignee", "assignee"),
    ("text", "text"),
    ("columns", "columns"),
];

/// The choices the view form offers.
pub struct ViewForm {
    pub statuses: &'static [(&'static str, &'static str)],
    pub priorities: &'static [(&'static str, &'static str)],
    pub levels: &'static [(&'static str, &'static str)],
    pub columns: &'static [(&'static str, &'static str)],
    pub teams: Vec<PersonRef>,
    pub agents: Vec<(i64, String)>,
    pub may_share: bool,
    /// The view as saved (the form starts from it), or a new one's defaults.
    pub stored: SavedView,
    /// Where the form posts.
    pub action: String,
    pub f: FormState,
}

impl ViewForm {
    fn has(list: &[String], value: &str) -> bool {
        list.iter().any(|v| v == value)
    }
    pub fn status_on(&self, v: &str) -> bool {
        self.f.checked(
            "view",
            "statuses",
            v,
            Self::has(&self.stored.filters.statuses, v),
        )
    }
    pub fn priority_on(&self, v: &str) -> bool {
        self.f.checked(
            "view",
            "priorities",
            v,
            Self::has(&self.stored.filters.priorities, v),
        )
    }
    pub fn level_on(&self, v: &str) -> bool {
        self.f.checked(
            "view",
            "frustration_levels",
            v,
            Self::has(&self.stored.filters.frustration_levels, v),
        )
    }
    pub fn column_on(&self, v: &str) -> bool {
        self.f
            .checked("view", "columns", v, Self::has(&self.stored.columns, v))
    }
    pub fn team_on(&self, id: &i64) -> bool {
        let id = id.to_string();
        let stored = self.stored.filters.team_id.map(|t| t.to_string());
        self.f
            .value("view", "team_id", stored.as_deref().unwrap_or(""))
            == id
    }
    pub fn assignee_is(&self, v: &str) -> bool {
        self.f.value(
            "view",
            "assignee",
            self.stored.filters.assignee.as_deref().unwrap_or(""),
        ) == v
    }
    pub fn value(&self, name: &str) -> String {
        let stored = match name {
            "name" => self.stored.name.clone(),
            "tag" => self.stored.filters.tag.clone().unwrap_or_default(),
            "text" => self.stored.filters.text.clone().unwrap_or_default(),
            _ => String::new(),
        };
        self.f.value("view", name, &stored)
    }
}

async fn view_form(
    s: &WebState,
    viewer: &Viewer,
    stored: Option<SavedView>,
    action: String,
    f: FormState,
) -> PageResult<ViewForm> {
    let agents = s
        .services
        .colleagues(&viewer.actor)
        .await?
        .into_iter()
        .filter(|c| c.active)
        .map(|c| (c.id, c.name))
        .collect();
    Ok(ViewForm {
        statuses: STATUSES,
        priorities: PRIORITIES,
        levels: LEVELS,
        columns: COLUMNS,
        teams: s.services.team_names(&viewer.actor).await?,
        agents,
        may_share: viewer.actor.may_view_agents(),
        stored: stored.unwrap_or_else(|| SavedView {
            id: 0,
            name: String::new(),
            filters: ViewFilters::default(),
            columns: heard_services::saved_views::DEFAULT_COLUMNS
                .iter()
                .map(|c| c.to_string())
                .collect(),
            shared: false,
            editable: true,
            created_at: String::new(),
            updated_at: String::new(),
        }),
        action,
        f,
    })
}

fn input_of(v: &[(String, String)]) -> ViewInput {
    let some = |name: &str| Some(field(v, name).to_string()).filter(|x| !x.is_empty());
    let many = |name: &str| all(v, name).into_iter().map(String::from).collect();
    ViewInput {
        name: field(v, "name").to_string(),
        filters: ViewFilters {
            statuses: many("statuses"),
            team_id: field(v, "team_id").parse().ok(),
            priorities: many("priorities"),
            tag: some("tag"),
            assignee: some("assignee"),
            frustration_levels: many("frustration_levels"),
            text: some("text"),
        },
        columns: many("columns"),
        shared: field(v, "shared") == "1",
    }
}

#[derive(Template)]
#[template(path = "agent_views.html")]
struct ViewsPage {
    chrome: Chrome,
    views: Vec<SavedView>,
    form: ViewForm,
}

async fn views_page(s: &WebState, viewer: &Viewer, f: FormState) -> PageResult<ViewsPage> {
    viewer.require_staff()?;
    Ok(ViewsPage {
        chrome: viewer.chrome("Saved views", "views"),
        views: s.services.saved_views(&viewer.actor).await?,
        form: view_form(s, viewer, None, "/agent/views".into(), f).await?,
    })
}

pub async fn list(State(s): State<WebState>, viewer: Viewer, Query(q): Query<Done>) -> PageResult {
    let mut p = views_page(&s, &viewer, FormState::default()).await?;
    p.chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&p))
}

pub async fn create(State(s): State<WebState>, viewer: Viewer, Form(v): Fields) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_staff()?;
    match s
        .services
        .create_saved_view(&viewer.actor, input_of(&v))
        .await
    {
        Ok(saved) => Ok(see_other(
            &format!("/agent/views/{}", saved.id),
            "view_saved",
        )),
        Err(e) => {
            let f = refusal("view", &v, e, FIELDS)?;
            let p = views_page(&s, &viewer, f).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
    }
}

/// One row of a view's table: its cells in the view's columns.
pub struct Row {
    pub id: i64,
    pub subject: String,
    pub cells: Vec<Cell>,
}

/// A cell: its text, a link for the ticket's own, and a quieter note after it.
pub struct Cell {
    pub text: String,
    pub link: Option<String>,
    pub extra: String,
}

fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        link: None,
        extra: String::new(),
    }
}

/// The cell of `column` for a ticket.
fn cell_of(column: &str, card: &Card, tags: &[String]) -> Cell {
    match column {
        "subject" => Cell {
            text: card.subject.clone(),
            link: Some(format!("/agent/tickets/{}", card.id)),
            extra: format!("#{}", card.id),
        },
        "requester" => cell(card.requester.clone()),
        "status" => cell(card.status_label),
        "priority" => cell(card.priority.clone()),
        "owner" => cell(card.owner.clone().unwrap_or_else(|| "unassigned".into())),
        "team" => cell(card.team.clone().unwrap_or_default()),
        "frustration" => cell(
            card.frustration
                .as_ref()
                .map(|f| format!("{} ({})", f.level, f.score))
                .unwrap_or_default(),
        ),
        "tags" => cell(tags.join(", ")),
        "next_update_due" => match &card.promise {
            Some(p) => Cell {
                text: p.at.clone(),
                link: None,
                extra: p.relative.clone(),
            },
            None => cell(""),
        },
        _ => cell(format!("opened {}", card.created_ago)),
    }
}

#[derive(Template)]
#[template(path = "agent_view.html")]
pub(crate) struct ViewPage {
    chrome: Chrome,
    view: SavedView,
    /// (column, heading) in the table's order.
    columns: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    /// The link to the next page, when there is one.
    next: Option<String>,
    csv: String,
    bulk: BulkBar,
    form: ViewForm,
}

#[derive(Deserialize, Default)]
pub struct ViewPageParams {
    after: Option<i64>,
}

async fn view_page(
    s: &WebState,
    viewer: &Viewer,
    id: i64,
    after: Option<i64>,
    f: FormState,
) -> PageResult<ViewPage> {
    viewer.require_staff()?;
    let view = s.services.saved_view(&viewer.actor, id).await?;
    let page = s
        .services
        .saved_view_tickets(&viewer.actor, id, ViewPageQuery { after, limit: None })
        .await?;
    let now = s.services.now();
    let columns: Vec<(&'static str, &'static str)> = COLUMNS
        .iter()
        .filter(|(c, _)| view.columns.iter().any(|v| v == c))
        .copied()
        .collect();
    let rows = page
        .items
        .iter()
        .map(|t| {
            let card = Card::new(t, now);
            Row {
                id: card.id,
                subject: card.subject.clone(),
                cells: columns
                    .iter()
                    .map(|(c, _)| cell_of(c, &card, &t.tags))
                    .collect(),
            }
        })
        .collect();
    Ok(ViewPage {
        chrome: viewer.chrome(view.name.clone(), "views"),
        columns,
        rows,
        next: page
            .next_after
            .map(|a| format!("/agent/views/{id}?after={a}")),
        csv: format!("/agent/views/{id}?format=csv"),
        bulk: BulkBar::new(s, viewer, format!("/agent/views/{id}/bulk")).await?,
        form: view_form(
            s,
            viewer,
            Some(view.clone()),
            format!("/agent/views/{id}"),
            f,
        )
        .await?,
        view,
    })
}

pub async fn show(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
    Query(p): Query<ViewPageParams>,
    Query(format): Query<crate::export::Format>,
) -> PageResult {
    viewer.require_staff()?;
    if format.csv()? {
        let csv = s
            .services
            .export_saved_view(&viewer.actor, id, p.after)
            .await?;
        return Ok(crate::export::download(&s, csv, "view"));
    }
    let mut page = view_page(&s, &viewer, id, p.after, FormState::default()).await?;
    page.chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&page))
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
        s.services.delete_saved_view(&viewer.actor, id).await?;
        return Ok(see_other("/agent/views", "view_removed"));
    }
    match s
        .services
        .update_saved_view(&viewer.actor, id, input_of(&v))
        .await
    {
        Ok(_) => Ok(see_other(&format!("/agent/views/{id}"), "view_saved")),
        Err(e) => {
            let f = refusal("view", &v, e, FIELDS)?;
            let p = view_page(&s, &viewer, id, None, f).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
    }
}

/// The bulk form under a view: the view again, with what happened to each ticket.
pub async fn bulk(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_staff()?;
    let mut bar = BulkBar::new(&s, &viewer, format!("/agent/views/{id}/bulk")).await?;
    crate::bulk::run(&s, &viewer, &v, &mut bar).await?;
    let mut page = view_page(&s, &viewer, id, None, FormState::default()).await?;
    let status = if bar.f.is_refused() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page.bulk = bar;
    Ok(render_status(status, &page))
}
