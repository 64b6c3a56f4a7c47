//! The balanced scorecard of the desk, a team or an agent per day, week or month: what
//! rewards respectful service, never speed alone. The figures come from the event log
//! (service-level clocks replayed as the dashboard's trends do, reopens, transfers,
//! "had to repeat", tone findings), the surveys and the reviews, decided by the pure
//! `heard_domain::scorecard`; each keeps the tickets behind it.

use crate::export::push_record;
use crate::service_levels::clocks_in;
use crate::{Actor, ErrorCode, Result, ServiceError, Services};
use heard_domain::Role;
use heard_domain::scorecard::{
    DAY_MS, Figure, Granularity, Happened, Happening, PeriodFigures, Rated, Reviewed, Target,
    TicketHistory, days_from_civil, periods, scorecard,
};
use heard_store::{EventRow, ScorecardScope};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// Tickets whose logs are read for one scorecard, at most (the most recently changed).
pub const MAX_TICKETS: i64 = 5_000;
/// Ratings and reviews read, at most.
const MAX_ROWS: i64 = 20_000;
/// Periods on one scorecard, at most.
const MAX_PERIODS: usize = 120;
/// Periods shown when no `from` is given.
const DEFAULT_PERIODS: i64 = 8;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScorecardQuery {
    /// `desk`, `team:ID` or `agent:ID`; by default an agent's own, a supervisor's first
    /// team (or the desk), an admin's desk.
    pub scope: Option<String>,
    /// `day`, `week` (default) or `month`.
    pub period: Option<String>,
    /// First day (`YYYY-MM-DD`, UTC); by default eight periods before `to`.
    pub from: Option<String>,
    /// Day after the last (`YYYY-MM-DD`, UTC, exclusive); by default tomorrow.
    pub to: Option<String>,
}

/// One figure of one period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreFigure {
    /// `satisfaction`, `recovery`, `first_response`, `resolution`, `promises`,
    /// `first_contact`, `reopened`, `transfers`, `had_to_repeat`, `tone`, `review`.
    pub key: String,
    pub label: String,
    /// How `value` reads: `percent` (count of of), `per_ticket`, `per_reply`, `average`
    /// (a review score 0–100) or `count`.
    pub unit: String,
    pub count: u64,
    pub of: u64,
    /// None when there was nothing to count.
    pub value: Option<f64>,
    #[serde(skip)]
    pub counted: Vec<i64>,
    #[serde(skip)]
    pub others: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScorecardPeriod {
    /// First day of the period (UTC).
    pub start: String,
    /// First day after it.
    pub end: String,
    pub figures: Vec<ScoreFigure>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scorecard {
    /// As asked: `desk`, `team:ID` or `agent:ID`.
    pub scope: String,
    /// The desk, the team's or the agent's name.
    pub name: String,
    pub period: String,
    pub from: String,
    pub to: String,
    /// Tickets whose logs were read, and whether the cap left older ones out.
    pub tickets_counted: usize,
    pub capped: bool,
    pub periods: Vec<ScorecardPeriod>,
    #[serde(skip)]
    pub subjects: HashMap<i64, String>,
}

/// A ticket behind a figure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScorecardTicket {
    pub id: i64,
    pub subject: String,
    /// Whether the ticket is in the figure's count (met, satisfied, reopened…) or only
    /// among what it was counted of.
    pub counted: bool,
}

/// Each figure: key, label, unit, and what being counted means (for the ticket lists).
pub const FIGURES: [(&str, &str, &str, &str, &str); 11] = [
    (
        "satisfaction",
        "Satisfaction (rated 4–5)",
        "percent",
        "rated 4 or 5",
        "rated 1 to 3",
    ),
    (
        "recovery",
        "Poor ratings recovered",
        "percent",
        "recovered",
        "not recovered yet",
    ),
    (
        "first_response",
        "First response within target",
        "percent",
        "met",
        "missed",
    ),
    (
        "resolution",
        "Resolution within target",
        "percent",
        "met",
        "missed",
    ),
    ("promises", "Promises kept", "percent", "kept", "broken"),
    (
        "first_contact",
        "First-contact resolution",
        "percent",
        "resolved at first contact",
        "needed more",
    ),
    (
        "reopened",
        "Reopened after resolution",
        "percent",
        "reopened",
        "stayed resolved",
    ),
    (
        "transfers",
        "Transfers per ticket",
        "per_ticket",
        "transferred",
        "not transferred",
    ),
    (
        "had_to_repeat",
        "Customer had to repeat",
        "count",
        "customer repeated",
        "no repeat",
    ),
    (
        "tone",
        "Tone findings per reply sent",
        "per_reply",
        "with findings",
        "without findings",
    ),
    ("review", "Review score", "average", "reviewed", ""),
];

