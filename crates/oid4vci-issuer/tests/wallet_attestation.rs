//! Wallet attestation (OID4VCI 1.0 Appendix E) at the token endpoint, with a wallet provider
//! certificate chain built by the testkit's WalletProvider, and the spec's own wallet attestation example.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use oid4vci_issuer::client_attestation::{self, WalletAttestationTrust, POP_TYP};
use oid4vci_issuer::{
    HttpFacts, Issuer, IssuerConfig, IssuerError, MemoryStore, OfferSpec, SessionFlags,
};
use oid4vci_issuer_testkit::{flows, TestWallet, WalletProvider};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{CredentialRequest, ErrorCode, TokenRequest};
use serde_json::{json, Value};
use std::sync::Arc;

const CLIENT: &str = "https://wallet.example.com";

/// A wallet provider (the testkit's) that attests `instance` as `sub` until `exp`.
struct Provider(WalletProvider);

fn new_provider(cn: &str) -> Provider {
    Provider(WalletProvider::new(cn))
}

impl std::ops::Deref for Provider {
    type Target = WalletProvider;
    fn deref(&self) -> &WalletProvider {
        &self.0
    }
}

impl Provider {
    fn attest(&self, instance: &TestWallet, sub: &str, exp: u64) -> String {
        self.0.attest(
            &json!({"iss": "https://wallet-provider.example.com", "sub": sub,
            "exp": exp, "cnf": {"jwk": instance.public_jwk()}}),
        )
    }
}

fn pop(instance: &TestWallet, aud: &str, jti: &str, iat: u64) -> String {
    instance.sign(
        &json!({"typ": POP_TYP, "alg": "ES256"}),
        &json!({"iss": CLIENT, "aud": aud, "jti": jti, "iat": iat}),
    )
}

fn facts(attestation: &str, pop: &str) -> HttpFacts {
    HttpFacts {
        client_attestation: Some(attestation.to_owned()),
        client_attestation_pop: Some(pop.to_owned()),
        ..HttpFacts::default()
    }
}

fn issuer_trusting(anchor: &[u8]) -> Issuer<MemoryStore, SdJwtVcMinter> {
    issuer_configured(anchor, |_| {})
}

/// The scenario issuer trusting `anchor`, its configuration changed by `edit`.
fn issuer_configured(
    anchor: &[u8],
    edit: impl FnOnce(&mut IssuerConfig),
) -> Issuer<MemoryStore, SdJwtVcMinter> {
    let (base, clock) = flows::scenario_issuer(MemoryStore::new());
    let mut config: IssuerConfig = base.config().clone();
    config.wallet_attestation = Some(WalletAttestationTrust::with_anchors(vec![anchor.to_vec()]));
    edit(&mut config);
    Issuer::new(config, MemoryStore::new(), SdJwtVcMinter::generate()).with_clock(Arc::new(clock))
}

fn attested_offer() -> OfferSpec {
    OfferSpec {
        credential_configuration_ids: vec![flows::CONFIG.into()],
        claims: Some(json!({"a": 1})),
        flags: SessionFlags {
            require_wallet_attestation: true,
            ..SessionFlags::default()
        },
        ..OfferSpec::default()
    }
}

fn code(created: &oid4vci_issuer::OfferCreated) -> oid4vci_types::SecretString {
    created
        .credential_offer
        .pre_authorized_code_grant()
        .expect("grant")
        .pre_authorized_code
        .clone()
}

