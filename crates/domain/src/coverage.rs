//! Who could take a ticket at a tier: an escalation must never move a ticket to a tier or
//! team that nobody works, where it would sit unowned without anyone knowing.

/// The highest tier any active agent works at, per team and desk-wide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// (team, highest tier of its agents), for teams with at least one agent.
    pub by_team: Vec<(i64, i64)>,
    /// The highest tier of any agent (a ticket with no team may go to anyone).
    pub anywhere: Option<i64>,
}

impl Coverage {
    /// Whether someone could take a ticket of `team` (or of no team) at `tier`: an agent
    /// of that team at that tier or above, as the router requires.
    pub fn covers(&self, team: Option<i64>, tier: i64) -> bool {
        let top = match team {
            Some(team) => self
                .by_team
                .iter()
                .find(|(t, _)| *t == team)
                .map(|(_, top)| *top),
            None => self.anywhere,
        };
        top.is_some_and(|top| top >= tier)
    }
}

/// How a ticket waiting for a tier nobody works reads on its page and in the alert.
pub fn waiting_line(tier: i64, team: Option<&str>) -> String {
    match team {
        Some(team) => format!("waiting for tier {tier} — nobody on it in {team}"),
        None => format!("waiting for tier {tier} — nobody on it"),
    }
}

/// Why a person's escalation is refused when nobody could take the ticket there.
pub fn nobody_there(tier: i64, team: Option<&str>) -> String {
    let place = match team {
        Some(team) => format!("nobody in {team} works at tier {tier}"),
        None => format!("nobody works at tier {tier}"),
    };
    format!(
        "{place}, so the ticket would wait there with no owner; choose another tier or team, or hand it over to a colleague by name"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_team_without_a_tier_two_agent_does_not_cover_tier_two() {
        let c = Coverage {
            by_team: vec![(1, 1), (2, 3)],
            anywhere: Some(3),
        };
        assert!(c.covers(Some(1), 1));
        assert!(!c.covers(Some(1), 2));
        assert!(c.covers(Some(2), 2));
        assert!(
            !c.covers(Some(9), 1),
            "a team with no agents covers nothing"
        );
        assert!(c.covers(None, 3));
        assert!(!Coverage::default().covers(None, 1));
        assert_eq!(
            waiting_line(2, Some("Platform")),
            "waiting for tier 2 — nobody on it in Platform"
        );
        assert!(
            nobody_there(2, Some("Platform")).starts_with("nobody in Platform works at tier 2")
        );
    }

    proptest! {
        #[test]
        fn covering_a_tier_covers_every_tier_below(top in 1i64..=3, tier in 1i64..=3, team in 1i64..5) {
            let c = Coverage { by_team: vec![(team, top)], anywhere: Some(top) };
            prop_assert_eq!(c.covers(Some(team), tier), tier <= top);
            prop_assert_eq!(c.covers(None, tier), tier <= top);
        }
    }
}
