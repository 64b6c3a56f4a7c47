//! A ticket's service-level clocks, computed from its event log.
//!
//! The log is replayed in time order against the *current* policy book, so
//! editing a policy needs no batch rewrite: the next computation uses it. The
//! semantics are written down in the crate's README ("Clock semantics").

use serde::{Deserialize, Serialize};

use jiff::Timestamp;

use crate::calendar::{BusinessCalendar, secs, ts};
use crate::policy::{PolicyBook, SlaPolicy, TargetKind};

/// Ticket status as the clocks see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Open,
    PendingCustomer,
    PendingThirdParty,
    Resolved,
    Closed,
}

impl Status {
    /// Waiting on someone other than us: pausable clocks stop counting.
    pub fn is_pending(self) -> bool {
        matches!(self, Status::PendingCustomer | Status::PendingThirdParty)
    }

    fn is_done(self) -> bool {
        matches!(self, Status::Resolved | Status::Closed)
    }
}

/// What happened, as far as the clocks care. Channels are recorded but every
/// channel counts the same (see the README).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SlaEventKind {
    /// The ticket was opened under `policy` for `team`.
    Created {
        policy: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        team: Option<String>,
    },
    /// A message from the customer, on any channel.
    CustomerMessage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
    /// A public reply by a person on our side, on any channel (a logged phone
    /// call counts).
    AgentPublicReply {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
    /// Internal notes never count as a response.
    InternalNote,
    /// Automatic acknowledgements never count as a response.
    AutomatedReply,
    StatusChanged {
        to: Status,
    },
    /// Same as a status change from resolved/closed to open.
    Reopened,
    /// The third party we waited on answered.
    ThirdPartyReply,
    /// The ticket now falls under another policy (e.g. priority raised).
    PolicyChanged {
        policy: String,
    },
    /// The ticket moved to another team (its calendar may change).
    TeamChanged {
        #[serde(default)]
        team: Option<String>,
    },
    /// This ticket was merged into another and is closed.
    MergedInto,
    /// Another ticket was merged into this one; `oldest_unanswered` is the
    /// time of the merged ticket's oldest customer message still unanswered.
    MergedFrom {
        #[serde(default)]
        oldest_unanswered: Option<Timestamp>,
    },
    /// An agent promised the customer an update by `due_at` (wall-clock).
    Promise {
        due_at: Timestamp,
    },
}

/// One entry of a ticket's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaEvent {
    pub at: Timestamp,
    #[serde(flatten)]
    pub kind: SlaEventKind,
}

impl SlaEvent {
    pub fn new(at: Timestamp, kind: SlaEventKind) -> SlaEvent {
        SlaEvent { at, kind }
    }
}

/// One target's current (or last) cycle. First response and resolution have
/// one cycle; next update and periodic update start a new cycle each time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetClock {
    pub target_minutes: u32,
    /// 1 for the first cycle; 0 = never started. With the target kind it keys
    /// warnings and breaches, so each fires once.
    pub cycle: u32,
    /// Started and not stopped (running or paused).
    pub active: bool,
    pub paused: bool,
    pub started_at: Option<Timestamp>,
    /// When the active, unpaused cycle falls (or fell) due. `None` when paused
    /// (the due time depends on when the wait ends) or stopped.
    pub due_at: Option<Timestamp>,
    /// When the owner is (or was) warned for the active, unpaused cycle.
    pub warn_at: Option<Timestamp>,
    pub elapsed_minutes: i64,
    /// Negative once over the target.
    pub remaining_minutes: i64,
    pub warned_at: Option<Timestamp>,
    pub breached_at: Option<Timestamp>,
    pub stopped_at: Option<Timestamp>,
    /// The cycle went past its target (running or stopped).
    pub breached: bool,
    /// The cycle stopped within its target.
    pub met: bool,
    /// Active, past the warning share, not yet breached.
    pub at_risk: bool,
    /// Over the ticket's life, cycles stopped within target / breached.
    pub cycles_met: u32,
    pub cycles_breached: u32,
}