fn figures_of(p: &PeriodFigures) -> [&Figure; 11] {
    [
        &p.satisfaction,
        &p.recovery,
        &p.first_response,
        &p.resolution,
        &p.promises,
        &p.first_contact,
        &p.reopened,
        &p.transfers,
        &p.had_to_repeat,
        &p.tone,
        &p.review,
    ]
}

/// Whose scorecard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Desk,
    Team(i64),
    Agent(i64),
}

impl Scope {
    fn parse(s: &str) -> Result<Scope> {
        let bad = || {
            ServiceError::invalid(
                "scope",
                ErrorCode::InvalidQuery,
                "scope is desk, team:ID or agent:ID",
            )
        };
        let id = |n: &str| n.parse::<i64>().map_err(|_| bad());
        match s.split_once(':') {
            None if s == "desk" => Ok(Scope::Desk),
            Some(("team", n)) => Ok(Scope::Team(id(n)?)),
            Some(("agent", n)) => Ok(Scope::Agent(id(n)?)),
            _ => Err(bad()),
        }
    }

    fn as_string(self) -> String {
        match self {
            Scope::Desk => "desk".into(),
            Scope::Team(id) => format!("team:{id}"),
            Scope::Agent(id) => format!("agent:{id}"),
        }
    }

    fn store(self) -> ScorecardScope {
        match self {
            Scope::Desk => ScorecardScope::default(),
            Scope::Team(id) => ScorecardScope {
                team_id: Some(id),
                agent_id: None,
            },
            Scope::Agent(id) => ScorecardScope {
                team_id: None,
                agent_id: Some(id),
            },
        }
    }
}

/// `YYYY-MM-DD` (UTC midnight) as milliseconds.
fn parse_day(field: &'static str, s: &str) -> Result<i64> {
    s.parse::<jiff::civil::Date>()
        .ok()
        .map(|d| days_from_civil(i64::from(d.year()), d.month() as u32, d.day() as u32) * DAY_MS)
        .ok_or_else(|| {
            ServiceError::invalid(
                field,
                ErrorCode::InvalidQuery,
                format!("{field} is a date such as 2026-11-23"),
            )
        })
}

fn day(ms: i64) -> String {
    crate::views::rfc3339(ms).chars().take(10).collect()
}

/// The event log as the scorecard reads it, with the service-level outcomes replayed
/// from the same log.
fn history(ticket_id: i64, log: &[EventRow], outcomes: &[heard_sla::Outcome]) -> TicketHistory {
    let closed = |s: Option<&str>| matches!(s, Some("resolved" | "closed"));
    let mut out: Vec<Happened> = log
        .iter()
        .filter_map(|e| {
            let data: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
            let s = |k: &str| data.get(k).and_then(|v| v.as_str());
            let what = match e.kind.as_str() {
                "replied" if s("by") == Some("customer") => Happening::CustomerMessage,
                "replied" => Happening::StaffReply {
                    by: e.actor_id,
                    tone_findings: data
                        .get("tone_findings")
                        .and_then(|v| v.as_array())
                        .map_or(0, |a| a.len() as u32),
                },
                "status_changed" => Happening::StatusChanged {
                    from_closed: closed(s("from")),
                    to_closed: closed(s("to")),
                },
                // The moves that count in a ticket's `transfers`.
                "escalated" | "handed_over" | "taken_over" => Happening::Transferred,
                "had_to_repeat" => Happening::HadToRepeat,
                _ => return None,
            };
            Some(Happened {
                at: e.created_at,
                what,
            })
        })
        .collect();
    out.extend(outcomes.iter().filter_map(|o| {
        let target = match o.target.as_str() {
            "first_response" => Target::FirstResponse,
            "resolution" => Target::Resolution,
            "promise" => Target::Promise,
            _ => return None,
        };
        Some(Happened {
            at: o.at.as_millisecond(),
            what: Happening::Decided { target, met: o.met },
        })
    }));
    // Stable: an outcome decided by an event sorts after it.
    out.sort_by_key(|h| h.at);
    TicketHistory {
        ticket_id,
        log: out,
    }
}

