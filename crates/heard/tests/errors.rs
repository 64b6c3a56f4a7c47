//! Error codes are one contract written in three places: the `ErrorCode` enum (with each
//! code's status), the table in `docs/errors.md` and the OpenAPI document. These tests
//! fail when they disagree, and check that errors on the wire carry a listed code with
//! its status.

mod common;

use common::{TestApp, World};
use heard_services::{ErrorCode, status_of};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The `| `code` | status | meaning |` rows of docs/errors.md, in order.
fn documented() -> Vec<(String, u16, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md");
    let text = std::fs::read_to_string(path).expect("docs/errors.md is readable");
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let status = cells.get(2)?.parse().ok()?;
            Some((code.to_string(), status, cells.get(3)?.to_string()))
        })
        .collect()
}

fn code_named(name: &str) -> Option<ErrorCode> {
    ErrorCode::ALL.iter().copied().find(|c| c.as_str() == name)
}

#[test]
fn the_docs_table_lists_every_code_once_with_its_status() {
    let rows = documented();
    let mut by_code = BTreeMap::new();
    for (code, status, meaning) in &rows {
        assert!(
            by_code.insert(code.clone(), *status).is_none(),
            "`{code}` is documented twice"
        );
        assert!(!meaning.is_empty(), "`{code}` has no meaning in the table");
        let Some(c) = code_named(code) else {
            panic!("docs/errors.md lists `{code}`, which is not in ErrorCode");
        };
        assert_eq!(
            *status,
            status_of(c),
            "docs/errors.md gives `{code}` another status than status_of"
        );
    }
    for c in ErrorCode::ALL {
        assert!(
            by_code.contains_key(c.as_str()),
            "ErrorCode::{c:?} (`{c}`) has no row in docs/errors.md"
        );
    }
    let names: Vec<&String> = rows.iter().map(|(c, ..)| c).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "keep the table in alphabetical order");
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_codes() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    let schemas = &doc["components"]["schemas"];
    let mut listed: Vec<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .expect("an ErrorCode schema with its values")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    listed.sort();
    let mut ours: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    ours.sort();
    assert_eq!(listed, ours);
    assert_eq!(
        schemas["ErrorDetail"]["properties"]["code"]["$ref"], "#/components/schemas/ErrorCode",
        "an error's code is described by the ErrorCode schema"
    );
}

#[tokio::test]
async fn errors_on_the_wire_carry_a_listed_code_and_its_status() {
    let w = World::new().await;
    let app = &w.app;
    let agent = &w.agent_a.token;
    let raw = |method: &str, path: &str, body: &str, token: Option<&str>| {
        let mut req = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    // A code's own status, except that a refused input is 422 whatever its code.
    let team_missing = json!({"subject": "Printer", "body": "It jams.",
        "requester_email": "a@example.com", "team_id": 999_999})
    .to_string();
    for (what, res, code, status) in [
        (
            "no token",
            raw("GET", "/api/v1/tickets", "", None).await,
            ErrorCode::Unauthenticated,
            401,
        ),
        (
            "no such route",
            raw("GET", "/api/v1/nowhere", "", Some(agent)).await,
            ErrorCode::RouteNotFound,
            404,
        ),
        (
            "no such ticket",
            raw("GET", "/api/v1/tickets/999999", "", Some(agent)).await,
            ErrorCode::TicketNotFound,
            404,
        ),
        (
            "not JSON",
            raw("POST", "/api/v1/tickets", "{", Some(agent)).await,
            ErrorCode::MalformedJson,
            400,
        ),
        (
            "a team named in the body that does not exist",
            raw("POST", "/api/v1/tickets", &team_missing, Some(agent)).await,
            ErrorCode::TeamNotFound,
            422,
        ),
    ] {
        let res = res.unwrap();
        let got = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        let name = body["error"]["code"].as_str().unwrap_or_default();
        assert!(
            code_named(name).is_some(),
            "{what}: `{name}` is not in ErrorCode ({body})"
        );
        assert_eq!((got, name), (status, code.as_str()), "{what}: {body}");
        if got != 422 {
            assert_eq!(got, status_of(code), "{what}: the status is the code's");
        }
    }
}
