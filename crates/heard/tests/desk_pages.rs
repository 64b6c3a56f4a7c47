//! The daily desk without dead ends (issue 16): the status menu offers only the moves the
//! state machine allows and a refusal comes back on the same page beside the field, in
//! plain words; an escalation never leaves a ticket unowned silently; the agent who
//! handed a ticket on can still read it; and customers have a help centre at `/help`.

mod common;

use common::pages::{anonymous, browser};
use common::{PASSWORD, Person, World};
use heard_services::people::NewAgent;
use heard_services::{Clock, Services};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MONDAY_9: i64 = 1_795_420_800_000; // 2026-11-23T09:00:00Z
const MINUTE: i64 = 60_000;

/// The `value`s of the options of the `<select id="{id}">` in `html`.
fn options(html: &str, id: &str) -> Vec<String> {
    let start = html
        .find(&format!("<select id=\"{id}\""))
        .unwrap_or_else(|| panic!("no select {id}"));
    let end = start + html[start..].find("</select>").unwrap();
    html[start..end]
        .split("<option value=\"")
        .skip(1)
        .map(|o| o.split('"').next().unwrap().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// No API wording reaches a page.
fn plain_words(html: &str) {
    for api in ["/api/", "POST ", "PATCH ", "a open ticket", "{\"error\""] {
        assert!(!html.contains(api), "API wording {api:?} on a page");
    }
}

async fn agent(w: &World, email: &str, team: i64, tier: i64) -> Person {
    let s = &w.app.services;
    let a = s
        .create_agent(
            None,
            NewAgent {
                email: email.into(),
                name: email.split('@').next().unwrap().into(),
                role: "agent".into(),
                tier: Some(tier),
                skills: vec![],
                team_ids: vec![team],
                capacity: Some(10),
                time_zone: None,
                password: Some(PASSWORD.into()),
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

#[tokio::test]
async fn the_status_menu_offers_only_allowed_moves_and_every_offered_move_is_accepted() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "Printer jams").await;
    let a = browser(&w.app, &w.agent_a).await;
    let page = format!("/agent/tickets/{id}");
    // Walk the state machine through the page: from each state, take every offered move
    // (on a fresh ticket in that state) and check it is accepted.
    let (_, html) = a.page(&page).await;
    let offered = options(&html, "status");
    assert!(!offered.contains(&"closed".to_string()), "{offered:?}");
    assert!(!offered.contains(&"new".to_string()));
    for to in &offered {
        let t = w.ticket_by(&w.c1, "Printer jams again").await;
        let (st, back, body) = a
            .form(
                &format!("/agent/tickets/{t}/update"),
                &[("status", to), ("assign", "")],
            )
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{to}: {body}");
        assert!(back.ends_with("done=updated"));
    }
    // Resolved: now closing is offered, and accepted.
    let (st, _, _) = a
        .form(
            &format!("/agent/tickets/{id}/update"),
            &[("status", "resolved")],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html) = a.page(&page).await;
    assert_eq!(options(&html, "status"), vec!["open", "closed"]);
    let (st, _, _) = a
        .form(
            &format!("/agent/tickets/{id}/update"),
            &[("status", "closed")],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html) = a.page(&page).await;
    assert!(
        options(&html, "status").is_empty(),
        "a closed ticket is final"
    );
}

#[tokio::test]
async fn a_refused_move_comes_back_on_the_same_page_beside_the_field_in_plain_words() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "Mail is slow").await;
    let a = browser(&w.app, &w.agent_a).await;
    let update = format!("/agent/tickets/{id}/update");
    // A move the menu never offers (a stale tab, a hand-made form) is refused beside it.
    let (st, _, html) = a
        .form(&update, &[("status", "closed"), ("assign", "me")])
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"update-status-error\""), "{html}");
    assert!(html.contains("mark it resolved first"), "{html}");
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"update-status-error\""));
    assert!(
        html.contains("<option value=\"me\" selected>"),
        "what was chosen stays"
    );
    plain_words(&html);
    // The API says the same in the same plain words, with its code.
    let (st, v) = w
        .app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            &w.agent_a.token,
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(
        (
            st,
            v["error"]["code"].as_str(),
            v["error"]["field"].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("invalid_transition"),
            Some("status")
        )
    );
    assert!(!v["error"]["message"].as_str().unwrap().contains("a open"));

    // An upset customer's ticket: closing before the root cause points at Diagnose.
    let (_, angry) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.c2.token,
            json!({"subject": "VPN keeps dropping", "body": "This is the THIRD time I'm writing!!! The VPN drops every hour, it's absolutely unacceptable and I am furious."}),
        )
        .await;
    let angry = angry["id"].as_i64().unwrap();
    let update = format!("/agent/tickets/{angry}/update");
    let (st, _, _) = a.form(&update, &[("status", "resolved")]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, _, html) = a.form(&update, &[("status", "closed")]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"diagnose-root_cause-error\""), "{html}");
    assert!(html.contains("aria-describedby=\"diagnose-root_cause-error\" autofocus"));
    assert!(html.contains("root cause is recorded"));
    plain_words(&html);
    let (_, v) = w
        .app
        .patch(
            &format!("/api/v1/tickets/{angry}"),
            &w.agent_a.token,
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(v["error"]["code"], "root_cause_required");
    assert!(!v["error"]["message"].as_str().unwrap().contains("/api/"));
}

