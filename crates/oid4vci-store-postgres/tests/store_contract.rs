//! The `SessionStore` contract suite and the issuer's flow scenarios on a real PostgreSQL server.

mod common;

use common::{block, connect, fresh_store, server};
use oid4vci_issuer::{LookupKind, SecretHash, SessionStore, StoreError};
use oid4vci_issuer_testkit::{
    count_successes, flows, run_commit_contract, run_listing_contract, run_store_contract,
    sample_session,
};

#[test]
fn postgres_store_keeps_the_store_contract() {
    let Some(pg) = server("postgres_store_keeps_the_store_contract") else {
        return;
    };
    run_store_contract(|| fresh_store(pg));
}

#[test]
fn postgres_store_lists_sessions() {
    let Some(pg) = server("postgres_store_lists_sessions") else {
        return;
    };
    run_listing_contract(|| fresh_store(pg));
}

#[test]
fn postgres_store_commits_a_request_whole() {
    let Some(pg) = server("postgres_store_commits_a_request_whole") else {
        return;
    };
    run_commit_contract(|| fresh_store(pg));
}

#[test]
fn every_issuer_flow_on_postgres() {
    let Some(pg) = server("every_issuer_flow_on_postgres") else {
        return;
    };
    flows::run_issuer_flows(|| fresh_store(pg));
}

#[test]
fn two_pools_on_one_database_have_exactly_one_winner() {
    let Some(pg) = server("two_pools_on_one_database_have_exactly_one_winner") else {
        return;
    };
    let url = pg.create_database().expect("database");
    let (a, b) = (connect(&url), connect(&url));
    let s = sample_session("s1", 1_000);
    block(a.insert(&s)).expect("insert");
    assert!(
        matches!(block(b.insert(&s)), Err(StoreError::Duplicate)),
        "the other pool sees the session"
    );
    let winners = count_successes(|i| {
        let store = if i % 2 == 0 { &a } else { &b };
        let mut next = s.clone();
        next.version = 1;
        next.subject_id = Some(format!("writer-{i}"));
        block(store.update(&next, 0)).is_ok()
    });
    assert_eq!(winners, 1, "exactly one writer wins across pools");
    let nonce = SecretHash::of("nonce");
    let firsts = count_successes(|i| {
        let store = if i % 2 == 0 { &a } else { &b };
        block(store.consume_nonce(&nonce, 2_000)).unwrap_or(false)
    });
    assert_eq!(firsts, 1, "a nonce is consumed once across pools");
    let via_b = block(b.find(LookupKind::OfferId, &SecretHash::of("offer-s1")))
        .expect("find")
        .expect("present");
    assert_eq!(via_b.version, 1);
}

#[test]
fn a_failed_update_changes_nothing() {
    let Some(pg) = server("a_failed_update_changes_nothing") else {
        return;
    };
    let store = fresh_store(pg);
    let a = sample_session("a", 1_000);
    let b = sample_session("b", 1_000);
    block(store.insert(&a)).expect("insert a");
    block(store.insert(&b)).expect("insert b");
    let mut next = b.clone();
    next.version = 1;
    next.offer_id_hash = a.offer_id_hash;
    assert!(matches!(
        block(store.update(&next, 0)),
        Err(StoreError::LookupTaken)
    ));
    let stored = block(store.get("b")).expect("get").expect("present");
    assert_eq!(stored, b, "the failed update rolled back");
    let owner = block(store.find(LookupKind::OfferId, &SecretHash::of("offer-b"))).expect("find");
    assert_eq!(owner.map(|s| s.id).as_deref(), Some("b"));
    // A failed insert leaves no session row behind either.
    let mut clash = sample_session("c", 1_000);
    clash.offer_id_hash = a.offer_id_hash;
    assert!(matches!(
        block(store.insert(&clash)),
        Err(StoreError::LookupTaken)
    ));
    assert!(block(store.get("c")).expect("get").is_none());
}

#[test]
fn a_key_listed_twice_by_one_session_is_not_a_clash() {
    let Some(pg) = server("a_key_listed_twice_by_one_session_is_not_a_clash") else {
        return;
    };
    let store = fresh_store(pg);
    let mut s = sample_session("s1", 1_000);
    s.notification_hashes = vec![SecretHash::of("n"), SecretHash::of("n")];
    block(store.insert(&s)).expect("insert with a repeated key");
    let found = block(store.find(LookupKind::NotificationId, &SecretHash::of("n"))).expect("find");
    assert_eq!(found.map(|f| f.id).as_deref(), Some("s1"));
}

#[test]
fn sweeping_runs_in_batches_until_everything_expired_is_gone() {
    let Some(pg) = server("sweeping_runs_in_batches_until_everything_expired_is_gone") else {
        return;
    };
    let url = pg.create_database().expect("database");
    let store = block(oid4vci_store_postgres::PostgresStore::connect_with(
        &url,
        oid4vci_store_postgres::PostgresOptions::default().sweep_batch(7),
    ))
    .expect("connect");
    for i in 0..30 {
        // 20 expired (expires_at 1_000 + 3600 < now), 10 alive.
        let created = if i < 20 { 1_000 } else { 100_000 };
        block(store.insert(&sample_session(&format!("s{i}"), created))).expect("insert");
        block(store.consume_nonce(&SecretHash::of(&format!("n{i}")), created)).expect("nonce");
    }
    let swept = block(store.sweep_expired(50_000)).expect("sweep");
    assert_eq!(swept, 20, "every expired session, over several batches");
    assert!(block(store.get("s0")).expect("get").is_none());
    assert!(block(store.get("s25")).expect("get").is_some());
    let lookups = pg
        .psql(&url, "SELECT count(*) FROM oid4vci_session_lookups")
        .expect("count");
    assert_eq!(lookups, "20", "the swept sessions' lookups went with them");
    let nonces = pg
        .psql(&url, "SELECT count(*) FROM oid4vci_consumed_nonces")
        .expect("count");
    assert_eq!(nonces, "10", "expired nonces are swept too");
    assert!(
        !block(store.consume_nonce(&SecretHash::of("n25"), 100_000)).expect("nonce"),
        "an unexpired nonce stays consumed"
    );
}

/// The session machine against its model (issue #20), on PostgreSQL: `MODEL_CASES` sequences
/// (default 24; each gets a fresh database).
#[test]
fn postgres_sessions_follow_the_model() {
    let Some(pg) = server("postgres_sessions_follow_the_model") else {
        return;
    };
    let cases = std::env::var("MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let applied = oid4vci_issuer_testkit::model::run_session_model(|| fresh_store(pg), cases);
    eprintln!("model on PostgreSQL: {cases} sequences, {applied} operations");
    assert!(applied >= cases as usize);
}
