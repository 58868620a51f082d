//! PostgreSQL faults under the issuer (issue #20): a statement timeout firing while a table is
//! locked, and the server terminating the store's connections mid-request. Each refused request
//! is a clean `server_error` with `Retry-After` (HTTP 503), nothing is half-written, and what
//! was acknowledged stays. (A server restart is `outage.rs`.)

mod common;

use common::{block, server};
use oid4vci_issuer::{HttpFacts, OfferSpec, SessionState};
use oid4vci_issuer_testkit::flows::{scenario_issuer, CONFIG, ISSUER};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_store_postgres::{PostgresOptions, PostgresStore};
use oid4vci_types::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

fn offer() -> OfferSpec {
    OfferSpec {
        credential_configuration_ids: vec![CONFIG.into()],
        pre_authorized: true,
        claims: Some(serde_json::json!({"age_over_18": true})),
        ..OfferSpec::default()
    }
}

fn store(url: &str, options: PostgresOptions) -> PostgresStore {
    block(PostgresStore::connect_with(url, options)).expect("connect")
}

#[test]
fn a_statement_timeout_is_a_clean_503_and_writes_nothing() {
    let Some(pg) = server("a_statement_timeout_is_a_clean_503_and_writes_nothing") else {
        return;
    };
    let url = pg.create_database().expect("database");
    let options = PostgresOptions::default()
        .max_connections(4)
        .statement_timeout(Some(Duration::from_millis(300)));
    let (issuer, _clock) = scenario_issuer(store(&url, options));
    let created = block(issuer.create_offer(offer())).expect("offer");
    let code = created.pre_authorized_code().cloned().expect("code");
    // Another client holds the sessions table for two seconds.
    let locker = std::thread::scope(|scope| {
        let held = scope.spawn(|| {
            pg.psql(
                &url,
                "BEGIN; LOCK TABLE oid4vci_sessions IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;",
            )
        });
        std::thread::sleep(Duration::from_millis(500));
        let refused = block(issuer.token(
            TokenRequest::pre_authorized(code.clone(), None),
            HttpFacts::default(),
        ))
        .expect_err("the statement times out behind the lock");
        assert_eq!(refused.error_code(), ErrorCode::ServerError);
        assert!(refused.retry_after().is_some(), "503 with Retry-After");
        let text = refused.description().to_owned();
        assert!(
            !text.contains("oid4vci_sessions"),
            "no backend details: {text}"
        );
        held.join()
    });
    locker.expect("the locking client").expect("psql");
    // The timed-out redemption wrote nothing: the code redeems now, once.
    let token = block(issuer.token(
        TokenRequest::pre_authorized(code.clone(), None),
        HttpFacts::default(),
    ))
    .expect("the code still redeems");
    assert_eq!(token.token_type, "Bearer");
    assert!(block(issuer.token(
        TokenRequest::pre_authorized(code, None),
        HttpFacts::default()
    ))
    .is_err());
    let summary = block(issuer.inspect(&created.session_id)).expect("inspect");
    assert_eq!(summary.state, SessionState::TokenIssued);
}

#[derive(Default)]
struct Acks {
    tokens: Vec<String>,
    credentials: Vec<String>,
}

#[test]
fn terminated_connections_mid_request_lose_nothing_acknowledged() {
    let Some(pg) = server("terminated_connections_mid_request_lose_nothing_acknowledged") else {
        return;
    };
    let url = pg.create_database().expect("database");
    let options = PostgresOptions::default()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(2));
    let (issuer, _clock) = scenario_issuer(store(&url, options));
    let acks = Mutex::new(Acks::default());
    let (stop, refusals, other_errors) = (
        AtomicBool::new(false),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let note = |result: Result<(), oid4vci_issuer::Refusal>| {
        if let Err(r) = result {
            if r.error_code() == ErrorCode::ServerError && r.retry_after().is_some() {
                refusals.fetch_add(1, Ordering::Relaxed);
            } else {
                eprintln!("unexpected refusal: {r:?}");
                other_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(created) = block(issuer.create_offer(offer())) else {
                        refusals.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    let code = created.pre_authorized_code().cloned().expect("code");
                    let token = block(issuer.token(
                        TokenRequest::pre_authorized(code, None),
                        HttpFacts::default(),
                    ));
                    let Ok(token) = token else {
                        note(token.map(|_| ()));
                        continue;
                    };
                    let access = token.access_token.expose().to_owned();
                    acks.lock()
                        .expect("acks")
                        .tokens
                        .push(created.session_id.clone());
                    let nonce = issuer.nonce().c_nonce;
                    let proof = TestWallet::new().proof(ISSUER, Some(&nonce), 1_780_000_000);
                    let request = CredentialRequest {
                        credential: CredentialSelector::ConfigurationId(CONFIG.into()),
                        proofs: Some(Proofs::Jwt(vec![proof])),
                        credential_response_encryption: None,
                        extra: Default::default(),
                    };
                    match block(issuer.credential(request, HttpFacts::bearer(&access))) {
                        Ok(_) => acks
                            .lock()
                            .expect("acks")
                            .credentials
                            .push(created.session_id),
                        Err(r) => note(Err(r)),
                    }
                }
            });
        }
        // The server cuts every connection of the store, ten times.
        for _ in 0..10 {
            std::thread::sleep(Duration::from_millis(150));
            let _ = pg.psql(
                &url,
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            );
        }
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
    });
    let acks = acks.into_inner().expect("acks");
    eprintln!(
        "terminations: {} tokens and {} credentials acknowledged, {} clean 503s, {} other errors",
        acks.tokens.len(),
        acks.credentials.len(),
        refusals.load(Ordering::Relaxed),
        other_errors.load(Ordering::Relaxed)
    );
    assert_eq!(other_errors.load(Ordering::Relaxed), 0, "only clean 503s");
    assert!(
        refusals.load(Ordering::Relaxed) > 0,
        "the terminations hit requests"
    );
    assert!(
        !acks.credentials.is_empty(),
        "and requests went through between them"
    );
    for id in &acks.tokens {
        let state = block(issuer.inspect(id))
            .expect("an acknowledged session")
            .state;
        assert_ne!(
            state,
            SessionState::Offered,
            "{id}: acknowledged token lost"
        );
    }
    for id in &acks.credentials {
        let state = block(issuer.inspect(id))
            .expect("an acknowledged session")
            .state;
        assert_eq!(
            state,
            SessionState::Issued,
            "{id}: acknowledged credential lost"
        );
    }
    block(issuer.create_offer(offer())).expect("the pool recovers");
}
