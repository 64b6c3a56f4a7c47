//! The mails a customer of a ticket that came by mail gets, end to end through the outbox
//! to a capturing SMTP server on loopback: a staff reply copied to the people on the
//! ticket (never a note), resolved with the survey link, merged, a promised time and a new
//! one after a promise lapsed, each once and threaded into the customer's conversation.
//! And bounces: a hard bounce stops mail to the address and staff are told why.

mod common;

use common::pages::browser;
use common::smtp::{Received, SmtpServer};
use common::{TestApp, World};
use heard_mail::smtp_server::{SmtpLimits, serve_smtp};
use heard_services::Clock;
use heard_services::mail_intake::Ingested;
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::{Value, json};
use std::time::Duration;

const DESK: &str = "help@desk.test";

/// The small world with outgoing mail to a capturing server, the mail sweep running and
/// heard's SMTP listener on a random port.
async fn desk(clock: Clock) -> (World, u16, SmtpServer) {
    let capture = SmtpServer::start();
    let mailer = heard_mail::Mailer::new(&capture.url(), &format!("Help Desk <{DESK}>")).unwrap();
    let app = TestApp::spawn_configured(clock, |s, base| s.with_mail(mailer, base)).await;
    let w = World::on(app).await;
    tokio::spawn(w.app.services.clone().mail_loop(Duration::from_millis(50)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(serve_smtp(
        listener,
        w.app.services.clone(),
        SmtpLimits::default(),
    ));
    (w, port, capture)
}

async fn send(port: u16, from: &str, raw: &[u8]) {
    let client = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .build();
    let envelope = Envelope::new(Some(from.parse().unwrap()), vec![DESK.parse().unwrap()]).unwrap();
    client.send_raw(&envelope, raw).await.unwrap();
}

fn mail(headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = String::new();
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body.replace('\n', "\r\n"));
    out.into_bytes()
}

/// A delivered mail's header, as a mail program reads it.
fn header(m: &Received, name: &str) -> Option<String> {
    let parsed = mail_parser::MessageParser::default()
        .parse(&m.data)
        .unwrap();
    parsed
        .headers_raw()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

/// The plain-text part of a delivered mail.
fn text(m: &Received) -> String {
    let parsed = mail_parser::MessageParser::default()
        .parse(&m.data)
        .unwrap();
    parsed.body_text(0).unwrap_or_default().to_string()
}

fn html(m: &Received) -> String {
    let parsed = mail_parser::MessageParser::default()
        .parse(&m.data)
        .unwrap();
    parsed.body_html(0).unwrap_or_default().to_string()
}

/// The ticket a mail from `from` with Message-ID `id` opened.
async fn ticket_of(w: &World, subject: &str) -> i64 {
    let (_, v) = w
        .app
        .get("/api/v1/tickets?limit=100", &w.supervisor.token)
        .await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == subject)
        .unwrap_or_else(|| panic!("no ticket «{subject}»: {v}"))["id"]
        .as_i64()
        .unwrap()
}

/// Waits for the `n`-th captured mail and gives the newest `n`; then checks that nothing
/// more comes for a moment (each mail goes out once).
async fn exactly(capture: &SmtpServer, n: usize) -> Vec<Received> {
    let got = capture.wait_for(n).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let all = capture.received();
    assert_eq!(
        all.len(),
        n,
        "one mail too many: {:?}",
        all.iter()
            .map(|m| (m.to.clone(), header(m, "In-Reply-To"), text(m)))
            .collect::<Vec<_>>()
    );
    got
}

#[tokio::test]
async fn a_reply_is_copied_to_the_people_on_the_ticket_and_a_note_to_nobody() {
    let (w, port, capture) = desk(Clock::System).await;
    send(
        port,
        "dana@example.org",
        &mail(
            &[
                ("From", "Dana <dana@example.org>"),
                ("To", DESK),
                ("Cc", "Sam <sam@example.org>"),
                ("Subject", "Scanner jams"),
                ("Message-ID", "<s1@example.org>"),
            ],
            "The scanner jams on every page.",
        ),
    )
    .await;
    let id = ticket_of(&w, "Scanner jams").await;
    exactly(&capture, 1).await; // the acknowledgement
    // Dana answers, adding Pat in Cc: Pat is kept on the ticket too.
    send(
        port,
        "dana@example.org",
        &mail(
            &[
                ("From", "dana@example.org"),
                ("To", DESK),
                ("Cc", "pat@example.org"),
                ("Subject", "Re: Scanner jams"),
                ("Message-ID", "<s2@example.org>"),
                ("In-Reply-To", "<s1@example.org>"),
            ],
            "Pat sees it too.",
        ),
    )
    .await;
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &w.supervisor.token,
            json!({"body": "Dana is <b>annoyed</b>; check the rollers.", "internal": true}),
        )
        .await;
    assert!(st.is_success(), "{v}");
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &w.supervisor.token,
            json!({"body": "Please clean the rollers <gently>.", "body_html": "<p>Please clean the rollers.</p><script>x()</script>"}),
        )
        .await;
    assert!(st.is_success(), "{v}");
    let reply = exactly(&capture, 2).await[1].clone();
    let mut envelope = reply.to.clone();
    envelope.sort();
    assert_eq!(
        envelope,
        ["dana@example.org", "pat@example.org", "sam@example.org"]
    );
    assert_eq!(header(&reply, "To").as_deref(), Some("dana@example.org"));
    let cc = header(&reply, "Cc").unwrap();
    assert!(
        cc.contains("sam@example.org") && cc.contains("pat@example.org"),
        "{cc}"
    );
    assert_eq!(
        header(&reply, "In-Reply-To").as_deref(),
        Some("<s2@example.org>")
    );
    assert!(
        header(&reply, "References")
            .unwrap()
            .starts_with("<s1@example.org>")
    );
    assert!(text(&reply).contains("clean the rollers <gently>"));
    let body = html(&reply);
    assert!(!body.contains("<script"), "{body}");
    for m in capture.received() {
        let all = String::from_utf8_lossy(&m.data).to_string();
        assert!(!all.contains("annoyed"), "an internal note went out: {all}");
    }
}

