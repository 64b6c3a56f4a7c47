//! Satisfaction surveys after resolution (DOMAIN.md principle 8). An unhappy customer
//! tells many others and most never come back, so a poor rating is not only counted:
//! it opens a recovery task for a supervisor.

use crate::ErrorCode;
use crate::Invalid;

/// A customer's rating of how their request was handled: 1 (very poor) to 5 (very good).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rating(u8);

impl Rating {
    pub fn new(n: i64) -> Result<Rating, Invalid> {
        match n {
            1..=5 => Ok(Rating(n as u8)),
            _ => Err(Invalid::new(
                "rating",
                ErrorCode::InvalidRating,
                "a rating is a whole number from 1 (very poor) to 5 (very good)",
            )),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// 1 or 2: someone should get back to this customer.
    pub fn is_poor(self) -> bool {
        self.0 <= 2
    }

    /// 4 or 5: counts towards satisfaction (CSAT).
    pub fn is_satisfied(self) -> bool {
        self.0 >= 4
    }
}

/// Where a poor rating's follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    None,
    Open,
    Done,
}

impl Recovery {
    pub fn as_str(self) -> &'static str {
        match self {
            Recovery::None => "none",
            Recovery::Open => "open",
            Recovery::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Recovery {
        match s {
            "open" => Recovery::Open,
            "done" => Recovery::Done,
            _ => Recovery::None,
        }
    }

    /// The follow-up after a (new or changed) rating: a poor rating opens one unless one
    /// is already open; a better rating later leaves an open one for the supervisor to
    /// finish, since the customer was let down once.
    pub fn after_rating(self, rating: Rating) -> Recovery {
        match (self, rating.is_poor()) {
            (Recovery::Open, _) => Recovery::Open,
            (_, true) => Recovery::Open,
            (other, false) => other,
        }
    }
}

/// Satisfaction as a share of ratings that were 4 or 5, in percent (none without ratings).
pub fn csat_percent(satisfied: i64, rated: i64) -> Option<i64> {
    (rated > 0).then(|| (satisfied * 100 + rated / 2) / rated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_one_to_five() {
        assert!(Rating::new(0).is_err());
        assert!(Rating::new(6).is_err());
        assert_eq!(Rating::new(0).unwrap_err().field, Some("rating"));
        assert!(Rating::new(2).unwrap().is_poor());
        assert!(!Rating::new(3).unwrap().is_poor());
        assert!(Rating::new(4).unwrap().is_satisfied());
    }

    #[test]
    fn a_poor_rating_opens_one_recovery_and_a_later_good_one_leaves_it_open() {
        let poor = Rating::new(1).unwrap();
        let good = Rating::new(5).unwrap();
        assert_eq!(Recovery::None.after_rating(good), Recovery::None);
        assert_eq!(Recovery::None.after_rating(poor), Recovery::Open);
        assert_eq!(Recovery::Open.after_rating(good), Recovery::Open);
        assert_eq!(Recovery::Done.after_rating(good), Recovery::Done);
        assert_eq!(Recovery::Done.after_rating(poor), Recovery::Open);
    }

    #[test]
    fn csat_rounds_to_whole_percent() {
        assert_eq!(csat_percent(0, 0), None);
        assert_eq!(csat_percent(2, 3), Some(67));
        assert_eq!(csat_percent(3, 3), Some(100));
    }
}
