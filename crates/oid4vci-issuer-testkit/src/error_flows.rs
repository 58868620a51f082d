//! Every error path of the issuance endpoints, each with the error the wallet gets and the
//! event the session logs.

use crate::scenario::{block, scenario_issuer, ISSUER, T0};
use crate::steps::{code_of, event_types, jwt_request, offer};
use crate::TestWallet;
use oid4vci_issuer::{EventKind, HttpFacts, SessionStore};
use oid4vci_types::*;
use serde_json::{json, Value};

/// Every refusal gets the spec's error and lands in the log.
pub fn error_paths<S: SessionStore>(store: S) {
    let (issuer, clock) = scenario_issuer(store);
    let created = block(issuer.create_offer(offer(Some(json!({"a": 1})), None))).expect("offer");
    let code = code_of(&created);
    let unknown = block(issuer.token(
        TokenRequest::pre_authorized("nope", None),
        HttpFacts::default(),
    ))
    .unwrap_err();
    assert_eq!(unknown.error_code(), ErrorCode::InvalidGrant);
    let err = block(issuer.token(
        TokenRequest::pre_authorized(code.clone(), Some("1234".into())),
        HttpFacts::default(),
    ))
    .unwrap_err();
    assert_eq!(
        err.error_code(),
        ErrorCode::InvalidRequest,
        "tx_code sent but not expected"
    );
    let token = block(issuer.token(
        TokenRequest::pre_authorized(code.clone(), None),
        HttpFacts::default(),
    ))
    .expect("token");
    let token = token.access_token.expose().to_owned();
    let reuse = block(issuer.token(
        TokenRequest::pre_authorized(code, None),
        HttpFacts::default(),
    ))
    .unwrap_err();
    assert_eq!(reuse.error_code(), ErrorCode::InvalidGrant, "code reuse");

    let expired = block(issuer.create_offer(offer(Some(json!({"a": 1})), None))).expect("offer");
    clock.advance(601);
    let err = block(issuer.token(
        TokenRequest::pre_authorized(code_of(&expired), None),
        HttpFacts::default(),
    ))
    .unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidGrant, "expired code");
    clock.set(T0 + 10);

    let wallet = TestWallet::new();
    let proof = |nonce: &str| wallet.proof(ISSUER, Some(nonce), T0 + 10);
    let missing = block(issuer.credential(
        jwt_request(vec![proof(&issuer.nonce().c_nonce)]),
        HttpFacts::default(),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .unwrap_err();
    assert_eq!(
        (missing.error_code(), missing.retry_after()),
        (ErrorCode::InvalidToken, None)
    );
    let bad = block(issuer.credential(
        jwt_request(vec![proof(&issuer.nonce().c_nonce)]),
        HttpFacts::bearer("forged"),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .unwrap_err();
    assert_eq!(bad.error_code(), ErrorCode::InvalidToken);
    let basic = HttpFacts {
        access_token: Some(oid4vci_issuer::AccessToken {
            scheme: oid4vci_issuer::TokenScheme::Other("Basic".into()),
            value: token.clone(),
        }),
        ..HttpFacts::default()
    };
    assert_eq!(
        block(issuer.credential(jwt_request(vec![proof(&issuer.nonce().c_nonce)]), basic))
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err()
            .error_code(),
        ErrorCode::InvalidToken
    );

    let facts = HttpFacts::bearer(&token);
    let unknown_cfg = CredentialRequest::for_configuration(
        "NoSuchCredential",
        vec![proof(&issuer.nonce().c_nonce)],
    );
    assert_eq!(
        block(issuer.credential(unknown_cfg, facts.clone()))
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err()
            .error_code(),
        ErrorCode::UnknownCredentialConfiguration
    );
    let by_identifier = CredentialRequest {
        credential: CredentialSelector::Identifier("x".into()),
        proofs: Some(Proofs::Jwt(vec![proof(&issuer.nonce().c_nonce)])),
        credential_response_encryption: None,
        extra: Default::default(),
    };
    assert_eq!(
        block(issuer.credential(by_identifier, facts.clone()))
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err()
            .error_code(),
        ErrorCode::UnknownCredentialIdentifier,
        "a credential_identifier the token did not issue (it issued none)"
    );
    let no_proof = block(issuer.credential(jwt_request(vec![]), facts.clone()))
        .map(|r| r.into_json().expect("a plain response"))
        .unwrap_err();
    assert_eq!(
        no_proof.error_code(),
        ErrorCode::InvalidProof,
        "missing proofs"
    );
    let wrong_aud = block(issuer.credential(
        jwt_request(vec![wallet.proof(
            "https://other.example",
            Some(&issuer.nonce().c_nonce),
            T0 + 10,
        )]),
        facts.clone(),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .unwrap_err();
    assert_eq!(wrong_aud.error_code(), ErrorCode::InvalidProof);
    assert_eq!(
        wrong_aud.to_error_response().extra["diagnostic"]["code"],
        "invalid_audience"
    );
    assert!(
        wrong_aud.to_error_response().c_nonce.is_some(),
        "draft-13 wallets get a fresh c_nonce with proof errors"
    );
    let forged_nonce =
        block(issuer.credential(jwt_request(vec![proof("forged-nonce")]), facts.clone()))
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err();
    assert_eq!(forged_nonce.error_code(), ErrorCode::InvalidNonce);

    let nonce = issuer.nonce().c_nonce;
    block(issuer.credential(jwt_request(vec![proof(&nonce)]), facts.clone()))
        .map(|r| r.into_json().expect("a plain response"))
        .expect("first use of the nonce");
    let replay = block(issuer.credential(jwt_request(vec![proof(&nonce)]), facts.clone()))
        .map(|r| r.into_json().expect("a plain response"))
        .unwrap_err();
    assert_eq!(replay.error_code(), ErrorCode::InvalidNonce, "nonce replay");

    let note = NotificationRequest {
        notification_id: "unknown".into(),
        event: NotificationEvent::CredentialFailure,
        event_description: None,
        extra: Default::default(),
    };
    assert_eq!(
        block(issuer.notification(note, facts.clone()))
            .unwrap_err()
            .error_code(),
        ErrorCode::InvalidNotificationId
    );
    assert_eq!(
        block(issuer.deferred_credential(DeferredCredentialRequest::new("nope"), facts))
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err()
            .error_code(),
        ErrorCode::InvalidTransactionId
    );
    clock.advance(301);
    let late = block(issuer.credential(
        jwt_request(vec![proof(&issuer.nonce().c_nonce)]),
        HttpFacts::bearer(&token),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .unwrap_err();
    assert_eq!(
        late.error_code(),
        ErrorCode::InvalidToken,
        "expired access token"
    );

    let types = event_types(&issuer, &created.session_id);
    assert_eq!(
        types,
        [
            "offer_created",
            "token_rejected",
            "token_exchanged",
            "nonce_issued",
            "token_rejected",
            "credential_rejected",
            "credential_rejected",
            "proof_rejected",
            "proof_rejected",
            "proof_rejected",
            "credential_issued",
            "proof_rejected",
            "notification_rejected",
            "deferred_rejected",
        ]
    );
    let summary = block(issuer.inspect(&created.session_id)).expect("inspect");
    let codes: Vec<&Value> = summary
        .events
        .iter()
        .filter(|e| e.kind == EventKind::ProofRejected)
        .map(|e| &e.details["code"])
        .collect();
    assert_eq!(
        codes,
        [
            &json!("missing_proofs"),
            &json!("invalid_audience"),
            &json!("invalid_nonce"),
            &json!("invalid_nonce")
        ]
    );
}
