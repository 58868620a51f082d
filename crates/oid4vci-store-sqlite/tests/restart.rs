//! Sessions survive a process restart: what one `Issuer` + `SqliteStore` wrote, a new store on the
//! same file and a new `Issuer` (same server key) redeem. Each "process" drops its issuer and
//! store (closing the connection) before the next one opens the file.

use oid4vci_issuer::{HttpFacts, Issuer, OfferSpec};
use oid4vci_issuer_testkit::flows::{scenario_issuer, verify_sd_jwt, CONFIG, ISSUER, T0};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_store_sqlite::SqliteStore;
use oid4vci_types::{CredentialRequest, ErrorCode, SecretString, TokenRequest};
use serde_json::json;
use std::path::Path;

const SERVER_KEY: [u8; 32] = [7u8; 32];

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// One "process": a fresh connection to the file and a fresh issuer with the persisted key.
fn start(path: &Path) -> Issuer<SqliteStore, SdJwtVcMinter> {
    let store = SqliteStore::open(path).expect("open the database file");
    let (issuer, _clock) = scenario_issuer(store);
    issuer.with_server_key(SERVER_KEY)
}

fn offer_spec() -> OfferSpec {
    OfferSpec {
        credential_configuration_ids: vec![CONFIG.into()],
        pre_authorized: true,
        claims: Some(json!({"given_name": "Erika", "age_over_18": true})),
        subject_id: Some("subject-1".into()),
        ..OfferSpec::default()
    }
}

fn code_of(created: &oid4vci_issuer::OfferCreated) -> SecretString {
    created
        .pre_authorized_code()
        .cloned()
        .expect("pre-authorized code")
}

fn event_types(issuer: &Issuer<SqliteStore, SdJwtVcMinter>, id: &str) -> Vec<String> {
    block(issuer.inspect(id))
        .expect("session")
        .events
        .iter()
        .map(|e| {
            serde_json::to_value(e.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn a_session_created_before_a_restart_is_redeemed_after_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("issuer.db");

    let first = start(&path);
    let created = block(first.create_offer(offer_spec())).expect("offer");
    drop(first);

    let second = start(&path);
    let offer_id = created.offer_id().expect("offer by reference");
    let fetched = block(second.credential_offer(&offer_id)).expect("offer by reference");
    assert_eq!(
        fetched, created.credential_offer,
        "the offer (and its code, derived from the server key) is the same after the restart"
    );
    let token = block(second.token(
        TokenRequest::pre_authorized(code_of(&created), None),
        HttpFacts::default(),
    ))
    .expect("token after restart");
    let nonce = second.nonce().c_nonce;
    let wallet = TestWallet::new();
    let request =
        CredentialRequest::for_configuration(CONFIG, vec![wallet.proof(ISSUER, Some(&nonce), T0)]);
    let response =
        block(second.credential(request, HttpFacts::bearer(token.access_token.expose())))
            .map(|r| r.into_json().expect("a plain response"))
            .expect("credential after restart");
    let credentials = response.credentials.expect("credentials");
    let claims = verify_sd_jwt(
        credentials[0].credential.as_str().expect("string"),
        second.minter(),
        &wallet.public_jwk(),
    );
    assert_eq!(claims.get("given_name"), Some(&json!("Erika")));
    assert_eq!(
        event_types(&second, &created.session_id),
        [
            "offer_created",
            "offer_retrieved",
            "token_exchanged",
            "nonce_issued",
            "credential_issued"
        ],
        "the log spans both processes"
    );
}

#[test]
fn a_token_and_nonce_from_before_a_restart_work_after_it_and_the_nonce_stays_consumed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("issuer.db");

    let first = start(&path);
    let created = block(first.create_offer(offer_spec())).expect("offer");
    let token = block(first.token(
        TokenRequest::pre_authorized(code_of(&created), None),
        HttpFacts::default(),
    ))
    .expect("token");
    let access_token = token.access_token.expose().to_owned();
    let nonce = first.nonce().c_nonce;
    drop(first);

    let wallet = TestWallet::new();
    let proof = wallet.proof(ISSUER, Some(&nonce), T0);
    let second = start(&path);
    let response = block(second.credential(
        CredentialRequest::for_configuration(CONFIG, vec![proof.clone()]),
        HttpFacts::bearer(&access_token),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .expect("the access token and nonce of the first process are accepted");
    verify_sd_jwt(
        response.credentials.expect("credentials")[0]
            .credential
            .as_str()
            .expect("string"),
        second.minter(),
        &wallet.public_jwk(),
    );
    drop(second);

    let third = start(&path);
    let replay = block(third.credential(
        CredentialRequest::for_configuration(CONFIG, vec![proof]),
        HttpFacts::bearer(&access_token),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .expect_err("replayed nonce");
    assert_eq!(
        replay.error_code(),
        ErrorCode::InvalidNonce,
        "consumed nonces are durable"
    );
    let again = block(third.token(
        TokenRequest::pre_authorized(code_of(&created), None),
        HttpFacts::default(),
    ))
    .expect_err("code reuse");
    assert_eq!(
        again.error_code(),
        ErrorCode::InvalidGrant,
        "the code stays redeemed"
    );
}