#[test]
fn wallet_attestation_authenticates_the_client_at_the_token_endpoint() {
    pollster::block_on(async {
        let provider = new_provider("Wallet Provider Root");
        let issuer = issuer_trusting(&provider.root_der);
        let meta = issuer.authorization_server_metadata();
        assert!(meta
            .token_endpoint_auth_methods_supported
            .unwrap_or_default()
            .contains(&"attest_jwt_client_auth".to_owned()));
        let instance = TestWallet::new();
        let t0 = flows::T0;
        let attestation = provider.attest(&instance, CLIENT, t0 + 3600);
        let created = issuer.create_offer(attested_offer()).await.expect("offer");
        let token =
            |f: HttpFacts| issuer.token(TokenRequest::pre_authorized(code(&created), None), f);

        let none = token(HttpFacts::default()).await.unwrap_err();
        assert_eq!(
            (none.error_code(), none.retry_after()),
            (ErrorCode::InvalidClient, None)
        );
        let only_one = HttpFacts {
            client_attestation: Some(attestation.clone()),
            ..HttpFacts::default()
        };
        assert_eq!(
            token(only_one).await.unwrap_err().error_code(),
            ErrorCode::InvalidClient
        );
        let wrong_aud = token(facts(
            &attestation,
            &pop(&instance, "https://other.example", "j1", t0),
        ))
        .await
        .unwrap_err();
        assert_eq!(wrong_aud.error_code(), ErrorCode::InvalidClient);
        let other_key = token(facts(
            &attestation,
            &pop(&TestWallet::new(), flows::ISSUER, "j2", t0),
        ))
        .await
        .unwrap_err();
        assert_eq!(
            other_key.error_code(),
            ErrorCode::InvalidClient,
            "PoP must be signed by cnf.jwk"
        );
        let stale = token(facts(
            &attestation,
            &pop(&instance, flows::ISSUER, "j3", t0 - 1000),
        ))
        .await
        .unwrap_err();
        assert_eq!(
            stale.error_code(),
            ErrorCode::InvalidClient,
            "PoP iat too old"
        );
        let stranger = new_provider("Unknown Provider");
        let untrusted = token(facts(
            &stranger.attest(&instance, CLIENT, t0 + 3600),
            &pop(&instance, flows::ISSUER, "j4", t0),
        ))
        .await
        .unwrap_err();
        assert_eq!(
            untrusted.error_code(),
            ErrorCode::InvalidClient,
            "untrusted wallet provider"
        );
        let expired = token(facts(
            &provider.attest(&instance, CLIENT, t0 - 1),
            &pop(&instance, flows::ISSUER, "j5", t0),
        ))
        .await
        .unwrap_err();
        assert_eq!(
            expired.error_code(),
            ErrorCode::InvalidClient,
            "expired attestation"
        );
        let mut other_client = TokenRequest::pre_authorized(code(&created), None);
        other_client.client_id = Some("someone-else".into());
        let mismatch = issuer
            .token(
                other_client,
                facts(&attestation, &pop(&instance, flows::ISSUER, "j6", t0)),
            )
            .await
            .unwrap_err();
        assert_eq!(
            mismatch.error_code(),
            ErrorCode::InvalidClient,
            "client_id must match sub"
        );

        let good_pop = pop(&instance, flows::ISSUER, "j7", t0);
        let granted = token(facts(&attestation, &good_pop))
            .await
            .expect("attested token");
        let summary = issuer.inspect(&created.session_id).await.expect("inspect");
        let exchanged = summary
            .events
            .iter()
            .find(|e| e.details["wallet_attested"] == true)
            .expect("token_exchanged");
        assert_eq!(exchanged.details["client_id"], CLIENT);

        // The attested client id is the proof's expected `iss`.
        let nonce = issuer.nonce().c_nonce;
        let header =
            json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": instance.public_jwk()});
        let proof = instance.sign(
            &header,
            &json!({"aud": flows::ISSUER, "iat": t0, "nonce": nonce, "iss": CLIENT}),
        );
        let request = CredentialRequest::for_configuration(flows::CONFIG, vec![proof]);
        issuer
            .credential(request, HttpFacts::bearer(granted.access_token.expose()))
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .expect("credential");

        // A PoP is single-use.
        let again = issuer.create_offer(attested_offer()).await.expect("offer");
        let replay = issuer
            .token(
                TokenRequest::pre_authorized(code(&again), None),
                facts(&attestation, &good_pop),
            )
            .await
            .unwrap_err();
        assert_eq!(replay.error_code(), ErrorCode::InvalidClient, "PoP replay");
    });
}

