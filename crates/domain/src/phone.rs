//! The phone: numbers in one canonical form (E.164) so a caller is found by an index
//! lookup however the number was written, and what a logged call is (direction, outcome,
//! duration) and what it counts as on the ticket.

use crate::{ErrorCode, Invalid, named_enum};
use serde::{Deserialize, Serialize};

/// A country calling code (1 to 3 digits, not starting with 0), e.g. `49` for Germany.
/// The desk's default turns a national number ("030 1234567") into an international one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode(u16);

impl CountryCode {
    /// Accepts `49`, `+49` or `0049`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        let s = s
            .strip_prefix('+')
            .or_else(|| s.strip_prefix("00"))
            .unwrap_or(s);
        let bad = || {
            Invalid::new(
                "default_country_code",
                ErrorCode::InvalidCountryCode,
                "a country calling code has 1 to 3 digits and does not start with 0, e.g. 49 or +1",
            )
        };
        if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if s.starts_with('0') {
            return Err(bad());
        }
        s.parse().map(CountryCode).map_err(|_| bad())
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "+{}", self.0)
    }
}

/// A phone number in E.164 form: `+`, then 8 to 15 digits starting with the country code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

/// Fewest digits (country code included) of a number a person can be called on.
const MIN_DIGITS: usize = 8;
/// E.164's limit.
const MAX_DIGITS: usize = 15;

impl PhoneNumber {
    /// Reads a number as people write it: spaces, dashes, dots, slashes and parentheses
    /// are ignored; a leading `+` or `00` starts the country code; a `(0)` right after the
    /// country code (as in "+44 (0)20 7946 0958") is the national trunk prefix and is
    /// dropped; a `tel:` prefix is accepted. Anything else is a national number: its one
    /// leading trunk `0` is dropped and `default` (the desk's country) put in front.
    /// `field` names the input in the refusal.
    pub fn parse(
        raw: &str,
        default: Option<CountryCode>,
        field: &'static str,
    ) -> Result<Self, Invalid> {
        let bad = |why: String| Invalid::new(field, ErrorCode::InvalidPhone, why);
        let s = raw.trim();
        let s = s.strip_prefix("tel:").unwrap_or(s).trim();
        if s.is_empty() {
            return Err(bad("a phone number is required".into()));
        }
        if s.len() > 40 {
            return Err(bad("a phone number has at most 15 digits".into()));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_digit() || " -./()+\u{a0}".contains(*c)))
        {
            return Err(bad(format!(
                "`{c}` does not belong in a phone number: use digits, spaces, - . / ( ) and a leading +"
            )));
        }
        if s.matches('+').count() > 1 || (s.contains('+') && !s.starts_with('+')) {
            return Err(bad("a + may only start a phone number".into()));
        }
        if s.matches('(').count() != s.matches(')').count() {
            return Err(bad("a parenthesis in the number is not closed".into()));
        }
        let international = s.starts_with('+') || digits(s).starts_with("00");
        let full = if international {
            let mut d = digits(s);
            if !s.starts_with('+') {
                d.drain(..2);
            }
            // "+44 (0)20…": the trunk 0 in parentheses is not dialled from abroad.
            if let Some(open) = s.find("(0)") {
                let before = digits(&s[..open]);
                let cc_len = if s.starts_with('+') {
                    before.len()
                } else {
                    before.len().saturating_sub(2)
                };
                if (1..=3).contains(&cc_len) && d.len() > cc_len {
                    d.remove(cc_len);
                }
            }
            if d.starts_with('0') {
                return Err(bad(
                    "a country code does not start with 0: write +49 30 1234567 or 0049 30 1234567"
                        .into(),
                ));
            }
            d
        } else {
            let Some(cc) = default else {
                return Err(bad(
                    "write the number with its country code, e.g. +49 30 1234567 (no default country is set for this desk)"
                        .into(),
                ));
            };
            let all = digits(s);
            let national = all.strip_prefix('0').unwrap_or(&all);
            if national.starts_with('0') {
                return Err(bad("a national number starts with at most one 0".into()));
            }
            format!("{}{national}", cc.get())
        };
        if full.len() < MIN_DIGITS || full.len() > MAX_DIGITS {
            return Err(bad(format!(
                "a phone number has {MIN_DIGITS} to {MAX_DIGITS} digits with its country code; this one has {}",
                full.len()
            )));
        }
        Ok(PhoneNumber(format!("+{full}")))
    }

    /// The E.164 form, e.g. `+49301234567`: the key numbers are stored and matched by.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A `tel:` URI for a link a phone or softphone dials.
    pub fn tel_uri(&self) -> String {
        format!("tel:{}", self.0)
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

impl TryFrom<String> for PhoneNumber {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        PhoneNumber::parse(&s, None, "number")
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

named_enum!(
    /// Who dialled: the customer (inbound) or us (outbound).
    CallDirection, "direction", InvalidCallDirection {
        Inbound => "inbound",
        Outbound => "outbound",
    }
);

named_enum!(
    /// How a call ended.
    CallOutcome, "outcome", InvalidCallOutcome {
        Resolved => "resolved",
        CallBackNeeded => "call_back_needed",
        LeftVoicemail => "left_voicemail",
        NoAnswer => "no_answer",
    }
);

impl CallOutcome {
    pub fn label(self) -> &'static str {
        match self {
            CallOutcome::Resolved => "resolved",
            CallOutcome::CallBackNeeded => "call back needed",
            CallOutcome::LeftVoicemail => "left a voicemail",
            CallOutcome::NoAnswer => "no answer",
        }
    }
}

/// The longest call that can be logged (a day), in seconds.
pub const MAX_CALL_SECONDS: i64 = 24 * 60 * 60;

/// A call's length in seconds: 0 (nobody picked up) to a day.
pub fn call_duration(seconds: i64) -> Result<i64, Invalid> {
    if (0..=MAX_CALL_SECONDS).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(Invalid::new(
            "duration_seconds",
            ErrorCode::InvalidDuration,
            "a call lasts 0 to 86400 seconds",
        ))
    }
}