#[tokio::test]
async fn resolved_merged_and_promised_each_reach_the_customer_once_in_the_thread() {
    let start = 1_796_720_400_000; // Tuesday 2026-12-08 09:00 UTC
    let clock = Clock::fixed(start);
    let (w, port, capture) = desk(clock.clone()).await;
    for (id, subject) in [
        ("<p1@example.org>", "Payroll export fails"),
        ("<p2@example.org>", "Payroll export again"),
    ] {
        send(
            port,
            "dana@example.org",
            &mail(
                &[
                    ("From", "Dana Field <dana@example.org>"),
                    ("To", DESK),
                    ("Subject", subject),
                    ("Message-ID", id),
                ],
                "The payroll export stops at 50%.",
            ),
        )
        .await;
    }
    let a = ticket_of(&w, "Payroll export fails").await;
    let b = ticket_of(&w, "Payroll export again").await;
    // One acknowledgement an hour per sender: the first mail's.
    let ack = exactly(&capture, 1).await[0].clone();
    assert_eq!(
        header(&ack, "In-Reply-To").as_deref(),
        Some("<p1@example.org>")
    );
    let reply_to_a = header(&ack, "Reply-To").unwrap();
    // A ticket that did not come by mail is never mailed about.
    let (_, web) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.c1.token,
            json!({"subject": "Via the portal", "body": "Hello"}),
        )
        .await;
    let web = web["id"].as_i64().unwrap();

    // A promise: the customer hears the time in their own words, threaded, automatic.
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{a}/promise"),
            &w.supervisor.token,
            json!({"due_at": "2026-12-08T15:00:00Z", "note": "after the <vendor> calls back"}),
        )
        .await;
    assert!(st.is_success(), "{v}");
    let promised = exactly(&capture, 2).await[1].clone();
    assert_eq!(promised.to, ["dana@example.org"]);
    assert_eq!(
        header(&promised, "Subject").unwrap(),
        format!("Re: [#{a}] Payroll export fails")
    );
    assert_eq!(
        header(&promised, "In-Reply-To").as_deref(),
        Some("<p1@example.org>")
    );
    assert!(
        header(&promised, "References")
            .unwrap()
            .contains("<p1@example.org>")
    );
    assert_eq!(
        header(&promised, "Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    assert_eq!(header(&promised, "Reply-To").unwrap(), reply_to_a);
    let said = text(&promised);
    assert!(said.contains("Hello Dana Field,"), "{said}");
    assert!(
        said.contains(&format!(
            "update you on your request #{a} by Tuesday 8 December 2026, 15:00 UTC"
        )),
        "{said}"
    );
    assert!(said.contains("after the <vendor> calls back"), "{said}");
    assert!(html(&promised).contains("after the &lt;vendor&gt; calls back"));

    // The promise lapses; a new one says sorry for the broken one.
    clock.advance_ms(7 * 60 * 60 * 1000); // 16:00
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{a}/promise"),
            &w.supervisor.token,
            json!({"due_at": "2026-12-09T10:00:00Z"}),
        )
        .await;
    assert!(st.is_success(), "{v}");
    let again = text(&exactly(&capture, 3).await[2]);
    assert!(
        again.contains("We said we would update you by Tuesday 8 December 2026, 15:00 UTC"),
        "{again}"
    );
    assert!(
        again.contains("by Wednesday 9 December 2026, 10:00 UTC"),
        "{again}"
    );

    // B merged into A: B's thread is told where the conversation continues.
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{b}/merge"),
            &w.supervisor.token,
            json!({"into_ticket_id": a}),
        )
        .await;
    assert!(st.is_success(), "{v}");
    let merged = exactly(&capture, 4).await[3].clone();
    assert_eq!(
        header(&merged, "In-Reply-To").as_deref(),
        Some("<p2@example.org>")
    );
    assert_eq!(
        header(&merged, "Reply-To").unwrap(),
        reply_to_a,
        "answers go to the ticket that continues"
    );
    let said = text(&merged);
    assert!(
        said.contains(&format!(
            "request #{b} is now handled together with your request #{a} «Payroll export fails»"
        )),
        "{said}"
    );

    // Resolved: the survey link, and nothing for the portal ticket resolved alongside.
    for id in [a, web] {
        let (st, v) = w
            .app
            .patch(
                &format!("/api/v1/tickets/{id}"),
                &w.supervisor.token,
                json!({"status": "resolved"}),
            )
            .await;
        assert!(st.is_success(), "{v}");
    }
    let resolved = exactly(&capture, 5).await[4].clone();
    assert_eq!(resolved.to, ["dana@example.org"]);
    let said = text(&resolved);
    assert!(
        said.contains(&format!("resolved your request #{a}")),
        "{said}"
    );
    let survey = format!("{}/requests/{a}#rate-h", w.app.base);
    assert!(said.contains(&survey), "{said}");
    assert!(html(&resolved).contains(&format!("<a href=\"{survey}\">")));
    let purposes: Vec<String> = w
        .app
        .services
        .recent_mail(20)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.purpose)
        .collect();
    for (purpose, n) in [
        ("acknowledgement", 1),
        ("ticket_promise", 2),
        ("ticket_merged", 1),
        ("ticket_resolved", 1),
    ] {
        assert_eq!(
            purposes.iter().filter(|p| *p == purpose).count(),
            n,
            "{purpose}: {purposes:?}"
        );
    }
}