#[test]
fn require_wallet_attestation_needs_configured_trust() {
    pollster::block_on(async {
        let (issuer, _) = flows::scenario_issuer(MemoryStore::new());
        let refused = issuer.create_offer(attested_offer()).await.unwrap_err();
        assert!(matches!(refused, IssuerError::Unsupported(_)), "{refused}");
        let created = issuer
            .create_offer(OfferSpec {
                flags: SessionFlags::default(),
                ..attested_offer()
            })
            .await
            .expect("offer");
        let provider = new_provider("P");
        let instance = TestWallet::new();
        let f = facts(
            &provider.attest(&instance, CLIENT, flows::T0 + 60),
            &pop(&instance, flows::ISSUER, "j", flows::T0),
        );
        let err = issuer
            .token(TokenRequest::pre_authorized(code(&created), None), f)
            .await
            .unwrap_err();
        assert_eq!(
            err.error_code(),
            ErrorCode::InvalidClient,
            "attestation headers without configured trust are refused, not ignored"
        );
    });
}

#[test]
fn the_spec_wallet_attestation_example_verifies_against_its_certificate() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/messages/spec/1.0-final/wallet_attestation.jwt.txt"
    );
    let jwt: String = std::fs::read_to_string(path)
        .expect("vector")
        .split_whitespace()
        .collect();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwt.split('.').next().expect("header"))
            .expect("b64"),
    )
    .expect("json");
    let cert = STANDARD
        .decode(header["x5c"][0].as_str().expect("x5c"))
        .expect("der");
    let trust = WalletAttestationTrust::with_anchors(vec![cert]);
    let during = 1_755_050_000; // between the example's nbf and exp
    let (claims, _key) = client_attestation::verify_attestation(&jwt, &trust, during)
        .expect("the spec example verifies");
    assert_eq!(claims["sub"], CLIENT);
    assert!(
        client_attestation::verify_attestation(&jwt, &trust, 1_755_102_745).is_err(),
        "expired at exp"
    );
    let other = new_provider("Other");
    let wrong = WalletAttestationTrust::with_anchors(vec![other.root_der.clone()]);
    assert!(
        client_attestation::verify_attestation(&jwt, &wrong, during).is_err(),
        "untrusted without its anchor"
    );
}

/// Every JWT's `exp` is compared with the clock: an expired attestation, an expired PoP and a
/// PoP whose `exp` is not a NumericDate (once silently ignored) are all `invalid_client`.
#[test]
fn expired_attestations_and_pops_are_refused() {
    pollster::block_on(async {
        let provider = new_provider("Wallet Provider Root");
        let issuer = issuer_trusting(&provider.root_der);
        let instance = TestWallet::new();
        let t0 = flows::T0;
        let created = issuer.create_offer(attested_offer()).await.expect("offer");
        let token =
            |f: HttpFacts| issuer.token(TokenRequest::pre_authorized(code(&created), None), f);
        let pop_with_exp = |jti: &str, exp: serde_json::Value| {
            instance.sign(
                &json!({"typ": POP_TYP, "alg": "ES256"}),
                &json!({"iss": CLIENT, "aud": flows::ISSUER, "jti": jti, "iat": t0, "exp": exp}),
            )
        };
        let valid = provider.attest(&instance, CLIENT, t0 + 3600);
        for (attestation, pop, what) in [
            (
                provider.attest(&instance, CLIENT, 1),
                pop(&instance, flows::ISSUER, "j1", t0),
                "attestation exp 1",
            ),
            (
                provider.attest(&instance, CLIENT, t0),
                pop(&instance, flows::ISSUER, "j2", t0),
                "attestation exp now",
            ),
            (valid.clone(), pop_with_exp("j3", json!(1)), "PoP exp 1"),
            (
                valid.clone(),
                pop_with_exp("j4", json!("2099")),
                "PoP exp string",
            ),
        ] {
            let err = token(facts(&attestation, &pop)).await.unwrap_err();
            assert_eq!(err.error_code(), ErrorCode::InvalidClient, "{what}");
        }
        let ok = token(facts(&valid, &pop_with_exp("j5", json!(t0 + 30))))
            .await
            .expect("a PoP with exp in the future is accepted");
        assert_eq!(ok.token_type, "Bearer");
    });
}

