//! Routing: which agent gets the next ticket, and why (issue 5; principles 6 and 7).
//!
//! [`decide`] is a pure decision over the ticket's needs and the candidate agents: plain
//! data in, a [`Decision`] out (the chosen agent, or none, and the [`Reason`]s). The
//! reasons say why the choice was made and how many agents each rule left out, and
//! serialise to JSON so they can be logged on the ticket as an event.
//!
//! The rules, in the order they apply:
//!
//! 1. Only an agent who is *available* gets new work: nobody on a break, at lunch, away
//!    or offline (principle 7).
//! 2. Never past capacity: an agent takes a ticket only while `open_tickets < capacity`.
//! 3. When the ticket belongs to a team, only that team's agents take it.
//! 4. The agent's tier is at least the ticket's minimum tier, and the agent has every
//!    skill the ticket needs (principle 6: fix it or escalate it, to someone who can).
//! 5. An upset ticket (frustration at or above [`RoutingPolicy::upset_at`], or abusive)
//!    never goes to an agent who has just handled [`RoutingPolicy::hard_streak_limit`]
//!    hard conversations in a row while anyone else qualifies, and among the rest it goes
//!    to whoever has had the fewest hard conversations this shift.
//! 6. A calm ticket goes preferably to an agent at the streak limit, so they get lighter
//!    work next.
//! 7. The rest is the [`RoutingMode`]: round-robin (longest since last assigned), least
//!    loaded (open tickets as a share of capacity), or skills-first (the closest skill
//!    match: fewest skills beyond what the ticket needs, so broadly skilled agents stay
//!    free for the tickets only they can take; then least loaded). Ties go to the agent
//!    assigned longest ago (never assigned first), then to the lowest id, so the same
//!    input always gives the same choice whatever the order of the candidates.
//!
//! Queued tickets are assigned when capacity frees by [`assign_queued`], most urgent
//! first ([`queue_order`]).
//!
//! The services (`heard-services`, `routing.rs`) load the candidates from the store, run
//! [`assign_queued_with`] whenever a ticket arrives or capacity frees (a ticket solved or
//! handed on, an agent back from a break, capacity raised), and write each assignment
//! with its reasons as an event in the same transaction. [`RoutingSettings`] are what an
//! admin sets per team or for the whole desk.

use crate::ErrorCode;
use crate::presence::BreakPolicy;
use crate::{Invalid, Tier, named_enum};
use RoutingMode::{LeastLoaded, RoundRobin, SkillsFirst};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

named_enum!(
    /// Where an agent is. Only an available agent gets new work.
    Presence, "presence", InvalidPresence {
        Available => "available",
        OnBreak => "on_break",
        AtLunch => "at_lunch",
        Away => "away",
        Offline => "offline",
    }
);

impl Presence {
    pub fn takes_new_work(self) -> bool {
        matches!(self, Presence::Available)
    }
}

named_enum!(
    /// How the router ranks the agents who qualify.
    RoutingMode, "mode", InvalidRoutingMode {
        RoundRobin => "round_robin",
        LeastLoaded => "least_loaded",
        SkillsFirst => "skills_first",
    }
);

named_enum!(
    /// Why an agent was left out. Each agent is counted once, under the first rule they
    /// fail, in this order.
    Exclusion, "exclusion", InvalidExclusion {
        OnBreak => "on_break",
        AtLunch => "at_lunch",
        Away => "away",
        Offline => "offline",
        AtCapacity => "at_capacity",
        WrongTeam => "wrong_team",
        TierTooLow => "tier_too_low",
        MissingSkill => "missing_skill",
        HardStreak => "hard_streak",
    }
);

impl Exclusion {
    /// How the excluded agents are described in a sentence ("3 agents …").
    pub fn describe(self) -> &'static str {
        match self {
            Exclusion::OnBreak => "on a break",
            Exclusion::AtLunch => "at lunch",
            Exclusion::Away => "away",
            Exclusion::Offline => "offline",
            Exclusion::AtCapacity => "at capacity",
            Exclusion::WrongTeam => "not in the ticket's team",
            Exclusion::TierTooLow => "below the tier needed",
            Exclusion::MissingSkill => "missing a skill needed",
            Exclusion::HardStreak => "just after several hard conversations in a row",
        }
    }
}

/// An agent who might take the ticket, as the store knows them now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub agent_id: i64,
    pub team_ids: Vec<i64>,
    pub tier: Tier,
    /// Distinct skill names, normalised the same way as the tickets' (e.g. lower case).
    pub skills: Vec<String>,
    pub presence: Presence,
    pub open_tickets: u32,
    /// How many open tickets the agent takes at most; 0 means none.
    pub capacity: u32,
    /// Hard (upset or abusive) conversations handled one after another, most recent last;
    /// a calm one resets it.
    pub hard_in_a_row: u32,
    pub hard_this_shift: u32,
    /// When the agent was last given a ticket (any monotone instant; the services pass
    /// milliseconds since the epoch).
    pub last_assigned_at: Option<i64>,
}

impl Candidate {
    pub fn has_room(&self) -> bool {
        self.open_tickets < self.capacity
    }

