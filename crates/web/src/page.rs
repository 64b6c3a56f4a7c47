//! What every page shares: the layout's data, rendering, and how failures become pages.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use heard_services::ServiceError;

/// The layout's data: who is signed in, where they are, and the token forms echo back.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub title: String,
    /// Which area the page belongs to: portal, agent, supervisor, admin or signin.
    pub area: &'static str,
    pub user: Option<ChromeUser>,
    pub csrf: String,
    /// A one-line confirmation after a form was handled ("Your reply was sent.").
    pub notice: Option<String>,
    /// Staff only: how many of their notifications they have not read (the bell).
    pub unread: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct ChromeUser {
    pub name: String,
    pub role: String,
    pub is_staff: bool,
    pub is_supervisor: bool,
    pub is_admin: bool,
}

impl Chrome {
    pub fn anonymous(title: &str, csrf: String) -> Self {
        Chrome {
            title: title.into(),
            area: "signin",
            user: None,
            csrf,
            notice: None,
            unread: None,
        }
    }
}

/// Renders a template into a response; a template failure is logged and answered with 500.
pub fn render(t: &impl Template) -> Response {
    render_status(StatusCode::OK, t)
}

pub fn render_status(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
    pub back: Option<String>,
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: go to the sign-in page, then come back here.
    SignIn { next: String },
    /// Signed in, but this area is for another role.
    WrongArea,
    /// A form came without the token this session issued.
    Csrf,
    /// A query parameter the page does not understand (400, naming it).
    BadQuery {
        field: &'static str,
        message: &'static str,
    },
    /// The form's input was refused; `back` is where to correct it.
    Service {
        error: ServiceError,
        back: Option<String>,
    },
}

impl From<ServiceError> for PageError {
    fn from(error: ServiceError) -> Self {
        PageError::Service { error, back: None }
    }
}

impl PageError {
    /// Adds a link back to the form the input came from.
    pub fn back_to(self, to: impl Into<String>) -> Self {
        match self {
            PageError::Service { error, .. } => PageError::Service {
                error,
                back: Some(to.into()),
            },
            other => other,
        }
    }
}

pub type PageResult<T = Response> = Result<T, PageError>;

/// Attaches a back link to a service failure.
pub trait BackTo<T> {
    fn back_to(self, to: impl Into<String>) -> PageResult<T>;
}

impl<T> BackTo<T> for Result<T, ServiceError> {
    fn back_to(self, to: impl Into<String>) -> PageResult<T> {
        self.map_err(|e| PageError::from(e).back_to(to))
    }
}

fn problem(status: StatusCode, heading: &str, message: String, back: Option<String>) -> Response {
    render_status(
        status,
        &ProblemPage {
            chrome: Chrome {
                title: heading.into(),
                area: "problem",
                ..Default::default()
            },
            heading: heading.into(),
            message,
            back,
        },
    )
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next } => {
                let to = if next == "/" || next.is_empty() {
                    "/signin".to_string()
                } else {
                    format!("/signin?next={}", crate::format::url_encode(&next))
                };
                Redirect::to(&to).into_response()
            }
            PageError::WrongArea => problem(
                StatusCode::FORBIDDEN,
                "Not part of your role",
                "This page is for another role. Use the links at the top to go to your own area."
                    .into(),
                Some("/".into()),
            ),
            PageError::Csrf => problem(
                StatusCode::FORBIDDEN,
                "Please try again",
                "The form had expired or did not come from this site, so nothing was changed. Go back, reload the page and send it again.".into(),
                None,
            ),
            PageError::BadQuery { field, message } => problem(
                StatusCode::BAD_REQUEST,
                "Please check the address",
                format!("The address's `{field}` is not understood: {message}."),
                None,
            ),
            PageError::Service { error, back } => {
                let status = StatusCode::from_u16(error.status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let (heading, message) = match &error {
                    ServiceError::NotFound { what, .. } => (
                        "Not found",
                        format!("That {what} does not exist, or it is not yours to see."),
                    ),
                    ServiceError::Invalid(i) => ("Please check what you entered", i.message.clone()),
                    ServiceError::Forbidden { message } => ("Not allowed", message.clone()),
                    ServiceError::Conflict { message, .. } => {
                        ("That did not go through", message.clone())
                    }
                    ServiceError::Unauthenticated => {
                        return Redirect::to("/signin").into_response();
                    }
                    ServiceError::Throttled { retry_after_secs } => {
                        let mut r = problem(
                            status,
                            "Please wait a moment",
                            format!("There were too many attempts from here or for this account. Please try again in {retry_after_secs} seconds."),
                            back,
                        );
                        r.headers_mut()
                            .insert(axum::http::header::RETRY_AFTER, (*retry_after_secs).into());
                        return r;
                    }
                    ServiceError::Unavailable(_) => {
                        let mut r = problem(
                            status,
                            "Please try again in a moment",
                            format!("Not now: {}.", heard_services::UNAVAILABLE_MESSAGE),
                            back,
                        );
                        r.headers_mut().insert(
                            axum::http::header::RETRY_AFTER,
                            heard_services::UNAVAILABLE_RETRY_SECS.into(),
                        );
                        return r;
                    }
                    ServiceError::Internal(cause) => {
                        tracing::error!(error = %cause, cause = ?cause, "a page failed on our side");
                        (
                            "Something went wrong",
                            "Something went wrong on our side; it has been logged. Please try again in a moment.".into(),
                        )
                    }
                };
                problem(status, heading, message, back)
            }
        }
    }
}

