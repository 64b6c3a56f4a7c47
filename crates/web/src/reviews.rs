//! Quality review pages: the supervisor's queue and recent reviews, the review form (the
//! conversation beside the rubric with suggested scores and their evidence), a review's
//! page with the agent's one reply, the agent's own reviews and trend, and the admin's
//! rubric and reviewer settings. All are plain forms; nothing needs JavaScript.

use crate::WebState;
use crate::admin::{Done, Fields};
use crate::forms::{FormState, field};
use crate::page::{BackTo, Chrome, PageResult, notice_text, render, render_status, see_other};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use heard_services::ServiceError;
use heard_services::reviews::*;
use heard_services::views::MessageView;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Comment rows offered on the review form.
const COMMENT_ROWS: usize = 3;

#[derive(Template)]
#[template(path = "supervisor_reviews.html")]
struct QueuePage {
    chrome: Chrome,
    queue: Vec<QueueItem>,
    next_after: Option<i64>,
    recent: Vec<ReviewView>,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    after: Option<i64>,
    done: Option<String>,
}

pub async fn queue(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    viewer.require_staff()?;
    let page = s
        .services
        .review_queue(&viewer.actor, q.after, Some(50))
        .await?;
    let recent = s
        .services
        .reviews(
            &viewer.actor,
            ReviewQuery {
                limit: Some(20),
                ..Default::default()
            },
        )
        .await?;
    let mut chrome = viewer.chrome("Quality reviews", "supervisor");
    chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&QueuePage {
        chrome,
        queue: page.items,
        next_after: page.next_after,
        recent: recent.items,
    }))
}

/// One comment row of the form, as shown again after a refusal.
struct CommentRow {
    index: usize,
    message_id: String,
    item: String,
    quote: String,
    body: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "supervisor_review_new.html")]
struct FormPage {
    chrome: Chrome,
    draft: ReviewDraft,
    messages: Vec<MessageView>,
    /// The score each item's radio buttons show checked: "0"…"4" or "na".
    chosen: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    form_error: Option<String>,
    comments: Vec<CommentRow>,
    comments_error: Option<String>,
    summary: String,
    choices: &'static [&'static str],
}

impl FormPage {
    fn is_chosen(&self, key: &str, value: &str) -> bool {
        self.chosen.get(key).is_some_and(|v| v == value)
    }

    fn choice_label(&self, value: &str) -> String {
        if value == "na" {
            "n/a".into()
        } else {
            value.into()
        }
    }

    fn error_for(&self, key: &str) -> Option<&String> {
        self.errors.get(key)
    }
}

#[derive(Deserialize)]
pub struct NewQuery {
    ticket: i64,
    agent: Option<i64>,
}

async fn form_page(
    s: &WebState,
    viewer: &Viewer,
    ticket: i64,
    agent: Option<i64>,
) -> PageResult<FormPage> {
    let draft = s
        .services
        .review_draft(&viewer.actor, ticket, agent)
        .await?;
    let detail = s.services.ticket_detail(&viewer.actor, ticket).await?;
    let chosen = draft
        .items
        .iter()
        .filter_map(|i| {
            let v = match (i.score, i.not_applicable) {
                (Some(n), _) => n.to_string(),
                (None, true) => "na".to_string(),
                _ => return None,
            };
            Some((i.key.clone(), v))
        })
        .collect();
    Ok(FormPage {
        chrome: viewer.chrome(format!("Review #{ticket}"), "supervisor"),
        messages: detail.messages,
        chosen,
        errors: BTreeMap::new(),
        form_error: None,
        comments: (0..COMMENT_ROWS)
            .map(|index| CommentRow {
                index,
                message_id: String::new(),
                item: String::new(),
                quote: String::new(),
                body: String::new(),
                error: None,
            })
            .collect(),
        comments_error: None,
        summary: String::new(),
        choices: &["0", "1", "2", "3", "4", "na"],
        draft,
    })
}

pub async fn new_review(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<NewQuery>,
) -> PageResult {
    viewer.require_staff()?;
    Ok(render(&form_page(&s, &viewer, q.ticket, q.agent).await?))
}