    /// Counts a ticket just given to the agent, so the next decision in the same batch
    /// sees it. `hard` is whether the ticket was upset.
    pub fn record_assignment(&mut self, hard: bool, at: i64) {
        self.open_tickets = self.open_tickets.saturating_add(1);
        if hard {
            self.hard_in_a_row = self.hard_in_a_row.saturating_add(1);
            self.hard_this_shift = self.hard_this_shift.saturating_add(1);
        } else {
            self.hard_in_a_row = 0;
        }
        self.last_assigned_at = Some(at);
    }
}

/// What the ticket needs from the agent who takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketNeeds {
    /// The team the ticket belongs to; `None` lets any team take it.
    pub team_id: Option<i64>,
    pub min_tier: Tier,
    /// Skills the agent must all have.
    pub skills: Vec<String>,
    /// The customer's frustration score, 0–100.
    pub frustration: u8,
    /// Whether the customer's messages were flagged abusive.
    pub abusive: bool,
}

impl Default for TicketNeeds {
    fn default() -> Self {
        TicketNeeds {
            team_id: None,
            min_tier: Tier::FIRST,
            skills: Vec::new(),
            frustration: 0,
            abusive: false,
        }
    }
}

impl TicketNeeds {
    /// Whether the ticket counts as a hard conversation under the policy.
    pub fn is_upset(&self, policy: &RoutingPolicy) -> bool {
        self.abusive || self.frustration >= policy.upset_at
    }
}

/// A team's (or the desk's) routing settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoutingPolicy {
    pub mode: RoutingMode,
    /// The frustration score from which a ticket counts as upset.
    pub upset_at: u8,
    /// After this many hard conversations in a row an agent gets calm work; 0 turns the
    /// rule off.
    pub hard_streak_limit: u32,
}

impl Default for RoutingPolicy {
    fn default() -> Self {
        RoutingPolicy {
            mode: RoutingMode::LeastLoaded,
            upset_at: 50,
            hard_streak_limit: 3,
        }
    }
}

impl RoutingPolicy {
    /// Whether the agent has reached the streak limit and should get calm work next.
    pub fn on_hard_streak(&self, c: &Candidate) -> bool {
        self.hard_streak_limit > 0 && c.hard_in_a_row >= self.hard_streak_limit
    }
}

/// What an admin sets for a team, or for the whole desk: how its tickets are routed, when
/// its agents' breaks fall due, and how long a ticket may stay at one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingSettings {
    pub policy: RoutingPolicy,
    pub breaks: BreakPolicy,
    /// Business minutes (of the ticket's calendar) a ticket may stay at one tier before it
    /// escalates on its own; `None` turns that off.
    pub stuck_after_minutes: Option<u32>,
}

impl Default for RoutingSettings {
    /// Least loaded, upset from 50, calm work after 3 hard conversations, a 15-minute
    /// break every 2 hours, and one business day (8 hours) at a tier.
    fn default() -> Self {
        RoutingSettings {
            policy: RoutingPolicy::default(),
            breaks: BreakPolicy::default(),
            stuck_after_minutes: Some(480),
        }
    }
}

impl RoutingSettings {
    /// Checks every value, naming the field at fault.
    pub fn new(
        mode: RoutingMode,
        upset_at: i64,
        hard_streak_limit: i64,
        breaks: BreakPolicy,
        stuck_after_minutes: Option<i64>,
    ) -> Result<RoutingSettings, Invalid> {
        if !(1..=100).contains(&upset_at) {
            return Err(Invalid::new(
                "upset_at",
                ErrorCode::InvalidUpsetAt,
                "a ticket counts as upset from a frustration score between 1 and 100",
            ));
        }
        if !(0..=20).contains(&hard_streak_limit) {
            return Err(Invalid::new(
                "hard_streak_limit",
                ErrorCode::InvalidHardStreakLimit,
                "the hard streak limit is 0 (off) to 20 conversations",
            ));
        }
        if stuck_after_minutes.is_some_and(|m| !(15..=60 * 24 * 20).contains(&m)) {
            return Err(Invalid::new(
                "stuck_after_minutes",
                ErrorCode::InvalidStuckAfterMinutes,
                "a ticket escalates on its own after 15 to 28,800 business minutes at a tier, or never (null)",
            ));
        }
        Ok(RoutingSettings {
            policy: RoutingPolicy {
                mode,
                upset_at: upset_at as u8,
                hard_streak_limit: hard_streak_limit as u32,
            },
            breaks,
            stuck_after_minutes: stuck_after_minutes.map(|m| m as u32),
        })
    }
}

