//! Single sign-on through an OpenID Connect provider: the checks on what comes back from
//! the provider (the sign-in attempt it answers, the ID token's claims) and the decision
//! of who signs in with which role. No I/O and no clock: the adapter in `heard-services`
//! fetches, verifies the signature, and passes `now` in.

use crate::Role;

/// What the desk's configuration says about people who sign in through the provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsoPolicy {
    /// The claim whose values give the role (`groups`, `roles`, `realm_access.roles`);
    /// `None` leaves roles to heard's admins.
    pub role_claim: Option<String>,
    /// Claim value → role; the highest role any value maps to wins.
    pub role_map: Vec<(String, Role)>,
    /// Customers may sign in this way too (and be provisioned as customers).
    pub customers: bool,
    /// People heard does not know yet get an account on their first sign-in.
    pub provision: bool,
}

/// Why a sign-in through the provider was refused. Each says in plain words what happened
/// and what to do; none reveals more than the person signing in already knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoRefusal {
    /// The provider answered with an error (the person cancelled, or it refused them).
    Provider(String),
    /// The provider could not be reached or gave an answer that is not OpenID Connect.
    Unreachable,
    /// The answer matches no sign-in this browser started (unknown, used, or another's).
    BadState,
    /// The sign-in was started too long ago.
    Expired,
    /// The ID token's signature, issuer, audience, lifetime or nonce is wrong.
    BadToken(&'static str),
    /// The provider gave no e-mail address.
    NoEmail,
    /// The provider has not verified the e-mail address.
    UnverifiedEmail,
    /// Nobody at this desk has that address, and accounts are not made on sign-in.
    UnknownUser,
    /// The heard account is switched off.
    Deactivated,
    /// A customer's account, and customers do not sign in this way.
    CustomersNotAllowed,
    /// The role claim grants no role at this desk.
    NoRole,
}

impl SsoRefusal {
    /// What the sign-in page says; `provider` is the provider's display name.
    pub fn message(&self, provider: &str) -> String {
        match self {
            SsoRefusal::Provider(e) if e == "access_denied" => {
                format!(
                    "Signing in with {provider} was cancelled or refused. Try again, or sign in with your password."
                )
            }
            SsoRefusal::Provider(e) => format!(
                "{provider} could not sign you in (it answered “{e}”). Try again, or sign in with your password."
            ),
            SsoRefusal::Unreachable => format!(
                "{provider} could not be reached just now. Try again in a moment, or sign in with your password."
            ),
            SsoRefusal::BadState => format!(
                "That answer from {provider} does not belong to a sign-in started in this browser (or it was already used). Start again with the button below."
            ),
            SsoRefusal::Expired => format!(
                "The sign-in with {provider} took too long. Start again with the button below."
            ),
            SsoRefusal::BadToken(why) => format!(
                "The answer from {provider} could not be trusted ({why}). Start again; if it keeps happening, tell your administrator."
            ),
            SsoRefusal::NoEmail => format!(
                "{provider} did not tell us your e-mail address, so we cannot tell who you are here. Ask your administrator."
            ),
            SsoRefusal::UnverifiedEmail => format!(
                "Your e-mail address is not verified at {provider}. Verify it there first, then sign in again."
            ),
            SsoRefusal::UnknownUser => format!(
                "There is no account here for the e-mail address {provider} gave. Ask an administrator to add you."
            ),
            SsoRefusal::Deactivated => {
                "Your account here is switched off. Ask an administrator to switch it on.".into()
            }
            SsoRefusal::CustomersNotAllowed => format!(
                "Signing in with {provider} is for staff. Sign in with your password or an e-mailed link."
            ),
            SsoRefusal::NoRole => format!(
                "Your account at {provider} does not give you access to this help desk. Ask your administrator."
            ),
        }
    }
}

/// A started sign-in, as kept until the provider answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoAttempt {
    /// The hash of the browser's own secret (its cookie), so only that browser finishes it.
    pub browser_hash: String,
    pub expires_at: i64,
}

