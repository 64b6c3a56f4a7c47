//! The desk's daily basics (issue 16): macros (canned replies with placeholders, an
//! optional status change and tags), bulk actions on a selection of tickets, and saved
//! views — each through the API and the pages, under the ticket access rules. One small
//! desk is started per run and shared by the parts.

mod common;

use common::pages::browser;
use common::{Person, World};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Ticket ids in a page of a list.
fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

async fn ticket(w: &World, who: &Person, id: i64) -> Value {
    let (st, t) = w
        .app
        .get(&format!("/api/v1/tickets/{id}"), &who.token)
        .await;
    assert_eq!(st, StatusCode::OK, "{t}");
    t
}

/// A ticket of team B's (agent A's team cannot see it).
async fn platform_ticket(w: &World, subject: &str) -> i64 {
    let id = w.ticket_by(&w.c2, subject).await;
    let (st, v) = w
        .app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            &w.supervisor.token,
            json!({"team_id": w.team_b}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    id
}

#[tokio::test]
async fn macros_bulk_actions_and_saved_views_keep_the_desks_rules() {
    let w = World::new().await;
    macros(&w).await;
    bulk(&w).await;
    views(&w).await;
    pages(&w).await;
}

async fn macros(w: &World) {
    let app = &w.app;
    let a = &w.agent_a;
    // An unknown placeholder is refused on save, named, and nothing is saved.
    let (st, v) = app
        .post(
            "/api/v1/macros",
            &a.token,
            json!({"title": "Waiting", "body": "Hi {{customer.firstname}}, {{ticket.number}} {{oops}}"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "unknown_placeholder");
    assert_eq!(v["error"]["field"], "body");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("{{customer.firstname}}") && message.contains("{{oops}}"),
        "{message}"
    );
    let (_, list) = app.get("/api/v1/macros", &a.token).await;
    assert_eq!(list.as_array().unwrap().len(), 0, "{list}");

    // A personal macro with a status change and a tag.
    let (st, mine) = app
        .post(
            "/api/v1/macros",
            &a.token,
            json!({"title": "Need logs", "body": "Hi {{customer.first_name}}, about #{{ticket.number}} ({{team.name}}): could you send the logs? — {{agent.name}}",
                   "status": "pending_customer", "tags": ["needs-logs"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{mine}");
    assert_eq!(mine["shared"], false);
    let mine_id = mine["id"].as_i64().unwrap();
    // Only supervisors and admins share.
    let (st, v) = app
        .post(
            "/api/v1/macros",
            &a.token,
            json!({"title": "Shared", "body": "Hello", "shared": true}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, shared) = app
        .post(
            "/api/v1/macros",
            &w.supervisor.token,
            json!({"title": "Close it", "body": "Glad it works, {{customer.first_name}}.", "status": "closed", "shared": true}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{shared}");
    let shared_id = shared["id"].as_i64().unwrap();
    // A colleague sees the shared macro and not A's own; A's is not found for them.
    let (_, list) = app.get("/api/v1/macros", &w.agent_b.token).await;
    let titles: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["Close it"], "{list}");
    assert_eq!(list[0]["editable"], false);
    let (st, v) = app
        .get(&format!("/api/v1/macros/{mine_id}"), &w.agent_b.token)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(v["error"]["code"], "macro_not_found");
    // Customers have no macros.
    let (st, _) = app.get("/api/v1/macros", &w.c1.token).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Filled in for a ticket: the customer, the number, the team and the agent.
    let id = w.ticket_by(&w.c1, "VPN drops every hour").await;
    let (st, r) = app
        .get(
            &format!("/api/v1/macros/{mine_id}/render?ticket_id={id}"),
            &a.token,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let body = r["body"].as_str().unwrap();
    assert_eq!(
        body,
        format!("Hi c1@private.test, about #{id} (Desk): could you send the logs? — agent.a")
    );
    // Another team's ticket is not found, as for any other use.
    let hidden = platform_ticket(w, "Database is slow").await;
    let (st, v) = app
        .get(
            &format!("/api/v1/macros/{mine_id}/render?ticket_id={hidden}"),
            &a.token,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(v["error"]["code"], "ticket_not_found");

    // Applied: the reply as edited goes out, then the status and the tag follow.
    let (st, applied) = app
        .post(
            &format!("/api/v1/macros/{mine_id}/apply"),
            &a.token,
            json!({"ticket_id": id, "body": format!("{body} Thank you!")}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{applied}");
    assert!(applied["change_refused"].is_null(), "{applied}");
    assert!(
        applied["message"]["body_text"]
            .as_str()
            .unwrap()
            .ends_with("Thank you!")
    );
    let t = ticket(w, a, id).await;
    assert_eq!(t["status"], "pending_customer");
    assert_eq!(t["tags"], json!(["needs-logs"]));
    let (_, events) = app
        .get(&format!("/api/v1/tickets/{id}/events"), &a.token)
        .await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"status_changed") && kinds.contains(&"tags_changed"),
        "{kinds:?}"
    );

    // The shared macro would close a ticket that is waiting on the customer: the ticket's
    // rules refuse that move, the reply still goes out, and the answer says why.
    let (st, applied) = app
        .post(
            &format!("/api/v1/macros/{shared_id}/apply"),
            &a.token,
            json!({"ticket_id": id}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{applied}");
    assert_eq!(
        applied["change_refused"]["code"], "invalid_transition",
        "{applied}"
    );
    assert_eq!(
        applied["message"]["body_text"],
        "Glad it works, c1@private.test."
    );
    assert_eq!(ticket(w, a, id).await["status"], "pending_customer");

    // The owner changes and removes their own; a colleague cannot touch a shared one.
    let (st, v) = app
        .call(
            "PUT",
            &format!("/api/v1/macros/{shared_id}"),
            Some(&a.token),
            Some(json!({"title": "Mine now", "body": "x", "shared": false})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = app
        .call(
            "PUT",
            &format!("/api/v1/macros/{mine_id}"),
            Some(&a.token),
            Some(json!({"title": "Need logs", "body": "Logs please, {{customer.first_name}}."})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status"], Value::Null);
    let (st, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/macros/{mine_id}"),
            Some(&a.token),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = app
        .get(&format!("/api/v1/macros/{mine_id}"), &a.token)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

async fn bulk(w: &World) {
    let app = &w.app;
    let a = &w.agent_a;
    let t1 = w.ticket_by(&w.c1, "Printer jams").await;
    let t2 = w.ticket_by(&w.c1, "Printer jams again").await;
    let hidden = platform_ticket(w, "Replication lag").await;
    let before = ticket(w, &w.supervisor, hidden).await;

    // Each ticket on its own: the one A may not see is reported not found and untouched.
    let (st, out) = app
        .post(
            "/api/v1/tickets/bulk",
            &a.token,
            json!({"ticket_ids": [t1, hidden, t2], "action": "assign", "assignee_id": a.id}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{out}");
    assert_eq!(out["done"], 2);
    assert_eq!(out["refused"], 1);
    let items = out["items"].as_array().unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| i["ticket_id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![t1, hidden, t2]
    );
    assert_eq!(items[0]["result"], "done");
    assert_eq!(items[1]["result"], "refused");
    assert_eq!(items[1]["code"], "ticket_not_found");
    assert_eq!(items[2]["result"], "done");
    for t in [t1, t2] {
        assert_eq!(ticket(w, a, t).await["assignee"]["id"], a.id);
    }
    let after = ticket(w, &w.supervisor, hidden).await;
    assert_eq!(after["assignee"], before["assignee"]);
    assert_eq!(
        after["version"], before["version"],
        "nothing changed on the hidden ticket"
    );
    // The same use case as by hand: an `assigned` event on each.
    let (_, events) = app
        .get(&format!("/api/v1/tickets/{t1}/events"), &a.token)
        .await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "assigned"),
        "{events}"
    );

    // A status a ticket cannot take is refused for it alone.
    let (st, v) = app
        .patch(
            &format!("/api/v1/tickets/{t2}"),
            &a.token,
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, out) = app
        .post(
            "/api/v1/tickets/bulk",
            &a.token,
            json!({"ticket_ids": [t1, t2], "action": "status", "status": "pending_third_party"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{out}");
    assert_eq!(out["items"][0]["result"], "done", "{out}");
    assert_eq!(out["items"][1]["result"], "refused", "{out}");
    assert_eq!(out["items"][1]["code"], "invalid_transition", "{out}");
    assert_eq!(ticket(w, a, t1).await["status"], "pending_third_party");
    assert_eq!(ticket(w, a, t2).await["status"], "resolved");

    // A tag, added to what each ticket has.
    let (st, out) = app
        .post(
            "/api/v1/tickets/bulk",
            &a.token,
            json!({"ticket_ids": [t1, t2, hidden], "action": "tag", "tag": "printers"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{out}");
    assert_eq!(out["done"], 2, "{out}");
    assert_eq!(ticket(w, a, t1).await["tags"], json!(["printers"]));
    assert_eq!(ticket(w, &w.supervisor, hidden).await["tags"], json!([]));

    // Merged into one: the other closes with a pointer to it.
    let (st, out) = app
        .post(
            "/api/v1/tickets/bulk",
            &a.token,
            json!({"ticket_ids": [t1, t2], "action": "merge", "into_ticket_id": t1}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{out}");
    assert_eq!(out["done"], 2, "{out}");
    let merged = ticket(w, a, t2).await;
    assert_eq!(merged["merged_into"], t1, "{merged}");

    // The request as a whole: a known action, what it needs, some tickets.
    for (body, code, field) in [
        (
            json!({"ticket_ids": [t1], "action": "explode"}),
            "invalid_bulk_action",
            "action",
        ),
        (
            json!({"ticket_ids": [t1], "action": "tag"}),
            "invalid_bulk_action",
            "tag",
        ),
        (
            json!({"ticket_ids": [], "action": "unassign"}),
            "missing_ticket",
            "ticket_ids",
        ),
    ] {
        let (st, v) = app.post("/api/v1/tickets/bulk", &a.token, body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["code"], code);
        assert_eq!(v["error"]["field"], field);
    }
    let (st, _) = app
        .post(
            "/api/v1/tickets/bulk",
            &w.c1.token,
            json!({"ticket_ids": [t1], "action": "unassign"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

async fn views(w: &World) {
    let app = &w.app;
    let a = &w.agent_a;
    let b = &w.agent_b;
    let urgent = w.ticket_by(&w.c1, "Urgent: payroll export fails").await;
    let (st, v) = app
        .patch(
            &format!("/api/v1/tickets/{urgent}"),
            &a.token,
            json!({"priority": "urgent", "tags": ["payroll"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let hidden = platform_ticket(w, "Payroll database lag").await;

    // A's own view: open payroll tickets by a word of the subject.
    let (st, mine) = app
        .post(
            "/api/v1/views",
            &a.token,
            json!({"name": "Payroll", "filters": {"statuses": ["new", "open"], "text": "PAYROLL"},
                   "columns": ["status", "subject", "priority"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{mine}");
    assert_eq!(
        mine["columns"],
        json!(["subject", "status", "priority"]),
        "in table order"
    );
    let mine_id = mine["id"].as_i64().unwrap();
    let (st, page) = app
        .get(&format!("/api/v1/views/{mine_id}/tickets"), &a.token)
        .await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert_eq!(ids(&page), vec![urgent], "only what A may see");

    // Personal views are their owner's alone.
    let (_, list) = app.get("/api/v1/views", &b.token).await;
    assert!(list.as_array().unwrap().is_empty(), "{list}");
    let (st, v) = app
        .get(&format!("/api/v1/views/{mine_id}/tickets"), &b.token)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(v["error"]["code"], "view_not_found");

    // A shared view (a supervisor's) is listed for everyone, and each sees in it only
    // the tickets they may see.
    let (st, v) = app
        .post(
            "/api/v1/views",
            &a.token,
            json!({"name": "All payroll", "filters": {"text": "payroll"}, "shared": true}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, shared) = app
        .post(
            "/api/v1/views",
            &w.supervisor.token,
            json!({"name": "All payroll", "filters": {"text": "payroll"}, "shared": true}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{shared}");
    assert_eq!(
        shared["columns"],
        json!(["subject", "requester", "status", "owner", "next_update_due"])
    );
    let shared_id = shared["id"].as_i64().unwrap();
    let (_, list) = app.get("/api/v1/views", &b.token).await;
    assert_eq!(list[0]["id"], shared_id, "{list}");
    assert_eq!(list[0]["editable"], false);
    let tickets_of = |who: &str| format!("/api/v1/views/{shared_id}/tickets?{who}");
    let (_, page) = app.get(&tickets_of(""), &b.token).await;
    assert_eq!(ids(&page), vec![hidden]);
    let (_, page) = app.get(&tickets_of(""), &w.supervisor.token).await;
    assert_eq!(ids(&page), vec![hidden, urgent]);
    // Keyset pages.
    let (_, first) = app.get(&tickets_of("limit=1"), &w.supervisor.token).await;
    assert_eq!(ids(&first), vec![hidden]);
    let after = first["next_after"].as_i64().unwrap();
    let (_, second) = app
        .get(
            &tickets_of(&format!("limit=1&after={after}")),
            &w.supervisor.token,
        )
        .await;
    assert_eq!(ids(&second), vec![urgent]);
    // Filters by priority, tag, owner and frustration.
    for (filters, want) in [
        (json!({"priorities": ["urgent"]}), vec![urgent]),
        (json!({"tag": "payroll"}), vec![urgent]),
        (
            json!({"assignee": "nobody", "text": "payroll"}),
            vec![hidden, urgent],
        ),
        (
            json!({"team_id": w.team_b, "text": "payroll"}),
            vec![hidden],
        ),
        (
            json!({"frustration_levels": ["angry"], "text": "payroll"}),
            vec![],
        ),
    ] {
        let (st, v) = app
            .post(
                "/api/v1/views",
                &w.supervisor.token,
                json!({"name": "probe", "filters": filters}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let (_, page) = app
            .get(
                &format!("/api/v1/views/{}/tickets", v["id"]),
                &w.supervisor.token,
            )
            .await;
        assert_eq!(ids(&page), want, "{filters}");
    }
    // CSV, like other lists.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/views/{shared_id}/tickets?format=csv")))
        .bearer_auth(&b.token)
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
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("Payroll database lag"), "{csv}");
    // Bad input names its field.
    for (body, field) in [
        (json!({"name": " "}), "name"),
        (json!({"name": "x", "columns": ["salary"]}), "columns"),
        (
            json!({"name": "x", "filters": {"statuses": ["sleeping"]}}),
            "status",
        ),
        (
            json!({"name": "x", "filters": {"frustration_levels": ["livid"]}}),
            "frustration_levels",
        ),
    ] {
        let (st, v) = app.post("/api/v1/views", &a.token, body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["field"], field, "{v}");
    }
}

async fn pages(w: &World) {
    let a = browser(&w.app, &w.agent_a).await;
    let id = w.ticket_by(&w.c1, "Cannot print labels").await;
    let hidden = platform_ticket(w, "Shipping labels service down").await;

    // Macros: a refusal beside the reply field, naming the placeholder.
    let (st, html) = a.page("/agent/macros").await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("{{customer.first_name}}"),
        "the placeholders are listed"
    );
    let (st, _, html) = a
        .form(
            "/agent/macros",
            &[("title", "Labels"), ("body", "Hi {{customer.fristname}}")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"macro-body-error\""), "{html}");
    assert!(
        html.contains("{{customer.fristname}}"),
        "named beside the field"
    );
    assert!(!html.contains("JSON") && !html.contains("POST"));
    let (st, to, _) = a
        .form(
            "/agent/macros",
            &[
                ("title", "Labels"),
                (
                    "body",
                    "Hi {{customer.first_name}}, ticket {{ticket.number}} is on it.",
                ),
                ("status", "pending_customer"),
                ("tags", "labels"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(to, "/agent/macros?done=macro_saved");
    let (_, list) = a.json("GET", "/api/v1/macros", None).await;
    let m = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["title"] == "Labels")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    // Picked on the ticket, it fills the reply box; sending it applies the status.
    let (st, html) = a.page(&format!("/agent/tickets/{id}?macro={m}")).await;
    assert_eq!(st, StatusCode::OK);
    let filled = format!("Hi c1@private.test, ticket {id} is on it.");
    assert!(html.contains(&filled), "{html}");
    assert!(html.contains(&format!("name=\"macro_id\" id=\"macro-id\" value=\"{m}\"")));
    let (st, to, _) = a
        .form(
            &format!("/agent/tickets/{id}/reply"),
            &[
                ("body", &filled),
                ("macro_id", &m.to_string()),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(to, format!("/agent/tickets/{id}?done=sent"));
    let t = ticket(w, &w.agent_a, id).await;
    assert_eq!(t["status"], "pending_customer");
    assert_eq!(t["tags"], json!(["labels"]));

    // Bulk from the queues: each ticket's result on the same page.
    let (st, html) = a.page("/agent").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains(&format!("name=\"ticket\" value=\"{id}\" form=\"bulk\"")));
    let (st, _, html) = a
        .form(
            "/agent/bulk",
            &[
                ("ticket", &id.to_string()),
                ("ticket", &hidden.to_string()),
                ("action", "assign_me"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("1 done, 1 refused"), "{html}");
    assert!(
        html.contains(&format!("#{hidden}</a>: not found")),
        "{html}"
    );
    assert_eq!(
        ticket(w, &w.agent_a, id).await["assignee"]["id"],
        w.agent_a.id
    );
    // A missing tag is refused beside its field.
    let (st, _, html) = a
        .form(
            "/agent/bulk",
            &[("ticket", &id.to_string()), ("action", "tag")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"bulk-tag-error\""), "{html}");

    // A saved view: made from the form, listed in the workspace, opened with its columns.
    let (st, to, _) = a
        .form(
            "/agent/views",
            &[
                ("name", "Label trouble"),
                ("text", "labels"),
                ("columns", "subject"),
                ("columns", "tags"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(
        to.starts_with("/agent/views/") && to.ends_with("?done=view_saved"),
        "{to}"
    );
    let (st, html) = a.page(&to).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Cannot print labels"), "{html}");
    assert!(
        !html.contains("Shipping labels service down"),
        "another team's ticket stays out"
    );
    assert!(
        html.contains("<th scope=\"col\">Tags</th>")
            && !html.contains("<th scope=\"col\">Owner</th>")
    );
    let (_, queues) = a.page("/agent").await;
    assert!(queues.contains("Label trouble"), "listed in the workspace");
    let (st, _, html) = a.form("/agent/views", &[("name", "")]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"view-name-error\""), "{html}");
    // Another agent's personal view is not there for them.
    let b = browser(&w.app, &w.agent_b).await;
    let path = to.split('?').next().unwrap();
    let (st, _) = b.page(path).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}
