//! Looking after the customer (frustration, repeats, tone) and respecting their time
//! (service-level clocks, promises, warnings and breaches) through the API.

mod common;

use common::*;
use heard_services::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Monday 2026-11-23 09:00 UTC: the default calendar (weekdays 09:00–17:00 UTC) opens.
const MONDAY_9: i64 = 1_795_424_400_000;
const MINUTE: i64 = 60_000;

#[tokio::test]
async fn the_customer_sees_when_they_will_hear_next_and_staff_see_every_clock() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let id = w.ticket_by(&w.c1, "Email not syncing").await;
    let (_, t) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.c1.token)
        .await;
    // Standard policy: first response within 240 business minutes → Monday 13:00.
    assert_eq!(t["next_update_due"], "2026-11-23T13:00:00Z");
    assert!(
        t.get("sla").is_none() && t.get("frustration").is_none(),
        "customers see the promise, not the machinery"
    );
    let (_, staff) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.agent_a.token)
        .await;
    assert_eq!(staff["policy"], "standard");
    assert_eq!(
        staff["sla"]["first_response"]["due_at"],
        "2026-11-23T13:00:00Z"
    );
    assert_eq!(staff["sla"]["first_response"]["breached"], false);

    // Business hours only: at 16:00 a 240-minute target runs into Tuesday.
    clock.advance_ms(7 * 60 * MINUTE);
    let (_, t2) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.c2.token,
            json!({"subject": "Late one", "body": "VPN error 809"}),
        )
        .await;
    assert_eq!(t2["next_update_due"], "2026-11-24T12:00:00Z");

    // An urgent ticket falls under the tighter policy.
    let (_, u) = w.app.post("/api/v1/tickets", &w.agent_a.token, json!({"subject": "Site down", "body": "All stores offline", "requester_email": "c1@private.test", "priority": "urgent"})).await;
    assert_eq!(
        (u["policy"].as_str(), u["next_update_due"].as_str()),
        (Some("priority"), Some("2026-11-23T17:00:00Z"))
    );
}

#[tokio::test]
async fn waiting_on_the_customer_pauses_resolution_and_a_reply_meets_the_first_response() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let id = w.ticket_by(&w.c1, "Cannot open invoices").await;
    let t = format!("/api/v1/tickets/{id}");
    clock.advance_ms(30 * MINUTE);
    w.app.post(&format!("{t}/messages"), &w.agent_a.token, json!({"body": "Sorry about this. Could you tell me which invoice? I'll check it within the hour."})).await;
    w.app
        .patch(&t, &w.agent_a.token, json!({"status": "pending_customer"}))
        .await;
    clock.advance_ms(120 * MINUTE);
    let (_, v) = w.app.get(&t, &w.agent_a.token).await;
    let fr = &v["sla"]["first_response"];
    assert_eq!(
        (fr["met"].as_bool(), fr["elapsed_minutes"].as_i64()),
        (Some(true), Some(30))
    );
    let res = &v["sla"]["resolution"];
    assert_eq!(
        (res["paused"].as_bool(), res["elapsed_minutes"].as_i64()),
        (Some(true), Some(30)),
        "{res}"
    );
    // The customer answers: the resolution clock resumes, a next-update clock starts.
    w.app
        .post(
            &format!("{t}/messages"),
            &w.c1.token,
            json!({"body": "Invoice INV-7."}),
        )
        .await;
    clock.advance_ms(10 * MINUTE);
    let (_, v) = w.app.get(&t, &w.agent_a.token).await;
    assert_eq!(v["status"], "open");
    assert_eq!(
        (
            v["sla"]["resolution"]["paused"].as_bool(),
            v["sla"]["resolution"]["elapsed_minutes"].as_i64()
        ),
        (Some(false), Some(40))
    );
    // The answer came at 11:30; 480 business minutes: 330 on Monday, 150 on Tuesday.
    assert_eq!(v["sla"]["next_update"]["due_at"], "2026-11-24T11:30:00Z");
}