/// The current (or last) explicit promise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromiseClock {
    /// Counts promises made on the ticket; keys its alerts.
    pub number: u32,
    pub made_at: Timestamp,
    pub due_at: Timestamp,
    pub warn_at: Timestamp,
    pub active: bool,
    pub kept: bool,
    pub broken: bool,
    pub at_risk: bool,
}

/// One decided cycle, and when it was decided: a target met (stopped within it) or
/// breached (the instant it went past), a promise kept or broken. Charts of compliance
/// over time count these by day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// `first_response`, `next_update`, `periodic_update`, `resolution` or `promise`.
    pub target: String,
    pub at: Timestamp,
    pub met: bool,
}

/// Which clock sets the customer-visible `next_update_due`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueSource {
    FirstResponse,
    NextUpdate,
    PeriodicUpdate,
    Promise,
    Resolution,
}

/// Everything the ticket JSON, the alert job and the reports need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketClocks {
    pub computed_at: Timestamp,
    /// Policy in force (`None` before the `Created` event).
    pub policy: Option<String>,
    pub team: Option<String>,
    pub status: Option<Status>,
    pub first_response: Option<TargetClock>,
    pub next_update: Option<TargetClock>,
    pub periodic_update: Option<TargetClock>,
    pub resolution: Option<TargetClock>,
    pub promise: Option<PromiseClock>,
    pub promises_kept: u32,
    pub promises_broken: u32,
    /// What the customer sees: when they will hear from us next.
    pub next_update_due: Option<Timestamp>,
    pub next_update_source: Option<DueSource>,
    /// Share of warning, per policy, for promises too.
    pub warn_at_percent: u8,
    /// Every decided cycle over the ticket's life, in the order decided.
    #[serde(default)]
    pub outcomes: Vec<Outcome>,
}

impl TicketClocks {
    /// The earliest due time of anything running (all four targets and the
    /// open promise), overdue ones included: what the agent's queue sorts by
    /// (see [`crate::queue_rank`]). Unlike `next_update_due` it includes the
    /// resolution target even when an update is due sooner.
    pub fn earliest_due(&self) -> Option<Timestamp> {
        let targets = TargetKind::ALL
            .into_iter()
            .filter_map(|k| self.target(k)?.due_at);
        let promise = self.promise.as_ref().filter(|p| p.active).map(|p| p.due_at);
        targets.chain(promise).min()
    }

    /// Since when the customer has been waiting for an answer (the start of
    /// the running first-response or next-update cycle): what a merge passes
    /// on in `merged_from`.
    pub fn oldest_unanswered(&self) -> Option<Timestamp> {
        [&self.first_response, &self.next_update]
            .into_iter()
            .flatten()
            .filter(|c| c.active)
            .filter_map(|c| c.started_at)
            .min()
    }

