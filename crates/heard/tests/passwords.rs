//! Choosing a password through a mailed link: "Forgot your password?" for anyone with an
//! account, and the admin's pages that add a staff member (who chooses their own password)
//! or send one a new link. The link only sets a password, works once, and signs out every
//! other session; asking tells nobody whether an address has an account.

mod common;

use common::pages::{browser, form_token, no_redirects, set_cookie};
use common::*;
use heard_services::Clock;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::json;

fn mailer() -> heard_mail::Mailer {
    // Nothing listens on port 9: the mail stays in the outbox, where the test reads it.
    heard_mail::Mailer::new("smtp://127.0.0.1:9", "Help Desk <help@desk.test>").unwrap()
}

async fn world_with_mail() -> World {
    let app = TestApp::spawn_configured(Clock::System, |s, base| s.with_mail(mailer(), base)).await;
    World::on(app).await
}

/// Asks for a password link on the page; the status and the page's text, with the form
/// token (the only thing that differs per visit) blanked.
async fn ask_for_link(app: &TestApp, email: &str) -> (StatusCode, String) {
    let client = no_redirects();
    let (cookie, token) = form_token(&client, &app.url("/signin/password")).await;
    let res = client
        .post(app.url("/signin/password"))
        .header(COOKIE, cookie)
        .form(&[("csrf", token.as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.text().await.unwrap().replace(&token, "TOKEN"))
}

/// The link in the newest mail to `to` with this purpose.
async fn link_mailed(app: &TestApp, to: &str, purpose: &str) -> String {
    let mail = app.services.recent_mail(20).await.unwrap();
    let m = mail
        .iter()
        .find(|m| m.to_address == to && m.purpose == purpose)
        .unwrap_or_else(|| panic!("no {purpose} mail to {to}: {mail:?}"));
    m.body_text
        .split_whitespace()
        .find(|w| w.contains("/signin/password/"))
        .unwrap_or_else(|| panic!("no link in {}", m.body_text))
        .to_string()
}

/// Opens the link's page and posts `password` to it: the status, where it leads and the
/// session cookie it set, if any, and the page.
async fn choose(link: &str, password: &str) -> (StatusCode, String, Option<String>, String) {
    let client = no_redirects();
    let (cookie, token) = form_token(&client, link).await;
    let res = client
        .post(link)
        .header(COOKIE, cookie)
        .form(&[("csrf", token.as_str()), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let to = res
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    let session = set_cookie(&res, "heard_session=");
    (status, to, session, res.text().await.unwrap())
}

async fn api_sign_in(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.client
        .post(app.url("/api/v1/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_forgotten_password_is_replaced_through_a_link_that_works_once_and_signs_out_elsewhere() {
    let w = world_with_mail().await;
    let email = w.c1.email.clone();
    // Signed in somewhere else with the old password.
    let elsewhere = browser(&w.app, &w.c1).await;
    assert_eq!(elsewhere.page("/").await.0, StatusCode::OK);

    // The same answer for an account, a staff account and nobody; only owners get mail.
    let known = ask_for_link(&w.app, &email).await;
    let staff = ask_for_link(&w.app, &w.agent_a.email).await;
    let nobody = ask_for_link(&w.app, "nobody@nowhere.test").await;
    assert_eq!(known.0, StatusCode::OK, "{}", known.1);
    assert!(known.1.contains("Check your e-mail"), "{}", known.1);
    assert_eq!(known, staff, "a staff address answers alike");
    assert_eq!(known, nobody, "an unknown address answers alike");
    let mail = w.app.services.recent_mail(20).await.unwrap();
    assert!(mail.iter().all(|m| m.to_address != "nobody@nowhere.test"));
    assert!(
        mail.iter()
            .any(|m| m.to_address == w.agent_a.email && m.purpose == "password_reset"),
        "staff may reset their password too"
    );

    // Asking changes nothing yet.
    assert_eq!(
        api_sign_in(&w.app, &email, PASSWORD).await,
        StatusCode::CREATED
    );
    let link = link_mailed(&w.app, &email, "password_reset").await;
    assert!(link.starts_with(&w.app.base), "{link}");

    // A weak password comes back beside the field, and the link still works.
    let (status, _, session, page) = choose(&link, "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(session.is_none());
    assert!(page.contains("id=\"password-error\""), "{page}");
    assert!(page.contains("at least 10 characters"), "{page}");
    assert!(!page.contains("/api/"), "no API wording on a page: {page}");

    let new_password = "a brand new passphrase";
    let (status, to, session, _) = choose(&link, new_password).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, "/?done=password");
    assert!(session.is_some(), "signed in here");

    // The old password is gone, the new one works, the other session is over.
    assert_eq!(
        api_sign_in(&w.app, &email, PASSWORD).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        api_sign_in(&w.app, &email, new_password).await,
        StatusCode::CREATED
    );
    let (status, body) = elsewhere.page("/").await;
    assert!(
        !body.contains(&w.c1.email) && (status == StatusCode::OK || status.is_redirection()),
        "the old session still shows the account: {status}"
    );
    assert!(
        body.contains("Sign in"),
        "the old session was not signed out"
    );

    // Spent: the page says so (410), and posting to it again changes nothing.
    let res = no_redirects().get(&link).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("This link no longer works")
    );

    // Who changed it is in the audit log.
    let (_, audit) = w.app.get("/api/v1/audit", &w.admin.token).await;
    let entries = audit["items"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "password_changed" && e["subject_id"] == w.c1.id),
        "{audit}"
    );
}

#[tokio::test]
async fn a_sign_in_link_cannot_set_a_password_and_a_password_link_cannot_sign_in() {
    let w = world_with_mail().await;
    // A sign-in link (customers can ask for one) on the password page: refused.
    let client = no_redirects();
    let (cookie, token) = form_token(&client, &w.app.url("/signin")).await;
    let res = client
        .post(w.app.url("/signin/link"))
        .header(COOKIE, cookie)
        .form(&[("csrf", token.as_str()), ("email", w.c1.email.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mail = w.app.services.recent_mail(5).await.unwrap();
    let signin = mail
        .iter()
        .find(|m| m.purpose == "signin_link")
        .expect("a sign-in link")
        .body_text
        .split_whitespace()
        .find(|w| w.contains("/signin/link/"))
        .unwrap()
        .to_string();
    let as_password = signin.replace("/signin/link/", "/signin/password/");
    let res = no_redirects().get(&as_password).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::GONE);

    // A password link on the sign-in link page: refused too.
    ask_for_link(&w.app, &w.c1.email).await;
    let password = link_mailed(&w.app, &w.c1.email, "password_reset").await;
    let as_signin = password.replace("/signin/password/", "/signin/link/");
    let res = no_redirects().get(&as_signin).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::GONE);
    // Both still work for what they are.
    assert_eq!(
        no_redirects().get(&password).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        no_redirects().get(&signin).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_admin_adds_a_staff_member_who_chooses_their_own_password() {
    let w = world_with_mail().await;
    let admin = browser(&w.app, &w.admin).await;
    let team = w.team_a.to_string();

    // Refusals come back beside the field, with what was typed kept.
    let (status, _, page) = admin
        .form(
            "/admin/agents",
            &[
                ("name", "Noor Haddad"),
                ("email", "not an address"),
                ("role", "agent"),
                ("team", &team),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("id=\"new-staff-email-error\""), "{page}");
    assert!(page.contains("value=\"Noor Haddad\""), "{page}");

    let (status, to, page) = admin
        .form(
            "/admin/agents",
            &[
                ("name", "Noor Haddad"),
                ("email", "noor@desk.test"),
                ("role", "agent"),
                ("team", &team),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(to, "/admin?done=staff_invited");
    let (_, page) = admin.page(&to).await;
    assert!(page.contains("a link to choose their password is on its way"));
    assert!(page.contains("Noor Haddad"));

    // No password yet: nobody can sign in as them until the link is used.
    assert_eq!(
        api_sign_in(&w.app, "noor@desk.test", "").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let link = link_mailed(&w.app, "noor@desk.test", "staff_welcome").await;
    let (status, to, session, _) = choose(&link, "noor's own passphrase").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        to, "/agent?done=password",
        "an agent lands in the workspace"
    );
    assert!(session.is_some());
    assert_eq!(
        api_sign_in(&w.app, "noor@desk.test", "noor's own passphrase").await,
        StatusCode::CREATED
    );

    // In the team chosen, and the addition is in the audit log.
    let (_, agents) = w.app.get("/api/v1/agents?limit=200", &w.admin.token).await;
    let noor = agents["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "noor@desk.test")
        .unwrap()
        .clone();
    assert_eq!(noor["team_ids"], json!([w.team_a]));
    let (_, audit) = w.app.get("/api/v1/audit", &w.admin.token).await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "staff_added"
                && e["subject_id"] == noor["id"]
                && e["actor_id"] == w.admin.id),
        "{audit}"
    );

    // The admin sends a new link from the agent's page; the old password keeps working
    // until the link is used.
    let id = noor["id"].as_i64().unwrap();
    let (status, to, _) = admin
        .form(&format!("/admin/agents/{id}/password-link"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, format!("/admin/agents/{id}?done=password_link"));
    let reset = link_mailed(&w.app, "noor@desk.test", "password_reset").await;
    assert_ne!(reset, link);
    assert_eq!(
        api_sign_in(&w.app, "noor@desk.test", "noor's own passphrase").await,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn only_admins_add_staff_or_send_links_and_without_mail_a_first_password_is_needed() {
    let w = World::new().await; // no outgoing mail
    let admin = browser(&w.app, &w.admin).await;
    let supervisor = browser(&w.app, &w.supervisor).await;

    // Not an admin: refused, nothing added.
    let (status, _, _) = supervisor
        .form(
            "/admin/agents",
            &[
                ("name", "Sneaky"),
                ("email", "sneaky@desk.test"),
                ("role", "admin"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
    assert_eq!(
        api_sign_in(&w.app, "sneaky@desk.test", "a long enough password").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Without mail, no link could reach them: the password field says so.
    let (status, _, page) = admin
        .form(
            "/admin/agents",
            &[
                ("name", "Ola Berg"),
                ("email", "ola@desk.test"),
                ("role", "supervisor"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("id=\"new-staff-password-error\""), "{page}");
    assert!(page.contains("give them a first password"), "{page}");
    assert_eq!(
        api_sign_in(&w.app, "ola@desk.test", "").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let (status, to, _) = admin
        .form(
            "/admin/agents",
            &[
                ("name", "Ola Berg"),
                ("email", "ola@desk.test"),
                ("role", "supervisor"),
                ("password", "ola's first password"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, "/admin?done=staff_added");
    assert_eq!(
        api_sign_in(&w.app, "ola@desk.test", "ola's first password").await,
        StatusCode::CREATED
    );

    // No mail, no "forgot your password" page or link button.
    let res = no_redirects()
        .get(w.app.url("/signin/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, page) = admin.page(&format!("/admin/agents/{}", w.agent_a.id)).await;
    assert!(!page.contains("password-link"), "{page}");
}