#[tokio::test]
async fn a_promise_is_tracked_warned_and_escalated_exactly_once() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let id = w.ticket_by(&w.c1, "Laptop replacement").await;
    let t = format!("/api/v1/tickets/{id}");
    let (st, v) = w
        .app
        .post(
            &format!("{t}/promise"),
            &w.agent_a.token,
            json!({"due_at": "2026-11-23T10:00:00Z", "note": "after the courier confirms"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        v["next_update_due"], "2026-11-23T10:00:00Z",
        "the customer sees the earlier, explicit promise"
    );
    let (_, seen) = w.app.get(&t, &w.c1.token).await;
    assert_eq!(seen["promise"]["due_at"], "2026-11-23T10:00:00Z");
    let (st, v) = w
        .app
        .post(
            &format!("{t}/promise"),
            &w.agent_a.token,
            json!({"due_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (422, Some("promise_in_past"))
    );
    let (st, _) = w
        .app
        .post(
            &format!("{t}/promise"),
            &w.c1.token,
            json!({"due_at": "2026-11-23T11:00:00Z"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = w
        .app
        .post(
            &format!("{t}/promise"),
            &w.agent_a.token,
            json!({"due_at": "Thursday"}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["field"].as_str()),
        (422, Some("due_at"))
    );

    let s = &w.app.services;
    assert_eq!(s.run_due_alerts().await.unwrap(), 0, "nothing is due yet");
    // 75% of the hour: the owner is warned, once, however many sweeps run.
    clock.advance_ms(46 * MINUTE);
    let sweeps = futures(vec![s.clone(), s.clone(), s.clone()]).await;
    assert_eq!(sweeps, 1, "three concurrent sweepers fire the warning once");
    assert_eq!(s.run_due_alerts().await.unwrap(), 0);
    // Past the promise: a breach for the supervisors, logged once.
    clock.advance_ms(20 * MINUTE);
    assert!(s.run_due_alerts().await.unwrap() >= 1);
    assert_eq!(s.run_due_alerts().await.unwrap(), 0);
    let keys = w.app.store.fired_alerts(id).await.unwrap();
    assert!(
        keys.iter().any(|k| k.starts_with("promise/1/warning"))
            && keys.iter().any(|k| k.starts_with("promise/1/breach")),
        "{keys:?}"
    );
    let (_, events) = w.app.get(&format!("{t}/events"), &w.supervisor.token).await;
    let breaches = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["kind"] == "sla_breached"
                && e["data"]["alert"].as_str().unwrap().starts_with("promise")
        })
        .count();
    assert_eq!(breaches, 1);
    let (_, notes) = w
        .app
        .get("/api/v1/notifications", &w.supervisor.token)
        .await;
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "sla_breached" && n["ticket_id"] == id),
        "{notes}"
    );
}

async fn futures(services: Vec<heard_services::Services>) -> usize {
    let handles: Vec<_> = services
        .into_iter()
        .map(|s| tokio::spawn(async move { s.run_due_alerts().await.unwrap() }))
        .collect();
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap();
    }
    total
}

#[tokio::test]
async fn the_queue_puts_what_is_due_and_who_is_upset_first() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let calm = w.ticket_by(&w.c1, "Question about fonts").await;
    clock.advance_ms(MINUTE);
    let (_, angry) = w.app.post("/api/v1/tickets", &w.c2.token, json!({"subject": "STILL BROKEN", "body": "This is the third time I'm writing!!! Nobody answers and I'm losing customers. Fix it today or we cancel."})).await;
    let angry = angry["id"].as_i64().unwrap();
    let (_, page) = w
        .app
        .get("/api/v1/tickets?order=due&limit=10", &w.agent_a.token)
        .await;
    let ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![angry, calm],
        "the upset customer first, though their ticket came later"
    );
    let badge = &page["items"][0]["frustration"];
    assert!(
        badge["score"].as_i64().unwrap() >= 50 && badge["level"] != "calm",
        "{badge}"
    );
    // Paging in due order walks every ticket once.
    let (_, first) = w
        .app
        .get("/api/v1/tickets?order=due&limit=1", &w.agent_a.token)
        .await;
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let (_, second) = w
        .app
        .get(
            &format!("/api/v1/tickets?order=due&limit=1&cursor={cursor}"),
            &w.agent_a.token,
        )
        .await;
    assert_eq!(second["items"][0]["id"], calm);
    let (st, v) = w
        .app
        .get("/api/v1/tickets?order=sideways", &w.agent_a.token)
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["field"].as_str()),
        (422, Some("order"))
    );
}

