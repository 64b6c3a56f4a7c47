//! Routing, presence and hand-offs through the API (issue 5): nobody on a break gets work,
//! capacity holds, upset customers skip agents on a hard streak, waiting tickets go out
//! most urgent first when capacity frees, the reasons are logged, break reminders and
//! automatic escalations fire once however many processes sweep, colleagues join, tickets
//! are handed over and taken over, and the customer is told who has it now.

mod common;

use common::*;
use heard_services::people::NewAgent;
use heard_services::{Clock, Services};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Monday 2026-11-23 09:00 UTC: the default calendar (weekdays 09:00–17:00 UTC) opens.
const MONDAY_9: i64 = 1_795_424_400_000;
const MINUTE: i64 = 60_000;
const UPSET: &str = "This is the third time I'm writing!!! Nobody answers and I'm losing \
                     customers. Fix it today or we cancel.";

/// Another staff member in `team`, with a token.
async fn agent(w: &World, email: &str, team: i64, tier: i64, capacity: i64) -> Person {
    let s = &w.app.services;
    let a = s
        .create_agent(
            None,
            NewAgent {
                email: email.into(),
                name: email.split('@').next().unwrap().into(),
                role: "agent".into(),
                tier: Some(tier),
                skills: vec!["vpn".into()],
                team_ids: vec![team],
                capacity: Some(capacity),
                time_zone: None,
                password: None,
            },
        )
        .await
        .unwrap();
    Person {
        id: a.id,
        email: email.into(),
        token: s.create_token(email, "test").await.unwrap(),
    }
}

