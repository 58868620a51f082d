//! The steps the scenarios share: an offer of [`CONFIG`], redeeming its code, requesting
//! credentials with fresh wallet keys, reading the session's event names.

use crate::scenario::{block, CONFIG, ISSUER, T0};
use crate::TestWallet;
use oid4vci_issuer::{HttpFacts, Issuer, OfferSpec, SessionStore, TxCodeSpec};
use oid4vci_types::*;
use serde_json::Value;

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
