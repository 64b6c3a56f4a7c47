//! Single sign-on with an OpenID Connect provider: the authorization code flow with PKCE
//! (S256), `state` and `nonce`. Starting a sign-in keeps an attempt in the database (so
//! any process behind a load balancer can finish it) bound to the browser's cookie; the
//! provider's answer takes it (once), the code is exchanged with the client secret, and
//! the ID token's signature is verified against the provider's published keys before
//! `heard_domain::sso` checks its claims and decides who signs in.
//!
//! The HTTP here is the thin part: discovery, the key set (cached, fetched again when a
//! token names a key it does not hold), the token and userinfo endpoints.

use crate::auth::{NewSession, new_secret, random_bytes, sha256_hex};
use crate::people::{NewAgent, NewCustomer};
use crate::{Result, ServiceError, Services};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use heard_domain::sso::{
    Account, IdToken, Person, SsoAttempt, SsoOutcome, check_attempt, check_id_token, decide,
};
pub use heard_domain::sso::{SsoPolicy, SsoRefusal, parse_role_map};
use heard_domain::{EmailAddress, Role};
use heard_store::{NewAudit, SsoAttemptRow, UserPatch};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// How long a started sign-in waits for the provider's answer.
pub const ATTEMPT_MS: i64 = 10 * 60 * 1000;
/// The browser's own secret for its sign-ins with the provider.
pub const BROWSER_COOKIE: &str = "heard_sso";
/// The path the provider sends people back to.
pub const CALLBACK_PATH: &str = "/signin/sso/callback";
/// Discovery is fetched again after this long (providers move endpoints rarely).
const DISCOVERY_TTL: Duration = Duration::from_secs(60 * 60);

/// How the desk signs people in with its provider (`heard serve --oidc-*`).
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// "Sign in with {display_name}".
    pub display_name: String,
    /// Where people reach the desk; the provider sends them back to its callback path.
    pub public_url: String,
    /// Asked of the provider, space-separated; `openid` is always among them.
    pub scopes: String,
    pub policy: SsoPolicy,
}

impl OidcSettings {
    pub fn redirect_uri(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.public_url.trim_end_matches('/'))
    }
}

/// The provider's endpoints, from its `/.well-known/openid-configuration`.
#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
}

/// The configured provider, its cached discovery document and keys. Cheap to clone.
#[derive(Clone)]
pub struct Oidc {
    inner: Arc<OidcInner>,
}

struct OidcInner {
    settings: OidcSettings,
    http: reqwest::Client,
    discovery: RwLock<Option<(Discovery, Instant)>>,
    keys: RwLock<Option<JwkSet>>,
}

impl Oidc {
    pub fn new(settings: OidcSettings) -> Oidc {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent("heard")
            .build()
            .unwrap_or_default();
        Oidc {
            inner: Arc::new(OidcInner {
                settings,
                http,
                discovery: RwLock::new(None),
                keys: RwLock::new(None),
            }),
        }
    }

    pub fn settings(&self) -> &OidcSettings {
        &self.inner.settings
    }

