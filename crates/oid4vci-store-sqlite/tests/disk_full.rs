//! A full disk under the issuer (issue #20), simulated by a database size cap
//! (`SqliteOptions::max_size`, `PRAGMA max_page_count`: SQLite reports the same `SQLITE_FULL`
//! as for a full file system): writes beyond it fail cleanly as `StoreError::Unavailable`
//! (503 with `Retry-After` on the wire), nothing is half-written, everything written before
//! stays readable, and once there is room again (reopened without the cap) `PRAGMA
//! integrity_check` passes and the issuer carries on.

use oid4vci_issuer::{HttpFacts, IssuerError, OfferSpec, StoreError};
use oid4vci_issuer_testkit::flows::{scenario_issuer, CONFIG};
use oid4vci_store_sqlite::{SqliteOptions, SqliteStore};
use oid4vci_types::{ErrorCode, TokenRequest};

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

fn offer() -> OfferSpec {
    OfferSpec {
        credential_configuration_ids: vec![CONFIG.into()],
        pre_authorized: true,
        claims: Some(serde_json::json!({"given_name": "Erika", "padding": "x".repeat(2000)})),
        ..OfferSpec::default()
    }
}

#[test]
fn a_full_database_refuses_cleanly_and_loses_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("issuer.db");
    let capped = SqliteOptions::default().max_size(Some(256 * 1024));
    let store = SqliteStore::open_with(&path, capped).expect("open");
    let (issuer, _clock) = scenario_issuer(store);
    let mut created = Vec::new();
    let refusal = loop {
        match block(issuer.create_offer(offer())) {
            Ok(c) => created.push(c),
            Err(e) => break e,
        }
        assert!(created.len() < 10_000, "the cap never bit");
    };
    assert!(
        matches!(refusal, IssuerError::Store(StoreError::Unavailable(_))),
        "{refusal:?}"
    );
    assert!(created.len() > 10, "{} offers fitted", created.len());
    // Wallets get a clean 503 while the disk is full (a redemption writes the session).
    let mut refused_tokens = 0;
    for c in &created {
        let code = c.pre_authorized_code().cloned().expect("code");
        if let Err(r) = block(issuer.token(
            TokenRequest::pre_authorized(code, None),
            HttpFacts::default(),
        )) {
            assert_eq!(r.error_code(), ErrorCode::ServerError, "{r:?}");
            assert!(r.retry_after().is_some(), "503 with Retry-After: {r:?}");
            refused_tokens += 1;
        }
    }
    // Everything acknowledged reads back.
    for c in &created {
        block(issuer.inspect(&c.session_id)).expect("an acknowledged offer is readable");
    }
    drop(issuer);

    // Room again: the file is sound, nothing was lost, the issuer carries on.
    let store = SqliteStore::open(&path).expect("reopen");
    assert_eq!(store.integrity_check().expect("check"), ["ok"]);
    let (issuer, _clock) = scenario_issuer(store);
    let mut redeemed = 0;
    for c in &created {
        let summary = block(issuer.inspect(&c.session_id)).expect("still there");
        let code = c.pre_authorized_code().cloned().expect("code");
        let token = block(issuer.token(
            TokenRequest::pre_authorized(code, None),
            HttpFacts::default(),
        ));
        match summary.state {
            // Refused while full: nothing was written, so the code redeems now.
            oid4vci_issuer::SessionState::Offered => {
                token.expect("a code refused while full redeems now");
                redeemed += 1;
            }
            // Redeemed while full: once only.
            _ => assert!(token.is_err(), "redeemed twice"),
        }
    }
    assert_eq!(
        redeemed, refused_tokens,
        "every refused redemption left its code unused"
    );
    block(issuer.create_offer(offer())).expect("offers work again");
    eprintln!(
        "disk full: {} offers fitted, {refused_tokens} redemptions refused with 503 while full and redeemed after",
        created.len()
    );
}
