//! Mail fetched over IMAP, end to end: a real dovecot on a loopback port (started by the
//! test in a temporary folder), a mailbox configured through the API, heard's pollers
//! running as `heard serve` runs them, and what became of each message read back through
//! the API and from the IMAP server itself.

mod common;

use common::World;
use common::dovecot::{self, Dovecot};
use heard_mail::imap_client::TlsTrust;
use heard_services::Services;
use heard_services::imap_intake::ImapPolling;
use serde_json::{Value, json};
use std::time::Duration;

const SUPPORT: &str = "support@desk.test";

fn mail(headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = String::new();
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body.replace('\n', "\r\n"));
    out.into_bytes()
}

fn customer_mail(from: &str, subject: &str, id: &str, body: &str) -> Vec<u8> {
    mail(
        &[
            ("From", from),
            ("To", SUPPORT),
            ("Subject", subject),
            ("Message-ID", id),
        ],
        body,
    )
}

fn plain(server: &Dovecot) -> Value {
    json!({"host": "127.0.0.1", "port": server.port, "security": "none",
        "username": dovecot::USER, "password": dovecot::PASSWORD})
}

/// Runs the pollers as `heard serve` does (polling every second) as the process `owner`;
/// aborting the task stops them all, as a process that dies would.
fn start_polling(services: &Services, trust: TlsTrust, owner: &str) -> tokio::task::JoinHandle<()> {
    tokio::spawn(services.clone().imap_loop(ImapPolling {
        every: Duration::from_secs(1),
        trust,
        owner: owner.into(),
    }))
}

fn public_trust() -> TlsTrust {
    TlsTrust::new(None).unwrap()
}

