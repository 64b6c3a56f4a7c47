//! Who takes part: roles, tiers, and the identities a customer can be reached by.

use crate::ErrorCode;
use crate::{Invalid, named_enum};
use serde::{Deserialize, Serialize};

named_enum!(
    /// What a user may do. Customers are people with a fault (external or colleagues);
    /// agents fix faults; supervisors see everything and coach; admins configure.
    Role, "role", InvalidRole {
        Customer => "customer",
        Agent => "agent",
        Supervisor => "supervisor",
        Admin => "admin",
    }
);

impl Role {
    /// Agents, supervisors and admins work tickets; customers only have them.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Customer)
    }

    /// Supervisors and admins look after the desk: all tickets, coaching, recovery.
    pub fn is_supervisor(self) -> bool {
        matches!(self, Role::Supervisor | Role::Admin)
    }
}

named_enum!(
    /// How a customer can be recognised on a channel, so one profile spans them all.
    IdentityKind, "kind", InvalidIdentityKind {
        Email => "email",
        Phone => "phone",
        Chat => "chat",
    }
);

impl IdentityKind {
    /// Normalises an identity value so the same person is recognised whatever the spelling:
    /// e-mail addresses lower-cased, phone numbers in E.164 (a national number takes
    /// `home`, the desk's default country calling code).
    pub fn normalise(
        self,
        value: &str,
        home: Option<crate::CountryCode>,
    ) -> Result<String, Invalid> {
        match self {
            IdentityKind::Email => EmailAddress::parse(value).map(|e| e.0),
            IdentityKind::Phone => {
                crate::PhoneNumber::parse(value, home, "value").map(String::from)
            }
            IdentityKind::Chat => {
                let handle = value.trim();
                if handle.is_empty() || handle.len() > 200 || handle.chars().any(char::is_control) {
                    return Err(Invalid::new(
                        "value",
                        ErrorCode::InvalidChatHandle,
                        "a chat handle is 1 to 200 printable characters",
                    ));
                }
                Ok(handle.to_lowercase())
            }
        }
    }
}

/// A syntactically plausible e-mail address, lower-cased so one person has one key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        let bad = |why: &str| Invalid::new("email", ErrorCode::InvalidEmail, why.to_string());
        if s.len() > 254 {
            return Err(bad("an e-mail address has at most 254 characters"));
        }
        let (local, domain) = s
            .rsplit_once('@')
            .ok_or_else(|| bad("an e-mail address needs an @"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(bad("the part before the @ must have 1 to 64 characters"));
        }
        if !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(bad(
                "the part after the @ must be a domain such as example.com",
            ));
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c))
            || domain.contains('@')
        {
            return Err(bad(
                "an e-mail address may not contain spaces or any of < > ( ) [ ] , ; : \" \\",
            ));
        }
        Ok(Self(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain, used to place a new customer in their organization.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<EmailAddress> for String {
    fn from(e: EmailAddress) -> String {
        e.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Support tier 1–3: tier 1 takes first contact, tiers 2 and 3 take what needs deeper skill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Tier(u8);

impl Tier {
    pub const FIRST: Tier = Tier(1);

    pub fn new(n: i64) -> Result<Self, Invalid> {
        if (1..=3).contains(&n) {
            Ok(Tier(n as u8))
        } else {
            Err(Invalid::new(
                "tier",
                ErrorCode::InvalidTier,
                "tier must be 1, 2 or 3",
            ))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Tier {
    type Error = Invalid;
    fn try_from(n: i64) -> Result<Self, Invalid> {
        Tier::new(n)
    }
}

impl From<Tier> for i64 {
    fn from(t: Tier) -> i64 {
        t.0 as i64
    }
}

/// A person's display name: trimmed, 1–200 characters, no control characters.
pub fn person_name(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(Invalid::new(
            "name",
            ErrorCode::InvalidName,
            "a name has 1 to 200 characters and no control characters",
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            EmailAddress::parse(" Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "ana@example",
            "a b@x.io",
            "a@x..io",
        ] {
            let err = EmailAddress::parse(bad).unwrap_err();
            assert_eq!(err.field, Some("email"), "{bad}");
            assert_eq!(err.code, "invalid_email");
        }
    }

    #[test]
    fn phone_numbers_normalise_to_e164() {
        assert_eq!(
            IdentityKind::Phone
                .normalise("+44 (20) 7946-0958", None)
                .unwrap(),
            "+442079460958"
        );
        let de = crate::CountryCode::parse("49").ok();
        assert_eq!(
            IdentityKind::Phone.normalise("030 1234567", de).unwrap(),
            "+49301234567"
        );
        assert!(IdentityKind::Phone.normalise("030 1234567", None).is_err());
        assert!(IdentityKind::Phone.normalise("call me", None).is_err());
        assert!(IdentityKind::Phone.normalise("12", None).is_err());
    }

    #[test]
    fn tiers_are_one_to_three() {
        assert!(Tier::new(0).is_err());
        assert_eq!(Tier::new(3).unwrap().get(), 3);
        assert!(Tier::new(4).is_err());
    }

    #[test]
    fn roles_round_trip_by_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
        }
        assert_eq!("root".parse::<Role>().unwrap_err().field, Some("role"));
    }
}
