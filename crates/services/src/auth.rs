//! Who is asking: passwords (argon2id), API tokens and sessions (both stored only as
//! SHA-256 hashes, so a copy of the database lets nobody sign in), and the [`Actor`]
//! every use case is called with.

use crate::ErrorCode;
use crate::{Result, ServiceError, Services};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use heard_domain::throttle::{self, Recent};
use heard_domain::{Actor, EmailAddress, Role};
use heard_store::AuthRow;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// Verified against when the address is unknown, so that costs as much as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    hash_password(&new_secret("")).expect("hashing a random password succeeds")
});

/// How long a browser session lasts.
/// The session cookie's name, the same for the pages and the API.
pub const SESSION_COOKIE: &str = "heard_session";
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;

pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < 10 {
        return Err(ServiceError::invalid(
            "password",
            ErrorCode::WeakPassword,
            "a password needs at least 10 characters",
        ));
    }
    if password.len() > 1024 {
        return Err(ServiceError::invalid(
            "password",
            ErrorCode::InvalidPassword,
            "a password has at most 1024 bytes",
        ));
    }
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(ServiceError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ServiceError::internal)
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// A fresh secret for a token, session or CSRF check.
pub fn new_secret(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(random_bytes::<32>()))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// How long a pre-sign-in form token is accepted.
pub const FORM_TOKEN_MS: i64 = 60 * 60 * 1000;

impl Services {
    /// A token for the forms shown before there is a session (sign-in, sign-up, a link's
    /// confirmation): a nonce and an expiry signed with the desk's key, so a cookie planted
    /// with a made-up value is refused. The key lives in the database, so a token from one
    /// process is good at every other.
    pub async fn new_form_token(&self) -> Result<String> {
        let payload = format!(
            "{}.{}",
            hex::encode(random_bytes::<16>()),
            self.now() + FORM_TOKEN_MS
        );
        let mac = self.sign_form_payload(&payload).await?;
        Ok(format!("{payload}.{mac}"))
    }

    /// Whether `token` is one this desk issued and it has not expired.
    pub async fn form_token_valid(&self, token: &str) -> Result<bool> {
        let Some((payload, mac)) = token.rsplit_once('.') else {
            return Ok(false);
        };
        let expires = payload
            .split_once('.')
            .and_then(|(_, e)| e.parse::<i64>().ok());
        if expires.is_none_or(|e| e < self.now()) {
            return Ok(false);
        }
        let expected = self.sign_form_payload(payload).await?;
        Ok(constant_time_eq(expected.as_bytes(), mac.as_bytes()))
    }

    async fn sign_form_payload(&self, payload: &str) -> Result<String> {
        use hmac::Mac;
        let key = self
            .form_secret
            .get_or_try_init(|| async {
                let secret = self
                    .store
                    .setting_or_insert("form_token_key", &new_secret(""))
                    .await?;
                Ok::<_, ServiceError>(secret.into_bytes())
            })
            .await?;
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key)
            .map_err(|e| ServiceError::internal(e.to_string()))?;
        mac.update(b"heard form token:");
        mac.update(payload.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }
}

/// Compares secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The throttling keys of one sign-in: hashes, so no typed address is stored in the clear.
struct SignInKeys {
    account: String,
    address: Option<String>,
    pair: Option<String>,
}

impl SignInKeys {
    fn new(email: &str, client: Option<IpAddr>) -> SignInKeys {
        let account = match EmailAddress::parse(email) {
            Ok(e) => e.as_str().to_string(),
            Err(_) => email.trim().to_lowercase(),
        };
        let hash = |s: String| sha256_hex(s.as_bytes());
        SignInKeys {
            address: client.map(|ip| hash(format!("address:{ip}"))),
            pair: client.map(|ip| hash(format!("pair:{ip}:{account}"))),
            account: hash(format!("account:{account}")),
        }
    }
}

/// A browser session: the cookie value and the token forms must echo back.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: i64,
    pub actor: Actor,
}

impl Services {
    /// Resolves an API token to its user; unknown and deactivated tokens are refused alike.
    pub async fn actor_for_token(&self, token: &str) -> Result<Actor> {
        let row = self
            .store
            .auth_by_token_hash(&sha256_hex(token.as_bytes()))
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        self.actor_from(row).await
    }

