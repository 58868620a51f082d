//! Key attestations end to end: the `attestation` proof type binds one credential to each
//! attested key, and `require_key_attestation` refuses plain `jwk` proofs.

use oid4vci_issuer::{
    HttpFacts, Issuer, IssuerConfig, MemoryStore, OfferSpec, SessionFlags, StandardProofCheck,
};
use oid4vci_issuer_testkit::{flows, TestWallet};
use oid4vci_proof::{ProofPolicy, PublicKey};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{CredentialRequest, ErrorCode, ProofTypeMetadata, Proofs, TokenRequest};
use serde_json::json;
use std::sync::Arc;

fn issuer_trusting(attester: &TestWallet) -> Issuer<MemoryStore, SdJwtVcMinter> {
    let (base, clock) = flows::scenario_issuer(MemoryStore::new());
    let mut config: IssuerConfig = base.config().clone();
    let cfg = config
        .metadata
        .credential_configurations_supported
        .get_mut(flows::CONFIG)
        .expect("config");
    if let Some(types) = cfg.proof_types_supported.as_mut() {
        types.0.insert(
            "attestation".into(),
            ProofTypeMetadata {
                proof_signing_alg_values_supported: vec!["ES256".into()],
                ..ProofTypeMetadata::default()
            },
        );
    }
    let policy = ProofPolicy {
        key_attestation_trusted_keys: vec![
            PublicKey::from_jwk_value(&attester.public_jwk()).expect("attester key")
        ],
        ..ProofPolicy::default()
    };
    Issuer::new(config, MemoryStore::new(), SdJwtVcMinter::generate())
        .with_clock(Arc::new(clock))
        .with_proof_check(StandardProofCheck::new(policy))
}

async fn token(
    issuer: &Issuer<MemoryStore, SdJwtVcMinter>,
    flags: SessionFlags,
) -> (String, String) {
    let spec = OfferSpec {
        credential_configuration_ids: vec![flows::CONFIG.into()],
        claims: Some(json!({"age_over_18": true})),
        flags,
        ..OfferSpec::default()
    };
    let created = issuer.create_offer(spec).await.expect("offer");
    let code = created
        .credential_offer
        .pre_authorized_code_grant()
        .expect("grant")
        .pre_authorized_code
        .clone();
    let token = issuer
        .token(
            TokenRequest::pre_authorized(code, None),
            HttpFacts::default(),
        )
        .await
        .expect("token");
    (created.session_id, token.access_token.expose().to_owned())
}

fn key_attestation(attester: &TestWallet, keys: &[&TestWallet], nonce: &str) -> String {
    let header = json!({"typ": "key-attestation+jwt", "alg": "ES256", "kid": "attester-1"});
    let attested: Vec<_> = keys.iter().map(|k| k.public_jwk()).collect();
    let claims = json!({"iss": "https://wallet-provider.example", "iat": flows::T0, "exp": flows::T0 + 3600,
                        "attested_keys": attested, "key_storage": ["iso_18045_high"], "nonce": nonce});
    attester.sign(&header, &claims)
}

#[test]
fn the_attestation_proof_type_issues_one_credential_per_attested_key() {
    pollster::block_on(async {
        let attester = TestWallet::new();
        let issuer = issuer_trusting(&attester);
        let (session, access) = token(&issuer, SessionFlags::default()).await;
        let (a, b) = (TestWallet::new(), TestWallet::new());
        let attestation = key_attestation(&attester, &[&a, &b], &issuer.nonce().c_nonce);
        let mut request = CredentialRequest::for_configuration(flows::CONFIG, vec![]);
        request.proofs = Some(Proofs::Attestation(vec![attestation]));
        let response = issuer
            .credential(request, HttpFacts::bearer(&access))
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .expect("credentials");
        let credentials = response.credentials.expect("credentials");
        assert_eq!(credentials.len(), 2, "one credential per attested key");
        for (cred, key) in credentials.iter().zip([&a, &b]) {
            flows::verify_sd_jwt(
                cred.credential.as_str().expect("sd-jwt"),
                issuer.minter(),
                &key.public_jwk(),
            );
        }
        let summary = issuer.inspect(&session).await.expect("inspect");
        let issued = summary
            .events
            .iter()
            .find(|e| e.details["count"] == 2)
            .expect("credential_issued");
        assert_eq!(issued.details["key_source"], "key_attestation");

        // An attestation from an unknown attester is refused with a diagnostic.
        let stranger = TestWallet::new();
        let mut request = CredentialRequest::for_configuration(flows::CONFIG, vec![]);
        request.proofs = Some(Proofs::Attestation(vec![key_attestation(
            &stranger,
            &[&a],
            &issuer.nonce().c_nonce,
        )]));
        let err = issuer
            .credential(request, HttpFacts::bearer(&access))
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err();
        assert_eq!(err.error_code(), ErrorCode::InvalidProof);
        assert_eq!(
            err.to_error_response().extra["diagnostic"]["code"],
            "invalid_key_attestation"
        );
    });
}