#[tokio::test]
async fn escalating_to_a_tier_nobody_works_is_refused_with_the_reason() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "Gateway errors").await;
    let note = "Client 6.2 on Windows 11; reinstalled and renewed the certificate, no change.";
    // The Desk team has only a tier-1 agent.
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/escalate"),
            &w.agent_a.token,
            json!({"to_tier": 2, "reason": "needs gateway logs", "handoff_note": note}),
        )
        .await;
    assert_eq!(
        (
            st,
            v["error"]["code"].as_str(),
            v["error"]["field"].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("nobody_at_tier"),
            Some("to_tier")
        ),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nobody in Desk works at tier 2")
    );
    // The page says so beside the tier, keeping the reason and the note.
    let a = browser(&w.app, &w.agent_a).await;
    let (st, _, html) = a
        .form(
            &format!("/agent/tickets/{id}/escalate"),
            &[
                ("to_team_id", &w.team_a.to_string()),
                ("to_tier", "2"),
                ("reason", "needs gateway logs"),
                ("handoff_note", note),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"escalate-to_tier-error\""), "{html}");
    assert!(html.contains("nobody in Desk works at tier 2"));
    assert!(html.contains("value=\"needs gateway logs\""));
    assert!(html.contains(note));
    plain_words(&html);
    // Nothing moved.
    let (_, t) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &w.agent_a.token)
        .await;
    assert_eq!(
        (t["tier"].as_i64(), t["transfers"].as_i64()),
        (Some(1), Some(0))
    );
    // Once someone works tier 2 in Desk, the same escalation goes through.
    agent(&w, "tess@desk.test", w.team_a, 2).await;
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/escalate"),
            &w.agent_a.token,
            json!({"to_tier": 2, "reason": "needs gateway logs", "handoff_note": note}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn an_automatic_escalation_into_a_void_keeps_the_owner_and_alerts_the_supervisor() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let (st, _) = w
        .app
        .call(
            "PUT",
            &format!("/api/v1/teams/{}/routing", w.team_a),
            Some(&w.admin.token),
            Some(json!({"stuck_after_minutes": 60})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let id = w.ticket_by(&w.c1, "VPN drops every hour").await;
    let t = format!("/api/v1/tickets/{id}");
    w.app
        .patch(&t, &w.agent_a.token, json!({"assignee_id": w.agent_a.id}))
        .await;
    w.app
        .post(
            &format!("{t}/messages"),
            &w.agent_a.token,
            json!({"body": "Sorry about this. I reset your VPN profile; please try again."}),
        )
        .await;
    // Business hours start at 09:00 UTC: an hour of business time has passed at 10:01.
    clock.advance_ms(121 * MINUTE);
    let s: Services = w.app.services.clone();
    assert_eq!(s.run_stuck_escalations().await.unwrap(), 0);
    let (_, seen) = w.app.get(&t, &w.agent_a.token).await;
    assert_eq!(
        (
            seen["tier"].as_i64(),
            seen["assignee"]["id"].as_i64(),
            seen["transfers"].as_i64()
        ),
        (Some(1), Some(w.agent_a.id), Some(0)),
        "owned, where it was: {seen}"
    );
    let (_, evs) = w.app.get(&format!("{t}/events"), &w.supervisor.token).await;
    assert_eq!(
        seen["waiting_escalation"]["message"], "waiting for tier 2 — nobody on it in Desk",
        "{evs}"
    );
    let alerts = |notes: &Value| {
        notes
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "escalation_waiting" && n["ticket_id"] == id)
            .count()
    };
    let (_, notes) = w
        .app
        .get("/api/v1/notifications", &w.supervisor.token)
        .await;
    assert_eq!(alerts(&notes), 1, "{notes}");
    // Visible on the agent's page.
    let a = browser(&w.app, &w.agent_a).await;
    let (_, html) = a.page(&format!("/agent/tickets/{id}")).await;
    assert!(html.contains("waiting for tier 2 — nobody on it in Desk"));
    // Sweeping again alerts nobody twice.
    clock.advance_ms(61 * MINUTE);
    assert_eq!(s.run_stuck_escalations().await.unwrap(), 0);
    let (_, notes) = w
        .app
        .get("/api/v1/notifications", &w.supervisor.token)
        .await;
    assert_eq!(alerts(&notes), 1);
    // Someone takes tier 2: at the next look the ticket escalates as usual.
    agent(&w, "tess@desk.test", w.team_a, 2).await;
    clock.advance_ms(61 * MINUTE);
    assert_eq!(s.run_stuck_escalations().await.unwrap(), 1);
    let (_, seen) = w.app.get(&t, &w.supervisor.token).await;
    assert_eq!(seen["tier"].as_i64(), Some(2));
    assert!(seen.get("waiting_escalation").is_none(), "{seen}");
}

#[tokio::test]
async fn the_agent_who_handed_a_ticket_on_reads_it_but_a_stranger_still_gets_404() {
    let w = World::new().await;
    let id = w.ticket_by(&w.c1, "VPN drops every hour").await;
    let t = format!("/api/v1/tickets/{id}");
    w.app
        .post(
            &format!("{t}/messages"),
            &w.agent_a.token,
            json!({"body": "Sorry about this; I am passing it to the network team."}),
        )
        .await;
    let note = "Client 6.2 on Windows 11; reinstalled and renewed the certificate, no change.";
    let (st, v) = w
        .app
        .post(
            &format!("{t}/escalate"),
            &w.agent_a.token,
            json!({"to_team_id": w.team_b, "to_tier": 2, "reason": "gateway logs", "handoff_note": note}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // The API is unchanged: another team's ticket.
    let (st, _) = w.app.get(&t, &w.agent_a.token).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // The page reads it, without a way to change it.
    let a = browser(&w.app, &w.agent_a).await;
    let page = format!("/agent/tickets/{id}");
    let (st, html) = a.page(&page).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(html.contains("Read only"));
    assert!(html.contains("passing it to the network team"));
    assert!(html.contains(note));
    for form in ["/reply", "/update", "/escalate", "/handover", "/diagnosis"] {
        assert!(
            !html.contains(&format!("action=\"{page}{form}\"")),
            "{form} offered"
        );
    }
    let (st, _, _) = a
        .form(&format!("{page}/reply"), &[("body", "one more thing")])
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "read only");
    let (st, _) = w
        .app
        .post(
            &format!("{t}/messages"),
            &w.agent_a.token,
            json!({"body": "one more thing"}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Their history lists it, marked as handed on.
    let (st, html) = a.page("/agent/history").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/agent/tickets/{id}\"")));
    assert!(html.contains("handed on: read only"));
    // A colleague of the same team who never worked it: 404, as before.
    let stranger = agent(&w, "sam@desk.test", w.team_a, 1).await;
    let s = browser(&w.app, &stranger).await;
    let (st, _) = s.page(&page).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, html) = s.page("/agent/history").await;
    assert!(!html.contains(&format!("/agent/tickets/{id}\"")));
    // Customers: unchanged (their own, and nobody else's).
    let (st, _) = w.app.get(&t, &w.c2.token).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = w.app.get(&t, &w.c1.token).await;
    assert_eq!(st, StatusCode::OK);
}

