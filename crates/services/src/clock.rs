use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Where "now" comes from. Services read the clock once per use case and pass the
/// instant down, so a fixed clock makes time-dependent rules testable end to end.
#[derive(Clone, Debug)]
pub enum Clock {
    System,
    Fixed(Arc<AtomicI64>),
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => jiff::Timestamp::now().as_millisecond(),
            Clock::Fixed(ms) => ms.load(Ordering::SeqCst),
        }
    }

    pub fn fixed(ms: i64) -> Clock {
        Clock::Fixed(Arc::new(AtomicI64::new(ms)))
    }

    /// Moves a fixed clock forward; no effect on the system clock.
    pub fn advance_ms(&self, by: i64) {
        if let Clock::Fixed(ms) = self {
            ms.fetch_add(by, Ordering::SeqCst);
        }
    }
}
