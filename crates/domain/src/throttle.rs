//! How long a sign-in, sign-up or sign-in link request must wait, from the attempts made
//! recently. Guessing is slowed by a delay that doubles with each failure past a free
//! allowance, never by a hard lock: an attacker can slow a real user down, not shut them
//! out. Failures are counted three ways:
//!
//! - per account *and* client address: the tight budget, which the attacker's own address
//!   exhausts while the real user's address keeps its own;
//! - per account from every address: a higher ceiling against guessing from many addresses,
//!   whose delay stays short and which an address that signed in to the account before
//!   does not feel at all;
//! - per client address over every account: against trying one password on many accounts.

/// A free allowance of attempts in [`WINDOW_MS`], then a delay after the latest one that
/// starts at `first_delay_ms` and doubles with each further attempt, up to `max_delay_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub free: i64,
    pub first_delay_ms: i64,
    pub max_delay_ms: i64,
}

/// Attempts counted against a budget within [`WINDOW_MS`] of now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recent {
    pub count: i64,
    /// When the latest of them was made (UTC milliseconds).
    pub latest: Option<i64>,
}

/// How far back attempts count.
pub const WINDOW_MS: i64 = 60 * 60 * 1000;
/// How long a successful sign-in makes its address known to the account.
pub const KNOWN_ADDRESS_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Wrong passwords for one account from one address.
pub const ACCOUNT_AT_ADDRESS: Budget = Budget {
    free: 5,
    first_delay_ms: 1_000,
    max_delay_ms: 15 * 60 * 1000,
};
/// Wrong passwords for one account from anywhere. The delay stays short so that a real
/// user from a new address waits seconds, not hours.
pub const ACCOUNT: Budget = Budget {
    free: 20,
    first_delay_ms: 1_000,
    max_delay_ms: 30 * 1000,
};
/// Wrong passwords from one address over every account (an office behind one address
/// shares this, so it is generous).
pub const ADDRESS: Budget = Budget {
    free: 50,
    first_delay_ms: 1_000,
    max_delay_ms: 15 * 60 * 1000,
};
/// Sign-ups and sign-in link requests from one address (each may send a mail).
pub const REQUESTS_FROM_ADDRESS: Budget = Budget {
    free: 10,
    first_delay_ms: 5_000,
    max_delay_ms: 15 * 60 * 1000,
};

impl Budget {
    /// Milliseconds until the next attempt may be made, or `None` when it may be made now.
    pub fn wait_ms(&self, recent: Recent, now: i64) -> Option<i64> {
        let over = recent.count - self.free;
        let latest = recent.latest?;
        if over < 0 {
            return None;
        }
        let delay = self
            .first_delay_ms
            .saturating_mul(1i64 << over.min(40))
            .min(self.max_delay_ms);
        let wait = latest.saturating_add(delay) - now;
        (wait > 0).then_some(wait)
    }
}

/// What a password sign-in must wait, given the failures counted each way. An address that
/// signed in to this account before is spared the account-wide ceiling, so guessing from
/// elsewhere never slows the account's owner at their usual address.
pub fn sign_in_wait_ms(
    at_address: Recent,
    account: Recent,
    address: Recent,
    known_address: bool,
    now: i64,
) -> Option<i64> {
    let account_wait = if known_address {
        None
    } else {
        ACCOUNT.wait_ms(account, now)
    };
    [
        ACCOUNT_AT_ADDRESS.wait_ms(at_address, now),
        account_wait,
        ADDRESS.wait_ms(address, now),
    ]
    .into_iter()
    .flatten()
    .max()
}

/// Whole seconds for a `Retry-After` header: never 0 while a wait remains.
pub fn retry_after_secs(wait_ms: i64) -> u64 {
    (wait_ms.max(1) as u64).div_ceil(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recent(count: i64, latest: i64) -> Recent {
        Recent {
            count,
            latest: Some(latest),
        }
    }

    #[test]
    fn the_free_allowance_costs_nothing() {
        assert_eq!(ACCOUNT_AT_ADDRESS.wait_ms(recent(4, 1000), 1000), None);
        assert_eq!(ACCOUNT_AT_ADDRESS.wait_ms(Recent::default(), 0), None);
    }

    #[test]
    fn each_failure_past_it_doubles_the_delay_up_to_the_cap() {
        let b = ACCOUNT_AT_ADDRESS;
        assert_eq!(b.wait_ms(recent(5, 10_000), 10_000), Some(1_000));
        assert_eq!(b.wait_ms(recent(6, 10_000), 10_000), Some(2_000));
        assert_eq!(b.wait_ms(recent(8, 10_000), 10_500), Some(7_500));
        assert_eq!(b.wait_ms(recent(60, 0), 0), Some(b.max_delay_ms));
        assert_eq!(
            b.wait_ms(recent(6, 10_000), 12_000),
            None,
            "the wait is over"
        );
    }

    #[test]
    fn guessing_from_elsewhere_never_slows_the_owner_at_a_known_address() {
        let many = recent(500, 1_000);
        assert!(
            sign_in_wait_ms(Recent::default(), many, Recent::default(), false, 1_000).is_some()
        );
        assert_eq!(
            sign_in_wait_ms(Recent::default(), many, Recent::default(), true, 1_000),
            None
        );
        // And the account-wide wait is short even at its worst.
        assert!(
            sign_in_wait_ms(Recent::default(), many, Recent::default(), false, 1_000).unwrap()
                <= ACCOUNT.max_delay_ms
        );
    }

    #[test]
    fn the_longest_wait_applies() {
        let w = sign_in_wait_ms(recent(7, 0), recent(21, 0), recent(0, 0), false, 0);
        assert_eq!(w, Some(4_000));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(1), 1);
        assert_eq!(retry_after_secs(1000), 1);
        assert_eq!(retry_after_secs(1001), 2);
    }
}
