//! Revocation on `SqliteStore`: the status-store contract, every revocation scenario, and
//! revoked entries surviving a restart on a file.

use oid4vci_issuer_testkit::{run_status_store_contract, status_flows};
use oid4vci_store_sqlite::SqliteStore;

fn memory() -> SqliteStore {
    SqliteStore::open_in_memory().expect("open in memory")
}

#[test]
fn sqlite_store_keeps_the_status_store_contract() {
    run_status_store_contract(memory);
}

#[test]
fn revocation_scenarios() {
    status_flows::run_status_flows(memory);
}

#[test]
fn revocations_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("issuer.db");
    status_flows::revocations_survive_a_restart(|| SqliteStore::open(&path).expect("open"));
}
