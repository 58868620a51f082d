//! The issuer-wide HAIP policies: `require_dpop` (every token sender-constrained, FAPI 2.0) and
//! `require_wallet_attestation` (every client authenticates, at PAR and at the token endpoint,
//! HAIP 4.4.1), besides the per-offer flags; and a PKCE exchange without `code_verifier` is
//! `invalid_grant` (the OIDF HAIP plan's expectation).

use std::collections::BTreeMap;
use std::sync::Arc;

use oid4vci_authorization::{AuthorizationPolicy, CodeChallenge, DemoUser};
use oid4vci_issuer::{Cause, HttpFacts, Issuer, IssuerConfig, ManualClock, MemoryStore, OfferSpec};
use oid4vci_issuer_testkit::authorization_flows::{authorization_code, code_token_request};
use oid4vci_issuer_testkit::flows::{CONFIG, ISSUER, T0};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata, TokenGrant, TokenRequest};
use serde_json::json;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "https://wallet.example/cb";

fn issuer(configure: impl FnOnce(&mut IssuerConfig)) -> Issuer<MemoryStore, SdJwtVcMinter> {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let mut config = IssuerConfig::new(metadata);
    configure(&mut config);
    let claims = BTreeMap::from([(CONFIG.to_owned(), json!({"age_over_18": true}))]);
    Issuer::new(config, MemoryStore::new(), SdJwtVcMinter::generate())
        .with_clock(Arc::new(ManualClock::new(T0)))
        .with_authorization_server(
            AuthorizationPolicy::default(),
            Arc::new(DemoUser::new("erika", "pw", claims)),
        )
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

fn pre_authorized_code(issuer: &Issuer<MemoryStore, SdJwtVcMinter>) -> String {
    let spec = OfferSpec {
        credential_configuration_ids: vec![CONFIG.into()],
        claims: Some(json!({"age_over_18": true})),
        ..OfferSpec::default()
    };
    let created = block(issuer.create_offer(spec)).expect("offer");
    created
        .pre_authorized_code()
        .expect("code")
        .expose()
        .to_owned()
}

fn par_body() -> String {
    format!(
        "response_type=code&client_id=w&redirect_uri={}&authorization_details={}&code_challenge_method=S256&code_challenge={}",
        form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(
            json!([{"type": "openid_credential", "credential_configuration_id": CONFIG}])
                .to_string()
                .as_bytes()
        )
        .collect::<String>(),
        CodeChallenge::of_verifier(VERIFIER).as_str()
    )
}

#[test]
fn require_dpop_refuses_bearer_tokens_for_every_offer() {
    let issuer = issuer(|c| c.require_dpop = true);
    let code = pre_authorized_code(&issuer);
    let bearer = block(issuer.token(
        TokenRequest::pre_authorized(code.clone(), None),
        HttpFacts::default(),
    ));
    let refusal = bearer.expect_err("a token request without DPoP is refused");
    assert_eq!(refusal.cause(), Cause::DpopProofMissing);
    assert_eq!(refusal.error_code().as_str(), "invalid_dpop_proof");

    // The refusal used nothing up: the same code with a DPoP proof gets a DPoP token.
    let wallet = TestWallet::new();
    let proof = wallet.dpop_proof(&format!("{ISSUER}/token"), None, T0);
    let facts = HttpFacts {
        dpop: Some(proof),
        ..HttpFacts::default()
    };
    let token =
        block(issuer.token(TokenRequest::pre_authorized(code, None), facts)).expect("token");
    assert_eq!(token.token_type, "DPoP");
}

#[test]
fn without_the_policy_bearer_tokens_are_issued() {
    let issuer = issuer(|_| {});
    let code = pre_authorized_code(&issuer);
    let token = block(issuer.token(
        TokenRequest::pre_authorized(code, None),
        HttpFacts::default(),
    ))
    .expect("token");
    assert_eq!(token.token_type, "Bearer");
}

#[test]
fn require_wallet_attestation_refuses_unauthenticated_clients_at_par_and_token() {
    let issuer = issuer(|c| c.require_wallet_attestation = true);
    let pushed =
        block(issuer.pushed_authorization_request(par_body().as_bytes(), HttpFacts::default()));
    let refusal = pushed.expect_err("a wallet-initiated PAR without attestation is refused");
    assert_eq!(refusal.cause(), Cause::WalletAttestationMissing);
    assert_eq!(refusal.error_code().as_str(), "invalid_client");

    let code = pre_authorized_code(&issuer);
    let token = block(issuer.token(
        TokenRequest::pre_authorized(code, None),
        HttpFacts::default(),
    ));
    assert_eq!(
        token.expect_err("refused").cause(),
        Cause::WalletAttestationMissing
    );
}

#[test]
fn a_code_exchange_without_code_verifier_is_invalid_grant() {
    let issuer = issuer(|_| {});
    let code = authorization_code(&issuer, HttpFacts::default());
    let mut request = code_token_request(&code);
    if let TokenGrant::AuthorizationCode { code_verifier, .. } = &mut request.grant {
        *code_verifier = None;
    }
    request.client_id = Some("w".into());
    let refusal = block(issuer.token(request, HttpFacts::default())).expect_err("refused");
    assert_eq!(refusal.cause(), Cause::CodeVerifierMissing);
    assert_eq!(refusal.error_code().as_str(), "invalid_grant");
}

/// Issue #20 finding 8: with `require_client_id`, `client_id` is required when a public client
/// redeems an authorization code (RFC 6749 §4.1.3); the refusal does not use the code up.
/// (Off by default: the npm wallet library of the interop suite does not send it.)
#[test]
fn a_code_exchange_without_client_id_is_refused_when_required() {
    let lenient = issuer(|_| {});
    let code = authorization_code(&lenient, HttpFacts::default());
    let mut request = code_token_request(&code);
    request.client_id = None;
    assert!(block(lenient.token(request, HttpFacts::default())).is_ok());

    let issuer = issuer(|c| c.require_client_id = true);
    let code = authorization_code(&issuer, HttpFacts::default());
    let mut request = code_token_request(&code);
    request.client_id = None;
    let refusal = block(issuer.token(request, HttpFacts::default())).expect_err("refused");
    assert_eq!(refusal.cause(), Cause::ClientIdMissing);
    assert_eq!(refusal.error_code().as_str(), "invalid_request");
    let token = block(issuer.token(code_token_request(&code), HttpFacts::default()));
    assert!(
        token.is_ok(),
        "with its client_id the same code is redeemed"
    );
}