    async fn discovery(&self) -> Result<Discovery, SsoRefusal> {
        if let Some((d, at)) = self.inner.discovery.read().await.as_ref()
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(d.clone());
        }
        let issuer = self.inner.settings.issuer.trim_end_matches('/');
        let url = format!("{issuer}/.well-known/openid-configuration");
        let d: Discovery = self.get_json(&url, None).await?;
        // OpenID Connect Discovery 4.3: the document must name the issuer it was asked of.
        if d.issuer.trim_end_matches('/') != issuer {
            tracing::warn!(configured = issuer, discovered = %d.issuer, "the provider names another issuer");
            return Err(SsoRefusal::Unreachable);
        }
        *self.inner.discovery.write().await = Some((d.clone(), Instant::now()));
        Ok(d)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        bearer: Option<&str>,
    ) -> Result<T, SsoRefusal> {
        let mut req = self.inner.http.get(url);
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.map_err(|e| unreachable(url, e))?;
        if !res.status().is_success() {
            tracing::warn!(url, status = %res.status(), "the provider refused a request");
            return Err(SsoRefusal::Unreachable);
        }
        let body = res.bytes().await.map_err(|e| unreachable(url, e))?;
        serde_json::from_slice(&body).map_err(|e| unreachable(url, e))
    }

    /// The key set, fetched again when `kid` names a key the cached set does not hold
    /// (the provider rotated its keys).
    async fn key_for(&self, jwks_uri: &str, kid: Option<&str>) -> Result<DecodingKey, SsoRefusal> {
        let find = |set: &JwkSet| match kid {
            Some(k) => set.find(k).cloned(),
            None if set.keys.len() == 1 => set.keys.first().cloned(),
            None => None,
        };
        if let Some(jwk) = self.inner.keys.read().await.as_ref().and_then(find) {
            return DecodingKey::from_jwk(&jwk)
                .map_err(|_| SsoRefusal::BadToken("its key is unusable"));
        }
        let set: JwkSet = self.get_json(jwks_uri, None).await?;
        let jwk = find(&set);
        *self.inner.keys.write().await = Some(set);
        let jwk = jwk.ok_or(SsoRefusal::BadToken(
            "it is signed with a key the provider does not publish",
        ))?;
        DecodingKey::from_jwk(&jwk).map_err(|_| SsoRefusal::BadToken("its key is unusable"))
    }

    /// Verifies the ID token's signature and returns its claims.
    async fn verify(&self, jwks_uri: &str, id_token: &str) -> Result<Value, SsoRefusal> {
        let header = jsonwebtoken::decode_header(id_token)
            .map_err(|_| SsoRefusal::BadToken("it is not a signed token"))?;
        // Only the provider's public keys count: no `none`, no shared-secret algorithms.
        let allowed = [
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
            Algorithm::ES256,
            Algorithm::ES384,
        ];
        if !allowed.contains(&header.alg) {
            return Err(SsoRefusal::BadToken(
                "it is signed with an algorithm heard does not accept",
            ));
        }
        let key = self.key_for(jwks_uri, header.kid.as_deref()).await?;
        // Issuer, audience, expiry and nonce are checked by `check_id_token`, with our clock.
        let mut v = Validation::new(header.alg);
        v.validate_exp = false;
        v.validate_nbf = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<Value>(id_token, &key, &v)
            .map(|t| t.claims)
            .map_err(|_| SsoRefusal::BadToken("its signature does not verify"))
    }
}

fn unreachable(url: &str, e: impl std::fmt::Display) -> SsoRefusal {
    tracing::warn!(url, error = %e, "the OpenID provider could not be reached");
    SsoRefusal::Unreachable
}