impl Services {
    /// Whose scorecard `actor` asked for, if they may see it: agents their own,
    /// supervisors their teams and those teams' agents (a supervisor in no team oversees
    /// the whole desk), admins everything.
    async fn scorecard_scope(&self, actor: &Actor, asked: Option<&str>) -> Result<Scope> {
        let scope = match asked {
            Some(s) => Scope::parse(s)?,
            None => match actor.role {
                Role::Agent => Scope::Agent(actor.user_id),
                Role::Supervisor => actor
                    .team_ids
                    .first()
                    .map_or(Scope::Desk, |&t| Scope::Team(t)),
                _ => Scope::Desk,
            },
        };
        let whole_desk = actor.role == Role::Admin
            || (actor.role == Role::Supervisor && actor.team_ids.is_empty());
        let allowed = match (actor.role, scope) {
            (Role::Customer, _) => {
                return Err(ServiceError::forbidden("the scorecard is for staff"));
            }
            (_, Scope::Agent(id)) if id == actor.user_id => true,
            _ if whole_desk => true,
            (Role::Supervisor, Scope::Team(t)) => actor.team_ids.contains(&t),
            (Role::Supervisor, Scope::Agent(id)) => {
                let theirs = self.store.team_ids_of(id).await?;
                theirs.iter().any(|t| actor.team_ids.contains(t))
            }
            _ => false,
        };
        match scope {
            _ if allowed => Ok(scope),
            Scope::Desk => Err(ServiceError::forbidden(
                "the desk's scorecard is for admins and supervisors",
            )),
            Scope::Team(_) => Err(ServiceError::not_found("team", ErrorCode::TeamNotFound)),
            Scope::Agent(_) => Err(ServiceError::not_found("agent", ErrorCode::AgentNotFound)),
        }
    }

    async fn scope_name(&self, scope: Scope) -> Result<String> {
        Ok(match scope {
            Scope::Desk => "The whole desk".into(),
            Scope::Team(id) => self
                .store
                .teams()
                .await?
                .into_iter()
                .find(|t| t.id == id)
                .map(|t| t.name)
                .ok_or_else(|| ServiceError::not_found("team", ErrorCode::TeamNotFound))?,
            Scope::Agent(id) => self
                .store
                .user(id)
                .await?
                .filter(|u| u.role != "customer")
                .map(|u| u.name)
                .ok_or_else(|| ServiceError::not_found("agent", ErrorCode::AgentNotFound))?,
        })
    }

