//! The demo issuer's embedded authorization server: its demo user, redirect rules, and the
//! authorization-code offer `serve` prints.

use crate::serve_config::{
    example_claims, AuthorizationEntry, CredentialEntry, ServeConfig, ThrottleEntry,
};
use oid4vci_authorization::{AuthorizationPolicy, DemoUser, RedirectRules};
use oid4vci_issuer::{AuthorizationCodeSpec, CredentialMinter, Issuer, OfferSpec, SessionStore};
use std::collections::BTreeMap;

/// The demo user, with the credentials the login page prefills.
pub struct ConfiguredUser {
    /// The directory entry.
    pub user: DemoUser,
    /// Its name.
    pub username: String,
    /// Its password.
    pub password: String,
}

/// The demo user (whose claims are every configuration's example claims) and the policy, or
/// why `[authorization.throttle]` is wrong.
pub fn demo_user_and_policy(
    file: &ServeConfig,
    credentials: &[CredentialEntry],
) -> Result<(ConfiguredUser, AuthorizationPolicy), String> {
    let AuthorizationEntry {
        username,
        password,
        redirect_uris,
        throttle,
    } = file.authorization.clone();
    let username = username.unwrap_or_else(|| "erika".into());
    let password = password.unwrap_or_else(|| "mustermann".into());
    let claims: BTreeMap<String, serde_json::Value> = credentials
        .iter()
        .map(|c| (c.id.clone(), example_claims(c)))
        .collect();
    let mut policy = AuthorizationPolicy {
        redirect: RedirectRules {
            allow_list: redirect_uris,
        },
        ..AuthorizationPolicy::default()
    };
    if let Some(entry) = throttle {
        apply_throttle(&entry, &mut policy)?;
    }
    let user = DemoUser::new(username.clone(), password.clone(), claims);
    Ok((
        ConfiguredUser {
            user,
            username,
            password,
        },
        policy,
    ))
}

/// `[authorization.throttle]` over the policy's defaults. A zero delay or forget time and a
/// `max_delay` below `first_delay` are refused (the first would not throttle, the last would
/// not bound the wait as configured).
fn apply_throttle(entry: &ThrottleEntry, policy: &mut AuthorizationPolicy) -> Result<(), String> {
    let seconds = |value: Option<u64>, default: u64, name: &str| match value {
        Some(0) => Err(format!(
            "[authorization.throttle] {name} must be at least 1 second"
        )),
        Some(v) => Ok(v),
        None => Ok(default),
    };
    let rules = &mut policy.throttle;
    for (backoff, free) in [
        (&mut rules.per_account, entry.account_free_failures),
        (&mut rules.per_address, entry.address_free_failures),
    ] {
        backoff.free_failures = free.unwrap_or(backoff.free_failures);
        backoff.first_delay = seconds(entry.first_delay, backoff.first_delay, "first_delay")?;
        backoff.max_delay = seconds(entry.max_delay, backoff.max_delay, "max_delay")?;
        backoff.forget_after = seconds(entry.forget_after, backoff.forget_after, "forget_after")?;
        if backoff.max_delay < backoff.first_delay {
            return Err("[authorization.throttle] max_delay must be at least first_delay".into());
        }
    }
    let rate = &mut policy.par_rate;
    rate.burst = entry.par_burst.unwrap_or(rate.burst);
    rate.per_minute = entry.par_per_minute.unwrap_or(rate.per_minute);
    Ok(())
}

/// Creates an offer with only the authorization code grant (and an `issuer_state`) for `entry`,
/// returning its `openid-credential-offer://` URI.
pub async fn authorization_code_offer<S: SessionStore, M: CredentialMinter>(
    issuer: &Issuer<S, M>,
    entry: &CredentialEntry,
) -> Result<String, String> {
    let created = issuer
        .create_offer(OfferSpec {
            credential_configuration_ids: vec![entry.id.clone()],
            pre_authorized: false,
            authorization_code: Some(AuthorizationCodeSpec::default()),
            claims: Some(example_claims(entry)),
            ..OfferSpec::default()
        })
        .await
        .map_err(|e| format!("cannot create the authorization code offer: {e}"))?;
    Ok(created.credential_offer_uri)
}

/// The verifier for `[external_authorization]`, if configured: tokens of that server for
/// `audience` (the Credential Issuer Identifier), checked against the JWKS file.
pub fn external_verifier(
    file: &ServeConfig,
    audience: &str,
) -> Result<Option<oid4vci_issuer::JwtAccessTokenVerifier>, String> {
    let Some(entry) = &file.external_authorization else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&entry.jwks_file)
        .map_err(|e| format!("cannot read {}: {e}", entry.jwks_file.display()))?;
    let jwks: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", entry.jwks_file.display()))?;
    oid4vci_issuer::JwtAccessTokenVerifier::from_jwks(&entry.issuer, audience, &jwks)
        .map(Some)
        .map_err(|e| format!("{}: {e}", entry.jwks_file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(toml_text: &str) -> Result<AuthorizationPolicy, String> {
        let file: ServeConfig = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        demo_user_and_policy(&file, &[]).map(|(_, policy)| policy)
    }

    #[test]
    fn the_limits_come_from_the_config_over_the_defaults() {
        let defaults = AuthorizationPolicy::default();
        let plain = policy("").expect("defaults");
        assert_eq!(
            (plain.throttle, plain.par_rate),
            (defaults.throttle, defaults.par_rate)
        );
        let p = policy(
            "[authorization.throttle]\naccount_free_failures = 3\nmax_delay = 120\n\
             par_burst = 10\npar_per_minute = 6\n",
        )
        .expect("valid");
        assert_eq!(p.throttle.per_account.free_failures, 3);
        assert_eq!(p.throttle.per_account.max_delay, 120);
        assert_eq!(p.throttle.per_address.max_delay, 120);
        assert_eq!(
            p.throttle.per_address.free_failures,
            defaults.throttle.per_address.free_failures
        );
        assert_eq!((p.par_rate.burst, p.par_rate.per_minute), (10, 6));
    }

    #[test]
    fn unusable_limits_are_refused() {
        for bad in [
            "[authorization.throttle]\nfirst_delay = 0\n",
            "[authorization.throttle]\nforget_after = 0\n",
            "[authorization.throttle]\nfirst_delay = 600\nmax_delay = 60\n",
            "[authorization.throttle]\nunknown = 1\n",
        ] {
            assert!(policy(bad).is_err(), "{bad}");
        }
    }
}
