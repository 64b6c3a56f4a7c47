//! What a browser does with the pages, for tests that post forms without one: a signed-in
//! session's cookie and form token, the pre-session form token, and the cookies a
//! response sets.

use super::{PASSWORD, Person, TestApp};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

/// The pre-session form cookie (`name=value`) and the token in the page's form.
pub async fn form_token(client: &reqwest::Client, url: &str) -> (String, String) {
    let res = client.get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = set_cookie(&res, "heard_form=").expect("a form cookie");
    let body = res.text().await.unwrap();
    let token = body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a form token")
        .to_string();
    (cookie.split(';').next().unwrap().to_string(), token)
}

pub fn set_cookie(res: &reqwest::Response, prefix: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(prefix))
        .map(str::to_string)
}

/// A browser: its session (or, for a visitor, form) cookie and the token its forms carry.
#[derive(Clone)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
    pub client: reqwest::Client,
    pub base: String,
}

/// A client that shows redirects instead of following them, as tests read them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A visitor who has not signed in and holds no form token yet.
pub fn anonymous(app: &TestApp) -> Browser {
    Browser {
        cookie: String::new(),
        csrf: String::new(),
        client: no_redirects(),
        base: app.base.clone(),
    }
}

/// A browser signed in as `p`.
pub async fn browser(app: &TestApp, p: &Person) -> Browser {
    browser_at(&app.base, p).await
}

/// A browser signed in as `p` at `base` (e.g. a load balancer in front of the server).
pub async fn browser_at(base: &str, p: &Person) -> Browser {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"email": p.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let body: Value = res.json().await.unwrap();
    Browser {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().to_string(),
        client: no_redirects(),
        base: base.to_string(),
    }
}

impl Browser {
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let (status, body, _) = self.get(path).await;
        (status, body)
    }

    /// Reads a page as a visitor without a session: the form token the page hands out
    /// is kept (cookie and field), as a browser keeps it for the forms that follow.
    pub async fn visit(&mut self, path: &str) -> (StatusCode, String) {
        let (status, body, form_cookie) = self.get(path).await;
        if self.cookie.is_empty()
            && let Some(cookie) = form_cookie
        {
            self.csrf = cookie.split('=').nth(1).unwrap().to_string();
            self.cookie = cookie;
        }
        (status, body)
    }

    /// The status, the page and the form cookie (`name=value`) it set, if any.
    async fn get(&self, path: &str) -> (StatusCode, String, Option<String>) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if !self.cookie.is_empty() {
            req = req.header(COOKIE, &self.cookie);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let form_cookie =
            set_cookie(&res, "heard_form=").map(|c| c.split(';').next().unwrap().to_string());
        let body = res.text().await.unwrap();
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}: {body}");
        (status, body, form_cookie)
    }

    /// Posts a form with this session's token (unless `fields` names its own).
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            all.push(("csrf", &self.csrf));
        }
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .form(&all)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let to = res
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = res.text().await.unwrap();
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}: {body}");
        (status, to, body)
    }

    /// A JSON call with the session cookie (and its CSRF header on writes).
    pub async fn json(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}
