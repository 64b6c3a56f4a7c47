//! The admin's e-mail page (`/admin/mail`): mailboxes added and changed through its
//! form with refusals beside the field, how IMAP fetching goes in plain words (never the
//! password), and the quarantine's mail let through into a ticket or deleted.

mod common;

use common::World;
use common::pages::browser;
use heard_mail::imap_client::TlsTrust;
use heard_services::imap_intake::ImapPolling;
use reqwest::StatusCode;
use std::time::Duration;

const DESK: &str = "help@desk.test";

fn mail(headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = String::new();
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body.replace('\n', "\r\n"));
    out.into_bytes()
}

#[tokio::test]
async fn an_admin_adds_a_mailbox_through_the_form_and_a_bad_address_is_refused_beside_it() {
    let w = World::new().await;
    let admin = browser(&w.app, &w.admin).await;
    let (status, page) = admin.page("/admin/mail").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Add a mailbox"), "{page}");
    assert!(page.contains("href=\"/admin/mail\" aria-current=\"page\""));

    let team = w.team_b.to_string();
    let (status, _, page) = admin
        .form(
            "/admin/mail/mailboxes",
            &[("address", "not an address"), ("team_id", &team)],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"new-mailbox-address-error\""), "{page}");
    assert!(page.contains("value=\"not an address\""), "{page}");
    let (_, v) = w.app.get("/api/v1/mailboxes", &w.admin.token).await;
    assert_eq!(v.as_array().unwrap().len(), 0, "{v}");

    // A bad IMAP port is refused beside the port.
    let (status, _, page) = admin
        .form(
            "/admin/mail/mailboxes",
            &[
                ("address", "billing@desk.test"),
                ("team_id", &team),
                ("imap_host", "imap.example.com"),
                ("imap_port", "70000"),
                ("imap_username", "billing"),
                ("imap_password", "pw"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("id=\"new-mailbox-imap_port-error\""),
        "{page}"
    );

    let (status, to, _) = admin
        .form(
            "/admin/mail/mailboxes",
            &[("address", "Billing@Desk.test"), ("team_id", &team)],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/admin/mail?done=mailbox_added")
    );
    let (_, page) = admin.page("/admin/mail?done=mailbox_added").await;
    assert!(page.contains("The mailbox was added."), "{page}");
    assert!(
        page.contains("<h3 class=\"address\">billing@desk.test</h3>"),
        "{page}"
    );
    assert!(page.contains("Not fetched over IMAP"), "{page}");
    let (_, v) = w.app.get("/api/v1/mailboxes", &w.admin.token).await;
    assert_eq!(v[0]["address"], "billing@desk.test", "{v}");
    assert_eq!(v[0]["team_id"], w.team_b, "{v}");
}

#[tokio::test]
async fn the_page_shows_a_failing_imap_mailbox_without_its_password_and_edits_keep_it() {
    let w = World::new().await;
    let admin = browser(&w.app, &w.admin).await;
    // A port on this machine nobody listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port().to_string()
    };
    let password = "hunter2-very-secret";
    let team = w.team_a.to_string();
    let (status, to, body) = admin
        .form(
            "/admin/mail/mailboxes",
            &[
                ("address", "support@desk.test"),
                ("team_id", &team),
                ("imap_host", "127.0.0.1"),
                ("imap_security", "none"),
                ("imap_port", &closed),
                ("imap_username", "support"),
                ("imap_password", password),
                ("imap_folder", "INBOX"),
                ("imap_after_import", "seen"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(to, "/admin/mail?done=mailbox_added");
    let (_, page) = admin.page("/admin/mail").await;
    assert!(
        page.contains("Fetching from 127.0.0.1 as support: not checked yet."),
        "{page}"
    );

    let poller = tokio::spawn(w.app.services.clone().imap_loop(ImapPolling::new(
        Duration::from_millis(200),
        TlsTrust::new(None).unwrap(),
    )));
    let mut page = String::new();
    for _ in 0..150 {
        page = admin.page("/admin/mail").await.1;
        if page.contains("Failing: fetching from 127.0.0.1 as support failed at") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    poller.abort();
    assert!(
        page.contains("Failing: fetching from 127.0.0.1 as support failed at"),
        "{page}"
    );
    assert!(page.contains("it has not gone through yet"), "{page}");
    assert!(!page.contains(password), "{page}");

    // Saved again with the password left empty: the stored one stays.
    let (_, v) = w.app.get("/api/v1/mailboxes", &w.admin.token).await;
    let id = v[0]["id"].as_i64().unwrap();
    let (status, to, body) = admin
        .form(
            &format!("/admin/mail/mailboxes/{id}"),
            &[
                ("action", "save"),
                ("address", "support@desk.test"),
                ("team_id", &team),
                ("imap_host", "127.0.0.1"),
                ("imap_security", "none"),
                ("imap_port", &closed),
                ("imap_username", "support"),
                ("imap_password", ""),
                ("imap_folder", "Support"),
                ("imap_after_import", "seen"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(to, "/admin/mail?done=mailbox_saved");
    let row = w.app.store.mailbox_imap(id).await.unwrap().unwrap();
    assert_eq!(
        (row.password.as_str(), row.folder.as_str()),
        (password, "Support")
    );

    // A refused change comes back on that mailbox's form, beside the field.
    let (status, _, page) = admin
        .form(
            &format!("/admin/mail/mailboxes/{id}"),
            &[
                ("action", "save"),
                ("address", "support@desk.test"),
                ("team_id", &team),
                ("imap_host", "imap.example.com"),
                ("imap_security", "none"),
                ("imap_username", "support"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(&format!("id=\"mailbox-{id}-imap_security-error\"")),
        "{page}"
    );
}

#[tokio::test]
async fn quarantined_mail_is_listed_and_released_into_a_ticket_or_deleted_through_the_page() {
    let w = World::new().await;
    let s = &w.app.services;
    let spam = mail(
        &[
            ("From", "c2@private.test"),
            ("To", DESK),
            ("Subject", "Printer on fire"),
            ("X-Spam-Flag", "YES"),
            ("Message-ID", "<q1@private.test>"),
        ],
        "The printer is on fire, truly.",
    );
    let list = mail(
        &[
            ("From", "news@lists.test"),
            ("To", DESK),
            ("Subject", "Weekly news"),
            ("List-Id", "<news.lists.test>"),
            ("Message-ID", "<q2@lists.test>"),
        ],
        "This week.",
    );
    let nobody = mail(
        &[
            ("To", DESK),
            ("Subject", "From nowhere"),
            ("Message-ID", "<q4@nowhere.test>"),
        ],
        "Who sent this?",
    );
    s.ingest_mail(&spam, &[]).await.unwrap();
    s.ingest_mail(&list, &[]).await.unwrap();
    s.ingest_mail(&nobody, &[]).await.unwrap();
    let (_, v) = w.app.get("/api/v1/mail/quarantine", &w.admin.token).await;
    let id_of = |subject: &str| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["subject"] == subject)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (spam_id, list_id, nobody_id) = (
        id_of("Printer on fire"),
        id_of("Weekly news"),
        id_of("From nowhere"),
    );

    let admin = browser(&w.app, &w.admin).await;
    let (_, page) = admin.page("/admin/mail").await;
    assert!(page.contains("Printer on fire"), "{page}");
    assert!(page.contains("c2@private.test"), "{page}");
    assert!(page.contains("Marked as spam"), "{page}");
    assert!(page.contains("Sent by a machine"), "{page}");

    let (status, _, page) = admin
        .form(
            &format!("/admin/mail/quarantine/{spam_id}"),
            &[("action", "release")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ticket_id: i64 = page
        .split("it is on ticket #")
        .nth(1)
        .and_then(|r| r.split('.').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ticket named: {page}"));
    assert!(!page.contains("Printer on fire"), "{page}");
    let (st, t) = w
        .app
        .get(&format!("/api/v1/tickets/{ticket_id}"), &w.supervisor.token)
        .await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["subject"], "Printer on fire", "{t}");

    // A mail with no sender cannot become a ticket: the reason shows beside it.
    let (status, _, page) = admin
        .form(
            &format!("/admin/mail/quarantine/{nobody_id}"),
            &[("action", "release")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("names no sender to answer"), "{page}");
    let (status, _, _) = admin
        .form(
            &format!("/admin/mail/quarantine/{nobody_id}"),
            &[("action", "delete")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (status, to, _) = admin
        .form(
            &format!("/admin/mail/quarantine/{list_id}"),
            &[("action", "delete")],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/admin/mail?done=mail_deleted")
    );
    let (_, v) = w.app.get("/api/v1/mail/quarantine", &w.admin.token).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 0, "{v}");
    let (_, page) = admin.page("/admin/mail").await;
    assert!(page.contains("No mail is kept aside."), "{page}");
}

#[tokio::test]
async fn only_admins_see_and_use_the_mail_page() {
    let w = World::new().await;
    let spam = mail(
        &[
            ("From", "c2@private.test"),
            ("To", DESK),
            ("Subject", "Held"),
            ("X-Spam-Flag", "YES"),
            ("Message-ID", "<q3@private.test>"),
        ],
        "Held mail.",
    );
    w.app.services.ingest_mail(&spam, &[]).await.unwrap();
    let (_, v) = w.app.get("/api/v1/mail/quarantine", &w.admin.token).await;
    let held = v["items"][0]["id"].as_i64().unwrap();
    for who in [&w.agent_a, &w.supervisor, &w.c1] {
        let b = browser(&w.app, who).await;
        let (status, _) = b.page("/admin/mail").await;
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{status}"
        );
        let team = w.team_a.to_string();
        let (status, _, _) = b
            .form(
                "/admin/mail/mailboxes",
                &[("address", "x@desk.test"), ("team_id", &team)],
            )
            .await;
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{status}"
        );
        let (status, _, _) = b
            .form(
                &format!("/admin/mail/quarantine/{held}"),
                &[("action", "release")],
            )
            .await;
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{status}"
        );
    }
    let (_, v) = w.app.get("/api/v1/mail/quarantine", &w.admin.token).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");
    let (_, v) = w.app.get("/api/v1/mailboxes", &w.admin.token).await;
    assert_eq!(v.as_array().unwrap().len(), 0, "{v}");
}