/// Wallet attestation at the pushed authorization request: required by an offer made with
/// `require_wallet_attestation`, verified there, and required again at the token endpoint.
#[test]
fn wallet_attestation_is_checked_at_par_and_again_at_the_token_endpoint() {
    use oid4vci_authorization::{AuthorizationPolicy, CodeChallenge, DemoUser};
    use oid4vci_issuer::{AuthorizationOutcome, LoginAction, LoginForm};
    pollster::block_on(async {
        let provider = new_provider("Wallet Provider Root");
        let issuer = issuer_trusting(&provider.root_der).with_authorization_server(
            AuthorizationPolicy::default(),
            Arc::new(DemoUser::new("erika", "pw", Default::default())),
        );
        let meta = issuer.authorization_server_metadata();
        for member in [
            "client_attestation_signing_alg_values_supported",
            "client_attestation_pop_signing_alg_values_supported",
        ] {
            assert_eq!(meta.extra[member], json!(["ES256", "EdDSA"]), "{member}");
        }
        let instance = TestWallet::new();
        let t0 = flows::T0;
        let attestation = provider.attest(&instance, CLIENT, t0 + 3600);
        let mut spec = attested_offer();
        spec.authorization_code = Some(Default::default());
        let created = issuer.create_offer(spec).await.expect("offer");
        let state = created
            .credential_offer
            .grants
            .as_ref()
            .and_then(|g| g.authorization_code.as_ref())
            .and_then(|a| a.issuer_state.clone())
            .expect("issuer_state");
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let body = format!(
            "response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fwallet.example.com%2Fcb&issuer_state={state}&code_challenge_method=S256&code_challenge={}",
            "https%3A%2F%2Fwallet.example.com",
            CodeChallenge::of_verifier(verifier).as_str()
        );
        let refused = issuer
            .pushed_authorization_request(body.as_bytes(), HttpFacts::default())
            .await
            .unwrap_err();
        assert_eq!(refused.error_code(), ErrorCode::InvalidClient);
        let log = issuer
            .inspect(&created.session_id)
            .await
            .expect("session")
            .events;
        assert_eq!(
            serde_json::to_value(log.last().expect("event")).expect("json")["type"],
            "par_rejected"
        );
        let forged = issuer
            .pushed_authorization_request(
                body.as_bytes(),
                facts(
                    &attestation,
                    &pop(&TestWallet::new(), flows::ISSUER, "p0", t0),
                ),
            )
            .await
            .unwrap_err();
        assert_eq!(
            forged.error_code(),
            ErrorCode::InvalidClient,
            "PoP by another key"
        );
        let pushed = issuer
            .pushed_authorization_request(
                body.as_bytes(),
                facts(&attestation, &pop(&instance, flows::ISSUER, "p1", t0)),
            )
            .await
            .expect("attested PAR");
        let page = issuer
            .authorization_page(Some(CLIENT), Some(&pushed.request_uri))
            .await
            .expect("page");
        let AuthorizationOutcome::Redirect(location) = issuer
            .authorization_decision(
                LoginForm {
                    request_uri: pushed.request_uri.clone(),
                    form_token: page.form_token.clone().into(),
                    action: LoginAction::Approve {
                        username: "erika".into(),
                        password: "pw".into(),
                    },
                },
                None,
            )
            .await
            .expect("decision")
        else {
            panic!("approval redirects");
        };
        let code = location
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("code="))
            .expect("code")
            .to_owned();
        let mut request = TokenRequest::pre_authorized("unused", None);
        request.grant = oid4vci_types::TokenGrant::AuthorizationCode {
            code: code.into(),
            redirect_uri: Some("https://wallet.example.com/cb".into()),
            code_verifier: Some(verifier.into()),
        };
        let bare = issuer
            .token(request.clone(), HttpFacts::default())
            .await
            .unwrap_err();
        assert_eq!(
            bare.error_code(),
            ErrorCode::InvalidClient,
            "attested at PAR: again at the token endpoint"
        );
        let token = issuer
            .token(
                request,
                facts(&attestation, &pop(&instance, flows::ISSUER, "p2", t0)),
            )
            .await
            .expect("token");
        assert_eq!(token.token_type, "Bearer");
    });
}