/// Reads the form into the API's input. A comment's optional quote (words copied from
/// the message) becomes its span; a quote not found in the message is refused beside it.
fn read_form(
    v: &[(String, String)],
    items: &[SuggestedItem],
    messages: &[MessageView],
) -> (ReviewInput, Vec<CommentRow>, Option<(usize, String)>) {
    let mut scores = BTreeMap::new();
    for i in items {
        match field(v, &format!("score_{}", i.key)) {
            "" => {}
            "na" => {
                scores.insert(i.key.clone(), None);
            }
            raw => {
                scores.insert(i.key.clone(), Some(raw.parse::<i64>().unwrap_or(-1)));
            }
        }
    }
    let mut rows = Vec::new();
    let mut comments = Vec::new();
    let mut quote_error = None;
    for index in 0..COMMENT_ROWS {
        let row = CommentRow {
            index,
            message_id: field(v, &format!("comment_message_{index}")).to_string(),
            item: field(v, &format!("comment_item_{index}")).to_string(),
            quote: field(v, &format!("comment_quote_{index}")).to_string(),
            body: field(v, &format!("comment_body_{index}")).to_string(),
            error: None,
        };
        if !row.body.is_empty() {
            let message_id = row.message_id.parse::<i64>().unwrap_or(0);
            let (mut start, mut end) = (None, None);
            if !row.quote.is_empty() {
                match messages
                    .iter()
                    .find(|m| m.id == message_id)
                    .and_then(|m| m.body_text.find(&row.quote))
                {
                    Some(at) => {
                        start = Some(at as i64);
                        end = Some((at + row.quote.len()) as i64);
                    }
                    None => {
                        quote_error.get_or_insert((
                            index,
                            "those words are not in the chosen message: copy them exactly, or leave the quote empty".to_string(),
                        ));
                    }
                }
            }
            comments.push(CommentInput {
                item: Some(row.item.clone()).filter(|i| !i.is_empty()),
                message_id,
                start,
                end,
                body: row.body.clone(),
            });
        }
        rows.push(row);
    }
    let input = ReviewInput {
        ticket_id: 0,
        agent_id: field(v, "agent_id").parse().ok(),
        rubric_version: field(v, "rubric_version").parse().ok(),
        scores,
        comments,
        summary: Some(field(v, "summary").to_string()),
    };
    (input, rows, quote_error)
}

pub async fn create(State(s): State<WebState>, viewer: Viewer, Form(v): Fields) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_staff()?;
    let ticket: i64 = field(&v, "ticket_id").parse().unwrap_or(0);
    let agent = field(&v, "agent_id").parse().ok();
    let mut page = form_page(&s, &viewer, ticket, agent).await?;
    let (mut input, rows, quote_error) = read_form(&v, &page.draft.items, &page.messages);
    input.ticket_id = ticket;
    page.chosen = page
        .draft
        .items
        .iter()
        .filter_map(|i| {
            let sent = field(&v, &format!("score_{}", i.key));
            (!sent.is_empty()).then(|| (i.key.clone(), sent.to_string()))
        })
        .collect();
    page.comments = rows;
    page.summary = field(&v, "summary").to_string();
    if let Some((index, message)) = quote_error {
        page.comments[index].error = Some(message);
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    match s.services.create_review(&viewer.actor, input).await {
        Ok(r) => Ok(see_other(&format!("/agent/reviews/{}", r.id), "reviewed")),
        Err(ServiceError::Invalid(i)) => {
            match i.field {
                Some("scores") => {
                    // The message starts with `scores.KEY:`; show it beside that item.
                    let key = i
                        .message
                        .strip_prefix("scores.")
                        .and_then(|m| m.split(':').next())
                        .unwrap_or("")
                        .to_string();
                    if page.draft.items.iter().any(|it| it.key == key) {
                        page.errors.insert(key, i.message.clone());
                    } else {
                        page.form_error = Some(i.message.clone());
                    }
                }
                Some("comments") => page.comments_error = Some(i.message.clone()),
                _ => page.form_error = Some(i.message.clone()),
            }
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e @ ServiceError::Conflict { .. }) => {
            page.form_error = Some(e.to_string());
            Ok(render_status(
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::CONFLICT),
                &page,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// A message of the conversation with a comment's span marked.
struct Anchored {
    message_id: i64,
    author: String,
    before: String,
    marked: String,
    after: String,
    item: Option<String>,
    body: String,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    chrome: Chrome,
    review: ReviewView,
    anchored: Vec<Anchored>,
    may_reply: bool,
    reply_error: Option<String>,
    reply_text: String,
}

async fn review_page(s: &WebState, viewer: &Viewer, id: i64) -> PageResult<ReviewPage> {
    let review = s.services.review(&viewer.actor, id).await?;
    // The reviewed agent may not see the ticket any more (moved to another team): the
    // comments then show without the message's words.
    let messages = s
        .services
        .ticket_detail(&viewer.actor, review.ticket_id)
        .await
        .map(|d| d.messages)
        .unwrap_or_default();
    let anchored = review
        .comments
        .iter()
        .map(|c| {
            let m = messages.iter().find(|m| m.id == c.message_id);
            let text = m.map(|m| m.body_text.as_str()).unwrap_or("");
            let (before, marked, after) = match (c.start, c.end) {
                (Some(a), Some(b)) if text.get(a as usize..b as usize).is_some() => (
                    text[..a as usize].to_string(),
                    text[a as usize..b as usize].to_string(),
                    text[b as usize..].to_string(),
                ),
                _ => (text.to_string(), String::new(), String::new()),
            };
            Anchored {
                message_id: c.message_id,
                author: m.map(|m| m.author.name.clone()).unwrap_or_default(),
                before,
                marked,
                after,
                item: c.item.clone(),
                body: c.body.clone(),
            }
        })
        .collect();
    Ok(ReviewPage {
        chrome: viewer.chrome(format!("Review of #{}", review.ticket_id), "reviews"),
        may_reply: review.agent.id == viewer.actor.user_id && review.reply.is_none(),
        review,
        anchored,
        reply_error: None,
        reply_text: String::new(),
    })
}

pub async fn review(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    viewer.require_staff()?;
    let mut p = review_page(&s, &viewer, id).await?;
    p.chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&p))
}

pub async fn reply(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_staff()?;
    let text = field(&v, "reply").to_string();
    match s
        .services
        .reply_to_review(
            &viewer.actor,
            id,
            ReviewReplyInput {
                reply: text.clone(),
            },
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!("/agent/reviews/{id}"), "review_reply")),
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict { .. })) => {
            let mut p = review_page(&s, &viewer, id).await?;
            p.reply_error = Some(e.to_string());
            p.reply_text = text;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "agent_reviews.html")]
