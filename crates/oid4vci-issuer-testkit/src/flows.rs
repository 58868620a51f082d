//! Whole-issuance scenarios run against any [`SessionStore`]: the pre-authorized flow, the
//! transaction-code flow with lock-out, deferred issuance, batch issuance, notification, every
//! error path, and the concurrency guarantees (50 concurrent redeemers, exactly one winner).
//! Each scenario asserts the session's event log.

use super::TestWallet;
use oid4vci_issuer::{EventKind, HttpFacts, SessionStore, TxCodeSpec};
use oid4vci_sd_jwt::{DecodedSdJwt, SdJwtVcMinter};
use oid4vci_types::*;
use serde_json::{json, Value};

pub use crate::error_flows::error_paths;
pub use crate::guarantee_flows::{
    concurrent_credential_requests_consume_nonce_once, concurrent_token_requests_redeem_once,
    dpop_bound_flow,
};
use crate::scenario::block;
pub use crate::scenario::{scenario_issuer, CONFIG, ISSUER, T0};
pub use crate::steps::request_credentials;
pub(crate) use crate::steps::{code_of, event_types, jwt_request, offer, redeem};

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
