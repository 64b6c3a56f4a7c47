//! Trust from outside: sign-in throttling (per account and address, shared by every
//! process on the database, never a lock-out of the owner), sign-up that tells nobody
//! whether an address has an account, Secure cookies behind https, signed pre-sign-in
//! form tokens, and the small things an attacker probes: trailing JSON, caching of API
//! answers, bidirectional controls in file names, a customer picking their own priority.

mod common;

use common::pages::{form_token, set_cookie};
use common::*;
use heard_services::Clock;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, COOKIE, LOCATION, RETRY_AFTER};
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};

const MONDAY_9: i64 = 1_795_420_800_000; // 2026-11-23T09:00:00Z

/// A client whose requests come from 127.0.0.`last` (every 127/8 address is loopback).
fn from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in through the API; the status and the Retry-After seconds, if any.
async fn sign_in(
    base: &str,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> (u16, Option<u64>) {
    let res = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let retry = res
        .headers()
        .get(RETRY_AFTER)
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (res.status().as_u16(), retry)
}

#[tokio::test]
async fn guessing_a_password_is_slowed_per_account_and_address_without_locking_the_owner_out() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let base = w.app.base.clone();
    let email = w.c1.email.as_str();
    let guesser = from(2);
    for n in 1..=5 {
        assert_eq!(
            sign_in(&base, &guesser, email, "wrong guess").await,
            (422, None),
            "guess {n} is free"
        );
    }
    // The sixth guess waits a second, and so would the right password from that address.
    assert_eq!(
        sign_in(&base, &guesser, email, "wrong guess").await,
        (429, Some(1))
    );
    assert_eq!(
        sign_in(&base, &guesser, email, PASSWORD).await,
        (429, Some(1))
    );
    // The owner, elsewhere, is not slowed at all.
    let owner = from(3);
    assert_eq!(sign_in(&base, &owner, email, PASSWORD).await.0, 201);
    // The wait doubles with each further guess: a delay, never a lock.
    clock.advance_ms(1_000);
    assert_eq!(
        sign_in(&base, &guesser, email, "wrong guess").await,
        (422, None)
    );
    assert_eq!(
        sign_in(&base, &guesser, email, "wrong guess").await,
        (429, Some(2))
    );

    // A second server on the same database counts the same attempts: the state is in
    // the database, so processes behind a load balancer share it.
    let second = second_server(&w.app).await;
    assert_eq!(
        sign_in(&second, &guesser, email, "wrong guess").await,
        (429, Some(2))
    );

    // Guessing from many addresses: 6 failures so far, the account-wide ceiling is 20.
    for last in 10..24 {
        assert_eq!(
            sign_in(&second, &from(last), email, "wrong guess").await.0,
            422,
            "address {last}"
        );
    }
    // Now a new address waits a little for this account…
    let (status, retry) = sign_in(&base, &from(60), email, PASSWORD).await;
    assert_eq!(status, 429);
    assert!(retry.is_some_and(|s| (1..=30).contains(&s)), "{retry:?}");
    // …but the owner's address, known from their earlier sign-in, is not slowed,
    assert_eq!(sign_in(&base, &owner, email, PASSWORD).await.0, 201);
    // nor is anyone else's account.
    assert_eq!(
        sign_in(&base, &from(60), &w.c2.email, PASSWORD).await.0,
        201
    );
    // And the wait passes: a new address gets in a moment later.
    clock.advance_ms(1_000);
    assert_eq!(sign_in(&base, &from(60), email, PASSWORD).await.0, 201);
}