/// One line of the explanation logged on the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// The ticket counts as upset, so it is kept from agents on a hard streak.
    Upset { frustration: u8, abusive: bool },
    /// This many agents were left out for this reason.
    Excluded { why: Exclusion, agents: u32 },
    /// A calm ticket went to an agent at the streak limit, so they get lighter work.
    LighterWorkAfterStreak { agent_id: i64, hard_in_a_row: u32 },
    /// An upset ticket went to an agent on a hard streak because only such agents
    /// qualified; a supervisor may want to look.
    OnlyAgentsOnHardStreak { agents: u32 },
    /// Who got the ticket, by which mode, and the facts that ranked them first.
    Chosen {
        agent_id: i64,
        mode: RoutingMode,
        open_tickets: u32,
        capacity: u32,
        hard_this_shift: u32,
        /// How much the agent's skills overlap the ticket's (shared ÷ all, in percent).
        skill_fit: u8,
        last_assigned_at: Option<i64>,
    },
    /// Nobody qualifies; the ticket waits in the queue until capacity frees.
    NobodyQualifies,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Upset {
                frustration,
                abusive,
            } => {
                write!(f, "the customer is upset (frustration {frustration}")?;
                if *abusive {
                    f.write_str(", abusive")?;
                }
                f.write_str(")")
            }
            Reason::Excluded { why, agents } => {
                let noun = if *agents == 1 { "agent" } else { "agents" };
                write!(f, "{agents} {noun} {}", why.describe())
            }
            Reason::LighterWorkAfterStreak {
                agent_id,
                hard_in_a_row,
            } => write!(
                f,
                "a calm ticket for agent {agent_id} after {hard_in_a_row} hard conversations in a row"
            ),
            Reason::OnlyAgentsOnHardStreak { agents } => write!(
                f,
                "only agents just after several hard conversations could take it ({agents})"
            ),
            Reason::Chosen {
                agent_id,
                mode,
                open_tickets,
                capacity,
                hard_this_shift,
                skill_fit,
                ..
            } => write!(
                f,
                "assigned to agent {agent_id} ({}): {open_tickets} of {capacity} tickets open, \
                 {hard_this_shift} hard this shift, skills fit {skill_fit}%",
                mode.as_str().replace('_', " ")
            ),
            Reason::NobodyQualifies => f.write_str("nobody can take it now; it waits in the queue"),
        }
    }
}

/// The router's answer: who (if anyone) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub chosen: Option<i64>,
    pub reasons: Vec<Reason>,
}

/// A qualifying candidate with what ranking needs.
#[derive(Clone, Copy)]
struct Scored<'a> {
    index: usize,
    c: &'a Candidate,
    /// Agent skills the ticket does not need.
    extra_skills: usize,
}

fn exclusion(c: &Candidate, needs: &TicketNeeds, wanted: &[&str]) -> Option<Exclusion> {
    match c.presence {
        Presence::Available => {}
        Presence::OnBreak => return Some(Exclusion::OnBreak),
        Presence::AtLunch => return Some(Exclusion::AtLunch),
        Presence::Away => return Some(Exclusion::Away),
        Presence::Offline => return Some(Exclusion::Offline),
    }
    if !c.has_room() {
        return Some(Exclusion::AtCapacity);
    }
    if needs.team_id.is_some_and(|t| !c.team_ids.contains(&t)) {
        return Some(Exclusion::WrongTeam);
    }
    if c.tier < needs.min_tier {
        return Some(Exclusion::TierTooLow);
    }
    if !wanted.iter().all(|w| c.skills.iter().any(|s| s == w)) {
        return Some(Exclusion::MissingSkill);
    }
    None
}

/// `Less` when `a` should get the ticket before `b`.
fn rank(a: &Scored, b: &Scored, mode: RoutingMode, upset: bool) -> Ordering {
    let (x, y) = (a.c, b.c);
    let hard = if upset {
        x.hard_this_shift.cmp(&y.hard_this_shift)
    } else {
        Ordering::Equal
    };
    // Never-assigned (None) sorts first, then the longest ago.
    let turn = || x.last_assigned_at.cmp(&y.last_assigned_at);
    // Share of capacity in use, compared without division (both capacities are > 0).
    let load = || {
        (u64::from(x.open_tickets) * u64::from(y.capacity))
            .cmp(&(u64::from(y.open_tickets) * u64::from(x.capacity)))
            .then(x.open_tickets.cmp(&y.open_tickets))
    };
    let by_mode = match mode {
        RoundRobin => turn(),
        LeastLoaded => load().then_with(turn),
        SkillsFirst => a
            .extra_skills
            .cmp(&b.extra_skills)
            .then_with(load)
            .then_with(turn),
    };
    hard.then(by_mode).then(x.agent_id.cmp(&y.agent_id))
}

/// Shared ÷ all skills of the ticket and the agent, in percent (100 when neither has any).
fn skill_fit(wanted: usize, extra: usize) -> u8 {
    (wanted * 100)
        .checked_div(wanted + extra)
        .map_or(100, |fit| fit as u8)
}

/// Chooses the agent for a ticket; see the module documentation for the rules.
pub fn decide(needs: &TicketNeeds, candidates: &[Candidate], policy: &RoutingPolicy) -> Decision {
    decide_index(needs, candidates, policy).1
}

