//! The guarantees under concurrency (one pre-authorized code, one nonce: exactly one winner of
//! 50, and no lost events) and the DPoP-bound flow.

use crate::scenario::{block, scenario_issuer, ISSUER, T0};
use crate::steps::{code_of, event_types, jwt_request, offer, redeem};
use crate::TestWallet;
use oid4vci_issuer::{HttpFacts, SessionStore};
use oid4vci_types::*;
use serde_json::json;
use std::sync::Arc;

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