pub async fn not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address.".into(),
        Some("/".into()),
    )
}

/// After a form: back to a page with a one-line confirmation.
/// The `?done=` a page was redirected with, naming the confirmation to show.
#[derive(serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

pub fn see_other(to: &str, notice: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}done={notice}")).into_response()
}

/// The confirmations `see_other` may ask a page to show, by key, so a link cannot make a
/// page say something arbitrary.
pub fn notice_text(key: Option<&str>) -> Option<String> {
    let text = match key? {
        "created" => "Thank you — your request is in. You can follow it here.",
        "sent" => "Your reply was sent.",
        "noted" => "Your internal note was saved.",
        "attached" => "Your file was attached.",
        "updated" => "The ticket was updated.",
        "escalated" => "The ticket was handed over with your note.",
        "promised" => "The customer now sees when they will hear from you.",
        "call_logged" => "The call was logged on the ticket.",
        "caller_added" => "The number now belongs to the new customer.",
        "number_linked" => "The number was added to the customer's profile.",
        "rated" => "Thank you for telling us how we did.",
        "recovered" => "The follow-up was recorded.",
        "diagnosed" => "The diagnosis was recorded: the next agent starts from it.",
        "problem" => "The problem was saved.",
        "merged" => "The duplicate was merged: its messages are now part of this conversation.",
        "joined" => {
            "We joined your requests about the same problem: the whole conversation is here."
        }
        "presence" => "Your presence was updated.",
        "chat_accepted" => "The chat is yours: the customer sees you are here.",
        "chat_ended" => "The chat has ended; its ticket carries on like any other.",
        "notifications_read" => "Your notifications are marked as read.",
        "notification_read" => "The notification is marked as read.",
        "invited" => "Your colleague can now see and work this ticket.",
        "left" => "The colleague is no longer on this ticket.",
        "handed_over" => {
            "The ticket was handed over with your note; the customer was told who has it now."
        }
        "taken_over" => "You have taken this conversation over; the agent is relieved of it.",
        "team" => "The team was added.",
        "service_levels" => "The calendars and service-level policies were saved.",
        "team_saved" => "The team was saved.",
        "agent_saved" => "The agent was saved.",
        "staff_added" => "The staff member was added with the password you gave them.",
        "staff_invited" => {
            "The staff member was added; a link to choose their password is on its way to them."
        }
        "password_link" => "A link to choose a new password is on its way to them.",
        "password" => "Your new password is saved, and you are signed in.",
        "calendar" => "The calendar was saved.",
        "holidays" => "The holidays were imported.",
        "policy" => "The policy was saved.",
        "policy_removed" => "The policy was removed.",
        "category" => "The category was saved.",
        "webhook_removed" => "The webhook was removed with its delivery log.",
        "webhook_paused" => "The webhook was paused: events wait until it is resumed.",
        "webhook_resumed" => "The webhook was resumed: what waited is being sent.",
        "mailbox_added" => "The mailbox was added.",
        "mailbox_saved" => "The mailbox was saved.",
        "mailbox_removed" => "The mailbox was removed.",
        "mail_deleted" => "The quarantined mail was deleted.",
        "replayed" => "The delivery was queued again; it appears at the top of the log.",
        "reviewed" => "The review was saved; the agent can read it and reply.",
        "review_reply" => "Your reply was sent to the reviewer.",
        "rubric" => "The rubric was saved as a new version; earlier reviews keep theirs.",
        "reviewers" => "The reviewers were saved.",
        "welcome" => "Welcome! Your account is ready.",
        "solved" => "Glad that helped. If it comes back, we are one click away.",
        "helped" => "Thank you: glad this article helped.",
        "macro_saved" => "The macro was saved.",
        "macro_removed" => "The macro was removed.",
        "view_saved" => "The view was saved.",
        "view_removed" => "The view was removed.",
        "not_helped" => {
            "Thank you for telling us. Sorry it did not help: a person can take it from here."
        }
        _ => return None,
    };
    Some(text.into())
}
