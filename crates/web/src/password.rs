//! Choosing a password through a mailed link: the "Forgot your password?" form, and the
//! page the link opens (also where a new staff member chooses their first password).
//! Like the sign-in link, the link's page asks for a press, so a mail scanner that
//! fetches links does not spend it.

use crate::WebState;
use crate::page::{Chrome, PageResult, not_found, render, render_status};
use crate::session::{ClientAddress, check_form_token, form_token, home_of, with_cookie};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use heard_services::ServiceError;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    /// `ask`, `sent`, `choose` or `spent`.
    state: &'static str,
    email: String,
    token: String,
    error: Option<String>,
    minutes: i64,
}

impl PasswordPage {
    fn new(title: &str, csrf: String, state: &'static str) -> PasswordPage {
        PasswordPage {
            chrome: Chrome::anonymous(title, csrf),
            state,
            email: String::new(),
            token: String::new(),
            error: None,
            minutes: heard_services::mail::LINK_MS / 60_000,
        }
    }
}

/// The form that asks for a link (only where outgoing mail is set up).
pub async fn ask_page(State(s): State<WebState>, headers: HeaderMap) -> PageResult {
    if !s.services.mail_configured() {
        return Ok(not_found().await);
    }
    let (csrf, set) = form_token(&s, &headers).await?;
    let page = PasswordPage::new("Forgot your password?", csrf, "ask");
    Ok(with_cookie(render(&page), set))
}

#[derive(Deserialize)]
pub struct AskForm {
    csrf: String,
    email: String,
}

/// Every well-formed address gets the same page: it tells nobody who has an account.
pub async fn ask(
    State(s): State<WebState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(f): Form<AskForm>,
) -> PageResult {
    check_form_token(&s, &headers, &f.csrf).await?;
    if !s.services.mail_configured() {
        return Ok(not_found().await);
    }
    match s.services.request_password_reset(&f.email, client).await {
        Ok(()) => Ok(render(&PasswordPage::new(
            "Check your e-mail",
            f.csrf,
            "sent",
        ))),
        Err(ServiceError::Invalid(i)) => {
            let mut page = PasswordPage::new("Forgot your password?", f.csrf, "ask");
            page.email = f.email;
            page.error = Some(i.message);
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

fn spent(csrf: String) -> Response {
    render_status(
        StatusCode::GONE,
        &PasswordPage::new("Link expired", csrf, "spent"),
    )
}

/// The page a password link opens.
pub async fn choose_page(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> PageResult {
    let (csrf, set) = form_token(&s, &headers).await?;
    if !s.services.password_link_usable(&token).await? {
        return Ok(with_cookie(spent(csrf), set));
    }
    let mut page = PasswordPage::new("Choose a new password", csrf, "choose");
    page.token = token;
    Ok(with_cookie(render(&page), set))
}

#[derive(Deserialize)]
pub struct ChooseForm {
    csrf: String,
    password: String,
}

/// Saves the password and signs in; a weak one comes back beside the field, with the
/// link still good.
pub async fn choose(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<ChooseForm>,
) -> PageResult {
    check_form_token(&s, &headers, &f.csrf).await?;
    match s.services.choose_password(&token, &f.password).await {
        Ok(session) => {
            let to = format!("{}?done=password", home_of(session.actor.role));
            let mut r = Redirect::to(&to).into_response();
            if let Ok(v) = s.services.session_cookie(Some(&session.token)).parse() {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(ServiceError::Invalid(i)) if i.field == Some("password") => {
            let mut page = PasswordPage::new("Choose a new password", f.csrf, "choose");
            page.token = token;
            page.error = Some(i.message);
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(ServiceError::Invalid(_)) => Ok(spent(f.csrf)),
        Err(e) => Err(e.into()),
    }
}
