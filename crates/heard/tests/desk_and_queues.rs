//! The use cases the pages and the demo read through now that the store is sealed: the
//! desk's state and default team, the queue, invitations, team names, colleagues and a
//! request's history, each under the caller's access rules.

mod common;

use common::{TestApp, World};
use heard_services::desk::DeskState;
use heard_services::people::NewCustomer;
use heard_services::{ErrorCode, ServiceError};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_desk_is_new_until_someone_has_an_account_and_the_demo_marks_it() {
    let app = TestApp::spawn().await;
    let s = &app.services;
    assert_eq!(s.desk_state().await.unwrap(), DeskState::New);
    s.create_customer(
        None,
        NewCustomer {
            email: "ana@example.com".into(),
            name: "Ana".into(),
            organization_id: None,
            time_zone: None,
            password: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(s.desk_state().await.unwrap(), DeskState::InUse);
    s.mark_demo_filled().await.unwrap();
    assert_eq!(s.desk_state().await.unwrap(), DeskState::Demo);
}

#[tokio::test]
async fn requests_naming_no_team_land_in_the_default_team_only_an_admin_may_change() {
    let w = World::new().await;
    let s = &w.app.services;
    let agent = s.actor_for_token(&w.agent_a.token).await.unwrap();
    let admin = s.actor_for_token(&w.admin.token).await.unwrap();
    assert!(matches!(
        s.set_default_team(Some(&agent), w.team_b).await,
        Err(ServiceError::Forbidden { .. })
    ));
    match s.set_default_team(Some(&admin), 999_999).await {
        Err(ServiceError::Invalid(i)) => {
            assert_eq!(
                (i.code, i.field),
                (ErrorCode::TeamNotFound, Some("team_id"))
            )
        }
        other => panic!("an unknown team is refused, got {other:?}"),
    }
    s.set_default_team(Some(&admin), w.team_b).await.unwrap();
    let (st, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.c1.token,
            json!({"subject": "VPN drops", "body": "Every hour."}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    assert_eq!(t["team"]["id"], w.team_b, "{t}");
}

#[tokio::test]
async fn queues_and_history_follow_the_callers_access() {
    let w = World::new().await;
    let s = &w.app.services;
    let mine = w.ticket_by(&w.c1, "Printer jams").await;
    let theirs = w.ticket_by(&w.c2, "Laptop is slow").await;
    let c1 = s.actor_for_token(&w.c1.token).await.unwrap();
    let agent = s.actor_for_token(&w.agent_a.token).await.unwrap();
    let supervisor = s.actor_for_token(&w.supervisor.token).await.unwrap();

    let ids =
        |v: Vec<heard_services::views::TicketView>| v.iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(ids(s.queue(&c1).await.unwrap()), [mine]);
    let all = ids(s.queue(&supervisor).await.unwrap());
    assert!(all.contains(&mine) && all.contains(&theirs), "{all:?}");
    assert_eq!(
        ids(s.latest_requests_of(&supervisor, w.c2.id, 3).await.unwrap()),
        [theirs]
    );
    assert!(
        s.latest_requests_of(&c1, w.c2.id, 3)
            .await
            .unwrap()
            .is_empty()
    );

    // Staff lists are for staff.
    assert!(matches!(
        s.team_names(&c1).await,
        Err(ServiceError::Forbidden { .. })
    ));
    assert!(matches!(
        s.colleagues(&c1).await,
        Err(ServiceError::Forbidden { .. })
    ));
    let teams = s.team_names(&agent).await.unwrap();
    assert_eq!(
        teams.iter().map(|t| t.id).collect::<Vec<_>>(),
        [w.team_a, w.team_b]
    );
    let colleagues = s.colleagues(&agent).await.unwrap();
    assert!(colleagues.iter().any(|c| c.id == w.agent_b.id && c.active));
    assert!(
        !colleagues.iter().any(|c| c.id == w.c1.id),
        "customers are not colleagues"
    );

    // Invited to another team's ticket: it is in the colleague's invitations.
    let agent_b = s.actor_for_token(&w.agent_b.token).await.unwrap();
    assert!(s.invited_to(&agent_b).await.unwrap().is_empty());
    let (st, v) = w
        .app
        .post(
            &format!("/api/v1/tickets/{mine}/collaborators"),
            &w.agent_a.token,
            json!({"agent_id": w.agent_b.id}),
        )
        .await;
    assert!(st.is_success(), "{v}");
    assert_eq!(s.invited_to(&agent_b).await.unwrap(), [mine]);
    assert!(s.invited_to(&agent).await.unwrap().is_empty());

    // A request's history: the customer's own, never a stranger's.
    let history = s.request_history(&c1, mine).await.unwrap();
    assert_eq!(history.first().map(|e| e.kind.as_str()), Some("created"));
    match s.request_history(&c1, theirs).await {
        Err(ServiceError::NotFound { code, .. }) => assert_eq!(code, ErrorCode::TicketNotFound),
        other => panic!("a stranger's request is not found, got {other:?}"),
    }
}
