//! The demo issuer's embedded authorization server: its demo user, redirect rules, and the
//! authorization-code offer `serve` prints.

use crate::serve_config::{example_claims, AuthorizationEntry, CredentialEntry, ServeConfig};
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

/// The demo user (whose claims are every configuration's example claims) and the policy.
pub fn demo_user_and_policy(
    file: &ServeConfig,
    credentials: &[CredentialEntry],
) -> (ConfiguredUser, AuthorizationPolicy) {
    let AuthorizationEntry {
        username,
        password,
        redirect_uris,
    } = file.authorization.clone();
    let username = username.unwrap_or_else(|| "erika".into());
    let password = password.unwrap_or_else(|| "mustermann".into());
    let claims: BTreeMap<String, serde_json::Value> = credentials
        .iter()
        .map(|c| (c.id.clone(), example_claims(c)))
        .collect();
    let policy = AuthorizationPolicy {
        redirect: RedirectRules {
            allow_list: redirect_uris,
        },
        ..AuthorizationPolicy::default()
    };
    let user = DemoUser::new(username.clone(), password.clone(), claims);
    (
        ConfiguredUser {
            user,
            username,
            password,
        },
        policy,
    )
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
