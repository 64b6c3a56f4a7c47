//! A ticket's opening, decided in one pure step: from the parsed request, the requester
//! and the snapshot of settings, the complete write (ticket row, first message, tags,
//! events, clocks, the agent it is given to) and whether the router should run after it.
//! No I/O and no clock, so it is table- and property-tested; the use case loads the facts,
//! calls [`plan_opening`], writes the plan and answers from it.

use crate::care::{InboundCare, level_name};
use crate::service_levels::settle;
use crate::snapshot::Snapshot;
use crate::tickets::event;
use crate::{Actor, Services};
use heard_domain::{Channel, MessageKind, Priority, Status, Subject, Tag};
use heard_sla::TicketClocks;
use heard_store::{NewMessage, NewTicket, TicketState};
use serde_json::json;

/// What a new ticket is made of, already parsed and checked.
pub(crate) struct Opening<'a> {
    pub actor: &'a Actor,
    pub subject: Subject,
    pub body: String,
    pub body_html: Option<String>,
    pub priority: Priority,
    pub channel: Channel,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub tags: Vec<Tag>,
    pub care: InboundCare,
    /// (user id, key, hash of the request) of an `Idempotency-Key`.
    pub idempotency: Option<(i64, String, String)>,
}

/// The decision: the write, the clocks it starts, and whether the router runs after it.
pub(crate) struct OpeningPlan {
    pub ticket: NewTicket,
    pub clocks: TicketClocks,
    /// Nobody named an owner and someone takes work: the router decides right after,
    /// among everything waiting, most urgent first.
    pub route: bool,
}