/// Whether the provider's answer finishes a sign-in this browser started and that has not
/// expired. `found` is the attempt named by the answer's `state`, already taken (so a
/// second use finds nothing); `browser_hash` hashes the browser's cookie, if it sent one.
pub fn check_attempt(
    found: Option<&SsoAttempt>,
    browser_hash: Option<&str>,
    now: i64,
) -> Result<(), SsoRefusal> {
    let attempt = found.ok_or(SsoRefusal::BadState)?;
    if browser_hash != Some(attempt.browser_hash.as_str()) {
        return Err(SsoRefusal::BadState);
    }
    if attempt.expires_at < now {
        return Err(SsoRefusal::Expired);
    }
    Ok(())
}

/// The claims of an ID token that say whom it is for and when, after its signature was
/// verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct IdToken {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    #[serde(default)]
    pub azp: Option<String>,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub nonce: Option<String>,
}

/// `aud` is one client id or several.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// How far the provider's clock may be from ours, in seconds.
pub const CLOCK_SKEW_S: i64 = 60;

/// Checks an ID token for this desk (OpenID Connect Core 3.1.3.7): from the configured
/// issuer, for this client (and, with several audiences, authorised for it), not expired,
/// not issued in the future, and carrying the nonce this sign-in sent.
pub fn check_id_token(
    t: &IdToken,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now_s: i64,
) -> Result<(), SsoRefusal> {
    if t.iss.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(SsoRefusal::BadToken("it comes from another issuer"));
    }
    let for_us = match &t.aud {
        Audience::One(a) => a == client_id,
        Audience::Many(all) => {
            all.iter().any(|a| a == client_id)
                && (all.len() == 1 || t.azp.as_deref() == Some(client_id))
        }
    };
    if !for_us || t.azp.as_deref().is_some_and(|a| a != client_id) {
        return Err(SsoRefusal::BadToken("it was issued to another application"));
    }
    if t.exp + CLOCK_SKEW_S < now_s {
        return Err(SsoRefusal::BadToken("it has expired"));
    }
    if t.iat.is_some_and(|iat| iat > now_s + CLOCK_SKEW_S) {
        return Err(SsoRefusal::BadToken("it was issued in the future"));
    }
    if t.nonce.as_deref() != Some(nonce) {
        return Err(SsoRefusal::BadToken(
            "its nonce does not match this sign-in",
        ));
    }
    Ok(())
}

/// The highest role any of `values` maps to.
pub fn map_role(values: &[String], map: &[(String, Role)]) -> Option<Role> {
    map.iter()
        .filter(|(v, _)| values.iter().any(|x| x == v))
        .map(|(_, r)| *r)
        .max()
}

/// Parses `value=role,value=role` (the `--oidc-role-map` setting).
pub fn parse_role_map(text: &str) -> Result<Vec<(String, Role)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (value, role) = pair
                .rsplit_once('=')
                .ok_or_else(|| format!("`{pair}` is not value=role"))?;
            let role: Role = role.trim().parse().map_err(|_| {
                format!("`{role}` in `{pair}` is not customer, agent, supervisor or admin")
            })?;
            Ok((value.trim().to_string(), role))
        })
        .collect()
}

/// The heard account an address belongs to, as far as the decision needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    pub user_id: i64,
    pub role: Role,
    pub active: bool,
}

/// Who the provider says signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub email_verified: bool,
    /// The role claim's values (empty when there is none).
    pub role_values: Vec<String>,
}

/// What a sign-in through the provider does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoOutcome {
    /// Sign in an existing account, first giving staff the role the claim maps to.
    SignIn {
        user_id: i64,
        new_role: Option<Role>,
    },
    /// Make an account with this role, then sign it in.
    Provision { role: Role },
}