    /// A target's clock by kind.
    pub fn target(&self, kind: TargetKind) -> Option<&TargetClock> {
        match kind {
            TargetKind::FirstResponse => self.first_response.as_ref(),
            TargetKind::NextUpdate => self.next_update.as_ref(),
            TargetKind::PeriodicUpdate => self.periodic_update.as_ref(),
            TargetKind::Resolution => self.resolution.as_ref(),
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Run {
    cycle: u32,
    active: bool,
    started: i64,
    elapsed: i64,
    warned_at: Option<i64>,
    breached_at: Option<i64>,
    stopped_at: Option<i64>,
    met: bool,
    cycles_met: u32,
    cycles_breached: u32,
}

#[derive(Clone, Debug)]
struct PromiseState {
    number: u32,
    made: i64,
    due: i64,
    active: bool,
    kept: bool,
    broken: bool,
}

const FR: usize = 0;
const NU: usize = 1;
const PU: usize = 2;
const RES: usize = 3;

/// Reply-driven clocks (first response, next update) do not pause by default:
/// a status change is not an answer, and pausing them would let a ticket set
/// to "pending" hide an unanswered customer. A policy can opt in with
/// `pause_reply_targets`.
fn pausable(k: usize) -> bool {
    k == PU || k == RES
}

fn warn_share(target: i64, pct: u8) -> i64 {
    target * i64::from(pct) / 100
}

struct Engine<'a> {
    book: &'a PolicyBook,
    policy: &'a SlaPolicy,
    calendar: &'a BusinessCalendar,
    team: Option<String>,
    status: Status,
    created: bool,
    replied: bool,
    last: i64,
    runs: [Run; 4],
    promise: Option<PromiseState>,
    promises_made: u32,
    promises_kept: u32,
    promises_broken: u32,
    /// (target index, or `PROMISE`; instant; met).
    outcomes: Vec<(usize, i64, bool)>,
}

/// The outcome index of promises, after the four targets.
const PROMISE: usize = 4;

fn outcome_name(k: usize) -> &'static str {
    match TargetKind::ALL.get(k) {
        Some(kind) => kind.as_str(),
        None => "promise",
    }
}

impl<'a> Engine<'a> {
    fn target_secs(&self, k: usize) -> Option<i64> {
        self.policy
            .targets
            .get(TargetKind::ALL[k])
            .map(|m| i64::from(m) * 60)
    }

    fn paused(&self, k: usize) -> bool {
        (pausable(k) || self.policy.pause_reply_targets) && self.status.is_pending()
    }

    /// Counts business time from `last` to `to` on every running clock and
    /// records the instants thresholds were crossed.
    fn advance(&mut self, to: i64) {
        if to <= self.last {
            return;
        }
        if self.created {
            let (from, cal, pct) = (self.last, self.calendar, self.policy.warn_at_percent);
            let mut gained: Option<i64> = None;
            for k in 0..4 {
                if !self.runs[k].active || self.paused(k) {
                    continue;
                }
                let target = self.target_secs(k);
                // Every running clock counts in the same calendar: compute once.
                let add = *gained.get_or_insert_with(|| cal.between_secs(from, to));
                let run = &mut self.runs[k];
                let before = run.elapsed;
                run.elapsed += add;
                if let Some(t) = target {
                    let cross = |threshold: i64| {
                        if before >= threshold {
                            from
                        } else {
                            cal.add_secs(from, threshold - before)
                        }
                    };
                    if run.warned_at.is_none() && run.elapsed >= warn_share(t, pct) {
                        run.warned_at = Some(cross(warn_share(t, pct)));
                    }
                    if run.breached_at.is_none() && run.elapsed >= t {
                        let at = cross(t);
                        run.breached_at = Some(at);
                        run.cycles_breached += 1;
                        self.outcomes.push((k, at, false));
                    }
                }
            }
            if let Some(p) = &mut self.promise {
                // Reaching the due instant without a reply breaks the promise.
                if p.active && !p.broken && p.due <= to {
                    p.broken = true;
                    self.promises_broken += 1;
                    self.outcomes.push((PROMISE, p.due, false));
                }
            }
        }
        self.last = to;
    }

    fn start(&mut self, k: usize, at: i64) {
        let run = &mut self.runs[k];
        run.cycle += 1;
        run.active = true;
        run.started = at;
        run.elapsed = 0;
        run.warned_at = None;
        run.breached_at = None;
        run.stopped_at = None;
        run.met = false;
    }

    /// Stops a cycle. `answered` stops count as met when not breached;
    /// otherwise the cycle is cancelled (neither met nor, unless it already
    /// was, breached).
    fn stop(&mut self, k: usize, at: i64, answered: bool) {
        let has_target = self.target_secs(k).is_some();
        let run = &mut self.runs[k];
        if !run.active {
            return;
        }
        run.active = false;
        run.stopped_at = Some(at);
        run.met = answered && run.breached_at.is_none() && has_target;
        if run.met {
            run.cycles_met += 1;
            self.outcomes.push((k, at, true));
        }
    }

