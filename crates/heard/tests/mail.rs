//! Outgoing mail and one-time sign-in links, end to end: the real server sends through a
//! real SMTP server on loopback; the test reads the delivered message, follows its link
//! and checks that it works once, expires, is rate-limited, answers alike for unknown
//! addresses, and waits in the outbox while the SMTP server is away.

mod common;

use common::smtp::{Received, SmtpServer, free_port};
use common::{TestApp, World};
use heard_services::Clock;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

const MONDAY_9: i64 = 1_795_420_800_000; // 2026-11-23T09:00:00Z

async fn world_with_mail(clock: Clock, smtp_url: &str) -> World {
    let mailer = heard_mail::Mailer::new(smtp_url, "Help Desk <help@desk.test>").unwrap();
    let app = TestApp::spawn_configured(clock, |s, base| s.with_mail(mailer, base)).await;
    World::on(app).await
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The pre-session form cookie and token a page hands out.
async fn form_token(client: &reqwest::Client, url: &str) -> (String, String, String) {
    let res = client.get(url).send().await.unwrap();
    let cookie = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("heard_form="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("a form cookie");
    let body = res.text().await.unwrap();
    let token = body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a form token")
        .to_string();
    (cookie, token, body)
}

/// Asks for a sign-in link from the sign-in page, as a browser would.
async fn ask_for_link(app: &TestApp, email: &str) -> (StatusCode, String) {
    let client = no_redirects();
    let (cookie, token, _) = form_token(&client, &app.url("/signin")).await;
    let res = client
        .post(app.url("/signin/link"))
        .header(COOKIE, cookie)
        .form(&[("csrf", token.as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    let status = res.status();
    // The form token differs per visit; everything else must not.
    let body = res.text().await.unwrap().replace(&token, "TOKEN");
    (status, body)
}

/// The sign-in link in a delivered message, read the way a mail program reads it.
fn link_in(mail: &Received) -> String {
    let parsed = mail_parser::MessageParser::default()
        .parse(&mail.data)
        .expect("a parsable message");
    let text = parsed.body_text(0).expect("a text part").to_string();
    let html = parsed.body_html(0).expect("an HTML part").to_string();
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/signin/link/"))
        .expect("a link in the text")
        .to_string();
    assert!(
        html.contains(&format!("href=\"{link}\"")),
        "the HTML part links to the same address: {html}"
    );
    link
}

/// Follows a link: the page, then its "Sign in now" button. Returns the POST's answer.
async fn follow(link: &str) -> (StatusCode, Option<String>, Option<String>) {
    let client = no_redirects();
    let (cookie, token, page) = form_token(&client, link).await;
    assert!(page.contains("Sign in now"), "{page}");
    let res = client
        .post(link)
        .header(COOKIE, cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let session = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("heard_session="))
        .map(|c| c.split(';').next().unwrap().to_string());
    let to = res
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_string());
    (status, session, to)
}

#[tokio::test]
async fn a_sign_in_link_signs_a_customer_in_once() {
    let smtp = SmtpServer::start();
    let w = world_with_mail(Clock::System, &smtp.url()).await;
    tokio::spawn(
        w.app
            .services
            .clone()
            .mail_loop(std::time::Duration::from_millis(200)),
    );

    let (_, _, page) = form_token(&no_redirects(), &w.app.url("/signin")).await;
    assert!(
        page.contains("E-mail me a sign-in link"),
        "the page offers links"
    );

    let (status, body) = ask_for_link(&w.app, "C1@private.test").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Check your e-mail"), "{body}");

    let mail = &smtp.wait_for(1).await[0];
    assert_eq!(mail.to, vec!["c1@private.test".to_string()]);
    assert!(mail.from.contains("help@desk.test"), "{}", mail.from);
    let raw = String::from_utf8_lossy(&mail.data);
    assert!(raw.contains("Subject: Your sign-in link"), "{raw}");
    let link = link_in(mail);
    assert!(link.starts_with(&w.app.base), "{link}");

    // Opening the page does not use the link up (mail scanners open links too).
    assert_eq!(status_of(&link).await, StatusCode::OK);
    assert_eq!(status_of(&link).await, StatusCode::OK);

    let (status, session, to) = follow(&link).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to.as_deref(), Some("/"));
    let session = session.expect("a session cookie");
    let home = no_redirects()
        .get(w.app.url("/"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await.unwrap().contains("My requests"));

    // Once only: the page and the button both say the link is spent.
    assert_eq!(status_of(&link).await, StatusCode::GONE);
    let client = no_redirects();
    let (cookie, token, _) = form_token(&client, &w.app.url("/signin")).await;
    let again = client
        .post(&link)
        .header(COOKIE, cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(again.headers().get(SET_COOKIE).is_none());

    // A made-up token is refused alike.
    let made_up = format!("{}/signin/link/hl_{}", w.app.base, "0".repeat(64));
    assert_eq!(status_of(&made_up).await, StatusCode::GONE);

    // The link's button is a form like any other: without its token nothing happens.
    let forged = no_redirects()
        .post(&link)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

async fn status_of(url: &str) -> StatusCode {
    no_redirects().get(url).send().await.unwrap().status()
}

#[tokio::test]
async fn unknown_addresses_and_staff_get_the_same_answer_and_no_mail() {
    let smtp = SmtpServer::start();
    let w = world_with_mail(Clock::System, &smtp.url()).await;
    let (s1, known) = ask_for_link(&w.app, "c2@private.test").await;
    let (s2, unknown) = ask_for_link(&w.app, "nobody@nowhere.test").await;
    let (s3, staff) = ask_for_link(&w.app, "agent.a@desk.test").await;
    assert_eq!(
        (s1, s2, s3),
        (StatusCode::OK, StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(known, unknown, "the answer tells nothing about the address");
    assert_eq!(known, staff);
    w.app.services.run_mail_outbox().await.unwrap();
    let got = smtp.wait_for(1).await;
    assert_eq!(got.len(), 1, "only the customer's address gets a link");
    assert_eq!(got[0].to, vec!["c2@private.test".to_string()]);
    let queued = w.app.services.recent_mail(10).await.unwrap();
    assert_eq!(queued.len(), 1, "nothing was queued for the others");

    // A malformed address is refused next to the field (that says nothing about accounts).
    let (status, body) = ask_for_link(&w.app, "not an address").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"link-email-error\""), "{body}");
    assert!(body.contains("aria-invalid=\"true\""), "{body}");
}

#[tokio::test]
async fn links_expire_and_each_address_gets_only_a_few() {
    let smtp = SmtpServer::start();
    let clock = Clock::fixed(MONDAY_9);
    let w = world_with_mail(clock.clone(), &smtp.url()).await;
    for _ in 0..4 {
        let (status, _) = ask_for_link(&w.app, "s1@sharing.test").await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(
        w.app.services.run_mail_outbox().await.unwrap(),
        3,
        "the fourth request within a quarter of an hour sends nothing"
    );
    let mails = smtp.wait_for(3).await;
    let first = link_in(&mails[0]);

    // Sixteen minutes later: the links are dead, and the address may ask again.
    clock.advance_ms(16 * 60 * 1000);
    assert_eq!(follow_spent(&first, &w.app).await, StatusCode::GONE);
    let (status, _) = ask_for_link(&w.app, "s1@sharing.test").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(w.app.services.run_mail_outbox().await.unwrap(), 1);
    let fresh = link_in(&smtp.wait_for(4).await[3]);
    let (status, session, _) = follow(&fresh).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(session.is_some());
}

/// Posts a spent link's button (from a page opened before it expired).
async fn follow_spent(link: &str, app: &TestApp) -> StatusCode {
    let page = no_redirects().get(link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.unwrap().contains("no longer works"));
    let client = no_redirects();
    let (cookie, token, _) = form_token(&client, &app.url("/signin")).await;
    let res = client
        .post(link)
        .header(COOKIE, cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert!(res.headers().get(SET_COOKIE).is_none());
    res.status()
}

#[tokio::test]
async fn mail_waits_in_the_outbox_until_the_smtp_server_answers() {
    let port = free_port();
    let clock = Clock::fixed(MONDAY_9);
    let w = world_with_mail(clock.clone(), &format!("smtp://127.0.0.1:{port}")).await;
    let (status, _) = ask_for_link(&w.app, "c1@private.test").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "accepted although mail cannot go out yet"
    );

    assert_eq!(w.app.services.run_mail_outbox().await.unwrap(), 0);
    let m = &w.app.services.recent_mail(1).await.unwrap()[0];
    assert_eq!(m.attempts, 1);
    assert!(m.sent_at.is_none() && m.failed_at.is_none());
    assert!(m.last_error.is_some(), "the failure is recorded");
    assert_eq!(m.next_attempt_at, MONDAY_9 + 30_000, "retried after 30 s");

    // Not before its time, then as soon as the server is there.
    let smtp = SmtpServer::start_on(port);
    assert_eq!(w.app.services.run_mail_outbox().await.unwrap(), 0);
    clock.advance_ms(30_000);
    assert_eq!(w.app.services.run_mail_outbox().await.unwrap(), 1);
    assert_eq!(
        smtp.wait_for(1).await[0].to,
        vec!["c1@private.test".to_string()]
    );
    let m = &w.app.services.recent_mail(1).await.unwrap()[0];
    assert_eq!((m.attempts, m.sent_at), (2, Some(MONDAY_9 + 30_000)));
    // Sent is sent: another sweep sends nothing again.
    clock.advance_ms(60 * 60 * 1000);
    assert_eq!(w.app.services.run_mail_outbox().await.unwrap(), 0);
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test]
async fn two_processes_sweeping_send_each_mail_once() {
    let smtp = SmtpServer::start();
    let w = world_with_mail(Clock::System, &smtp.url()).await;
    for email in [
        "c1@private.test",
        "c2@private.test",
        "s1@sharing.test",
        "s2@sharing.test",
    ] {
        assert_eq!(ask_for_link(&w.app, email).await.0, StatusCode::OK);
    }
    // A second process over the same database, with its own mailer.
    let other = heard_services::Services::new(w.app.store.clone()).with_mail(
        heard_mail::Mailer::new(&smtp.url(), "Help Desk <help@desk.test>").unwrap(),
        &w.app.base,
    );
    let (a, b) = tokio::join!(w.app.services.run_mail_outbox(), other.run_mail_outbox());
    assert_eq!(a.unwrap() + b.unwrap(), 4);
    let got = smtp.wait_for(4).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(smtp.received().len(), 4, "no mail twice: {got:?}");
}

#[tokio::test]
async fn without_mail_there_is_no_link_to_ask_for() {
    let w = World::new().await;
    let client = no_redirects();
    let (cookie, token, page) = form_token(&client, &w.app.url("/signin")).await;
    assert!(!page.contains("sign-in link"), "{page}");
    let res = client
        .post(w.app.url("/signin/link"))
        .header(COOKIE, cookie)
        .form(&[("csrf", token.as_str()), ("email", "c1@private.test")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
