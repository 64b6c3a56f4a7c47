//! Several `heard serve` processes on one PostgreSQL database behind HAProxy, as
//! docs/scaling.md deploys them. A write load goes through the balancer while one process
//! is killed with SIGKILL and started again; afterwards every acknowledged write is there,
//! a session made on one process works on all, each acknowledged mail and webhook went
//! out exactly once, and each process's own search index has caught up.
//!
//! PostgreSQL only (an SQLite file belongs to one process); HAProxy must be installed
//! (`apt-get install haproxy`): without it the test fails rather than passing unseen.

mod common;

use axum::extract::State;
use axum::http::HeaderMap;
use common::pages::{Browser, browser_at};
use common::processes::HeardProcess;
use common::smtp::{SmtpServer, free_port};
use common::*;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PROCESSES: usize = 3;
/// Acknowledged tickets before the kill, while one process is down, and after it is back.
const PER_PHASE: usize = 120;
/// Long enough for a mail or delivery claimed by the killed process to be taken over
/// (the mail claim is 2 minutes, the delivery lease under a minute).
const DELIVERY_WAIT: Duration = Duration::from_secs(180);

/// HAProxy as the test's own process, with a config the test writes; killed on drop.
struct Haproxy {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Haproxy {
    fn start(backends: &[u16]) -> Haproxy {
        let binary = ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy"]
            .into_iter()
            .find(|p| Path::new(p).is_file())
            .unwrap_or_else(|| {
                panic!("HAProxy is not installed (apt-get install haproxy); the balanced deployment cannot be tested")
            });
        let port = free_port();
        let servers: String = backends
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!("    server heard{i} 127.0.0.1:{p} check inter 200ms fall 1 rise 2\n")
            })
            .collect();
        // The configuration docs/scaling.md shows, on loopback ports.
        let config = format!(
            "global\n    maxconn 512\n\n\
             defaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n    \
             retries 3\n    option redispatch\n\n\
             frontend desk\n    bind 127.0.0.1:{port}\n    default_backend heard\n\n\
             backend heard\n    balance roundrobin\n    option httpchk GET /healthz\n    \
             http-check expect status 200\n{servers}"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("haproxy.cfg");
        std::fs::write(&file, config).unwrap();
        let check = Command::new(binary)
            .args(["-c", "-q", "-f"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "haproxy refused the config: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let child = Command::new(binary)
            .arg("-db")
            .arg("-f")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Haproxy {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `url` answers 200 (a process up, or the balancer seeing one).
async fn wait_ok(client: &reqwest::Client, url: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(r) = client.get(url).send().await
            && r.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not answer 200 within 30 s");
}

/// A webhook receiver on loopback keeping the id header and body of every delivery.
#[derive(Clone, Default)]
struct Hooks {
    got: Arc<Mutex<Vec<(String, Value)>>>,
}

async fn take_hook(State(h): State<Hooks>, headers: HeaderMap, body: String) -> &'static str {
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = serde_json::from_str(&body).unwrap_or(Value::Null);
    h.got.lock().unwrap().push((id, body));
    "ok"
}

impl Hooks {
    async fn start() -> (Hooks, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let hooks = Hooks::default();
        let app = axum::Router::new()
            .route("/hooks", axum::routing::post(take_hook))
            .with_state(hooks.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (hooks, url)
    }

    /// How many deliveries each created ticket got.
    fn created(&self) -> HashMap<i64, usize> {
        let mut n = HashMap::new();
        for (_, body) in self.got.lock().unwrap().iter() {
            if body["type"] == "ticket.created" {
                *n.entry(body["data"]["ticket"]["id"].as_i64().unwrap_or(0))
                    .or_default() += 1;
            }
        }
        n
    }
}

/// What the load was answered for: tickets (id, the word only its subject has) and staff
/// addresses invited by mail.
#[derive(Default)]
struct Acknowledged {
    tickets: Vec<(i64, String)>,
    invited: Vec<String>,
    /// Requests that got no acknowledgement (the balancer's 502 for a request in flight
    /// on the killed process, and the like): never counted as written.
    refused: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processes_behind_haproxy_lose_nothing_when_one_is_killed_and_restarted() {
    if backend() != "postgres" {
        eprintln!("balanced: PostgreSQL only (processes share one database); skipped on SQLite");
        return;
    }
    let world = World::new().await;
    let app = &world.app;
    let smtp = SmtpServer::start();
    let (hooks, hook_url) = Hooks::start().await;
    let (status, v) = app
        .post(
            "/api/v1/webhooks",
            &world.admin.token,
            json!({"url": hook_url, "event_types": ["ticket.created"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");

    let ports: Vec<u16> = (0..PROCESSES).map(|_| free_port()).collect();
    let balancer = Haproxy::start(&ports);
    let dirs: Vec<tempfile::TempDir> = (0..PROCESSES)
        .map(|_| tempfile::tempdir().unwrap())
        .collect();
    let smtp_url = smtp.url();
    let env = [
        ("HEARD_SMTP_URL", smtp_url.as_str()),
        ("HEARD_MAIL_FROM", "help@desk.test"),
        ("HEARD_PUBLIC_URL", balancer.base.as_str()),
    ];
    let start = |i: usize| {
        HeardProcess::start(
            &app.database_url,
            dirs[i].path(),
            &format!("127.0.0.1:{}", ports[i]),
            &env,
        )
    };
    let mut processes: Vec<HeardProcess> = (0..PROCESSES).map(start).collect();
    let client = reqwest::Client::new();
    wait_ok(&client, &format!("{}/healthz", balancer.base)).await;

    // The admin signs in through the balancer: the session lives on whichever process
    // answered, and is used through the balancer (every process) from then on.
    let admin = browser_at(&balancer.base, &world.admin).await;

    let acked: Arc<Mutex<Acknowledged>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for worker in 0..6 {
        let (client, base, acked, stop) = (
            client.clone(),
            balancer.base.clone(),
            acked.clone(),
            stop.clone(),
        );
        let token = [&world.c1, &world.c2, &world.s1, &world.s2][worker % 4]
            .token
            .clone();
        load.push(tokio::spawn(async move {
            for n in 0.. {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let word = format!("w{worker}n{n}");
                let res = client
                    .post(format!("{base}/api/v1/tickets"))
                    .bearer_auth(&token)
                    .json(
                        &json!({"subject": format!("Printer {word} prints blank pages"),
                                  "body": "Nothing comes out since this morning."}),
                    )
                    .send()
                    .await;
                let id = match res {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        r.json::<Value>().await.ok().and_then(|t| t["id"].as_i64())
                    }
                    _ => None,
                };
                let mut a = acked.lock().unwrap();
                match id {
                    Some(id) => a.tickets.push((id, word)),
                    None => a.refused += 1,
                }
            }
        }));
    }
    {
        let (admin, acked, stop) = (admin.clone(), acked.clone(), stop.clone());
        let team = world.team_a.to_string();
        load.push(tokio::spawn(async move {
            for n in 0.. {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let email = format!("staff{n}@desk.test");
                let res = admin
                    .client
                    .post(format!("{}/admin/agents", admin.base))
                    .header(COOKIE, &admin.cookie)
                    .form(&[
                        ("csrf", admin.csrf.as_str()),
                        ("email", &email),
                        ("name", &format!("Staff {n}")),
                        ("role", "agent"),
                        ("team", &team),
                    ])
                    .send()
                    .await;
                let invited = matches!(&res, Ok(r) if r.status() == StatusCode::SEE_OTHER
                    && r.headers().get(LOCATION).is_some_and(|l| l.to_str().unwrap_or("").contains("staff_invited")));
                let mut a = acked.lock().unwrap();
                if invited {
                    a.invited.push(email);
                } else {
                    a.refused += 1;
                }
            }
        }));
    }

    let wait_for = |target: usize| {
        let (acked, load) = (acked.clone(), &load);
        async move {
            let start = Instant::now();
            while acked.lock().unwrap().tickets.len() < target {
                assert!(
                    start.elapsed() < Duration::from_secs(240),
                    "the load made no progress: {} tickets acknowledged, {} refused",
                    acked.lock().unwrap().tickets.len(),
                    acked.lock().unwrap().refused
                );
                assert!(!load.iter().any(|w| w.is_finished()), "a load worker died");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(PER_PHASE).await;
    processes[1].kill(); // SIGKILL, mid-load
    let killed_at = acked.lock().unwrap().tickets.len();
    wait_for(killed_at + PER_PHASE).await;
    let restarted_at = acked.lock().unwrap().tickets.len();
    processes[1] = start(1);
    wait_for(restarted_at + PER_PHASE).await;
    stop.store(true, Ordering::SeqCst);
    for w in load {
        w.await.unwrap();
    }
    let Acknowledged {
        tickets,
        invited,
        refused,
    } = std::mem::take(&mut *acked.lock().unwrap());
    eprintln!(
        "balanced: {} tickets and {} invitations acknowledged, {refused} requests unacknowledged",
        tickets.len(),
        invited.len()
    );
    assert!(!invited.is_empty(), "no staff invitation was acknowledged");

    // Every acknowledged ticket is there, as sent.
    for (id, word) in &tickets {
        let (status, t) = app
            .get(&format!("/api/v1/tickets/{id}"), &world.supervisor.token)
            .await;
        assert_eq!(status, StatusCode::OK, "acknowledged ticket {id} is gone");
        assert!(
            t["subject"].as_str().unwrap_or("").contains(word.as_str()),
            "{t}"
        );
    }

    // The session made through the balancer is valid on every process, the restarted
    // one included: sessions live in the database, not in a process.
    for p in &processes {
        let direct = Browser {
            base: p.base.clone(),
            ..admin.clone()
        };
        let (status, _) = direct.page("/admin").await;
        assert_eq!(status, StatusCode::OK, "the session on {}", p.base);
    }

    // Mail: one invitation to each acknowledged address, none twice. A mail the killed
    // process had claimed goes out when its claim runs out.
    let deadline = Instant::now() + DELIVERY_WAIT;
    loop {
        let got: HashSet<String> = smtp.received().iter().flat_map(|m| m.to.clone()).collect();
        let missing: Vec<&String> = invited.iter().filter(|e| !got.contains(*e)).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "invitations never mailed: {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Webhooks: each acknowledged ticket's ticket.created delivered.
    loop {
        let created = hooks.created();
        let missing: Vec<i64> = tickets
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !created.contains_key(id))
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} ticket.created webhooks never delivered: {missing:?}",
            missing.len(),
            tickets.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Time for a duplicate to show, had any process sent something a second time.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut mailed: HashMap<String, usize> = HashMap::new();
    for m in smtp.received() {
        for to in m.to {
            *mailed.entry(to).or_default() += 1;
        }
    }
    let twice: Vec<_> = mailed.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "mailed more than once: {twice:?}");
    let twice: Vec<_> = hooks
        .created()
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(
        twice.is_empty(),
        "webhooks delivered more than once: {twice:?}"
    );
    let ids: Vec<String> = hooks
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(
        ids.len(),
        ids.iter().collect::<HashSet<_>>().len(),
        "a webhook id came twice"
    );

    // Each process's own index caught up: the tickets made while process 1 was down (it
    // took them from the outbox when it came back) and the last ones, searched on each
    // process directly.
    let sample: Vec<&(i64, String)> = tickets[killed_at..restarted_at]
        .iter()
        .step_by(12)
        .chain(tickets.iter().rev().take(5))
        .collect();
    for p in &processes {
        let deadline = Instant::now() + Duration::from_secs(30);
        for (id, word) in &sample {
            loop {
                let res = client
                    .get(format!("{}/api/v1/search?q={word}", p.base))
                    .bearer_auth(&world.supervisor.token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                let found: Value = res.json().await.unwrap();
                let hit = found["hits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|h| h["id"] == *id);
                if hit {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{} never indexed ticket {id} ({word}): {found}",
                    p.base
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}
