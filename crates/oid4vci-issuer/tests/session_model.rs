//! The session machine against its model on the memory store (issue #20): random operation
//! sequences, every response and stored state as the model says. `MODEL_CASES` sets the number
//! of sequences (default 256, each up to 40 operations).

use oid4vci_issuer::MemoryStore;

#[test]
fn the_memory_store_sessions_follow_the_model() {
    let cases = std::env::var("MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let applied = oid4vci_issuer_testkit::model::run_session_model(MemoryStore::new, cases);
    eprintln!("model: {cases} sequences, {applied} operations");
    assert!(applied >= cases as usize);
}
