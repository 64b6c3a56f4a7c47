//! heard's use cases. Each public method is one thing a user does ("create a ticket",
//! "reply", "escalate"): it loads what it needs, decides with `heard-domain`, and hands
//! the store one complete write. HTTP handlers, the CLI, e-mail and jobs all call these,
//! so every channel follows the same rules.

pub mod auth;
pub mod bulk;
pub mod calls;
pub mod care;
pub mod categories;
pub mod chat_live;
pub mod chats;
mod clock;
pub mod customer_mail;
pub mod desk;
pub mod diagnosis;
mod error;
pub mod export;
pub mod history;
pub mod imap_intake;
pub mod import;
pub mod intake;
pub mod kb;
pub mod macros;
pub mod mail;
pub mod mail_intake;
pub mod mailboxes;
pub mod merge;
mod opening;
pub mod outbound;
pub mod passwords;
pub mod people;
pub mod practice;
pub mod queues;
pub mod reports;
pub mod reviews;
pub mod routing;
pub mod saved_views;
pub mod scorecard;
pub mod search_index;
pub mod seed;
pub mod service_levels;
pub mod signup;
mod snapshot;
pub mod sso;
pub mod survey;
pub mod telemetry;
pub mod tickets;
pub mod timeline;
pub mod viewers;
pub mod views;
pub mod webhook_delivery;
pub mod webhooks;

pub use clock::Clock;
pub use error::{ServiceError, status_of};
pub use error::{UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_SECS};
pub use heard_domain::{Actor, ErrorCode};
pub use heard_store::Store;

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Everything a use case needs: the store and the clock. The store is private: pages,
/// the API and the command line reach the data only through use cases, so every channel
/// gets the same rules.
#[derive(Clone)]
pub struct Services {
    store: Store,
    pub clock: Clock,
    snapshot: snapshot::SnapshotCache,
    /// This process's search index (in memory unless the server opens one on disk).
    pub search: search_index::Search,
    /// Outgoing mail, when an SMTP server is configured.
    pub mail: Option<mail::Outgoing>,
    trends: reports::TrendCache,
    /// Where people reach this desk (`--public-url`): https there means Secure cookies.
    public_url: Option<String>,
    /// The key that signs pre-sign-in form tokens, loaded once from the database.
    form_secret: std::sync::Arc<tokio::sync::OnceCell<Vec<u8>>>,
    /// How webhooks go out (client, per-attempt timeout, the sweep's bell).
    webhook_sender: webhook_delivery::WebhookSender,
    /// Request counters and cached gauges for `/metrics`.
    telemetry: telemetry::SharedTelemetry,
    /// Chat signals to this process's open chat connections.
    chat_hub: chat_live::ChatHub,
    /// The OpenID Connect provider people may sign in with, when configured.
    oidc: Option<sso::Oidc>,
}

impl Services {
    pub fn new(store: Store) -> Self {
        Services {
            store,
            clock: Clock::System,
            snapshot: Default::default(),
            search: search_index::Search::in_ram(),
            mail: None,
            trends: Default::default(),
            public_url: None,
            form_secret: Default::default(),
            webhook_sender: Default::default(),
            telemetry: Default::default(),
            chat_hub: Default::default(),
            oidc: None,
        }
    }

    /// The same services knowing where people reach the desk (`--public-url`).
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = Some(url.trim_end_matches('/').to_string());
        self
    }

    /// Whether cookies must carry `Secure`: the desk is reached over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .or(self.mail.as_ref().map(|m| m.public_url.as_str()))
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
    }

    /// The cookie attribute that keeps cookies off plain http when the desk is on https;
    /// the pages and the API set their cookies with it.
    pub fn secure_cookie_attribute(&self) -> &'static str {
        if self.secure_cookies() {
            "; Secure"
        } else {
            ""
        }
    }

    /// The `Set-Cookie` value that carries a session `token`, or with `None` clears it:
    /// one session cookie serves the pages and the API alike.
    pub fn session_cookie(&self, token: Option<&str>) -> String {
        let (value, max_age) = match token {
            Some(t) => (t, auth::SESSION_MS / 1000),
            None => ("", 0),
        };
        format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
            auth::SESSION_COOKIE,
            self.secure_cookie_attribute()
        )
    }

    /// The same services reading time from `clock` (tests move a fixed clock forward).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Page size for lists: 50 unless asked, never more than 200.
pub fn page_limit(requested: Option<i64>) -> Result<i64> {
    match requested {
        None => Ok(50),
        Some(n) if (1..=200).contains(&n) => Ok(n),
        Some(_) => Err(ServiceError::Invalid(heard_domain::Invalid::new(
            "limit",
            ErrorCode::InvalidLimit,
            "limit must be between 1 and 200",
        ))),
    }
}