async fn add_mailbox(w: &World, imap: Value) -> i64 {
    let (st, v) = w
        .app
        .post(
            "/api/v1/mailboxes",
            &w.admin.token,
            json!({"address": SUPPORT, "team_id": w.team_b, "imap": imap}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    v["id"].as_i64().unwrap()
}

async fn mailbox(w: &World, id: i64) -> Value {
    let (st, v) = w
        .app
        .get(&format!("/api/v1/mailboxes/{id}"), &w.admin.token)
        .await;
    assert_eq!(st, 200, "{v}");
    v
}

async fn tickets(w: &World) -> Vec<Value> {
    let (_, v) = w
        .app
        .get("/api/v1/tickets?limit=200", &w.supervisor.token)
        .await;
    v["items"].as_array().unwrap().clone()
}

async fn with_subject(w: &World, subject: &str) -> Vec<Value> {
    tickets(w)
        .await
        .into_iter()
        .filter(|t| t["subject"] == subject)
        .collect()
}

/// Waits (at most 60 s, looking every 200 ms) until the condition holds.
macro_rules! eventually {
    ($what:expr, $check:expr) => {{
        let mut held = false;
        for _ in 0..300 {
            if $check {
                held = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(held, "timed out waiting until {}", $what);
    }};
}

#[tokio::test]
async fn fetched_mail_becomes_tickets_and_replies_and_is_marked_seen_after_commit() {
    let server = Dovecot::start();
    let w = World::new().await;
    // Mail already read in the mailbox is history: the first poll leaves it alone.
    server
        .append(
            "INBOX",
            &customer_mail(
                "c2@private.test",
                "Old news",
                "<old@private.test>",
                "Read long ago.",
            ),
        )
        .await;
    let mut s = server.session().await;
    s.select("INBOX").await.unwrap();
    let _: Vec<_> =
        futures_util::TryStreamExt::try_collect(s.uid_store("1", "+FLAGS (\\Seen)").await.unwrap())
            .await
            .unwrap();
    s.logout().await.unwrap();
    let id = add_mailbox(&w, plain(&server)).await;
    let view = mailbox(&w, id).await;
    assert_eq!(view["imap"]["password"], "set", "{view}");
    assert_eq!(view["imap"]["state"], "waiting", "{view}");
    assert_eq!(view["imap"]["folder"], "INBOX", "{view}");
    assert!(!view.to_string().contains(dovecot::PASSWORD), "{view}");

    server
        .append(
            "INBOX",
            &customer_mail(
                "c1@private.test",
                "VPN drops every hour",
                "<vpn-1@private.test>",
                "The VPN disconnects every hour since Monday.",
            ),
        )
        .await;
    // An empty mail is kept aside, and still counts as handled on the server.
    server
        .append(
            "INBOX",
            &customer_mail("c1@private.test", "(empty)", "<empty@private.test>", ""),
        )
        .await;
    let poller = start_polling(&w.app.services, public_trust(), "one");
    eventually!(
        "both new messages are flagged seen",
        server.seen("INBOX").await == (3, 3)
    );
    let opened = with_subject(&w, "VPN drops every hour").await;
    assert_eq!(opened.len(), 1, "{opened:?}");
    let ticket_id = opened[0]["id"].as_i64().unwrap();
    let (_, t) = w
        .app
        .get(&format!("/api/v1/tickets/{ticket_id}"), &w.supervisor.token)
        .await;
    assert_eq!(t["team"]["id"], w.team_b, "the mailbox's team: {t}");
    assert_eq!(t["channel"], "email", "{t}");
    assert!(with_subject(&w, "Old news").await.is_empty());
    let (_, q) = w.app.get("/api/v1/mail/quarantine", &w.admin.token).await;
    assert_eq!(q["items"][0]["reason"], "empty", "{q}");

    // The customer answers in the thread: a reply on the same ticket.
    server
        .append(
            "INBOX",
            &mail(
                &[
                    ("From", "c1@private.test"),
                    ("To", SUPPORT),
                    ("Subject", "Re: VPN drops every hour"),
                    ("Message-ID", "<vpn-2@private.test>"),
                    ("In-Reply-To", "<vpn-1@private.test>"),
                ],
                "It happened again at 10:00.",
            ),
        )
        .await;
    eventually!(
        "the answer is flagged seen",
        server.seen("INBOX").await == (4, 4)
    );
    let (_, t) = w
        .app
        .get(&format!("/api/v1/tickets/{ticket_id}"), &w.supervisor.token)
        .await;
    let bodies = t["messages"].to_string();
    assert!(bodies.contains("happened again at 10:00"), "{t}");
    assert_eq!(with_subject(&w, "VPN drops every hour").await.len(), 1);

    // A message taken in before (a process committed it, then died before flagging it):
    // found again, it is a duplicate that is only flagged.
    let again = customer_mail(
        "c2@private.test",
        "Printer jams",
        "<jam@private.test>",
        "The printer jams on every page.",
    );
    w.app
        .services
        .ingest_mail(&again, &[SUPPORT.into()])
        .await
        .unwrap();
    server.append("INBOX", &again).await;
    eventually!(
        "the duplicate is flagged seen",
        server.seen("INBOX").await == (5, 5)
    );
    assert_eq!(with_subject(&w, "Printer jams").await.len(), 1);

    // Later polls take nothing again.
    let before = tickets(&w).await.len();
    let polled = mailbox(&w, id).await["imap"]["last_success_at"].clone();
    eventually!(
        "another poll went through",
        mailbox(&w, id).await["imap"]["last_success_at"] != polled
    );
    assert_eq!(tickets(&w).await.len(), before);
    let view = mailbox(&w, id).await;
    assert_eq!(view["imap"]["state"], "ok", "{view}");
    assert_eq!(view["imap"]["last_uid"], 5, "{view}");
    assert!(view["imap"]["uid_validity"].as_i64().is_some(), "{view}");
    poller.abort();
}

/// Installs a database trigger that fails any ticket whose subject is `subject` (a real
/// failure inside intake's transaction, on either backend); `false` removes it.
async fn fail_tickets_titled(database_url: &str, subject: &str, on: bool) {
    use sqlx::Connection;
    if database_url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(database_url).await.unwrap();
        let sql = if on {
            vec![
                format!(
                    "CREATE FUNCTION imap_test_fail() RETURNS trigger AS $$ BEGIN IF NEW.subject = '{subject}' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                ),
                "CREATE TRIGGER imap_test_fail BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION imap_test_fail()".to_string(),
            ]
        } else {
            vec![
                "DROP TRIGGER imap_test_fail ON tickets".to_string(),
                "DROP FUNCTION imap_test_fail()".to_string(),
            ]
        };
        for q in sql {
            sqlx::query(&q).execute(&mut c).await.unwrap();
        }
    } else {
        let mut c = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        let q = if on {
            format!(
                "CREATE TRIGGER imap_test_fail BEFORE INSERT ON tickets WHEN NEW.subject = '{subject}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            )
        } else {
            "DROP TRIGGER imap_test_fail".to_string()
        };
        sqlx::query(&q).execute(&mut c).await.unwrap();
    }
}

#[tokio::test]
async fn a_message_whose_intake_fails_stays_unmarked_and_is_taken_in_on_a_later_poll() {
    let server = Dovecot::start();
    let w = World::new().await;
    let id = add_mailbox(&w, plain(&server)).await;
    fail_tickets_titled(&w.app.database_url, "Disk full", true).await;
    server
        .append(
            "INBOX",
            &customer_mail(
                "c1@private.test",
                "Disk full",
                "<disk@private.test>",
                "The disk is full.",
            ),
        )
        .await;
    server
        .append(
            "INBOX",
            &customer_mail(
                "c2@private.test",
                "Mouse broken",
                "<mouse@private.test>",
                "My mouse is broken.",
            ),
        )
        .await;
    let poller = start_polling(&w.app.services, public_trust(), "one");
    eventually!(
        "the failure shows on the mailbox",
        mailbox(&w, id).await["imap"]["state"] == "failing"
    );
    let view = mailbox(&w, id).await;
    let error = view["imap"]["last_error"].as_str().unwrap();
    assert!(
        error.contains("UID 1") && error.contains("injected failure"),
        "{view}"
    );
    // Nothing is flagged: not the failed one, nor the one behind it (order is kept).
    assert_eq!(server.seen("INBOX").await, (0, 2));
    assert!(with_subject(&w, "Disk full").await.is_empty());
    assert_eq!(view["imap"]["last_uid"], 0, "{view}");

    // The database recovers: the next attempt takes both in, once.
    fail_tickets_titled(&w.app.database_url, "Disk full", false).await;
    eventually!(
        "both are flagged seen",
        server.seen("INBOX").await == (2, 2)
    );
    assert_eq!(with_subject(&w, "Disk full").await.len(), 1);
    assert_eq!(with_subject(&w, "Mouse broken").await.len(), 1);
    eventually!(
        "the mailbox is ok again",
        mailbox(&w, id).await["imap"]["state"] == "ok"
    );
    poller.abort();
}

#[tokio::test]
async fn stopping_the_poller_mid_way_loses_nothing_and_duplicates_nothing() {
    let server = Dovecot::start();
    let clock = heard_services::Clock::fixed(1_800_000_000_000);
    let w = World::with_clock(clock.clone()).await;
    add_mailbox(&w, plain(&server)).await;
    for i in 0..20 {
        server
            .append(
                "INBOX",
                &customer_mail(
                    "s1@sharing.test",
                    &format!("Batch question {i}"),
                    &format!("<batch-{i}@sharing.test>"),
                    &format!("Question number {i} about the batch job."),
                ),
            )
            .await;
    }
    // Stopped as a dying process stops: wherever it is, between fetch, commit and flag.
    let poller = start_polling(&w.app.services, public_trust(), "one");
    eventually!("some are taken in", server.seen("INBOX").await.0 >= 3);
    poller.abort();
    // Another process takes over once the dead one's lease and claims have lapsed.
    clock.advance_ms(5 * 60 * 1000);
    let poller = start_polling(&w.app.services, public_trust(), "after the crash");
    eventually!(
        "all are flagged seen",
        server.seen("INBOX").await == (20, 20)
    );
    for i in 0..20 {
        assert_eq!(
            with_subject(&w, &format!("Batch question {i}")).await.len(),
            1,
            "question {i}"
        );
    }
    poller.abort();
}

#[tokio::test]
async fn moving_after_import_empties_the_folder_into_the_named_one() {
    let server = Dovecot::start();
    let w = World::new().await;
    let mut imap = plain(&server);
    imap["after_import"] = json!("move");
    imap["move_to"] = json!("Imported");
    let id = add_mailbox(&w, imap).await;
    assert_eq!(mailbox(&w, id).await["imap"]["move_to"], "Imported");
    server
        .append(
            "INBOX",
            &customer_mail(
                "c1@private.test",
                "Screen flickers",
                "<flicker@private.test>",
                "My screen flickers.",
            ),
        )
        .await;
    let poller = start_polling(&w.app.services, public_trust(), "one");
    eventually!(
        "the message is moved",
        server.messages("INBOX").await.is_empty() && server.messages("Imported").await.len() == 1
    );
    assert_eq!(with_subject(&w, "Screen flickers").await.len(), 1);
    poller.abort();
}

#[tokio::test]
async fn a_wrong_password_shows_on_the_mailbox_until_it_is_fixed() {
    let server = Dovecot::start();
    let w = World::new().await;
    let mut imap = plain(&server);
    imap["password"] = json!("not-the-password");
    let id = add_mailbox(&w, imap).await;
    server
        .append(
            "INBOX",
            &customer_mail(
                "c1@private.test",
                "Keyboard",
                "<kbd@private.test>",
                "Keys stick.",
            ),
        )
        .await;
    let poller = start_polling(&w.app.services, public_trust(), "one");
    eventually!(
        "the login failure shows",
        mailbox(&w, id).await["imap"]["state"] == "failing"
    );
    let view = mailbox(&w, id).await;
    let error = view["imap"]["last_error"].as_str().unwrap();
    assert!(error.contains("refused the login of desk"), "{view}");
    assert!(!error.contains("not-the-password"), "{view}");
    assert!(view["imap"]["last_error_at"].is_string(), "{view}");
    assert_eq!(server.seen("INBOX").await, (0, 1));
    // The admin fixes it; the poller picks the change up without a restart.
    let mut fixed = plain(&server);
    fixed["password"] = json!(dovecot::PASSWORD);
    let (st, v) = w
        .app
        .call(
            "PUT",
            &format!("/api/v1/mailboxes/{id}"),
            Some(&w.admin.token),
            Some(json!({"address": SUPPORT, "team_id": w.team_b, "imap": fixed})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    eventually!(
        "the message is taken in",
        server.seen("INBOX").await == (1, 1)
    );
    assert_eq!(with_subject(&w, "Keyboard").await.len(), 1);
    poller.abort();
}

#[tokio::test]
async fn tls_and_starttls_with_a_private_ca() {
    let server = Dovecot::start_with_tls();
    let w = World::new().await;
    let ca = server.ca_pem.clone().unwrap();
    let id = add_mailbox(
        &w,
        json!({"host": "127.0.0.1", "port": server.tls_port.unwrap(), "security": "tls",
            "username": dovecot::USER, "password": dovecot::PASSWORD}),
    )
    .await;
    // Without the CA, the certificate is not trusted and nothing is fetched.
    server
        .append(
            "INBOX",
            &customer_mail(
                "c1@private.test",
                "Over TLS",
                "<tls@private.test>",
                "Sent over TLS.",
            ),
        )
        .await;
    let poller = start_polling(&w.app.services, public_trust(), "one");
    eventually!(
        "the untrusted certificate shows",
        mailbox(&w, id).await["imap"]["state"] == "failing"
    );
    let view = mailbox(&w, id).await;
    assert!(
        view["imap"]["last_error"].as_str().unwrap().contains("TLS"),
        "{view}"
    );
    assert_eq!(server.seen("INBOX").await, (0, 1));
    poller.abort();
    // Trusting the private CA (what --imap-ca-file does), it goes through.
    let poller = start_polling(&w.app.services, TlsTrust::new(Some(&ca)).unwrap(), "one");
    eventually!(
        "the message is taken in over TLS",
        server.seen("INBOX").await == (1, 1)
    );
    assert_eq!(with_subject(&w, "Over TLS").await.len(), 1);
    // The same server over STARTTLS on its plain port.
    let (st, v) = w
        .app
        .call(
            "PUT",
            &format!("/api/v1/mailboxes/{id}"),
            Some(&w.admin.token),
            Some(json!({"address": SUPPORT, "team_id": w.team_b,
                "imap": {"host": "127.0.0.1", "port": server.port, "security": "starttls",
                    "username": dovecot::USER}})),
        )
        .await;
    assert_eq!(
        st, 200,
        "the stored password stays for the same host and user: {v}"
    );
    server
        .append(
            "INBOX",
            &customer_mail(
                "c2@private.test",
                "Over STARTTLS",
                "<starttls@private.test>",
                "Sent after STARTTLS.",
            ),
        )
        .await;
    eventually!(
        "the message is taken in over STARTTLS",
        server.seen("INBOX").await == (2, 2)
    );
    assert_eq!(with_subject(&w, "Over STARTTLS").await.len(), 1);
    poller.abort();
}

#[tokio::test]
async fn two_processes_on_one_database_take_each_message_in_once() {
    let server = Dovecot::start();
    let w = World::new().await;
    let id = add_mailbox(&w, plain(&server)).await;
    // A second process's services over the same database.
    let other = Services::new(
        heard_store::Store::open_url(&w.app.database_url)
            .await
            .unwrap(),
    );
    for i in 0..10 {
        server
            .append(
                "INBOX",
                &customer_mail(
                    "s2@sharing.test",
                    &format!("Shared question {i}"),
                    &format!("<shared-{i}@sharing.test>"),
                    &format!("Shared question number {i}."),
                ),
            )
            .await;
    }
    let first = start_polling(&w.app.services, public_trust(), "one");
    let second = start_polling(&other, public_trust(), "two");
    eventually!(
        "all are flagged seen",
        server.seen("INBOX").await == (10, 10)
    );
    for i in 0..10 {
        assert_eq!(
            with_subject(&w, &format!("Shared question {i}"))
                .await
                .len(),
            1
        );
    }
    // One of them holds the mailbox; when it stops, the other takes over after the lease
    // lapses (not waited for here), and meanwhile nothing is taken twice.
    assert_eq!(mailbox(&w, id).await["imap"]["last_uid"], 10);
    first.abort();
    second.abort();
}

#[tokio::test]
async fn a_new_uidvalidity_rescans_the_folder_without_taking_anything_twice() {
    let server = Dovecot::start();
    let w = World::new().await;
    let id = add_mailbox(&w, plain(&server)).await;
    for i in 0..3 {
        server
            .append(
                "INBOX",
                &customer_mail(
                    "c1@private.test",
                    &format!("Renumbered {i}"),
                    &format!("<renumbered-{i}@private.test>"),
                    "Before the server renumbered its folder.",
                ),
            )
            .await;
    }
    let poller = start_polling(&w.app.services, public_trust(), "one");
    eventually!("all are flagged seen", server.seen("INBOX").await == (3, 3));
    poller.abort();
    let before = mailbox(&w, id).await["imap"]["uid_validity"].clone();
    // A message that was taken in, but whose flag never reached the server.
    let unflagged = customer_mail(
        "c1@private.test",
        "Committed, not flagged",
        "<unflagged@private.test>",
        "Taken in just before a crash.",
    );
    w.app
        .services
        .ingest_mail(&unflagged, &[SUPPORT.into()])
        .await
        .unwrap();
    server.append("INBOX", &unflagged).await;
    // The server renumbers the folder (a restore or migration): a new UIDVALIDITY.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    server.renumber("INBOX");
    let poller = start_polling(&w.app.services, public_trust(), "one");
    eventually!(
        "the rescan flags the unflagged one",
        server.seen("INBOX").await == (4, 4)
    );
    let after = mailbox(&w, id).await["imap"]["uid_validity"].clone();
    assert_ne!(before, after, "dovecot gave the folder a new UIDVALIDITY");
    for i in 0..3 {
        assert_eq!(with_subject(&w, &format!("Renumbered {i}")).await.len(), 1);
    }
    assert_eq!(with_subject(&w, "Committed, not flagged").await.len(), 1);
    // New mail after the renumbering is taken in as usual.
    server
        .append(
            "INBOX",
            &customer_mail(
                "c1@private.test",
                "After renumbering",
                "<after@private.test>",
                "New mail.",
            ),
        )
        .await;
    eventually!(
        "the new one is taken in",
        server.seen("INBOX").await == (5, 5)
    );
    assert_eq!(with_subject(&w, "After renumbering").await.len(), 1);
    poller.abort();
}

#[tokio::test]
async fn imap_settings_are_checked_field_by_field_and_the_password_never_comes_back() {
    let w = World::new().await;
    let app = &w.app;
    let (admin, team_b) = (&w.admin.token, w.team_b);
    let good =
        json!({"host": "imap.example.com", "username": "billing", "password": "s3cret-pass"});
    let refused = |field: &str, change: Value| {
        let mut imap = good.clone();
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                imap.as_object_mut().unwrap().remove(k);
            } else {
                imap[k] = v.clone();
            }
        }
        let field = field.to_string();
        async move {
            let (st, v) = app
                .post(
                    "/api/v1/mailboxes",
                    admin,
                    json!({"address": "billing@desk.test", "team_id": team_b, "imap": imap}),
                )
                .await;
            assert_eq!(
                (
                    st.as_u16(),
                    v["error"]["code"].as_str(),
                    v["error"]["field"].as_str()
                ),
                (422, Some("invalid_imap_settings"), Some(field.as_str())),
                "{v}"
            );
        }
    };
    refused("imap.security", json!({"security": "none"})).await;
    refused("imap.security", json!({"security": "ssl"})).await;
    refused("imap.host", json!({"host": ""})).await;
    refused("imap.port", json!({"port": 0})).await;
    refused("imap.username", json!({"username": null})).await;
    refused("imap.password", json!({"password": null})).await;
    refused("imap.move_to", json!({"after_import": "move"})).await;
    refused("imap.after_import", json!({"after_import": "delete"})).await;
    refused("imap.folder", json!({"folder": "Posteingang/ü"})).await;
    let (st, v) = app
        .post(
            "/api/v1/mailboxes",
            &w.admin.token,
            json!({"address": "billing@desk.test", "team_id": w.team_b, "imap": good,
                "imap_url": "imaps://a:b@c.example/INBOX"}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["field"].as_str()),
        (422, Some("imap_url")),
        "{v}"
    );

    let (st, created) = app
        .post(
            "/api/v1/mailboxes",
            &w.admin.token,
            json!({"address": "billing@desk.test", "team_id": w.team_b, "imap": good}),
        )
        .await;
    assert_eq!(st, 201, "{created}");
    assert_eq!(created["imap"]["port"], 993);
    assert_eq!(created["imap"]["security"], "tls");
    assert_eq!(created["imap"]["after_import"], "seen");
    assert_eq!(created["imap"]["password"], "set");
    assert_eq!(
        created["imap_url"],
        "imaps://billing@imap.example.com/INBOX"
    );
    assert!(!created.to_string().contains("s3cret"), "{created}");
    let id = created["id"].as_i64().unwrap();
    let put = |imap: Value| async move {
        app.call(
            "PUT",
            &format!("/api/v1/mailboxes/{id}"),
            Some(admin),
            Some(json!({"address": "billing@desk.test", "team_id": team_b, "imap": imap})),
        )
        .await
    };
    // Another server needs the password again: a kept one never goes elsewhere.
    let (st, v) = put(json!({"host": "imap.elsewhere.example", "username": "billing"})).await;
    assert_eq!(
        (st.as_u16(), v["error"]["field"].as_str()),
        (422, Some("imap.password")),
        "{v}"
    );
    let (st, v) =
        put(json!({"host": "imap.example.com", "username": "billing", "folder": "Support"})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["imap"]["folder"], "Support");
    let stored = app.store.mailbox_imap(id).await.unwrap().unwrap();
    assert_eq!(stored.password, "s3cret-pass");
    let (_, list) = app.get("/api/v1/mailboxes", &w.admin.token).await;
    assert!(!list.to_string().contains("s3cret"), "{list}");
    // null stops fetching.
    let (st, v) = put(Value::Null).await;
    assert_eq!(st, 200, "{v}");
    assert!(v["imap"].is_null() && v["imap_url"].is_null(), "{v}");
    assert!(app.store.mailbox_imap(id).await.unwrap().is_none());
}

#[tokio::test]
async fn heard_serve_fetches_a_mailbox_over_imap() {
    let server = Dovecot::start();
    let w = World::new().await;
    add_mailbox(&w, plain(&server)).await;
    server
        .append(
            "INBOX",
            &customer_mail(
                "c2@private.test",
                "Through the binary",
                "<binary@private.test>",
                "Fetched by heard serve.",
            ),
        )
        .await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_heard"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--imap-poll-interval",
            "1",
        ])
        .env("HEARD_DATABASE_URL", &w.app.database_url)
        .env("HEARD_DATA_DIR", w.app.data_dir.path())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    eventually!(
        "heard serve takes the message in",
        server.seen("INBOX").await == (1, 1)
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(with_subject(&w, "Through the binary").await.len(), 1);
}
