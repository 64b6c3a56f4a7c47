//! Whether mail to an address still goes out after a delivery failure was reported for
//! it (RFC 3464): a permanent failure (status `5.x.x`) stops mail to it until mail comes
//! from the address again (it works after all); a temporary one (`4.x.x`) never does.
//! Pure: the facts are passed in.

/// A permanent failure: the receiving side said the mailbox will not take mail.
pub fn is_permanent(status: &str) -> bool {
    status.trim_start().starts_with('5')
}

/// Whether heard stops mailing an address whose newest reported failure is `status` at
/// `bounced_at`, from which mail last came at `last_heard_at`.
pub fn stops_mail(status: &str, bounced_at: i64, last_heard_at: Option<i64>) -> bool {
    is_permanent(status) && last_heard_at.is_none_or(|heard| heard < bounced_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hard_bounce_stops_mail_until_the_address_writes_again() {
        let table = [
            ("5.1.1", 100, None, true),
            ("5.2.2", 100, Some(50), true),
            ("5.1.1", 100, Some(150), false),
            ("4.2.2", 100, None, false),
            ("4.4.7", 100, Some(50), false),
            ("", 100, None, false),
        ];
        for (status, at, heard, stops) in table {
            assert_eq!(stops_mail(status, at, heard), stops, "{status} {heard:?}");
        }
    }
}
