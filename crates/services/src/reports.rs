//! Trends for the supervisor: service-level compliance, the frustration of inbound
//! messages and the tone coach's findings, per day or per week.
//!
//! Every figure comes from the event log within a time window, read through indexes
//! (`events(kind, created_at)`, `tickets(updated_at)`) and capped, so the cost follows
//! the window, not the size of the help desk. A computed set is kept for a minute: a
//! dashboard left open and reloaded does not recompute it each time.

use crate::{Actor, Result, ServiceError, Services};
use heard_language::Level;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Tickets whose clocks are replayed for compliance, at most.
const MAX_TICKETS: i64 = 5_000;
/// Events read per kind, at most.
const MAX_EVENTS: i64 = 50_000;
/// How long a computed set of trends is reused.
const FRESH_MS: i64 = 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// The last 14 days, one bucket a day.
    Days,
    /// The last 12 weeks (Monday to Sunday, UTC), one bucket a week.
    Weeks,
}

impl Period {
    pub fn parse(s: Option<&str>) -> Period {
        match s {
            Some("weeks") => Period::Weeks,
            _ => Period::Days,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Days => "days",
            Period::Weeks => "weeks",
        }
    }

    /// Bucket starts, oldest first, the last one containing `now` (UTC).
    fn buckets(self, now: i64) -> Vec<i64> {
        let today = now - now.rem_euclid(DAY_MS);
        match self {
            Period::Days => (0..14).rev().map(|d| today - d * DAY_MS).collect(),
            Period::Weeks => {
                // 1970-01-01 was a Thursday: Mondays are 4 days past a multiple of 7.
                let days = today / DAY_MS;
                let monday = (days - (days - 4).rem_euclid(7)) * DAY_MS;
                (0..12).rev().map(|w| monday - w * 7 * DAY_MS).collect()
            }
        }
    }

