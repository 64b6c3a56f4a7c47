//! heard's use cases. Each public method is one thing a user does ("create a ticket",
//! "reply", "escalate"): it loads what it needs, decides with `heard-domain`, and hands
//! the store one complete write. HTTP handlers, the CLI, e-mail and jobs all call these,
//! so every channel follows the same rules.

pub mod auth;
pub mod care;
pub mod categories;
mod clock;
pub mod diagnosis;
mod error;
pub mod intake;
pub mod kb;
pub mod mail;
pub mod mailboxes;
pub mod merge;
pub mod outbound;
pub mod people;
pub mod reports;
pub mod routing;
pub mod seed;
pub mod service_levels;
pub mod survey;
pub mod tickets;
pub mod viewers;
pub mod views;

pub use clock::Clock;
pub use error::ServiceError;
pub use heard_domain::Actor;
pub use heard_store::Store;

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Everything a use case needs: the store and the clock.
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub clock: Clock,
    books: service_levels::BookCache,
    /// This process's search index (in memory unless the server opens one on disk).
    pub search: kb::Search,
    /// Outgoing mail, when an SMTP server is configured.
    pub mail: Option<mail::Outgoing>,
    trends: reports::TrendCache,
}

impl Services {
    pub fn new(store: Store) -> Self {
        Services {
            store,
            clock: Clock::System,
            books: Default::default(),
            search: kb::Search::in_ram(),
            mail: None,
            trends: Default::default(),
        }
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
            "invalid_limit",
            "limit must be between 1 and 200",
        ))),
    }
}
