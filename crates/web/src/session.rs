//! Who is looking at a page, and signing in, up and out.
//!
//! The session is the API's: the same `heard_session` cookie, resolved by the same use case,
//! and every form echoes the session's CSRF token in a hidden field. Before there is a
//! session (the sign-in and sign-up forms), a random token in a short-lived cookie is
//! echoed instead (double submit), so those forms cannot be posted from another site
//! either.

use crate::WebState;
use crate::page::{Chrome, ChromeUser, PageError, PageResult, render, render_status};
use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use heard_domain::Role;
use heard_services::auth::constant_time_eq;
use heard_services::signup::SignedUp;
use heard_services::{Actor, ServiceError};
use serde::Deserialize;

pub use heard_services::auth::SESSION_COOKIE;
/// The pre-session form token (double submit) for the sign-in and sign-up forms.
const FORM_COOKIE: &str = "heard_form";

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// The network address a request came from (the TCP peer, so behind a proxy the proxy's),
/// for throttling sign-in; `None` when the server was not given it.
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The signed-in person looking at a page.
pub struct Viewer {
    pub actor: Actor,
    pub csrf: String,
    pub name: String,
    /// Staff only: their unread notifications when the page was asked for (the bell).
    pub unread: Option<i64>,
}

impl Viewer {
    /// Refuses a form that does not carry this session's token.
    pub fn check_csrf(&self, sent: &str) -> PageResult<()> {
        if constant_time_eq(sent.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    pub fn chrome(&self, title: impl Into<String>, area: &'static str) -> Chrome {
        let role = self.actor.role;
        Chrome {
            title: title.into(),
            area,
            user: Some(ChromeUser {
                name: self.name.clone(),
                role: role.as_str().into(),
                is_staff: role.is_staff(),
                is_supervisor: matches!(role, Role::Supervisor | Role::Admin),
                is_admin: role == Role::Admin,
            }),
            csrf: self.csrf.clone(),
            notice: None,
            unread: self.unread,
        }
    }

    pub fn require_staff(&self) -> PageResult<()> {
        if self.actor.is_staff() {
            Ok(())
        } else {
            Err(PageError::WrongArea)
        }
    }

    pub fn require_supervisor(&self) -> PageResult<()> {
        if self.actor.may_view_agents() {
            Ok(())
        } else {
            Err(PageError::WrongArea)
        }
    }

    pub fn require_admin(&self) -> PageResult<()> {
        if self.actor.may_configure() {
            Ok(())
        } else {
            Err(PageError::WrongArea)
        }
    }
}

impl FromRequestParts<WebState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> PageResult<Self> {
        let next = || PageError::SignIn {
            next: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
        };
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(next)?;
        let (actor, csrf) = match state.services.actor_for_session(&token).await {
            Ok(found) => found,
            Err(ServiceError::Unauthenticated) => return Err(next()),
            Err(e) => return Err(e.into()),
        };
        let me = state.services.me(&actor).await?;
        let unread = if actor.is_staff() {
            Some(state.services.unread_notifications(&actor).await?)
        } else {
            None
        };
        Ok(Viewer {
            actor,
            csrf,
            name: me.name,
            unread,
        })
    }
}

/// The signed-in viewer, or `None` for someone who has not signed in.
pub struct MaybeViewer(pub Option<Viewer>);

impl FromRequestParts<WebState> for MaybeViewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> PageResult<Self> {
        match Viewer::from_request_parts(parts, state).await {
            Ok(v) => Ok(MaybeViewer(Some(v))),
            Err(PageError::SignIn { .. }) => Ok(MaybeViewer(None)),
            Err(e) => Err(e),
        }
    }
}

/// Where a role starts.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Customer => "/",
        Role::Agent => "/agent",
        Role::Supervisor => "/supervisor",
        Role::Admin => "/admin",
    }
}

/// Only paths on this site, never `//elsewhere` or `https://…`.
pub(crate) fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .map(str::to_string)
}

/// `; Secure` when the desk is reached over https, so no cookie travels in the clear.
pub fn secure_attribute(s: &heard_services::Services) -> &'static str {
    s.secure_cookie_attribute()
}

/// The pre-session form token: the browser's own while it is one this desk signed and
/// still valid, else a new one with the cookie that carries it.
pub(crate) async fn form_token(
    s: &WebState,
    headers: &HeaderMap,
) -> PageResult<(String, Option<String>)> {
    if let Some(t) = cookie(headers, FORM_COOKIE)
        && s.services.form_token_valid(&t).await?
    {
        return Ok((t, None));
    }
    let t = s.services.new_form_token().await?;
    let set = format!(
        "{FORM_COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        secure_attribute(&s.services)
    );
    Ok((t, Some(set)))
}