async fn set_presence(w: &World, p: &Person, presence: &str) -> Value {
    let (st, v) = w
        .app
        .call(
            "PUT",
            "/api/v1/me/presence",
            Some(&p.token),
            Some(json!({ "presence": presence })),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

async fn open(w: &World, customer: &Person, subject: &str, body: &str) -> Value {
    let (st, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &customer.token,
            json!({"subject": subject, "body": body}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    t
}

async fn ticket(w: &World, id: i64) -> Value {
    w.app
        .get(&format!("/api/v1/tickets/{id}"), &w.supervisor.token)
        .await
        .1
}

fn owner(t: &Value) -> Option<i64> {
    t["assignee"]["id"].as_i64()
}

async fn events(w: &World, id: i64, kind: &str) -> Vec<Value> {
    let (_, all) = w
        .app
        .get(&format!("/api/v1/tickets/{id}/events"), &w.supervisor.token)
        .await;
    all.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .cloned()
        .collect()
}

async fn presence_of(w: &World, p: &Person) -> Value {
    w.app.get("/api/v1/me/presence", &p.token).await.1
}

#[tokio::test]
async fn nobody_on_a_break_gets_work_and_the_reasons_are_logged_on_the_ticket() {
    let w = World::new().await;
    let lee = agent(&w, "lee@desk.test", w.team_a, 1, 5).await;
    set_presence(&w, &w.agent_a, "available").await;
    set_presence(&w, &w.agent_a, "on_break").await;
    set_presence(&w, &lee, "available").await;

    let t = open(
        &w,
        &w.c1,
        "VPN will not connect",
        "Error 809 since this morning.",
    )
    .await;
    assert_eq!(
        owner(&t),
        Some(lee.id),
        "the agent on a break was passed over"
    );
    let id = t["id"].as_i64().unwrap();
    let routed = events(&w, id, "routed").await;
    assert_eq!(routed.len(), 1);
    let r = &routed[0]["data"];
    assert_eq!(r["chosen"], lee.id);
    assert!(
        r["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["why"] == "on_break" && x["agents"] == 1),
        "{r}"
    );
    let text: Vec<&str> = r["text"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(text.contains(&"1 agent on a break"), "{text:?}");
    assert!(
        text.last()
            .unwrap()
            .starts_with(&format!("assigned to agent {}", lee.id)),
        "{text:?}"
    );
    // The router's assignment is in the audit log as such, and staff see why on the ticket.
    let assigned = events(&w, id, "assigned").await;
    assert_eq!(
        (
            assigned[0]["data"]["by"].as_str(),
            assigned[0]["actor_id"].as_i64()
        ),
        (Some("router"), None)
    );
    let (_, seen) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &lee.token)
        .await;
    assert_eq!(seen["routing"]["chosen"], lee.id);
    let (_, mine) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.c1.token)
        .await;
    assert!(mine.get("routing").is_none(), "customers never see routing");

    // With everyone resting the ticket waits, and says why.
    set_presence(&w, &lee, "at_lunch").await;
    let waiting = open(&w, &w.c2, "Printer jam", "Paper stuck in tray 2.").await;
    let wid = waiting["id"].as_i64().unwrap();
    assert_eq!(owner(&waiting), None);
    let routed = events(&w, wid, "routed").await;
    assert_eq!(routed[0]["data"]["chosen"], Value::Null);
    assert!(
        routed[0]["data"]["text"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str().unwrap().contains("waits in the queue")),
        "{}",
        routed[0]
    );
    // Back from the break: the waiting ticket goes to them at once.
    set_presence(&w, &w.agent_a, "available").await;
    assert_eq!(owner(&ticket(&w, wid).await), Some(w.agent_a.id));

    // The history of every change, newest first.
    let (_, h) = w
        .app
        .get("/api/v1/me/presence/history", &w.agent_a.token)
        .await;
    let states: Vec<&str> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["presence"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["available", "on_break", "available"]);
}

#[tokio::test]
async fn capacity_holds_and_waiting_tickets_go_out_most_urgent_first() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let kim = agent(&w, "kim@desk.test", w.team_a, 1, 1).await;
    set_presence(&w, &kim, "available").await;
    let first = open(&w, &w.c1, "Mailbox full", "I cannot receive mail.").await;
    assert_eq!(owner(&first), Some(kim.id));
    clock.advance_ms(MINUTE);
    let normal = open(&w, &w.c1, "New monitor", "Could I get a second screen?").await;
    clock.advance_ms(MINUTE);
    // Opened later but due far sooner: an urgent ticket has a 60-minute first response.
    let (_, urgent) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.agent_a.token,
            json!({"subject": "Shop tills offline", "body": "No till works.",
                   "requester_email": "c2@private.test", "priority": "urgent"}),
        )
        .await;
    assert_eq!(
        (owner(&normal), owner(&urgent)),
        (None, None),
        "kim is full"
    );
    let me = presence_of(&w, &kim).await;
    assert_eq!(
        (me["open_tickets"].as_i64(), me["capacity"].as_i64()),
        (Some(1), Some(1))
    );

    // Solving frees the place: the most urgent waiting ticket takes it.
    let (st, _) = w
        .app
        .patch(
            &format!("/api/v1/tickets/{}", first["id"]),
            &kim.token,
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        owner(&ticket(&w, urgent["id"].as_i64().unwrap()).await),
        Some(kim.id)
    );
    assert_eq!(
        owner(&ticket(&w, normal["id"].as_i64().unwrap()).await),
        None
    );
    // Raising capacity frees another.
    let (st, _) = w
        .app
        .patch(
            &format!("/api/v1/agents/{}", kim.id),
            &w.admin.token,
            json!({"capacity": 2}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        owner(&ticket(&w, normal["id"].as_i64().unwrap()).await),
        Some(kim.id)
    );
    let (_, everyone) = w
        .app
        .get("/api/v1/agents/presence", &w.supervisor.token)
        .await;
    for a in everyone.as_array().unwrap() {
        assert!(
            a["open_tickets"].as_i64() <= a["capacity"].as_i64() || a["role"] != "agent",
            "{a}"
        );
    }
}

#[tokio::test]
async fn an_upset_customer_skips_the_agent_at_the_hard_streak_limit_who_gets_calm_work_next() {
    let w = World::new().await;
    let (st, v) = w
        .app
        .call(
            "PUT",
            "/api/v1/routing",
            Some(&w.admin.token),
            Some(json!({"hard_streak_limit": 2})),
        )
        .await;
    assert_eq!(
        (st, v["hard_streak_limit"].as_i64()),
        (StatusCode::OK, Some(2))
    );
    let ana = agent(&w, "ana@desk.test", w.team_a, 1, 10).await;
    let ben = agent(&w, "ben@desk.test", w.team_a, 1, 10).await;
    set_presence(&w, &ana, "available").await;
    for n in 0..2 {
        let t = open(&w, &w.c1, &format!("Still broken {n}"), UPSET).await;
        assert_eq!(owner(&t), Some(ana.id));
    }
    let a = presence_of(&w, &ana).await;
    assert_eq!(
        (a["hard_in_a_row"].as_i64(), a["hard_this_shift"].as_i64()),
        (Some(2), Some(2)),
        "{a}"
    );
    assert_eq!(a["hard_interactions"].as_array().unwrap().len(), 2);

    set_presence(&w, &ben, "available").await;
    let upset = open(&w, &w.c2, "STILL NOT FIXED", UPSET).await;
    assert_eq!(owner(&upset), Some(ben.id), "ana just had two hard ones");
    let routed = events(&w, upset["id"].as_i64().unwrap(), "routed").await;
    assert!(
        routed[0]["data"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["why"] == "hard_streak"),
        "{}",
        routed[0]
    );
    let calm = open(
        &w,
        &w.c2,
        "Font question",
        "Which font do we use for letters?",
    )
    .await;
    assert_eq!(owner(&calm), Some(ana.id), "lighter work after the streak");
    let a = presence_of(&w, &ana).await;
    assert_eq!(a["hard_in_a_row"], 0, "a calm ticket ends the streak");
    // The supervisor sees the shift's hard conversations.
    let (_, everyone) = w
        .app
        .get("/api/v1/agents/presence", &w.supervisor.token)
        .await;
    let row = everyone
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agent"]["id"] == ana.id)
        .unwrap();
    assert_eq!(row["hard_this_shift"], 2);
}

#[tokio::test]
async fn two_routers_racing_never_assign_a_ticket_twice_or_overfill_an_agent() {
    let w = World::new().await;
    let a = agent(&w, "ria@desk.test", w.team_a, 1, 3).await;
    let b = agent(&w, "rob@desk.test", w.team_a, 1, 3).await;
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(
            open(&w, &w.c1, &format!("Waiting {n}"), "Please help.").await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    // Both come on shift without the router noticing, then two processes race to fill them.
    let s = &w.app.services;
    for p in [&a, &b] {
        let now = s.now();
        w.app
            .store
            .set_presence(
                p.id,
                None,
                &heard_store::PresenceWrite {
                    presence: "available".into(),
                    since: now,
                    shift_started_at: Some(now),
                    stretch_started_at: Some(now),
                    break_due_at: None,
                    hard_in_a_row: 0,
                },
                p.id,
                now,
            )
            .await
            .unwrap();
    }
    let other = Services::new(
        heard_store::Store::open_url(&w.app.database_url)
            .await
            .unwrap(),
    );
    let runs: Vec<_> = [s.clone(), other.clone(), s.clone(), other]
        .into_iter()
        .map(|s| tokio::spawn(async move { s.assign_waiting(None).await.unwrap() }))
        .collect();
    let mut total = 0;
    for r in runs {
        total += r.await.unwrap();
    }
    assert_eq!(total, 6, "two agents with room for three each");
    for p in [&a, &b] {
        assert_eq!(presence_of(&w, p).await["open_tickets"], 3);
    }
    let mut assigned = 0;
    for id in ids {
        let n = events(&w, id, "assigned").await.len();
        assert!(n <= 1, "ticket {id} assigned {n} times");
        assigned += n;
    }
    assert_eq!(assigned, 6);
}

#[tokio::test]
async fn a_break_reminder_fires_once_per_stretch_however_many_processes_sweep() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    set_presence(&w, &w.agent_a, "available").await;
    let s = w.app.services.clone();
    let other = Services::new(
        heard_store::Store::open_url(&w.app.database_url)
            .await
            .unwrap(),
    )
    .with_clock(clock.clone());
    clock.advance_ms(119 * MINUTE);
    assert_eq!(s.run_break_reminders().await.unwrap(), 0, "not yet");
    assert_eq!(presence_of(&w, &w.agent_a).await["break_overdue"], false);
    clock.advance_ms(2 * MINUTE);
    let sweeps: Vec<_> = [s.clone(), other.clone(), s.clone(), other.clone()]
        .into_iter()
        .map(|s| tokio::spawn(async move { s.run_break_reminders().await.unwrap() }))
        .collect();
    let mut fired = 0;
    for h in sweeps {
        fired += h.await.unwrap();
    }
    assert_eq!(fired, 1, "four sweepers in two processes remind once");
    assert_eq!(other.run_break_reminders().await.unwrap(), 0);
    let (_, notes) = w.app.get("/api/v1/notifications", &w.agent_a.token).await;
    let reminders: Vec<&Value> = notes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "break_due")
        .collect();
    assert_eq!(reminders.len(), 1, "{notes}");
    assert_eq!(reminders[0]["ticket_id"], Value::Null);
    let me = presence_of(&w, &w.agent_a).await;
    assert_eq!(me["break_overdue"], true);
    assert!(
        me["reminder"].as_str().unwrap().contains("15 minutes"),
        "{me}"
    );
    let (_, everyone) = w
        .app
        .get("/api/v1/agents/presence", &w.supervisor.token)
        .await;
    let overdue: Vec<i64> = everyone
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["break_overdue"] == true)
        .map(|r| r["agent"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        overdue,
        [w.agent_a.id],
        "the supervisor sees who has not had one"
    );

    // A five-minute pause is not a break: still overdue, and no second reminder.
    set_presence(&w, &w.agent_a, "on_break").await;
    clock.advance_ms(5 * MINUTE);
    set_presence(&w, &w.agent_a, "available").await;
    assert_eq!(presence_of(&w, &w.agent_a).await["break_overdue"], true);
    assert_eq!(s.run_break_reminders().await.unwrap(), 0);
    // A real break starts a new stretch, which gets its own reminder two hours on.
    set_presence(&w, &w.agent_a, "on_break").await;
    clock.advance_ms(15 * MINUTE);
    let back = set_presence(&w, &w.agent_a, "available").await;
    assert_eq!(back["break_overdue"], false);
    clock.advance_ms(121 * MINUTE);
    assert_eq!(other.run_break_reminders().await.unwrap(), 1);
    assert_eq!(s.run_break_reminders().await.unwrap(), 0);
}

#[tokio::test]
async fn a_ticket_stuck_at_its_tier_escalates_once_with_a_note_of_what_was_tried() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let (st, v) = w
        .app
        .call(
            "PUT",
            &format!("/api/v1/teams/{}/routing", w.team_a),
            Some(&w.admin.token),
            Some(json!({"stuck_after_minutes": 60})),
        )
        .await;
    assert_eq!(
        (st, v["own"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{v}"
    );
    let id = w.ticket_by(&w.c1, "VPN drops every hour").await;
    let t = format!("/api/v1/tickets/{id}");
    w.app
        .patch(&t, &w.agent_a.token, json!({"assignee_id": w.agent_a.id}))
        .await;
    w.app
        .post(
            &format!("{t}/messages"),
            &w.agent_a.token,
            json!({"body": "Sorry about this. I reset your VPN profile; please try again and tell me."}),
        )
        .await;
    w.app
        .post(
            &format!("{t}/messages"),
            &w.agent_a.token,
            json!({"body": "Gateway logs show a 3600 s session limit.", "internal": true}),
        )
        .await;
    w.app
        .post(
            &format!("/api/v1/customers/{}/facts", w.c1.id),
            &w.agent_a.token,
            json!({"key": "vpn_client", "value": "GlobalConnect 6.2.1"}),
        )
        .await;
    clock.advance_ms(30 * MINUTE);
    w.app
        .patch(&t, &w.agent_a.token, json!({"status": "pending_customer"}))
        .await;
    // Waiting on the customer does not count.
    clock.advance_ms(60 * MINUTE);
    w.app
        .post(
            &format!("{t}/messages"),
            &w.c1.token,
            json!({"body": "Tried it, same drop."}),
        )
        .await;
    clock.advance_ms(29 * MINUTE);
    let s = w.app.services.clone();
    assert_eq!(
        s.run_stuck_escalations().await.unwrap(),
        0,
        "59 business minutes at tier 1"
    );
    // A tier-2 agent of the team is on shift to receive it.
    let zoe = agent(&w, "zoe@desk.test", w.team_a, 2, 5).await;
    set_presence(&w, &zoe, "available").await;
    clock.advance_ms(2 * MINUTE);
    let other = Services::new(
        heard_store::Store::open_url(&w.app.database_url)
            .await
            .unwrap(),
    )
    .with_clock(clock.clone());
    let sweeps: Vec<_> = [s.clone(), other.clone(), s.clone()]
        .into_iter()
        .map(|s| tokio::spawn(async move { s.run_stuck_escalations().await.unwrap() }))
        .collect();
    let mut escalated = 0;
    for h in sweeps {
        escalated += h.await.unwrap();
    }
    assert_eq!(escalated, 1);
    assert_eq!(other.run_stuck_escalations().await.unwrap(), 0);
    let auto = events(&w, id, "escalated").await;
    assert_eq!(auto.len(), 1);
    assert_eq!(auto[0]["data"]["automatic"], true);
    let note = auto[0]["data"]["handoff_note"].as_str().unwrap();
    for tried in [
        "tier 1",
        "1 reply",
        "I reset your VPN profile",
        "3600 s session",
        "vpn client = GlobalConnect 6.2.1",
    ] {
        assert!(note.contains(tried), "{tried} missing from {note}");
    }
    // The next tier's agent has it, and sees the thread, the note, the facts and the
    // customer's other tickets in one response.
    let (st, seen) = w.app.get(&t, &zoe.token).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (seen["tier"].as_i64(), seen["transfers"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(owner(&seen), Some(zoe.id));
    assert_eq!(seen["handoff"]["automatic"], true);
    assert_eq!(seen["handoff"]["handoff_note"], note);
    assert_eq!(seen["messages"].as_array().unwrap().len(), 4);
    assert_eq!(seen["customer"]["profile"]["facts"][0]["key"], "vpn_client");
    assert!(seen["customer"]["other_tickets"].is_array());
    let (_, mine) = w.app.get(&t, &w.c1.token).await;
    assert!(
        mine["handoff"]["message"]
            .as_str()
            .unwrap()
            .contains("zoe has your request"),
        "{}",
        mine["handoff"]
    );
    assert!(mine["handoff"].get("handoff_note").is_none());
    // Turned off for the team: the deadline set at tier 2 no longer counts.
    let (st, _) = w
        .app
        .call(
            "PUT",
            &format!("/api/v1/teams/{}/routing", w.team_a),
            Some(&w.admin.token),
            Some(json!({"stuck_after_minutes": null})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    clock.advance_ms(3 * 60 * MINUTE);
    assert_eq!(s.run_stuck_escalations().await.unwrap(), 0);
    assert_eq!(ticket(&w, id).await["tier"], 2);
}

#[tokio::test]
async fn an_invited_colleague_sees_and_works_the_ticket() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "Laptop will not boot").await;
    let t = format!("/api/v1/tickets/{id}");
    let (st, _) = w.app.get(&t, &w.agent_b.token).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "another team's ticket");
    let invite = format!("{t}/collaborators");
    let (st, v) = w
        .app
        .post(&invite, &w.agent_a.token, json!({"agent_id": w.c2.id}))
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["field"].as_str()),
        (422, Some("agent_id"))
    );
    let (st, v) = w
        .app
        .post(&invite, &w.c1.token, json!({"agent_id": w.agent_b.id}))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, _) = w
        .app
        .post(&invite, &w.c2.token, json!({"agent_id": w.agent_b.id}))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, v) = w
        .app
        .post(
            &invite,
            &w.agent_a.token,
            json!({"agent_id": w.agent_b.id, "note": "You know this BIOS."}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["collaborators"][0]["id"], w.agent_b.id);
    let (st, v) = w
        .app
        .post(&invite, &w.agent_a.token, json!({"agent_id": w.agent_b.id}))
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (409, Some("already_on_ticket"))
    );

    // Invited: they see it, find it in their list and work it.
    let (st, _) = w.app.get(&t, &w.agent_b.token).await;
    assert_eq!(st, StatusCode::OK);
    let (_, list) = w.app.get("/api/v1/tickets", &w.agent_b.token).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id)
    );
    let (st, _) = w
        .app
        .post(
            &format!("{t}/messages"),
            &w.agent_b.token,
            json!({"body": "Reset the CMOS; boots now.", "internal": true}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    // Leaving: hidden again.
    let (st, v) = w
        .app
        .call(
            "DELETE",
            &format!("{invite}/{}", w.agent_b.id),
            Some(&w.agent_b.token),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, _) = w.app.get(&t, &w.agent_b.token).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = w
        .app
        .call(
            "DELETE",
            &format!("{invite}/{}", w.agent_b.id),
            Some(&w.agent_a.token),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_hand_over_carries_its_note_and_the_customer_is_told_who_has_it() {
    let w = World::new().await;
    let id = w
        .ticket_by(&w.c1, "Outlook keeps asking for my password")
        .await;
    let t = format!("/api/v1/tickets/{id}");
    w.app
        .patch(&t, &w.agent_a.token, json!({"assignee_id": w.agent_a.id}))
        .await;
    let path = format!("{t}/handover");
    let (st, v) = w
        .app
        .post(
            &path,
            &w.agent_a.token,
            json!({"to_agent_id": w.agent_b.id, "handoff_note": "Outlook keeps asking for my password"}),
        )
        .await;
    assert_eq!(
        (
            st.as_u16(),
            v["error"]["code"].as_str(),
            v["error"]["field"].as_str()
        ),
        (422, Some("handoff_note_too_thin"), Some("handoff_note"))
    );
    let (st, v) = w
        .app
        .post(
            &path,
            &w.agent_a.token,
            json!({"to_agent_id": 424242, "handoff_note": "x"}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["field"].as_str()),
        (422, Some("to_agent_id"))
    );
    let (st, _) = w
        .app
        .post(
            &path,
            &w.c1.token,
            json!({"to_agent_id": w.agent_b.id, "handoff_note": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let note = "Mac on macOS 14.6; keychain entry reset twice, prompts return after the modern-auth switch.";
    let (st, v) = w
        .app
        .post(
            &path,
            &w.agent_a.token,
            json!({"to_agent_id": w.agent_b.id, "handoff_note": note, "reason": "the rapport is not there"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (owner(&v), v["transfers"].as_i64()),
        (Some(w.agent_b.id), Some(1))
    );
    // The receiver (of another team) sees it all in one response.
    let (st, seen) = w.app.get(&t, &w.agent_b.token).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(seen["handoff"]["kind"], "handed_over");
    assert_eq!(seen["handoff"]["handoff_note"], note);
    assert_eq!(seen["handoff"]["from"]["id"], w.agent_a.id);
    assert_eq!(seen["handoff"]["reason"], "the rapport is not there");
    assert!(
        seen["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "internal" && m["body_text"].as_str().unwrap().contains(note))
    );
    assert_eq!(seen["customer"]["profile"]["id"], w.c1.id);
    // The customer: who has it now, no need to repeat anything, and nothing internal.
    let (_, mine) = w.app.get(&t, &w.c1.token).await;
    let told = mine["handoff"]["message"].as_str().unwrap();
    assert!(
        told.starts_with("agent.b has your request now")
            && told.contains("will not need to repeat anything"),
        "{told}"
    );
    assert_eq!(mine["assignee"]["id"], w.agent_b.id);
    let text = mine.to_string();
    assert!(
        !text.contains("keychain") && !text.contains("rapport"),
        "{text}"
    );
    let (st, v) = w
        .app
        .post(
            &path,
            &w.agent_b.token,
            json!({"to_agent_id": w.agent_b.id, "handoff_note": note}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (409, Some("already_owner"))
    );
}

#[tokio::test]
async fn a_supervisor_takes_over_a_conversation_flagged_abusive() {
    let w = World::new().await;
    set_presence(&w, &w.agent_a, "available").await;
    let t = open(
        &w,
        &w.c1,
        "Printer offline",
        "The printer on floor 3 is offline.",
    )
    .await;
    let id = t["id"].as_i64().unwrap();
    assert_eq!(owner(&t), Some(w.agent_a.id));
    let path = format!("/api/v1/tickets/{id}/takeover");
    let (st, v) = w.app.post(&path, &w.supervisor.token, json!({})).await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (409, Some("not_flagged_abusive"))
    );
    w.app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &w.c1.token,
            json!({"body": "You are useless idiots, all of you."}),
        )
        .await;
    let a = presence_of(&w, &w.agent_a).await;
    assert_eq!(
        a["hard_this_shift"], 1,
        "an abusive message is a hard conversation: {a}"
    );
    let (st, _) = w.app.post(&path, &w.agent_a.token, json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = w
        .app
        .post(
            &path,
            &w.supervisor.token,
            json!({"note": "I'll handle this one."}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (owner(&v), v["transfers"].as_i64()),
        (Some(w.supervisor.id), Some(1))
    );
    assert_eq!(events(&w, id, "taken_over").await.len(), 1);
    assert_eq!(
        presence_of(&w, &w.agent_a).await["open_tickets"],
        0,
        "the agent is relieved"
    );
    let (_, mine) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.c1.token)
        .await;
    assert!(
        mine["handoff"]["message"]
            .as_str()
            .unwrap()
            .starts_with("super has your request"),
        "{}",
        mine["handoff"]
    );
}

#[tokio::test]
async fn presence_and_routing_settings_refuse_bad_input_naming_the_field() {
    let w = World::new().await;
    let put = |path: &str, token: &str, body: Value| {
        let (path, token) = (path.to_string(), token.to_string());
        let app = &w.app;
        async move { app.call("PUT", &path, Some(&token), Some(body)).await }
    };
    let (st, v) = put(
        "/api/v1/me/presence",
        &w.agent_a.token,
        json!({"presence": "asleep"}),
    )
    .await;
    assert_eq!(
        (
            st.as_u16(),
            v["error"]["code"].as_str(),
            v["error"]["field"].as_str()
        ),
        (422, Some("invalid_presence"), Some("presence"))
    );
    let (st, v) = put(
        "/api/v1/me/presence",
        &w.agent_a.token,
        json!({"presence": "away", "mood": "ok"}),
    )
    .await;
    assert_eq!(
        (st.as_u16(), v["error"]["field"].as_str()),
        (422, Some("mood"))
    );
    let (st, _) = put(
        "/api/v1/me/presence",
        &w.c1.token,
        json!({"presence": "available"}),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = put(
        &format!("/api/v1/agents/{}/presence", w.agent_b.id),
        &w.agent_a.token,
        json!({"presence": "offline"}),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "agents set only their own");
    let (st, v) = put(
        &format!("/api/v1/agents/{}/presence", w.agent_b.id),
        &w.supervisor.token,
        json!({"presence": "away"}),
    )
    .await;
    assert_eq!((st, v["presence"].as_str()), (StatusCode::OK, Some("away")));
    let (_, h) = w
        .app
        .get(
            &format!("/api/v1/agents/{}/presence/history", w.agent_b.id),
            &w.supervisor.token,
        )
        .await;
    assert_eq!(h["items"][0]["changed_by"], w.supervisor.id);
    for (body, field) in [
        (json!({"upset_at": 0}), "upset_at"),
        (json!({"mode": "random"}), "mode"),
        (json!({"break_every_minutes": 5}), "break_every_minutes"),
        (json!({"break_minutes": 500}), "break_minutes"),
        (json!({"stuck_after_minutes": 1}), "stuck_after_minutes"),
        (json!({"hard_streak_limit": "three"}), "hard_streak_limit"),
    ] {
        let (st, v) = put("/api/v1/routing", &w.admin.token, body.clone()).await;
        assert_eq!(
            (st.as_u16(), v["error"]["field"].as_str()),
            (422, Some(field)),
            "{body} → {v}"
        );
    }
    let (st, _) = put(
        "/api/v1/routing",
        &w.supervisor.token,
        json!({"mode": "round_robin"}),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = put("/api/v1/teams/424242/routing", &w.admin.token, json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, v) = put(
        "/api/v1/routing",
        &w.admin.token,
        json!({"mode": "skills_first", "stuck_after_minutes": null}),
    )
    .await;
    assert_eq!(
        (st, v["stuck_after_minutes"].clone()),
        (StatusCode::OK, Value::Null),
        "{v}"
    );
    let (_, all) = w.app.get("/api/v1/routing", &w.agent_a.token).await;
    assert_eq!(all["desk"]["mode"], "skills_first");
    assert_eq!(all["teams"][0]["own"], false);
    assert_eq!(
        all["teams"][0]["mode"], "skills_first",
        "teams follow the desk"
    );
}
