//! Whole-issuance scenarios run against any [`SessionStore`]: the pre-authorized flow, the
//! transaction-code flow with lock-out, deferred issuance, batch issuance, notification, every
//! error path, and the concurrency guarantees (50 concurrent redeemers, exactly one winner).
//! Each scenario asserts the session's event log.

use super::TestWallet;
use oid4vci_issuer::{EventKind, HttpFacts, Issuer, OfferSpec, SessionStore, TxCodeSpec};
use oid4vci_sd_jwt::{DecodedSdJwt, SdJwtVcMinter};
use oid4vci_types::*;
use serde_json::{json, Value};
use std::sync::Arc;

use crate::scenario::block;
pub use crate::scenario::{scenario_issuer, CONFIG, ISSUER, T0};

pub(crate) fn offer(claims: Option<Value>, tx: Option<TxCodeSpec>) -> OfferSpec {
    OfferSpec {
        credential_configuration_ids: vec![CONFIG.into()],
        pre_authorized: true,
        tx_code: tx,
        claims,
        subject_id: Some("subject-1".into()),
        ..OfferSpec::default()
    }
}

pub(crate) fn code_of(created: &oid4vci_issuer::OfferCreated) -> SecretString {
    created
        .pre_authorized_code()
        .cloned()
        .unwrap_or_else(|| SecretString::new(""))
}

pub(crate) fn event_types<S: SessionStore, M: oid4vci_issuer::CredentialMinter>(
    issuer: &Issuer<S, M>,
    id: &str,
) -> Vec<String> {
    let summary = block(issuer.inspect(id)).expect("session exists");
    summary.events.iter().map(|e| e.kind.name()).collect()
}

/// Verifies an SD-JWT VC with [`DecodedSdJwt`]: issuer signature, `cnf.jwk`, and every
/// disclosure's digest in `_sd`.
/// Returns the disclosed claims.
pub fn verify_sd_jwt(
    credential: &str,
    minter: &SdJwtVcMinter,
    holder: &Value,
) -> serde_json::Map<String, Value> {
    let decoded = DecodedSdJwt::decode(credential).expect("the SD-JWT VC decodes");
    decoded
        .verify_signature(minter.public_key())
        .expect("issuer signature verifies");
    assert_eq!(decoded.header["typ"], "dc+sd-jwt");
    let payload = &decoded.payload;
    assert_eq!(payload["iss"], ISSUER);
    assert_eq!(payload["vct"], CONFIG);
    assert_eq!(
        &payload["cnf"]["jwk"], holder,
        "credential is bound to the holder key"
    );
    // Every disclosure's digest is in `_sd` (decode refuses any other).
    let mut claims = serde_json::Map::new();
    for d in decoded.disclosures {
        claims.insert(d.name.expect("a claim name"), d.value);
    }
    claims
}

/// Runs every scenario with fresh stores from `make_store`.
pub fn run_issuer_flows<S: SessionStore, F: Fn() -> S>(make_store: F) {
    pre_authorized_flow(make_store());
    tx_code_flow_with_lockout(make_store());
    deferred_flow(make_store());
    batch_issuance(make_store());
    error_paths(make_store());
    concurrent_token_requests_redeem_once(make_store());
    concurrent_credential_requests_consume_nonce_once(make_store());
    dpop_bound_flow(make_store());
    super::authorization_flows::authorization_code_redeemed_once(make_store());
}