#[tokio::test]
async fn repeats_frustration_and_abuse_are_recorded_but_customers_never_see_scores() {
    let w = World::new().await;
    let (_, t) = w.app.post("/api/v1/tickets", &w.c1.token, json!({"subject": "Printer offline", "body": "The printer on floor 3 shows offline and will not print my documents."})).await;
    let id = t["id"].as_i64().unwrap();
    let msg = format!("/api/v1/tickets/{id}/messages");
    w.app.post(&msg, &w.c1.token, json!({"body": "Again: the printer on floor 3 shows offline and will not print any documents."})).await;
    w.app
        .post(
            &msg,
            &w.c1.token,
            json!({"body": "You are useless idiots, all of you."}),
        )
        .await;
    let (_, staff) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.agent_a.token)
        .await;
    assert_eq!(staff["had_to_repeat"], 1, "{}", staff["had_to_repeat"]);
    assert_eq!(staff["frustration"]["abusive"], true);
    let (_, events) = w
        .app
        .get(&format!("/api/v1/tickets/{id}/events"), &w.agent_a.token)
        .await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"had_to_repeat") && kinds.contains(&"abuse_flagged"),
        "{kinds:?}"
    );
    assert!(staff["messages"][0]["analysis"]["frustration"]["score"].is_number());
    let (_, mine) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.c1.token)
        .await;
    let text = mine.to_string();
    assert!(
        !text.contains("frustration")
            && !text.contains("abusive")
            && !text.contains("had_to_repeat"),
        "{text}"
    );
    // An agent's reply carries its tone review (advice only: it was sent).
    let (st, reply) = w.app.post(&msg, &w.agent_a.token, json!({"body": "Obviously you should have restarted it. As I already said, just reboot."})).await;
    assert_eq!(st, StatusCode::CREATED);
    let findings: Vec<&str> = reply["analysis"]["tone"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(
        findings.contains(&"condescension") && findings.contains(&"blame"),
        "{findings:?}"
    );
}

#[tokio::test]
async fn the_tone_coach_and_frustration_score_over_the_api() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "Outlook crashes").await;
    w.app
        .post(
            &format!("/api/v1/customers/{}/facts", w.c1.id),
            &w.agent_a.token,
            json!({"key": "os_version", "value": "Windows 11 23H2"}),
        )
        .await;
    let (st, review) = w
        .app
        .post(
            "/api/v1/analyze/tone",
            &w.agent_a.token,
            json!({"text": "Which Windows version are you on?", "ticket_id": id}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{review}");
    assert!(
        review["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "asks_known_fact"),
        "{review}"
    );
    for key in [
        "acknowledges",
        "empathizes",
        "apologizes",
        "next_step",
        "time_frame",
    ] {
        assert!(review["checklist"][key].is_boolean(), "{key}");
    }
    let good = "I'm sorry Outlook keeps crashing, that's disruptive. I've reset your profile on our side; I'll check back with you by 3pm today.";
    let (_, better) = w
        .app
        .post(
            "/api/v1/analyze/tone",
            &w.agent_a.token,
            json!({"text": good}),
        )
        .await;
    assert!(
        better["score"].as_i64() > review["score"].as_i64(),
        "{better}"
    );
    let (st, f) = w
        .app
        .post(
            "/api/v1/analyze/frustration",
            &w.agent_a.token,
            json!({"text": "Third time asking. STILL NOT FIXED!!!"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        f["score"].as_i64().unwrap() >= 50 && !f["evidence"].as_array().unwrap().is_empty(),
        "{f}"
    );
    let (st, _) = w
        .app
        .post("/api/v1/analyze/tone", &w.c1.token, json!({"text": "hi"}))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = w
        .app
        .post(
            "/api/v1/analyze/tone",
            &w.agent_a.token,
            json!({"text": "hi", "audience": "aliens"}),
        )
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["field"].as_str()),
        (422, Some("audience"))
    );
    let (st, _) = w
        .app
        .post(
            "/api/v1/analyze/tone",
            &w.agent_b.token,
            json!({"text": "hi", "ticket_id": id}),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::NOT_FOUND,
        "another team's ticket stays hidden"
    );
}

#[tokio::test]
async fn admins_set_service_levels_and_bad_ones_are_refused_naming_the_field() {
    let w = World::new().await;
    let (_, book) = w.app.get("/api/v1/service-levels", &w.agent_a.token).await;
    assert_eq!(book["default_policy"], "standard");
    let mut bad: Value = book.clone();
    bad["default_policy"] = json!("nope");
    let (st, v) = w
        .app
        .call(
            "PUT",
            "/api/v1/service-levels",
            Some(&w.admin.token),
            Some(bad),
        )
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (422, Some("invalid_service_levels"))
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("default_policy"),
        "{v}"
    );
    let mut bad_zone = book.clone();
    bad_zone["calendars"]["office"]["zone"] = json!("Mars/Olympus");
    let (st, _) = w
        .app
        .call(
            "PUT",
            "/api/v1/service-levels",
            Some(&w.admin.token),
            Some(bad_zone),
        )
        .await;
    assert_eq!(st.as_u16(), 422);
    let mut good = book.clone();
    good["calendars"]["office"]["zone"] = json!("Europe/Berlin");
    let (st, _) = w
        .app
        .call(
            "PUT",
            "/api/v1/service-levels",
            Some(&w.agent_a.token),
            Some(good.clone()),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = w
        .app
        .call(
            "PUT",
            "/api/v1/service-levels",
            Some(&w.admin.token),
            Some(good),
        )
        .await;
    assert_eq!(
        (st, v["calendars"]["office"]["zone"].as_str()),
        (StatusCode::OK, Some("Europe/Berlin"))
    );
}

#[tokio::test]
async fn compliance_is_reported_per_policy_team_and_target_from_events() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let on_time = w.ticket_by(&w.c1, "Answered quickly").await;
    let late = w.ticket_by(&w.c2, "Answered late").await;
    clock.advance_ms(30 * MINUTE);
    w.app
        .post(
            &format!("/api/v1/tickets/{on_time}/messages"),
            &w.agent_a.token,
            json!({"body": "Thanks for the details; I'm on it and will update you by noon."}),
        )
        .await;
    clock.advance_ms(5 * 60 * MINUTE);
    w.app
        .post(
            &format!("/api/v1/tickets/{late}/messages"),
            &w.agent_a.token,
            json!({"body": "Sorry for the wait; I'm on it and will update you by 5pm."}),
        )
        .await;
    let (st, report) = w
        .app
        .get("/api/v1/reports/service-levels?days=7", &w.supervisor.token)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(report["tickets"], 2);
    let fr = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["target"] == "first_response" && r["policy"] == "standard")
        .expect("a first-response row");
    assert_eq!(
        (
            fr["met"].as_i64(),
            fr["breached"].as_i64(),
            fr["compliance_percent"].as_f64()
        ),
        (Some(1), Some(1), Some(50.0)),
        "{fr}"
    );
    assert_eq!(fr["team"], w.team_a.to_string());
    let (st, _) = w
        .app
        .get("/api/v1/reports/service-levels", &w.agent_a.token)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = w
        .app
        .get("/api/v1/reports/service-levels?days=0", &w.supervisor.token)
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["field"].as_str()),
        (422, Some("days"))
    );
}