fn pop_with_challenge(instance: &TestWallet, jti: &str, iat: u64, challenge: &str) -> String {
    instance.sign(
        &json!({"typ": POP_TYP, "alg": "ES256"}),
        &json!({"iss": CLIENT, "aud": flows::ISSUER, "jti": jti, "iat": iat, "challenge": challenge}),
    )
}

#[test]
fn required_attestation_challenges_are_asked_for_and_checked() {
    pollster::block_on(async {
        let provider = new_provider("challenges");
        let (base, clock) = flows::scenario_issuer(MemoryStore::new());
        let mut config: IssuerConfig = base.config().clone();
        config.wallet_attestation = Some(WalletAttestationTrust::with_anchors(vec![provider
            .root_der
            .clone()]));
        config.attestation_challenge_ttl = Some(300);
        let issuer = Issuer::new(config, MemoryStore::new(), SdJwtVcMinter::generate())
            .with_clock(Arc::new(clock.clone()));
        let metadata = issuer.authorization_server_metadata();
        assert_eq!(
            metadata.extra["challenge_endpoint"],
            json!(format!("{}/challenge", flows::ISSUER))
        );
        let t0 = flows::T0;
        let instance = TestWallet::new();
        let attestation = provider.attest(&instance, CLIENT, t0 + 3600);
        let created = issuer.create_offer(attested_offer()).await.expect("offer");
        let token = |facts: HttpFacts| {
            issuer.token(TokenRequest::pre_authorized(code(&created), None), facts)
        };

        // Without a challenge: use_attestation_challenge, with one to use; nothing is spent.
        let refused = token(facts(
            &attestation,
            &pop(&instance, flows::ISSUER, "c1", t0),
        ))
        .await
        .expect_err("a challenge is required");
        assert_eq!(refused.error_code().as_str(), "use_attestation_challenge");
        let fresh = refused
            .attestation_challenge()
            .expect("a fresh challenge")
            .to_owned();
        // A made-up challenge: refused the same way.
        let made_up = pop_with_challenge(&instance, "c2", t0, "not-a-challenge");
        let refused = token(facts(&attestation, &made_up))
            .await
            .expect_err("made up");
        assert_eq!(refused.error_code().as_str(), "use_attestation_challenge");
        // The server's challenge (from the refusal, or from the challenge endpoint) works.
        let from_endpoint = issuer.attestation_challenge().expect("endpoint");
        assert!(!from_endpoint.is_empty());
        let good = pop_with_challenge(&instance, "c3", t0, &fresh);
        let granted = token(facts(&attestation, &good)).await.expect("token");
        assert!(!granted.access_token.expose().is_empty());
        // An expired challenge is refused.
        clock.advance(2 * 300 + 61);
        let created = issuer.create_offer(attested_offer()).await.expect("offer");
        let stale = pop_with_challenge(&instance, "c4", flows::T0 + 661, &fresh);
        let refused = issuer
            .token(
                TokenRequest::pre_authorized(code(&created), None),
                facts(&attestation, &stale),
            )
            .await
            .expect_err("expired challenge");
        assert_eq!(refused.error_code().as_str(), "use_attestation_challenge");
    });
}

