//! The [`SessionStore::commit`] contract: a wallet request's whole effect — the session, the
//! single-use values it consumed, the status-list entries it reserved — is written at once or
//! not at all, and concurrent commits never share a nonce or an entry.
//!
//! ```
//! oid4vci_issuer_testkit::run_commit_contract(oid4vci_issuer::MemoryStore::new);
//! ```

use crate::scenario::block;
use crate::{count_successes, sample_session};
use oid4vci_issuer::SecretHash;
use oid4vci_issuer::{Commit, SessionStore, SessionWrite, StatusListStore, StoreError};
use std::sync::Arc;

const EXPIRES: u64 = 10_000;

fn nonce(name: &str) -> (SecretHash, u64) {
    (SecretHash::of(name), EXPIRES)
}

/// Runs every commit check against fresh stores from `make_store`. Panics on the first
/// violation, naming the rule.
pub fn run_commit_contract<S, F>(make_store: F)
where
    S: SessionStore + StatusListStore,
    F: Fn() -> S,
{
    a_commit_writes_everything(make_store());
    a_commit_can_insert(make_store());
    a_version_conflict_writes_nothing(make_store());
    a_spent_nonce_writes_nothing(make_store());
    a_taken_status_entry_writes_nothing(make_store());
    a_refused_insert_consumes_nothing(make_store());
    concurrent_commits_consume_a_nonce_once(Arc::new(make_store()));
    concurrent_commits_reserve_an_entry_once(Arc::new(make_store()));
}

fn changed(store: &impl SessionStore, id: &str) -> oid4vci_issuer::Session {
    let mut s = block(store.get(id)).expect("get").expect("present");
    s.version += 1;
    s.subject_id = Some(format!("changed-{}", s.version));
    s
}

fn a_commit_writes_everything<S: SessionStore + StatusListStore>(store: S) {
    block(store.insert(&sample_session("s1", 1_000))).expect("insert");
    let next = changed(&store, "s1");
    let nonces = [nonce("c_nonce-1"), nonce("dpop-jti-1")];
    let commit = Commit {
        write: SessionWrite::Update {
            session: &next,
            expected_version: 0,
        },
        nonces: &nonces,
        statuses: &[(1, 7), (1, 9)],
    };
    block(store.commit(&commit)).expect("commit");
    let stored = block(store.get("s1")).expect("get").expect("present");
    assert_eq!(stored, next, "the session is written");
    for (hash, expires) in nonces {
        assert!(
            !block(store.consume_nonce(&hash, expires)).expect("consume"),
            "a committed nonce is spent"
        );
    }
    let entries = block(store.session_statuses("s1")).expect("entries");
    let reserved: Vec<(u32, u32)> = entries.iter().map(|e| (e.list, e.idx)).collect();
    assert_eq!(reserved, [(1, 7), (1, 9)], "the entries are the session's");
    assert!(entries.iter().all(|e| e.status == 0), "reserved as VALID");
    assert_eq!(block(store.reserved_count(1)).expect("count"), 2);
}

fn a_commit_can_insert<S: SessionStore + StatusListStore>(store: S) {
    let fresh = sample_session("s1", 1_000);
    let nonces = [nonce("attestation-jti")];
    let commit = Commit {
        write: SessionWrite::Insert(&fresh),
        nonces: &nonces,
        statuses: &[],
    };
    block(store.commit(&commit)).expect("commit");
    assert_eq!(block(store.get("s1")).expect("get"), Some(fresh));
    assert!(!block(store.consume_nonce(&nonces[0].0, EXPIRES)).expect("consume"));
}

/// Nothing of a refused commit shows: the session is as before, its nonces are unspent and its
/// entries free.
fn assert_nothing_written<S: SessionStore + StatusListStore>(
    store: &S,
    before: &oid4vci_issuer::Session,
    nonces: &[(SecretHash, u64)],
    statuses: &[(u32, u32)],
    rule: &str,
) {
    let stored = block(store.get(&before.id)).expect("get");
    assert_eq!(
        stored.as_ref(),
        Some(before),
        "{rule}: the session is unchanged"
    );
    for (hash, expires) in nonces {
        assert!(
            block(store.consume_nonce(hash, *expires)).expect("consume"),
            "{rule}: a nonce of a refused commit stays unspent"
        );
    }
    for &(list, idx) in statuses {
        let got = block(store.reserve_statuses(list, &[idx], "other")).expect("reserve");
        assert_eq!(
            got,
            [idx],
            "{rule}: an entry of a refused commit stays free"
        );
    }
}

fn a_version_conflict_writes_nothing<S: SessionStore + StatusListStore>(store: S) {
    block(store.insert(&sample_session("s1", 1_000))).expect("insert");
    let before = block(store.get("s1")).expect("get").expect("present");
    let mut stale = changed(&store, "s1");
    stale.version = 5;
    let nonces = [nonce("n-1")];
    let statuses = [(1, 3)];
    let commit = Commit {
        write: SessionWrite::Update {
            session: &stale,
            expected_version: 4,
        },
        nonces: &nonces,
        statuses: &statuses,
    };
    assert!(matches!(
        block(store.commit(&commit)),
        Err(StoreError::VersionConflict)
    ));
    assert_nothing_written(&store, &before, &nonces, &statuses, "version conflict");
}