#[tokio::test]
async fn a_hard_bounce_stops_mail_to_the_address_and_staff_see_why() {
    let (w, port, capture) = desk(Clock::System).await;
    send(
        port,
        "carol@example.org",
        &mail(
            &[
                ("From", "carol@example.org"),
                ("To", DESK),
                ("Cc", "sam@example.org"),
                ("Subject", "Invoice missing"),
                ("Message-ID", "<c1@example.org>"),
            ],
            "Where is my invoice?",
        ),
    )
    .await;
    let id = ticket_of(&w, "Invoice missing").await;
    exactly(&capture, 1).await;
    let dsn = |to: &str, status: &str, why: &str| {
        mail(
            &[
                (
                    "From",
                    "Mail Delivery System <MAILER-DAEMON@mx.example.org>",
                ),
                ("To", DESK),
                ("Subject", "Undelivered Mail Returned to Sender"),
                ("MIME-Version", "1.0"),
                (
                    "Content-Type",
                    "multipart/report; report-type=delivery-status; boundary=\"B\"",
                ),
            ],
            &format!(
                "--B\nContent-Type: text/plain\n\nSorry.\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; {to}\nAction: failed\nStatus: {status}\nDiagnostic-Code: smtp; {why}\n--B--\n"
            ),
        )
    };
    let s = &w.app.services;
    for raw in [
        dsn("carol@example.org", "5.1.1", "550 5.1.1 User unknown"),
        dsn("sam@example.org", "4.2.2", "452 4.2.2 Mailbox full"),
    ] {
        assert!(matches!(
            s.ingest_mail(&raw, &[]).await.unwrap(),
            Ingested::Rejected { .. }
        ));
    }

    // Staff see the failures; customers may not.
    let (st, v) = w
        .app
        .get(
            &format!("/api/v1/tickets/{id}/mail/delivery"),
            &w.supervisor.token,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let by = |a: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|d| d["address"] == a)
            .cloned()
            .unwrap()
    };
    assert_eq!(by("carol@example.org")["stopped"], true, "{v}");
    assert_eq!(
        by("carol@example.org")["diagnostic"],
        "550 5.1.1 User unknown"
    );
    assert_eq!(by("sam@example.org")["stopped"], false, "{v}");
    let (st, v) = w
        .app
        .get("/api/v1/mail/bounces?limit=1", &w.agent_a.token)
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["items"][0]["address"], "sam@example.org");
    assert_eq!(v["items"][0]["permanent"], false);
    let after = v["next_after"].as_i64().unwrap();
    let (_, v) = w
        .app
        .get(
            &format!("/api/v1/mail/bounces?after={after}"),
            &w.agent_a.token,
        )
        .await;
    assert_eq!(v["items"][0]["address"], "carol@example.org");
    assert_eq!(v["items"][0]["permanent"], true);
    assert_eq!(v["next_after"], Value::Null);
    let (_, v) = w
        .app
        .get(
            "/api/v1/mail/bounces?address=Carol@Example.org",
            &w.agent_a.token,
        )
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");
    let (st, _) = w.app.get("/api/v1/mail/bounces", &w.c1.token).await;
    assert_eq!(st, 403);
    let (st, _) = w
        .app
        .get(&format!("/api/v1/tickets/{id}/mail/delivery"), &w.c1.token)
        .await;
    assert!(st == 403 || st == 404, "{st}");
    let agent = browser(&w.app, &w.supervisor).await;
    let (st, page) = agent.page(&format!("/agent/tickets/{id}")).await;
    assert_eq!(st, 200);
    assert!(
        page.contains("Mail to <strong>carol@example.org</strong> bounced on"),
        "{page}"
    );
    assert!(page.contains("550 5.1.1 User unknown"), "{page}");
    assert!(page.contains("not mailed any more"), "{page}");

    // A reply goes to Sam only (a temporary failure does not stop mail).
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &w.supervisor.token,
            json!({"body": "The invoice is attached to your account."}),
        )
        .await;
    assert!(st.is_success(), "{v}");
    let reply = exactly(&capture, 2).await[1].clone();
    assert_eq!(reply.to, ["sam@example.org"]);

    // Carol writes again: her address works, and she is mailed again.
    send(
        port,
        "carol@example.org",
        &mail(
            &[
                ("From", "carol@example.org"),
                ("To", DESK),
                ("Subject", "Re: Invoice missing"),
                ("Message-ID", "<c2@example.org>"),
                ("In-Reply-To", "<c1@example.org>"),
            ],
            "Found it, thanks.",
        ),
    )
    .await;
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &w.supervisor.token,
            json!({"body": "Glad it is there."}),
        )
        .await;
    assert!(st.is_success(), "{v}");
    let reply = exactly(&capture, 3).await[2].clone();
    let mut to = reply.to.clone();
    to.sort();
    assert_eq!(to, ["carol@example.org", "sam@example.org"]);
}
