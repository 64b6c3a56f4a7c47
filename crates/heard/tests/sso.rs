//! Single sign-on against a real OpenID Connect provider (`oidc-provider` from npm, on a
//! loopback port): the whole authorization code flow over HTTP, through the provider's
//! own login and consent pages, on the backend the run picks.

mod common;

use common::TestApp;
use common::oidc::{Browser, CLIENT_ID, CLIENT_SECRET, Provider};
use heard_services::Clock;
use heard_services::people::{AgentPatch, NewAgent, NewCustomer};
use heard_services::sso::{Oidc, OidcSettings, SsoPolicy, parse_role_map};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The people the provider knows (login name → claims).
fn accounts() -> Value {
    json!({
        "ana": {"email": "ana@desk.test", "email_verified": true, "name": "Ana", "groups": ["desk"]},
        "lee": {"email": "lee@desk.test", "email_verified": true, "groups": ["desk", "leads"]},
        "sam": {"email": "sam@desk.test", "email_verified": true, "groups": ["sales"]},
        "una": {"email": "una@desk.test", "email_verified": false, "groups": ["desk"]},
        "off": {"email": "off@desk.test", "email_verified": true, "groups": ["desk"]},
        "cus": {"email": "cus@customer.test", "email_verified": true},
        "newbie": {"email": "newbie@desk.test", "email_verified": true, "name": "New Bie", "groups": ["desk"]},
        "guest": {"email": "guest@customer.test", "email_verified": true, "name": "Guest"},
        "nomail": {"name": "No Mail"},
        "ghost": {"email": "ghost@desk.test", "email_verified": false, "groups": ["desk"]},
    })
}

