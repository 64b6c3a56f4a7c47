//! heard's use cases. Each public method is one thing a user does ("create a ticket",
//! "reply", "escalate"): it loads what it needs, decides with `heard-domain`, and hands
//! the store one complete write. HTTP handlers, the CLI, e-mail and jobs all call these,
//! so every channel follows the same rules.

pub mod auth;
pub mod care;
pub mod categories;
mod clock;
pub mod desk;
pub mod diagnosis;
mod error;
pub mod kb;
pub mod mail;
pub mod merge;
pub mod people;
pub mod queues;
pub mod reports;
pub mod routing;
pub mod search_index;
pub mod seed;
pub mod service_levels;
pub mod survey;
pub mod tickets;
pub mod timeline;
pub mod viewers;
pub mod views;

pub use clock::Clock;
pub use error::{ServiceError, status_of};
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
    books: service_levels::BookCache,
    /// This process's search index (in memory unless the server opens one on disk).
    pub search: search_index::Search,
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
            search: search_index::Search::in_ram(),
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
            ErrorCode::InvalidLimit,
            "limit must be between 1 and 200",
        ))),
    }
}