/// The PKCE challenge for a verifier (RFC 7636, S256).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The values of the claim at `path` (`groups`, or `realm_access.roles` into nested
/// objects): a string is one value, an array of strings several.
pub fn claim_values(claims: &Value, path: &str) -> Vec<String> {
    let found = path.split('.').try_fold(claims, |v, key| v.get(key));
    match found {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the claims say the address is verified (`true`, or the string some providers
/// send).
pub fn email_verified(claims: &Value) -> bool {
    match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The userinfo claims added to the ID token's, for a provider that puts the e-mail
/// address (or the role claim) only there. The userinfo answer must be about the same
/// subject; the ID token's own claims win.
pub fn merge_userinfo(id_claims: &Value, userinfo: &Value) -> Result<Value, SsoRefusal> {
    if userinfo.get("sub") != id_claims.get("sub") {
        return Err(SsoRefusal::BadToken(
            "the profile it gave is someone else's",
        ));
    }
    let mut merged = userinfo.clone();
    if let (Some(m), Some(id)) = (merged.as_object_mut(), id_claims.as_object()) {
        for (k, v) in id {
            m.insert(k.clone(), v.clone());
        }
    }
    Ok(merged)
}

/// Form encoding of the client id and secret inside Basic authentication (RFC 6749
/// 2.3.1), which leaves only unreserved characters as they are.
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where to send the browser to start signing in, and the cookie that binds the sign-in
/// to it.
#[derive(Debug)]
pub struct SsoStart {
    pub redirect: String,
    /// The browser's secret: its own if it sent one, else a new one to set.
    pub browser_secret: String,
}

/// The provider's answer at the callback, as it came in the query.
#[derive(Debug, Default, Deserialize)]
pub struct SsoAnswer {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub iss: Option<String>,
}

/// A finished sign-in: the session, and where the person was going.
#[derive(Debug)]
pub struct SsoSignedIn {
    pub session: NewSession,
    pub next: Option<String>,
}

/// Why finishing failed: a refusal to show on the sign-in page, or heard's own fault.
#[derive(Debug)]
pub enum SsoFailure {
    Refused(SsoRefusal),
    Service(ServiceError),
}

impl From<SsoRefusal> for SsoFailure {
    fn from(r: SsoRefusal) -> Self {
        SsoFailure::Refused(r)
    }
}

impl From<ServiceError> for SsoFailure {
    fn from(e: ServiceError) -> Self {
        SsoFailure::Service(e)
    }
}

impl From<heard_store::StoreError> for SsoFailure {
    fn from(e: heard_store::StoreError) -> Self {
        SsoFailure::Service(e.into())
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
    access_token: Option<String>,
}

impl Services {
    /// The same services signing people in with an OpenID Connect provider.
    pub fn with_oidc(mut self, oidc: Oidc) -> Self {
        self.oidc = Some(oidc);
        self
    }

    /// The provider's display name, when single sign-on is configured.
    pub fn sso_provider(&self) -> Option<&str> {
        self.oidc
            .as_ref()
            .map(|o| o.settings().display_name.as_str())
    }

    fn oidc(&self) -> Result<&Oidc> {
        self.oidc.as_ref().ok_or(ServiceError::not_found(
            "single sign-on",
            crate::ErrorCode::SsoNotConfigured,
        ))
    }

    /// Starts a sign-in with the provider from the browser holding `browser_secret` (if
    /// it has one yet); `next` is where to go afterwards (a path on this site, checked by
    /// the caller).
    pub async fn sso_begin(
        &self,
        browser_secret: Option<&str>,
        next: &str,
    ) -> Result<Result<SsoStart, SsoRefusal>> {
        let oidc = self.oidc()?;
        let d = match oidc.discovery().await {
            Ok(d) => d,
            Err(r) => return Ok(Err(r)),
        };
        let browser_secret = browser_secret
            .filter(|s| s.len() >= 32)
            .map(str::to_string)
            .unwrap_or_else(|| new_secret(""));
        let state = new_secret("");
        let nonce = new_secret("");
        let verifier = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
        let now = self.now();
        self.store
            .insert_sso_attempt(
                &SsoAttemptRow {
                    state_hash: sha256_hex(state.as_bytes()),
                    browser_hash: sha256_hex(browser_secret.as_bytes()),
                    nonce: nonce.clone(),
                    code_verifier: verifier.clone(),
                    next_path: next.to_string(),
                    created_at: now,
                    expires_at: now + ATTEMPT_MS,
                },
                now,
            )
            .await?;
        let s = oidc.settings();
        let redirect = reqwest::Url::parse_with_params(
            &d.authorization_endpoint,
            &[
                ("response_type", "code"),
                ("client_id", s.client_id.as_str()),
                ("redirect_uri", s.redirect_uri().as_str()),
                ("scope", s.scopes.as_str()),
                ("state", state.as_str()),
                ("nonce", nonce.as_str()),
                ("code_challenge", pkce_challenge(&verifier).as_str()),
                ("code_challenge_method", "S256"),
            ],
        )
        .map_err(|_| SsoRefusal::Unreachable);
        Ok(redirect.map(|u| SsoStart {
            redirect: u.to_string(),
            browser_secret,
        }))
    }

    /// Finishes a sign-in with the provider's answer, in the browser holding
    /// `browser_secret`: checks it, exchanges the code, verifies the ID token, decides
    /// who signs in (see `heard_domain::sso::decide`), and opens their session.
    pub async fn sso_finish(
        &self,
        answer: &SsoAnswer,
        browser_secret: Option<&str>,
    ) -> Result<SsoSignedIn, SsoFailure> {
        let oidc = self.oidc()?;
        let s = oidc.settings();
        let now = self.now();
        let attempt = match answer.state.as_deref() {
            Some(state) => {
                self.store
                    .take_sso_attempt(&sha256_hex(state.as_bytes()))
                    .await?
            }
            None => None,
        };
        check_attempt(
            attempt
                .as_ref()
                .map(|a| SsoAttempt {
                    browser_hash: a.browser_hash.clone(),
                    expires_at: a.expires_at,
                })
                .as_ref(),
            browser_secret.map(|b| sha256_hex(b.as_bytes())).as_deref(),
            now,
        )?;
        let attempt = attempt.ok_or(SsoRefusal::BadState)?;
        if let Some(e) = &answer.error {
            return Err(SsoRefusal::Provider(e.clone()).into());
        }
        // RFC 9207: a provider that names itself in the answer must be ours.
        if answer
            .iss
            .as_deref()
            .is_some_and(|i| i.trim_end_matches('/') != s.issuer.trim_end_matches('/'))
        {
            return Err(SsoRefusal::BadToken("it comes from another issuer").into());
        }
        let code = answer
            .code
            .as_deref()
            .ok_or(SsoRefusal::Provider("no code".into()))?;
        let d = oidc.discovery().await?;
        let tokens = self
            .exchange(oidc, &d, code, &attempt.code_verifier)
            .await?;
        let id_token = tokens
            .id_token
            .ok_or(SsoRefusal::BadToken("the provider sent no ID token"))?;
        let mut claims = oidc.verify(&d.jwks_uri, &id_token).await?;
        let token: IdToken = serde_json::from_value(claims.clone())
            .map_err(|_| SsoRefusal::BadToken("it lacks the claims OpenID Connect requires"))?;
        check_id_token(&token, &s.issuer, &s.client_id, &attempt.nonce, now / 1000)?;
        let wants_more = claims.get("email").is_none()
            || claims.get("email_verified").is_none()
            || s.policy
                .role_claim
                .as_deref()
                .is_some_and(|c| claim_values(&claims, c).is_empty());
        if wants_more
            && let (Some(userinfo), Some(access)) = (&d.userinfo_endpoint, &tokens.access_token)
        {
            let info: Value = oidc.get_json(userinfo, Some(access)).await?;
            claims = merge_userinfo(&claims, &info)?;
        }
        let email = claims
            .get("email")
            .and_then(Value::as_str)
            .and_then(|e| EmailAddress::parse(e).ok())
            .ok_or(SsoRefusal::NoEmail)?;
        let person = Person {
            email_verified: email_verified(&claims),
            role_values: s
                .policy
                .role_claim
                .as_deref()
                .map(|c| claim_values(&claims, c))
                .unwrap_or_default(),
        };
        let user = self.store.user_by_email(email.as_str()).await?;
        let existing = match &user {
            Some(u) => Some(Account {
                user_id: u.id,
                role: u
                    .role
                    .parse()
                    .map_err(|_| ServiceError::internal(format!("stored role `{}`", u.role)))?,
                active: u.active,
            }),
            None => None,
        };
        let outcome = decide(&person, existing, &s.policy)?;
        let (user_id, how) = match (outcome, user) {
            (SsoOutcome::SignIn { user_id, new_role }, Some(u)) => {
                if let Some(role) = new_role {
                    self.store
                        .update_user_audited(
                            u.id,
                            &UserPatch {
                                name: u.name.clone(),
                                role: role.as_str().into(),
                                organization_id: u.organization_id,
                                tier: u.tier,
                                time_zone: u.time_zone.clone(),
                                capacity: u.capacity,
                                active: u.active,
                                skills: None,
                                team_ids: None,
                            },
                            now,
                            Some(&NewAudit {
                                actor_id: None,
                                action: "role_from_sso".into(),
                                data: serde_json::json!({"from": u.role, "to": role.as_str(),
                                    "issuer": s.issuer})
                                .to_string(),
                            }),
                        )
                        .await?;
                }
                (user_id, "matched")
            }
            (SsoOutcome::Provision { role }, _) => {
                (self.provision(&email, &claims, role).await?, "provisioned")
            }
            (SsoOutcome::SignIn { .. }, None) => return Err(SsoRefusal::UnknownUser.into()),
        };
        let session = self.open_session(user_id).await?;
        self.store
            .append_audit(
                &NewAudit {
                    actor_id: Some(user_id),
                    action: "signed_in".into(),
                    data: serde_json::json!({"method": "sso", "issuer": s.issuer,
                        "subject": token.sub, "account": how})
                    .to_string(),
                },
                "user",
                user_id,
                now,
            )
            .await?;
        Ok(SsoSignedIn {
            session,
            next: Some(attempt.next_path).filter(|n| !n.is_empty()),
        })
    }

    /// Exchanges the code for tokens, authenticating with the client secret.
    async fn exchange(
        &self,
        oidc: &Oidc,
        d: &Discovery,
        code: &str,
        verifier: &str,
    ) -> Result<TokenAnswer, SsoRefusal> {
        let s = oidc.settings();
        let res = oidc
            .inner
            .http
            .post(&d.token_endpoint)
            .basic_auth(
                form_encode(&s.client_id),
                Some(form_encode(&s.client_secret)),
            )
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", s.redirect_uri().as_str()),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .map_err(|e| unreachable(&d.token_endpoint, e))?;
        let status = res.status();
        let body = res
            .bytes()
            .await
            .map_err(|e| unreachable(&d.token_endpoint, e))?;
        if !status.is_success() {
            // The provider's OAuth error (`invalid_grant`…) says what it refused.
            let error = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string));
            tracing::warn!(%status, ?error, "the provider refused the code");
            return Err(match error {
                Some(e) => SsoRefusal::Provider(e),
                None => SsoRefusal::Unreachable,
            });
        }
        serde_json::from_slice(&body).map_err(|e| unreachable(&d.token_endpoint, e))
    }

    /// Makes the account of someone the provider vouches for: staff with no password and
    /// no team yet (an admin places them), or a customer.
    async fn provision(&self, email: &EmailAddress, claims: &Value, role: Role) -> Result<i64> {
        let name = claims
            .get("name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("").to_string());
        let id = if role == Role::Customer {
            self.create_customer(
                None,
                NewCustomer {
                    email: email.to_string(),
                    name,
                    organization_id: None,
                    time_zone: None,
                    password: None,
                },
            )
            .await?
            .id
        } else {
            self.create_agent(
                None,
                NewAgent {
                    email: email.to_string(),
                    name,
                    role: role.as_str().into(),
                    tier: None,
                    skills: vec![],
                    team_ids: vec![],
                    capacity: None,
                    time_zone: None,
                    password: None,
                },
            )
            .await?
            .id
        };
        self.store
            .append_audit(
                &NewAudit {
                    actor_id: None,
                    action: "provisioned_by_sso".into(),
                    data: serde_json::json!({"role": role.as_str()}).to_string(),
                },
                "user",
                id,
                self.now(),
            )
            .await?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pkce_challenge_matches_rfc_7636() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn claim_values_read_strings_arrays_and_nested_paths() {
        let c = json!({"groups": ["desk", 3, "leads"], "role": "admin",
                       "realm_access": {"roles": ["agent"]}});
        assert_eq!(claim_values(&c, "groups"), vec!["desk", "leads"]);
        assert_eq!(claim_values(&c, "role"), vec!["admin"]);
        assert_eq!(claim_values(&c, "realm_access.roles"), vec!["agent"]);
        assert!(claim_values(&c, "missing").is_empty());
        assert!(claim_values(&c, "realm_access").is_empty());
    }

    #[test]
    fn email_verified_takes_true_only() {
        for (claims, verified) in [
            (json!({"email_verified": true}), true),
            (json!({"email_verified": "true"}), true),
            (json!({"email_verified": false}), false),
            (json!({"email_verified": "yes"}), false),
            (json!({}), false),
        ] {
            assert_eq!(email_verified(&claims), verified, "{claims}");
        }
    }

    #[test]
    fn userinfo_fills_in_for_the_same_subject_only() {
        let id = json!({"sub": "u1", "email": "a@x.test"});
        let merged = merge_userinfo(
            &id,
            &json!({"sub": "u1", "email": "b@x.test", "email_verified": true}),
        )
        .unwrap();
        assert_eq!(merged["email"], "a@x.test");
        assert_eq!(merged["email_verified"], true);
        assert!(merge_userinfo(&id, &json!({"sub": "u2", "email_verified": true})).is_err());
    }

    #[test]
    fn basic_credentials_are_form_encoded() {
        assert_eq!(form_encode("heard-desk_1.x~"), "heard-desk_1.x~");
        assert_eq!(form_encode("a b:c/é"), "a%20b%3Ac%2F%C3%A9");
    }
}
