//! Refresh tokens (RFC 6749 §6, RFC 9449 §5, RFC 9700 §4.14; HAIP): issued with the
//! authorization-code grant, rotated on every use, bound to the DPoP key, limited in lifetime;
//! a replayed one revokes the family; the grant and its `credential_identifiers` survive a
//! refresh, and the new access token issues credentials again.

use std::collections::BTreeMap;
use std::sync::Arc;

use oid4vci_authorization::{AuthorizationPolicy, DemoUser};
use oid4vci_issuer::{
    Cause, EventKind, HttpFacts, Issuer, IssuerConfig, LookupKind, ManualClock, MemoryStore,
    OfferSpec, SecretHash, SessionState, SessionStore,
};
use oid4vci_issuer_testkit::authorization_flows::{authorization_code, code_token_request};
use oid4vci_issuer_testkit::flows::{CONFIG, ISSUER, T0};
use oid4vci_issuer_testkit::{count_successes, TestWallet};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{
    CredentialConfiguration, CredentialIssuerMetadata, CredentialRequest, CredentialSelector,
    Proofs, TokenRequest, TokenResponse,
};
use serde_json::json;

const TTL: u64 = 3600;

type TestIssuer = Issuer<MemoryStore, SdJwtVcMinter>;

fn issuer(configure: impl FnOnce(&mut IssuerConfig)) -> (TestIssuer, ManualClock) {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let mut config = IssuerConfig::new(metadata);
    config.refresh_token_ttl = Some(TTL);
    configure(&mut config);
    let clock = ManualClock::new(T0);
    let claims = BTreeMap::from([(CONFIG.to_owned(), json!({"age_over_18": true}))]);
    let issuer = Issuer::new(config, MemoryStore::new(), SdJwtVcMinter::generate())
        .with_clock(Arc::new(clock.clone()))
        .with_authorization_server(
            AuthorizationPolicy::default(),
            Arc::new(DemoUser::new("erika", "pw", claims)),
        );
    (issuer, clock)
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

fn dpop(wallet: &TestWallet, token: Option<&str>, url: &str) -> HttpFacts {
    HttpFacts {
        dpop: Some(wallet.dpop_proof(url, token, T0)),
        ..HttpFacts::default()
    }
}

/// A token from the authorization-code flow, with `facts` at PAR and at the token endpoint.
fn first_token(issuer: &TestIssuer, wallet: Option<&TestWallet>) -> TokenResponse {
    let facts = |url: &str| wallet.map_or_else(HttpFacts::default, |w| dpop(w, None, url));
    let code = authorization_code(issuer, facts(&format!("{ISSUER}/par")));
    block(issuer.token(code_token_request(&code), facts(&format!("{ISSUER}/token"))))
        .expect("token")
}

fn refresh_of(token: &TokenResponse) -> String {
    token
        .refresh_token
        .as_ref()
        .expect("a refresh token")
        .expose()
        .to_owned()
}

/// A credential request by `credential_identifier` with the token's access token (Bearer).
fn credential(issuer: &TestIssuer, token: &TokenResponse) -> Result<(), Cause> {
    let identifier = token.authorization_details.as_ref().expect("details")[0]
        .credential_identifiers
        .as_ref()
        .expect("identifiers")[0]
        .clone();
    let wallet = TestWallet::new();
    let nonce = issuer.nonce().c_nonce;
    let request = CredentialRequest {
        credential: CredentialSelector::Identifier(identifier),
        proofs: Some(Proofs::Jwt(vec![wallet.proof(ISSUER, Some(&nonce), T0)])),
        credential_response_encryption: None,
        extra: Default::default(),
    };
    block(issuer.credential(request, HttpFacts::bearer(token.access_token.expose())))
        .map(|_| ())
        .map_err(|r| r.cause())
}

#[test]
fn a_refresh_rotates_the_token_and_keeps_the_grant() {
    let (issuer, _clock) = issuer(|_| {});
    let first = first_token(&issuer, None);
    assert_eq!(credential(&issuer, &first), Ok(()));

    let second = block(issuer.token(
        TokenRequest::refresh(refresh_of(&first)),
        HttpFacts::default(),
    ))
    .expect("refreshed");
    assert_ne!(second.access_token.expose(), first.access_token.expose());
    assert_ne!(refresh_of(&second), refresh_of(&first), "rotated");
    assert_eq!(second.token_type, "Bearer");
    assert_eq!(
        second.authorization_details, first.authorization_details,
        "the same configurations and credential_identifiers"
    );
    // The old access token is replaced; the new one issues the credential again (re-issuance).
    assert_eq!(credential(&issuer, &first), Err(Cause::AccessTokenUnknown));
    assert_eq!(credential(&issuer, &second), Ok(()));

    let third = block(issuer.token(
        TokenRequest::refresh(refresh_of(&second)),
        HttpFacts::default(),
    ))
    .expect("the rotated token refreshes again");
    assert_eq!(credential(&issuer, &third), Ok(()));
    let session = block(issuer.store().find(
        LookupKind::RefreshToken,
        &SecretHash::of(&refresh_of(&third)),
    ))
    .expect("store")
    .expect("session");
    let refreshed = session
        .events()
        .iter()
        .filter(|e| e.kind == EventKind::TokenRefreshed)
        .count();
    assert_eq!(refreshed, 2);
}

#[test]
fn a_replayed_refresh_token_revokes_the_family() {
    let (issuer, _clock) = issuer(|_| {});
    let first = first_token(&issuer, None);
    let second = block(issuer.token(
        TokenRequest::refresh(refresh_of(&first)),
        HttpFacts::default(),
    ))
    .expect("refreshed");

    // Someone presents the rotated-out token: it is refused and everything it led to dies.
    let replay = block(issuer.token(
        TokenRequest::refresh(refresh_of(&first)),
        HttpFacts::default(),
    ));
    assert_eq!(
        replay.expect_err("replay").cause(),
        Cause::RefreshTokenReused
    );
    let current = block(issuer.token(
        TokenRequest::refresh(refresh_of(&second)),
        HttpFacts::default(),
    ));
    assert_eq!(
        current.expect_err("revoked").cause(),
        Cause::RefreshTokenRevoked
    );
    // The access token is gone from the session (and its index): it no longer names it.
    assert_eq!(credential(&issuer, &second), Err(Cause::AccessTokenUnknown));
    let session = block(issuer.store().find(
        LookupKind::RefreshToken,
        &SecretHash::of(&refresh_of(&first)),
    ))
    .expect("store")
    .expect("session");
    assert_eq!(session.state(), SessionState::Revoked);
    assert!(session
        .events()
        .iter()
        .any(|e| e.kind == EventKind::RefreshTokenReuseDetected));
}

#[test]
fn a_refresh_token_is_used_once_among_concurrent_callers() {
    let (issuer, _clock) = issuer(|_| {});
    let first = first_token(&issuer, None);
    let token = refresh_of(&first);
    let refreshed = count_successes(|_| {
        block(issuer.token(TokenRequest::refresh(token.clone()), HttpFacts::default())).is_ok()
    });
    assert_eq!(
        refreshed, 1,
        "one of 50 concurrent refreshes gets the next token"
    );
}

#[test]
fn a_dpop_bound_refresh_token_needs_its_key() {
    let (issuer, _clock) = issuer(|_| {});
    let wallet = TestWallet::new();
    let first = first_token(&issuer, Some(&wallet));
    assert_eq!(first.token_type, "DPoP");
    let token_url = format!("{ISSUER}/token");
    let refresh = || TokenRequest::refresh(refresh_of(&first));

    let without = block(issuer.token(refresh(), HttpFacts::default()));
    assert_eq!(
        without.expect_err("no proof").cause(),
        Cause::DpopProofMissing
    );
    let other = TestWallet::new();
    let stranger = block(issuer.token(refresh(), dpop(&other, None, &token_url)));
    assert_eq!(
        stranger.expect_err("other key").cause(),
        Cause::DpopKeyMismatch
    );

    // The refusals used nothing up: with the bound key the same refresh token works.
    let second =
        block(issuer.token(refresh(), dpop(&wallet, None, &token_url))).expect("refreshed");
    assert_eq!(second.token_type, "DPoP");
}

#[test]
fn the_family_expires() {
    let (issuer, clock) = issuer(|_| {});
    let first = first_token(&issuer, None);
    clock.advance(TTL);
    let late = block(issuer.token(
        TokenRequest::refresh(refresh_of(&first)),
        HttpFacts::default(),
    ));
    assert_eq!(
        late.expect_err("expired").cause(),
        Cause::RefreshTokenExpired
    );
}

#[test]
fn refresh_tokens_follow_the_configuration() {
    // Off: none is issued and the grant is refused; the metadata does not list it.
    let (off, _clock) = issuer(|c| c.refresh_token_ttl = None);
    let token = first_token(&off, None);
    assert!(token.refresh_token.is_none());
    let refused = block(off.token(TokenRequest::refresh("anything"), HttpFacts::default()));
    assert_eq!(
        refused.expect_err("off").error_code().as_str(),
        "unsupported_grant_type"
    );
    let grants = off
        .authorization_server_metadata()
        .grant_types_supported
        .expect("grants");
    assert!(!grants.iter().any(|g| g == "refresh_token"));

    // On: listed; the pre-authorized grant gets one only when asked for.
    let (on, _clock) = issuer(|_| {});
    let grants = on
        .authorization_server_metadata()
        .grant_types_supported
        .expect("grants");
    assert!(grants.iter().any(|g| g == "refresh_token"));
    let pre_authorized = |issuer: &TestIssuer| {
        let spec = OfferSpec {
            credential_configuration_ids: vec![CONFIG.into()],
            claims: Some(json!({"age_over_18": true})),
            ..OfferSpec::default()
        };
        let created = block(issuer.create_offer(spec)).expect("offer");
        let code = created
            .pre_authorized_code()
            .expect("code")
            .expose()
            .to_owned();
        block(issuer.token(
            TokenRequest::pre_authorized(code, None),
            HttpFacts::default(),
        ))
        .expect("token")
    };
    assert!(pre_authorized(&on).refresh_token.is_none());
    let (both, _clock) = issuer(|c| c.refresh_for_pre_authorized = true);
    let token = pre_authorized(&both);
    let refreshed = block(both.token(
        TokenRequest::refresh(refresh_of(&token)),
        HttpFacts::default(),
    ));
    assert!(refreshed.is_ok());
}

#[test]
fn an_unknown_refresh_token_is_invalid_grant() {
    let (issuer, _clock) = issuer(|_| {});
    let refused = block(issuer.token(TokenRequest::refresh("made-up"), HttpFacts::default()))
        .expect_err("unknown");
    assert_eq!(refused.cause(), Cause::RefreshTokenUnknown);
    assert_eq!(refused.error_code().as_str(), "invalid_grant");
    let stored: Option<_> = block(
        issuer
            .store()
            .find(LookupKind::RefreshToken, &SecretHash::of("made-up")),
    )
    .expect("store");
    assert!(stored.is_none());
}