/// Another `heard serve` on the test app's database; its base URL.
async fn second_server(app: &TestApp) -> String {
    let store = heard_store::Store::open_url(&app.database_url)
        .await
        .unwrap();
    let services = heard_services::Services::new(store).with_clock(app.services.clock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(heard::serve(listener, services, std::future::pending()));
    base
}

async fn sign_up(
    app: &TestApp,
    email: &str,
    password: &str,
) -> (StatusCode, String, Option<String>) {
    let client = from(1);
    let (cookie, token) = form_token(&client, &app.url("/signup")).await;
    let res = client
        .post(app.url("/signup"))
        .header(COOKIE, cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("name", "Someone New"),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let session = set_cookie(&res, "heard_session=");
    // The form token differs per visit; nothing else may.
    let body = res.text().await.unwrap().replace(&token, "TOKEN");
    (status, body, session)
}

#[tokio::test]
async fn sign_up_answers_alike_for_new_and_taken_addresses_and_tells_the_owner() {
    let mailer =
        heard_mail::Mailer::new("smtp://127.0.0.1:9", "Help Desk <help@desk.test>").unwrap();
    let app = TestApp::spawn_configured(Clock::System, |s, base| s.with_mail(mailer, base)).await;
    let w = World::on(app).await;
    let chosen = "a password I chose";
    let new = sign_up(&w.app, "newbie@private.test", chosen).await;
    let customer = sign_up(&w.app, &w.c1.email, chosen).await;
    let staff = sign_up(&w.app, &w.agent_a.email, chosen).await;
    assert_eq!(new.0, StatusCode::OK, "{}", new.1);
    assert!(new.1.contains("Check your e-mail"), "{}", new.1);
    assert_eq!(
        (&customer.0, &customer.1),
        (&new.0, &new.1),
        "a customer's address answers alike"
    );
    assert_eq!(
        (&staff.0, &staff.1),
        (&new.0, &new.1),
        "a staff address answers alike"
    );
    assert!(
        new.2.is_none() && customer.2.is_none() && staff.2.is_none(),
        "nobody is signed in"
    );

    // Each owner is told by mail; only the new address's link finishes an account.
    let mail = w.app.services.recent_mail(10).await.unwrap();
    let to = |addr: &str| {
        mail.iter()
            .find(|m| m.to_address == addr)
            .unwrap_or_else(|| panic!("a mail to {addr}: {mail:?}"))
    };
    let link = |m: &heard_store::MailRow| {
        m.body_text
            .split_whitespace()
            .find(|w| w.contains("/signin/link/"))
            .map(str::to_string)
    };
    let confirm = to("newbie@private.test");
    assert_eq!(confirm.purpose, "signup_confirm");
    assert_eq!(to(&w.c1.email).purpose, "signup_existing");
    assert!(
        link(to(&w.c1.email)).is_some(),
        "a customer may sign in by link"
    );
    assert_eq!(to(&w.agent_a.email).purpose, "signup_existing");
    assert!(link(to(&w.agent_a.email)).is_none(), "staff get no link");

    // Nobody's password changed, and the new one is not usable before the address is proven.
    let base = w.app.base.clone();
    let client = from(1);
    assert_eq!(
        sign_in(&base, &client, "newbie@private.test", chosen)
            .await
            .0,
        422
    );
    assert_eq!(sign_in(&base, &client, &w.c1.email, chosen).await.0, 422);
    assert_eq!(sign_in(&base, &client, &w.c1.email, PASSWORD).await.0, 201);
    assert_eq!(
        sign_in(&base, &client, &w.agent_a.email, chosen).await.0,
        422
    );

    // The link proves the address: it signs in, the password now works, and the account
    // joined the organization of its domain.
    let link = link(confirm).expect("a confirmation link");
    let (cookie, token) = form_token(&client, &link).await;
    let res = client
        .post(&link)
        .header(COOKIE, cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&res, "heard_session=").is_some());
    assert_eq!(
        sign_in(&base, &client, "newbie@private.test", chosen)
            .await
            .0,
        201
    );
    let (_, orgs) = w.app.get("/api/v1/organizations", &w.admin.token).await;
    let private = orgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Private Co")
        .unwrap()["id"]
        .clone();
    let newbie = customer_by_email(&w, "newbie@private.test").await;
    assert_eq!(newbie["organization_id"], private);
}

/// A customer's profile as an admin sees it, found by e-mail address.
async fn customer_by_email(w: &World, email: &str) -> Value {
    let (_, customers) = w
        .app
        .get("/api/v1/customers?limit=200", &w.admin.token)
        .await;
    customers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == email)
        .unwrap_or_else(|| panic!("no customer {email}"))
        .clone()
}

#[tokio::test]
async fn without_mail_a_sign_up_joins_no_organization_by_its_unproven_domain() {
    let w = World::new().await;
    let (status, _, session) = sign_up(&w.app, "mole@sharing.test", "a password I chose").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(session.is_some(), "signed in at once");
    let mole = customer_by_email(&w, "mole@sharing.test").await;
    assert_eq!(mole["organization_id"], Value::Null, "{mole}");
    // With no owner to tell instead, a taken address is refused as before.
    let (status, body, session) = sign_up(&w.app, &w.c1.email, "a password I chose").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(session.is_none());
}

