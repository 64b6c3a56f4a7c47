//! Page tests over a real (temporary SQLite) store: sign-in, CSRF on forms, role areas
//! and escaping. The browser story lives in `tests/e2e`.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use heard_services::Services;
use heard_services::people::NewCustomer;
use tower::ServiceExt;

struct App {
    services: Services,
    _dir: tempfile::TempDir,
}

async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = heard_services::Store::open_data_dir(dir.path())
        .await
        .unwrap();
    App {
        services: Services::new(store),
        _dir: dir,
    }
}

async fn send(app: &App, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = crate::router(app.services.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .unwrap();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

fn post_form(path: &str, cookie: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap()
}

/// A signed-in customer: the cookie header and the session's CSRF token.
async fn customer(app: &App) -> (String, String) {
    app.services
        .create_customer(
            None,
            NewCustomer {
                email: "ada@example.org".into(),
                name: "Ada <i>Lovelace</i>".into(),
                organization_id: None,
                time_zone: None,
                password: Some("correct horse battery".into()),
            },
        )
        .await
        .unwrap();
    let s = app
        .services
        .sign_in("ada@example.org", "correct horse battery", None)
        .await
        .unwrap();
    (format!("heard_session={}", s.token), s.csrf_token)
}

#[tokio::test]
async fn sign_in_page_carries_a_form_token() {
    let app = app().await;
    let (status, headers, body) = send(&app, get("/signin", None)).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("heard_form="), "{cookie}");
    let token = &cookie["heard_form=".len()..cookie.find(';').unwrap()];
    assert!(body.contains(&format!("name=\"csrf\" value=\"{token}\"")));
    assert!(body.contains("<label for=\"email\">"));
    assert!(!body.contains("<script>"), "no inline script");
}

#[tokio::test]
async fn forms_without_their_token_change_nothing() {
    let app = app().await;
    let (status, _, _) = send(
        &app,
        post_form(
            "/signin",
            "heard_form=aaaa",
            "csrf=bbbb&email=a%40b.example&password=x",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (cookie, _) = customer(&app).await;
    let (status, _, _) = send(
        &app,
        post_form(
            "/requests/new",
            &cookie,
            "csrf=wrong&subject=Printer&body=It+jams",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let actor = app.services.actor_for_user(1).await.unwrap();
    let list = app
        .services
        .list_tickets(&actor, Default::default())
        .await
        .unwrap();
    assert!(list.items.is_empty(), "a forged form opened a ticket");
}

#[tokio::test]
async fn pages_need_a_session_and_the_right_role() {
    let app = app().await;
    let (status, headers, _) = send(&app, get("/agent", None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/signin?next=/agent");

    let (cookie, _) = customer(&app).await;
    let (status, _, _) = send(&app, get("/agent", Some(&cookie))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(&app, get("/supervisor", Some(&cookie))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = send(&app, get("/", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("My requests"));
}

#[tokio::test]
async fn what_users_type_is_shown_as_text() {
    let app = app().await;
    let (cookie, csrf) = customer(&app).await;
    let (status, headers, _) = send(
        &app,
        post_form(
            "/requests/new",
            &cookie,
            &format!(
                "csrf={csrf}&subject=%3Cscript%3Ealert(1)%3C%2Fscript%3E+printer&body=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E"
            ),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(to.starts_with("/requests/"), "{to}");
    let (status, _, body) = send(&app, get(&to, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || body.contains("&lt;script&gt;")
    );
    assert!(!body.contains("<script>alert"));
    assert!(!body.contains("<img src=x"));
    assert!(body.contains("Ada &#60;i&#62;Lovelace&#60;/i&#62;") || body.contains("Ada &lt;i&gt;"));
    assert!(body.contains("Your request is in") || body.contains("your request is in"));
}

#[tokio::test]
async fn assets_are_embedded_and_cacheable() {
    let app = app().await;
    for (path, kind) in [
        ("/assets/heard.css", "text/css"),
        ("/assets/heard.js", "text/javascript"),
    ] {
        let (status, headers, body) = send(&app, get(path, None)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert!(
            headers[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
        assert!(!body.is_empty());
    }
    let (status, _, _) = send(&app, get("/assets/nope.js", None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_self_service_visit_counts_as_deflected_or_submitted_anyway() {
    use heard_services::kb::{NewArticle, ReportQuery};
    let app = app().await;
    let staff = app
        .services
        .create_agent(
            None,
            heard_services::people::NewAgent {
                email: "sup@example.org".into(),
                name: "Sup".into(),
                role: "supervisor".into(),
                tier: Some(3),
                skills: vec![],
                team_ids: vec![],
                capacity: None,
                time_zone: None,
                password: None,
            },
        )
        .await
        .unwrap();
    let sup = app.services.actor_for_user(staff.id).await.unwrap();
    let article = app
        .services
        .create_article(
            &sup,
            NewArticle {
                title: "Printer prints blank pages".into(),
                body: "Check the toner seal, then run the cleaning cycle.".into(),
                summary: String::new(),
                slug: Some("printer-blank-pages".into()),
                locale: None,
                visibility: Some("public".into()),
                category: None,
                tags: vec![],
            },
        )
        .await
        .unwrap();
    let (cookie, csrf) = customer(&app).await;

    // Visit 1: opened from a suggestion, then "this solved it" — deflected.
    let v1 = "a".repeat(32);
    let (status, _, body) = send(
        &app,
        get(
            &format!("/help/printer-blank-pages?visit={v1}"),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("Yes, this solved it") && body.contains("Ask a person"),
        "the way to a person stays"
    );
    let (status, headers, _) = send(
        &app,
        post_form(
            "/help/printer-blank-pages/solved",
            &cookie,
            &format!("csrf={csrf}&visit={v1}"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .contains("done=solved")
    );
    let (status, _, _) = send(
        &app,
        post_form(
            "/help/printer-blank-pages/solved",
            &cookie,
            &format!("csrf=forged&visit={v1}"),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a forged form counts nothing"
    );

    // Visit 2: opened, then the request was sent anyway.
    let v2 = "b".repeat(32);
    send(
        &app,
        get(
            &format!("/help/printer-blank-pages?visit={v2}"),
            Some(&cookie),
        ),
    )
    .await;
    let (status, _, _) = send(
        &app,
        post_form(
            "/requests/new",
            &cookie,
            &format!(
                "csrf={csrf}&key={v2}&subject=Still+blank&body=Did+both+steps%2C+still+blank."
            ),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let report = app
        .services
        .deflection_report(&sup, ReportQuery { days: None })
        .await
        .unwrap();
    let row = report
        .articles
        .iter()
        .find(|a| a.article_id == article.id)
        .expect("the article's row");
    assert_eq!((row.opened, row.deflected, row.submitted_anyway), (2, 1, 1));
}

/// A signed-in staff member: the cookie header and the session's CSRF token.
async fn staff(app: &App, email: &str, role: &str) -> (i64, String, String) {
    let a = app
        .services
        .create_agent(
            None,
            heard_services::people::NewAgent {
                email: email.into(),
                name: email.split('@').next().unwrap().into(),
                role: role.into(),
                tier: Some(1),
                skills: vec![],
                team_ids: vec![],
                capacity: Some(5),
                time_zone: None,
                password: Some("correct horse battery".into()),
            },
        )
        .await
        .unwrap();
    let s = app
        .services
        .sign_in(email, "correct horse battery", None)
        .await
        .unwrap();
    (a.id, format!("heard_session={}", s.token), s.csrf_token)
}

#[tokio::test]
async fn the_presence_switch_works_without_javascript_and_supervisors_see_it() {
    let app = app().await;
    let (_, cookie, csrf) = staff(&app, "sam@desk.example", "agent").await;
    let (status, _, body) = send(&app, get("/agent", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"action="/agent/presence""#), "no switch");
    assert!(body.contains(&format!(r#"name="csrf" value="{csrf}""#)));
    assert!(body.contains(r#"id="presence-state" class="presence-state p-offline">Offline"#));
    let (status, _, _) = send(
        &app,
        post_form("/agent/presence", &cookie, "csrf=forged&presence=available"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) = send(
        &app,
        post_form(
            "/agent/presence",
            &cookie,
            &format!("csrf={csrf}&presence=on_break"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/agent?done=presence");
    let (_, _, body) = send(&app, get("/agent?done=presence", Some(&cookie))).await;
    assert!(body.contains("p-on_break\">On a break"), "{body}");
    assert!(body.contains("Your presence was updated."));
    let (status, _, _) = send(
        &app,
        post_form(
            "/agent/presence",
            &cookie,
            &format!("csrf={csrf}&presence=dancing"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (_, boss, _) = staff(&app, "pat@desk.example", "supervisor").await;
    let (status, _, body) = send(&app, get("/supervisor", Some(&boss))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"id="agents-presence""#));
    assert!(
        body.contains("sam") && body.contains("On a break"),
        "{body}"
    );
    assert!(body.contains("overdue a break"));
}

/// A request opened by the signed-in customer of `cookie`; returns its number.
async fn customer_ticket(app: &App, cookie: &str, subject: &str, body: &str) -> i64 {
    let (ada, _) = app
        .services
        .actor_for_session(cookie.trim_start_matches("heard_session="))
        .await
        .unwrap();
    let input = heard_services::tickets::CreateTicket {
        subject: subject.into(),
        body: body.into(),
        body_html: None,
        priority: None,
        channel: None,
        requester_email: None,
        requester_name: None,
        requester_id: None,
        team_id: None,
        assignee_id: None,
        tags: vec![],
    };
    app.services
        .create_ticket(&ada, input, None)
        .await
        .unwrap()
        .0
        .ticket
        .id
}

#[tokio::test]
async fn an_agent_merges_a_duplicate_and_both_pages_lead_to_the_one_conversation() {
    let app = app().await;
    let (_, sup_cookie, sup_csrf) = staff(&app, "sup@example.org", "supervisor").await;
    let (cookie, _) = customer(&app).await;
    let first = customer_ticket(&app, &cookie, "Wi-Fi drops", "Every hour.").await;
    let dup = customer_ticket(&app, &cookie, "Wi-Fi again", "Still every hour.").await;

    let (status, _, page) = send(
        &app,
        get(&format!("/agent/tickets/{dup}"), Some(&sup_cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("action=\"/agent/tickets/{dup}/merge\"")));
    // A number that is not one goes back to the form with the field named.
    let (status, _, _) = send(
        &app,
        post_form(
            &format!("/agent/tickets/{dup}/merge"),
            &sup_cookie,
            &format!("csrf={}&into_ticket_id=first", sup_csrf),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, headers, _) = send(
        &app,
        post_form(
            &format!("/agent/tickets/{dup}/merge"),
            &sup_cookie,
            &format!(
                "csrf={}&into_ticket_id=%23{first}&note=same+router",
                sup_csrf
            ),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        format!("/agent/tickets/{first}?done=merged").as_str()
    );

    let (status, headers, _) = send(
        &app,
        get(&format!("/agent/tickets/{dup}"), Some(&sup_cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        format!("/agent/tickets/{first}?done=merged").as_str()
    );
    let (status, headers, _) = send(&app, get(&format!("/requests/{dup}"), Some(&cookie))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        format!("/requests/{first}?done=joined").as_str()
    );
    let (status, _, page) = send(
        &app,
        get(&format!("/requests/{first}?done=joined"), Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Still every hour.") && page.contains("We joined your requests"));
}

#[tokio::test]
async fn an_agent_records_a_diagnosis_and_the_problem_page_groups_its_tickets() {
    let app = app().await;
    let (_, sup_cookie, sup_csrf) = staff(&app, "sup@example.org", "supervisor").await;
    let (cookie, _) = customer(&app).await;
    let id = customer_ticket(
        &app,
        &cookie,
        "Mail bounces",
        "Every mail to the <b>board</b> bounces.",
    )
    .await;
    let post = |form: String| {
        post_form(
            &format!("/agent/tickets/{id}/diagnosis"),
            &sup_cookie,
            &form,
        )
    };

    let (status, _, _) = send(
        &app,
        post(format!("csrf={}&root_cause=mail+bounces", sup_csrf)),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a root cause must say more than the subject"
    );
    let (status, headers, _) = send(
        &app,
        post(format!(
            "csrf={}&root_cause=The+board+list%27s+alias+pointed+at+a+deleted+mailbox&problem_id=&new_problem_title=%3Cscript%3EStale+aliases",
            sup_csrf
        )),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        format!("/agent/tickets/{id}?done=diagnosed").as_str()
    );
    let (_, _, page) = send(
        &app,
        get(&format!("/agent/tickets/{id}"), Some(&sup_cookie)),
    )
    .await;
    assert!(
        page.contains("pointed at a deleted mailbox") && page.contains("Correct the diagnosis")
    );
    let (status, _, page) = send(&app, get("/agent/problems", Some(&sup_cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        (page.contains("&lt;script&gt;Stale aliases")
            || page.contains("&#60;script&#62;Stale aliases"))
            && !page.contains("<script>Stale"),
        "titles are escaped"
    );
    let (status, _, page) = send(&app, get("/agent/problems/1", Some(&sup_cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("/agent/tickets/{id}")),
        "the problem lists its ticket"
    );
    let (status, _, _) = send(&app, get("/agent/problems", Some(&cookie))).await;
    assert_ne!(status, StatusCode::OK, "customers have no problems page");
    let (status, headers, _) = send(
        &app,
        post_form(
            "/agent/problems/1",
            &sup_cookie,
            &format!(
                "csrf={}&status=known_error&description=Recreate+the+alias",
                sup_csrf
            ),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    let (_, _, page) = send(&app, get("/agent/problems/1", Some(&sup_cookie))).await;
    assert!(page.contains("Recreate the alias"));
}

#[tokio::test]
async fn a_customer_rates_a_resolved_request_and_a_poor_rating_reaches_the_supervisor() {
    use heard_services::tickets::TicketPatch;
    let app = app().await;
    let (sup_id, sup_cookie, sup_csrf) = staff(&app, "sup@example.org", "supervisor").await;
    let sup_actor = app.services.actor_for_user(sup_id).await.unwrap();
    let (cookie, csrf) = customer(&app).await;
    let id = customer_ticket(
        &app,
        &cookie,
        "Badge does not open the door",
        "My badge stopped working at the front door.",
    )
    .await;
    let (_, _, page) = send(&app, get(&format!("/requests/{id}"), Some(&cookie))).await;
    assert!(
        !page.contains("How did we do?"),
        "no survey before it is resolved"
    );
    app.services
        .update_ticket(
            &sup_actor,
            id,
            TicketPatch {
                status: Some("resolved".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (_, _, page) = send(&app, get(&format!("/requests/{id}"), Some(&cookie))).await;
    assert!(page.contains("How did we do?") && page.contains("name=\"rating\""));
    let rate = |form: String| post_form(&format!("/requests/{id}/survey"), &cookie, &form);
    let (status, _, _) = send(&app, rate(format!("csrf={csrf}&rating=great"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, headers, _) = send(
        &app,
        rate(format!("csrf={csrf}&rating=1&comment=Two+days+locked+out")),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        format!("/requests/{id}?done=rated").as_str()
    );
    let (_, _, page) = send(&app, get(&format!("/requests/{id}"), Some(&cookie))).await;
    assert!(page.contains("1 out of 5") && page.contains("Two days locked out"));

    let (status, _, page) = send(&app, get("/supervisor", Some(&sup_cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Customers to win back")
            && page.contains(&format!("/supervisor/recoveries/{id}"))
    );
    assert!(
        page.contains("<strong>0%</strong> rated 4 or 5 (1 rating)"),
        "satisfaction: none of one rating was good"
    );
    let (status, headers, _) = send(
        &app,
        post_form(
            &format!("/supervisor/recoveries/{id}"),
            &sup_cookie,
            &format!("csrf={}&note=Called+and+reissued+the+badge", sup_csrf),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/supervisor?done=recovered");
    let (_, _, page) = send(&app, get("/supervisor?done=recovered", Some(&sup_cookie))).await;
    assert!(
        page.contains("Nobody is waiting for a follow-up")
            && page.contains("The follow-up was recorded")
    );
}