    fn end_promise(&mut self, kept: bool, at: i64) {
        if let Some(p) = &mut self.promise
            && p.active
        {
            p.active = false;
            if kept && !p.broken {
                p.kept = true;
                self.promises_kept += 1;
                self.outcomes.push((PROMISE, at, true));
            }
        }
    }

    fn resolve(&mut self, at: i64) {
        self.stop(RES, at, true);
        for k in [FR, NU, PU] {
            self.stop(k, at, false);
        }
        self.end_promise(false, at);
        self.status = Status::Resolved;
    }

    fn reopen(&mut self, at: i64) {
        self.status = Status::Open;
        let run = &mut self.runs[RES];
        if !run.active && run.cycle > 0 {
            // The problem was not solved after all: the same resolution cycle
            // goes on, keeping its elapsed time; a "met" is withdrawn.
            if run.met {
                run.cycles_met -= 1;
                if let Some(i) = self.outcomes.iter().rposition(|o| o.0 == RES && o.2) {
                    self.outcomes.remove(i);
                }
            }
            run.met = false;
            run.active = true;
            run.stopped_at = None;
        }
        if self.replied {
            self.start(PU, at);
        }
    }

    fn set_calendar(&mut self) {
        self.calendar = self.book.calendar_for(self.policy, self.team.as_deref());
    }

    fn apply(&mut self, at: i64, kind: &SlaEventKind) {
        if let SlaEventKind::Created { policy, team } = kind {
            if !self.created {
                self.created = true;
                self.policy = self.book.policy_or_default(policy);
                self.team = team.clone();
                self.set_calendar();
                self.status = Status::New;
                self.start(FR, at);
                self.start(RES, at);
            }
            return;
        }
        if !self.created
            || (self.status == Status::Closed
                && !matches!(
                    kind,
                    SlaEventKind::StatusChanged { .. } | SlaEventKind::Reopened
                ))
        {
            return;
        }
        match kind {
            SlaEventKind::Created { .. } => {}
            SlaEventKind::CustomerMessage { .. } => {
                match self.status {
                    Status::Resolved => self.reopen(at),
                    Status::PendingCustomer => self.status = Status::Open,
                    _ => {}
                }
                // The oldest unanswered message sets the pace: writing again
                // never pushes the due time later.
                if !self.runs[FR].active && !self.runs[NU].active {
                    self.start(NU, at);
                }
            }
            SlaEventKind::AgentPublicReply { .. } => {
                self.replied = true;
                self.stop(FR, at, true);
                self.stop(NU, at, true);
                self.stop(PU, at, true);
                if !self.status.is_done() {
                    self.start(PU, at);
                }
                if self.status == Status::New {
                    self.status = Status::Open;
                }
                self.end_promise(true, at);
            }
            SlaEventKind::InternalNote | SlaEventKind::AutomatedReply => {}
            SlaEventKind::StatusChanged { to } => self.change_status(at, *to),
            SlaEventKind::Reopened => {
                if self.status.is_done() {
                    self.reopen(at);
                }
            }
            SlaEventKind::ThirdPartyReply => {
                if self.status == Status::PendingThirdParty {
                    self.status = Status::Open;
                }
            }
            SlaEventKind::PolicyChanged { policy } => {
                self.policy = self.book.policy_or_default(policy);
                self.set_calendar();
            }
            SlaEventKind::TeamChanged { team } => {
                self.team = team.clone();
                self.set_calendar();
            }
            SlaEventKind::MergedInto => {
                for k in [FR, NU, PU, RES] {
                    self.stop(k, at, false);
                }
                self.end_promise(false, at);
                self.status = Status::Closed;
            }
            SlaEventKind::MergedFrom { oldest_unanswered } => {
                let Some(x) = oldest_unanswered else { return };
                let x = secs(*x).min(at);
                if self.status == Status::Resolved {
                    self.reopen(at);
                }
                let k = if self.runs[FR].active { FR } else { NU };
                if !self.runs[k].active {
                    self.start(k, at);
                }
                self.backdate(k, x, at);
            }
            SlaEventKind::Promise { due_at } => {
                if self.status.is_done() {
                    return;
                }
                if let Some(p) = &mut self.promise
                    && p.active
                {
                    // Superseded: neither kept nor (unless it already lapsed) broken.
                    p.active = false;
                }
                self.promises_made += 1;
                let due = secs(*due_at);
                let broken = due <= at;
                if broken {
                    self.promises_broken += 1;
                    self.outcomes.push((PROMISE, at, false));
                }
                self.promise = Some(PromiseState {
                    number: self.promises_made,
                    made: at,
                    due,
                    active: true,
                    kept: false,
                    broken,
                });
            }
        }
    }

