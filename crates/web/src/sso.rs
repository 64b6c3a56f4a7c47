//! Signing in with the desk's OpenID Connect provider: the sign-in page's "Sign in with …"
//! link starts it (a link, not a form: the page's `form-action 'self'` would stop a form
//! from being redirected to the provider), and the provider sends the browser back to the
//! callback, which opens the normal session. Every refusal is shown on the sign-in page.

use crate::WebState;
use crate::page::{Chrome, PageResult, render_status};
use crate::session::{
    NextQuery, SignInPage, cookie, form_token, home_of, safe_next, secure_attribute, with_cookie,
};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use heard_domain::sso::SsoRefusal;
use heard_services::sso::{ATTEMPT_MS, BROWSER_COOKIE, SsoAnswer, SsoFailure};

/// The sign-in page again, saying why signing in with the provider failed.
async fn refused(s: &WebState, headers: &HeaderMap, why: &SsoRefusal, next: String) -> PageResult {
    let (token, set) = form_token(s, headers).await?;
    let mut page = SignInPage::new(
        Chrome::anonymous("Sign in", token),
        s.services.mail_configured(),
    )
    .with_sso(&s.services);
    page.next = next;
    page.sso_error = Some(why.message(s.services.sso_provider().unwrap_or("the provider")));
    let status = match why {
        SsoRefusal::Unreachable => StatusCode::BAD_GATEWAY,
        _ => StatusCode::FORBIDDEN,
    };
    Ok(with_cookie(render_status(status, &page), set))
}

/// Starts signing in with the provider: remembers the attempt for this browser and sends
/// it to the provider's sign-in page.
pub async fn begin(
    State(s): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> PageResult {
    let next = safe_next(q.next.as_deref()).unwrap_or_default();
    let browser = cookie(&headers, BROWSER_COOKIE);
    match s.services.sso_begin(browser.as_deref(), &next).await? {
        Ok(start) => {
            let mut r = Redirect::to(&start.redirect).into_response();
            // Lax: the provider's redirect back is a top-level navigation from its site.
            let set = format!(
                "{BROWSER_COOKIE}={}; Path=/signin/sso; HttpOnly; SameSite=Lax; Max-Age={}{}",
                start.browser_secret,
                ATTEMPT_MS / 1000,
                secure_attribute(&s.services)
            );
            if let Ok(v) = set.parse() {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(why) => refused(&s, &headers, &why, next).await,
    }
}

/// Where the provider sends the browser back: finishes the sign-in and opens the session.
pub async fn callback(
    State(s): State<WebState>,
    headers: HeaderMap,
    Query(answer): Query<SsoAnswer>,
) -> PageResult {
    let browser = cookie(&headers, BROWSER_COOKIE);
    match s.services.sso_finish(&answer, browser.as_deref()).await {
        Ok(done) => {
            let to = safe_next(done.next.as_deref())
                .unwrap_or_else(|| home_of(done.session.actor.role).to_string());
            let mut r = Redirect::to(&to).into_response();
            if let Ok(v) = s.services.session_cookie(Some(&done.session.token)).parse() {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(SsoFailure::Refused(why)) => refused(&s, &headers, &why, String::new()).await,
        Err(SsoFailure::Service(e)) => Err(e.into()),
    }
}
