//! Who is asking: passwords (argon2id), API tokens and sessions (both stored only as
//! SHA-256 hashes, so a copy of the database lets nobody sign in), and the [`Actor`]
//! every use case is called with.

use crate::ErrorCode;
use crate::{Result, ServiceError, Services};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use heard_domain::{Actor, EmailAddress, Role};
use heard_store::AuthRow;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Verified against when the address is unknown, so that costs as much as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    hash_password(&new_secret("")).expect("hashing a random password succeeds")
});

/// How long a browser session lasts.
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

fn random_bytes<const N: usize>() -> [u8; N] {
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

    /// Signs in with e-mail and password. A wrong password and an unknown address give
    /// the same answer, and both cost an argon2 verification, so neither can be probed.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<NewSession> {
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
        let user = match user {
            Some(u) if ok && u.active && u.password_hash.is_some() => u,
            _ => return Err(wrong()),
        };
        self.open_session(user.id).await
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