fn decide_index(
    needs: &TicketNeeds,
    candidates: &[Candidate],
    policy: &RoutingPolicy,
) -> (Option<usize>, Decision) {
    let upset = needs.is_upset(policy);
    let mut wanted: Vec<&str> = needs.skills.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    wanted.dedup();

    let mut excluded = [0u32; Exclusion::ALL.len()];
    let mut best_rested: Option<Scored> = None;
    let mut best_streak: Option<Scored> = None;
    let mut on_streak = 0u32;
    for (index, c) in candidates.iter().enumerate() {
        if let Some(why) = exclusion(c, needs, &wanted) {
            excluded[why as usize] += 1;
            continue;
        }
        let shared = c
            .skills
            .iter()
            .filter(|s| wanted.binary_search(&s.as_str()).is_ok())
            .count();
        let scored = Scored {
            index,
            c,
            extra_skills: c.skills.len() - shared,
        };
        let slot = if policy.on_hard_streak(c) {
            on_streak += 1;
            &mut best_streak
        } else {
            &mut best_rested
        };
        if slot
            .as_ref()
            .is_none_or(|best| rank(&scored, best, policy.mode, upset) == Ordering::Less)
        {
            *slot = Some(scored);
        }
    }

    let mut reasons = Vec::new();
    if upset {
        reasons.push(Reason::Upset {
            frustration: needs.frustration,
            abusive: needs.abusive,
        });
    }
    let (pick, note) = match (upset, best_rested, best_streak) {
        (true, Some(rested), _) => {
            excluded[Exclusion::HardStreak as usize] += on_streak;
            (Some(rested), None)
        }
        (true, None, Some(streak)) => (
            Some(streak),
            Some(Reason::OnlyAgentsOnHardStreak { agents: on_streak }),
        ),
        (false, _, Some(streak)) => (
            Some(streak),
            Some(Reason::LighterWorkAfterStreak {
                agent_id: streak.c.agent_id,
                hard_in_a_row: streak.c.hard_in_a_row,
            }),
        ),
        (_, rested, _) => (rested, None),
    };
    for why in Exclusion::ALL {
        let agents = excluded[*why as usize];
        if agents > 0 {
            reasons.push(Reason::Excluded { why: *why, agents });
        }
    }
    reasons.extend(note);
    match pick {
        Some(s) => {
            reasons.push(Reason::Chosen {
                agent_id: s.c.agent_id,
                mode: policy.mode,
                open_tickets: s.c.open_tickets,
                capacity: s.c.capacity,
                hard_this_shift: s.c.hard_this_shift,
                skill_fit: skill_fit(wanted.len(), s.extra_skills),
                last_assigned_at: s.c.last_assigned_at,
            });
            (
                Some(s.index),
                Decision {
                    chosen: Some(s.c.agent_id),
                    reasons,
                },
            )
        }
        None => {
            reasons.push(Reason::NobodyQualifies);
            (
                None,
                Decision {
                    chosen: None,
                    reasons,
                },
            )
        }
    }
}

/// A ticket waiting for an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedTicket {
    pub ticket_id: i64,
    /// When the next response is due (seconds since the epoch), or any rank where smaller
    /// is more urgent; `None` (no target) comes after every ticket that has one.
    pub due_at: Option<i64>,
    pub needs: TicketNeeds,
}

/// Sorts waiting tickets most urgent first: due soonest, then the most upset customer,
/// then the lowest ticket id (the one that came first).
pub fn queue_order(tickets: &mut [QueuedTicket]) {
    tickets.sort_by(|a, b| {
        (a.due_at.is_none(), a.due_at)
            .cmp(&(b.due_at.is_none(), b.due_at))
            .then(b.needs.frustration.cmp(&a.needs.frustration))
            .then(b.needs.abusive.cmp(&a.needs.abusive))
            .then(a.ticket_id.cmp(&b.ticket_id))
    });
}

/// One queued ticket's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub ticket_id: i64,
    pub decision: Decision,
}

/// Assigns waiting tickets when capacity frees, most urgent first. Each assignment is
/// counted on the chosen candidate (open tickets, hard streak, last assigned at `now`)
/// before the next ticket is decided. Returns one outcome per ticket, in the order they
/// were decided; a ticket with `chosen: None` stays queued.
pub fn assign_queued(
    queue: &[QueuedTicket],
    candidates: &mut [Candidate],
    policy: &RoutingPolicy,
    now: i64,
) -> Vec<Assignment> {
    assign_queued_with(queue, candidates, |_| *policy, now)
}