/// Decides everything a new ticket writes, at `now`.
pub(crate) fn plan_opening(o: Opening<'_>, snapshot: &Snapshot, now: i64) -> OpeningPlan {
    let status = if o.assignee_id.is_some() {
        Status::Open
    } else {
        Status::New
    };
    let policy = Services::select_policy(
        &snapshot.policies,
        o.priority.as_str(),
        o.channel.as_str(),
        o.team_id,
        o.organization_id,
    );
    let frustration = &o.care.frustration;
    let mut events = vec![event(
        o.actor,
        "created",
        json!({"channel": o.channel.as_str(), "priority": o.priority.as_str(), "team_id": o.team_id,
               "assignee_id": o.assignee_id, "requester_id": o.requester_id, "policy": policy,
               "frustration": frustration.score}),
    )];
    events.extend(o.care.events);
    let route = o.assignee_id.is_none() && snapshot.anyone_available;
    // Nobody to take it: say so on the ticket as it opens.
    if o.assignee_id.is_none() && !route {
        events.push(Services::nobody_available(o.team_id, &snapshot.routing));
    }
    let mut state = TicketState {
        subject: o.subject.into_inner(),
        status: status.as_str().into(),
        priority: o.priority.as_str().into(),
        assignee_id: o.assignee_id,
        team_id: o.team_id,
        tier: 1,
        transfers: 0,
        frustration_score: Some(frustration.score as i64),
        frustration_level: Some(level_name(frustration.level)),
        abusive: frustration.abusive,
        repeats: 0,
        policy_id: None,
        next_update_due: None,
        due_at: None,
        queue_rank: 0,
        next_alert_at: None,
        escalate_at: None,
    };
    let clocks = settle(snapshot, &[], &events, &mut state, now);
    let agents = o
        .assignee_id
        .map(|a| crate::routing::assigned_by_hand(a, &state, snapshot.routing.for_team(o.team_id)))
        .into_iter()
        .collect();
    let ticket = NewTicket {
        state,
        channel: o.channel.as_str().into(),
        requester_id: o.requester_id,
        organization_id: o.organization_id,
        tags: o.tags.iter().map(|t| t.as_str().to_string()).collect(),
        message: NewMessage {
            author_id: o.requester_id,
            kind: MessageKind::Public.as_str().into(),
            channel: o.channel.as_str().into(),
            body_text: o.body,
            body_html: o.body_html,
            analysis: Some(json!({"frustration": frustration}).to_string()),
        },
        events,
        agents,
        idempotency: o.idempotency,
    };
    OpeningPlan {
        ticket,
        clocks,
        route,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::RoutingBook;
    use heard_domain::Role;
    use heard_language::{Frustration, Level};
    use heard_store::NewEvent;
    use proptest::prelude::*;

    const NOW: i64 = 1_764_673_200_000; // a Tuesday, 11:00 UTC: inside office hours

    fn snapshot(anyone_available: bool) -> Snapshot {
        Snapshot {
            version: 1,
            policies: crate::service_levels::parse_book(None).unwrap(),
            routing: RoutingBook::default(),
            teams: Vec::new(),
            default_team: None,
            anyone_available,
        }
    }

    fn customer() -> Actor {
        Actor {
            user_id: 7,
            role: Role::Customer,
            team_ids: Vec::new(),
            organization_id: None,
            organization_shares: false,
        }
    }

    fn opening<'a>(
        actor: &'a Actor,
        priority: Priority,
        assignee_id: Option<i64>,
        score: u8,
        abusive: bool,
    ) -> Opening<'a> {
        let mut events = Vec::new();
        if abusive {
            events.push(NewEvent {
                actor_id: Some(actor.user_id),
                kind: "abuse_flagged".into(),
                data: json!({"score": score}),
            });
        }
        Opening {
            actor,
            subject: Subject::parse("The printer prints blank pages").unwrap(),
            body: "Nothing comes out.".into(),
            body_html: None,
            priority,
            channel: Channel::Portal,
            requester_id: 7,
            organization_id: None,
            team_id: Some(3),
            assignee_id,
            tags: vec![Tag::parse("printer").unwrap()],
            care: InboundCare {
                frustration: Frustration {
                    score,
                    level: Level::Calm,
                    abusive,
                    evidence: Vec::new(),
                },
                restates: None,
                events,
            },
            idempotency: None,
        }
    }

    fn kinds(events: &[NewEvent]) -> Vec<&str> {
        events.iter().map(|e| e.kind.as_str()).collect()
    }

    #[test]
    fn who_takes_a_new_ticket_decides_its_status_its_log_and_whether_the_router_runs() {
        let actor = customer();
        // (assignee named, anyone available) → (status, events, route, agents touched)
        let table = [
            (None, false, "new", vec!["created", "routed"], false, 0),
            (None, true, "new", vec!["created"], true, 0),
            (Some(11), false, "open", vec!["created"], false, 1),
            (Some(11), true, "open", vec!["created"], false, 1),
        ];
        for (assignee, available, status, events, route, agents) in table {
            let plan = plan_opening(
                opening(&actor, Priority::Normal, assignee, 10, false),
                &snapshot(available),
                NOW,
            );
            let case = format!("assignee {assignee:?}, available {available}");
            assert_eq!(plan.ticket.state.status, status, "{case}");
            assert_eq!(kinds(&plan.ticket.events), events, "{case}");
            assert_eq!(plan.route, route, "{case}");
            assert_eq!(plan.ticket.agents.len(), agents, "{case}");
        }
    }

    #[test]
    fn priority_picks_the_policy_and_its_first_response_target() {
        let actor = customer();
        // The default book: urgent and high answer within 60 business minutes, the rest 240.
        for (priority, policy, minutes) in [
            (Priority::Urgent, "priority", 60),
            (Priority::High, "priority", 60),
            (Priority::Normal, "standard", 240),
            (Priority::Low, "standard", 240),
        ] {
            let plan = plan_opening(
                opening(&actor, priority, None, 10, false),
                &snapshot(false),
                NOW,
            );
            let state = &plan.ticket.state;
            assert_eq!(state.policy_id.as_deref(), Some(policy), "{priority}");
            assert_eq!(
                plan.ticket.events[0].data["policy"], policy,
                "the created event names the policy"
            );
            assert_eq!(
                state.next_update_due,
                Some(NOW + minutes * 60_000),
                "{priority}: inside office hours the promise is the target away"
            );
        }
    }

    #[test]
    fn an_abusive_first_message_is_flagged_on_the_ticket_and_in_its_log() {
        let actor = customer();
        let plan = plan_opening(
            opening(&actor, Priority::Normal, Some(11), 90, true),
            &snapshot(false),
            NOW,
        );
        assert!(plan.ticket.state.abusive);
        assert_eq!(kinds(&plan.ticket.events), ["created", "abuse_flagged"]);
        // The owner named at opening takes on a hard conversation.
        assert!(plan.ticket.agents[0].hard.is_some());
    }

    fn priorities() -> impl Strategy<Value = Priority> {
        prop_oneof![
            Just(Priority::Low),
            Just(Priority::Normal),
            Just(Priority::High),
            Just(Priority::Urgent),
        ]
    }

    proptest! {
        #[test]
        fn every_plan_is_a_consistent_write(
            priority in priorities(),
            assignee in proptest::option::of(1i64..50),
            available in any::<bool>(),
            score in 0u8..=100,
            abusive in any::<bool>(),
            // Any instant in 2020–2035.
            now in 1_577_836_800_000i64..2_082_758_400_000,
        ) {
            let actor = customer();
            let plan = plan_opening(
                opening(&actor, priority, assignee, score, abusive),
                &snapshot(available),
                now,
            );
            let t = &plan.ticket;
            let s = &t.state;
            prop_assert_eq!(t.events[0].kind.as_str(), "created");
            prop_assert_eq!(t.events[0].data["policy"].as_str(), s.policy_id.as_deref());
            prop_assert_eq!(s.status == "open", assignee.is_some());
            prop_assert_eq!(s.assignee_id, assignee);
            prop_assert_eq!(plan.route, assignee.is_none() && available);
            let routed = t.events.iter().filter(|e| e.kind == "routed").count();
            prop_assert_eq!(routed, usize::from(assignee.is_none() && !available));
            prop_assert_eq!(t.agents.len(), usize::from(assignee.is_some()));
            prop_assert_eq!(s.frustration_score, Some(i64::from(score)));
            prop_assert_eq!(s.abusive, abusive);
            prop_assert_eq!(t.message.author_id, t.requester_id);
            // A new ticket owes a first answer: promised, due, and in the future.
            let due = s.next_update_due.expect("a first answer is promised");
            prop_assert!(due > now);
            prop_assert!(s.due_at.is_some_and(|d| d <= due));
            prop_assert_eq!(
                plan.clocks.next_update_due.map(|d| d.as_millisecond()),
                s.next_update_due
            );
        }
    }
}
