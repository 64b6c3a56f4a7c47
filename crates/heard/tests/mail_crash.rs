//! A `250` is a promise: the mail is in a ticket. A `heard serve` process killed with
//! SIGKILL while SMTP clients stream mail into its listener loses no mail it answered 250
//! for; a server started afterwards on the same database takes in the mails that got no
//! answer when the sender tries them again (as a real mail server does), and every mail
//! ends up in exactly one ticket, once.

mod common;

use common::processes::HeardProcess;
use common::smtp::SmtpServer;
use common::*;
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

const DESK: &str = "help@desk.test";

/// Starts `heard serve` with its SMTP listener on the test's database; returns the
/// process and the SMTP port.
fn serve(app: &TestApp, outgoing: &SmtpServer) -> (HeardProcess, u16) {
    let smtp_url = outgoing.url();
    let process = HeardProcess::start(
        &app.database_url,
        app.data_dir.path(),
        "127.0.0.1:0",
        &[
            ("HEARD_SMTP_LISTEN", "127.0.0.1:0"),
            ("HEARD_SMTP_URL", &smtp_url),
            ("HEARD_MAIL_FROM", DESK),
        ],
    );
    let port = process
        .printed
        .iter()
        .find_map(|line| {
            let address = line.strip_prefix("heard accepting mail on smtp://")?;
            address.trim().rsplit(':').next()?.parse().ok()
        })
        .expect("heard serve printed no SMTP listening line");
    (process, port)
}

fn raw_mail(key: &str) -> Vec<u8> {
    format!(
        "From: Customer {key} <c{key}@example.org>\r\nTo: {DESK}\r\nSubject: Crash {key}\r\n\
         Message-ID: <crash-{key}@example.org>\r\n\r\nThe export crashed again ({key}).\r\n"
    )
    .into_bytes()
}

/// Sends one mail over a fresh SMTP connection: the server's answer, or why none came.
async fn send(port: u16, key: &str) -> Result<String, String> {
    let client = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build();
    let from = format!("c{key}@example.org");
    let envelope = Envelope::new(Some(from.parse().unwrap()), vec![DESK.parse().unwrap()]).unwrap();
    client
        .send_raw(&envelope, &raw_mail(key))
        .await
        .map(|r| r.message().collect::<Vec<_>>().join(" "))
        .map_err(|e| e.to_string())
}

/// Runs SQL on the test's database, as a mail server's clock or an operator would see it.
async fn execute(database_url: &str, sql: &str) {
    use sqlx::Connection;
    if database_url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
}

/// Per crash-mail subject: how many tickets have it, and how many messages they hold.
async fn tickets_by_subject(database_url: &str) -> BTreeMap<String, (i64, i64)> {
    use sqlx::Connection;
    let sql = "SELECT t.subject, COUNT(DISTINCT t.id), COUNT(m.id) FROM tickets t
               JOIN messages m ON m.ticket_id = t.id
               WHERE t.subject LIKE 'Crash %' GROUP BY t.subject";
    let rows: Vec<(String, i64, i64)> = if database_url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
    };
    rows.into_iter().map(|(s, t, m)| (s, (t, m))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_while_mail_streams_in_keeps_every_mail_it_answered_250_for() {
    let world = World::new().await;
    let outgoing = SmtpServer::start();
    let (mut child, port) = serve(&world.app, &outgoing);
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let unanswered: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut load = Vec::new();
    for worker in 0..4 {
        let (acked, unanswered) = (acked.clone(), unanswered.clone());
        load.push(tokio::spawn(async move {
            for n in 0.. {
                let key = format!("{worker}-{n}");
                match send(port, &key).await {
                    Ok(_) => acked.lock().unwrap().push(key),
                    // The server died: this mail got no 250, so no promise; the sender
                    // keeps it and tries again later.
                    Err(_) => {
                        unanswered.lock().unwrap().push(key);
                        return;
                    }
                }
            }
        }));
    }
    while acked.lock().unwrap().len() < 60 {
        assert!(
            !load.iter().all(|w| w.is_finished()),
            "the load stopped before the kill: the listener refused a mail"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill(); // SIGKILL
    for worker in load {
        worker.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let unanswered = unanswered.lock().unwrap().clone();
    assert_eq!(unanswered.len(), 4, "each sender was cut off once");

    // A new process on the same database; the senders try the unanswered mails again.
    let (mut again, port) = serve(&world.app, &outgoing);
    let mut busy = Vec::new();
    for key in &unanswered {
        match send(port, key).await {
            Ok(_) => {}
            // The dead process had claimed it: "try again shortly" (451), never a 250
            // for mail that is not in.
            Err(e) if e.contains("451") || e.contains("4.3.0") => busy.push(key.clone()),
            Err(e) => panic!("{key}: {e}"),
        }
    }
    if !busy.is_empty() {
        // A mail server tries again minutes later, when the dead process's claim is
        // stale (CLAIM_STALE_MS); move the claims back rather than wait.
        execute(
            &world.app.database_url,
            "UPDATE mail_messages SET claimed_at = claimed_at - 600000 WHERE state = 'pending'",
        )
        .await;
        for key in &busy {
            let answer = send(port, key).await;
            assert!(
                answer.is_ok(),
                "{key} after its claim went stale: {answer:?}"
            );
        }
    }
    // A sender that lost a 250 on the way sends that mail again: still once.
    for key in acked.iter().take(5) {
        let answer = send(port, key).await.unwrap();
        assert!(answer.contains("duplicates"), "{key}: {answer}");
    }
    again.kill();

    let found = tickets_by_subject(&world.app.database_url).await;
    let expected: BTreeSet<String> = acked
        .iter()
        .chain(&unanswered)
        .map(|k| format!("Crash {k}"))
        .collect();
    let mut wrong = Vec::new();
    for subject in &expected {
        match found.get(subject) {
            Some((1, 1)) => {}
            other => wrong.push(format!("{subject}: {other:?} (tickets, messages)")),
        }
    }
    let extra: Vec<&String> = found.keys().filter(|s| !expected.contains(*s)).collect();
    assert!(
        wrong.is_empty() && extra.is_empty(),
        "of {} mails answered 250 and {} retried on {}: not exactly once {wrong:?}, never sent {extra:?}",
        acked.len(),
        unanswered.len(),
        backend()
    );
}
