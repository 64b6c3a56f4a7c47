//! Routing and looking after the agents (issue 5; principles 2, 6 and 7): presence with its
//! history and breaks, the router that gives waiting tickets to agents (most urgent first,
//! whenever capacity frees) and logs why on the ticket, colleagues invited to a ticket,
//! hand-overs and supervisor take-overs, and two sweeps driven from the database: break
//! reminders (once per stretch) and the automatic escalation of tickets stuck at their
//! tier. Any number of processes may sweep, and a restart catches up.
//!
//! Concurrency: an assignment is one ticket write checked against the ticket's version
//! *and* the chosen agent's routing version (bumped by every assignment and presence
//! change), so no ticket is assigned twice, nobody is pushed past capacity by a racing
//! router, and nobody who just went on a break gets the ticket; a refused write makes the
//! router read again and decide again.

use crate::ErrorCode;
use crate::tickets::{ATTEMPTS, Change, Written, back_off, event};
use crate::views::{PersonRef, rfc3339};
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::handoff::{Tried, automatic_note};
use heard_domain::presence::{self, BreakPolicy, PresenceState};
use heard_domain::routing::{
    Candidate, Decision, Presence, QueuedTicket, RoutingMode, RoutingSettings, TicketNeeds,
    assign_queued_with, decide,
};
use heard_domain::{Invalid, MessageKind, Role, Status, Tier};
use heard_store::{
    AgentTouch, CollaboratorChange, EventRow, HardConversation, NewEvent, NewMessage,
    NewNotification, PresenceRow, PresenceWrite, RoutingPolicyRow, StaffRoutingRow, TicketRow,
    TicketState,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// How many waiting tickets one round of the router looks at.
const QUEUE_BATCH: i64 = 200;
/// Rounds of read-decide-write before the router leaves the rest to the next sweep.
const ROUNDS: usize = 8;

// ---------------------------------------------------------------------- the API's shapes

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceInput {
    /// available, on_break, at_lunch, away or offline
    pub presence: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HardInteractionView {
    pub ticket_id: i64,
    pub subject: String,
    pub frustration: i64,
    pub abusive: bool,
    pub at: String,
}

/// Where an agent is, how long they have worked without a break, their load and the hard
/// conversations of their shift.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PresenceView {
    pub agent: PersonRef,
    /// agent, supervisor or admin
    pub role: String,
    pub tier: Option<i64>,
    /// available, on_break, at_lunch, away or offline
    pub presence: String,
    pub since: Option<String>,
    /// Whether the router gives them new work now (only when available).
    pub takes_new_work: bool,
    pub shift_started_at: Option<String>,
    /// Minutes worked since the last break that counted (while working).
    pub minutes_without_break: Option<i64>,
    pub break_due_at: Option<String>,
    pub break_overdue: bool,
    /// What the agent is told when a break is due.
    pub reminder: Option<String>,
    pub break_every_minutes: u32,
    pub break_minutes: u32,
    pub open_tickets: i64,
    pub capacity: i64,
    /// Upset or abusive conversations handled this shift, and one after another.
    pub hard_this_shift: i64,
    pub hard_in_a_row: i64,
    pub hard_interactions: Vec<HardInteractionView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PresenceHistoryView {
    pub id: i64,
    pub presence: String,
    pub previous: String,
    /// Who changed it: the agent, or a supervisor.
    pub changed_by: Option<i64>,
    pub at: String,
}

/// The desk's or a team's routing settings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoutingSettingsView {
    /// `desk`, or `team:<id>`
    pub scope: String,
    pub team_id: Option<i64>,
    /// For a team: whether it has settings of its own (otherwise it follows the desk's).
    pub own: bool,
    /// round_robin, least_loaded or skills_first
    pub mode: String,
    /// The frustration score (0–100) from which a customer counts as upset.
    pub upset_at: u8,
    /// After this many hard conversations in a row an agent gets calm work (0: off).
    pub hard_streak_limit: u32,
    pub break_every_minutes: u32,
    pub break_minutes: u32,
    /// Business minutes at one tier before a ticket escalates on its own (null: never).
    pub stuck_after_minutes: Option<u32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoutingOverview {
    pub desk: RoutingSettingsView,
    pub teams: Vec<RoutingSettingsView>,
}

/// A change of routing settings; what is left out stays as it is.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingSettingsInput {
    pub mode: Option<String>,
    pub upset_at: Option<i64>,
    pub hard_streak_limit: Option<i64>,
    pub break_every_minutes: Option<i64>,
    pub break_minutes: Option<i64>,
    /// `null` turns the automatic escalation off.
    #[serde(default, with = "crate::people::double_option")]
    #[schema(value_type = Option<i64>)]
    pub stuck_after_minutes: Option<Option<i64>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCollaborator {
    pub agent_id: i64,
    /// Why you ask them to join (kept as an internal note).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOver {
    pub to_agent_id: i64,
    /// What the colleague must know so the customer repeats nothing.
    pub handoff_note: String,
    /// Why, e.g. "the rapport is not there".
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeOver {
    /// An internal note for the record.
    pub note: Option<String>,
}

// ------------------------------------------------------------------ settings, resolved

/// The desk's settings and each team's own, as the router applies them.
#[derive(Debug, Clone, Default)]
pub struct RoutingBook {
    pub desk: RoutingSettings,
    teams: HashMap<i64, RoutingSettings>,
}

impl RoutingBook {
    pub fn for_team(&self, team: Option<i64>) -> &RoutingSettings {
        team.and_then(|t| self.teams.get(&t)).unwrap_or(&self.desk)
    }

    /// An agent follows the first of their teams (by id) that has settings of its own.
    pub fn for_agent(&self, team_ids: &[i64]) -> &RoutingSettings {
        let mut ids = team_ids.to_vec();
        ids.sort_unstable();
        ids.iter()
            .find_map(|t| self.teams.get(t))
            .unwrap_or(&self.desk)
    }

    fn has_own(&self, team: i64) -> bool {
        self.teams.contains_key(&team)
    }
}

fn settings_of(r: &RoutingPolicyRow) -> Result<RoutingSettings, Invalid> {
    let breaks = BreakPolicy::new(r.break_every_minutes, r.break_minutes)?;
    RoutingSettings::new(
        r.mode.parse()?,
        r.upset_at,
        r.hard_streak_limit,
        breaks,
        r.stuck_after_minutes,
    )
}

fn settings_view(
    scope: String,
    team_id: Option<i64>,
    own: bool,
    s: &RoutingSettings,
) -> RoutingSettingsView {
    RoutingSettingsView {
        scope,
        team_id,
        own,
        mode: s.policy.mode.as_str().into(),
        upset_at: s.policy.upset_at,
        hard_streak_limit: s.policy.hard_streak_limit,
        break_every_minutes: s.breaks.work_minutes,
        break_minutes: s.breaks.break_minutes,
        stuck_after_minutes: s.stuck_after_minutes,
    }
}

/// Whether the ticket is a hard conversation under its team's settings.
fn hard_conversation(t: &TicketState, settings: &RoutingSettings) -> Option<HardConversation> {
    let frustration = t.frustration_score.unwrap_or(0);
    (t.abusive || frustration >= i64::from(settings.policy.upset_at)).then_some(HardConversation {
        frustration,
        abusive: t.abusive,
    })
}

/// What a person-chosen assignment does to the agent who gets the ticket.
pub(crate) fn assigned_by_hand(
    agent: i64,
    t: &TicketState,
    settings: &RoutingSettings,
) -> AgentTouch {
    AgentTouch {
        user_id: agent,
        expected_version: None,
        assigned: true,
        hard: hard_conversation(t, settings),
    }
}

// ------------------------------------------------------------ the desk as the router sees it

pub(crate) struct Desk {
    pub(crate) candidates: Vec<Candidate>,
    versions: HashMap<i64, i64>,
    /// The skills held by each team's agents (`None`: by anyone).
    team_skills: HashMap<Option<i64>, HashSet<String>>,
}

impl Desk {
    pub(crate) fn needs(
        &self,
        team_id: Option<i64>,
        tier: i64,
        frustration: Option<i64>,
        abusive: bool,
        tags: &[String],
    ) -> TicketNeeds {
        // A tag is a skill the ticket needs only when someone in its team has it, so a tag
        // nobody can cover never leaves a ticket waiting forever.
        let known = self.team_skills.get(&team_id);
        TicketNeeds {
            team_id,
            min_tier: Tier::new(tier).unwrap_or(Tier::FIRST),
            skills: tags
                .iter()
                .filter(|t| known.is_some_and(|k| k.contains(*t)))
                .cloned()
                .collect(),
            frustration: frustration.unwrap_or(0).clamp(0, 100) as u8,
            abusive,
        }
    }
}

fn presence_of(s: &str) -> Presence {
    s.parse().unwrap_or(Presence::Offline)
}

fn state_of_row(r: &PresenceRow) -> PresenceState {
    PresenceState {
        presence: presence_of(&r.presence),
        since: r.since,
        shift_started_at: r.shift_started_at,
        stretch_started_at: r.stretch_started_at,
        hard_in_a_row: r.hard_in_a_row.clamp(0, i64::from(u32::MAX)) as u32,
    }
}

fn state_of_staff(r: &StaffRoutingRow) -> PresenceState {
    PresenceState {
        presence: presence_of(&r.presence),
        since: r.since.unwrap_or(0),
        shift_started_at: r.shift_started_at,
        stretch_started_at: r.stretch_started_at,
        hard_in_a_row: r.hard_in_a_row.clamp(0, i64::from(u32::MAX)) as u32,
    }
}

fn gentle_reminder(state: &PresenceState, breaks: &BreakPolicy, now: i64) -> Option<String> {
    if !state.break_overdue(breaks, now) {
        return None;
    }
    let worked = state.minutes_without_break(now).unwrap_or(0);
    let (h, m) = (worked / 60, worked % 60);
    let worked = match (h, m) {
        (0, m) => format!("{m} minutes"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    };
    Some(format!(
        "You have been working for {worked} without a break. Take {} minutes when you can: \
         nobody on a break gets new work, and your tickets will wait for you.",
        breaks.break_minutes
    ))
}

impl Services {
    /// The routing settings in force (from the snapshot).
    pub(crate) async fn routing_book(&self) -> Result<RoutingBook> {
        Ok(self.snapshot().await?.routing.clone())
    }

    /// Reads the routing settings (for the snapshot).
    pub(crate) async fn load_routing_book(&self) -> Result<RoutingBook> {
        let mut book = RoutingBook::default();
        for r in self.store.routing_policies().await? {
            match settings_of(&r) {
                Ok(s) => match r.team_id {
                    None => book.desk = s,
                    Some(t) => {
                        book.teams.insert(t, s);
                    }
                },
                Err(e) => {
                    tracing::warn!(scope = %r.scope, error = %e, "stored routing settings ignored")
                }
            }
        }
        Ok(book)
    }

    pub(crate) async fn desk(&self) -> Result<Desk> {
        let rows = self.store.staff_for_routing(true, None).await?;
        let (skills, teams) = self.store.agent_skills_and_teams().await?;
        let mut skills_of: HashMap<i64, Vec<String>> = HashMap::new();
        for (user, skill) in skills {
            skills_of.entry(user).or_default().push(skill);
        }
        let mut teams_of: HashMap<i64, Vec<i64>> = HashMap::new();
        let mut team_skills: HashMap<Option<i64>, HashSet<String>> = HashMap::new();
        for (user, team) in teams {
            teams_of.entry(user).or_default().push(team);
            let held = skills_of.get(&user).into_iter().flatten().cloned();
            team_skills.entry(Some(team)).or_default().extend(held);
        }
        team_skills
            .entry(None)
            .or_default()
            .extend(skills_of.values().flatten().cloned());
        let versions = rows.iter().map(|r| (r.user_id, r.version)).collect();
        let candidates = rows
            .into_iter()
            .map(|r| Candidate {
                agent_id: r.user_id,
                team_ids: teams_of.remove(&r.user_id).unwrap_or_default(),
                tier: r
                    .tier
                    .and_then(|t| Tier::new(t).ok())
                    .unwrap_or(Tier::FIRST),
                skills: skills_of.remove(&r.user_id).unwrap_or_default(),
                presence: presence_of(&r.presence),
                open_tickets: r.open_tickets.clamp(0, i64::from(u32::MAX)) as u32,
                capacity: r.capacity.clamp(0, i64::from(u32::MAX)) as u32,
                hard_in_a_row: r.hard_in_a_row.clamp(0, i64::from(u32::MAX)) as u32,
                hard_this_shift: r.hard_this_shift.clamp(0, i64::from(u32::MAX)) as u32,
                last_assigned_at: r.last_assigned_at,
            })
            .collect();
        Ok(Desk {
            candidates,
            versions,
            team_skills,
        })
    }

    /// The decision logged on a ticket that opens while nobody takes work.
    pub(crate) fn nobody_available(needs_team: Option<i64>, book: &RoutingBook) -> NewEvent {
        let decision = decide(
            &TicketNeeds {
                team_id: needs_team,
                ..TicketNeeds::default()
            },
            &[],
            &book.for_team(needs_team).policy,
        );
        routed_event(&decision, book.for_team(needs_team).policy.mode)
    }

    /// Gives waiting tickets to agents who have room, most urgent first, each with its
    /// reasons logged on the ticket in the same transaction. `announce` is a ticket that
    /// just arrived: if it has to wait, the reasons why are logged on it too. Returns how
    /// many tickets were assigned. Called whenever capacity may have freed; the routing
    /// sweep calls it too, so nothing waits on a process that died.
    pub async fn assign_waiting(&self, mut announce: Option<i64>) -> Result<usize> {
        let mut assigned = 0;
        for round in 0..ROUNDS {
            back_off(round).await;
            let waiting = self.store.waiting_tickets(QUEUE_BATCH).await?;
            if waiting.is_empty() {
                return Ok(assigned);
            }
            let snapshot = self.snapshot().await?;
            let book = &snapshot.routing;
            if !snapshot.anyone_available {
                if let Some(id) = announce.filter(|id| waiting.iter().any(|w| w.id == *id)) {
                    let team = waiting.iter().find(|w| w.id == id).and_then(|w| w.team_id);
                    self.log_waiting(id, Self::nobody_available(team, book))
                        .await?;
                }
                return Ok(assigned);
            }
            let desk = self.desk().await?;
            let ids: Vec<i64> = waiting.iter().map(|w| w.id).collect();
            let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
            for (ticket, tag) in self.store.tags_of_tickets(&ids).await? {
                tags.entry(ticket).or_default().push(tag);
            }
            let queue: Vec<QueuedTicket> = waiting
                .iter()
                .map(|w| QueuedTicket {
                    ticket_id: w.id,
                    due_at: w.due_at,
                    needs: desk.needs(
                        w.team_id,
                        w.tier,
                        w.frustration_score,
                        w.abusive,
                        tags.get(&w.id).map_or(&[][..], Vec::as_slice),
                    ),
                })
                .collect();
            let mut candidates = desk.candidates.clone();
            let now = self.now();
            let plan = assign_queued_with(
                &queue,
                &mut candidates,
                |n| book.for_team(n.team_id).policy,
                now,
            );
            let mut versions = desk.versions.clone();
            let mut again = false;
            for a in plan {
                let Some(agent) = a.decision.chosen else {
                    if announce == Some(a.ticket_id) {
                        let team = waiting
                            .iter()
                            .find(|w| w.id == a.ticket_id)
                            .and_then(|w| w.team_id);
                        let mode = book.for_team(team).policy.mode;
                        self.log_waiting(a.ticket_id, routed_event(&a.decision, mode))
                            .await?;
                        announce = None;
                    }
                    continue;
                };
                let version = versions.get(&agent).copied().unwrap_or(-1);
                match self
                    .write_assignment(a.ticket_id, agent, version, &a.decision, book)
                    .await?
                {
                    true => {
                        assigned += 1;
                        versions.insert(agent, version + 1);
                        if announce == Some(a.ticket_id) {
                            announce = None;
                        }
                    }
                    // Someone else moved first (another process, a person, a break): read
                    // the desk again and decide again.
                    false => {
                        again = true;
                        break;
                    }
                }
            }
            if !again {
                return Ok(assigned);
            }
        }
        Ok(assigned)
    }

    /// [`Self::assign_waiting`] after a change that may free capacity. The change itself
    /// has been written; a failure here is logged and the next sweep retries.
    pub(crate) async fn capacity_may_have_freed(&self) {
        if let Err(e) = self.assign_waiting(None).await {
            tracing::warn!(error = %e, "assigning waiting tickets failed; the sweep retries");
        }
    }

    /// Writes one router assignment; false when the ticket or the agent changed since the
    /// decision (nothing is written then).
    async fn write_assignment(
        &self,
        id: i64,
        agent: i64,
        agent_version: i64,
        decision: &Decision,
        book: &RoutingBook,
    ) -> Result<bool> {
        let Some(t) = self.store.ticket(id).await? else {
            return Ok(false);
        };
        let open = t.status.parse::<Status>().is_ok_and(Status::is_open);
        if t.assignee_id.is_some() || !open {
            return Ok(false);
        }
        let settings = book.for_team(t.team_id);
        let mut c = Change::of(&t);
        c.state.assignee_id = Some(agent);
        c.events.push(routed_event(decision, settings.policy.mode));
        c.events.push(NewEvent {
            actor_id: None,
            kind: "assigned".into(),
            data: json!({"from": null, "to": agent, "by": "router"}),
        });
        c.agents.push(AgentTouch {
            user_id: agent,
            expected_version: Some(agent_version),
            assigned: true,
            hard: hard_conversation(&c.state, settings),
        });
        let now = self.now();
        Ok(matches!(
            self.write_change(&t, c, now).await?,
            Written::Done(_)
        ))
    }

    /// Logs why a ticket waits, on the ticket.
    async fn log_waiting(&self, id: i64, routed: NewEvent) -> Result<()> {
        for attempt in 0..ATTEMPTS {
            back_off(attempt).await;
            let Some(t) = self.store.ticket(id).await? else {
                return Ok(());
            };
            if t.assignee_id.is_some() {
                return Ok(());
            }
            let mut c = Change::of(&t);
            c.events.push(routed.clone());
            if let Written::Done(_) = self.write_change(&t, c, self.now()).await? {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// What handing `t` over to `input.to_agent_id` (called `name`) writes: the new owner, a
/// transfer, the `handed_over` event and the hand-off note as an internal note.
pub(crate) fn hand_over_change(
    actor: &Actor,
    t: &TicketRow,
    input: &HandOver,
    name: &str,
    reason: Option<&str>,
    book: &RoutingBook,
) -> Result<Change> {
    require_open(t, "handed over")?;
    let note = heard_domain::handoff::note(&input.handoff_note, &t.subject)?;
    if t.assignee_id == Some(input.to_agent_id) {
        return Err(ServiceError::conflict(
            ErrorCode::AlreadyOwner,
            format!("{name} already owns this ticket"),
        ));
    }
    let mut c = Change::of(t);
    c.state.assignee_id = Some(input.to_agent_id);
    c.state.transfers = t.transfers + 1;
    c.events.push(event(
        actor,
        "handed_over",
        json!({"from_assignee_id": t.assignee_id, "to_assignee_id": input.to_agent_id,
               "reason": reason, "handoff_note": note}),
    ));
    let why = reason.map(|r| format!(" ({r})")).unwrap_or_default();
    c.message = Some(internal_note(
        actor,
        format!("Hand-off to {name}{why}:\n{note}"),
    ));
    c.agents.push(assigned_by_hand(
        input.to_agent_id,
        &c.state,
        book.for_team(t.team_id),
    ));
    Ok(c)
}

/// The router's decision as an event: the structured reasons and the same as sentences.
pub(crate) fn routed_event(decision: &Decision, mode: RoutingMode) -> NewEvent {
    NewEvent {
        actor_id: None,
        kind: "routed".into(),
        data: json!({
            "chosen": decision.chosen,
            "mode": mode.as_str(),
            "reasons": decision.reasons,
            "text": decision.reasons.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }),
    }
}

// ------------------------------------------------------------------------- presence

impl Services {
    async fn presence_view(
        &self,
        row: &StaffRoutingRow,
        book: &RoutingBook,
    ) -> Result<PresenceView> {
        let now = self.now();
        let teams = self.store.team_ids_of(row.user_id).await?;
        let breaks = book.for_agent(&teams).breaks;
        let state = state_of_staff(row);
        let hard_interactions = match state.shift_started_at {
            Some(shift) if row.hard_this_shift > 0 => self
                .store
                .hard_interactions(row.user_id, shift, 50)
                .await?
                .into_iter()
                .map(|h| HardInteractionView {
                    ticket_id: h.ticket_id,
                    subject: h.subject,
                    frustration: h.frustration,
                    abusive: h.abusive,
                    at: rfc3339(h.at),
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(PresenceView {
            agent: PersonRef {
                id: row.user_id,
                name: row.name.clone(),
            },
            role: row.role.clone(),
            tier: row.tier,
            presence: state.presence.as_str().into(),
            since: row.since.map(rfc3339),
            takes_new_work: state.presence.takes_new_work() && row.role == "agent",
            shift_started_at: state.shift_started_at.map(rfc3339),
            minutes_without_break: state.minutes_without_break(now),
            break_due_at: state.break_due_at(&breaks).map(rfc3339),
            break_overdue: state.break_overdue(&breaks, now),
            reminder: gentle_reminder(&state, &breaks, now),
            break_every_minutes: breaks.work_minutes,
            break_minutes: breaks.break_minutes,
            open_tickets: row.open_tickets,
            capacity: row.capacity,
            hard_this_shift: row.hard_this_shift,
            hard_in_a_row: row.hard_in_a_row,
            hard_interactions,
        })
    }

    /// Agents see their own presence; supervisors anyone's; someone else's answers like a
    /// missing agent.
    fn may_see_presence(actor: &Actor, agent_id: i64) -> Result<()> {
        if agent_id != actor.user_id && !actor.may_view_agents() {
            return Err(ServiceError::not_found("agent", ErrorCode::AgentNotFound));
        }
        if !actor.is_staff() {
            return Err(ServiceError::forbidden(
                "presence is for the help desk's staff",
            ));
        }
        Ok(())
    }

    pub async fn presence(&self, actor: &Actor, agent_id: i64) -> Result<PresenceView> {
        Self::may_see_presence(actor, agent_id)?;
        let row = self
            .store
            .staff_for_routing(false, Some(agent_id))
            .await?
            .into_iter()
            .next()
            .ok_or(ServiceError::not_found("agent", ErrorCode::AgentNotFound))?;
        self.presence_view(&row, &self.routing_book().await?).await
    }

    /// Sets where an agent is (themselves, or a supervisor for them), appends it to the
    /// history and schedules the break reminder; coming back to work lets the router give
    /// them waiting tickets at once.
    pub async fn set_presence(
        &self,
        actor: &Actor,
        agent_id: i64,
        input: PresenceInput,
    ) -> Result<PresenceView> {
        Self::may_see_presence(actor, agent_id)?;
        let to: Presence = input.presence.parse()?;
        match self.store.user(agent_id).await? {
            Some(u) if u.role != "customer" && u.active => {}
            _ => return Err(ServiceError::not_found("agent", ErrorCode::AgentNotFound)),
        }
        let teams = self.store.team_ids_of(agent_id).await?;
        let book = self.routing_book().await?;
        let breaks = book.for_agent(&teams).breaks;
        let mut freed = false;
        for attempt in 0..ATTEMPTS {
            back_off(attempt).await;
            let read = self.store.presence(agent_id).await?;
            let state = read
                .as_ref()
                .map(state_of_row)
                .unwrap_or_else(PresenceState::offline);
            let now = self.now();
            let Some(change) = presence::change(&state, to, now, &breaks) else {
                break;
            };
            let write = PresenceWrite {
                presence: to.as_str().into(),
                since: change.state.since,
                shift_started_at: change.state.shift_started_at,
                stretch_started_at: change.state.stretch_started_at,
                break_due_at: change.state.break_due_at(&breaks),
                hard_in_a_row: i64::from(change.state.hard_in_a_row),
            };
            match self
                .store
                .set_presence(agent_id, read.as_ref(), &write, actor.user_id, now)
                .await
            {
                Err(heard_store::StoreError::Stale) => continue,
                other => other?,
            }
            freed = change.frees_capacity();
            break;
        }
        if freed {
            self.capacity_may_have_freed().await;
        }
        self.presence(actor, agent_id).await
    }

    pub async fn presence_history(
        &self,
        actor: &Actor,
        agent_id: i64,
        after: Option<i64>,
        limit: Option<i64>,
    ) -> Result<crate::views::Page<PresenceHistoryView>> {
        Self::may_see_presence(actor, agent_id)?;
        let limit = crate::page_limit(limit)?;
        let items = self
            .store
            .presence_history(agent_id, after, limit)
            .await?
            .into_iter()
            .map(|h| PresenceHistoryView {
                id: h.id,
                presence: h.presence,
                previous: h.previous,
                changed_by: h.changed_by,
                at: rfc3339(h.at),
            })
            .collect();
        Ok(crate::views::Page::new(
            items,
            limit,
            |h: &PresenceHistoryView| h.id,
        ))
    }

    /// Everyone's presence, breaks and hard conversations this shift (supervisors).
    pub async fn team_presence(&self, actor: &Actor) -> Result<Vec<PresenceView>> {
        if !actor.may_view_agents() {
            return Err(ServiceError::forbidden(
                "the team's presence is for supervisors",
            ));
        }
        let book = self.routing_book().await?;
        let mut out = Vec::new();
        for row in self.store.staff_for_routing(false, None).await? {
            out.push(self.presence_view(&row, &book).await?);
        }
        Ok(out)
    }

    /// One sweep of break reminders: each working agent whose break fell due is reminded
    /// once per stretch, however many processes sweep. Returns how many were reminded.
    pub async fn run_break_reminders(&self) -> Result<usize> {
        let now = self.now();
        let book = self.routing_book().await?;
        let mut fired = 0;
        for (user_id, stretch) in self.store.breaks_due(now, 200).await? {
            let teams = self.store.team_ids_of(user_id).await?;
            let breaks = book.for_agent(&teams).breaks;
            let worked = (now - stretch).max(0) / 60_000;
            let notification = NewNotification {
                user_id: Some(user_id),
                role: None,
                kind: "break_due".into(),
                message: format!(
                    "Time for a break: you have worked {} h {} min without one. Take {} minutes; \
                     nobody on a break gets new work, and your tickets will wait.",
                    worked / 60,
                    worked % 60,
                    breaks.break_minutes
                ),
            };
            if self
                .store
                .fire_break_reminder(user_id, stretch, &notification, now)
                .await?
            {
                fired += 1;
            }
        }
        Ok(fired)
    }
}

// ------------------------------------------------------------------------ settings

impl Services {
    /// The desk's routing settings and each team's (staff).
    pub async fn routing_settings(&self, actor: &Actor) -> Result<RoutingOverview> {
        if !actor.is_staff() {
            return Err(ServiceError::forbidden("routing settings are for staff"));
        }
        let book = self.routing_book().await?;
        let teams = self
            .store
            .teams()
            .await?
            .into_iter()
            .map(|t| {
                settings_view(
                    format!("team:{}", t.id),
                    Some(t.id),
                    book.has_own(t.id),
                    book.for_team(Some(t.id)),
                )
            })
            .collect();
        Ok(RoutingOverview {
            desk: settings_view("desk".into(), None, true, &book.desk),
            teams,
        })
    }

    /// Changes the desk's settings (`team: None`) or gives a team its own (admins).
    pub async fn set_routing_settings(
        &self,
        actor: &Actor,
        team: Option<i64>,
        input: RoutingSettingsInput,
    ) -> Result<RoutingSettingsView> {
        if !actor.may_configure() {
            return Err(ServiceError::forbidden(
                "only admins change routing settings",
            ));
        }
        if let Some(t) = team {
            self.store
                .team(t)
                .await?
                .ok_or(ServiceError::not_found("team", ErrorCode::TeamNotFound))?;
        }
        let book = self.routing_book().await?;
        let current = *book.for_team(team);
        let mode = match &input.mode {
            Some(m) => m.parse::<RoutingMode>()?,
            None => current.policy.mode,
        };
        let breaks = BreakPolicy::new(
            input
                .break_every_minutes
                .unwrap_or(i64::from(current.breaks.work_minutes)),
            input
                .break_minutes
                .unwrap_or(i64::from(current.breaks.break_minutes)),
        )?;
        let settings = RoutingSettings::new(
            mode,
            input.upset_at.unwrap_or(i64::from(current.policy.upset_at)),
            input
                .hard_streak_limit
                .unwrap_or(i64::from(current.policy.hard_streak_limit)),
            breaks,
            input
                .stuck_after_minutes
                .unwrap_or(current.stuck_after_minutes.map(i64::from)),
        )?;
        let scope = team.map_or_else(|| "desk".to_string(), |t| format!("team:{t}"));
        self.store
            .set_routing_policy(
                &RoutingPolicyRow {
                    scope: scope.clone(),
                    team_id: team,
                    mode: settings.policy.mode.as_str().into(),
                    upset_at: i64::from(settings.policy.upset_at),
                    hard_streak_limit: i64::from(settings.policy.hard_streak_limit),
                    break_every_minutes: i64::from(settings.breaks.work_minutes),
                    break_minutes: i64::from(settings.breaks.break_minutes),
                    stuck_after_minutes: settings.stuck_after_minutes.map(i64::from),
                },
                actor.user_id,
                self.now(),
            )
            .await?;
        self.settings_changed().await?;
        Ok(settings_view(scope, team, true, &settings))
    }

    /// A team follows the desk's settings again (admins).
    pub async fn clear_team_routing(
        &self,
        actor: &Actor,
        team: i64,
    ) -> Result<RoutingSettingsView> {
        if !actor.may_configure() {
            return Err(ServiceError::forbidden(
                "only admins change routing settings",
            ));
        }
        self.store
            .team(team)
            .await?
            .ok_or(ServiceError::not_found("team", ErrorCode::TeamNotFound))?;
        self.store
            .delete_routing_policy(&format!("team:{team}"))
            .await?;
        self.settings_changed().await?;
        let book = self.routing_book().await?;
        Ok(settings_view(
            format!("team:{team}"),
            Some(team),
            false,
            book.for_team(Some(team)),
        ))
    }

    /// New settings move working agents' break reminders and may let waiting tickets go.
    async fn settings_changed(&self) -> Result<()> {
        let book = self.routing_book().await?;
        for row in self.store.staff_for_routing(false, None).await? {
            let state = state_of_staff(&row);
            if state.stretch_started_at.is_none() {
                continue;
            }
            let teams = self.store.team_ids_of(row.user_id).await?;
            let due = state.break_due_at(&book.for_agent(&teams).breaks);
            self.store.reschedule_breaks(row.user_id, due).await?;
        }
        self.capacity_may_have_freed().await;
        Ok(())
    }
}

// ---------------------------------------------- collaborators, hand-overs, take-overs

pub(crate) fn optional_text(
    raw: Option<&str>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>> {
    let text = raw.map(str::trim).filter(|t| !t.is_empty());
    if text.is_some_and(|t| t.chars().count() > max) {
        return Err(ServiceError::invalid(
            field,
            ErrorCode::TextTooLong,
            format!("{field} has at most {max} characters"),
        ));
    }
    Ok(text.map(str::to_string))
}

fn internal_note(actor: &Actor, body: String) -> NewMessage {
    NewMessage {
        author_id: actor.user_id,
        kind: MessageKind::Internal.as_str().into(),
        channel: heard_domain::Channel::Api.as_str().into(),
        body_text: body,
        body_html: None,
        analysis: None,
    }
}

fn require_open(t: &TicketRow, what: &str) -> Result<()> {
    let status: Status = t.status.parse()?;
    if status.is_open() {
        Ok(())
    } else {
        Err(ServiceError::conflict(
            ErrorCode::TicketNotOpen,
            format!("this ticket is {}, so it cannot be {what}", status.label()),
        ))
    }
}

impl Services {
    pub(crate) async fn collaborator_ids(&self, ticket_id: i64) -> Result<Vec<i64>> {
        Ok(self
            .store
            .collaborators(ticket_id)
            .await?
            .into_iter()
            .map(|c| c.user_id)
            .collect())
    }

    pub(crate) async fn staff_name(&self, id: i64, field: &'static str) -> Result<String> {
        self.staff_member(id, field).await?;
        Ok(self
            .store
            .user(id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default())
    }

    /// Invites a colleague to join a ticket: they see it and work it beside its owner.
    pub async fn invite_collaborator(
        &self,
        actor: &Actor,
        id: i64,
        input: NewCollaborator,
    ) -> Result<crate::views::TicketDetail> {
        if !actor.is_staff() {
            self.visible_ticket(actor, id).await?;
            return Err(ServiceError::forbidden("only staff invite colleagues"));
        }
        let name = self.staff_name(input.agent_id, "agent_id").await?;
        let note = optional_text(input.note.as_deref(), "note", 2000)?;
        let already = self.collaborator_ids(id).await?;
        self.with_ticket(actor, id, |t, _now| {
            require_open(t, "joined")?;
            if t.assignee_id == Some(input.agent_id) || already.contains(&input.agent_id) {
                return Err(ServiceError::conflict(
                    ErrorCode::AlreadyOnTicket,
                    format!("{name} already works on this ticket"),
                ));
            }
            let mut c = Change::of(t);
            c.collaborator = Some(CollaboratorChange::Invite {
                user_id: input.agent_id,
                invited_by: actor.user_id,
            });
            c.events.push(event(
                actor,
                "collaborator_invited",
                json!({"agent_id": input.agent_id, "note": note}),
            ));
            if let Some(n) = &note {
                c.message = Some(internal_note(actor, format!("Asked {name} to join: {n}")));
            }
            Ok(c)
        })
        .await?;
        self.ticket_detail(actor, id).await
    }

    /// A colleague leaves a ticket (themselves, or anyone working it asks them off).
    pub async fn remove_collaborator(
        &self,
        actor: &Actor,
        id: i64,
        agent_id: i64,
    ) -> Result<crate::views::TicketDetail> {
        let t = self.visible_ticket(actor, id).await?;
        if !actor.is_staff() {
            return Err(ServiceError::forbidden(
                "only staff change who works a ticket",
            ));
        }
        if !self.collaborator_ids(t.id).await?.contains(&agent_id) {
            return Err(ServiceError::not_found(
                "collaborator",
                ErrorCode::CollaboratorNotFound,
            ));
        }
        self.with_ticket(actor, id, |t, _now| {
            let mut c = Change::of(t);
            c.collaborator = Some(CollaboratorChange::Remove { user_id: agent_id });
            c.events.push(event(
                actor,
                "collaborator_removed",
                json!({"agent_id": agent_id}),
            ));
            Ok(c)
        })
        .await?;
        // A colleague who left may no longer see the ticket.
        match self.ticket_detail(actor, id).await {
            Err(ServiceError::NotFound { .. }) => {
                self.ticket_detail(&self.unrestricted(actor), id).await
            }
            other => other,
        }
    }

    /// Hands a ticket to a colleague with a hand-off note (e.g. when the rapport is not
    /// there): they own it now, the customer repeats nothing, and it counts as a transfer.
    pub async fn hand_over(
        &self,
        actor: &Actor,
        id: i64,
        input: HandOver,
    ) -> Result<crate::views::TicketDetail> {
        if !actor.is_staff() {
            self.visible_ticket(actor, id).await?;
            return Err(ServiceError::forbidden("only staff hand tickets over"));
        }
        let name = self.staff_name(input.to_agent_id, "to_agent_id").await?;
        let reason = optional_text(input.reason.as_deref(), "reason", 500)?;
        let book = self.routing_book().await?;
        self.with_ticket(actor, id, |t, _now| {
            hand_over_change(actor, t, &input, &name, reason.as_deref(), &book)
        })
        .await?;
        self.capacity_may_have_freed().await;
        match self.ticket_detail(actor, id).await {
            Err(ServiceError::NotFound { .. }) => {
                self.ticket_detail(&self.unrestricted(actor), id).await
            }
            other => other,
        }
    }

    /// A supervisor takes over a conversation flagged abusive, relieving the agent.
    pub async fn take_over(
        &self,
        actor: &Actor,
        id: i64,
        input: TakeOver,
    ) -> Result<crate::views::TicketDetail> {
        self.visible_ticket(actor, id).await?;
        if !actor.may_view_agents() {
            return Err(ServiceError::forbidden(
                "only a supervisor takes a conversation over",
            ));
        }
        let note = optional_text(input.note.as_deref(), "note", 2000)?;
        let book = self.routing_book().await?;
        self.with_ticket(actor, id, |t, _now| {
            require_open(t, "taken over")?;
            if !t.abusive {
                return Err(ServiceError::conflict(
                    ErrorCode::NotFlaggedAbusive,
                    "only a conversation flagged abusive is taken over; assign it instead",
                ));
            }
            if t.assignee_id == Some(actor.user_id) {
                return Err(ServiceError::conflict(
                    ErrorCode::AlreadyOwner,
                    "you already own this ticket",
                ));
            }
            let mut c = Change::of(t);
            c.state.assignee_id = Some(actor.user_id);
            c.state.transfers = t.transfers + 1;
            c.events.push(event(
                actor,
                "taken_over",
                json!({"from_assignee_id": t.assignee_id, "to_assignee_id": actor.user_id,
                       "note": note}),
            ));
            c.message = Some(internal_note(
                actor,
                match &note {
                    Some(n) => format!("Taken over by a supervisor (the customer's messages were flagged abusive): {n}"),
                    None => "Taken over by a supervisor: the customer's messages were flagged abusive.".into(),
                },
            ));
            c.agents.push(assigned_by_hand(
                actor.user_id,
                &c.state,
                book.for_team(t.team_id),
            ));
            Ok(c)
        })
        .await?;
        self.capacity_may_have_freed().await;
        self.ticket_detail(actor, id).await
    }

    /// An actor who sees every ticket, to answer someone who just handed one away.
    pub(crate) fn unrestricted(&self, actor: &Actor) -> Actor {
        Actor {
            role: Role::Supervisor,
            ..actor.clone()
        }
    }
}

// ------------------------------------------------------------- stuck at a tier

/// What a ticket's tier clock is computed from: when it arrived at its tier, its status
/// then, and its status changes since, in milliseconds.
struct TierClock {
    arrived: i64,
    initial: heard_sla::Status,
    changes: Vec<(i64, heard_sla::Status)>,
}

/// The events that move a ticket's tier clock: its arrival (created, escalated) and its
/// status changes, oldest first, as (instant, kind, data).
fn tier_clock_input<'a>(
    events: impl Iterator<Item = (i64, &'a str, &'a serde_json::Value)>,
) -> Option<TierClock> {
    let parse =
        |s: Option<&str>| -> Option<heard_sla::Status> { serde_json::from_value(json!(s?)).ok() };
    let mut arrival: Option<(i64, heard_sla::Status)> = None;
    let mut changes = Vec::new();
    let mut current = heard_sla::Status::New;
    for (at, kind, data) in events {
        match kind {
            "created" => {
                current = if data.get("assignee_id").is_some_and(|a| !a.is_null()) {
                    heard_sla::Status::Open
                } else {
                    heard_sla::Status::New
                };
                arrival = Some((at, current));
                changes.clear();
            }
            "escalated" => {
                arrival = Some((at, current));
                changes.clear();
            }
            "status_changed" => {
                if let Some(to) = parse(data.get("to").and_then(|v| v.as_str())) {
                    current = to;
                    changes.push((at, to));
                }
            }
            _ => {}
        }
    }
    arrival.map(|(arrived, initial)| TierClock {
        arrived,
        initial,
        changes,
    })
}

/// When a ticket about to be written with `state` escalates on its own: business time of
/// its calendar at its tier, paused while it waits on someone else. `None` at the top
/// tier, once solved, or when its team turned the rule off.
pub(crate) fn stuck_deadline_in(
    book: &heard_sla::PolicyBook,
    routing: &RoutingBook,
    existing: &[EventRow],
    new: &[NewEvent],
    state: &TicketState,
    now: i64,
) -> Option<i64> {
    if state.tier >= 3 {
        return None;
    }
    let minutes = routing.for_team(state.team_id).stuck_after_minutes?;
    let parsed: Vec<(i64, &str, serde_json::Value)> = existing
        .iter()
        .map(|e| {
            (
                e.created_at,
                e.kind.as_str(),
                serde_json::from_str(&e.data).unwrap_or_default(),
            )
        })
        .chain(new.iter().map(|e| (now, e.kind.as_str(), e.data.clone())))
        .collect();
    let TierClock {
        arrived,
        initial,
        changes,
    } = tier_clock_input(parsed.iter().map(|(at, k, d)| (*at, *k, d)))?;
    let policy = book.policy_or_default(state.policy_id.as_deref().unwrap_or(""));
    let team = state.team_id.map(|t| t.to_string());
    let calendar = book.calendar_for(policy, team.as_deref());
    let ts = |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap_or_default();
    let changes: Vec<_> = changes.into_iter().map(|(at, s)| (ts(at), s)).collect();
    heard_sla::tier_deadline(calendar, ts(arrived), initial, &changes, minutes)
        .map(|d| d.as_millisecond())
}

impl Services {
    pub(crate) async fn stuck_deadline(
        &self,
        existing: &[EventRow],
        new: &[NewEvent],
        state: &TicketState,
        now: i64,
    ) -> Result<Option<i64>> {
        let snapshot = self.snapshot().await?;
        Ok(stuck_deadline_in(
            &snapshot.policies,
            &snapshot.routing,
            existing,
            new,
            state,
            now,
        ))
    }

    /// One sweep of tickets stuck at their tier past the threshold: each escalates one
    /// tier up in its team, unassigned so the next tier's agents pick it up, with an
    /// automatic hand-off note of what was tried (on the event; the ticket shows it as its
    /// latest hand-off). The ticket's version makes each
    /// escalation happen once, however many processes sweep. Returns how many escalated.
    pub async fn run_stuck_escalations(&self) -> Result<usize> {
        let now = self.now();
        let book = self.routing_book().await?;
        let mut escalated = 0;
        for id in self.store.tickets_stuck(now, 100).await? {
            let Some(t) = self.store.ticket(id).await? else {
                continue;
            };
            let Some(minutes) = book.for_team(t.team_id).stuck_after_minutes else {
                // Turned off since: forget the deadline.
                self.store.set_escalate_at(id, None).await?;
                continue;
            };
            let messages = self.store.messages(id, true).await?;
            let facts = self.store.facts_of(t.requester_id).await?;
            let tried = Tried {
                replies: messages
                    .iter()
                    .filter(|m| m.kind == "public" && m.author_role != "customer")
                    .map(|m| m.body_text.as_str())
                    .collect(),
                notes: messages
                    .iter()
                    .filter(|m| m.kind == "internal")
                    .map(|m| m.body_text.as_str())
                    .collect(),
                facts: facts
                    .iter()
                    .map(|f| (f.key.as_str(), f.value.as_str()))
                    .collect(),
                repeats: t.repeats,
            };
            let note = automatic_note(t.tier, minutes, &tried);
            match self.escalate_stuck(id, minutes, &note).await {
                Ok(true) => escalated += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(ticket = id, error = %e, "automatic escalation failed"),
            }
        }
        if escalated > 0 {
            self.capacity_may_have_freed().await;
        }
        Ok(escalated)
    }

    /// Escalates one stuck ticket if it still is (read again, written against its version):
    /// false when it no longer needs it, because another process did it or it moved on.
    async fn escalate_stuck(&self, id: i64, minutes: u32, note: &str) -> Result<bool> {
        for attempt in 0..ATTEMPTS {
            back_off(attempt).await;
            let Some(t) = self.store.ticket(id).await? else {
                return Ok(false);
            };
            let now = self.now();
            // The team's settings may have changed since the deadline was set (raised, or
            // turned off): what counts is the deadline under today's settings.
            let events = self.store.events(id).await?;
            let deadline = self
                .stuck_deadline(&events, &[], &Change::of(&t).state, now)
                .await?;
            if deadline != t.escalate_at {
                self.store.set_escalate_at(id, deadline).await?;
            }
            let due = deadline.is_some_and(|at| at <= now)
                && t.tier < 3
                && t.status.parse::<Status>().is_ok_and(Status::is_open);
            if !due {
                return Ok(false);
            }
            // Nobody works the next tier: the ticket keeps its owner and waits, visibly,
            // with the supervisors told, rather than moving into a queue nobody reads.
            if !self.coverage().await?.covers(t.team_id, t.tier + 1) {
                self.wait_for_nobody(&t, t.tier + 1, now).await?;
                return Ok(false);
            }
            let reason = format!("stuck at tier {} past {minutes} business minutes", t.tier);
            let mut c = Change::of(&t);
            c.state.tier = t.tier + 1;
            c.state.assignee_id = None;
            c.state.transfers = t.transfers + 1;
            c.events.push(NewEvent {
                actor_id: None,
                kind: "escalated".into(),
                data: json!({"automatic": true, "from_team_id": t.team_id,
                             "to_team_id": t.team_id, "from_tier": t.tier,
                             "to_tier": t.tier + 1, "from_assignee_id": t.assignee_id,
                             "to_assignee_id": null, "reason": reason,
                             "handoff_note": note}),
            });
            if let Written::Done(_) = self.write_change(&t, c, now).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// One sweep of everything routing does on its own: break reminders, tickets stuck at
    /// their tier, and waiting tickets for anyone with room.
    pub async fn run_routing_sweep(&self) -> Result<(usize, usize, usize)> {
        let reminded = self.run_break_reminders().await?;
        let escalated = self.run_stuck_escalations().await?;
        let assigned = self.assign_waiting(None).await?;
        Ok((reminded, escalated, assigned))
    }

    /// Sweeps forever (the `heard serve` background task).
    pub async fn routing_loop(self, every: std::time::Duration) {
        loop {
            if let Err(e) = self.run_routing_sweep().await {
                tracing::warn!(error = %e, "routing sweep failed; retrying");
            }
            tokio::time::sleep(every).await;
        }
    }
}
