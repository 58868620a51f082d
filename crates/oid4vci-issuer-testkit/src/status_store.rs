//! The contract suite for [`StatusListStore`] implementations:
//!
//! ```
//! oid4vci_issuer_testkit::run_status_store_contract(oid4vci_issuer::MemoryStore::new);
//! ```
//!
//! It checks that an index is reserved once (also among 50 concurrent reservers of the same
//! index), that lists are kept apart, that a status change is atomic and reports the previous
//! status (50 concurrent revokers of one entry: one sees it valid), that 50 concurrent
//! revocations of different entries all land, and that entries stay findable by session.

use crate::scenario::block;
use crate::{count_successes, CONCURRENT_CALLERS};
use oid4vci_issuer::status_list::{INVALID, VALID};
use oid4vci_issuer::{StatusEntry, StatusListStore};
use std::sync::Arc;

/// Runs every status-store contract check against fresh stores from `make_store`. Panics on the
/// first violation, naming the rule.
pub fn run_status_store_contract<S, F>(make_store: F)
where
    S: StatusListStore,
    F: Fn() -> S,
{
    an_index_is_reserved_once(make_store());
    lists_are_kept_apart(make_store());
    statuses_change_and_report_the_previous_one(make_store());
    one_of_concurrent_reservers_wins(Arc::new(make_store()));
    concurrent_revocations_all_land(Arc::new(make_store()));
}

fn an_index_is_reserved_once<S: StatusListStore>(store: S) {
    assert_eq!(
        block(store.last_list()).expect("last"),
        0,
        "a new store has no lists"
    );
    let got = block(store.reserve_statuses(1, &[5, 9, 5], "s1")).expect("reserve");
    assert_eq!(got, vec![5, 9], "repeated candidates are reserved once");
    let again = block(store.reserve_statuses(1, &[9, 10], "s2")).expect("reserve");
    assert_eq!(again, vec![10], "a reserved index is not handed out twice");
    assert_eq!(block(store.reserved_count(1)).expect("count"), 3);
    assert_eq!(block(store.last_list()).expect("last"), 1);
    let of_s1 = block(store.session_statuses("s1")).expect("by session");
    let valid = |idx| StatusEntry {
        list: 1,
        idx,
        status: VALID,
    };
    assert_eq!(
        of_s1,
        vec![valid(5), valid(9)],
        "entries are found by their session"
    );
    assert_eq!(
        block(store.session_statuses("s2")).expect("by session"),
        vec![valid(10)]
    );
    assert!(block(store.session_statuses("nobody"))
        .expect("by session")
        .is_empty());
    assert!(
        block(store.non_valid_statuses(1)).expect("list").is_empty(),
        "reserved entries start valid"
    );
    let none = block(store.reserve_statuses(1, &[], "s3")).expect("reserve nothing");
    assert!(none.is_empty());
}

fn lists_are_kept_apart<S: StatusListStore>(store: S) {
    block(store.reserve_statuses(1, &[7], "a")).expect("reserve");
    let other = block(store.reserve_statuses(2, &[7, u32::MAX], "b")).expect("reserve");
    assert_eq!(
        other,
        vec![7, u32::MAX],
        "the same index in another list is free"
    );
    assert_eq!(block(store.reserved_count(1)).expect("count"), 1);
    assert_eq!(block(store.reserved_count(2)).expect("count"), 2);
    assert_eq!(block(store.reserved_count(3)).expect("count"), 0);
    assert_eq!(block(store.last_list()).expect("last"), 2);
    assert_eq!(
        block(store.set_status(2, 7, INVALID)).expect("set"),
        Some(VALID)
    );
    assert!(block(store.non_valid_statuses(1)).expect("list").is_empty());
    assert_eq!(
        block(store.non_valid_statuses(2)).expect("list"),
        vec![StatusEntry {
            list: 2,
            idx: 7,
            status: INVALID
        }]
    );
}

fn statuses_change_and_report_the_previous_one<S: StatusListStore>(store: S) {
    assert_eq!(
        block(store.set_status(1, 3, INVALID)).expect("set"),
        None,
        "an unreserved index cannot be revoked"
    );
    assert_eq!(
        block(store.reserved_count(1)).expect("count"),
        0,
        "and is not reserved by it"
    );
    block(store.reserve_statuses(1, &[3, 1, 2], "s")).expect("reserve");
    assert_eq!(
        block(store.set_status(1, 3, INVALID)).expect("set"),
        Some(VALID)
    );
    assert_eq!(
        block(store.set_status(1, 3, INVALID)).expect("set"),
        Some(INVALID)
    );
    block(store.set_status(1, 1, INVALID)).expect("set");
    let listed: Vec<u32> = block(store.non_valid_statuses(1))
        .expect("list")
        .iter()
        .map(|e| e.idx)
        .collect();
    assert_eq!(
        listed,
        vec![1, 3],
        "non-valid entries come by ascending index"
    );
    let statuses: Vec<(u32, u8)> = block(store.session_statuses("s"))
        .expect("by session")
        .iter()
        .map(|e| (e.idx, e.status))
        .collect();
    assert_eq!(statuses, vec![(1, INVALID), (2, VALID), (3, INVALID)]);
}

fn one_of_concurrent_reservers_wins<S: StatusListStore>(store: Arc<S>) {
    let winners = count_successes(|i| {
        block(store.reserve_statuses(1, &[42], &format!("s{i}")))
            .map(|got| got == vec![42])
            .unwrap_or(false)
    });
    assert_eq!(
        winners, 1,
        "exactly one of {CONCURRENT_CALLERS} reservers of one index wins"
    );
    let revokers =
        count_successes(|_| matches!(block(store.set_status(1, 42, INVALID)), Ok(Some(VALID))));
    assert_eq!(
        revokers, 1,
        "exactly one concurrent revoker sees the entry still valid"
    );
}

fn concurrent_revocations_all_land<S: StatusListStore>(store: Arc<S>) {
    let all: Vec<u32> = (0..CONCURRENT_CALLERS as u32).map(|i| i * 3).collect();
    block(store.reserve_statuses(4, &all, "s")).expect("reserve");
    let done = count_successes(|i| {
        let idx = all.get(i).copied().unwrap_or(0);
        matches!(block(store.set_status(4, idx, INVALID)), Ok(Some(VALID)))
    });
    assert_eq!(done, CONCURRENT_CALLERS);
    let listed: Vec<u32> = block(store.non_valid_statuses(4))
        .expect("list")
        .iter()
        .map(|e| e.idx)
        .collect();
    assert_eq!(listed, all, "no concurrent revocation was lost");
}
