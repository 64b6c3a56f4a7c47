//! The test harness: a real server on a random loopback port over a fresh database —
//! a temporary SQLite file, or, when `HEARD_TEST_DATABASE_URL` names a PostgreSQL
//! server, a database of its own created for the test and dropped after it.
#![allow(dead_code)]

pub mod dovecot;
pub mod oidc;
pub mod pages;
pub mod processes;
pub mod smtp;

use heard_services::Services;
use heard_services::people::{NewAgent, NewCustomer, NewOrganization, NewTeam};
use heard_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct TestApp {
    pub base: String,
    /// The metrics listener (`--metrics-listen`): `GET {metrics_base}/metrics`.
    pub metrics_base: String,
    pub client: reqwest::Client,
    pub services: Services,
    /// The database the server uses, opened by the test as the binary opens it: to look
    /// at what was written, or to start a second process's services over it.
    pub store: Store,
    /// A URL for the same database, for commands run as separate processes.
    pub database_url: String,
    /// A data folder of this app's own for those commands (their search index), so they
    /// never write into the working directory or share an index between tests.
    pub data_dir: tempfile::TempDir,
    _db: TestDatabase,
}

enum TestDatabase {
    Sqlite(tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Opened by the test itself, which keeps it (and what it lives on) alive.
    Test,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside async; a thread with its own runtime can still clean up.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut c)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Which backend this run tests, for test names in failure messages.
pub fn backend() -> &'static str {
    if std::env::var("HEARD_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    }
}

async fn fresh_database() -> (Store, String, TestDatabase) {
    match std::env::var("HEARD_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            use sqlx::Connection;
            let name = format!("heard_t_{}_{}", std::process::id(), rand_suffix());
            let mut c = sqlx::PgConnection::connect(&admin_url)
                .await
                .unwrap_or_else(|e| {
                    panic!("HEARD_TEST_DATABASE_URL is set but PostgreSQL does not answer: {e}")
                });
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .expect("create test database");
            let url = replace_database(&admin_url, &name);
            let store = Store::open_url(&url)
                .await
                .expect("open PostgreSQL test database");
            (store, url, TestDatabase::Postgres { admin_url, name })
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("heard.sqlite");
            let store = Store::open_sqlite(&path)
                .await
                .expect("open SQLite test database");
            (
                store,
                format!("sqlite:{}", path.display()),
                TestDatabase::Sqlite(dir),
            )
        }
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{}_{}", nanos, N.fetch_add(1, Ordering::SeqCst))
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

impl TestApp {
    /// Runs the real `heard` binary on this app's database and data folder, as a user
    /// would from the shell: whether it succeeded, its standard output and its errors.
    pub fn cli(&self, args: &[&str]) -> (bool, String, String) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_heard"))
            .args(args)
            .env("HEARD_DATABASE_URL", &self.database_url)
            .env("HEARD_DATA_DIR", self.data_dir.path())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }

    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(heard_services::Clock::System).await
    }

    /// A server whose clock the test moves (`clock.advance_ms`).
    pub async fn spawn_with(clock: heard_services::Clock) -> TestApp {
        TestApp::spawn_configured(clock, |s, _| s).await
    }

    /// A server whose services `configure` adjusts (given them and the server's address),
    /// e.g. to send mail.
    pub async fn spawn_configured(
        clock: heard_services::Clock,
        configure: impl FnOnce(Services, &str) -> Services,
    ) -> TestApp {
        let (store, database_url, db) = fresh_database().await;
        TestApp::serve_store(store, database_url, db, clock, configure).await
    }

    /// A server over a database the test opened itself (e.g. on a filesystem it mounted).
    pub async fn spawn_over(store: Store, database_url: String) -> TestApp {
        let clock = heard_services::Clock::System;
        TestApp::serve_store(store, database_url, TestDatabase::Test, clock, |s, _| s).await
    }

