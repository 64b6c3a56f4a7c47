//! The pages and the API behind their live parts, over real HTTP: who else is viewing a
//! ticket, the staff search, the supervisor's charts and the admin forms (CSRF, errors
//! next to the field, nothing half-written).

mod common;

use common::World;
use common::pages::browser;
use heard_services::Clock;
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::{Value, json};

const MONDAY_9: i64 = 1_795_420_800_000; // 2026-11-23T09:00:00Z

fn names(v: &Value) -> Vec<(String, String, bool)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["name"].as_str().unwrap().to_string(),
                x["activity"].as_str().unwrap().to_string(),
                x["you"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn agents_see_who_else_is_viewing_and_replying() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let app = &w.app;
    let ticket = w.ticket_by(&w.c1, "VPN drops every hour").await;
    let path = format!("/api/v1/tickets/{ticket}/viewers");

    // Agent A opens the ticket page: that alone counts as viewing.
    let a = browser(app, &w.agent_a).await;
    let (status, page) = a.page(&format!("/agent/tickets/{ticket}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Nobody else has this ticket open."), "{page}");

    // The supervisor opens it too and sees agent A; A's next heartbeat sees them.
    let sup = browser(app, &w.supervisor).await;
    let (_, page) = sup.page(&format!("/agent/tickets/{ticket}")).await;
    assert!(page.contains("Also on this ticket:"), "{page}");
    assert!(page.contains("agent.a"), "{page}");
    let (status, v) = a
        .json("POST", &path, Some(json!({"activity": "replying"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let seen = names(&v);
    assert!(
        seen.contains(&("agent.a".into(), "replying".into(), true)),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("super".into(), "viewing".into(), false)),
        "{seen:?}"
    );

    // Over the API with a token, and the supervisor's page shows A replying.
    clock.advance_ms(5_000);
    let (status, v) = app.get(&path, &w.supervisor.token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(names(&v).contains(&("agent.a".into(), "replying".into(), false)));
    let (_, page) = sup.page(&format!("/agent/tickets/{ticket}")).await;
    assert!(page.contains("writing a reply"), "{page}");

    // Thirty seconds without a heartbeat and A is gone; leaving removes at once.
    clock.advance_ms(31_000);
    let (_, v) = app.get(&path, &w.supervisor.token).await;
    assert!(names(&v).iter().all(|n| n.0 != "agent.a"), "{v}");
    let (status, _) = sup.json("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, v) = app.get(&path, &w.agent_a.token).await;
    assert!(names(&v).is_empty(), "{v}");

    // The same 404 rules as the ticket: another team's agent, a stranger's id.
    let (status, v) = app.get(&path, &w.agent_b.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    let (status, _) = app
        .post(&path, &w.agent_b.token, json!({"activity": "viewing"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get("/api/v1/tickets/999999/viewers", &w.admin.token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Staff only: the customer who owns the ticket may not see who is looking.
    let (status, _) = app.get(&path, &w.c1.token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&path, &w.c2.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Bad input names the field; a cookie write without the CSRF header is refused.
    let (status, v) = app
        .post(&path, &w.agent_a.token, json!({"activity": "typing"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "activity");
    let res = a
        .client
        .post(app.url(&path))
        .header(COOKIE, &a.cookie)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn staff_search_finds_tickets_customers_and_internal_articles() {
    let w = World::new().await;
    let app = &w.app;
    let t1 = w.ticket_by(&w.s1, "Printer jams on the third floor").await;
    let _other_team = {
        let (st, v) = app
            .post(
                "/api/v1/tickets",
                &w.admin.token,
                json!({"subject": "Printer offline in the lab", "body": "Nothing prints.",
                       "requester_id": w.s2.id, "team_id": w.team_b}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        v["id"].as_i64().unwrap()
    };
    for (title, visibility) in [
        ("Clearing a printer jam", "public"),
        ("Printer service contract (internal)", "internal"),
    ] {
        let (st, v) = app
            .post(
                "/api/v1/kb/articles",
                &w.admin.token,
                json!({"title": title, "body": "Open tray two and pull the paper out gently.", "visibility": visibility}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let a = browser(app, &w.agent_a).await;
    let (status, page) = a.page("/agent/search?q=printer").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("/agent/tickets/{t1}")), "{page}");
    assert!(
        !page.contains("Printer offline in the lab"),
        "another team's ticket stays hidden: {page}"
    );
    assert!(page.contains("Clearing a printer jam"), "{page}");
    assert!(
        page.contains("Printer service contract (internal)"),
        "staff find internal articles: {page}"
    );
    // Customers by organization, e-mail or name, with the tickets this agent may see.
    let (_, page) = a.page("/agent/search?q=Sharing%20Co").await;
    assert!(page.contains("s1@sharing.test"), "{page}");
    assert!(page.contains("s2@sharing.test"), "{page}");
    let (_, page) = a.page("/agent/search?q=%23".to_string().as_str()).await;
    assert!(page.contains("No ticket matches"), "{page}");
    let (_, page) = a.page(&format!("/agent/search?q=%23{t1}")).await;
    assert!(page.contains("Printer jams on the third floor"), "{page}");
    // Wildcards are literal and markup is text.
    let (_, page) = a.page("/agent/search?q=%25%3Cb%3E").await;
    assert!(page.contains("No customer matches"), "{page}");
    assert!(
        page.contains("value=\"%&lt;b&gt;\"") || page.contains("value=\"%&#60;b&#62;\""),
        "{page}"
    );
    // Customers have no staff search.
    let c = browser(app, &w.c1).await;
    let (status, _) = c.page("/agent/search?q=printer").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_supervisor_sees_trends_as_charts_and_tables() {
    let w = World::new().await;
    let app = &w.app;
    let id = w
        .ticket_by(&w.c1, "I am furious, the VPN is down AGAIN")
        .await;
    let (st, _) = app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &w.agent_a.token,
            json!({"body": "Obviously you should have restarted it. As I already said, simply reinstall."}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let sup = browser(app, &w.supervisor).await;
    for period in ["days", "weeks"] {
        let (status, page) = sup.page(&format!("/supervisor?period={period}")).await;
        assert_eq!(status, StatusCode::OK);
        for chart in [
            "chart-compliance",
            "chart-frustration",
            "chart-tone",
            "chart-opened",
        ] {
            assert!(
                page.contains(&format!("id=\"{chart}\"")),
                "{chart} on {period}"
            );
        }
        assert!(page.contains("role=\"img\""));
        assert!(page.contains("Figures as a table"));
        assert!(page.contains("1 requests opened"), "{page}");
        assert!(
            page.contains("condescension"),
            "tone findings by kind: {page}"
        );
        // The first response was met: one decided target, met.
        assert!(page.contains("100% of 1 targets"), "{page}");
    }
    let a = browser(app, &w.agent_a).await;
    assert_eq!(a.page("/supervisor").await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admin_forms_edit_teams_agents_calendars_policies_and_categories() {
    let w = World::new().await;
    let app = &w.app;
    let admin = browser(app, &w.admin).await;
    let (status, page) = admin.page("/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Add a team"));

    // Forms without the session's token change nothing.
    let (status, _, _) = admin
        .form(
            &format!("/admin/teams/{}", w.team_a),
            &[("csrf", "forged"), ("name", "Renamed")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A refused field comes back next to the field, with what was typed.
    let (status, _, page) = admin
        .form(
            &format!("/admin/teams/{}", w.team_a),
            &[("name", "   "), ("description", "kept <b>typed</b>")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(&format!("id=\"team-{}-name-error\"", w.team_a)),
        "{page}"
    );
    assert!(
        page.contains("kept &lt;b&gt;typed&lt;/b&gt;")
            || page.contains("kept &#60;b&#62;typed&#60;/b&#62;"),
        "{page}"
    );
    let (status, to, _) = admin
        .form(
            &format!("/admin/teams/{}", w.team_a),
            &[("name", "Service Desk"), ("description", "First line")],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/admin?done=team_saved")
    );
    let (_, v) = app
        .get(&format!("/api/v1/teams/{}", w.team_a), &w.admin.token)
        .await;
    assert_eq!(v["name"], "Service Desk");

    // An agent's role, tier, skills, teams and capacity.
    let agent = format!("/admin/agents/{}", w.agent_a.id);
    let (status, page) = admin.page(&agent).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<label for=\"agent-skills\">"), "{page}");
    let team_b = w.team_b.to_string();
    let (status, _, page) = admin
        .form(
            &agent,
            &[
                ("name", "agent.a"),
                ("role", "agent"),
                ("tier", "2"),
                ("skills", "vpn, bad skill!"),
                ("team", &team_b),
                ("capacity", "12"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"agent-skills-error\""), "{page}");
    let (_, v) = app
        .get(&format!("/api/v1/agents/{}", w.agent_a.id), &w.admin.token)
        .await;
    assert_eq!(v["tier"], 1, "nothing half-written: {v}");
    let (status, _, _) = admin
        .form(
            &agent,
            &[
                ("name", "agent.a"),
                ("role", "agent"),
                ("tier", "2"),
                ("skills", "vpn, linux"),
                ("team", &team_b),
                ("capacity", "12"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, v) = app
        .get(&format!("/api/v1/agents/{}", w.agent_a.id), &w.admin.token)
        .await;
    assert_eq!(
        (v["tier"].clone(), v["capacity"].clone()),
        (json!(2), json!(12))
    );
    assert_eq!(v["skills"], json!(["linux", "vpn"]));
    assert_eq!(v["team_ids"], json!([w.team_b]));

    // Calendars: a bad time is refused on its row; weekly hours and a holiday are saved.
    let (status, page) = admin.page("/admin/calendars").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"cal-office-period-0-day\""), "{page}");
    let (status, _, page) = admin
        .form(
            "/admin/calendars/office",
            &[
                ("zone", "Europe/Berlin"),
                ("period-0-day", "monday"),
                ("period-0-start", "25:00"),
                ("period-0-end", "17:00"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"cal-office-period-0-error\""), "{page}");
    let (status, _, page) = admin
        .form(
            "/admin/calendars/office",
            &[
                ("zone", "Mars/Olympus"),
                ("period-0-day", "monday"),
                ("period-0-start", "09:00"),
                ("period-0-end", "17:00"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"cal-office-zone-error\""), "{page}");
    let (status, _, _) = admin
        .form(
            "/admin/calendars/office",
            &[
                ("zone", "Europe/Berlin"),
                ("period-0-day", "monday"),
                ("period-0-start", "08:00"),
                ("period-0-end", "12:00"),
                ("period-1-day", "monday"),
                ("period-1-start", "13:00"),
                ("period-1-end", "17:00"),
                ("period-2-day", "friday"),
                ("period-2-start", "22:00"),
                ("period-2-end", "06:00"),
                ("holiday-date", "2026-12-25"),
                ("holiday-name", "Christmas"),
                ("holiday-yearly", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, book) = app.get("/api/v1/service-levels", &w.admin.token).await;
    let office = &book["calendars"]["office"];
    assert_eq!(office["zone"], "Europe/Berlin");
    assert_eq!(office["periods"].as_array().unwrap().len(), 3, "{office}");
    assert_eq!(office["holidays"][0]["date"], "2026-12-25");
    assert_eq!(office["holidays"][0]["yearly"], true);
    // iCalendar import, and a broken file named next to its field.
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:New Year\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let (status, _, _) = admin
        .form("/admin/calendars/office/holidays", &[("ics", ics)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, book) = app.get("/api/v1/service-levels", &w.admin.token).await;
    assert_eq!(
        book["calendars"]["office"]["holidays"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (status, _, page) = admin
        .form(
            "/admin/calendars/office/holidays",
            &[("ics", "not a calendar")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"ics-office-ics-error\""), "{page}");

    // Policies: a real form; a zero target is refused on its field.
    let (status, page) = admin.page("/admin/service-levels").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"policy-0-first_response\""), "{page}");
    let (status, _, page) = admin
        .form(
            "/admin/policies/new",
            &[
                ("id", "vip"),
                ("name", "VIP"),
                ("priority", "urgent"),
                ("channel", "phone"),
                ("first_response", "0"),
                ("warn_at_percent", "80"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("id=\"policy-new-first_response-error\""),
        "{page}"
    );
    let (status, _, _) = admin
        .form(
            "/admin/policies/new",
            &[
                ("id", "vip"),
                ("name", "VIP"),
                ("priority", "urgent"),
                ("channel", "phone"),
                ("first_response", "15"),
                ("resolution", "240"),
                ("warn_at_percent", "80"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, book) = app.get("/api/v1/service-levels", &w.admin.token).await;
    let vip = book["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "vip")
        .unwrap()
        .clone();
    assert_eq!(vip["targets"]["first_response"], 15);
    assert_eq!(vip["conditions"]["priorities"], json!(["urgent"]));
    assert_eq!(vip["conditions"]["channels"], json!(["phone"]));
    assert_eq!(vip["warn_at_percent"], 80);
    // The raw JSON stays for advanced edits; malformed JSON is refused on its field.
    let (status, _, page) = admin
        .form("/admin/service-levels", &[("book", "{not json")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"book-book-error\""), "{page}");

    // Knowledge-base categories: add, rename (articles refiled), remove when empty.
    let (st, v) = app
        .post("/api/v1/kb/articles", &w.admin.token, json!({"title": "Joining the Wi-Fi", "body": "Pick the network.", "category": "Network/Wi-Fi", "visibility": "public"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let slug = v["slug"].as_str().unwrap().to_string();
    let (status, _, _) = admin
        .form("/admin/categories", &[("path", "Accounts/Passwords")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = admin.page("/admin/categories").await;
    assert!(page.contains("Accounts/Passwords"), "{page}");
    let cats = app
        .services
        .list_categories(&app.services.actor_for_user(w.admin.id).await.unwrap())
        .await
        .unwrap();
    let network = cats.iter().find(|c| c.path == "Network").unwrap().id;
    let (status, _, _) = admin
        .form(
            &format!("/admin/categories/{network}"),
            &[("name", "Networking"), ("action", "rename")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, a) = app
        .get(&format!("/api/v1/kb/articles/{slug}"), &w.admin.token)
        .await;
    assert_eq!(a["category"], "Networking/Wi-Fi");
    assert_eq!(a["version"], 2, "the move is a new version in the history");
    let (status, _, page) = admin
        .form(
            &format!("/admin/categories/{network}"),
            &[("name", "x/y"), ("action", "rename")],
        )
        .await;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status} {page}"
    );
    let passwords = app
        .services
        .list_categories(&app.services.actor_for_user(w.admin.id).await.unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.path == "Accounts/Passwords")
        .unwrap()
        .id;
    let (status, _, _) = admin
        .form(
            &format!("/admin/categories/{passwords}"),
            &[("name", "Passwords"), ("action", "remove")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = admin.page("/admin/categories").await;
    assert!(!page.contains("Accounts/Passwords"), "{page}");

    // Admin pages are for admins.
    let sup = browser(app, &w.supervisor).await;
    for path in [
        "/admin",
        "/admin/calendars",
        "/admin/service-levels",
        "/admin/categories",
        &agent,
    ] {
        assert_eq!(sup.page(path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
}
