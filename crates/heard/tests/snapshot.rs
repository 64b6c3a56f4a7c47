//! Each process keeps the settings its decisions read in memory; a change made by another
//! process on the same database is seen by the next request (the config version moved).

mod common;

use common::*;
use heard_services::Services;
use heard_store::Store;
use serde_json::json;

#[tokio::test]
async fn a_policy_book_changed_by_another_process_applies_to_the_next_ticket() {
    let world = World::new().await;
    let app = &world.app;
    // The server has decided once with the default book, so its snapshot is warm.
    let first = world
        .ticket_by(&world.c1, "The printer prints blank pages")
        .await;
    let (_, t) = app
        .get(&format!("/api/v1/tickets/{first}"), &world.supervisor.token)
        .await;
    assert_eq!(t["policy"], "standard", "{t}");

    // Another process (its own store and services) replaces the policy book.
    let other = Services::new(Store::open_url(&app.database_url).await.unwrap());
    let admin = other.actor_for_user(world.admin.id).await.unwrap();
    other
        .set_service_levels(
            &admin,
            json!({
                "calendars": {"office": {"zone": "UTC", "periods": [
                    {"day": "monday", "start": "09:00", "end": "17:00"}], "holidays": []}},
                "default_calendar": "office",
                "policies": [{"id": "only", "name": "Only",
                    "targets": {"first_response": 30, "next_update": 60,
                                "periodic_update": 120, "resolution": 600}}],
                "default_policy": "only"
            }),
        )
        .await
        .unwrap();

    let second = world.ticket_by(&world.c1, "The scanner jams").await;
    let (_, t) = app
        .get(
            &format!("/api/v1/tickets/{second}"),
            &world.supervisor.token,
        )
        .await;
    assert_eq!(t["policy"], "only", "{t}");
}
