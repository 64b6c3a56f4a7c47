//! Service-level policies, their conditions, and the book that holds them
//! with the calendars they count in.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::calendar::BusinessCalendar;

/// Ticket priority as the policies see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

/// The ticket facts a policy can be chosen by.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketAttributes {
    pub priority: Option<Priority>,
    /// `email`, `portal`, `chat`, `phone`, `api`, … (free text, compared exactly).
    pub channel: Option<String>,
    pub team: Option<String>,
    pub organization: Option<String>,
    pub customer_tier: Option<String>,
}

/// When a policy applies. Each non-empty list must contain the ticket's value
/// (AND across fields, OR within a field); an empty list matches anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Conditions {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<Priority>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organizations: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
}

impl Conditions {
    /// Does a ticket with these attributes meet every condition?
    pub fn matches(&self, t: &TicketAttributes) -> bool {
        fn field<T: PartialEq>(wanted: &[T], have: Option<&T>) -> bool {
            wanted.is_empty() || have.is_some_and(|h| wanted.contains(h))
        }
        field(&self.priorities, t.priority.as_ref())
            && field(&self.channels, t.channel.as_ref())
            && field(&self.teams, t.team.as_ref())
            && field(&self.organizations, t.organization.as_ref())
            && field(&self.tiers, t.customer_tier.as_ref())
    }
}

/// Targets in business minutes of the policy's calendar; `None` = not measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Targets {
    pub first_response: Option<u32>,
    pub next_update: Option<u32>,
    pub periodic_update: Option<u32>,
    pub resolution: Option<u32>,
}

/// The four measured targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    FirstResponse,
    NextUpdate,
    PeriodicUpdate,
    Resolution,
}

impl TargetKind {
    pub const ALL: [TargetKind; 4] = [
        TargetKind::FirstResponse,
        TargetKind::NextUpdate,
        TargetKind::PeriodicUpdate,
        TargetKind::Resolution,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::FirstResponse => "first_response",
            TargetKind::NextUpdate => "next_update",
            TargetKind::PeriodicUpdate => "periodic_update",
            TargetKind::Resolution => "resolution",
        }
    }
}

impl Targets {
    /// The target for one kind, in business minutes.
    pub fn get(&self, kind: TargetKind) -> Option<u32> {
        match kind {
            TargetKind::FirstResponse => self.first_response,
            TargetKind::NextUpdate => self.next_update,
            TargetKind::PeriodicUpdate => self.periodic_update,
            TargetKind::Resolution => self.resolution,
        }
    }
}

fn default_warn() -> u8 {
    75
}

/// A service-level policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub conditions: Conditions,
    pub targets: Targets,
    /// Calendar id; `None` counts in the ticket's team calendar (or the book's
    /// default calendar when the team has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// The owner is warned when this share of a target (or of a promise's
    /// span) has elapsed.
    #[serde(default = "default_warn")]
    pub warn_at_percent: u8,
    /// Also pause first response and next update while pending (off by
    /// default: see the README on pauses).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pause_reply_targets: bool,
}

/// The stored form of a [`PolicyBook`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyBookSpec {
    pub calendars: BTreeMap<String, BusinessCalendar>,
    pub default_calendar: String,
    #[serde(default)]
    pub team_calendars: BTreeMap<String, String>,
    /// In order: the first whose conditions match wins.
    pub policies: Vec<SlaPolicy>,
    /// Applies when no policy matches, and to logs naming an unknown policy.
    pub default_policy: String,
}

/// Why a policy book was refused, naming the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("{field}: unknown calendar {id:?}")]
    UnknownCalendar { field: String, id: String },
    #[error("default_policy: unknown policy {0:?}")]
    UnknownDefaultPolicy(String),
    #[error("policies[{0}].id: duplicate policy id")]
    DuplicateId(usize),
    #[error("policies[{0}].warn_at_percent: must be 1 to 99")]
    BadWarnPercent(usize),
    #[error("policies[{index}].targets.{target}: must be at least one minute")]
    ZeroTarget { index: usize, target: &'static str },
}

