//! Mail in, end to end: heard's own SMTP listener on a loopback port, fed by a real SMTP
//! client (lettre), over a fresh database; then what the help desk made of each mail,
//! read through the API as staff see it.

mod common;

use common::smtp::SmtpServer;
use common::{TestApp, World};
use heard_mail::smtp_server::{SmtpLimits, serve_smtp};
use heard_services::mail_intake::Ingested;
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::Value;

const DESK: &str = "help@desk.test";

/// The small world with outgoing mail on (to a capturing server) and heard's SMTP
/// listener on a random port; returns the world, the listener's port and the capture.
async fn desk_with_smtp(max_bytes: usize) -> (World, u16, SmtpServer) {
    let capture = SmtpServer::start();
    let mailer = heard_mail::Mailer::new(&capture.url(), &format!("Help Desk <{DESK}>")).unwrap();
    let app = TestApp::spawn_configured(heard_services::Clock::System, |s, base| {
        s.with_mail(mailer, base)
    })
    .await;
    let w = World::on(app).await;
    tokio::spawn(
        w.app
            .services
            .clone()
            .mail_loop(std::time::Duration::from_millis(100)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(serve_smtp(
        listener,
        w.app.services.clone(),
        SmtpLimits {
            max_bytes,
            ..Default::default()
        },
    ));
    (w, port, capture)
}

/// Sends raw bytes over SMTP with lettre, as a mail server relaying to heard would.
async fn send(port: u16, from: &str, to: &str, raw: &[u8]) -> Result<String, String> {
    let client = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .build();
    let envelope = Envelope::new(Some(from.parse().unwrap()), vec![to.parse().unwrap()]).unwrap();
    client
        .send_raw(&envelope, raw)
        .await
        .map(|r| r.message().collect::<Vec<_>>().join(" "))
        .map_err(|e| e.to_string())
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

async fn tickets(w: &World) -> Vec<Value> {
    let (_, v) = w
        .app
        .get("/api/v1/tickets?limit=200", &w.supervisor.token)
        .await;
    v["items"].as_array().unwrap().clone()
}

async fn ticket(w: &World, id: i64) -> Value {
    w.app
        .get(&format!("/api/v1/tickets/{id}"), &w.supervisor.token)
        .await
        .1
}

#[tokio::test]
async fn a_mail_opens_one_ticket_however_often_it_is_delivered_and_the_answer_lands_on_it() {
    let (w, port, _capture) = desk_with_smtp(1 << 20).await;
    let first = mail(
        &[
            ("From", "Dana Field <dana@example.org>"),
            ("To", DESK),
            ("Cc", "Sam <sam@example.org>"),
            ("Subject", "VPN drops every hour"),
            ("Message-ID", "<first@example.org>"),
        ],
        "My VPN drops every hour since Monday.\n\n-- \nDana Field\nExample Org\n",
    );
    let answer = send(port, "dana@example.org", DESK, &first).await;
    assert!(answer.is_ok(), "{answer:?}");
    // The same mail again (a relay retrying after a lost connection): still one ticket.
    send(port, "dana@example.org", DESK, &first).await.unwrap();
    let all = tickets(&w).await;
    assert_eq!(all.len(), 1, "{all:?}");
    let t = &all[0];
    assert_eq!(t["channel"], "email");
    assert_eq!(t["subject"], "VPN drops every hour");
    let id = t["id"].as_i64().unwrap();
    let detail = ticket(&w, id).await;
    assert_eq!(
        detail["messages"][0]["body_text"], "My VPN drops every hour since Monday.",
        "the signature is folded away: {detail}"
    );
    assert_eq!(detail["requester"]["email"], "dana@example.org");

    // Dana answers in the thread: it lands on the same ticket.
    let reply = mail(
        &[
            ("From", "dana@example.org"),
            ("To", DESK),
            ("Subject", "Re: VPN drops every hour"),
            ("Message-ID", "<second@example.org>"),
            ("In-Reply-To", "<first@example.org>"),
            ("References", "<first@example.org>"),
        ],
        "It dropped again at 10:00.\n\nOn Monday, Dana wrote:\n> My VPN drops every hour\n",
    );
    send(port, "dana@example.org", DESK, &reply).await.unwrap();
    assert_eq!(tickets(&w).await.len(), 1);
    let detail = ticket(&w, id).await;
    let messages = detail["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{detail}");
    assert_eq!(messages[1]["body_text"], "It dropped again at 10:00.");
    assert_eq!(messages[1]["channel"], "email");

    // Sam was copied, so Sam may write into it too (by the subject's ticket number).
    let sam = mail(
        &[
            ("From", "sam@example.org"),
            ("To", DESK),
            ("Subject", &format!("Re: [#{id}] VPN drops every hour")),
            ("Message-ID", "<third@example.org>"),
        ],
        "Same here on my laptop.",
    );
    send(port, "sam@example.org", DESK, &sam).await.unwrap();
    let all = tickets(&w).await;
    // Sam's account cannot see Dana's ticket: kept aside for an agent, not leaked.
    assert_eq!(all.len(), 1, "{all:?}");
    let kept = w.app.store.quarantined(None, 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].reason.as_str(), kept[0].sender.as_deref()),
        ("copied_sender_cannot_see_ticket", Some("sam@example.org"))
    );
    assert_eq!(
        ticket(&w, id).await["messages"].as_array().unwrap().len(),
        2
    );
}

#[tokio::test]
async fn the_listener_refuses_unknown_recipients_and_oversized_mail() {
    let (w, port, _capture) = desk_with_smtp(4096).await;
    let small = mail(
        &[
            ("From", "dana@example.org"),
            ("Subject", "Hello"),
            ("Message-ID", "<a@x>"),
        ],
        "Hello",
    );
    let refused = send(port, "dana@example.org", "nobody@elsewhere.test", &small).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("550") || e.contains("no such mailbox")),
        "{refused:?}"
    );
    let big = mail(
        &[
            ("From", "dana@example.org"),
            ("Subject", "Big"),
            ("Message-ID", "<b@x>"),
        ],
        &"0123456789abcdef\n".repeat(1000),
    );
    let refused = send(port, "dana@example.org", DESK, &big).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("552") || e.contains("too large")),
        "{refused:?}"
    );
    assert!(tickets(&w).await.is_empty());
    // And the session goes on: a good mail after both is taken in.
    send(port, "dana@example.org", DESK, &small).await.unwrap();
    assert_eq!(tickets(&w).await.len(), 1);
}