    /// Resolves a session cookie to its user and the CSRF token its forms must carry.
    pub async fn actor_for_session(&self, token: &str) -> Result<(Actor, String)> {
        let now = self.now();
        let session = self
            .store
            .session(&sha256_hex(token.as_bytes()), now)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let row = self
            .store
            .auth_by_user(session.user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        Ok((self.actor_from(row).await?, session.csrf_token))
    }

    pub async fn actor_for_user(&self, user_id: i64) -> Result<Actor> {
        let row = self
            .store
            .auth_by_user(user_id)
            .await?
            .ok_or(ServiceError::not_found("user", ErrorCode::UserNotFound))?;
        self.actor_from(row).await
    }

    async fn actor_from(&self, row: AuthRow) -> Result<Actor> {
        if !row.active {
            return Err(ServiceError::Unauthenticated);
        }
        let role: Role = row
            .role
            .parse()
            .map_err(|_| ServiceError::internal(format!("stored role `{}`", row.role)))?;
        let team_ids = if role.is_staff() {
            self.store.team_ids_of(row.user_id).await?
        } else {
            Vec::new()
        };
        Ok(Actor {
            user_id: row.user_id,
            role,
            team_ids,
            organization_id: row.organization_id,
            organization_shares: row.organization_shares.unwrap_or(false),
        })
    }

    /// Signs in with e-mail and password from `client` (the caller's network address, when
    /// known). A wrong password and an unknown address give the same answer, and both cost
    /// an argon2 verification, so neither can be probed. Guessing is throttled per account
    /// and address, per account and per address (see `heard_domain::throttle`), with the
    /// counts in the database so every process behind a load balancer shares them.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<NewSession> {
        let keys = SignInKeys::new(email, client);
        let now = self.now();
        let since = now - throttle::WINDOW_MS;
        let failures = |key: Option<String>| async move {
            match key {
                Some(k) => self.recent(&k, "failure", since).await,
                None => Ok(Recent::default()),
            }
        };
        let known = match &keys.pair {
            Some(pair) => {
                self.recent(pair, "success", now - throttle::KNOWN_ADDRESS_MS)
                    .await?
                    .count
                    > 0
            }
            None => false,
        };
        let wait = throttle::sign_in_wait_ms(
            failures(keys.pair.clone()).await?,
            failures(Some(keys.account.clone())).await?,
            failures(keys.address.clone()).await?,
            known,
            now,
        );
        if let Some(ms) = wait {
            return Err(ServiceError::Throttled {
                retry_after_secs: throttle::retry_after_secs(ms),
            });
        }
        let outcome = self.check_password(email, password).await;
        match &outcome {
            Ok(_) => {
                if let Some(pair) = &keys.pair {
                    self.store.clear_auth_failures(pair).await?;
                    self.record_attempt(&[pair.as_str()], "success").await?;
                }
            }
            Err(ServiceError::Invalid(_)) => {
                let mut all = vec![keys.account.as_str()];
                all.extend(keys.pair.as_deref());
                all.extend(keys.address.as_deref());
                self.record_attempt(&all, "failure").await?;
            }
            Err(_) => {}
        }
        self.open_session(outcome?).await
    }

    /// Attempts by `key` with `outcome` since `since`.
    async fn recent(&self, key: &str, outcome: &str, since: i64) -> Result<Recent> {
        let c = self.store.auth_attempts(key, outcome, since).await?;
        Ok(Recent {
            count: c.count,
            latest: c.latest,
        })
    }

    async fn record_attempt(&self, keys: &[&str], outcome: &str) -> Result<()> {
        let now = self.now();
        Ok(self
            .store
            .record_auth_attempt(keys, outcome, now, now - throttle::KNOWN_ADDRESS_MS)
            .await?)
    }

    /// Counts a request that may send mail (sign-up, a sign-in link) from `client`, or
    /// refuses it when that address made too many lately.
    pub(crate) async fn throttle_requests(&self, client: Option<IpAddr>) -> Result<()> {
        let Some(ip) = client else {
            return Ok(());
        };
        let key = sha256_hex(format!("requests:{ip}").as_bytes());
        let now = self.now();
        let recent = self
            .recent(&key, "request", now - throttle::WINDOW_MS)
            .await?;
        if let Some(ms) = throttle::REQUESTS_FROM_ADDRESS.wait_ms(recent, now) {
            return Err(ServiceError::Throttled {
                retry_after_secs: throttle::retry_after_secs(ms),
            });
        }
        self.record_attempt(&[key.as_str()], "request").await
    }

    /// The user whose password this is; refuses alike a wrong password and an unknown
    /// address, after the same argon2 work.
    async fn check_password(&self, email: &str, password: &str) -> Result<i64> {
        let wrong = || {
            ServiceError::invalid(
                "password",
                ErrorCode::WrongCredentials,
                "that e-mail address and password do not match",
            )
        };
        let user = match EmailAddress::parse(email) {
            Ok(e) => self.store.user_by_email(e.as_str()).await?,
            Err(_) => None,
        };
        let hash = user
            .as_ref()
            .and_then(|u| u.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.clone());
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(ServiceError::internal)?;
        match user {
            Some(u) if ok && u.active && u.password_hash.is_some() => Ok(u.id),
            _ => Err(wrong()),
        }
    }

    /// A new browser session for a user who proved who they are.
    pub(crate) async fn open_session(&self, user_id: i64) -> Result<NewSession> {
        let now = self.now();
        let token = new_secret("hs_");
        let csrf_token = new_secret("");
        let expires_at = now + SESSION_MS;
        self.store
            .insert_session(
                &sha256_hex(token.as_bytes()),
                user_id,
                &csrf_token,
                now,
                expires_at,
            )
            .await?;
        let actor = self.actor_for_user(user_id).await?;
        Ok(NewSession {
            token,
            csrf_token,
            expires_at,
            actor,
        })
    }

    pub async fn sign_out(&self, session_token: &str) -> Result<()> {
        Ok(self
            .store
            .delete_session(&sha256_hex(session_token.as_bytes()))
            .await?)
    }

    /// Issues a new API token for the user with this e-mail address; only the hash is kept.
    pub async fn create_token(&self, email: &str, label: &str) -> Result<String> {
        let email = EmailAddress::parse(email)?;
        let user = self
            .store
            .user_by_email(email.as_str())
            .await?
            .ok_or(ServiceError::not_found("user", ErrorCode::UserNotFound))?;
        let token = new_secret("hd_");
        self.store
            .insert_token(user.id, &sha256_hex(token.as_bytes()), label, self.now())
            .await?;
        Ok(token)
    }
}
