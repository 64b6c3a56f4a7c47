//! A 201 is a promise: the ticket is on disk. A `heard serve` process killed with SIGKILL
//! in the middle of a create load loses no ticket it answered 201 for; a server started
//! afterwards on the same database shows each of them as it was sent.

mod common;

use common::processes::HeardProcess;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_a_create_load_keeps_every_ticket_it_answered_201_for() {
    let world = World::new().await;
    let mut server = HeardProcess::on(&world.app);
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let answered: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let mut load = Vec::new();
    for worker in 0..8 {
        let (client, base, answered) = (client.clone(), base.clone(), answered.clone());
        let token = [&world.c1, &world.c2, &world.s1, &world.s2][worker % 4]
            .token
            .clone();
        load.push(tokio::spawn(async move {
            for n in 0.. {
                let subject = format!("Printer {worker}-{n} prints blank pages");
                let res = client
                    .post(format!("{base}/api/v1/tickets"))
                    .bearer_auth(&token)
                    .json(&json!({"subject": subject, "body": "Nothing comes out since this morning."}))
                    .send()
                    .await;
                // The server died: requests in flight got no answer, so no promise.
                let Ok(res) = res else { return };
                if res.status() != StatusCode::CREATED {
                    return;
                }
                let Ok(body) = res.json::<Value>().await else {
                    return;
                };
                answered
                    .lock()
                    .unwrap()
                    .push((body["id"].as_i64().unwrap(), subject));
            }
        }));
    }
    // Kill it while the load runs, after enough tickets to have several commit groups.
    while answered.lock().unwrap().len() < 200 {
        assert!(
            !load.iter().all(|w| w.is_finished()),
            "the load stopped before the kill: the server refused a create"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill();
    for worker in load {
        worker.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= 200);

    // A new process on the same database finds each answered ticket as it was sent.
    let mut again = HeardProcess::on(&world.app);
    let base = again.base.clone();
    let mut missing = Vec::new();
    for (id, subject) in &answered {
        let res = client
            .get(format!("{base}/api/v1/tickets/{id}"))
            .bearer_auth(&world.supervisor.token)
            .send()
            .await
            .unwrap();
        if res.status() != StatusCode::OK {
            missing.push(*id);
            continue;
        }
        let t: Value = res.json().await.unwrap();
        assert_eq!(t["subject"], subject.as_str(), "ticket {id}");
        assert_eq!(t["messages"].as_array().unwrap().len(), 1, "ticket {id}");
    }
    again.kill();
    assert!(
        missing.is_empty(),
        "{} of {} tickets answered 201 are gone on {}: {missing:?}",
        missing.len(),
        answered.len(),
        backend()
    );
}