    /// A merged-in customer has waited since `x`: the reply clock counts from
    /// then. Threshold instants are the true historical ones.
    fn backdate(&mut self, k: usize, x: i64, at: i64) {
        let (cal, pct) = (self.calendar, self.policy.warn_at_percent);
        let target = self.target_secs(k);
        let run = &mut self.runs[k];
        if x >= run.started {
            return;
        }
        run.started = x;
        run.elapsed = run.elapsed.max(cal.between_secs(x, at));
        if let Some(t) = target {
            if run.warned_at.is_none() && run.elapsed >= warn_share(t, pct) {
                run.warned_at = Some(cal.add_secs(x, warn_share(t, pct)));
            }
            if run.breached_at.is_none() && run.elapsed >= t {
                let at = cal.add_secs(x, t);
                run.breached_at = Some(at);
                run.cycles_breached += 1;
                self.outcomes.push((k, at, false));
            }
        }
    }

    fn change_status(&mut self, at: i64, to: Status) {
        let from = self.status;
        if from == to {
            return;
        }
        if from.is_done() && !to.is_done() {
            self.reopen(at);
            self.status = to;
            return;
        }
        match to {
            Status::Resolved => self.resolve(at),
            Status::Closed => {
                if from != Status::Resolved {
                    self.resolve(at);
                }
                self.status = Status::Closed;
            }
            _ => self.status = to,
        }
    }