/// The form must echo its cookie, and the cookie must be one this desk signed: a value
/// planted in the browser by someone else (double submit alone would take it) fails.
pub(crate) async fn check_form_token(
    s: &WebState,
    headers: &HeaderMap,
    sent: &str,
) -> PageResult<()> {
    match cookie(headers, FORM_COOKIE) {
        Some(t)
            if constant_time_eq(t.as_bytes(), sent.as_bytes())
                && s.services.form_token_valid(&t).await? =>
        {
            Ok(())
        }
        _ => Err(PageError::Csrf),
    }
}

pub(crate) fn with_cookie(mut r: Response, set: Option<String>) -> Response {
    if let Some(c) = set.and_then(|c| c.parse().ok()) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

#[derive(Template)]
#[template(path = "signin.html")]
pub(crate) struct SignInPage {
    chrome: Chrome,
    email: String,
    pub(crate) next: String,
    error: Option<String>,
    /// Outgoing mail is set up: offer a sign-in link by e-mail.
    mail: bool,
    link_email: String,
    link_error: Option<String>,
    /// Single sign-on is set up: the provider's name, for "Sign in with …".
    sso: Option<String>,
    /// Why signing in with the provider failed, in plain words.
    pub(crate) sso_error: Option<String>,
}

impl SignInPage {
    pub(crate) fn new(chrome: Chrome, mail: bool) -> SignInPage {
        SignInPage {
            chrome,
            email: String::new(),
            next: String::new(),
            error: None,
            mail,
            link_email: String::new(),
            link_error: None,
            sso: None,
            sso_error: None,
        }
    }

    /// Offers the provider's button when single sign-on is set up.
    pub(crate) fn with_sso(mut self, s: &heard_services::Services) -> SignInPage {
        self.sso = s.sso_provider().map(str::to_string);
        self
    }
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUpPage {
    chrome: Chrome,
    name: String,
    email: String,
    error: Option<String>,
    field: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    pub(crate) next: Option<String>,
}

pub async fn sign_in_page(
    State(s): State<WebState>,
    MaybeViewer(viewer): MaybeViewer,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> PageResult {
    if let Some(v) = viewer {
        let to = safe_next(q.next.as_deref()).unwrap_or_else(|| home_of(v.actor.role).into());
        return Ok(Redirect::to(&to).into_response());
    }
    let (token, set) = form_token(&s, &headers).await?;
    let mut page = SignInPage::new(
        Chrome::anonymous("Sign in", token),
        s.services.mail_configured(),
    )
    .with_sso(&s.services);
    page.next = safe_next(q.next.as_deref()).unwrap_or_default();
    Ok(with_cookie(render(&page), set))
}

/// The sign-in form, shown to anyone arriving at the portal without a session.
pub async fn sign_in_form(s: &WebState, headers: &HeaderMap) -> PageResult {
    let (token, set) = form_token(s, headers).await?;
    let page = SignInPage::new(
        Chrome::anonymous("Sign in", token),
        s.services.mail_configured(),
    )
    .with_sso(&s.services);
    Ok(with_cookie(render(&page), set))
}

#[derive(Deserialize)]
pub struct SignInForm {
    csrf: String,
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn sign_in(
    State(s): State<WebState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> PageResult {
    check_form_token(&s, &headers, &f.csrf).await?;
    match s.services.sign_in(&f.email, &f.password, client).await {
        Ok(session) => {
            let to =
                safe_next(Some(&f.next)).unwrap_or_else(|| home_of(session.actor.role).to_string());
            let mut r = Redirect::to(&to).into_response();
            if let Ok(v) = s.services.session_cookie(Some(&session.token)).parse() {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(ServiceError::Invalid(i)) => {
            let mut page = SignInPage::new(
                Chrome::anonymous("Sign in", f.csrf),
                s.services.mail_configured(),
            )
            .with_sso(&s.services);
            page.email = f.email;
            page.next = safe_next(Some(&f.next)).unwrap_or_default();
            page.error = Some(i.message);
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

/// What a sign-in link page says: the link was sent, press to sign in, or it is spent.
#[derive(Template)]
#[template(path = "signin_link.html")]
struct LinkPage {
    chrome: Chrome,
    /// `sent`, `confirm` or `spent`.
    state: &'static str,
    token: String,
    minutes: i64,
}

#[derive(Deserialize)]
pub struct LinkRequestForm {
    csrf: String,
    email: String,
}

/// Asks for a sign-in link by e-mail. Every well-formed address gets the same page, so
/// nobody learns from it whether an address has an account.
pub async fn request_link(
    State(s): State<WebState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(f): Form<LinkRequestForm>,
) -> PageResult {
    check_form_token(&s, &headers, &f.csrf).await?;
    if !s.services.mail_configured() {
        return Ok(crate::page::not_found().await);
    }
    match s.services.request_sign_in_link(&f.email, client).await {
        Ok(()) => Ok(render(&LinkPage {
            chrome: Chrome::anonymous("Check your e-mail", f.csrf),
            state: "sent",
            token: String::new(),
            minutes: heard_services::mail::LINK_MS / 60_000,
        })),
        Err(ServiceError::Invalid(i)) => {
            let mut page =
                SignInPage::new(Chrome::anonymous("Sign in", f.csrf), true).with_sso(&s.services);
            page.link_email = f.email;
            page.link_error = Some(i.message);
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

fn spent_link(csrf: String) -> Response {
    render_status(
        StatusCode::GONE,
        &LinkPage {
            chrome: Chrome::anonymous("Sign-in link expired", csrf),
            state: "spent",
            token: String::new(),
            minutes: heard_services::mail::LINK_MS / 60_000,
        },
    )
}

/// The page a link in a mail opens. It asks for one press before signing in, so a mail
/// scanner that fetches links does not use the link up.
pub async fn link_page(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> PageResult {
    let (csrf, set) = form_token(&s, &headers).await?;
    if !s.services.sign_in_link_usable(&token).await? {
        return Ok(with_cookie(spent_link(csrf), set));
    }
    let page = LinkPage {
        chrome: Chrome::anonymous("Sign in", csrf),
        state: "confirm",
        token,
        minutes: heard_services::mail::LINK_MS / 60_000,
    };
    Ok(with_cookie(render(&page), set))
}

/// Signs in with the link, which then stops working.
pub async fn use_link(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    check_form_token(&s, &headers, &f.csrf).await?;
    match s.services.sign_in_with_link(&token).await {
        Ok(session) => {
            let mut r = Redirect::to(home_of(session.actor.role)).into_response();
            if let Ok(v) = s.services.session_cookie(Some(&session.token)).parse() {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(ServiceError::Invalid(_)) => Ok(spent_link(f.csrf)),
        Err(e) => Err(e.into()),
    }
}

pub async fn sign_up_page(State(s): State<WebState>, headers: HeaderMap) -> PageResult {
    let (token, set) = form_token(&s, &headers).await?;
    let page = SignUpPage {
        chrome: Chrome::anonymous("Create an account", token),
        name: String::new(),
        email: String::new(),
        error: None,
        field: None,
    };
    Ok(with_cookie(render(&page), set))
}

#[derive(Deserialize)]
pub struct SignUpForm {
    csrf: String,
    name: String,
    email: String,
    password: String,
}

pub async fn sign_up(
    State(s): State<WebState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(f): Form<SignUpForm>,
) -> PageResult {
    check_form_token(&s, &headers, &f.csrf).await?;
    let signed_up = s
        .services
        .sign_up(&f.name, &f.email, &f.password, client)
        .await;
    let refused = |message: String, field: Option<&'static str>| {
        Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SignUpPage {
                chrome: Chrome::anonymous("Create an account", f.csrf.clone()),
                name: f.name.clone(),
                email: f.email.clone(),
                error: Some(message),
                field,
            },
        ))
    };
    match signed_up {
        Ok(SignedUp::SignedIn(session)) => {
            let mut r = Redirect::to("/?done=welcome").into_response();
            if let Ok(v) = s.services.session_cookie(Some(&session.token)).parse() {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Ok(SignedUp::CheckMail) => Ok(render(&LinkPage {
            chrome: Chrome::anonymous("Check your e-mail", f.csrf.clone()),
            state: "signup",
            token: String::new(),
            minutes: heard_services::mail::LINK_MS / 60_000,
        })),
        Err(ServiceError::Invalid(i)) => refused(i.message, i.field),
        // Only without outgoing mail, where there is no owner to tell instead.
        Err(ServiceError::Conflict { .. }) => refused(
            "There is already an account with that e-mail address. Sign in instead.".into(),
            Some("email"),
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn sign_out(
    State(s): State<WebState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        s.services.sign_out(&token).await?;
    }
    let mut r = Redirect::to("/signin").into_response();
    let clear = s.services.session_cookie(None);
    if let Ok(v) = clear.parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}