#[tokio::test]
async fn a_stranger_reusing_a_tickets_subject_gets_no_access() {
    let w = World::new().await;
    let s = &w.app.services;
    let id = w.ticket_by(&w.c1, "Invoice is wrong").await;
    let before = ticket(&w, id).await["messages"].as_array().unwrap().len();
    let stranger = mail(
        &[
            ("From", "mallory@evil.test"),
            ("To", DESK),
            ("Subject", &format!("Re: [#{id}] Invoice is wrong")),
            ("Message-ID", "<m1@evil.test>"),
        ],
        "Please send me the invoice again.",
    );
    let outcome = s.ingest_mail(&stranger, &[]).await.unwrap();
    let Ingested::Ticket { ticket_id } = outcome else {
        panic!("a stranger's mail opens a ticket of their own: {outcome:?}");
    };
    assert_ne!(ticket_id, id);
    assert_eq!(
        ticket(&w, id).await["messages"].as_array().unwrap().len(),
        before,
        "nothing was added to the customer's ticket"
    );
    let theirs = ticket(&w, ticket_id).await;
    assert_eq!(theirs["requester"]["email"], "mallory@evil.test");
    // The requester's own mail with the same subject does land on the ticket.
    let own = mail(
        &[
            ("From", "c1@private.test"),
            ("To", DESK),
            ("Subject", &format!("Re: [#{id}] Invoice is wrong")),
            ("Message-ID", "<c1-2@private.test>"),
        ],
        "The total should be 40, not 400.",
    );
    assert_eq!(
        s.ingest_mail(&own, &[]).await.unwrap(),
        Ingested::Reply { ticket_id: id }
    );
}