/// Offer by reference → token with authorization_details → nonce → credential → notification.
pub fn pre_authorized_flow<S: SessionStore>(store: S) {
    let (issuer, clock) = scenario_issuer(store);
    let created = block(issuer.create_offer(offer(
        Some(json!({"age_over_18": true, "given_name": "Erika"})),
        None,
    )))
    .expect("offer");
    let offer_id = created.offer_id().expect("offer by reference");
    let fetched = block(issuer.credential_offer(&offer_id)).expect("offer by reference");
    assert_eq!(
        fetched, created.credential_offer,
        "the offer by reference equals the offer by value"
    );

    let mut req = TokenRequest::pre_authorized(code_of(&created), None);
    req.authorization_details = Some(vec![AuthorizationDetail::for_configuration(CONFIG)]);
    let token = block(issuer.token(req, HttpFacts::default())).expect("token");
    assert_eq!(token.expires_in, Some(300));
    let ids = token
        .authorization_details
        .as_ref()
        .and_then(|d| d[0].credential_identifiers.clone())
        .expect("identifiers");
    clock.advance(2);
    let nonce = issuer.nonce().c_nonce;
    let wallet = TestWallet::new();
    let request = CredentialRequest {
        credential: CredentialSelector::Identifier(ids[0].clone()),
        proofs: Some(Proofs::Jwt(vec![wallet.proof(
            ISSUER,
            Some(&nonce),
            T0 + 1,
        )])),
        credential_response_encryption: None,
        extra: Default::default(),
    };
    let response =
        block(issuer.credential(request, HttpFacts::bearer(token.access_token.expose())))
            .map(|r| r.into_json().expect("a plain response"))
            .expect("credential");
    assert!(response.transaction_id.is_none(), "issued, not deferred");
    let credentials = response.credentials.clone().expect("credentials");
    assert_eq!(credentials.len(), 1);
    let claims = verify_sd_jwt(
        credentials[0].credential.as_str().expect("string"),
        issuer.minter(),
        &wallet.public_jwk(),
    );
    assert_eq!(claims.get("given_name"), Some(&json!("Erika")));
    assert_eq!(claims.get("age_over_18"), Some(&json!(true)));

    let note = NotificationRequest {
        notification_id: response.notification_id.clone().expect("notification id"),
        event: NotificationEvent::CredentialAccepted,
        event_description: None,
        extra: Default::default(),
    };
    block(issuer.notification(note.clone(), HttpFacts::bearer(token.access_token.expose())))
        .expect("notification");
    block(issuer.notification(note, HttpFacts::bearer(token.access_token.expose())))
        .expect("notifications are idempotent");
    assert_eq!(
        event_types(&issuer, &created.session_id),
        [
            "offer_created",
            "offer_retrieved",
            "token_exchanged",
            "nonce_issued",
            "credential_issued",
            "notification_received",
            "notification_received"
        ]
    );
    let summary = block(issuer.inspect(&created.session_id)).expect("inspect");
    assert_eq!(summary.state, oid4vci_issuer::SessionState::Notified);
    assert_eq!(
        summary.events[2].details["grant_type"],
        PRE_AUTHORIZED_CODE_GRANT_TYPE
    );
    let shown = format!("{summary:?}");
    assert!(
        !shown.contains(code_of(&created).expose()) && !shown.contains(token.access_token.expose()),
        "no secrets in the summary"
    );
}

/// A wrong transaction code counts an attempt without burning the code; the limit locks it.
pub fn tx_code_flow_with_lockout<S: SessionStore>(store: S) {
    let (issuer, _clock) = scenario_issuer(store);
    let tx = TxCodeSpec {
        length: Some(6),
        max_attempts: Some(3),
        ..TxCodeSpec::default()
    };
    let created =
        block(issuer.create_offer(offer(Some(json!({"a": 1})), Some(tx.clone())))).expect("offer");
    let pin = created.tx_code.clone().expect("tx code value");
    assert_eq!(pin.len(), 6);
    let tx_obj = created
        .credential_offer
        .pre_authorized_code_grant()
        .and_then(|g| g.tx_code.clone())
        .expect("tx_code object");
    assert_eq!(tx_obj.length, Some(6));
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let code = code_of(&created);
    let err = block(issuer.token(
        TokenRequest::pre_authorized(code.clone(), None),
        HttpFacts::default(),
    ))
    .unwrap_err();
    assert_eq!(
        err.error_code(),
        ErrorCode::InvalidRequest,
        "missing tx_code"
    );
    let err = block(issuer.token(
        TokenRequest::pre_authorized(code.clone(), Some(wrong.into())),
        HttpFacts::default(),
    ))
    .unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidGrant, "wrong tx_code");
    assert!(err
        .to_error_response()
        .error_description
        .as_deref()
        .unwrap_or_default()
        .contains("2 attempt"));
    block(issuer.token(
        TokenRequest::pre_authorized(code.clone(), Some(pin.clone().into())),
        HttpFacts::default(),
    ))
    .expect("the right code still works after a wrong one");

    let created =
        block(issuer.create_offer(offer(Some(json!({"a": 1})), Some(tx)))).expect("offer");
    let pin = created.tx_code.clone().expect("pin");
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let code = code_of(&created);
    for _ in 0..3 {
        let err = block(issuer.token(
            TokenRequest::pre_authorized(code.clone(), Some(wrong.into())),
            HttpFacts::default(),
        ))
        .unwrap_err();
        assert_eq!(err.error_code(), ErrorCode::InvalidGrant);
    }
    let err = block(issuer.token(
        TokenRequest::pre_authorized(code, Some(pin.into())),
        HttpFacts::default(),
    ))
    .unwrap_err();
    assert_eq!(
        err.error_code(),
        ErrorCode::InvalidGrant,
        "locked: even the right code fails"
    );
    assert_eq!(
        event_types(&issuer, &created.session_id),
        [
            "offer_created",
            "token_rejected",
            "token_rejected",
            "session_locked",
            "token_rejected",
            "token_rejected"
        ]
    );
    let summary = block(issuer.inspect(&created.session_id)).expect("inspect");
    assert_eq!(summary.state, oid4vci_issuer::SessionState::Locked);
    assert_eq!(summary.events[1].details["error"], "invalid_grant");
}

