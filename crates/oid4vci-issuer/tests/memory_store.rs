//! The store contract and every issuance scenario on [`MemoryStore`].

use oid4vci_issuer::MemoryStore;
use oid4vci_issuer_testkit::{
    flows, run_commit_contract, run_listing_contract, run_store_contract,
};

#[test]
fn memory_store_keeps_the_store_contract() {
    run_store_contract(MemoryStore::new);
}

#[test]
fn memory_store_lists_sessions() {
    run_listing_contract(MemoryStore::new);
}

#[test]
fn memory_store_commits_a_request_whole() {
    run_commit_contract(MemoryStore::new);
}

#[test]
fn pre_authorized_flow() {
    flows::pre_authorized_flow(MemoryStore::new());
}

#[test]
fn tx_code_flow_with_lockout() {
    flows::tx_code_flow_with_lockout(MemoryStore::new());
}

#[test]
fn deferred_flow() {
    flows::deferred_flow(MemoryStore::new());
}

#[test]
fn batch_issuance() {
    flows::batch_issuance(MemoryStore::new());
}

#[test]
fn error_paths() {
    flows::error_paths(MemoryStore::new());
}

#[test]
fn concurrent_token_requests_redeem_once() {
    flows::concurrent_token_requests_redeem_once(MemoryStore::new());
}

#[test]
fn concurrent_credential_requests_consume_nonce_once() {
    flows::concurrent_credential_requests_consume_nonce_once(MemoryStore::new());
}

#[test]
fn dpop_bound_flow() {
    flows::dpop_bound_flow(MemoryStore::new());
}

#[test]
fn authorization_code_redeemed_once() {
    oid4vci_issuer_testkit::authorization_flows::authorization_code_redeemed_once(
        MemoryStore::new(),
    );
}
