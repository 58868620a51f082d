//! Sample sessions for the contract suites.

use oid4vci_issuer::SecretHash;
use oid4vci_issuer::{
    AuthorizationState, AuthorizationStep, PreAuthorizedGrantState, Session, SessionFlags,
    SessionState,
};
use std::collections::BTreeMap;

/// A minimal offered session with a pre-authorized code hash derived from `id`.
pub fn sample_session(id: &str, now: u64) -> Session {
    Session {
        id: id.to_owned(),
        version: 0,
        credential_issuer: "https://issuer.example.com".into(),
        configuration_ids: vec!["eu.europa.ec.av.1".into()],
        pre_authorized: Some(PreAuthorizedGrantState {
            code_hash: SecretHash::of(&format!("code-{id}")),
            tx_code: None,
            tx_code_hash: None,
            failed_tx_attempts: 0,
            max_tx_attempts: 3,
            redeemed: false,
        }),
        issuer_state: None,
        offer_id_hash: Some(SecretHash::of(&format!("offer-{id}"))),
        claims: BTreeMap::new(),
        subject_id: None,
        flags: SessionFlags::default(),
        state: SessionState::Offered,
        created_at: now,
        offer_expires_at: now + 600,
        expires_at: now + 3600,
        access: None,
        deferred: Vec::new(),
        notification_hashes: Vec::new(),
        events: Vec::new(),
        events_dropped: 0,
        refresh: None,
        authorization: None,
    }
}

/// A session with a pushed authorization request behind the `request_uri` `uri`.
pub fn sample_authorization_session(id: &str, uri: &str, now: u64) -> Session {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let body = format!(
        "response_type=code&client_id=wallet&redirect_uri=https%3A%2F%2Fwallet.example%2Fcb&code_challenge_method=S256&code_challenge={}",
        oid4vci_authorization::CodeChallenge::of_verifier(verifier).as_str()
    );
    let request = oid4vci_authorization::AuthorizationRequest::from_form(
        body.as_bytes(),
        &Default::default(),
    )
    .expect("a valid sample request");
    let mut s = sample_session(id, now);
    s.pre_authorized = None;
    s.offer_id_hash = None;
    s.state = SessionState::AuthorizationRequested;
    s.authorization = Some(AuthorizationState {
        request,
        configuration_ids: s.configuration_ids.clone(),
        from_offer: false,
        wallet_attested: false,
        step: AuthorizationStep::Requested {
            request_uri_hash: SecretHash::of(uri),
            request_uri_expires_at: now + 60,
            form_token_hash: None,
            login_expires_at: 0,
            failed_logins: 0,
        },
    });
    s
}
