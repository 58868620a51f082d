//! The `SessionStore` contract suite on SQLite: in memory, on a file, and on two stores sharing
//! one file (as two processes would).

use oid4vci_issuer::{LookupKind, SecretHash, SessionStore, StoreError};
use oid4vci_issuer_testkit::{
    count_successes, run_commit_contract, run_listing_contract, run_store_contract, sample_session,
};
use oid4vci_store_sqlite::{SqliteOptions, SqliteStore};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

#[test]
fn in_memory_store_keeps_the_store_contract() {
    run_store_contract(|| SqliteStore::open_in_memory().expect("open in memory"));
}

#[test]
fn in_memory_store_lists_sessions() {
    run_listing_contract(|| SqliteStore::open_in_memory().expect("open in memory"));
}

#[test]
fn in_memory_store_commits_a_request_whole() {
    run_commit_contract(|| SqliteStore::open_in_memory().expect("open in memory"));
}

/// Runs the store and commit contracts on fresh database files in a temporary directory,
/// opened with `options`.
fn contract_on_files(options: SqliteOptions) {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = AtomicUsize::new(0);
    let open = || {
        let path = dir
            .path()
            .join(format!("contract-{}.db", n.fetch_add(1, Ordering::SeqCst)));
        SqliteStore::open_with(path, options.clone()).expect("open file")
    };
    run_store_contract(open);
    run_commit_contract(open);
}

#[test]
fn file_store_keeps_the_store_contract() {
    contract_on_files(SqliteOptions::default());
}

#[test]
fn file_store_that_sleeps_at_once_and_commits_each_write_alone_keeps_the_store_contract() {
    // The other side of two options: no polling before the store thread sleeps, no group
    // commit.
    contract_on_files(
        SqliteOptions::default()
            .idle_spin(Duration::ZERO)
            .group_commit(false),
    );
}

#[test]
fn two_connections_on_one_file_have_exactly_one_winner() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.db");
    let a = SqliteStore::open(&path).expect("open a");
    let b = SqliteStore::open(&path).expect("open b");
    let s = sample_session("s1", 1_000);
    block(a.insert(&s)).expect("insert");
    assert!(
        matches!(block(b.insert(&s)), Err(StoreError::Duplicate)),
        "the other connection sees the session"
    );
    let winners = count_successes(|i| {
        let store = if i % 2 == 0 { &a } else { &b };
        let mut next = s.clone();
        next.version = 1;
        next.subject_id = Some(format!("writer-{i}"));
        block(store.update(&next, 0)).is_ok()
    });
    assert_eq!(winners, 1, "exactly one writer wins across connections");
    let nonce = SecretHash::of("nonce");
    let firsts = count_successes(|i| {
        let store = if i % 2 == 0 { &a } else { &b };
        block(store.consume_nonce(&nonce, 2_000)).unwrap_or(false)
    });
    assert_eq!(firsts, 1, "a nonce is consumed once across connections");
    let via_b = block(b.find(LookupKind::OfferId, &SecretHash::of("offer-s1")))
        .expect("find")
        .expect("present");
    assert_eq!(via_b.version, 1);
}

#[test]
fn a_key_listed_twice_by_one_session_is_not_a_clash() {
    // Session::lookup_keys may in principle list a key twice; that must not read as a clash.
    let store = SqliteStore::open_in_memory().expect("open");
    let mut s = sample_session("s1", 1_000);
    s.notification_hashes = vec![SecretHash::of("n"), SecretHash::of("n")];
    block(store.insert(&s)).expect("insert with a repeated key");
    let found = block(store.find(LookupKind::NotificationId, &SecretHash::of("n"))).expect("find");
    assert_eq!(found.map(|f| f.id).as_deref(), Some("s1"));
}

#[test]
fn update_to_a_lookup_owned_by_another_session_is_refused_and_changes_nothing() {
    let store = SqliteStore::open_in_memory().expect("open");
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
    assert_eq!(
        owner.map(|s| s.id).as_deref(),
        Some("b"),
        "b keeps its lookups"
    );
}