    fn width(self) -> i64 {
        match self {
            Period::Days => DAY_MS,
            Period::Weeks => 7 * DAY_MS,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplianceCount {
    /// Targets met and promises kept.
    pub met: u64,
    /// Targets breached and promises broken.
    pub breached: u64,
}

impl ComplianceCount {
    /// Met as a share of what was decided, 0–100.
    pub fn percent(&self) -> Option<u64> {
        let decided = self.met + self.breached;
        (decided > 0).then(|| (self.met * 100 + decided / 2) / decided)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrustrationCount {
    /// Inbound customer messages (new requests and replies).
    pub messages: u64,
    /// Of which frustrated or angry.
    pub upset: u64,
    pub score_sum: u64,
}

impl FrustrationCount {
    pub fn average(&self) -> Option<u64> {
        (self.messages > 0).then(|| (self.score_sum + self.messages / 2) / self.messages)
    }
}

#[derive(Debug, Clone)]
pub struct Bucket {
    pub start_ms: i64,
    pub compliance: ComplianceCount,
    pub frustration: FrustrationCount,
    /// Tone findings in the replies sent, by kind (`condescension`, `jargon`…).
    pub tone: BTreeMap<String, u64>,
    /// Public replies sent by staff.
    pub replies: u64,
    /// Requests opened.
    pub opened: u64,
}

#[derive(Debug, Clone)]
pub struct Trends {
    pub period: Period,
    pub computed_at: i64,
    pub buckets: Vec<Bucket>,
    /// Tickets whose clocks were counted, and whether the cap cut some off.
    pub tickets_counted: usize,
    pub capped: bool,
}

/// Computed trends by period, with when they were computed.
#[derive(Clone, Default)]
pub struct TrendCache(Arc<Mutex<HashMap<Period, Arc<Trends>>>>);

impl Services {
    /// Compliance, frustration and tone per day or week (supervisors).
    pub async fn trends(&self, actor: &Actor, period: Period) -> Result<Arc<Trends>> {
        if !actor.may_view_agents() {
            return Err(ServiceError::forbidden("trends are for supervisors"));
        }
        let now = self.now();
        if let Some(t) = self.trends.0.lock().expect("trend cache").get(&period)
            && now - t.computed_at < FRESH_MS
            && now >= t.computed_at
        {
            return Ok(t.clone());
        }
        let computed = Arc::new(self.compute_trends(period, now).await?);
        self.trends
            .0
            .lock()
            .expect("trend cache")
            .insert(period, computed.clone());
        Ok(computed)
    }

    async fn compute_trends(&self, period: Period, now: i64) -> Result<Trends> {
        let starts = period.buckets(now);
        let since = starts[0];
        let width = period.width();
        let mut buckets: Vec<Bucket> = starts
            .iter()
            .map(|&start_ms| Bucket {
                start_ms,
                compliance: Default::default(),
                frustration: Default::default(),
                tone: BTreeMap::new(),
                replies: 0,
                opened: 0,
            })
            .collect();
        let slot = |at: i64| -> Option<usize> {
            (at >= since && at <= now).then(|| ((at - since) / width) as usize)
        };

        // Service levels: replay the clocks of tickets decided in the window and count
        // each decided cycle on the day (or week) it was decided.
        let logs = self
            .store
            .event_logs_decided_since(since, MAX_TICKETS)
            .await?;
        let mut tickets_counted = 0;
        for log in logs.chunk_by(|a, b| a.ticket_id == b.ticket_id) {
            tickets_counted += 1;
            let clocks = self.clocks_for(log, &[], now).await?;
            for o in &clocks.outcomes {
                if let Some(b) = slot(o.at.as_millisecond()).and_then(|i| buckets.get_mut(i)) {
                    if o.met {
                        b.compliance.met += 1;
                    } else {
                        b.compliance.breached += 1;
                    }
                }
            }
        }

        // Inbound messages carry their frustration score; replies their tone findings.
        let mut capped = tickets_counted as i64 >= MAX_TICKETS;
        for kind in ["created", "replied"] {
            let events = self
                .store
                .events_of_kind_since(kind, since, MAX_EVENTS)
                .await?;
            capped |= events.len() as i64 >= MAX_EVENTS;
            for e in events {
                let Some(b) = slot(e.created_at).and_then(|i| buckets.get_mut(i)) else {
                    continue;
                };
                let data: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
                if kind == "created" {
                    b.opened += 1;
                }
                let from_customer = kind == "created"
                    || data.get("by").and_then(|v| v.as_str()) == Some("customer");
                if from_customer {
                    if let Some(score) = data.get("frustration").and_then(|v| v.as_u64()) {
                        let score = score.min(100);
                        b.frustration.messages += 1;
                        b.frustration.score_sum += score;
                        if matches!(
                            Level::from_score(score as u8),
                            Level::Frustrated | Level::Angry
                        ) {
                            b.frustration.upset += 1;
                        }
                    }
                } else if let Some(findings) = data.get("tone_findings").and_then(|v| v.as_array())
                {
                    b.replies += 1;
                    for f in findings.iter().filter_map(|f| f.as_str()) {
                        *b.tone.entry(f.to_string()).or_default() += 1;
                    }
                }
            }
        }
        Ok(Trends {
            period,
            computed_at: now,
            buckets,
            tickets_counted,
            capped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        // Wednesday 2026-11-25 12:00 UTC.
        let now = jiff::Timestamp::from_second(1_795_608_000)
            .unwrap()
            .as_millisecond();
        let weeks = Period::Weeks.buckets(now);
        assert_eq!(weeks.len(), 12);
        let last = jiff::Timestamp::from_millisecond(*weeks.last().unwrap()).unwrap();
        assert_eq!(last.to_string(), "2026-11-23T00:00:00Z");
        let days = Period::Days.buckets(now);
        assert_eq!(days.len(), 14);
        let today = jiff::Timestamp::from_millisecond(*days.last().unwrap()).unwrap();
        assert_eq!(today.to_string(), "2026-11-25T00:00:00Z");
    }

    #[test]
    fn percentages_round() {
        let c = ComplianceCount {
            met: 2,
            breached: 1,
        };
        assert_eq!(c.percent(), Some(67));
        assert_eq!(ComplianceCount::default().percent(), None);
    }
}