pub(crate) fn redeem<S: SessionStore, M: oid4vci_issuer::CredentialMinter>(
    issuer: &Issuer<S, M>,
    created: &oid4vci_issuer::OfferCreated,
) -> String {
    let token = block(issuer.token(
        TokenRequest::pre_authorized(code_of(created), None),
        HttpFacts::default(),
    ))
    .expect("token");
    token.access_token.expose().to_owned()
}

/// One whole pre-authorized flow at [`T0`]: an offer of [`CONFIG`] with `claims`, its token, a
/// nonce, and a credential request with one `jwt` proof per fresh wallet key (`proofs` of
/// them). Returns the session id and the credential endpoint's answer.
pub fn request_credentials<S: SessionStore, M: oid4vci_issuer::CredentialMinter>(
    issuer: &Issuer<S, M>,
    claims: Value,
    proofs: usize,
) -> (String, Result<CredentialResponse, oid4vci_issuer::Refusal>) {
    let created = block(issuer.create_offer(offer(Some(claims), None))).expect("offer");
    let token = redeem(issuer, &created);
    let nonce = issuer.nonce().c_nonce;
    let proofs = (0..proofs)
        .map(|_| TestWallet::new().proof(ISSUER, Some(&nonce), T0))
        .collect();
    let response = block(issuer.credential(jwt_request(proofs), HttpFacts::bearer(&token)))
        .map(|r| r.into_json().expect("a plain response"));
    (created.session_id, response)
}

pub(crate) fn jwt_request(proofs: Vec<String>) -> CredentialRequest {
    CredentialRequest::for_configuration(CONFIG, proofs)
}