/// Decides whether `person` signs in, as which account and with which role. Accounts are
/// matched only by a verified address; with a role claim configured, staff get the role
/// it maps to each time (the provider is where roles are kept), and staff whose claim maps
/// to no staff role are refused. A customer's account stays a customer's: making someone
/// staff is an admin's act here or a new account.
pub fn decide(
    person: &Person,
    existing: Option<Account>,
    policy: &SsoPolicy,
) -> Result<SsoOutcome, SsoRefusal> {
    if !person.email_verified {
        return Err(SsoRefusal::UnverifiedEmail);
    }
    let mapped = policy
        .role_claim
        .as_ref()
        .map(|_| map_role(&person.role_values, &policy.role_map));
    match existing {
        Some(a) if !a.active => Err(SsoRefusal::Deactivated),
        Some(a) if a.role == Role::Customer => {
            if policy.customers {
                Ok(SsoOutcome::SignIn {
                    user_id: a.user_id,
                    new_role: None,
                })
            } else {
                Err(SsoRefusal::CustomersNotAllowed)
            }
        }
        Some(a) => match mapped {
            None => Ok(SsoOutcome::SignIn {
                user_id: a.user_id,
                new_role: None,
            }),
            Some(Some(r)) if r.is_staff() => Ok(SsoOutcome::SignIn {
                user_id: a.user_id,
                new_role: (r != a.role).then_some(r),
            }),
            Some(_) => Err(SsoRefusal::NoRole),
        },
        None if !policy.provision => Err(SsoRefusal::UnknownUser),
        None => match mapped.flatten() {
            Some(r) if r.is_staff() => Ok(SsoOutcome::Provision { role: r }),
            _ if policy.customers => Ok(SsoOutcome::Provision {
                role: Role::Customer,
            }),
            _ => Err(SsoRefusal::NoRole),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> IdToken {
        IdToken {
            iss: "https://id.example".into(),
            sub: "u1".into(),
            aud: Audience::One("heard".into()),
            azp: None,
            exp: 1_000,
            iat: Some(900),
            nonce: Some("n1".into()),
        }
    }

    /// One way to spoil a good token.
    type Spoil = fn(&mut IdToken);

    #[test]
    fn id_token_checks() {
        let ok = |t: &IdToken| check_id_token(t, "https://id.example/", "heard", "n1", 950);
        assert_eq!(ok(&token()), Ok(()));
        let cases: [(Spoil, &str); 8] = [
            (|t| t.iss = "https://evil.example".into(), "issuer"),
            (
                |t| t.aud = Audience::One("other".into()),
                "another application",
            ),
            (
                |t| t.aud = Audience::Many(vec!["heard".into(), "other".into()]),
                "another application",
            ),
            (|t| t.azp = Some("other".into()), "another application"),
            (|t| t.exp = 850, "expired"),
            (|t| t.iat = Some(1_100), "future"),
            (|t| t.nonce = Some("n2".into()), "nonce"),
            (|t| t.nonce = None, "nonce"),
        ];
        for (spoil, why) in cases {
            let mut t = token();
            spoil(&mut t);
            match ok(&t) {
                Err(SsoRefusal::BadToken(w)) => assert!(w.contains(why), "{w} for {t:?}"),
                other => panic!("{t:?} gave {other:?}"),
            }
        }
        let mut several = token();
        several.aud = Audience::Many(vec!["heard".into(), "other".into()]);
        several.azp = Some("heard".into());
        assert_eq!(ok(&several), Ok(()));
        // Within the allowed skew, a just-expired token still passes.
        let mut late = token();
        late.exp = 920;
        assert_eq!(ok(&late), Ok(()));
    }

    #[test]
    fn attempts_finish_once_in_their_browser_before_they_expire() {
        let a = SsoAttempt {
            browser_hash: "b1".into(),
            expires_at: 100,
        };
        assert_eq!(check_attempt(Some(&a), Some("b1"), 50), Ok(()));
        assert_eq!(
            check_attempt(None, Some("b1"), 50),
            Err(SsoRefusal::BadState)
        );
        assert_eq!(
            check_attempt(Some(&a), Some("b2"), 50),
            Err(SsoRefusal::BadState)
        );
        assert_eq!(check_attempt(Some(&a), None, 50), Err(SsoRefusal::BadState));
        assert_eq!(
            check_attempt(Some(&a), Some("b1"), 101),
            Err(SsoRefusal::Expired)
        );
    }

    #[test]
    fn role_maps_read_and_pick_the_highest() {
        let map = parse_role_map("desk=agent, leads=supervisor,it-admins=admin,").unwrap();
        assert_eq!(map.len(), 3);
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            map_role(&v(&["desk", "leads"]), &map),
            Some(Role::Supervisor)
        );
        assert_eq!(
            map_role(&v(&["it-admins", "desk"]), &map),
            Some(Role::Admin)
        );
        assert_eq!(map_role(&v(&["sales"]), &map), None);
        assert!(parse_role_map("desk").is_err());
        assert!(parse_role_map("desk=owner").is_err());
        // A value may itself contain `=` (not `,`); the role is after the last one.
        assert_eq!(
            parse_role_map("ou=desk=agent").unwrap(),
            vec![("ou=desk".to_string(), Role::Agent)]
        );
    }

    #[test]
    fn decisions() {
        let staff = |role| Account {
            user_id: 7,
            role,
            active: true,
        };
        let person = |verified, values: &[&str]| Person {
            email_verified: verified,
            role_values: values.iter().map(|s| s.to_string()).collect(),
        };
        let plain = SsoPolicy::default();
        let mapped = SsoPolicy {
            role_claim: Some("groups".into()),
            role_map: parse_role_map("desk=agent,leads=supervisor").unwrap(),
            ..Default::default()
        };
        let open = SsoPolicy {
            provision: true,
            customers: true,
            ..mapped.clone()
        };
        let sign_in = |new_role| {
            Ok(SsoOutcome::SignIn {
                user_id: 7,
                new_role,
            })
        };
        let cases = [
            (
                person(false, &[]),
                Some(staff(Role::Agent)),
                &plain,
                Err(SsoRefusal::UnverifiedEmail),
            ),
            (
                person(true, &[]),
                Some(staff(Role::Agent)),
                &plain,
                sign_in(None),
            ),
            (
                person(true, &[]),
                Some(Account {
                    active: false,
                    ..staff(Role::Agent)
                }),
                &plain,
                Err(SsoRefusal::Deactivated),
            ),
            (
                person(true, &[]),
                Some(staff(Role::Customer)),
                &plain,
                Err(SsoRefusal::CustomersNotAllowed),
            ),
            (
                person(true, &["leads"]),
                Some(staff(Role::Customer)),
                &open,
                sign_in(None),
            ),
            (
                person(true, &[]),
                None,
                &plain,
                Err(SsoRefusal::UnknownUser),
            ),
            (
                person(true, &["leads"]),
                Some(staff(Role::Agent)),
                &mapped,
                sign_in(Some(Role::Supervisor)),
            ),
            (
                person(true, &["desk"]),
                Some(staff(Role::Agent)),
                &mapped,
                sign_in(None),
            ),
            (
                person(true, &["sales"]),
                Some(staff(Role::Agent)),
                &mapped,
                Err(SsoRefusal::NoRole),
            ),
            (
                person(true, &["desk"]),
                None,
                &mapped,
                Err(SsoRefusal::UnknownUser),
            ),
            (
                person(true, &["desk"]),
                None,
                &open,
                Ok(SsoOutcome::Provision { role: Role::Agent }),
            ),
            (
                person(true, &["sales"]),
                None,
                &open,
                Ok(SsoOutcome::Provision {
                    role: Role::Customer,
                }),
            ),
            (
                person(true, &["sales"]),
                None,
                &SsoPolicy {
                    customers: false,
                    ..open.clone()
                },
                Err(SsoRefusal::NoRole),
            ),
        ];
        for (p, existing, policy, expected) in cases {
            assert_eq!(
                decide(&p, existing, policy),
                expected,
                "{p:?} {existing:?} {policy:?}"
            );
        }
    }

    #[test]
    fn every_refusal_names_the_provider_or_the_account() {
        for r in [
            SsoRefusal::Provider("access_denied".into()),
            SsoRefusal::Provider("server_error".into()),
            SsoRefusal::Unreachable,
            SsoRefusal::BadState,
            SsoRefusal::Expired,
            SsoRefusal::BadToken("it has expired"),
            SsoRefusal::NoEmail,
            SsoRefusal::UnverifiedEmail,
            SsoRefusal::UnknownUser,
            SsoRefusal::CustomersNotAllowed,
            SsoRefusal::NoRole,
        ] {
            assert!(r.message("Acme ID").contains("Acme ID"), "{r:?}");
        }
    }
}