#[test]
fn require_key_attestation_refuses_plain_jwk_proofs() {
    pollster::block_on(async {
        let attester = TestWallet::new();
        let issuer = issuer_trusting(&attester);
        let flags = SessionFlags {
            require_key_attestation: true,
            ..SessionFlags::default()
        };
        let (_, access) = token(&issuer, flags).await;
        let wallet = TestWallet::new();
        let proof = wallet.proof(flows::ISSUER, Some(&issuer.nonce().c_nonce), flows::T0);
        let request = CredentialRequest::for_configuration(flows::CONFIG, vec![proof]);
        let err = issuer
            .credential(request, HttpFacts::bearer(&access))
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err();
        assert_eq!(err.error_code(), ErrorCode::InvalidProof);
        assert_eq!(
            err.to_error_response().extra["diagnostic"]["code"],
            "invalid_key_attestation",
            "{err:?}"
        );
    });
}

/// The metadata says what the proof check accepts (Section 12.2.4): the `attestation` proof type
/// once key attesters are trusted, `key_attestations_required` when the policy requires them; and
/// an offer cannot require key attestations nobody could verify.
#[test]
fn metadata_advertises_what_the_proof_check_accepts() {
    pollster::block_on(async {
        let (plain, _) = flows::scenario_issuer(MemoryStore::new());
        let types = |issuer: &Issuer<MemoryStore, SdJwtVcMinter>| {
            issuer.metadata().credential_configurations_supported[flows::CONFIG]
                .proof_types_supported
                .clone()
                .expect("proof types")
                .0
        };
        assert!(!types(&plain).contains_key("attestation"));
        let plain = plain.with_proof_check(StandardProofCheck::default());
        assert!(
            !types(&plain).contains_key("attestation"),
            "no attester trusted"
        );
        let refused = plain
            .create_offer(OfferSpec {
                credential_configuration_ids: vec![flows::CONFIG.into()],
                flags: SessionFlags {
                    require_key_attestation: true,
                    ..SessionFlags::default()
                },
                ..OfferSpec::default()
            })
            .await;
        assert!(
            matches!(refused, Err(oid4vci_issuer::IssuerError::Unsupported(_))),
            "{refused:?}"
        );

        let attester = TestWallet::new();
        let (base, _) = flows::scenario_issuer(MemoryStore::new());
        let policy = ProofPolicy {
            key_attestation_trusted_keys: vec![
                PublicKey::from_jwk_value(&attester.public_jwk()).expect("attester key")
            ],
            key_attestations_required: Some(oid4vci_proof::KeyAttestationRequirement::default()),
            ..ProofPolicy::default()
        };
        let strict = base.with_proof_check(StandardProofCheck::new(policy));
        let types = types(&strict);
        let attestation = types.get("attestation").expect("attestation advertised");
        assert_eq!(
            attestation.proof_signing_alg_values_supported,
            types["jwt"].proof_signing_alg_values_supported
        );
        for (name, t) in &types {
            assert!(
                t.key_attestations_required.is_some(),
                "{name} says key attestations are required"
            );
        }
        strict.metadata().validate().expect("still valid metadata");
    });
}

/// Drafts 15 and 16 spelled the key attestation `typ` `keyattestation+jwt`, and wallet
/// libraries still send it (oid4vc-ts 0.4's `createKeyAttestationJwt`, found by the HAIP interop
/// test): accepted as a synonym; any other `typ` is still `invalid_proof`.
#[test]
fn the_draft_spelling_of_the_key_attestation_typ_is_accepted() {
    pollster::block_on(async {
        let attester = TestWallet::new();
        let issuer = issuer_trusting(&attester);
        let key = TestWallet::new();
        let attested = |typ: &str, nonce: &str| {
            let header = json!({"typ": typ, "alg": "ES256", "kid": "attester-1"});
            let claims = json!({"iss": "https://wallet-provider.example", "iat": flows::T0,
                "exp": flows::T0 + 3600, "attested_keys": [key.public_jwk()],
                "key_storage": ["iso_18045_high"], "nonce": nonce});
            attester.sign(&header, &claims)
        };
        for (typ, accepted) in [
            ("keyattestation+jwt", true),
            ("key-attestation+jwt", true),
            ("key_attestation+jwt", false),
        ] {
            let (_, access) = token(&issuer, SessionFlags::default()).await;
            let mut request = CredentialRequest::for_configuration(flows::CONFIG, vec![]);
            let proof = attested(typ, &issuer.nonce().c_nonce);
            request.proofs = Some(Proofs::Attestation(vec![proof]));
            let answer = issuer.credential(request, HttpFacts::bearer(&access)).await;
            assert_eq!(answer.is_ok(), accepted, "{typ}: {answer:?}");
        }
    });
}
