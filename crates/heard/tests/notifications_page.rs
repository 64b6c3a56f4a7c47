//! The bell (issue 16): warnings and breaches reach staff in the pages, not only through
//! the API. The header counts the viewer's unread notifications, `/agent/notifications`
//! lists them with a link to the ticket, and reading them (all, or one) clears the count
//! for that person alone, even for a notification addressed to their whole role.

mod common;

use common::pages::{Browser, browser};
use common::{PASSWORD, Person, World};
use heard_services::Clock;
use heard_services::people::NewAgent;
use reqwest::StatusCode;
use serde_json::json;

/// Monday 2026-11-23 09:00 UTC, inside the default calendar's hours.
const MONDAY_9: i64 = 1_795_424_400_000;
const MINUTE: i64 = 60_000;

/// The count the bell polls.
async fn unread(w: &World, p: &Person) -> i64 {
    let (st, v) = w.app.get("/api/v1/notifications/unread", &p.token).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["unread"].as_i64().unwrap()
}

/// The number the header's bell shows, if it shows one.
fn bell(html: &str) -> Option<i64> {
    let at = html.find("id=\"bell-count\">")? + "id=\"bell-count\">".len();
    let digits: String = html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

async fn second_supervisor(w: &World) -> Person {
    let s = &w.app.services;
    let email = "sam@desk.test";
    let a = s
        .create_agent(
            None,
            NewAgent {
                email: email.into(),
                name: "Sam".into(),
                role: "supervisor".into(),
                tier: Some(1),
                skills: vec![],
                team_ids: vec![w.team_a],
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
async fn a_warning_and_a_breach_ring_the_right_bells_and_reading_clears_them_per_person() {
    let clock = Clock::fixed(MONDAY_9);
    let w = World::with_clock(clock.clone()).await;
    let sam = second_supervisor(&w).await;
    let id = w.ticket_by(&w.c1, "Laptop replacement").await;
    let t = format!("/api/v1/tickets/{id}");
    let (st, v) = w
        .app
        .patch(&t, &w.agent_a.token, json!({"assignee_id": w.agent_a.id}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = w
        .app
        .post(
            &format!("{t}/promise"),
            &w.agent_a.token,
            json!({"due_at": "2026-11-23T10:00:00Z"}),
        )
        .await;
    assert!(st.is_success(), "{v}");
    let s = &w.app.services;
    s.run_due_alerts().await.unwrap();
    for p in [&w.agent_a, &w.agent_b, &w.supervisor, &sam] {
        assert_eq!(unread(&w, p).await, 0, "nothing has happened yet");
    }

    // 75% of the hour: the owner is warned, and only the owner.
    clock.advance_ms(46 * MINUTE);
    assert!(s.run_due_alerts().await.unwrap() >= 1);
    assert_eq!(unread(&w, &w.agent_a).await, 1);
    assert_eq!(unread(&w, &w.agent_b).await, 0, "not addressed to agent b");
    assert_eq!(unread(&w, &w.supervisor).await, 0);
    assert_eq!(unread(&w, &w.c1).await, 0, "customers have no bell");

    let a = browser(&w.app, &w.agent_a).await;
    let (st, queues) = a.page("/agent").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(bell(&queues), Some(1), "the header counts it");
    let (st, html) = a.page("/agent/notifications").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Due soon"), "{html}");
    assert!(html.contains(&format!("href=\"/agent/tickets/{id}\"")));
    assert!(
        html.contains("Laptop replacement: the promise is due soon"),
        "{html}"
    );

    let b = browser(&w.app, &w.agent_b).await;
    let (_, html) = b.page("/agent/notifications").await;
    assert_eq!(bell(&html), Some(0));
    assert!(
        !html.contains("Laptop replacement"),
        "not agent b's: {html}"
    );
    assert!(html.contains("Nothing has needed your attention yet."));

    let c = browser(&w.app, &w.c1).await;
    let (st, _) = c.page("/agent/notifications").await;
    assert_ne!(st, StatusCode::OK, "no page for customers");
    let (_, home) = c.page("/").await;
    assert_eq!(bell(&home), None, "no bell for customers");

    // Past the promise: a breach for every supervisor (addressed to the role).
    clock.advance_ms(20 * MINUTE);
    assert!(s.run_due_alerts().await.unwrap() >= 1);
    assert_eq!(unread(&w, &w.supervisor).await, 1);
    assert_eq!(unread(&w, &sam).await, 1);
    assert_eq!(
        unread(&w, &w.agent_a).await,
        1,
        "breaches go to supervisors"
    );
    assert_eq!(unread(&w, &w.agent_b).await, 0);
    let sup = browser(&w.app, &w.supervisor).await;
    let (_, html) = sup.page("/agent/notifications").await;
    assert!(
        html.contains("Breached") && html.contains("the promise was missed"),
        "{html}"
    );
    assert_eq!(bell(&html), Some(1));

    // Reading it clears it for this supervisor, not for the other one.
    let (st, to, _) = sup.form("/agent/notifications/read", &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(to.starts_with("/agent/notifications"), "{to}");
    assert_eq!(unread(&w, &w.supervisor).await, 0);
    assert_eq!(unread(&w, &sam).await, 1, "each supervisor reads it apart");
    let (_, html) = sup.page(&to).await;
    assert_eq!(bell(&html), Some(0));
    assert!(html.contains("marked as read") && html.contains("Breached"));
    assert!(!html.contains("class=\"badge\">unread"), "{html}");
    let (_, list) = w.app.get("/api/v1/notifications", &sam.token).await;
    assert_eq!(list[0]["read"], false, "{list}");

    // One at a time: agent a reads theirs by its id; someone else's id changes nothing.
    let (_, list) = w.app.get("/api/v1/notifications", &w.agent_a.token).await;
    let mine = list[0]["id"].as_i64().unwrap().to_string();
    let (_, sams) = w.app.get("/api/v1/notifications", &sam.token).await;
    let breach = sams[0]["id"].as_i64().unwrap().to_string();
    let (st, _, _) = a
        .form("/agent/notifications/read", &[("id", &breach)])
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(unread(&w, &w.agent_a).await, 1);
    assert_eq!(unread(&w, &sam).await, 1, "not agent a's to read");
    let (st, _, _) = a.form("/agent/notifications/read", &[("id", &mine)]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(unread(&w, &w.agent_a).await, 0);

    // The API marks all as read too, and a form without the session's token is refused.
    let (st, v) = w
        .app
        .post("/api/v1/notifications/read", &sam.token, json!({}))
        .await;
    assert_eq!((st, v["marked"].as_i64()), (StatusCode::OK, Some(1)), "{v}");
    assert_eq!(unread(&w, &sam).await, 0);
    let forged = Browser {
        csrf: "forged".into(),
        ..browser(&w.app, &w.agent_b).await
    };
    let (st, _, _) = forged.form("/agent/notifications/read", &[]).await;
    assert_ne!(st, StatusCode::SEE_OTHER);
}