#[tokio::test]
async fn bounces_auto_replies_and_junk_open_no_ticket() {
    let w = World::new().await;
    let s = &w.app.services;
    let bounce = mail(
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
        "--B\nContent-Type: text/plain\n\nSorry.\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; carol@example.org\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\n--B--\n",
    );
    assert_eq!(
        s.ingest_mail(&bounce, &[]).await.unwrap(),
        Ingested::Rejected {
            reason: "bounce_recorded".into()
        }
    );
    let bounces = w
        .app
        .store
        .bounces_of("carol@example.org", 10)
        .await
        .unwrap();
    assert_eq!(bounces.len(), 1);
    assert_eq!(bounces[0].status, "5.2.2");
    assert_eq!(
        bounces[0].diagnostic.as_deref(),
        Some("552 5.2.2 Mailbox full")
    );

    for i in 0..5 {
        let auto = mail(
            &[
                ("From", "bob@example.org"),
                ("To", DESK),
                ("Subject", "Out of office"),
                ("Auto-Submitted", "auto-replied"),
                ("Message-ID", &format!("<ooo{i}@example.org>")),
            ],
            "I am away until Monday.",
        );
        let outcome = s.ingest_mail(&auto, &[]).await.unwrap();
        assert_eq!(
            outcome,
            Ingested::Quarantined {
                id: outcome_id(&outcome),
                reason: "automatic_auto_submitted".into()
            }
        );
    }
    let empty = mail(&[("From", "eve@example.org"), ("Subject", "x")], "  \n");
    assert!(matches!(
        s.ingest_mail(&empty, &[]).await.unwrap(),
        Ingested::Quarantined { reason, .. } if reason == "empty"
    ));
    // Bytes with no header at all, and bytes whose "header" names nobody: both kept.
    for (raw, why) in [
        (&b""[..], "unparseable"),
        (&b"\x00\x01\x02 not a mail at all"[..], "no_sender"),
    ] {
        let outcome = s.ingest_mail(raw, &[]).await.unwrap();
        assert!(
            matches!(&outcome, Ingested::Quarantined { reason, .. } if reason == why),
            "{outcome:?}"
        );
    }
    assert!(tickets(&w).await.is_empty());
    // Nothing was sent back to any of them.
    assert!(s.recent_mail(10).await.unwrap().is_empty());
}

fn outcome_id(o: &Ingested) -> i64 {
    match o {
        Ingested::Quarantined { id, .. } => *id,
        _ => -1,
    }
}

#[tokio::test]
async fn an_answer_by_mail_reopens_a_resolved_ticket() {
    let w = World::new().await;
    let s = &w.app.services;
    let first = mail(
        &[
            ("From", "c2@private.test"),
            ("To", DESK),
            ("Subject", "Printer offline"),
            ("Message-ID", "<p1@private.test>"),
        ],
        "The printer on floor 2 is offline.",
    );
    let Ingested::Ticket { ticket_id } = s.ingest_mail(&first, &[]).await.unwrap() else {
        panic!("a ticket");
    };
    let (st, _) = w
        .app
        .patch(
            &format!("/api/v1/tickets/{ticket_id}"),
            &w.supervisor.token,
            serde_json::json!({"status": "resolved"}),
        )
        .await;
    assert!(st.is_success(), "{st}");
    let again = mail(
        &[
            ("From", "c2@private.test"),
            ("To", DESK),
            ("Subject", "Re: Printer offline"),
            ("Message-ID", "<p2@private.test>"),
            ("References", "<p1@private.test>"),
        ],
        "It is offline again.",
    );
    assert_eq!(
        s.ingest_mail(&again, &[]).await.unwrap(),
        Ingested::Reply { ticket_id }
    );
    assert_eq!(ticket(&w, ticket_id).await["status"], "open");
}

