//! Revocation with Token Status Lists on [`MemoryStore`]: the status-store contract and every
//! revocation scenario.

use oid4vci_issuer::MemoryStore;
use oid4vci_issuer_testkit::{run_status_store_contract, status_flows};

#[test]
fn memory_store_keeps_the_status_store_contract() {
    run_status_store_contract(MemoryStore::new);
}

#[test]
fn revocation_shows_in_the_served_list() {
    status_flows::revocation_shows_in_the_served_list(MemoryStore::new());
}

#[test]
fn bad_revocations_are_refused() {
    status_flows::bad_revocations_are_refused(MemoryStore::new());
}

#[test]
fn lists_roll_over_when_full() {
    status_flows::lists_roll_over_when_full(MemoryStore::new());
}

#[test]
fn deferred_credentials_carry_a_status() {
    status_flows::deferred_credentials_carry_a_status(MemoryStore::new());
}

#[test]
fn credentials_outlive_their_sessions() {
    status_flows::credentials_outlive_their_sessions(MemoryStore::new());
}

#[test]
fn concurrent_issuance_and_revocation_lose_nothing() {
    status_flows::concurrent_issuance_and_revocation_lose_nothing(MemoryStore::new());
}