async fn article(w: &World, title: &str, body: &str, visibility: &str, category: &str) -> Value {
    let (s, a) = w
        .app
        .post(
            "/api/v1/kb/articles",
            &w.agent_a.token,
            json!({"title": title, "body": body, "visibility": visibility,
                   "summary": format!("About {title}"), "category": category}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    a
}

#[tokio::test]
async fn the_help_centre_shows_public_articles_only_searches_and_leads_to_a_person() {
    let w = World::new().await;
    let public = article(
        &w,
        "Reset your VPN password",
        "Open the VPN portal and choose *Forgot password*.",
        "public",
        "Network/VPN",
    )
    .await;
    let internal = article(
        &w,
        "VPN gateway admin credentials",
        "The VPN gateway admin password is in the vault.",
        "internal",
        "Network/VPN",
    )
    .await;
    article(
        &w,
        "VPN draft notes",
        "Unfinished VPN notes.",
        "draft",
        "Network/VPN",
    )
    .await;
    let slug = public["slug"].as_str().unwrap().to_string();
    let mut anon = anonymous(&w.app);
    let (st, html) = anon.visit("/help").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Reset your VPN password"));
    assert!(html.contains("href=\"/help/topics/Network/VPN\""));
    assert!(html.contains("(1)"), "one public article in the topic");
    assert!(
        html.contains("href=\"/signin?next=/requests/new\""),
        "a way to a person: {html}"
    );
    for secret in ["admin credentials", "draft notes"] {
        assert!(!html.contains(secret));
    }
    let (st, html) = anon.visit("/help?q=vpn+password").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/help/{slug}\"")));
    assert!(!html.contains("admin credentials") && !html.contains("vault"));
    // Staff browsing the help centre see what customers see.
    let staff = browser(&w.app, &w.agent_a).await;
    let (_, html) = staff.page("/help?q=vpn+gateway+admin").await;
    assert!(!html.contains("admin credentials"), "{html}");
    let (st, html) = anon.visit("/help/topics/Network/VPN").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Reset your VPN password") && !html.contains("admin credentials"));
    let (st, _) = anon.visit("/help/topics/Nowhere").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = anon
        .visit(&format!("/help/{}", internal["slug"].as_str().unwrap()))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // The article: "did this help?" works without signing in; "no" leads to a person.
    let (st, html) = anon.visit(&format!("/help/{slug}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Did this help?"));
    let (st, to, _) = anon
        .form(&format!("/help/{slug}/solved"), &[("helped", "no")])
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(to.ends_with("done=not_helped"), "{to}");
    let (_, html) = anon.visit(&to).await;
    assert!(html.contains("Start a request"));
    assert!(!html.contains("Did this help?"), "answered once");
    let (st, _, _) = anonymous(&w.app)
        .form(&format!("/help/{slug}/solved"), &[("helped", "yes")])
        .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "a form without its token counts nothing"
    );
    // A signed-in customer says it helped.
    let c = browser(&w.app, &w.c1).await;
    let (st, to, _) = c
        .form(&format!("/help/{slug}/solved"), &[("helped", "yes")])
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(to.ends_with("done=helped"));
    let (_, html) = c.page("/help").await;
    assert!(
        html.contains("href=\"/requests/new\""),
        "signed in: straight to a request"
    );
    let (_, a) = w
        .app
        .get(&format!("/api/v1/kb/articles/{slug}"), &w.agent_a.token)
        .await;
    assert_eq!(
        (
            a["feedback"]["helpful"].as_i64(),
            a["feedback"]["not_helpful"].as_i64()
        ),
        (Some(1), Some(1))
    );
    // The portal links to it.
    let (_, html) = c.page("/").await;
    assert!(html.contains("href=\"/help\""));
}