/// A desk signing in with a fresh provider, with role mapping from `groups`.
async fn desk(customers: bool, provision: bool) -> (TestApp, Provider) {
    let mut provider = None;
    let app = TestApp::spawn_configured(Clock::System, |s, base| {
        let p = Provider::start(base, accounts());
        let settings = OidcSettings {
            issuer: p.issuer.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            display_name: "Test ID".into(),
            public_url: base.into(),
            scopes: "openid email profile groups".into(),
            policy: SsoPolicy {
                role_claim: Some("groups".into()),
                role_map: parse_role_map("desk=agent,leads=supervisor").unwrap(),
                customers,
                provision,
            },
        };
        provider = Some(p);
        s.with_oidc(Oidc::new(settings))
    })
    .await;
    let s = &app.services;
    for (email, role) in [
        ("ana@desk.test", "agent"),
        ("lee@desk.test", "agent"),
        ("sam@desk.test", "agent"),
        ("una@desk.test", "agent"),
        ("off@desk.test", "agent"),
    ] {
        s.create_agent(
            None,
            NewAgent {
                email: email.into(),
                name: email.into(),
                role: role.into(),
                tier: None,
                skills: vec![],
                team_ids: vec![],
                capacity: None,
                time_zone: None,
                password: None,
            },
        )
        .await
        .unwrap();
    }
    s.create_customer(
        None,
        NewCustomer {
            email: "cus@customer.test".into(),
            name: "Cus".into(),
            organization_id: None,
            time_zone: None,
            password: None,
        },
    )
    .await
    .unwrap();
    let admin = s
        .create_agent(
            None,
            NewAgent {
                email: "root@desk.test".into(),
                name: "Root".into(),
                role: "admin".into(),
                tier: None,
                skills: vec![],
                team_ids: vec![],
                capacity: None,
                time_zone: None,
                password: None,
            },
        )
        .await
        .unwrap();
    let admin = s.actor_for_user(admin.id).await.unwrap();
    let off = app
        .store
        .user_by_email("off@desk.test")
        .await
        .unwrap()
        .unwrap();
    s.update_agent(
        &admin,
        off.id,
        AgentPatch {
            active: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (app, provider.unwrap())
}

/// Signs in through the provider as `login`; heard's answer.
async fn sign_in(app: &TestApp, login: &str) -> (Browser, common::oidc::Landed) {
    let mut b = Browser::new();
    let at = b.through_provider(&app.base, "/signin/sso", login).await;
    let done = b.finish(&at).await;
    (b, done)
}

fn refused(done: &common::oidc::Landed, words: &str) {
    assert_eq!(done.status, StatusCode::FORBIDDEN, "{}", done.body);
    assert!(done.body.contains("id=\"sso-error\""), "{}", done.body);
    assert!(
        done.body.contains(words),
        "expected “{words}” in {}",
        done.body
    );
    assert!(done.body.contains("Sign in with Test ID"), "{}", done.body);
}

/// The signed-in page behind a redirect, with the session cookie heard set.
async fn page_after(b: &mut Browser, done: &common::oidc::Landed) -> (String, String) {
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let to = done.location.clone().unwrap();
    assert!(
        b.cookie(&to, "heard_session").is_some(),
        "no session cookie"
    );
    let page = b.get(&to).await;
    assert_eq!(page.status, StatusCode::OK, "{to}: {}", page.body);
    (to, page.body)
}

async fn audit_actions(app: &TestApp, user_id: i64) -> Vec<(String, Value)> {
    app.store
        .audit_log(None, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.subject_kind == "user" && a.subject_id == user_id)
        .map(|a| (a.action, serde_json::from_str(&a.data).unwrap()))
        .collect()
}

/// Changes the attempts the desk keeps, as time or a tampered nonce would.
async fn tamper(app: &TestApp, sql: &str) {
    use sqlx::Connection;
    if app.database_url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
}

#[tokio::test]
async fn staff_sign_in_with_the_provider_and_every_refusal_is_said_on_the_page() {
    let (app, _provider) = desk(false, false).await;
    let base = &app.base;

    // The sign-in page offers the provider.
    let mut visitor = Browser::new();
    let page = visitor.get(&format!("{base}/signin")).await;
    assert!(page.body.contains("Sign in with Test ID"), "{}", page.body);
    assert!(page.body.contains("href=\"/signin/sso\""), "{}", page.body);

    // A known agent with a verified address signs in and lands in the workspace.
    let (mut b, done) = sign_in(&app, "ana").await;
    let (to, body) = page_after(&mut b, &done).await;
    assert_eq!(to, format!("{base}/agent"));
    assert!(body.contains("Sign out"), "{body}");
    let ana = app
        .store
        .user_by_email("ana@desk.test")
        .await
        .unwrap()
        .unwrap();
    let audit = audit_actions(&app, ana.id).await;
    let signed_in = audit
        .iter()
        .find(|(a, _)| a == "signed_in")
        .expect("audited");
    assert_eq!(signed_in.1["method"], "sso");
    assert_eq!(signed_in.1["subject"], "ana");
    assert_eq!(signed_in.1["account"], "matched");

    // Where they were going is kept through the provider.
    let mut b = Browser::new();
    let at = b
        .through_provider(base, "/signin/sso?next=/agent/history", "ana")
        .await;
    let done = b.finish(&at).await;
    assert_eq!(
        done.location.as_deref(),
        Some(format!("{base}/agent/history").as_str())
    );

    // The role claim maps `leads` to supervisor: lee, an agent here, becomes one.
    let (mut b, done) = sign_in(&app, "lee").await;
    let (to, _) = page_after(&mut b, &done).await;
    assert_eq!(to, format!("{base}/supervisor"));
    let lee = app
        .store
        .user_by_email("lee@desk.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lee.role, "supervisor");
    assert!(
        audit_actions(&app, lee.id)
            .await
            .iter()
            .any(|(a, d)| a == "role_from_sso" && d["to"] == "supervisor")
    );

    // Refusals, each in plain words on the sign-in page.
    let (_, done) = sign_in(&app, "sam").await;
    refused(&done, "does not give you access");
    let (_, done) = sign_in(&app, "una").await;
    refused(&done, "not verified");
    let (_, done) = sign_in(&app, "off").await;
    refused(&done, "switched off");
    let (_, done) = sign_in(&app, "cus").await;
    refused(&done, "is for staff");
    let (_, done) = sign_in(&app, "newbie").await;
    refused(&done, "no account here");
    assert!(
        app.store
            .user_by_email("newbie@desk.test")
            .await
            .unwrap()
            .is_none()
    );
    let (_, done) = sign_in(&app, "nomail").await;
    refused(&done, "did not tell us your e-mail address");

    // The person cancels at the provider: its error comes back and is said.
    let mut b = Browser::new();
    let started = b.get(&format!("{base}/signin/sso")).await;
    let login = b.follow(started, "never").await;
    assert_eq!(login.status, StatusCode::OK);
    let cancel = login
        .body
        .split("href=\"")
        .find_map(|h| h.split('"').next().filter(|u| u.ends_with("/abort")))
        .expect("a cancel link on the provider's page")
        .to_string();
    let cancelled = b.get(&cancel).await;
    let back = b
        .follow(cancelled, &format!("{base}/signin/sso/callback"))
        .await;
    assert!(
        back.location
            .as_deref()
            .unwrap()
            .contains("error=access_denied")
    );
    let done = b.finish(&back).await;
    refused(&done, "cancelled or refused");
}

#[tokio::test]
async fn state_and_nonce_are_bound_to_the_browser_and_used_once() {
    let (app, _provider) = desk(false, false).await;
    let base = &app.base;
    let callback = format!("{base}/signin/sso/callback");

    // A made-up state, and none at all.
    let mut b = Browser::new();
    let at = b.through_provider(base, "/signin/sso", "ana").await;
    let good = at.location.clone().unwrap();
    let state = good
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let forged = good.replace(state, "forged");
    refused(
        &b.get(&forged).await,
        "does not belong to a sign-in started in this browser",
    );
    refused(
        &b.get(&format!("{callback}?code=abc")).await,
        "does not belong to a sign-in started in this browser",
    );

    // Another browser (without this one's cookie) cannot finish it, and that spends it.
    let mut other = Browser::new();
    refused(&other.get(&good).await, "does not belong");
    refused(&b.get(&good).await, "does not belong");

    // Finished once, the same answer is refused the second time.
    let mut b = Browser::new();
    let at = b.through_provider(base, "/signin/sso", "ana").await;
    let done = b.finish(&at).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    refused(&b.finish(&at).await, "already used");

    // The ID token must carry this sign-in's nonce.
    let mut b = Browser::new();
    let at = b.through_provider(base, "/signin/sso", "ana").await;
    tamper(&app, "UPDATE sso_attempts SET nonce = 'another'").await;
    refused(&b.finish(&at).await, "nonce does not match");

    // A sign-in left too long expires.
    let mut b = Browser::new();
    let at = b.through_provider(base, "/signin/sso", "ana").await;
    tamper(&app, "UPDATE sso_attempts SET expires_at = 0").await;
    refused(&b.finish(&at).await, "took too long");

    // A browser cookie that is not the one it started with.
    let mut b = Browser::new();
    let at = b.through_provider(base, "/signin/sso", "ana").await;
    b.set_cookie(base, "heard_sso", &"0".repeat(64));
    refused(&b.finish(&at).await, "does not belong");
}

#[tokio::test]
async fn accounts_are_provisioned_only_when_configured() {
    let (app, _provider) = desk(true, true).await;
    let base = &app.base;

    // A verified newcomer whose groups map to agent gets a staff account.
    let (mut b, done) = sign_in(&app, "newbie").await;
    let (to, _) = page_after(&mut b, &done).await;
    assert_eq!(to, format!("{base}/agent"));
    let newbie = app
        .store
        .user_by_email("newbie@desk.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (newbie.role.as_str(), newbie.name.as_str()),
        ("agent", "New Bie")
    );
    assert!(newbie.password_hash.is_none());
    let audit = audit_actions(&app, newbie.id).await;
    assert!(
        audit
            .iter()
            .any(|(a, d)| a == "provisioned_by_sso" && d["role"] == "agent")
    );
    assert!(
        audit
            .iter()
            .any(|(a, d)| a == "signed_in" && d["account"] == "provisioned")
    );

    // The second time, the same account signs in (no second one).
    let (_, done) = sign_in(&app, "newbie").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let again = app
        .store
        .user_by_email("newbie@desk.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, newbie.id);

    // Customers may sign in here: one with no staff group becomes a customer.
    let (mut b, done) = sign_in(&app, "guest").await;
    let (to, _) = page_after(&mut b, &done).await;
    assert_eq!(to, format!("{base}/"));
    let guest = app
        .store
        .user_by_email("guest@customer.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(guest.role, "customer");
    let (_, done) = sign_in(&app, "cus").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    // Unverified addresses get no account, even with provisioning on.
    let (_, done) = sign_in(&app, "ghost").await;
    refused(&done, "not verified");
    assert!(
        app.store
            .user_by_email("ghost@desk.test")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn without_a_provider_there_is_no_button_and_no_route() {
    let app = TestApp::spawn().await;
    let mut b = Browser::new();
    let page = b.get(&app.url("/signin")).await;
    assert!(!page.body.contains("Sign in with"), "{}", page.body);
    let start = b.get(&app.url("/signin/sso")).await;
    assert_eq!(start.status, StatusCode::NOT_FOUND);
    let back = b.get(&app.url("/signin/sso/callback?state=x&code=y")).await;
    assert_eq!(back.status, StatusCode::NOT_FOUND);
}