struct MinePage {
    chrome: Chrome,
    reviews: Vec<ReviewView>,
    trend: ReviewTrend,
    next_after: Option<i64>,
    may_review: bool,
}

#[derive(Deserialize)]
pub struct MineQuery {
    after: Option<i64>,
}

pub async fn mine(
    State(s): State<WebState>,
    viewer: Viewer,
    Query(q): Query<MineQuery>,
) -> PageResult {
    viewer.require_staff()?;
    let page = s
        .services
        .reviews(
            &viewer.actor,
            ReviewQuery {
                agent_id: Some(viewer.actor.user_id),
                after: q.after,
                limit: Some(50),
                ..Default::default()
            },
        )
        .await?;
    let trend = s.services.review_trend(&viewer.actor, None).await?;
    Ok(render(&MinePage {
        chrome: viewer.chrome("My reviews", "reviews"),
        reviews: page.items,
        next_after: page.next_after,
        trend,
        may_review: s.services.may_review(&viewer.actor).await?,
    }))
}

#[derive(Template)]
#[template(path = "admin_reviews.html")]
struct AdminPage {
    chrome: Chrome,
    rubric: RubricView,
    /// The items as shown: what was typed when the form was refused, else as stored.
    rows: Vec<RubricItemView>,
    staff: Vec<StaffReviewer>,
    f: FormState,
}

async fn admin_page(s: &WebState, viewer: &Viewer, f: FormState) -> PageResult<AdminPage> {
    let rubric = s.services.rubric_for(&viewer.actor).await?;
    let rows = rubric
        .items
        .iter()
        .map(|i| RubricItemView {
            key: i.key.clone(),
            label: f.value("rubric", &format!("label_{}", i.key), &i.label),
            guide: f.value("rubric", &format!("guide_{}", i.key), &i.guide),
        })
        .collect();
    Ok(AdminPage {
        chrome: viewer.chrome("Review rubric", "admin"),
        rubric,
        rows,
        staff: s.services.reviewers(&viewer.actor).await?,
        f,
    })
}

pub async fn admin(State(s): State<WebState>, viewer: Viewer, Query(q): Query<Done>) -> PageResult {
    viewer.require_admin()?;
    let mut p = admin_page(&s, &viewer, FormState::default()).await?;
    p.chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&p))
}

/// Saves the rubric: each row's label and guide, rows ticked for removal dropped, and the
/// new row added when it has a key.
pub async fn save_rubric(State(s): State<WebState>, viewer: Viewer, Form(v): Fields) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    let current = s.services.rubric_for(&viewer.actor).await?;
    let removed = crate::forms::all(&v, "remove");
    let mut items: Vec<RubricItemView> = current
        .items
        .iter()
        .filter(|i| !removed.contains(&i.key.as_str()))
        .map(|i| RubricItemView {
            key: i.key.clone(),
            label: field(&v, &format!("label_{}", i.key)).to_string(),
            guide: field(&v, &format!("guide_{}", i.key)).to_string(),
        })
        .collect();
    if !field(&v, "new_key").is_empty() {
        items.push(RubricItemView {
            key: field(&v, "new_key").to_string(),
            label: field(&v, "new_label").to_string(),
            guide: field(&v, "new_guide").to_string(),
        });
    }
    match s
        .services
        .update_rubric(&viewer.actor, RubricInput { items })
        .await
    {
        Ok(_) => Ok(see_other("/admin/reviews", "rubric")),
        Err(e) => {
            let f = crate::forms::refusal("rubric", &v, e, &[("items", "items")])?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &admin_page(&s, &viewer, f).await?,
            ))
        }
    }
}

/// Names reviewers: every ticked staff member is one, every other is not.
pub async fn save_reviewers(
    State(s): State<WebState>,
    viewer: Viewer,
    Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    let ticked = crate::forms::all(&v, "reviewer");
    for person in s.services.reviewers(&viewer.actor).await? {
        if matches!(person.role.as_str(), "supervisor" | "admin") {
            continue;
        }
        let on = ticked.contains(&person.id.to_string().as_str());
        if on != person.reviewer {
            s.services
                .set_reviewer(&viewer.actor, person.id, ReviewerInput { reviewer: on })
                .await
                .back_to("/admin/reviews")?;
        }
    }
    Ok(see_other("/admin/reviews", "reviewers"))
}