impl PolicyError {
    /// The JSON path of the field at fault.
    pub fn field(&self) -> String {
        match self {
            PolicyError::UnknownCalendar { field, .. } => field.clone(),
            PolicyError::UnknownDefaultPolicy(_) => "default_policy".into(),
            PolicyError::DuplicateId(i) => format!("policies[{i}].id"),
            PolicyError::BadWarnPercent(i) => format!("policies[{i}].warn_at_percent"),
            PolicyError::ZeroTarget { index, target } => {
                format!("policies[{index}].targets.{target}")
            }
        }
    }
}

/// Policies in order, the calendars they count in, and which calendar each
/// team works to. Validated: every reference resolves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PolicyBookSpec", into = "PolicyBookSpec")]
pub struct PolicyBook {
    spec: PolicyBookSpec,
    default_policy: usize,
}

impl TryFrom<PolicyBookSpec> for PolicyBook {
    type Error = PolicyError;
    fn try_from(spec: PolicyBookSpec) -> Result<Self, Self::Error> {
        PolicyBook::new(spec)
    }
}

impl From<PolicyBook> for PolicyBookSpec {
    fn from(b: PolicyBook) -> Self {
        b.spec
    }
}

impl PolicyBook {
    pub fn new(spec: PolicyBookSpec) -> Result<PolicyBook, PolicyError> {
        let known = |id: &str, field: String| {
            if spec.calendars.contains_key(id) {
                Ok(())
            } else {
                Err(PolicyError::UnknownCalendar {
                    field,
                    id: id.to_owned(),
                })
            }
        };
        known(&spec.default_calendar, "default_calendar".into())?;
        for (team, cal) in &spec.team_calendars {
            known(cal, format!("team_calendars.{team}"))?;
        }
        let mut ids = BTreeSet::new();
        for (i, p) in spec.policies.iter().enumerate() {
            if !ids.insert(p.id.as_str()) {
                return Err(PolicyError::DuplicateId(i));
            }
            if let Some(c) = &p.calendar {
                known(c, format!("policies[{i}].calendar"))?;
            }
            if !(1..=99).contains(&p.warn_at_percent) {
                return Err(PolicyError::BadWarnPercent(i));
            }
            for k in TargetKind::ALL {
                if p.targets.get(k) == Some(0) {
                    return Err(PolicyError::ZeroTarget {
                        index: i,
                        target: k.as_str(),
                    });
                }
            }
        }
        let default_policy = spec
            .policies
            .iter()
            .position(|p| p.id == spec.default_policy)
            .ok_or_else(|| PolicyError::UnknownDefaultPolicy(spec.default_policy.clone()))?;
        Ok(PolicyBook {
            spec,
            default_policy,
        })
    }

    /// A book with one calendar and one policy: handy for tests and demos.
    pub fn single(calendar: BusinessCalendar, policy: SlaPolicy) -> PolicyBook {
        let mut p = policy;
        p.calendar = None;
        let id = p.id.clone();
        PolicyBook::new(PolicyBookSpec {
            calendars: BTreeMap::from([("default".to_owned(), calendar)]),
            default_calendar: "default".into(),
            team_calendars: BTreeMap::new(),
            policies: vec![p],
            default_policy: id,
        })
        .expect("a single policy with a known calendar is valid")
    }

    pub fn spec(&self) -> &PolicyBookSpec {
        &self.spec
    }

    /// The default policy.
    pub fn default_policy(&self) -> &SlaPolicy {
        &self.spec.policies[self.default_policy]
    }

    /// The first policy, in order, whose conditions match; else the default.
    pub fn select(&self, ticket: &TicketAttributes) -> &SlaPolicy {
        self.spec
            .policies
            .iter()
            .find(|p| p.conditions.matches(ticket))
            .unwrap_or_else(|| self.default_policy())
    }

    /// A policy by id.
    pub fn policy(&self, id: &str) -> Option<&SlaPolicy> {
        self.spec.policies.iter().find(|p| p.id == id)
    }

    /// The policy by id, falling back to the default for ids no longer in the
    /// book (a deleted policy must not break the clocks of old tickets).
    pub fn policy_or_default(&self, id: &str) -> &SlaPolicy {
        self.policy(id).unwrap_or_else(|| self.default_policy())
    }