    /// The balanced scorecard for `q` (see [`ScorecardQuery`]).
    pub async fn scorecard(&self, actor: &Actor, q: &ScorecardQuery) -> Result<Scorecard> {
        let scope = self.scorecard_scope(actor, q.scope.as_deref()).await?;
        let g = match q.period.as_deref() {
            None => Granularity::Week,
            Some(p) => Granularity::parse(p).ok_or_else(|| {
                ServiceError::invalid(
                    "period",
                    ErrorCode::InvalidQuery,
                    "period is day, week or month",
                )
            })?,
        };
        let now = self.now();
        let to = match q.to.as_deref() {
            Some(s) => parse_day("to", s)?,
            None => now - now.rem_euclid(DAY_MS) + DAY_MS,
        };
        let from = match q.from.as_deref() {
            Some(s) => parse_day("from", s)?,
            None => {
                let mut start = g.start_of(to - 1);
                for _ in 1..DEFAULT_PERIODS {
                    start = g.start_of(start - 1);
                }
                start
            }
        };
        if from >= to {
            return Err(ServiceError::invalid(
                "from",
                ErrorCode::InvalidQuery,
                "from is before to",
            ));
        }
        let spans = periods(g, from, to, usize::MAX);
        if spans.len() > MAX_PERIODS {
            return Err(ServiceError::invalid(
                "from",
                ErrorCode::InvalidQuery,
                format!(
                    "at most {MAX_PERIODS} periods at once; choose a later from or a longer period"
                ),
            ));
        }
        let (start, end) = (spans[0].0, spans[spans.len() - 1].1);
        let name = self.scope_name(scope).await?;
        let s = scope.store();
        let tickets = self
            .store
            .scorecard_tickets(s, start, end, MAX_TICKETS)
            .await?;
        let logs = self
            .store
            .scorecard_logs(s, start, end, MAX_TICKETS)
            .await?;
        let ratings = self
            .store
            .scorecard_ratings(s, start, end, MAX_ROWS)
            .await?;
        let reviews = self
            .store
            .scorecard_reviews(s, start, end, MAX_ROWS)
            .await?;

        let book = self.policy_book().await?;
        let histories: Vec<TicketHistory> = logs
            .chunk_by(|a, b| a.ticket_id == b.ticket_id)
            .map(|log| {
                let clocks = clocks_in(&book, log, &[], now);
                history(log[0].ticket_id, log, &clocks.outcomes)
            })
            .collect();
        let rated: Vec<Rated> = ratings
            .iter()
            .map(|r| Rated {
                ticket_id: r.ticket_id,
                at: r.updated_at,
                rating: r.rating.clamp(1, 5) as u8,
                recovered: r.recovery == "done",
            })
            .collect();
        let reviewed: Vec<Reviewed> = reviews
            .iter()
            .map(|r| Reviewed {
                ticket_id: r.ticket_id,
                at: r.created_at,
                score: r.score.map(|s| s.clamp(0, 100) as u8),
            })
            .collect();
        let agent = match scope {
            Scope::Agent(id) => Some(id),
            _ => None,
        };
        let figures = scorecard(&spans, agent, &histories, &rated, &reviewed);

        let mut subjects: HashMap<i64, String> =
            tickets.into_iter().map(|t| (t.id, t.subject)).collect();
        subjects.extend(ratings.into_iter().map(|r| (r.ticket_id, r.subject)));
        subjects.extend(reviews.into_iter().map(|r| (r.ticket_id, r.subject)));
        Ok(Scorecard {
            scope: scope.as_string(),
            name,
            period: g.as_str().into(),
            from: day(start),
            to: day(end),
            tickets_counted: histories.len(),
            capped: histories.len() as i64 >= MAX_TICKETS,
            periods: figures
                .iter()
                .map(|p| ScorecardPeriod {
                    start: day(p.start),
                    end: day(p.end),
                    figures: figures_of(p)
                        .into_iter()
                        .zip(FIGURES)
                        .map(|(f, (key, label, unit, _, _))| ScoreFigure {
                            key: key.into(),
                            label: label.into(),
                            unit: unit.into(),
                            count: f.count,
                            of: f.of,
                            value: match unit {
                                "percent" => f.percent().map(|p| p as f64),
                                "count" => (f.of > 0).then_some(f.count as f64),
                                _ => f.per(),
                            },
                            counted: f.counted.iter().copied().collect(),
                            others: f.others.iter().copied().collect(),
                        })
                        .collect(),
                })
                .collect(),
            subjects,
        })
    }

    /// The tickets behind one figure over `q`'s periods (those counted first).
    pub async fn scorecard_tickets(
        &self,
        actor: &Actor,
        q: &ScorecardQuery,
        figure: &str,
    ) -> Result<Vec<ScorecardTicket>> {
        let k = FIGURES.iter().position(|f| f.0 == figure).ok_or_else(|| {
            ServiceError::invalid(
                "figure",
                ErrorCode::InvalidQuery,
                "no such figure on the scorecard",
            )
        })?;
        let card = self.scorecard(actor, q).await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for counted in [true, false] {
            for p in &card.periods {
                let f = &p.figures[k];
                for &id in if counted { &f.counted } else { &f.others } {
                    if seen.insert(id) {
                        out.push(ScorecardTicket {
                            id,
                            subject: card.subjects.get(&id).cloned().unwrap_or_default(),
                            counted,
                        });
                    }
                }
            }
        }
        Ok(out)
    }
}

impl Scorecard {
    /// One row per period and figure.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        push_record(
            &mut out,
            &[
                "scope",
                "period_start",
                "period_end",
                "figure",
                "unit",
                "count",
                "of",
                "value",
            ],
        );
        for p in &self.periods {
            for f in &p.figures {
                push_record(
                    &mut out,
                    &[
                        self.scope.clone(),
                        p.start.clone(),
                        p.end.clone(),
                        f.key.clone(),
                        f.unit.clone(),
                        f.count.to_string(),
                        f.of.to_string(),
                        f.value.map(|v| v.to_string()).unwrap_or_default(),
                    ],
                );
            }
        }
        out
    }
}
