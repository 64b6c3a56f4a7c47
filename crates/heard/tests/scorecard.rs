//! The balanced scorecard over a small history whose right answers are known: figures
//! per week for the desk, a team and an agent, who may see whose, the CSV, the tickets
//! behind a figure, and the pages.

mod common;

use common::pages::browser;
use common::*;
use heard_services::Clock;
use heard_services::people::NewAgent;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Monday 2026-11-23 10:00 UTC, inside office hours.
const MONDAY_10: i64 = 1_795_428_000_000;
const MINUTE: i64 = 60_000;

fn figure<'a>(card: &'a Value, period: usize, key: &str) -> &'a Value {
    card["periods"][period]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {card}"))
}

fn counts(card: &Value, period: usize, key: &str) -> (u64, u64) {
    let f = figure(card, period, key);
    (f["count"].as_u64().unwrap(), f["of"].as_u64().unwrap())
}

async fn ok(w: &World, token: &str, body: Value, path: &str, method: &str) -> Value {
    let (s, v) = w.app.call(method, path, Some(token), Some(body)).await;
    assert!(s.is_success(), "{method} {path}: {s} {v}");
    v
}

#[tokio::test]
async fn the_scorecard_counts_a_known_week_and_shows_each_figure_to_whom_it_may() {
    let clock = Clock::fixed(MONDAY_10);
    let w = World::with_clock(clock.clone()).await;
    let app = &w.app;
    let a = &w.agent_a;
    let sup = &w.supervisor;

    // Ticket 1: answered in 30 minutes, resolved at first contact, rated 5.
    let t1 = w.ticket_by(&w.c1, "Printer offline").await;
    let p1 = format!("/api/v1/tickets/{t1}");
    ok(&w, &sup.token, json!({"assignee_id": a.id}), &p1, "PATCH").await;
    clock.advance_ms(30 * MINUTE);
    ok(
        &w,
        &a.token,
        json!({"body": "Restarting the spooler fixes it; done for you."}),
        &format!("{p1}/messages"),
        "POST",
    )
    .await;
    ok(&w, &a.token, json!({"status": "resolved"}), &p1, "PATCH").await;
    ok(
        &w,
        &w.c1.token,
        json!({"rating": 5}),
        &format!("{p1}/survey"),
        "POST",
    )
    .await;

    // Ticket 2: first answer after 5½ business hours (the 4-hour target missed), resolved,
    // rated 1, recovered by the supervisor, then reopened by the customer repeating herself.
    let t2 = w.ticket_by(&w.c2, "VPN drops").await;
    let p2 = format!("/api/v1/tickets/{t2}");
    ok(&w, &sup.token, json!({"assignee_id": a.id}), &p2, "PATCH").await;
    clock.advance_ms(330 * MINUTE);
    ok(
        &w,
        &a.token,
        json!({"body": "Please update the client to the latest version."}),
        &format!("{p2}/messages"),
        "POST",
    )
    .await;
    ok(
        &w,
        &a.token,
        json!({"body": "Closing this now, it should be fine."}),
        &format!("{p2}/messages"),
        "POST",
    )
    .await;
    ok(&w, &a.token, json!({"status": "resolved"}), &p2, "PATCH").await;
    ok(
        &w,
        &w.c2.token,
        json!({"rating": 1}),
        &format!("{p2}/survey"),
        "POST",
    )
    .await;
    ok(
        &w,
        &sup.token,
        json!({"note": "Called her back and fixed the profile."}),
        &format!("{p2}/recovery"),
        "POST",
    )
    .await;
    clock.advance_ms(10 * MINUTE);
    ok(
        &w,
        &w.c2.token,
        json!({"body": "It stopped working this morning."}),
        &format!("{p2}/messages"),
        "POST",
    )
    .await;

    let (s, desk) = app
        .get(
            "/api/v1/reports/scorecard?scope=desk&period=week&from=2026-11-16&to=2026-11-30",
            &sup.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{desk}");
    assert_eq!(desk["periods"].as_array().unwrap().len(), 2);
    assert_eq!(desk["periods"][1]["start"], "2026-11-23");
    assert_eq!(
        counts(&desk, 0, "satisfaction"),
        (0, 0),
        "nothing the week before"
    );
    assert!(figure(&desk, 0, "satisfaction")["value"].is_null());
    assert_eq!(counts(&desk, 1, "satisfaction"), (1, 2));
    assert_eq!(figure(&desk, 1, "satisfaction")["value"], 50.0);
    assert_eq!(counts(&desk, 1, "recovery"), (1, 1));
    assert_eq!(counts(&desk, 1, "first_response"), (1, 2));
    assert_eq!(counts(&desk, 1, "first_contact"), (1, 2));
    assert_eq!(counts(&desk, 1, "reopened"), (1, 2));
    assert_eq!(counts(&desk, 1, "tone").1, 3, "three replies sent");
    assert_eq!(counts(&desk, 1, "transfers"), (0, 2));
    assert_eq!(counts(&desk, 1, "had_to_repeat"), (1, 2));
    assert_eq!(counts(&desk, 1, "review"), (0, 0));

    // The same week for the agent and the team; another team's is empty.
    let (_, mine) = app
        .get(
            "/api/v1/reports/scorecard?from=2026-11-23&to=2026-11-30",
            &a.token,
        )
        .await;
    assert_eq!(mine["scope"], format!("agent:{}", a.id));
    assert_eq!(counts(&mine, 0, "first_contact"), (1, 2));
    assert_eq!(counts(&mine, 0, "satisfaction"), (1, 2));
    let (_, team) = app
        .get(
            &format!(
                "/api/v1/reports/scorecard?scope=team:{}&from=2026-11-23&to=2026-11-30",
                w.team_a
            ),
            &sup.token,
        )
        .await;
    assert_eq!(counts(&team, 0, "reopened"), (1, 2));
    let (_, other) = app
        .get(
            &format!(
                "/api/v1/reports/scorecard?scope=team:{}&from=2026-11-23&to=2026-11-30",
                w.team_b
            ),
            &sup.token,
        )
        .await;
    assert_eq!(counts(&other, 0, "satisfaction"), (0, 0));

    // The tickets behind a figure: the reopened one first, then the one that stayed.
    let (s, behind) = app
        .get("/api/v1/reports/scorecard/tickets?scope=desk&from=2026-11-23&to=2026-11-30&figure=reopened", &sup.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{behind}");
    assert_eq!(
        behind,
        json!([
            {"id": t2, "subject": "VPN drops", "counted": true},
            {"id": t1, "subject": "Printer offline", "counted": false},
        ])
    );

    // Who may see whose.
    let team_sup = app
        .services
        .create_agent(
            None,
            NewAgent {
                email: "lead.b@desk.test".into(),
                name: "Lead B".into(),
                role: "supervisor".into(),
                tier: Some(3),
                skills: vec![],
                team_ids: vec![w.team_b],
                capacity: Some(5),
                time_zone: None,
                password: Some(PASSWORD.into()),
            },
        )
        .await
        .unwrap();
    let lead = app
        .services
        .create_token("lead.b@desk.test", "test")
        .await
        .unwrap();
    let card = |token: &str, scope: String| {
        let token = token.to_string();
        async move {
            let (s, v) = app
                .get(&format!("/api/v1/reports/scorecard?scope={scope}"), &token)
                .await;
            (s, v["error"]["code"].as_str().map(str::to_string))
        }
    };
    let (ta, tb) = (w.team_a, w.team_b);
    let (aa, ab) = (w.agent_a.id, w.agent_b.id);
    for (token, scope, want) in [
        (&a.token, format!("agent:{aa}"), StatusCode::OK),
        (&a.token, format!("agent:{ab}"), StatusCode::NOT_FOUND),
        (&a.token, format!("team:{ta}"), StatusCode::NOT_FOUND),
        (&a.token, "desk".to_string(), StatusCode::FORBIDDEN),
        (&lead, format!("team:{tb}"), StatusCode::OK),
        (&lead, format!("agent:{ab}"), StatusCode::OK),
        (&lead, format!("agent:{}", team_sup.id), StatusCode::OK),
        (&lead, format!("team:{ta}"), StatusCode::NOT_FOUND),
        (&lead, format!("agent:{aa}"), StatusCode::NOT_FOUND),
        (&lead, "desk".to_string(), StatusCode::FORBIDDEN),
        (&sup.token, "desk".to_string(), StatusCode::OK),
        (&sup.token, format!("agent:{aa}"), StatusCode::OK),
        (&w.admin.token, format!("team:{tb}"), StatusCode::OK),
        (
            &w.c1.token,
            format!("agent:{}", w.c1.id),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let (s, code) = card(token, scope.clone()).await;
        assert_eq!(s, want, "{scope}: {code:?}");
    }
    let (s, v) = app.get("/api/v1/reports/scorecard", &lead).await;
    assert_eq!(
        (s, v["scope"].as_str()),
        (StatusCode::OK, Some(format!("team:{tb}").as_str())),
        "a team lead's default is their team"
    );

    // Bad input names its field.
    for (query, field) in [
        ("period=year", "period"),
        ("scope=everyone", "scope"),
        ("from=yesterday", "from"),
        ("from=2026-11-30&to=2026-11-23", "from"),
        ("period=day&from=2020-01-01&to=2026-11-23", "from"),
        ("to=31.12.2026", "to"),
        ("format=xml", "format"),
    ] {
        let (s, v) = app
            .get(&format!("/api/v1/reports/scorecard?{query}"), &sup.token)
            .await;
        assert!(s.is_client_error(), "{query}: {s} {v}");
        if query != "format=xml" {
            assert_eq!(v["error"]["field"], field, "{query}: {v}");
        }
    }
    let (s, v) = app
        .get("/api/v1/reports/scorecard/tickets?figure=speed", &sup.token)
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("figure"))
    );

    // CSV: one row per period and figure.
    let res =
        reqwest::Client::new()
            .get(app.url(
                "/api/v1/reports/scorecard?scope=desk&from=2026-11-16&to=2026-11-30&format=csv",
            ))
            .bearer_auth(&sup.token)
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "scope,period_start,period_end,figure,unit,count,of,value"
    );
    assert_eq!(lines.len(), 1 + 2 * 11);
    assert!(
        lines.contains(&"desk,2026-11-23,2026-11-30,satisfaction,percent,1,2,50"),
        "{csv}"
    );

    // The pages: charts with tables, cells linking to the tickets behind them.
    let super_page = browser(app, sup).await;
    let (s, html) = super_page
        .page("/supervisor/scorecard?scope=desk&period=week&from=2026-11-16&to=2026-11-30")
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("<svg") && html.contains("id=\"chart-reopened\""),
        "{html}"
    );
    assert!(html.contains("/supervisor/scorecard/tickets?scope=desk&#38;period=week&#38;from=2026-11-23&#38;to=2026-11-30&#38;figure=reopened"), "{html}");
    assert!(html.contains("format=csv"));
    let (s, html) = super_page
        .page("/supervisor/scorecard/tickets?scope=desk&period=week&from=2026-11-23&to=2026-11-30&figure=reopened")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(&format!("/agent/tickets/{t2}")) && html.contains("VPN drops"),
        "{html}"
    );
    let (s, csv) = super_page
        .page("/supervisor/scorecard?scope=desk&format=csv")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.starts_with("scope,period_start"), "{csv}");

    let agent_page = browser(app, a).await;
    let (s, html) = agent_page
        .page("/agent/scorecard?from=2026-11-23&to=2026-11-30")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("First-contact resolution") && html.contains("50%"),
        "{html}"
    );
    let (s, _) = agent_page
        .page(&format!("/agent/scorecard?scope=agent:{ab}"))
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "another agent's scorecard stays hidden"
    );
    let (s, _) = agent_page.page("/supervisor/scorecard").await;
    assert_ne!(s, StatusCode::OK);
}
