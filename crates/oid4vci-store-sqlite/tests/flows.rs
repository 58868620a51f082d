//! Every issuance scenario of `oid4vci_issuer_testkit::flows` on `SqliteStore`.

use oid4vci_issuer_testkit::flows;
use oid4vci_store_sqlite::SqliteStore;

fn memory() -> SqliteStore {
    SqliteStore::open_in_memory().expect("open in memory")
}

#[test]
fn pre_authorized_flow() {
    flows::pre_authorized_flow(memory());
}

#[test]
fn tx_code_flow_with_lockout() {
    flows::tx_code_flow_with_lockout(memory());
}

#[test]
fn deferred_flow() {
    flows::deferred_flow(memory());
}

#[test]
fn batch_issuance() {
    flows::batch_issuance(memory());
}

#[test]
fn error_paths() {
    flows::error_paths(memory());
}

#[test]
fn concurrent_token_requests_redeem_once() {
    flows::concurrent_token_requests_redeem_once(memory());
}

#[test]
fn concurrent_credential_requests_consume_nonce_once() {
    flows::concurrent_credential_requests_consume_nonce_once(memory());
}

#[test]
fn every_scenario_on_a_file_backed_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = std::sync::atomic::AtomicUsize::new(0);
    flows::run_issuer_flows(|| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        SqliteStore::open(dir.path().join(format!("flow-{i}.db"))).expect("open file")
    });
}

#[test]
fn dpop_bound_flow() {
    flows::dpop_bound_flow(memory());
}

#[test]
fn authorization_code_redeemed_once() {
    oid4vci_issuer_testkit::authorization_flows::authorization_code_redeemed_once(memory());
}

/// The session machine against its model (issue #20): `MODEL_CASES` sequences (default 128).
#[test]
fn sessions_follow_the_model() {
    let cases = std::env::var("MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    let applied = oid4vci_issuer_testkit::model::run_session_model(memory, cases);
    eprintln!("model on SQLite: {cases} sequences, {applied} operations");
    assert!(applied >= cases as usize);
}