fn a_spent_nonce_writes_nothing<S: SessionStore + StatusListStore>(store: S) {
    block(store.insert(&sample_session("s1", 1_000))).expect("insert");
    let before = block(store.get("s1")).expect("get").expect("present");
    let spent = nonce("spent");
    assert!(block(store.consume_nonce(&spent.0, EXPIRES)).expect("consume"));
    let next = changed(&store, "s1");
    let nonces = [nonce("fresh"), spent];
    let statuses = [(2, 11)];
    let commit = Commit {
        write: SessionWrite::Update {
            session: &next,
            expected_version: 0,
        },
        nonces: &nonces,
        statuses: &statuses,
    };
    assert!(
        matches!(
            block(store.commit(&commit)),
            Err(StoreError::NonceUsed { index: 1 })
        ),
        "the spent nonce is named by its position"
    );
    assert_nothing_written(&store, &before, &nonces[..1], &statuses, "spent nonce");
    // The same nonce twice in one commit is spent by the commit itself.
    let twice = [nonce("twice"), nonce("twice")];
    let commit = Commit {
        write: SessionWrite::Update {
            session: &next,
            expected_version: 0,
        },
        nonces: &twice,
        statuses: &[],
    };
    assert!(matches!(
        block(store.commit(&commit)),
        Err(StoreError::NonceUsed { index: 1 })
    ));
}

fn a_taken_status_entry_writes_nothing<S: SessionStore + StatusListStore>(store: S) {
    block(store.insert(&sample_session("s1", 1_000))).expect("insert");
    let before = block(store.get("s1")).expect("get").expect("present");
    assert_eq!(
        block(store.reserve_statuses(3, &[5], "someone-else")).expect("reserve"),
        [5]
    );
    let next = changed(&store, "s1");
    let nonces = [nonce("n-taken")];
    let commit = Commit {
        write: SessionWrite::Update {
            session: &next,
            expected_version: 0,
        },
        nonces: &nonces,
        statuses: &[(3, 4), (3, 5)],
    };
    assert!(matches!(
        block(store.commit(&commit)),
        Err(StoreError::StatusTaken { list: 3, idx: 5 })
    ));
    assert_nothing_written(&store, &before, &nonces, &[(3, 4)], "taken entry");
    assert_eq!(block(store.reserved_count(3)).expect("count"), 2);
    assert!(block(store.session_statuses("s1"))
        .expect("entries")
        .is_empty());
}

fn a_refused_insert_consumes_nothing<S: SessionStore + StatusListStore>(store: S) {
    let first = sample_session("s1", 1_000);
    block(store.insert(&first)).expect("insert");
    let nonces = [nonce("n-dup")];
    let commit = Commit {
        write: SessionWrite::Insert(&first),
        nonces: &nonces,
        statuses: &[(4, 1)],
    };
    assert!(matches!(
        block(store.commit(&commit)),
        Err(StoreError::Duplicate)
    ));
    assert_nothing_written(&store, &first, &nonces, &[(4, 1)], "duplicate insert");
}

fn concurrent_commits_consume_a_nonce_once<S: SessionStore + StatusListStore>(store: Arc<S>) {
    for i in 0..super::CONCURRENT_CALLERS {
        block(store.insert(&sample_session(&format!("c{i}"), 1_000))).expect("insert");
    }
    let shared = [nonce("shared")];
    let winners = count_successes(|i| {
        let next = changed(store.as_ref(), &format!("c{i}"));
        let commit = Commit {
            write: SessionWrite::Update {
                session: &next,
                expected_version: 0,
            },
            nonces: &shared,
            statuses: &[],
        };
        match block(store.commit(&commit)) {
            Ok(()) => true,
            Err(StoreError::NonceUsed { index: 0 }) => false,
            Err(e) => panic!("unexpected {e}"),
        }
    });
    assert_eq!(winners, 1, "one commit consumes a nonce");
    let written = (0..super::CONCURRENT_CALLERS)
        .filter(|i| {
            block(store.get(&format!("c{i}")))
                .ok()
                .flatten()
                .is_some_and(|s| s.version == 1)
        })
        .count();
    assert_eq!(written, 1, "and only its session is written");
}

fn concurrent_commits_reserve_an_entry_once<S: SessionStore + StatusListStore>(store: Arc<S>) {
    for i in 0..super::CONCURRENT_CALLERS {
        block(store.insert(&sample_session(&format!("r{i}"), 1_000))).expect("insert");
    }
    let winners = count_successes(|i| {
        let next = changed(store.as_ref(), &format!("r{i}"));
        let own = [nonce(&format!("own-{i}"))];
        let commit = Commit {
            write: SessionWrite::Update {
                session: &next,
                expected_version: 0,
            },
            nonces: &own,
            statuses: &[(9, 99)],
        };
        match block(store.commit(&commit)) {
            Ok(()) => true,
            Err(StoreError::StatusTaken { list: 9, idx: 99 }) => false,
            Err(e) => panic!("unexpected {e}"),
        }
    });
    assert_eq!(winners, 1, "one commit reserves an entry");
    assert_eq!(block(store.reserved_count(9)).expect("count"), 1);
}