#[tokio::test]
async fn cookies_are_secure_behind_https_and_a_planted_form_cookie_fails() {
    // Plain http: no Secure (a browser would drop the cookie).
    let w = World::new().await;
    let client = from(1);
    let res = client.get(w.app.url("/signin")).send().await.unwrap();
    let form = set_cookie(&res, "heard_form=").unwrap();
    assert!(!form.contains("Secure"), "{form}");

    // Posts the sign-in form with this form cookie value and field, as c1.
    let post = |cookie: String, token: String| {
        let (client, url, email) = (&client, w.app.url("/signin"), w.c1.email.clone());
        async move {
            client
                .post(url)
                .header(COOKIE, format!("heard_form={cookie}"))
                .form(&[
                    ("csrf", token.as_str()),
                    ("email", email.as_str()),
                    ("password", PASSWORD),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // A cookie planted with a made-up value, echoed in the field, was enough before.
    let planted = "ab".repeat(32);
    let res = post(planted.clone(), planted).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&res, "heard_session=").is_none());
    // The desk's own token still works, and so does a token it signed with its key in
    // another process (the key is in the database).
    let second = second_server(&w.app).await;
    for page in [w.app.url("/signin"), format!("{second}/signin")] {
        let (_, token) = form_token(&client, &page).await;
        let res = post(token.clone(), token).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "token from {page}");
        assert_eq!(res.headers()[LOCATION], "/");
    }
    // A token altered by one character fails.
    let (_, mut forged) = form_token(&client, &w.app.url("/signin")).await;
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let res = post(forged.clone(), forged).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Reached over https: every cookie carries Secure.
    let app = TestApp::spawn_configured(Clock::System, |s, _| {
        s.with_public_url("https://help.example.test")
    })
    .await;
    let w = World::on(app).await;
    let res = client.get(w.app.url("/signin")).send().await.unwrap();
    assert!(
        set_cookie(&res, "heard_form=")
            .unwrap()
            .contains("; Secure")
    );
    let res = client
        .post(w.app.url("/api/v1/session"))
        .json(&json!({"email": w.c1.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let session = set_cookie(&res, "heard_session=").unwrap();
    assert!(
        session.contains("; Secure") && session.contains("HttpOnly"),
        "{session}"
    );
}

#[tokio::test]
async fn what_attackers_probe_is_refused_or_cleaned() {
    let w = World::new().await;
    let app = &w.app;
    let supervisor = w.supervisor.token.as_str();
    let count = move || async move {
        let (_, v) = app.get("/api/v1/tickets?limit=200", supervisor).await;
        v["items"].as_array().unwrap().len()
    };
    // JSON with trailing garbage is refused, naming the problem, and writes nothing.
    let res = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(&w.c1.token)
        .header("content-type", "application/json")
        .body(r#"{"subject":"x","body":"b"}}}}junk"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "malformed_json");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing after it"),
        "{v}"
    );
    assert_eq!(count().await, 0);

    // API answers are never cached, found or not.
    for path in [
        "/api/v1/me",
        "/api/v1/tickets/424242",
        "/api/v1/no-such-route",
    ] {
        let res = app
            .client
            .get(app.url(path))
            .bearer_auth(&w.c1.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()[CACHE_CONTROL], "no-store", "{path}");
    }

    // A customer does not choose the priority or channel (which pick the service level).
    for (body, want) in [
        (
            json!({"subject": "Down", "body": "All down", "priority": "urgent"}),
            403,
        ),
        (
            json!({"subject": "Down", "body": "All down", "channel": "phone"}),
            403,
        ),
        (
            json!({"subject": "Down", "body": "All down", "priority": "whenever"}),
            422,
        ),
        (
            json!({"subject": "Down", "body": "All down", "priority": "normal", "channel": "portal"}),
            201,
        ),
    ] {
        let (st, v) = app.post("/api/v1/tickets", &w.c1.token, body.clone()).await;
        assert_eq!(st.as_u16(), want, "{body} → {v}");
    }
    assert_eq!(count().await, 1, "only the allowed one opened");
    let (st, t) = app
        .post(
            "/api/v1/tickets",
            &w.agent_a.token,
            json!({"subject": "Down", "body": "All down", "priority": "urgent", "channel": "phone",
                   "requester_email": w.c1.email}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "staff set them: {t}");
    assert_eq!(
        (t["priority"].as_str(), t["channel"].as_str()),
        (Some("urgent"), Some("phone"))
    );

    // Bidirectional controls cannot disguise an attachment's name.
    let id = w.ticket_by(&w.c1, "Invoice").await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/tickets/{id}/attachments")))
        .query(&[("file_name", "invoice_\u{202E}fdp.exe")])
        .bearer_auth(&w.c1.token)
        .header("content-type", "application/octet-stream")
        .body("MZ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["file_name"], "invoice_fdp.exe");

    // The OpenAPI document says where its paths live.
    let (_, doc) = app.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc["servers"][0]["url"], "/api/v1", "{}", doc["servers"]);
    assert!(doc["paths"]["/tickets"].is_object());
}

#[tokio::test]
async fn an_agent_keeps_the_ticket_they_opened_wherever_routing_puts_it() {
    let w = World::new().await;
    let app = &w.app;
    let other = w.ticket_by(&w.c1, "Already open").await;
    // Agent B (team B) takes a call from c1; the ticket goes to the default team, A.
    let res = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(&w.agent_b.token)
        .header("idempotency-key", "call-1")
        .json(&json!({"subject": "Phoned in", "body": "The printer jams.", "requester_email": w.c1.email}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["team"]["id"], w.team_a, "{t}");
    let id = t["id"].as_i64().unwrap();
    let (st, _) = app
        .get(&format!("/api/v1/tickets/{id}"), &w.agent_b.token)
        .await;
    assert_eq!(st, StatusCode::OK, "the creator keeps what they created");
    let (_, events) = app
        .get(&format!("/api/v1/tickets/{id}/events"), &w.agent_b.token)
        .await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "collaborator_invited" && e["data"]["agent_id"] == w.agent_b.id),
        "on the record: {events}"
    );
    // A retry with the same key answers the same ticket, and opens no second one.
    let res = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(&w.agent_b.token)
        .header("idempotency-key", "call-1")
        .json(&json!({"subject": "Phoned in", "body": "The printer jams.", "requester_email": w.c1.email}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.json::<Value>().await.unwrap()["id"], id);
    // It widens nothing else: the customer's other ticket stays out of reach.
    let (st, _) = app
        .get(&format!("/api/v1/tickets/{other}"), &w.agent_b.token)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}
