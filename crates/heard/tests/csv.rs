//! `?format=csv` on the ticket lists: the API's list and the pages' lists (agent queue,
//! agent search, the customer's requests), streamed, with the list's access rules.

mod common;

use common::{PASSWORD, Person, TestApp, World};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Reads a whole CSV file (RFC 4180: quoted cells may hold commas, quotes, newlines).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => row.push(std::mem::take(&mut cell)),
            '\r' if !quoted && chars.peek() == Some(&'\n') => {}
            '\n' if !quoted => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            c => cell.push(c),
        }
    }
    assert!(
        cell.is_empty() && row.is_empty(),
        "the file ends with a line end"
    );
    rows
}

struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn column(&self, name: &str) -> Vec<String> {
        let i = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        self.rows.iter().map(|r| r[i].clone()).collect()
    }
    fn ids(&self) -> Vec<i64> {
        self.column("id")
            .iter()
            .map(|s| s.parse().unwrap())
            .collect()
    }
}

async fn download(res: reqwest::Response) -> Csv {
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = res.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let text = res.text().await.unwrap();
    let mut rows = parse_csv(&text);
    let header = rows.remove(0);
    for r in &rows {
        assert_eq!(r.len(), header.len(), "every row has every column");
    }
    Csv { header, rows }
}

async fn api_csv(app: &TestApp, query: &str, token: &str) -> Csv {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/tickets?format=csv&{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    download(res).await
}

/// Every item of the JSON list, following its pages.
async fn json_list(app: &TestApp, query: &str, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut after = String::new();
    loop {
        let (status, page) = app
            .get(&format!("/api/v1/tickets?{query}&limit=100{after}"), token)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_after"].as_i64() {
            Some(n) => after = format!("&after={n}"),
            None => return items,
        }
    }
}