/// No claims at offer time: 202 with `transaction_id`; pending until claims arrive; then once.
pub fn deferred_flow<S: SessionStore>(store: S) {
    let (issuer, clock) = scenario_issuer(store);
    let created = block(issuer.create_offer(offer(None, None))).expect("offer");
    let token = redeem(&issuer, &created);
    let wallet = TestWallet::new();
    let nonce = issuer.nonce().c_nonce;
    let resp = block(issuer.credential(
        jwt_request(vec![wallet.proof(ISSUER, Some(&nonce), T0)]),
        HttpFacts::bearer(&token),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .expect("deferred");
    assert!(resp.credentials.is_none(), "deferred: no credentials");
    assert_eq!(resp.interval, Some(5));
    let tx = resp.transaction_id.clone().expect("transaction id");
    let pending = block(issuer.deferred_credential(
        DeferredCredentialRequest::new(tx.clone()),
        HttpFacts::bearer(&token),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .expect("pending");
    assert_eq!(
        (
            pending.credentials.is_none(),
            pending.transaction_id.as_deref()
        ),
        (true, Some(tx.as_str()))
    );
    // The operator takes an hour: the access token has expired for new credential requests, but
    // still collects what it requested (and sends the notification).
    clock.advance(3600);
    let nonce = issuer.nonce().c_nonce;
    let late = block(issuer.credential(
        jwt_request(vec![wallet.proof(ISSUER, Some(&nonce), T0 + 3600)]),
        HttpFacts::bearer(&token),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .unwrap_err();
    assert_eq!(
        late.error_code(),
        ErrorCode::InvalidToken,
        "expired for new requests"
    );
    block(issuer.submit_claims(&created.session_id, CONFIG, json!({"age_over_18": true})))
        .expect("claims");
    let ready = block(issuer.deferred_credential(
        DeferredCredentialRequest::new(tx.clone()),
        HttpFacts::bearer(&token),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .expect("ready");
    assert!(
        ready.transaction_id.is_none(),
        "collected, no longer deferred"
    );
    let cred = ready.credentials.as_ref().expect("credentials")[0]
        .credential
        .as_str()
        .expect("string")
        .to_owned();
    verify_sd_jwt(&cred, issuer.minter(), &wallet.public_jwk());
    let again = block(issuer.deferred_credential(
        DeferredCredentialRequest::new(tx),
        HttpFacts::bearer(&token),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .unwrap_err();
    assert_eq!(
        again.error_code(),
        ErrorCode::InvalidTransactionId,
        "a transaction id is used once"
    );
    assert!(block(issuer.submit_claims(&created.session_id, "other", json!({}))).is_err());
    assert_eq!(
        event_types(&issuer, &created.session_id),
        [
            "offer_created",
            "token_exchanged",
            "nonce_issued",
            "credential_deferred",
            "deferred_pending",
            "claims_submitted",
            "deferred_credential_issued",
            "deferred_rejected"
        ]
    );
}

/// Several proofs with one nonce: one credential per key; more than `batch_size` is refused.
pub fn batch_issuance<S: SessionStore>(store: S) {
    let (issuer, _clock) = scenario_issuer(store);
    let created = block(issuer.create_offer(offer(Some(json!({"a": 1})), None))).expect("offer");
    let token = redeem(&issuer, &created);
    let wallets: Vec<TestWallet> = (0..4).map(|_| TestWallet::new()).collect();
    let nonce = issuer.nonce().c_nonce;
    let too_many: Vec<String> = wallets
        .iter()
        .map(|w| w.proof(ISSUER, Some(&nonce), T0))
        .collect();
    let err = block(issuer.credential(jwt_request(too_many), HttpFacts::bearer(&token)))
        .map(|r| r.into_json().expect("a plain response"))
        .unwrap_err();
    assert_eq!(
        err.error_code(),
        ErrorCode::InvalidProof,
        "more proofs than batch_size"
    );
    let nonce = issuer.nonce().c_nonce;
    let proofs: Vec<String> = wallets[..3]
        .iter()
        .map(|w| w.proof(ISSUER, Some(&nonce), T0))
        .collect();
    let resp = block(issuer.credential(jwt_request(proofs), HttpFacts::bearer(&token)))
        .map(|r| r.into_json().expect("a plain response"))
        .expect("batch");
    let creds = resp.credentials.expect("credentials");
    assert_eq!(creds.len(), 3);
    for (cred, wallet) in creds.iter().zip(&wallets) {
        verify_sd_jwt(
            cred.credential.as_str().expect("string"),
            issuer.minter(),
            &wallet.public_jwk(),
        );
    }
    assert_batch_unlinkable(&creds);
    let summary = block(issuer.inspect(&created.session_id)).expect("inspect");
    let issued = summary
        .events
        .iter()
        .find(|e| e.kind == EventKind::CredentialIssued)
        .expect("issued event");
    assert_eq!(issued.details["count"], 3);
}

/// The credentials of a batch cannot be linked (RFC 9901 §10.1; the OIDF batch module): distinct
/// holder keys and salts, and time claims rounded to the hour, so they carry no precise issuance
/// time (the scenario clock, [`T0`], is not on an hour boundary).
pub fn assert_batch_unlinkable(credentials: &[oid4vci_types::IssuedCredential]) {
    let mut keys = std::collections::BTreeSet::new();
    let mut salts = std::collections::BTreeSet::new();
    let mut salt_count = 0;
    let mut times = std::collections::BTreeSet::new();
    for credential in credentials {
        let text = credential.credential.as_str().expect("SD-JWT VC");
        let decoded = DecodedSdJwt::decode(text).expect("the SD-JWT VC decodes");
        let payload = &decoded.payload;
        keys.insert(payload["cnf"]["jwk"].to_string());
        let iat = payload["iat"].as_u64().expect("iat");
        let exp = payload["exp"].as_u64().expect("exp");
        assert_eq!(iat % 3600, 0, "iat is rounded to the hour");
        assert_eq!(exp % 3600, 0, "exp is rounded to the hour");
        assert!(iat <= T0 && T0 - iat < 3600, "iat is the hour of issuance");
        times.insert((iat, exp));
        for disclosure in decoded.disclosures {
            salts.insert(disclosure.salt);
            salt_count += 1;
        }
    }
    assert_eq!(
        keys.len(),
        credentials.len(),
        "one holder key per credential"
    );
    assert_eq!(
        salts.len(),
        salt_count,
        "no salt is used twice in the batch"
    );
    assert_eq!(times.len(), 1, "the batch shares its rounded time claims");
}

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

/// 50 concurrent token requests with one pre-authorized code: exactly one access token, and
/// every request is in the log.
pub fn concurrent_token_requests_redeem_once<S: SessionStore>(store: S) {
    let (issuer, _clock) = scenario_issuer(store);
    let issuer = Arc::new(issuer);
    let created = block(issuer.create_offer(offer(Some(json!({"a": 1})), None))).expect("offer");
    let code = code_of(&created);
    let winners = super::count_successes(|_| {
        let request = TokenRequest::pre_authorized(code.clone(), None);
        block(issuer.token(request, HttpFacts::default())).is_ok()
    });
    assert_eq!(
        winners, 1,
        "exactly one access token for one pre-authorized code"
    );
    let types = event_types(issuer.as_ref(), &created.session_id);
    assert_eq!(types.iter().filter(|t| *t == "token_exchanged").count(), 1);
    assert_eq!(
        types.iter().filter(|t| *t == "token_rejected").count(),
        super::CONCURRENT_CALLERS - 1,
        "no lost events"
    );
}

/// 50 concurrent credential requests with one nonce: exactly one credential.
pub fn concurrent_credential_requests_consume_nonce_once<S: SessionStore>(store: S) {
    let (issuer, _clock) = scenario_issuer(store);
    let issuer = Arc::new(issuer);
    let created = block(issuer.create_offer(offer(Some(json!({"a": 1})), None))).expect("offer");
    let token = redeem(&issuer, &created);
    let nonce = issuer.nonce().c_nonce;
    let wallet = TestWallet::new();
    let proof = wallet.proof(ISSUER, Some(&nonce), T0);
    let winners = super::count_successes(|_| {
        let request = jwt_request(vec![proof.clone()]);
        block(issuer.credential(request, HttpFacts::bearer(&token)))
            .map(|r| r.into_json().expect("a plain response"))
            .is_ok()
    });
    assert_eq!(winners, 1, "exactly one credential for one nonce");
    let types = event_types(issuer.as_ref(), &created.session_id);
    assert_eq!(
        types.iter().filter(|t| *t == "credential_issued").count(),
        1
    );
    assert_eq!(
        types.iter().filter(|t| *t == "proof_rejected").count(),
        super::CONCURRENT_CALLERS - 1,
        "no lost events"
    );
}

/// `dpop_required`: the token is bound to the wallet's DPoP key, and every request with it needs a
/// fresh DPoP proof by that key with the token's hash (RFC 9449).
pub fn dpop_bound_flow<S: SessionStore>(store: S) {
    let (issuer, _clock) = scenario_issuer(store);
    let mut spec = offer(Some(json!({"a": 1})), None);
    spec.flags.dpop_required = true;
    let created = block(issuer.create_offer(spec)).expect("offer");
    let code = code_of(&created);
    let wallet = TestWallet::new();
    let token_url = format!("{ISSUER}/token");
    let no_dpop = block(issuer.token(
        TokenRequest::pre_authorized(code.clone(), None),
        HttpFacts::default(),
    ))
    .unwrap_err();
    assert_eq!(
        no_dpop.error_code(),
        ErrorCode::InvalidDpopProof,
        "dpop_required without a DPoP proof"
    );
    let wrong_htu = HttpFacts {
        dpop: Some(wallet.dpop_proof("https://evil.example/token", None, T0)),
        ..HttpFacts::default()
    };
    let err = block(issuer.token(TokenRequest::pre_authorized(code.clone(), None), wrong_htu))
        .unwrap_err();
    assert_eq!(
        err.error_code(),
        ErrorCode::InvalidDpopProof,
        "htu must be the token endpoint"
    );
    let facts = HttpFacts {
        dpop: Some(wallet.dpop_proof(&token_url, None, T0)),
        ..HttpFacts::default()
    };
    let token =
        block(issuer.token(TokenRequest::pre_authorized(code, None), facts)).expect("DPoP token");
    assert_eq!(token.token_type, "DPoP");
    let access = token.access_token.expose().to_owned();

    let url = format!("{ISSUER}/credential");
    let request = |nonce: &str| jwt_request(vec![wallet.proof(ISSUER, Some(nonce), T0)]);
    let bearer =
        block(issuer.credential(request(&issuer.nonce().c_nonce), HttpFacts::bearer(&access)))
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err();
    assert_eq!(
        bearer.error_code(),
        ErrorCode::InvalidToken,
        "a DPoP-bound token is refused with the Bearer scheme"
    );
    let no_proof = HttpFacts {
        access_token: Some(oid4vci_issuer::AccessToken::dpop(&access)),
        ..HttpFacts::default()
    };
    assert_eq!(
        block(issuer.credential(request(&issuer.nonce().c_nonce), no_proof))
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err()
            .error_code(),
        ErrorCode::InvalidDpopProof
    );
    let other_key = HttpFacts::dpop(
        &access,
        &TestWallet::new().dpop_proof(&url, Some(&access), T0),
    );
    assert_eq!(
        block(issuer.credential(request(&issuer.nonce().c_nonce), other_key))
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err()
            .error_code(),
        ErrorCode::InvalidDpopProof
    );
    let no_ath = HttpFacts::dpop(&access, &wallet.dpop_proof(&url, None, T0));
    assert_eq!(
        block(issuer.credential(request(&issuer.nonce().c_nonce), no_ath))
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err()
            .error_code(),
        ErrorCode::InvalidDpopProof
    );
    let proof = wallet.dpop_proof(&url, Some(&access), T0);
    block(issuer.credential(
        request(&issuer.nonce().c_nonce),
        HttpFacts::dpop(&access, &proof),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .expect("credential with DPoP");
    let replay = block(issuer.credential(
        request(&issuer.nonce().c_nonce),
        HttpFacts::dpop(&access, &proof),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .unwrap_err();
    assert_eq!(
        replay.error_code(),
        ErrorCode::InvalidDpopProof,
        "a DPoP proof is single-use"
    );

    let types = event_types(&issuer, &created.session_id);
    assert_eq!(
        types,
        [
            "offer_created",
            "token_rejected",
            "token_rejected",
            "token_exchanged",
            "nonce_issued",
            "credential_issued",
            // The replayed proof is caught by the request's commit, which logs it.
            "credential_rejected"
        ]
    );
    let summary = block(issuer.inspect(&created.session_id)).expect("inspect");
    assert_eq!(summary.events[3].details["token_type"], "DPoP");
    assert_eq!(summary.events[6].details["error"], "invalid_dpop_proof");

    // An unbound (Bearer) token sent with the DPoP scheme is refused too.
    let plain = block(issuer.create_offer(offer(Some(json!({"a": 1})), None))).expect("offer");
    let bearer_token = redeem(&issuer, &plain);
    let dpop_scheme = HttpFacts::dpop(
        &bearer_token,
        &wallet.dpop_proof(&url, Some(&bearer_token), T0),
    );
    assert_eq!(
        block(issuer.credential(request(&issuer.nonce().c_nonce), dpop_scheme))
            .map(|r| r.into_json().expect("a plain response"))
            .unwrap_err()
            .error_code(),
        ErrorCode::InvalidToken
    );
}