#[tokio::test]
async fn admins_manage_mailboxes_and_never_see_a_password_again() {
    let w = World::new().await;
    let app = &w.app;
    let body = serde_json::json!({"address": "Billing@Desk.test", "team_id": w.team_b,
        "imap_url": "imaps://billing:s3cret-pass@mail.desk.test/INBOX"});
    let (st, v) = app
        .post("/api/v1/mailboxes", &w.agent_a.token, body.clone())
        .await;
    assert_eq!(st, 403, "{v}");
    let (st, created) = app
        .post("/api/v1/mailboxes", &w.admin.token, body.clone())
        .await;
    assert_eq!(st, 201, "{created}");
    assert_eq!(created["address"], "billing@desk.test");
    assert_eq!(created["imap_url"], "imaps://billing@mail.desk.test/INBOX");
    assert!(!created.to_string().contains("s3cret"), "{created}");
    let (st, v) = app.post("/api/v1/mailboxes", &w.admin.token, body).await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (409, Some("already_exists")),
        "{v}"
    );
    let (st, v) = app
        .post(
            "/api/v1/mailboxes",
            &w.admin.token,
            serde_json::json!({"address": "not an address", "team_id": w.team_b}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["field"].as_str()),
        (422, Some("address")),
        "{v}"
    );
    let (st, v) = app
        .post("/api/v1/mailboxes", &w.admin.token, serde_json::json!({"address": "it@desk.test", "team_id": w.team_b, "imap_url": "ftp://x"}))
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (422, Some("invalid_imap_url")),
        "{v}"
    );
    let id = created["id"].as_i64().unwrap();
    // Changing the team without naming the URL keeps the stored one (and its password).
    let (st, v) = app
        .call(
            "PUT",
            &format!("/api/v1/mailboxes/{id}"),
            Some(&w.admin.token),
            Some(serde_json::json!({"address": "billing@desk.test", "team_id": w.team_a})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["imap_url"], "imaps://billing@mail.desk.test/INBOX");
    let stored = app.store.mailbox_imap(id).await.unwrap().unwrap();
    assert_eq!(
        (stored.host.as_str(), stored.password.as_str()),
        ("mail.desk.test", "s3cret-pass")
    );
    // Mail to the mailbox goes to its team.
    let to_billing = mail(
        &[
            ("From", "c1@private.test"),
            ("To", "billing@desk.test"),
            ("Subject", "Charged twice"),
            ("Message-ID", "<bill@private.test>"),
        ],
        "I was charged twice this month.",
    );
    let Ingested::Ticket { ticket_id } = app.services.ingest_mail(&to_billing, &[]).await.unwrap()
    else {
        panic!("a ticket")
    };
    assert_eq!(ticket(&w, ticket_id).await["team"]["id"], w.team_a);
    let (st, list) = app.get("/api/v1/mailboxes", &w.admin.token).await;
    assert_eq!((st.as_u16(), list.as_array().unwrap().len()), (200, 1));
    assert!(!list.to_string().contains("s3cret"));
    let (st, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/mailboxes/{id}"),
            Some(&w.admin.token),
            None,
        )
        .await;
    assert_eq!(st, 204);
    let (st, _) = app
        .get(&format!("/api/v1/mailboxes/{id}"), &w.admin.token)
        .await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn quarantined_mail_is_listed_released_or_deleted() {
    let w = World::new().await;
    let app = &w.app;
    let s = &app.services;
    let spam = mail(
        &[
            ("From", "c2@private.test"),
            ("To", DESK),
            ("Subject", "Cheap pills"),
            ("X-Spam-Flag", "YES"),
            ("Message-ID", "<s1@x>"),
        ],
        "Buy now.",
    );
    let list_mail = mail(
        &[
            ("From", "news@lists.test"),
            ("To", DESK),
            ("Subject", "Weekly news"),
            ("List-Id", "<news.lists.test>"),
            ("Message-ID", "<s2@x>"),
        ],
        "This week.",
    );
    s.ingest_mail(&spam, &[]).await.unwrap();
    s.ingest_mail(&list_mail, &[]).await.unwrap();
    let (st, v) = app.get("/api/v1/mail/quarantine", &w.agent_a.token).await;
    assert_eq!(st, 403, "{v}");
    let (st, v) = app
        .get("/api/v1/mail/quarantine?limit=1", &w.admin.token)
        .await;
    assert_eq!(st, 200, "{v}");
    let newest = &v["items"][0];
    assert_eq!(newest["reason"], "automatic_list");
    let (_, rest) = app
        .get(
            &format!("/api/v1/mail/quarantine?limit=1&after={}", v["next_after"]),
            &w.admin.token,
        )
        .await;
    let spam_entry = &rest["items"][0];
    assert_eq!(
        (spam_entry["reason"].as_str(), spam_entry["sender"].as_str()),
        (Some("spam"), Some("c2@private.test"))
    );
    // An admin decides the "spam" was real: it becomes c2's ticket.
    let (st, released) = app
        .post(
            &format!("/api/v1/mail/quarantine/{}/release", spam_entry["id"]),
            &w.admin.token,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(st, 201, "{released}");
    let t = ticket(&w, released["ticket_id"].as_i64().unwrap()).await;
    assert_eq!(
        (t["requester"]["email"].as_str(), t["subject"].as_str()),
        (Some("c2@private.test"), Some("Cheap pills"))
    );
    let (st, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/mail/quarantine/{}", newest["id"]),
            Some(&w.admin.token),
            None,
        )
        .await;
    assert_eq!(st, 204);
    let (_, v) = app.get("/api/v1/mail/quarantine", &w.admin.token).await;
    assert!(v["items"].as_array().unwrap().is_empty(), "{v}");
    let (st, _) = app
        .post(
            &format!("/api/v1/mail/quarantine/{}/release", newest["id"]),
            &w.admin.token,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn staff_read_a_messages_headers_and_original_under_the_tickets_rules() {
    let w = World::new().await;
    let app = &w.app;
    let raw = mail(
        &[
            ("From", "c1@private.test"),
            ("To", DESK),
            ("Subject", "Laptop fan"),
            ("Message-ID", "<fan@private.test>"),
            ("X-Mailer", "Test Mail 1.0"),
        ],
        "The fan is loud.\n\nOn Monday you wrote:\n> anything else?\n",
    );
    let Ingested::Ticket { ticket_id } = app.services.ingest_mail(&raw, &[]).await.unwrap() else {
        panic!("a ticket")
    };
    let message_id = ticket(&w, ticket_id).await["messages"][0]["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/tickets/{ticket_id}/messages/{message_id}/mail");
    let (st, v) = app.get(&path, &w.agent_a.token).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["message_id"], "fan@private.test");
    assert!(
        v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "X-Mailer" && h[1] == "Test Mail 1.0"),
        "{v}"
    );
    assert!(
        v["folded"].as_str().unwrap().contains("> anything else?"),
        "{v}"
    );
    let res = app
        .client
        .get(app.url(&format!("{path}/original")))
        .bearer_auth(&w.agent_a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "message/rfc822");
    assert_eq!(res.bytes().await.unwrap().to_vec(), raw);
    // The customer, and an agent of another team, get what a stranger gets.
    for token in [&w.c1.token, &w.agent_b.token, &w.c2.token] {
        let (st, v) = app.get(&path, token).await;
        assert_eq!(st, 404, "{v}");
        let (st, _) = app.get(&format!("{path}/original"), token).await;
        assert_eq!(st, 404);
    }
    let (st, _) = app
        .get(
            &format!(
                "/api/v1/tickets/{ticket_id}/messages/{}/mail",
                message_id + 1000
            ),
            &w.agent_a.token,
        )
        .await;
    assert_eq!(st, 404);
}

/// A delivered mail's header, as a mail program reads it.
fn header(m: &common::smtp::Received, name: &str) -> Option<String> {
    let parsed = mail_parser::MessageParser::default()
        .parse(&m.data)
        .unwrap();
    parsed
        .headers_raw()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

fn to_of(m: &common::smtp::Received) -> String {
    m.to.join(",")
}

#[tokio::test]
async fn an_agents_reply_goes_out_threaded_and_the_answer_comes_back() {
    let (w, port, capture) = desk_with_smtp(1 << 20).await;
    let first = mail(
        &[
            ("From", "dana@example.org"),
            ("To", DESK),
            ("Subject", "Cannot print"),
            ("Message-ID", "<t1@example.org>"),
        ],
        "Printing fails with error 0x1F.",
    );
    send(port, "dana@example.org", DESK, &first).await.unwrap();
    let id = tickets(&w).await[0]["id"].as_i64().unwrap();
    // The acknowledgement: automatic, threaded, with the ticket's reply address.
    let ack = capture.wait_for(1).await[0].clone();
    assert_eq!(to_of(&ack), "dana@example.org");
    assert_eq!(
        header(&ack, "Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    assert_eq!(
        header(&ack, "In-Reply-To").as_deref(),
        Some("<t1@example.org>")
    );
    let reply_to = header(&ack, "Reply-To").unwrap();
    assert!(
        reply_to.starts_with("help+") && reply_to.ends_with("@desk.test"),
        "{reply_to}"
    );

    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &w.supervisor.token,
            serde_json::json!({"body": "Sorry about that. Please update the driver; I will check back at 15:00."}),
        )
        .await;
    assert!(st.is_success(), "{v}");
    let reply = capture.wait_for(2).await[1].clone();
    assert_eq!(to_of(&reply), "dana@example.org");
    assert_eq!(header(&reply, "Auto-Submitted"), None, "a person wrote it");
    assert_eq!(
        header(&reply, "In-Reply-To").as_deref(),
        Some("<t1@example.org>")
    );
    let refs = header(&reply, "References").unwrap();
    assert!(refs.starts_with("<t1@example.org>"), "{refs}");
    assert_eq!(
        header(&reply, "Subject").unwrap(),
        format!("Re: [#{id}] Cannot print")
    );
    assert_eq!(header(&reply, "Reply-To").unwrap(), reply_to);
    let our_id = header(&reply, "Message-ID").unwrap();
    let text = String::from_utf8_lossy(&reply.data).to_string();
    assert!(text.contains("update the driver"), "{text}");
    assert!(text.contains("text/html"), "{text}");

    // Dana answers that mail from her mail program: threaded by In-Reply-To alone.
    let answer = mail(
        &[
            ("From", "dana@example.org"),
            ("To", &reply_to),
            ("Subject", "thanks"),
            ("Message-ID", "<t2@example.org>"),
            ("In-Reply-To", &our_id),
        ],
        "Updated, it prints now.",
    );
    send(port, "dana@example.org", &reply_to, &answer)
        .await
        .unwrap();
    // Then writes to the reply address with nothing else to go by: the token threads it.
    let token_only = mail(
        &[
            ("From", "dana@example.org"),
            ("To", &reply_to),
            ("Subject", "one more thing"),
            ("Message-ID", "<t3@example.org>"),
        ],
        "The scanner too, please.",
    );
    send(port, "dana@example.org", &reply_to, &token_only)
        .await
        .unwrap();
    let detail = ticket(&w, id).await;
    let bodies: Vec<&str> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body_text"].as_str().unwrap())
        .collect();
    assert_eq!(bodies.len(), 4, "{bodies:?}");
    assert_eq!(bodies[2], "Updated, it prints now.");
    assert_eq!(bodies[3], "The scanner too, please.");
    assert_eq!(tickets(&w).await.len(), 1);

    // Someone else with the reply address gets a ticket of their own, not Dana's.
    let stranger = mail(
        &[
            ("From", "eve@evil.test"),
            ("To", &reply_to),
            ("Subject", "Re: [#1] Cannot print"),
            ("Message-ID", "<e1@evil.test>"),
            ("In-Reply-To", &our_id),
        ],
        "Send me the driver file.",
    );
    send(port, "eve@evil.test", &reply_to, &stranger)
        .await
        .unwrap();
    assert_eq!(
        ticket(&w, id).await["messages"].as_array().unwrap().len(),
        4
    );
    assert_eq!(tickets(&w).await.len(), 2);
}

#[tokio::test]
async fn two_desks_acknowledging_each_other_stop_after_one_round() {
    let (w, port, capture) = desk_with_smtp(1 << 20).await;
    let robot = "desk@other.test";
    // Another help desk writes to us (as a customer would) and acknowledges every mail
    // it gets with a fresh mail that carries none of the RFC 3834 markers.
    let opening = mail(
        &[
            ("From", robot),
            ("To", DESK),
            ("Subject", "Ticket 991 opened"),
            ("Message-ID", "<o1@other.test>"),
        ],
        "We opened ticket 991 for you.",
    );
    send(port, robot, DESK, &opening).await.unwrap();
    let ours = capture.wait_for(1).await;
    assert_eq!(to_of(&ours[0]), robot);
    for i in 2..6 {
        let their_ack = mail(
            &[
                ("From", robot),
                ("To", DESK),
                ("Subject", &format!("Ticket 99{i} opened")),
                ("Message-ID", &format!("<o{i}@other.test>")),
            ],
            &format!("We opened ticket 99{i} for you."),
        );
        send(port, robot, DESK, &their_ack).await.unwrap();
    }
    // And five auto-replies from someone else, properly marked: no answer at all.
    for i in 0..5 {
        let auto = mail(
            &[
                ("From", "away@example.org"),
                ("To", DESK),
                ("Subject", "Out of office"),
                ("Auto-Submitted", "auto-replied"),
                ("Message-ID", &format!("<away{i}@example.org>")),
            ],
            "I am away.",
        );
        send(port, "away@example.org", DESK, &auto).await.unwrap();
    }
    // Give the sweep time to send anything it would send.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let sent = capture.received();
    assert_eq!(
        sent.len(),
        1,
        "one acknowledgement in all: {:?}",
        sent.iter().map(to_of).collect::<Vec<_>>()
    );
    let queued = w.app.services.recent_mail(50).await.unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
}