    /// The calendar a policy counts in for a ticket of `team`: the policy's
    /// own, else the team's, else the book's default.
    pub fn calendar_for(&self, policy: &SlaPolicy, team: Option<&str>) -> &BusinessCalendar {
        let id = policy
            .calendar
            .as_deref()
            .or_else(|| {
                team.and_then(|t| self.spec.team_calendars.get(t))
                    .map(String::as_str)
            })
            .unwrap_or(&self.spec.default_calendar);
        self.spec
            .calendars
            .get(id)
            .unwrap_or_else(|| &self.spec.calendars[&self.spec.default_calendar])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(id: &str, conditions: Conditions, first_response: u32) -> SlaPolicy {
        SlaPolicy {
            id: id.into(),
            name: id.into(),
            conditions,
            targets: Targets {
                first_response: Some(first_response),
                ..Targets::default()
            },
            calendar: None,
            warn_at_percent: 75,
            pause_reply_targets: false,
        }
    }

    fn book() -> PolicyBook {
        let utc = BusinessCalendar::always_open("UTC").unwrap();
        let berlin = BusinessCalendar::always_open("Europe/Berlin").unwrap();
        PolicyBook::new(PolicyBookSpec {
            calendars: BTreeMap::from([("utc".into(), utc), ("berlin".into(), berlin)]),
            default_calendar: "utc".into(),
            team_calendars: BTreeMap::from([("emea".into(), "berlin".into())]),
            policies: vec![
                policy(
                    "vip-urgent",
                    Conditions {
                        priorities: vec![Priority::Urgent],
                        tiers: vec!["gold".into()],
                        ..Conditions::default()
                    },
                    30,
                ),
                policy(
                    "chat",
                    Conditions {
                        channels: vec!["chat".into()],
                        ..Conditions::default()
                    },
                    10,
                ),
                policy("standard", Conditions::default(), 480),
            ],
            default_policy: "standard".into(),
        })
        .unwrap()
    }

    #[test]
    fn first_match_wins_in_order() {
        let b = book();
        let mut t = TicketAttributes {
            priority: Some(Priority::Urgent),
            channel: Some("chat".into()),
            customer_tier: Some("gold".into()),
            ..TicketAttributes::default()
        };
        assert_eq!(b.select(&t).id, "vip-urgent");
        t.customer_tier = Some("silver".into());
        assert_eq!(b.select(&t).id, "chat");
        t.channel = Some("email".into());
        assert_eq!(b.select(&t).id, "standard");
        assert_eq!(b.select(&TicketAttributes::default()).id, "standard");
    }

    #[test]
    fn calendar_resolution_policy_then_team_then_default() {
        let b = book();
        let p = b.policy("standard").unwrap();
        assert_eq!(b.calendar_for(p, Some("emea")).zone(), "Europe/Berlin");
        assert_eq!(b.calendar_for(p, Some("apac")).zone(), "UTC");
        assert_eq!(b.calendar_for(p, None).zone(), "UTC");
        assert_eq!(b.policy_or_default("deleted").id, "standard");
    }

    #[test]
    fn rejects_dangling_references_naming_the_field() {
        let mut spec = book().spec().clone();
        spec.team_calendars.insert("amer".into(), "nyc".into());
        let err = PolicyBook::new(spec).unwrap_err();
        assert_eq!(err.field(), "team_calendars.amer");
        let mut spec = book().spec().clone();
        spec.policies[1].targets.first_response = Some(0);
        assert_eq!(
            PolicyBook::new(spec).unwrap_err().field(),
            "policies[1].targets.first_response"
        );
        let mut spec = book().spec().clone();
        spec.default_policy = "gone".into();
        assert_eq!(PolicyBook::new(spec).unwrap_err().field(), "default_policy");
    }

    #[test]
    fn book_round_trips_through_json() {
        let b = book();
        let json = serde_json::to_string(&b).unwrap();
        let back: PolicyBook = serde_json::from_str(&json).unwrap();
        assert_eq!(back, b);
    }
}