/// [`assign_queued`] for a queue that spans teams: each ticket is decided under the
/// policy `policy_of` gives for it (its team's), most urgent first across all of them.
pub fn assign_queued_with(
    queue: &[QueuedTicket],
    candidates: &mut [Candidate],
    policy_of: impl Fn(&TicketNeeds) -> RoutingPolicy,
    now: i64,
) -> Vec<Assignment> {
    let mut order: Vec<QueuedTicket> = queue.to_vec();
    queue_order(&mut order);
    order
        .into_iter()
        .map(|t| {
            let policy = policy_of(&t.needs);
            let (index, decision) = decide_index(&t.needs, candidates, &policy);
            if let Some(i) = index {
                candidates[i].record_assignment(t.needs.is_upset(&policy), now);
            }
            Assignment {
                ticket_id: t.ticket_id,
                decision,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tier(n: i64) -> Tier {
        Tier::new(n).unwrap()
    }

    fn agent(id: i64) -> Candidate {
        Candidate {
            agent_id: id,
            team_ids: vec![1],
            tier: Tier::FIRST,
            skills: Vec::new(),
            presence: Presence::Available,
            open_tickets: 0,
            capacity: 5,
            hard_in_a_row: 0,
            hard_this_shift: 0,
            last_assigned_at: Some(0),
        }
    }

    fn policy(mode: RoutingMode) -> RoutingPolicy {
        RoutingPolicy {
            mode,
            ..RoutingPolicy::default()
        }
    }

    fn calm() -> TicketNeeds {
        TicketNeeds::default()
    }

    fn upset() -> TicketNeeds {
        TicketNeeds {
            frustration: 80,
            ..TicketNeeds::default()
        }
    }

    fn excluded(d: &Decision, why: Exclusion) -> u32 {
        d.reasons
            .iter()
            .find_map(|r| match r {
                Reason::Excluded { why: w, agents } if *w == why => Some(*agents),
                _ => None,
            })
            .unwrap_or(0)
    }

    #[test]
    fn nobody_on_a_break_gets_new_work() {
        let mut agents = Vec::new();
        for (i, p) in [
            Presence::OnBreak,
            Presence::AtLunch,
            Presence::Away,
            Presence::Offline,
            Presence::OnBreak,
        ]
        .into_iter()
        .enumerate()
        {
            agents.push(Candidate {
                presence: p,
                ..agent(i as i64)
            });
        }
        let d = decide(&calm(), &agents, &RoutingPolicy::default());
        assert_eq!(d.chosen, None);
        assert_eq!(excluded(&d, Exclusion::OnBreak), 2);
        assert_eq!(excluded(&d, Exclusion::AtLunch), 1);
        assert_eq!(excluded(&d, Exclusion::Away), 1);
        assert_eq!(excluded(&d, Exclusion::Offline), 1);
        assert_eq!(d.reasons.last(), Some(&Reason::NobodyQualifies));

        agents.push(agent(9));
        assert_eq!(
            decide(&calm(), &agents, &RoutingPolicy::default()).chosen,
            Some(9)
        );
    }

    #[test]
    fn nobody_goes_past_capacity() {
        let full = Candidate {
            open_tickets: 5,
            capacity: 5,
            ..agent(1)
        };
        let none = Candidate {
            capacity: 0,
            ..agent(2)
        };
        let busy = Candidate {
            open_tickets: 4,
            ..agent(3)
        };
        let d = decide(&calm(), &[full, none, busy], &RoutingPolicy::default());
        assert_eq!(d.chosen, Some(3));
        assert_eq!(excluded(&d, Exclusion::AtCapacity), 2);
    }

    #[test]
    fn the_ticket_team_must_match_when_it_has_one() {
        let other = Candidate {
            team_ids: vec![2, 3],
            ..agent(1)
        };
        let ours = Candidate {
            team_ids: vec![7],
            open_tickets: 4,
            ..agent(2)
        };
        let needs = TicketNeeds {
            team_id: Some(7),
            ..calm()
        };
        let agents = [other, ours];
        let d = decide(&needs, &agents, &RoutingPolicy::default());
        assert_eq!(d.chosen, Some(2));
        assert_eq!(excluded(&d, Exclusion::WrongTeam), 1);
        // Without a team, anyone may take it: the less loaded one wins.
        assert_eq!(
            decide(&calm(), &agents, &RoutingPolicy::default()).chosen,
            Some(1)
        );
    }

    #[test]
    fn the_tier_must_be_high_enough() {
        let first = agent(1);
        let second = Candidate {
            tier: tier(2),
            open_tickets: 3,
            ..agent(2)
        };
        let needs = TicketNeeds {
            min_tier: tier(2),
            ..calm()
        };
        let d = decide(&needs, &[first, second], &RoutingPolicy::default());
        assert_eq!(d.chosen, Some(2));
        assert_eq!(excluded(&d, Exclusion::TierTooLow), 1);
    }

    #[test]
    fn every_skill_needed_is_required() {
        let vpn = Candidate {
            skills: vec!["vpn".into()],
            ..agent(1)
        };
        let both = Candidate {
            skills: vec!["mac".into(), "vpn".into()],
            open_tickets: 4,
            ..agent(2)
        };
        let needs = TicketNeeds {
            skills: vec!["vpn".into(), "mac".into(), "vpn".into()],
            ..calm()
        };
        let d = decide(&needs, &[vpn, both], &RoutingPolicy::default());
        assert_eq!(d.chosen, Some(2));
        assert_eq!(excluded(&d, Exclusion::MissingSkill), 1);
    }

    #[test]
    fn round_robin_takes_turns_never_assigned_first_then_lowest_id() {
        let agents = [
            Candidate {
                last_assigned_at: Some(100),
                ..agent(1)
            },
            Candidate {
                last_assigned_at: Some(50),
                open_tickets: 4,
                ..agent(2)
            },
            Candidate {
                last_assigned_at: Some(50),
                ..agent(3)
            },
        ];
        let p = policy(RoundRobin);
        assert_eq!(decide(&calm(), &agents, &p).chosen, Some(2));
        let mut with_new = agents.to_vec();
        with_new.push(Candidate {
            last_assigned_at: None,
            ..agent(4)
        });
        assert_eq!(decide(&calm(), &with_new, &p).chosen, Some(4));
    }

    #[test]
    fn least_loaded_compares_the_share_of_capacity() {
        let agents = [
            Candidate {
                open_tickets: 2,
                capacity: 4,
                ..agent(1)
            },
            Candidate {
                open_tickets: 3,
                capacity: 10,
                ..agent(2)
            },
            Candidate {
                open_tickets: 1,
                capacity: 2,
                ..agent(3)
            },
        ];
        let d = decide(&calm(), &agents, &policy(LeastLoaded));
        assert_eq!(d.chosen, Some(2));
        assert!(matches!(
            d.reasons.last(),
            Some(Reason::Chosen {
                agent_id: 2,
                mode: LeastLoaded,
                open_tickets: 3,
                capacity: 10,
                ..
            })
        ));
    }

    #[test]
    fn skills_first_sends_the_closest_match_and_keeps_generalists_free() {
        let generalist = Candidate {
            skills: vec!["vpn".into(), "mac".into(), "billing".into(), "sso".into()],
            ..agent(1)
        };
        let specialist = Candidate {
            skills: vec!["vpn".into()],
            open_tickets: 3,
            ..agent(2)
        };
        let needs = TicketNeeds {
            skills: vec!["vpn".into()],
            ..calm()
        };
        let agents = [generalist, specialist];
        let d = decide(&needs, &agents, &policy(SkillsFirst));
        assert_eq!(d.chosen, Some(2));
        assert!(matches!(
            d.reasons.last(),
            Some(Reason::Chosen { skill_fit: 100, .. })
        ));
        // Least-loaded ignores the fit and takes the idle generalist.
        assert_eq!(
            decide(&needs, &agents, &policy(LeastLoaded)).chosen,
            Some(1)
        );
    }

    #[test]
    fn an_upset_customer_is_kept_from_an_agent_on_a_hard_streak() {
        let tired = Candidate {
            hard_in_a_row: 3,
            ..agent(1)
        };
        let fresh = Candidate {
            open_tickets: 4,
            last_assigned_at: Some(99),
            ..agent(2)
        };
        for mode in RoutingMode::ALL {
            let d = decide(&upset(), &[tired.clone(), fresh.clone()], &policy(*mode));
            assert_eq!(d.chosen, Some(2), "{mode}");
            assert_eq!(excluded(&d, Exclusion::HardStreak), 1);
            assert_eq!(
                d.reasons[0],
                Reason::Upset {
                    frustration: 80,
                    abusive: false
                }
            );
        }
        // When only agents on a streak qualify, one of them takes it and the log says so.
        let d = decide(&upset(), &[tired], &RoutingPolicy::default());
        assert_eq!(d.chosen, Some(1));
        assert!(
            d.reasons
                .contains(&Reason::OnlyAgentsOnHardStreak { agents: 1 })
        );
        assert_eq!(excluded(&d, Exclusion::HardStreak), 0);
    }

    #[test]
    fn abuse_counts_as_upset_whatever_the_score() {
        let tired = Candidate {
            hard_in_a_row: 5,
            ..agent(1)
        };
        let fresh = Candidate {
            open_tickets: 4,
            ..agent(2)
        };
        let abusive = TicketNeeds {
            frustration: 10,
            abusive: true,
            ..calm()
        };
        let d = decide(&abusive, &[tired, fresh], &RoutingPolicy::default());
        assert_eq!(d.chosen, Some(2));
    }

    #[test]
    fn an_upset_customer_goes_to_whoever_had_the_easiest_shift() {
        let idle_but_hard = Candidate {
            hard_this_shift: 6,
            ..agent(1)
        };
        let busy_but_easy = Candidate {
            hard_this_shift: 1,
            open_tickets: 4,
            ..agent(2)
        };
        let agents = [idle_but_hard, busy_but_easy];
        assert_eq!(
            decide(&upset(), &agents, &policy(LeastLoaded)).chosen,
            Some(2)
        );
        assert_eq!(
            decide(&calm(), &agents, &policy(LeastLoaded)).chosen,
            Some(1)
        );
    }

    #[test]
    fn after_a_hard_streak_an_agent_gets_calm_work_first() {
        let tired = Candidate {
            hard_in_a_row: 3,
            open_tickets: 3,
            ..agent(1)
        };
        let fresh = agent(2);
        let d = decide(
            &calm(),
            &[fresh.clone(), tired.clone()],
            &RoutingPolicy::default(),
        );
        assert_eq!(d.chosen, Some(1));
        assert!(d.reasons.contains(&Reason::LighterWorkAfterStreak {
            agent_id: 1,
            hard_in_a_row: 3
        }));
        // A limit of 0 turns the rule off.
        let off = RoutingPolicy {
            hard_streak_limit: 0,
            ..RoutingPolicy::default()
        };
        assert_eq!(decide(&calm(), &[fresh, tired], &off).chosen, Some(2));
    }

    #[test]
    fn reasons_serialise_for_the_event_log_and_read_as_sentences() {
        let agents = [
            Candidate {
                presence: Presence::OnBreak,
                ..agent(1)
            },
            Candidate {
                hard_in_a_row: 4,
                ..agent(2)
            },
            Candidate {
                open_tickets: 1,
                hard_this_shift: 2,
                ..agent(3)
            },
        ];
        let d = decide(&upset(), &agents, &RoutingPolicy::default());
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["chosen"], 3);
        assert_eq!(json["reasons"][0]["reason"], "upset");
        assert_eq!(json["reasons"][1]["reason"], "excluded");
        assert_eq!(json["reasons"][1]["why"], "on_break");
        assert_eq!(json["reasons"][1]["agents"], 1);
        assert_eq!(json["reasons"][2]["why"], "hard_streak");
        assert_eq!(json["reasons"][3]["reason"], "chosen");
        assert_eq!(json["reasons"][3]["mode"], "least_loaded");
        let back: Decision = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);
        let text: Vec<String> = d.reasons.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "the customer is upset (frustration 80)",
                "1 agent on a break",
                "1 agent just after several hard conversations in a row",
                "assigned to agent 3 (least loaded): 1 of 5 tickets open, 2 hard this shift, \
                 skills fit 100%",
            ]
        );
        let p: RoutingPolicy = serde_json::from_str(r#"{"mode":"round_robin"}"#).unwrap();
        assert_eq!(p, policy(RoundRobin));
    }

    fn queued(id: i64, due_at: Option<i64>, frustration: u8) -> QueuedTicket {
        QueuedTicket {
            ticket_id: id,
            due_at,
            needs: TicketNeeds {
                frustration,
                ..calm()
            },
        }
    }

    #[test]
    fn the_queue_runs_most_urgent_first() {
        let mut q = vec![
            queued(1, None, 90),
            queued(2, Some(500), 10),
            queued(3, Some(100), 10),
            queued(4, Some(500), 70),
            queued(5, Some(500), 10),
        ];
        queue_order(&mut q);
        let ids: Vec<i64> = q.iter().map(|t| t.ticket_id).collect();
        assert_eq!(ids, [3, 4, 2, 5, 1]);
    }

    #[test]
    fn freed_capacity_goes_to_the_most_urgent_ticket() {
        let mut agents = vec![
            Candidate {
                open_tickets: 4,
                ..agent(1)
            },
            Candidate {
                open_tickets: 3,
                ..agent(2)
            },
        ];
        let q = [
            queued(10, Some(900), 0),
            queued(11, Some(100), 0),
            queued(12, Some(100), 60),
            queued(13, None, 0),
        ];
        let out = assign_queued(&q, &mut agents, &policy(RoundRobin), 1_000);
        let got: Vec<(i64, Option<i64>)> = out
            .iter()
            .map(|a| (a.ticket_id, a.decision.chosen))
            .collect();
        // Three free places: the upset ticket due at 100 first, then 11, then 10; 13 waits.
        assert_eq!(
            got,
            [(12, Some(1)), (11, Some(2)), (10, Some(2)), (13, None)]
        );
        assert!(agents.iter().all(|a| a.open_tickets == a.capacity));
        assert_eq!(agents[0].hard_in_a_row, 1);
        assert_eq!(agents[0].hard_this_shift, 1);
        assert_eq!(agents[1].last_assigned_at, Some(1_000));
    }

    #[test]
    fn each_ticket_is_decided_under_its_teams_policy() {
        let tired = Candidate {
            team_ids: vec![1, 2],
            hard_in_a_row: 3,
            ..agent(1)
        };
        let fresh = Candidate {
            team_ids: vec![1, 2],
            ..agent(2)
        };
        let ticket = |id, team, due| QueuedTicket {
            ticket_id: id,
            due_at: Some(due),
            needs: TicketNeeds {
                team_id: Some(team),
                frustration: 60,
                ..calm()
            },
        };
        let queue = [ticket(10, 1, 2), ticket(20, 2, 1)];
        // Team 1 counts a customer as upset only from 90: its ticket is calm work there,
        // so the agent on a hard streak gets it; team 2's upset customer goes elsewhere.
        let lenient = RoutingPolicy {
            upset_at: 90,
            ..RoutingPolicy::default()
        };
        let by_team = |n: &TicketNeeds| {
            if n.team_id == Some(1) {
                lenient
            } else {
                RoutingPolicy::default()
            }
        };
        let got = |out: Vec<Assignment>| -> Vec<(i64, Option<i64>)> {
            out.iter()
                .map(|a| (a.ticket_id, a.decision.chosen))
                .collect()
        };
        let out = assign_queued_with(&queue, &mut [tired.clone(), fresh.clone()], by_team, 10);
        assert_eq!(got(out), [(20, Some(2)), (10, Some(1))]);
        // Under one policy for both, both customers are upset and the tired agent gets neither.
        let out = assign_queued(&queue, &mut [tired, fresh], &RoutingPolicy::default(), 10);
        assert_eq!(got(out), [(20, Some(2)), (10, Some(2))]);
    }

    #[test]
    fn routing_settings_are_checked_naming_the_field() {
        let breaks = BreakPolicy::default();
        let ok = RoutingSettings::new(SkillsFirst, 60, 2, breaks, Some(240)).unwrap();
        assert_eq!(ok.policy.upset_at, 60);
        assert_eq!(ok.stuck_after_minutes, Some(240));
        assert!(RoutingSettings::new(RoundRobin, 50, 0, breaks, None).is_ok());
        for (upset, streak, stuck, field) in [
            (0, 3, Some(240), "upset_at"),
            (101, 3, Some(240), "upset_at"),
            (50, -1, Some(240), "hard_streak_limit"),
            (50, 3, Some(5), "stuck_after_minutes"),
        ] {
            let e = RoutingSettings::new(LeastLoaded, upset, streak, breaks, stuck).unwrap_err();
            assert_eq!(e.field, Some(field));
        }
    }

    #[test]
    fn a_calm_ticket_resets_the_streak() {
        let mut a = Candidate {
            hard_in_a_row: 2,
            hard_this_shift: 4,
            ..agent(1)
        };
        a.record_assignment(true, 5);
        assert_eq!(
            (a.hard_in_a_row, a.hard_this_shift, a.open_tickets),
            (3, 5, 1)
        );
        a.record_assignment(false, 6);
        assert_eq!(
            (a.hard_in_a_row, a.hard_this_shift, a.open_tickets),
            (0, 5, 2)
        );
    }

    const SKILLS: [&str; 4] = ["billing", "mac", "sso", "vpn"];

    fn any_skills() -> impl Strategy<Value = Vec<String>> {
        proptest::sample::subsequence(SKILLS.to_vec(), 0..=3)
            .prop_map(|s| s.into_iter().map(String::from).collect())
    }

    fn any_candidate() -> impl Strategy<Value = Candidate> {
        (
            (
                proptest::collection::vec(1i64..4, 0..3),
                1i64..=3,
                any_skills(),
                proptest::sample::select(Presence::ALL.to_vec()),
            ),
            (0u32..6, 0u32..6, 0u32..5, 0u32..8),
            proptest::option::of(0i64..20),
        )
            .prop_map(
                |((team_ids, t, skills, presence), (open, cap, row, shift), last)| Candidate {
                    agent_id: 0,
                    team_ids,
                    tier: tier(t),
                    skills,
                    presence,
                    open_tickets: open,
                    capacity: cap,
                    hard_in_a_row: row,
                    hard_this_shift: shift,
                    last_assigned_at: last,
                },
            )
    }

    fn any_candidates() -> impl Strategy<Value = Vec<Candidate>> {
        proptest::collection::vec(any_candidate(), 0..30).prop_map(|mut v| {
            for (i, c) in v.iter_mut().enumerate() {
                c.agent_id = i as i64 * 7 % 31;
            }
            v
        })
    }

    fn any_needs() -> impl Strategy<Value = TicketNeeds> {
        (
            proptest::option::of(1i64..4),
            1i64..=3,
            proptest::sample::subsequence(SKILLS.to_vec(), 0..=2),
            0u8..=100,
            proptest::bool::weighted(0.1),
        )
            .prop_map(|(team_id, t, skills, frustration, abusive)| TicketNeeds {
                team_id,
                min_tier: tier(t),
                skills: skills.into_iter().map(String::from).collect(),
                frustration,
                abusive,
            })
    }

    fn any_policy() -> impl Strategy<Value = RoutingPolicy> {
        (
            proptest::sample::select(RoutingMode::ALL.to_vec()),
            0u8..=100,
            0u32..5,
        )
            .prop_map(|(mode, upset_at, hard_streak_limit)| RoutingPolicy {
                mode,
                upset_at,
                hard_streak_limit,
            })
    }

    fn qualifies(c: &Candidate, n: &TicketNeeds) -> bool {
        c.presence == Presence::Available
            && c.open_tickets < c.capacity
            && n.team_id.is_none_or(|t| c.team_ids.contains(&t))
            && c.tier >= n.min_tier
            && n.skills.iter().all(|s| c.skills.contains(s))
    }

    proptest! {
        #[test]
        fn the_choice_always_qualifies_and_someone_is_chosen_when_anyone_can(
            needs in any_needs(), agents in any_candidates(), p in any_policy()
        ) {
            let d = decide(&needs, &agents, &p);
            let able = agents.iter().filter(|c| qualifies(c, &needs)).count();
            match d.chosen {
                Some(id) => {
                    let c = agents.iter().find(|c| c.agent_id == id).unwrap();
                    prop_assert!(c.presence.takes_new_work());
                    prop_assert!(c.open_tickets < c.capacity);
                    prop_assert!(qualifies(c, &needs));
                }
                None => prop_assert_eq!(able, 0),
            }
            // Every agent who does not qualify is counted once among the exclusions.
            let counted: u32 = d.reasons.iter().map(|r| match r {
                Reason::Excluded { why, agents } if *why != Exclusion::HardStreak => *agents,
                _ => 0,
            }).sum();
            prop_assert_eq!(counted as usize, agents.len() - able);
        }

        #[test]
        fn upset_tickets_skip_hard_streaks_while_anyone_else_can_take_them(
            needs in any_needs(), agents in any_candidates(), p in any_policy()
        ) {
            let d = decide(&needs, &agents, &p);
            let rested = agents
                .iter()
                .any(|c| qualifies(c, &needs) && !p.on_hard_streak(c));
            if needs.is_upset(&p) && rested {
                let c = agents.iter().find(|c| Some(c.agent_id) == d.chosen).unwrap();
                prop_assert!(!p.on_hard_streak(c));
            }
        }

        #[test]
        fn the_decision_is_deterministic_whatever_the_order(
            needs in any_needs(), agents in any_candidates(), p in any_policy()
        ) {
            let d = decide(&needs, &agents, &p);
            prop_assert_eq!(&decide(&needs, &agents, &p), &d);
            let mut reversed = agents.clone();
            reversed.reverse();
            prop_assert_eq!(&decide(&needs, &reversed, &p), &d);
        }

        #[test]
        fn draining_the_queue_never_overfills_anyone(
            needs in proptest::collection::vec(any_needs(), 0..12),
            mut agents in any_candidates(),
            p in any_policy(),
        ) {
            let q: Vec<QueuedTicket> = needs
                .into_iter()
                .enumerate()
                .map(|(i, needs)| QueuedTicket { ticket_id: i as i64, due_at: Some(i as i64 % 3), needs })
                .collect();
            let before = agents.clone();
            let out = assign_queued(&q, &mut agents, &p, 100);
            prop_assert_eq!(out.len(), q.len());
            for (a, b) in agents.iter().zip(&before) {
                prop_assert!(a.open_tickets <= b.open_tickets.max(b.capacity));
            }
            let assigned = out.iter().filter(|a| a.decision.chosen.is_some()).count() as u32;
            let added: u32 = agents.iter().zip(&before).map(|(a, b)| a.open_tickets - b.open_tickets).sum();
            prop_assert_eq!(assigned, added);
        }
    }
}