    fn target_clock(&self, k: usize, now: i64) -> Option<TargetClock> {
        let t = self.target_secs(k)?;
        let run = &self.runs[k];
        let paused = run.active && self.paused(k);
        let running = run.active && !paused;
        let w = warn_share(t, self.policy.warn_at_percent);
        let due = |threshold: i64, crossed: Option<i64>| {
            crossed
                .or_else(|| running.then(|| self.calendar.add_secs(now, threshold - run.elapsed)))
        };
        let (due_at, warn_at) = if running {
            (due(t, run.breached_at), due(w, run.warned_at))
        } else {
            (None, None)
        };
        Some(TargetClock {
            target_minutes: u32::try_from(t / 60).unwrap_or(u32::MAX),
            cycle: run.cycle,
            active: run.active,
            paused,
            started_at: (run.cycle > 0).then(|| ts(run.started)),
            due_at: due_at.map(ts),
            warn_at: warn_at.map(ts),
            elapsed_minutes: run.elapsed / 60,
            remaining_minutes: (t - run.elapsed).div_euclid(60),
            warned_at: run.warned_at.map(ts),
            breached_at: run.breached_at.map(ts),
            stopped_at: run.stopped_at.map(ts),
            breached: run.breached_at.is_some(),
            met: !run.active && run.met,
            at_risk: run.active && run.breached_at.is_none() && run.warned_at.is_some(),
            cycles_met: run.cycles_met,
            cycles_breached: run.cycles_breached,
        })
    }
}

/// Replays `events` (any order; sorted stably by time here) against `book`
/// and returns the clocks as of `now`. Events after `now` are ignored.
pub fn compute_clocks(book: &PolicyBook, events: &[SlaEvent], now: Timestamp) -> TicketClocks {
    let policy = book.default_policy();
    let mut engine = Engine {
        book,
        policy,
        calendar: book.calendar_for(policy, None),
        team: None,
        status: Status::New,
        created: false,
        replied: false,
        last: i64::MIN,
        runs: Default::default(),
        promise: None,
        promises_made: 0,
        promises_kept: 0,
        promises_broken: 0,
        outcomes: Vec::new(),
    };
    let now_s = secs(now);
    let mut sorted;
    let events = if events.is_sorted_by_key(|e| e.at) {
        events
    } else {
        sorted = events.to_vec();
        sorted.sort_by_key(|e| e.at);
        &sorted[..]
    };
    for e in events {
        let at = secs(e.at);
        if at > now_s {
            break;
        }
        engine.advance(at);
        engine.apply(at, &e.kind);
    }
    engine.advance(now_s);
    finish(&engine, now_s, now)
}

fn finish(e: &Engine<'_>, now_s: i64, now: Timestamp) -> TicketClocks {
    let clocks: Vec<Option<TargetClock>> = if e.created {
        (0..4).map(|k| e.target_clock(k, now_s)).collect()
    } else {
        vec![None; 4]
    };
    let pct = e.policy.warn_at_percent;
    let promise = e.promise.as_ref().map(|p| {
        let warn = p.made + warn_share(p.due - p.made, pct).max(0);
        PromiseClock {
            number: p.number,
            made_at: ts(p.made),
            due_at: ts(p.due),
            warn_at: ts(warn),
            active: p.active,
            kept: p.kept,
            broken: p.broken,
            at_risk: p.active && !p.broken && now_s >= warn,
        }
    });
    let mut candidates: Vec<(Timestamp, DueSource)> = [
        (
            clocks[FR].as_ref().and_then(|c| c.due_at),
            DueSource::FirstResponse,
        ),
        (
            clocks[NU].as_ref().and_then(|c| c.due_at),
            DueSource::NextUpdate,
        ),
        (
            clocks[PU].as_ref().and_then(|c| c.due_at),
            DueSource::PeriodicUpdate,
        ),
        (
            promise.as_ref().filter(|p| p.active).map(|p| p.due_at),
            DueSource::Promise,
        ),
    ]
    .into_iter()
    .filter_map(|(d, s)| Some((d?, s)))
    .collect();
    if candidates.is_empty() && e.created && !e.status.is_pending() {
        // Nothing else promised: the customer hears at the latest when the
        // ticket is due to be resolved.
        if let Some(d) = clocks[RES].as_ref().and_then(|c| c.due_at) {
            candidates.push((d, DueSource::Resolution));
        }
    }
    // Earliest wins; on a tie the order above (first response first).
    let next = candidates.into_iter().min_by_key(|c| c.0);
    let mut it = clocks.into_iter();
    TicketClocks {
        computed_at: now,
        policy: e.created.then(|| e.policy.id.clone()),
        team: e.team.clone(),
        status: e.created.then_some(e.status),
        first_response: it.next().flatten(),
        next_update: it.next().flatten(),
        periodic_update: it.next().flatten(),
        resolution: it.next().flatten(),
        promise,
        promises_kept: e.promises_kept,
        promises_broken: e.promises_broken,
        next_update_due: next.map(|n| n.0),
        next_update_source: next.map(|n| n.1),
        warn_at_percent: pct,
        outcomes: e
            .outcomes
            .iter()
            .map(|&(k, at, met)| Outcome {
                target: outcome_name(k).to_string(),
                at: ts(at),
                met,
            })
            .collect(),
    }
}
