//! Compliance per policy and team, aggregated from computed clocks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clocks::{TargetClock, TicketClocks};
use crate::policy::TargetKind;

/// Counts for one (policy, team, target). Cycles are counted, so a ticket
/// whose next-update clock ran five times contributes five outcomes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceRow {
    pub policy: String,
    pub team: Option<String>,
    /// `first_response`, `next_update`, `periodic_update`, `resolution` or `promise`.
    pub target: String,
    /// Stopped within target (promises: kept).
    pub met: u64,
    /// Went past target, running or stopped (promises: broken).
    pub breached: u64,
    /// Running, past the warning share, not yet breached.
    pub at_risk: u64,
    /// Running and not yet at risk.
    pub on_track: u64,
    /// Waiting on the customer or a third party.
    pub paused: u64,
}

impl ComplianceRow {
    /// Met as a share of decided outcomes (met + breached), 0–100.
    pub fn compliance_percent(&self) -> Option<f64> {
        let decided = self.met + self.breached;
        (decided > 0).then(|| self.met as f64 * 100.0 / decided as f64)
    }

    fn count(&mut self, c: &TargetClock) {
        self.met += u64::from(c.cycles_met);
        self.breached += u64::from(c.cycles_breached);
        if c.active && !c.breached {
            if c.paused {
                self.paused += 1;
            } else if c.at_risk {
                self.at_risk += 1;
            } else {
                self.on_track += 1;
            }
        }
    }
}

/// Aggregates clocks into rows sorted by policy, team, then target.
pub fn compliance<'a>(tickets: impl IntoIterator<Item = &'a TicketClocks>) -> Vec<ComplianceRow> {
    let mut rows: BTreeMap<(String, Option<String>, &'static str), ComplianceRow> = BTreeMap::new();
    for t in tickets {
        let Some(policy) = &t.policy else { continue };
        let key = |target: &'static str| (policy.clone(), t.team.clone(), target);
        let fresh = |target: &'static str| ComplianceRow {
            policy: policy.clone(),
            team: t.team.clone(),
            target: target.to_owned(),
            ..ComplianceRow::default()
        };
        for kind in TargetKind::ALL {
            if let Some(c) = t.target(kind)
                && c.cycle > 0
            {
                let name = kind.as_str();
                rows.entry(key(name))
                    .or_insert_with(|| fresh(name))
                    .count(c);
            }
        }
        if let Some(p) = &t.promise {
            let r = rows
                .entry(key("promise"))
                .or_insert_with(|| fresh("promise"));
            r.met += u64::from(t.promises_kept);
            r.breached += u64::from(t.promises_broken);
            if p.active && !p.broken {
                if p.at_risk {
                    r.at_risk += 1;
                } else {
                    r.on_track += 1;
                }
            }
        }
    }
    rows.into_values().collect()
}
