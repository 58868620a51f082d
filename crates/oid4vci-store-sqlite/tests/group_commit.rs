//! Group commit: concurrent writes share transactions (fewer commits than writes), each write's
//! own verdict stands (duplicates refused one by one, the rest stored), and everything that was
//! acknowledged is on disk for the next process.

use oid4vci_issuer::{SecretHash, SessionStore, StoreError};
use oid4vci_issuer_testkit::{count_successes, sample_session, CONCURRENT_CALLERS};
use oid4vci_store_sqlite::SqliteStore;
use std::sync::atomic::{AtomicUsize, Ordering};

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

#[test]
fn concurrent_writes_share_commits_and_keep_their_own_verdicts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("group.db");
    let store = SqliteStore::open(&path).expect("open");
    let before = store.commit_count();
    let duplicates = AtomicUsize::new(0);
    // Even callers insert their own session; odd callers all insert the same one.
    let stored = count_successes(|i| {
        let id = if i % 2 == 0 {
            format!("own-{i}")
        } else {
            "shared".to_owned()
        };
        match block(store.insert(&sample_session(&id, 1_000))) {
            Ok(()) => true,
            Err(StoreError::Duplicate) => {
                duplicates.fetch_add(1, Ordering::Relaxed);
                false
            }
            Err(e) => panic!("unexpected store error: {e}"),
        }
    });
    let own = CONCURRENT_CALLERS.div_ceil(2);
    assert_eq!(stored, own + 1, "every own session and one shared session");
    assert_eq!(duplicates.into_inner(), CONCURRENT_CALLERS - own - 1);
    // Distinct nonces consumed concurrently: each is a first use.
    let firsts = count_successes(|i| {
        block(store.consume_nonce(&SecretHash::of(&format!("n-{i}")), 2_000)).unwrap_or(false)
    });
    assert_eq!(firsts, CONCURRENT_CALLERS);
    let commits = store.commit_count() - before;
    let writes = (own + 1 + CONCURRENT_CALLERS) as u64;
    assert!(
        commits < writes,
        "{writes} acknowledged writes took {commits} commits: no group commit"
    );
    drop(store);

    // The next "process" sees every acknowledged write.
    let store = SqliteStore::open(&path).expect("reopen");
    for i in (0..CONCURRENT_CALLERS).step_by(2) {
        assert!(block(store.get(&format!("own-{i}")))
            .expect("get")
            .is_some());
    }
    assert!(block(store.get("shared")).expect("get").is_some());
    for i in 0..CONCURRENT_CALLERS {
        assert!(
            !block(store.consume_nonce(&SecretHash::of(&format!("n-{i}")), 2_000))
                .expect("consume"),
            "nonce n-{i} stays consumed"
        );
    }
}

#[test]
fn a_failed_write_changes_nothing_and_the_store_keeps_working() {
    let store = SqliteStore::open_in_memory().expect("open");
    block(store.insert(&sample_session("s1", 1_000))).expect("insert");
    let mut next = sample_session("s1", 1_000);
    next.version = 1;
    // Wrong expected version: refused, nothing written.
    assert!(matches!(
        block(store.update(&next, 5)),
        Err(StoreError::VersionConflict)
    ));
    assert_eq!(
        block(store.get("s1"))
            .expect("get")
            .expect("present")
            .version,
        0
    );
    block(store.update(&next, 0)).expect("update");
    assert_eq!(
        block(store.get("s1"))
            .expect("get")
            .expect("present")
            .version,
        1
    );
    assert_eq!(
        store.schema_version().expect("schema"),
        oid4vci_store_sqlite::SCHEMA_VERSION
    );
}

#[test]
fn without_group_commit_every_write_commits_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = oid4vci_store_sqlite::SqliteOptions::default()
        .synchronous(oid4vci_store_sqlite::Synchronous::Normal)
        .group_commit(false);
    let store = SqliteStore::open_with(dir.path().join("single.db"), options).expect("open");
    let before = store.commit_count();
    let firsts = count_successes(|i| {
        block(store.consume_nonce(&SecretHash::of(&format!("n-{i}")), 2_000)).unwrap_or(false)
    });
    assert_eq!(firsts, CONCURRENT_CALLERS);
    assert_eq!(store.commit_count() - before, CONCURRENT_CALLERS as u64);
}

/// One pre-authorized flow (offer, token, nonce, credential) on `issuer`.
fn one_flow<M: oid4vci_issuer::CredentialMinter>(issuer: &oid4vci_issuer::Issuer<SqliteStore, M>) {
    let claims = serde_json::json!({"age_over_18": true});
    let (_, response) = oid4vci_issuer_testkit::flows::request_credentials(issuer, claims, 1);
    response.expect("credential");
}

#[test]
fn a_flow_commits_three_times_on_full_with_or_without_status_lists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path().join("full.db")).expect("open");
    let (issuer, _clock) = oid4vci_issuer_testkit::flows::scenario_issuer(store.clone());
    let (commits, relaxed) = (store.commit_count(), store.relaxed_commit_count());
    one_flow(&issuer);
    assert_eq!(
        store.commit_count() - commits,
        3,
        "offer, token, credential (its c_nonce consumed in the same commit)"
    );
    assert_eq!(
        store.relaxed_commit_count() - relaxed,
        0,
        "every commit of a flow is synced"
    );
    let (issuer, _clock, _signer) =
        oid4vci_issuer_testkit::status_flows::status_issuer(store.clone(), 512);
    let (commits, relaxed) = (store.commit_count(), store.relaxed_commit_count());
    one_flow(&issuer);
    assert_eq!(
        store.commit_count() - commits,
        3,
        "the status-list reservation is part of the credential's commit"
    );
    assert_eq!(store.relaxed_commit_count() - relaxed, 0);
    // A nonce consumed alone is a relaxed commit, and still a commit: another connection sees
    // it consumed at once.
    let other = SqliteStore::open(dir.path().join("full.db")).expect("second connection");
    let nonce = SecretHash::of("relaxed-nonce");
    assert!(block(store.consume_nonce(&nonce, 2_000)).expect("consume"));
    assert!(
        !block(other.consume_nonce(&nonce, 2_000)).expect("consume"),
        "a relaxed commit is visible to every connection"
    );
    // A session write after it is synced again.
    let relaxed = store.relaxed_commit_count();
    block(store.insert(&sample_session("after", 1_000))).expect("insert");
    assert_eq!(store.relaxed_commit_count(), relaxed);
    drop((issuer, store, other));
    let reopened = SqliteStore::open(dir.path().join("full.db")).expect("reopen");
    assert!(
        !block(reopened.consume_nonce(&nonce, 2_000)).expect("consume"),
        "and survives the store being closed and reopened"
    );
}

#[test]
fn with_synchronous_normal_nothing_is_relaxed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = oid4vci_store_sqlite::SqliteOptions::default()
        .synchronous(oid4vci_store_sqlite::Synchronous::Normal);
    let store = SqliteStore::open_with(dir.path().join("normal.db"), options).expect("open");
    let (issuer, _clock) = oid4vci_issuer_testkit::flows::scenario_issuer(store.clone());
    one_flow(&issuer);
    assert_eq!(store.commit_count(), 3);
    assert_eq!(
        store.relaxed_commit_count(),
        0,
        "NORMAL never syncs a commit anyway"
    );
}