async fn open(w: &World, who: &Person, subject: &str) -> i64 {
    let (status, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &who.token,
            json!({"subject": subject, "body": "Since this morning it will not work."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    t["id"].as_i64().unwrap()
}

#[tokio::test]
async fn the_api_list_exports_as_csv_with_its_filters_and_rules() {
    let w = World::new().await;
    let app = &w.app;
    let tricky = "Printer, \"tray 2\" jammed";
    let formula = "=HYPERLINK(\"http://evil.test\",\"click\")";
    let a = open(&w, &w.c1, tricky).await;
    let b = open(&w, &w.c1, formula).await;
    let c = open(&w, &w.c1, "-5 degrees in the office").await;
    let d = open(&w, &w.c1, "@desk the portal is slow").await;
    let other = open(&w, &w.c2, "Someone else's problem").await;
    // One ticket moves to the other team.
    let (status, _) = app
        .patch(
            &format!("/api/v1/tickets/{c}"),
            &w.admin.token,
            json!({"team_id": w.team_b, "tags": ["cold", "office"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // The customer's export: only their own tickets, rows equal to the JSON list.
    let mine = api_csv(app, "", &w.c1.token).await;
    let listed = json_list(app, "", &w.c1.token).await;
    assert_eq!(
        mine.ids(),
        listed
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    );
    assert_eq!(mine.ids(), vec![d, c, b, a]);
    assert!(!mine.ids().contains(&other));
    assert!(!mine.header.contains(&"frustration_score".to_string()));
    for (row, item) in mine.column("status").iter().zip(&listed) {
        assert_eq!(row, item["status"].as_str().unwrap());
    }
    // Quoting survives the round trip; formulas come back as text.
    let subjects = mine.column("subject");
    assert_eq!(subjects[3], tricky);
    assert_eq!(subjects[2], format!("'{formula}"));
    assert_eq!(subjects[1], "'-5 degrees in the office");
    assert_eq!(subjects[0], "'@desk the portal is slow");
    assert_eq!(mine.column("tags")[1], "cold office");

    // An agent exports their teams' tickets only; filters apply as in the list.
    let desk = api_csv(app, "", &w.agent_a.token).await;
    assert!(desk.header.contains(&"frustration_score".to_string()));
    assert_eq!(desk.ids(), vec![other, d, b, a]);
    let platform = api_csv(app, "", &w.agent_b.token).await;
    assert_eq!(platform.ids(), vec![c]);
    let by_team = api_csv(app, &format!("team_id={}", w.team_b), &w.admin.token).await;
    assert_eq!(by_team.ids(), vec![c]);
    let by_tag = api_csv(app, "tag=office", &w.supervisor.token).await;
    assert_eq!(by_tag.ids(), vec![c]);
    let by_requester = api_csv(app, &format!("requester_id={}", w.c2.id), &w.admin.token).await;
    assert_eq!(by_requester.ids(), vec![other]);
    let by_due = api_csv(app, "order=due&status=new,open", &w.admin.token).await;
    let due_json: Vec<i64> = {
        let (_, p) = app
            .get(
                "/api/v1/tickets?order=due&status=new,open&limit=200",
                &w.admin.token,
            )
            .await;
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(by_due.ids(), due_json);

    // An unknown format is a 400 naming it; a bad filter is refused as the JSON list
    // refuses it, before anything is written.
    let (status, body) = app.get("/api/v1/tickets?format=xml", &w.c1.token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "format", "{body}");
    for (filter, field) in [("status=bogus", "status"), ("order=sideways", "order")] {
        let as_json = app
            .get(&format!("/api/v1/tickets?{filter}"), &w.c1.token)
            .await;
        let as_csv = app
            .get(&format!("/api/v1/tickets?format=csv&{filter}"), &w.c1.token)
            .await;
        assert!(as_csv.0.is_client_error(), "{filter}: {}", as_csv.1);
        assert_eq!(as_csv, as_json, "{filter}");
        assert_eq!(as_csv.1["error"]["field"], field);
    }
    // JSON stays the default, and `format=json` says so.
    let (status, body) = app.get("/api/v1/tickets?format=json", &w.c1.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"].as_array().unwrap().len(), 4);
    // No token, no export.
    let res = app
        .client
        .get(app.url("/api/v1/tickets?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_long_export_follows_every_page() {
    let w = World::new().await;
    let mut tasks = tokio::task::JoinSet::new();
    let total = 230;
    for i in 0..total {
        let (client, url, token) = (
            w.app.client.clone(),
            w.app.url("/api/v1/tickets"),
            w.c1.token.clone(),
        );
        tasks.spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"subject": format!("Ticket number {i}"), "body": "It broke."}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::CREATED);
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let all = api_csv(&w.app, "", &w.c1.token).await;
    let listed = json_list(&w.app, "", &w.c1.token).await;
    assert_eq!(all.rows.len(), total);
    assert_eq!(
        all.ids(),
        listed
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    );
    // In due order too (the cursor, not `after`, carries that list on).
    let due = api_csv(&w.app, "order=due", &w.admin.token).await;
    assert_eq!(due.rows.len(), total);
    let mut ids = due.ids();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total);
}

/// A signed-in browser's session cookie.
async fn session(app: &TestApp, p: &Person) -> String {
    let res = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({"email": p.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

async fn page(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_pages_offer_their_lists_as_csv() {
    let w = World::new().await;
    let app = &w.app;
    let a = open(&w, &w.c1, "Laptop will not boot").await;
    let b = open(&w, &w.c1, "Laptop fan, loud").await;
    let other = open(&w, &w.c2, "Laptop screen flickers").await;
    let moved = open(&w, &w.c2, "Laptop charger missing").await;
    let (status, _) = app
        .patch(
            &format!("/api/v1/tickets/{moved}"),
            &w.admin.token,
            json!({"team_id": w.team_b}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    w.app.services.search.sync(&w.app.store).await.unwrap();

    // The customer's requests page links its export, which holds only their tickets.
    let customer = session(app, &w.c1).await;
    let home = page(app, &customer, "/").await.text().await.unwrap();
    assert!(home.contains("href=\"/?format=csv\""), "{home}");
    let mine = download(page(app, &customer, "/?format=csv").await).await;
    assert_eq!(mine.ids(), vec![b, a]);

    // The agent's queue: every open ticket of their teams, in queue order.
    let agent = session(app, &w.agent_a).await;
    let queues = page(app, &agent, "/agent").await.text().await.unwrap();
    assert!(queues.contains("href=\"/agent?format=csv\""));
    let queue = download(page(app, &agent, "/agent?format=csv").await).await;
    let mut ids = queue.ids();
    ids.sort();
    assert_eq!(ids, vec![a, b, other]);
    let (_, due) = app
        .get(
            "/api/v1/tickets?order=due&status=new,open,pending_customer,pending_third_party&limit=200",
            &w.agent_a.token,
        )
        .await;
    let due: Vec<i64> = due["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(queue.ids(), due);

    // The search page: the matching tickets the agent may see.
    let found = page(app, &agent, "/agent/search?q=laptop")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        found.contains("href=\"/agent/search?q=laptop&#38;format=csv\""),
        "{found}"
    );
    let hits = download(page(app, &agent, "/agent/search?q=laptop&format=csv").await).await;
    let mut ids = hits.ids();
    ids.sort();
    assert_eq!(ids, vec![a, b, other]);
    let other_team = session(app, &w.agent_b).await;
    let hits = download(page(app, &other_team, "/agent/search?q=laptop&format=csv").await).await;
    assert_eq!(hits.ids(), vec![moved]);

    // Unknown formats are refused, naming the parameter; customers cannot export queues.
    let res = page(app, &agent, "/agent?format=xlsx").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("format"));
    let res = page(app, &customer, "/agent?format=csv").await;
    assert_ne!(res.status(), StatusCode::OK);
}
