//! `scope` → configurations (OID4VCI 1.0 Section 5.1.2): unknown scope values are ignored, as the
//! spec requires of issuers (wallets send `openid` beside their credential scopes); a request
//! whose scope names no configuration and that has no `authorization_details` is refused.

use oid4vci_authorization::{AuthorizationRequest, CodeChallenge, RedirectRules};
use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata};
use serde_json::json;

fn metadata() -> CredentialIssuerMetadata {
    let mut metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
    let mut pid = CredentialConfiguration::sd_jwt_vc("urn:eudi:pid:1");
    pid.scope = Some("pid".into());
    metadata
        .credential_configurations_supported
        .insert("pid".into(), pid);
    let mut age = CredentialConfiguration::sd_jwt_vc("age");
    age.scope = Some("age".into());
    metadata
        .credential_configurations_supported
        .insert("age".into(), age);
    metadata
}

fn request(extra: &[(&str, &str)]) -> AuthorizationRequest {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("response_type", "code")
        .append_pair("client_id", "wallet")
        .append_pair("redirect_uri", "https://wallet.example/cb")
        .append_pair("code_challenge_method", "S256")
        .append_pair(
            "code_challenge",
            CodeChallenge::of_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").as_str(),
        );
    for (k, v) in extra {
        form.append_pair(k, v);
    }
    AuthorizationRequest::from_form(form.finish().as_bytes(), &RedirectRules::default())
        .expect("a valid request")
}

#[test]
fn unknown_scope_values_beside_known_ones_are_ignored() {
    let ids = request(&[("scope", "openid age offline_access pid")])
        .configurations(&metadata())
        .expect("openid and offline_access are ignored");
    assert_eq!(ids, vec!["age".to_owned(), "pid".to_owned()]);
}

#[test]
fn unknown_scope_values_beside_authorization_details_are_ignored() {
    let details = json!([{"type": "openid_credential", "credential_configuration_id": "pid"}]);
    let ids = request(&[
        ("scope", "openid"),
        ("authorization_details", &details.to_string()),
    ])
    .configurations(&metadata())
    .expect("a wallet library's default scope=openid is ignored");
    assert_eq!(ids, vec!["pid".to_owned()]);
}

#[test]
fn a_scope_naming_no_configuration_alone_is_refused() {
    let refused = request(&[("scope", "openid profile")])
        .configurations(&metadata())
        .expect_err("nothing to issue");
    assert_eq!(refused.error.as_str(), "invalid_scope");
    assert!(refused
        .error_description
        .as_deref()
        .unwrap_or_default()
        .contains("openid profile"));
}