/// Whether the customer heard from us on this call: an inbound call always (they were
/// talking to us), an outbound one unless nobody answered. Such a call is a public
/// contact on the ticket (it answers the customer, like a reply); an unanswered outbound
/// call is only an attempt, kept as an internal note.
pub fn reached_customer(direction: CallDirection, outcome: CallOutcome) -> bool {
    direction == CallDirection::Inbound || outcome != CallOutcome::NoAnswer
}

/// "3 min 05 s" for a duration in seconds.
pub fn duration_label(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {:02} s", s / 60, s % 60),
        s => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

/// The text a call leaves in the ticket's conversation.
pub fn call_summary(
    direction: CallDirection,
    number: &PhoneNumber,
    seconds: i64,
    outcome: CallOutcome,
    notes: &str,
) -> String {
    let what = match direction {
        CallDirection::Inbound => format!("Phone call from {number}"),
        CallDirection::Outbound => format!("Phone call to {number}"),
    };
    let head = format!("{what} ({}): {}.", duration_label(seconds), outcome.label());
    if notes.is_empty() {
        head
    } else {
        format!("{head}\n\n{notes}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn de() -> Option<CountryCode> {
        Some(CountryCode::parse("49").unwrap())
    }

    #[test]
    fn common_written_forms_normalise_to_e164() {
        for raw in [
            "+49 30 1234567",
            "+49 (30) 1234-567",
            "+49.30.123.45.67",
            "0049 30 1234567",
            "+49 (0)30 1234567",
            "030 1234567",
            "(030) 123 45 67",
            "030/1234567",
            "tel:+49301234567",
            " +49-30-1234567 ",
        ] {
            assert_eq!(
                PhoneNumber::parse(raw, de(), "number").unwrap().as_str(),
                "+49301234567",
                "{raw}"
            );
        }
        let us = Some(CountryCode::parse("+1").unwrap());
        assert_eq!(
            PhoneNumber::parse("(212) 555-0142", us, "number")
                .unwrap()
                .as_str(),
            "+12125550142"
        );
        assert_eq!(
            PhoneNumber::parse("+44 (0)20 7946 0958", None, "number")
                .unwrap()
                .tel_uri(),
            "tel:+442079460958"
        );
    }

    #[test]
    fn junk_is_refused_with_a_reason_naming_the_field() {
        for (raw, why) in [
            ("", "required"),
            ("call me", "does not belong"),
            ("+49 30 12x4567", "does not belong"),
            ("49+301234567", "may only start"),
            ("+49 (30 1234567", "not closed"),
            ("+0 30 1234567", "does not start with 0"),
            ("+49 30", "8 to 15 digits"),
            ("+49 30 1234567 8901234", "8 to 15 digits"),
            ("030 1234567", "country code"),
        ] {
            let err = PhoneNumber::parse(raw, None, "number").unwrap_err();
            assert_eq!(err.field, Some("number"), "{raw}");
            assert_eq!(err.code, "invalid_phone");
            assert!(err.message.contains(why), "{raw}: {}", err.message);
        }
    }

    #[test]
    fn country_codes_are_one_to_three_digits() {
        assert_eq!(CountryCode::parse("+49").unwrap().get(), 49);
        assert_eq!(CountryCode::parse("0044").unwrap().get(), 44);
        assert_eq!(CountryCode::parse("1").unwrap().to_string(), "+1");
        for bad in ["", "0", "1234", "4a", "+"] {
            let e = CountryCode::parse(bad).unwrap_err();
            assert_eq!(e.code, "invalid_country_code", "{bad}");
        }
    }

    #[test]
    fn what_a_call_counts_as() {
        use CallDirection::*;
        use CallOutcome::*;
        assert!(reached_customer(Inbound, NoAnswer));
        assert!(reached_customer(Outbound, LeftVoicemail));
        assert!(!reached_customer(Outbound, NoAnswer));
        assert_eq!(duration_label(185), "3 min 05 s");
        assert_eq!(duration_label(3720), "1 h 02 min");
        assert!(call_duration(-1).is_err());
        assert!(call_duration(MAX_CALL_SECONDS + 1).is_err());
        let n = PhoneNumber::parse("+49301234567", None, "number").unwrap();
        assert_eq!(
            call_summary(Inbound, &n, 42, CallBackNeeded, "VPN drops"),
            "Phone call from +49301234567 (42 s): call back needed.\n\nVPN drops"
        );
        assert_eq!(
            "voicemail".parse::<CallOutcome>().unwrap_err().field,
            Some("outcome")
        );
    }

    /// One number written in any of the usual ways: international with + or 00, with the
    /// (0) trunk, or national; grouped by spaces, dashes, dots or slashes; the area code
    /// in parentheses or not.
    fn written(cc: u16, area: String, rest: String) -> impl Strategy<Value = String> {
        let seps = prop::sample::select(vec![" ", "-", ".", "/", ""]);
        (0..5usize, seps.clone(), seps, any::<bool>()).prop_map(move |(form, s1, s2, paren)| {
            let (half1, half2) = rest.split_at(rest.len() / 2);
            let area = if paren {
                format!("({area})")
            } else {
                area.clone()
            };
            let tail = format!("{half1}{s2}{half2}");
            match form {
                0 => format!("+{cc}{s1}{area}{s1}{tail}"),
                1 => format!("00{cc} {area}{s1}{tail}"),
                2 => format!("+{cc} (0){area}{s1}{tail}"),
                3 => format!("0{area}{s1}{tail}").replace("0(", "(0"),
                _ => format!("tel:+{cc}{area}{tail}").replace(['(', ')'], ""),
            }
        })
    }

    proptest! {
        #[test]
        fn every_way_of_writing_a_number_gives_one_e164(
            (cc, area, rest, raw) in (1u16..999, "[1-9][0-9]{1,3}", "[0-9]{4,7}")
                .prop_flat_map(|(cc, area, rest)| {
                    (Just(cc), Just(area.clone()), Just(rest.clone()), written(cc, area, rest))
                })
        ) {
            let expected = format!("+{cc}{area}{rest}");
            prop_assume!((MIN_DIGITS..=MAX_DIGITS).contains(&(expected.len() - 1)));
            let home = CountryCode::parse(&cc.to_string()).ok();
            prop_assume!(home.is_some());
            let got = PhoneNumber::parse(&raw, home, "number");
            prop_assert_eq!(got.map(|p| p.0), Ok(expected), "written as {}", raw);
        }

        #[test]
        fn parsing_never_panics_and_output_is_e164(raw in "\\PC{0,30}") {
            if let Ok(p) = PhoneNumber::parse(&raw, Some(CountryCode(49)), "number") {
                prop_assert!(p.0.starts_with('+'));
                prop_assert!(p.0[1..].bytes().all(|b| b.is_ascii_digit()));
                prop_assert!((MIN_DIGITS..=MAX_DIGITS).contains(&(p.0.len() - 1)));
                prop_assert!(!p.0.starts_with("+0"));
            }
        }
    }
}