#[tokio::test]
async fn holidays_imported_from_icalendar_close_the_calendar() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261124\r\nDTEND;VALUE=DATE:20261125\r\nSUMMARY:Company day off\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let post = |token: &str, body: &str| {
        w.app
            .client
            .post(
                w.app
                    .url("/api/v1/service-levels/calendars/office/holidays"),
            )
            .bearer_auth(token)
            .header("content-type", "text/calendar")
            .body(body.to_string())
            .send()
    };
    assert_eq!(
        post(&w.agent_a.token, ics).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let bad = post(
        &w.admin.token,
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:nonsense\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let ok = post(&w.admin.token, ics).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    // Opened Monday 16:00 with 240 minutes: 60 on Monday, Tuesday is a holiday → Wednesday 12:00.
    clock.advance_ms(7 * 60 * MINUTE);
    let id = w.ticket_by(&w.c1, "Before the day off").await;
    let (_, t) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.c1.token)
        .await;
    assert_eq!(t["next_update_due"], "2026-11-25T12:00:00Z");
    let (_, t) = w
        .app
        .patch(
            &format!("/api/v1/customers/{}", w.c1.id),
            &w.c1.token,
            json!({"time_zone": "America/New_York"}),
        )
        .await;
    assert_eq!(t["time_zone"], "America/New_York");
    let (_, t) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.c1.token)
        .await;
    assert!(
        t["next_update_due_local"]
            .as_str()
            .unwrap()
            .contains("07:00"),
        "shown in the customer's zone: {}",
        t["next_update_due_local"]
    );
    // Staff read the same local time, and the customer panel lists the customer's other
    // tickets with their own tags, not this ticket's.
    let other = w.ticket_by(&w.c1, "After the day off").await;
    let (s, _) = w
        .app
        .patch(
            &format!("/api/v1/tickets/{other}"),
            &w.supervisor.token,
            json!({"tags": ["vpn"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = w
        .app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            &w.supervisor.token,
            json!({"tags": ["holiday", "billing"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, seen) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.supervisor.token)
        .await;
    assert_eq!(seen["next_update_due_local"], t["next_update_due_local"]);
    assert_eq!(seen["tags"], json!(["billing", "holiday"]));
    let others = seen["customer"]["other_tickets"].as_array().unwrap();
    let listed = others.iter().find(|o| o["id"] == json!(other)).unwrap();
    assert_eq!(listed["tags"], json!(["vpn"]));
    assert!(others.iter().all(|o| o["id"] != json!(id)));
}

#[tokio::test]
async fn a_duplicate_merges_into_one_thread_and_the_customers_wait_carries_over() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let app = &w.app;
    let first = w.ticket_by(&w.c1, "Printer offline").await;
    clock.advance_ms(10 * MINUTE);
    let (s, _) = app
        .post(
            &format!("/api/v1/tickets/{first}/messages"),
            &w.agent_a.token,
            json!({"body": "I'm sorry about the printer. I'll check the print server and write back by noon."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // 09:20 the customer writes again, as a new request, about the same printer.
    clock.advance_ms(10 * MINUTE);
    let (s, dup) = app
        .post(
            "/api/v1/tickets",
            &w.c1.token,
            json!({"subject": "Printer still offline", "body": "The toner light blinks and nothing prints."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let dup = dup["id"].as_i64().unwrap();
    let (s, _) = app
        .patch(
            &format!("/api/v1/tickets/{dup}"),
            &w.agent_a.token,
            json!({"tags": ["printer"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let merge = |who: &Person, into: i64| {
        let token = who.token.clone();
        async move {
            app.post(
                &format!("/api/v1/tickets/{dup}/merge"),
                &token,
                json!({"into_ticket_id": into, "note": "same printer"}),
            )
            .await
        }
    };

    // Refused, naming why, and changing nothing.
    let someone_else = w.ticket_by(&w.c2, "Printer offline too").await;
    let (s, v) = merge(&w.agent_a, someone_else).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "different_requester");
    assert_eq!(v["error"]["field"], "into_ticket_id");
    let (s, v) = merge(&w.agent_a, dup).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("merge_into_itself"))
    );
    let (s, v) = merge(&w.agent_a, 999_999).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("into_ticket_id"))
    );
    let (s, _) = merge(&w.c1, first).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = merge(&w.agent_b, first).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "another team's agent cannot see it"
    );
    let (_, still) = app
        .get(&format!("/api/v1/tickets/{dup}"), &w.agent_a.token)
        .await;
    assert_eq!(still["status"], "new");
    assert_eq!(still["messages"].as_array().unwrap().len(), 1);

    // An hour later the agent folds the duplicate into the first ticket.
    clock.advance_ms(60 * MINUTE);
    let (s, merged) = merge(&w.agent_a, first).await;
    assert_eq!(s, StatusCode::OK, "{merged}");
    assert_eq!(merged["id"], first);
    let bodies: Vec<&str> = merged["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body_text"].as_str().unwrap())
        .collect();
    assert!(bodies.contains(&"The toner light blinks and nothing prints."));
    assert!(
        bodies
            .iter()
            .any(|b| b.starts_with(&format!("Merged ticket #{dup}")))
    );
    assert_eq!(merged["tags"], json!(["printer"]));
    // The customer has waited since 09:20 for an answer to the duplicate.
    assert_eq!(merged["sla"]["next_update"]["active"], true, "{merged}");
    assert_eq!(
        merged["sla"]["next_update"]["started_at"],
        "2026-11-23T09:20:00Z"
    );

    // The customer finds one conversation, and the old request points to it.
    let (_, old) = app
        .get(&format!("/api/v1/tickets/{dup}"), &w.c1.token)
        .await;
    assert_eq!(old["status"], "closed");
    assert_eq!(old["merged_into"], first);
    assert_eq!(old["messages"], json!([]));
    let (_, one) = app
        .get(&format!("/api/v1/tickets/{first}"), &w.c1.token)
        .await;
    let kinds: Vec<&str> = one["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["public", "public", "public"],
        "no internal note: {one}"
    );
    let (_, found) = app.get("/api/v1/search?q=toner", &w.c1.token).await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["hits"][0]["id"], first);

    // Both logs say what happened; a closed duplicate cannot be merged again.
    let (_, events) = app
        .get(&format!("/api/v1/tickets/{dup}/events"), &w.agent_a.token)
        .await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "merged_into" && e["data"]["ticket_id"] == first)
    );
    let (_, events) = app
        .get(&format!("/api/v1/tickets/{first}/events"), &w.agent_a.token)
        .await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "merged_from" && e["data"]["ticket_id"] == dup)
    );
    let (s, v) = merge(&w.agent_a, first).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("ticket_closed"))
    );
}
