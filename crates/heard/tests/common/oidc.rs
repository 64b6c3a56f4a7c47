//! A real OpenID Connect provider for the single sign-on tests: the `oidc-provider` npm
//! package run by `tests/oidc/provider.mjs` on a loopback port (installed with `npm ci`
//! on first use), and a browser that goes through its login and consent pages over HTTP.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

pub const CLIENT_ID: &str = "heard-desk";
pub const CLIENT_SECRET: &str = "a client secret for tests";

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

/// Installs the provider's packages once (what `tests/e2e/run` does for its own).
fn install() {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut done = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if *done || folder().join("node_modules/oidc-provider").is_dir() {
        *done = true;
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(folder())
        .status()
        .expect("npm runs (Node.js and npm are needed for the single sign-on tests)");
    assert!(status.success(), "npm ci in tests/oidc failed");
    *done = true;
}

/// The provider, stopped when dropped.
pub struct Provider {
    pub issuer: String,
    child: Child,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts a provider that knows heard (at `heard_base`) as its client and the given
    /// accounts (login name → claims).
    pub fn start(heard_base: &str, accounts: Value) -> Provider {
        install();
        let config = serde_json::json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [format!("{heard_base}/signin/sso/callback")],
            "accounts": accounts,
        });
        let mut child = Command::new("node")
            .arg(folder().join("provider.mjs"))
            .arg(config.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let issuer = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("oidc provider listening on ") {
                        break url.trim().to_string();
                    }
                }
                _ => panic!("the OpenID provider did not start"),
            }
        };
        // Keep reading what it prints: a closed pipe would end it at its next line.
        std::thread::spawn(move || lines.for_each(drop));
        Provider { issuer, child }
    }
}

/// A browser: cookies per host (paths ignored, which only sends more than needed) and no
/// automatic redirects, so each step can be looked at.
pub struct Browser {
    pub client: reqwest::Client,
    jar: BTreeMap<String, BTreeMap<String, String>>,
}

/// Where a browser ended up: the last response's status, its `Location` and its body.
pub struct Landed {
    pub url: String,
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

fn host_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_default()
        .to_string()
}

fn resolve(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else {
        let scheme_host = &base[..base.find("://").map(|i| i + 3).unwrap_or(0)];
        format!("{scheme_host}{}{location}", host_of(base))
    }
}

/// The value of `name="…"`-style attribute `attr` in a tag.
fn attribute(tag: &str, attr: &str) -> Option<String> {
    let needle = format!("{attr}=\"");
    let start = tag.find(&needle)? + needle.len();
    Some(tag[start..].split('"').next()?.replace("&amp;", "&"))
}

impl Default for Browser {
    fn default() -> Self {
        Browser::new()
    }
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }

    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.jar.get(&host_of(url))?.get(name).cloned()
    }

    pub fn set_cookie(&mut self, url: &str, name: &str, value: &str) {
        self.jar
            .entry(host_of(url))
            .or_default()
            .insert(name.into(), value.into());
    }

    async fn send(&mut self, req: reqwest::RequestBuilder, url: &str) -> Landed {
        let mut req = req;
        if let Some(cookies) = self.jar.get(&host_of(url)) {
            let header = cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.header(COOKIE, header);
        }
        let res = req.send().await.expect("the request is answered");
        for c in res.headers().get_all(SET_COOKIE) {
            let c = c.to_str().unwrap();
            let pair = c.split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                let jar = self.jar.entry(host_of(url)).or_default();
                if v.is_empty() || c.to_ascii_lowercase().contains("max-age=0") {
                    jar.remove(k);
                } else {
                    jar.insert(k.to_string(), v.to_string());
                }
            }
        }
        let status = res.status();
        let location = res
            .headers()
            .get(LOCATION)
            .map(|l| resolve(url, l.to_str().unwrap()));
        let body = res.text().await.unwrap();
        Landed {
            url: url.to_string(),
            status,
            location,
            body,
        }
    }

    pub async fn get(&mut self, url: &str) -> Landed {
        let req = self.client.get(url);
        self.send(req, url).await
    }

    /// Follows redirects until a page answers, or until the next stop starts with `stop`.
    pub async fn follow(&mut self, mut landed: Landed, stop: &str) -> Landed {
        for _ in 0..20 {
            match &landed.location {
                Some(next) if landed.status.is_redirection() && !next.starts_with(stop) => {
                    let next = next.clone();
                    landed = self.get(&next).await;
                }
                _ => return landed,
            }
        }
        panic!("too many redirects, last at {}", landed.url);
    }

    /// Posts the page's (first) form with its hidden fields and `fields`.
    pub async fn submit(&mut self, page: &Landed, fields: &[(&str, &str)]) -> Landed {
        let form_at = page.body.find("<form").expect("a form on the page");
        let form = &page.body[form_at..];
        let tag = &form[..form.find('>').unwrap()];
        let action = resolve(
            &page.url,
            &attribute(tag, "action").unwrap_or(page.url.clone()),
        );
        let end = form.find("</form>").unwrap_or(form.len());
        let mut all: Vec<(String, String)> = form[..end]
            .split("<input")
            .skip(1)
            .filter(|i| i.contains("type=\"hidden\""))
            .filter_map(|i| {
                Some((
                    attribute(i, "name")?,
                    attribute(i, "value").unwrap_or_default(),
                ))
            })
            .collect();
        all.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let req = self.client.post(&action).form(&all);
        self.send(req, &action).await
    }

    /// Starts signing in to heard at `base` with its provider and goes through the
    /// provider's login (as `login`) and consent pages, stopping before heard's callback:
    /// the callback URL the provider sent the browser to is in `location`.
    pub async fn through_provider(&mut self, base: &str, start: &str, login: &str) -> Landed {
        let callback = format!("{base}/signin/sso/callback");
        let started = self.get(&format!("{base}{start}")).await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
        let mut page = self.follow(started, &callback).await;
        for _ in 0..4 {
            if page.status != StatusCode::OK {
                break;
            }
            assert!(
                !page.url.starts_with(base),
                "back at heard too early: {}",
                page.body
            );
            let answered = if page.body.contains("name=\"login\"") {
                self.submit(&page, &[("login", login), ("password", "any password")])
                    .await
            } else {
                self.submit(&page, &[]).await
            };
            page = self.follow(answered, &callback).await;
        }
        let to = page.location.clone().unwrap_or_default();
        assert!(
            to.starts_with(&callback),
            "the provider did not send the browser back to heard: {} {}",
            page.status,
            page.body
        );
        page
    }

    /// Completes a sign-in: heard's callback answers (a redirect with a session, or the
    /// sign-in page saying why not).
    pub async fn finish(&mut self, at_provider: &Landed) -> Landed {
        let to = at_provider.location.clone().unwrap();
        let landed = self.get(&to).await;
        assert_ne!(
            landed.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{}",
            landed.body
        );
        landed
    }
}
