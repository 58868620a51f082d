//! Revocation on a real PostgreSQL server: the status-store contract, every revocation
//! scenario, revocations surviving a reconnect, and two pools (two instances) on one database
//! never handing out one index twice.

mod common;

use common::{block, connect, fresh_store, server};
use oid4vci_issuer::StatusListStore;
use oid4vci_issuer_testkit::{count_successes, run_status_store_contract, status_flows};

#[test]
fn postgres_store_keeps_the_status_store_contract() {
    let Some(pg) = server("postgres_store_keeps_the_status_store_contract") else {
        return;
    };
    run_status_store_contract(|| fresh_store(pg));
}

#[test]
fn revocation_scenarios_on_postgres() {
    let Some(pg) = server("revocation_scenarios_on_postgres") else {
        return;
    };
    status_flows::run_status_flows(|| fresh_store(pg));
}

#[test]
fn revocations_survive_a_reconnect() {
    let Some(pg) = server("revocations_survive_a_reconnect") else {
        return;
    };
    let url = pg.create_database().expect("database");
    status_flows::revocations_survive_a_restart(|| connect(&url));
}

#[test]
fn two_pools_never_reserve_one_index_twice() {
    let Some(pg) = server("two_pools_never_reserve_one_index_twice") else {
        return;
    };
    let url = pg.create_database().expect("database");
    let (a, b) = (connect(&url), connect(&url));
    let winners = count_successes(|i| {
        let store = if i % 2 == 0 { &a } else { &b };
        block(store.reserve_statuses(1, &[7, 8], &format!("s{i}")))
            .map(|got| !got.is_empty())
            .unwrap_or(false)
    });
    assert!((1..=2).contains(&winners), "{winners} reservers won");
    assert_eq!(block(b.reserved_count(1)).expect("count"), 2);
    let owners: Vec<_> = [7u32, 8]
        .iter()
        .map(|idx| {
            block(a.set_status(1, *idx, 1))
                .expect("set")
                .expect("reserved")
        })
        .collect();
    assert_eq!(owners, [0, 0], "both entries were valid until revoked");
}