    async fn serve_store(
        store: Store,
        database_url: String,
        db: TestDatabase,
        clock: heard_services::Clock,
        configure: impl FnOnce(Services, &str) -> Services,
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let services = configure(Services::new(store.clone()).with_clock(clock), &base);
        let serving = services.clone();
        tokio::spawn(async move {
            heard::serve(listener, serving, std::future::pending())
                .await
                .unwrap();
        });
        let metrics_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let metrics_base = format!("http://{}", metrics_listener.local_addr().unwrap());
        tokio::spawn(heard::serve_metrics(
            metrics_listener,
            services.clone(),
            std::future::pending(),
        ));
        TestApp {
            base,
            metrics_base,
            client: reqwest::Client::builder().build().unwrap(),
            services,
            store,
            database_url,
            data_dir: tempfile::tempdir().expect("temp dir"),
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method.parse().unwrap(), self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request reaches the server");
        let status = res.status();
        let text = res.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        assert_ne!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{method} {path} gave a 500: {value}"
        );
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call("POST", path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call("PATCH", path, Some(token), Some(body)).await
    }
}

/// A small help desk: two teams, an agent in each, a supervisor and an admin; customers
/// in an organization that keeps tickets private and in one that shares them.
pub struct World {
    pub app: TestApp,
    pub team_a: i64,
    pub team_b: i64,
    pub agent_a: Person,
    pub agent_b: Person,
    pub supervisor: Person,
    pub admin: Person,
    /// Private organization: c1 and c2 do not see each other's tickets.
    pub c1: Person,
    pub c2: Person,
    /// Sharing organization: s1 and s2 see each other's tickets.
    pub s1: Person,
    pub s2: Person,
}

#[derive(Clone)]
pub struct Person {
    pub id: i64,
    pub email: String,
    pub token: String,
}

pub const PASSWORD: &str = "correct horse battery";

impl World {
    pub async fn new() -> World {
        World::with_clock(heard_services::Clock::System).await
    }

    pub async fn with_clock(clock: heard_services::Clock) -> World {
        World::on(TestApp::spawn_with(clock).await).await
    }

    /// The same small help desk on a server of the caller's making.
    pub async fn on(app: TestApp) -> World {
        let s = &app.services;
        let team_a = s
            .create_team(
                None,
                NewTeam {
                    name: "Desk".into(),
                    description: String::new(),
                },
            )
            .await
            .unwrap()
            .id;
        let team_b = s
            .create_team(
                None,
                NewTeam {
                    name: "Platform".into(),
                    description: String::new(),
                },
            )
            .await
            .unwrap()
            .id;
        s.set_default_team(None, team_a).await.unwrap();
        let staff = |email: &str, role: &str, teams: Vec<i64>, tier: i64| NewAgent {
            email: email.into(),
            name: email.split('@').next().unwrap().into(),
            role: role.into(),
            tier: Some(tier),
            skills: vec!["vpn".into()],
            team_ids: teams,
            capacity: Some(10),
            time_zone: None,
            password: Some(PASSWORD.into()),
        };
        let mut people = Vec::new();
        for a in [
            staff("agent.a@desk.test", "agent", vec![team_a], 1),
            staff("agent.b@desk.test", "agent", vec![team_b], 2),
            staff("super@desk.test", "supervisor", vec![], 3),
            staff("admin@desk.test", "admin", vec![], 3),
        ] {
            let email = a.email.clone();
            let id = s.create_agent(None, a).await.unwrap().id;
            people.push(person(s, id, &email).await);
        }
        let admin_actor = s.actor_for_user(people[3].id).await.unwrap();
        s.create_organization(
            &admin_actor,
            NewOrganization {
                name: "Private Co".into(),
                domain: Some("private.test".into()),
                shares_tickets: false,
            },
        )
        .await
        .unwrap();
        s.create_organization(
            &admin_actor,
            NewOrganization {
                name: "Sharing Co".into(),
                domain: Some("sharing.test".into()),
                shares_tickets: true,
            },
        )
        .await
        .unwrap();
        for email in [
            "c1@private.test",
            "c2@private.test",
            "s1@sharing.test",
            "s2@sharing.test",
        ] {
            let c = s
                .create_customer(
                    None,
                    NewCustomer {
                        email: email.into(),
                        name: email.into(),
                        organization_id: None,
                        time_zone: None,
                        password: Some(PASSWORD.into()),
                    },
                )
                .await
                .unwrap();
            people.push(person(s, c.id, email).await);
        }
        let mut p = people.into_iter();
        let mut next = || p.next().unwrap();
        World {
            team_a,
            team_b,
            agent_a: next(),
            agent_b: next(),
            supervisor: next(),
            admin: next(),
            c1: next(),
            c2: next(),
            s1: next(),
            s2: next(),
            app,
        }
    }

    /// A ticket opened by `customer` through the API; returns its id.
    pub async fn ticket_by(&self, customer: &Person, subject: &str) -> i64 {
        let (status, t) = self
            .app
            .post(
                "/api/v1/tickets",
                &customer.token,
                json!({"subject": subject, "body": "It stopped working this morning."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{t}");
        t["id"].as_i64().unwrap()
    }
}

async fn person(s: &Services, id: i64, email: &str) -> Person {
    Person {
        id,
        email: email.into(),
        token: s.create_token(email, "test").await.unwrap(),
    }
}
