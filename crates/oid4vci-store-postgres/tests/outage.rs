//! A database outage mid-test: requests during it get `server_error` with HTTP 503 and
//! `Retry-After`, nothing is half-written, and the pool recovers once the server is back.

mod common;

use common::block;
use oid4vci_issuer::{HttpFacts, IssuerError, OfferSpec, StoreError};
use oid4vci_issuer_testkit::flows::{scenario_issuer, CONFIG};
use oid4vci_store_postgres::test_server::{report_skip, StartError, TestServer, FAST_SETTINGS};
use oid4vci_store_postgres::{PostgresOptions, PostgresStore};
use oid4vci_types::{ErrorCode, TokenRequest};
use std::time::Duration;

fn offer() -> OfferSpec {
    OfferSpec {
        credential_configuration_ids: vec![CONFIG.into()],
        pre_authorized: true,
        claims: Some(serde_json::json!({"age_over_18": true})),
        ..OfferSpec::default()
    }
}

#[test]
fn requests_during_an_outage_get_503_and_the_pool_recovers() {
    const NAME: &str = "requests_during_an_outage_get_503_and_the_pool_recovers";
    // A server of its own: this test stops it.
    let pg = match TestServer::start(FAST_SETTINGS) {
        Ok(pg) => pg,
        Err(StartError::Unavailable(why)) => return report_skip(NAME, &why),
        Err(e) => panic!("{e}"),
    };
    let url = pg.create_database().expect("database");
    let options = PostgresOptions::default()
        .max_connections(4)
        .connect_timeout(Duration::from_secs(2))
        .acquire_timeout(Duration::from_secs(2));
    let store = block(PostgresStore::connect_with(&url, options)).expect("connect");
    let (issuer, _clock) = scenario_issuer(store);
    let before = block(issuer.create_offer(offer())).expect("offer before the outage");
    let code = before.pre_authorized_code().cloned().expect("code");

    pg.stop();
    let refused = block(issuer.token(
        TokenRequest::pre_authorized(code.clone(), None),
        HttpFacts::default(),
    ))
    .expect_err("no database, no token");
    assert_eq!(refused.error_code(), ErrorCode::ServerError);
    assert_eq!(refused.retry_after(), Some(2));
    let text = refused
        .to_error_response()
        .error_description
        .clone()
        .unwrap_or_default();
    assert!(!text.contains("127.0.0.1"), "no backend details: {text}");
    let during = block(issuer.create_offer(offer()));
    assert!(
        matches!(during, Err(IssuerError::Store(StoreError::Unavailable(_)))),
        "{during:?}"
    );
    assert!(
        issuer.nonce().c_nonce.len() > 10,
        "the stateless nonce endpoint keeps working"
    );

    pg.restart().expect("restart");
    // The failed redemption wrote nothing: the code still redeems, exactly once.
    let token = block(issuer.token(
        TokenRequest::pre_authorized(code.clone(), None),
        HttpFacts::default(),
    ))
    .expect("the pool reconnects once the server is back");
    assert_eq!(token.token_type, "Bearer");
    let again = block(issuer.token(
        TokenRequest::pre_authorized(code, None),
        HttpFacts::default(),
    ));
    assert!(again.is_err(), "redeemed once");
    let summary = block(issuer.inspect(&before.session_id)).expect("inspect");
    let kinds: Vec<String> = summary
        .events
        .iter()
        .filter_map(|e| serde_json::to_value(e.kind).ok())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "token_exchanged").count(),
        1,
        "{kinds:?}"
    );
    block(issuer.create_offer(offer())).expect("offers work again");
}