/// A token request that is asked for a DPoP nonce uses up neither its code nor its attestation
/// PoP: the wallet retries with the same attestation and a proof carrying the nonce (found by
/// the mirrored OIDF suite: a pre-authorized wallet's first request is its token request).
#[test]
fn a_dpop_nonce_demand_consumes_no_attestation_pop() {
    pollster::block_on(async {
        let provider = new_provider("Wallet Provider Root");
        let issuer = issuer_configured(&provider.root_der, |c| c.dpop_nonce_ttl = Some(300));
        let instance = TestWallet::new();
        let dpop = TestWallet::new();
        let t0 = flows::T0;
        let attestation = provider.attest(&instance, CLIENT, t0 + 3600);
        let pop = pop(&instance, flows::ISSUER, "pop-1", t0);
        let created = issuer.create_offer(attested_offer()).await.expect("offer");
        let endpoint = issuer.authorization_server_metadata().token_endpoint;
        let request = |nonce: Option<&str>| {
            let mut f = facts(&attestation, &pop);
            f.dpop = Some(dpop.dpop_proof_with_nonce(&endpoint, None, t0, nonce));
            issuer.token(TokenRequest::pre_authorized(code(&created), None), f)
        };
        let asked = request(None).await.expect_err("a nonce is demanded");
        assert_eq!(asked.cause(), oid4vci_issuer::Cause::DpopNonceRequired);
        let nonce = asked.dpop_nonce().expect("a fresh DPoP-Nonce").to_owned();
        let token = request(Some(&nonce))
            .await
            .expect("the same code and attestation PoP with the nonce");
        assert_eq!(token.token_type, "DPoP");
        let log = issuer
            .inspect(&created.session_id)
            .await
            .expect("session")
            .events;
        assert!(
            log.iter()
                .all(|e| serde_json::to_value(e.kind).ok() != Some(json!("token_rejected"))),
            "a nonce demand is not a rejection of the grant"
        );
    });
}

/// DPoP combined mode (OAuth 2.0 Attestation-Based Client Authentication, "Using DPoP as the
/// Proof of Possession"): no PoP header, the DPoP proof signed by the attested key stands for
/// it; its `nonce` carries a required challenge.
#[test]
fn the_dpop_proof_can_be_the_attestations_proof_of_possession() {
    pollster::block_on(async {
        let provider = new_provider("Wallet Provider Root");
        let issuer = issuer_configured(&provider.root_der, |c| {
            c.attestation_challenge_ttl = Some(300)
        });
        let meta = issuer.authorization_server_metadata();
        assert!(meta
            .token_endpoint_auth_methods_supported
            .unwrap_or_default()
            .contains(&"attest_jwt_client_auth_dpop".to_owned()));
        assert_eq!(
            meta.extra["client_attestation_pop_methods_supported"],
            json!(["attestation_pop_jwt", "dpop_combined", "none"])
        );
        let instance = TestWallet::new();
        let t0 = flows::T0;
        let attestation = provider.attest(&instance, CLIENT, t0 + 3600);
        let endpoint = meta.token_endpoint;
        let created = issuer.create_offer(attested_offer()).await.expect("offer");
        let token = |signer: &TestWallet, nonce: Option<&str>, with_dpop: bool| {
            let f = HttpFacts {
                client_attestation: Some(attestation.clone()),
                dpop: with_dpop.then(|| signer.dpop_proof_with_nonce(&endpoint, None, t0, nonce)),
                ..HttpFacts::default()
            };
            issuer.token(TokenRequest::pre_authorized(code(&created), None), f)
        };
        let alone = token(&instance, None, false).await.unwrap_err();
        assert_eq!(alone.error_code(), ErrorCode::InvalidClient, "{alone:?}");
        let other = token(&TestWallet::new(), None, true).await.unwrap_err();
        assert_eq!(other.error_code(), ErrorCode::InvalidClient);
        assert!(format!("{other:?}").contains("cnf.jwk"), "{other:?}");
        let asked = token(&instance, None, true).await.unwrap_err();
        assert_eq!(
            asked.cause(),
            oid4vci_issuer::Cause::AttestationChallengeRequired
        );
        let challenge = asked
            .attestation_challenge()
            .expect("a fresh challenge")
            .to_owned();
        let granted = token(&instance, Some(&challenge), true)
            .await
            .expect("the DPoP proof by the attested key, with the challenge as its nonce");
        assert_eq!(granted.token_type, "DPoP");
    });
}
