//! A misbehaving minter (a plugin the operator wrote) cannot make the issuer send or store what
//! it must not: oversized credentials, more credentials than holder keys, none at all, or values
//! that are neither strings nor objects are refused with `credential_request_denied`, the reason
//! is logged, and the session stays usable.

use oid4vci_issuer::{
    CredentialMinter, EventKind, Issuer, IssuerConfig, ManualClock, MemoryStore, MintError,
    MintOutcome, MintRequest,
};
use oid4vci_issuer_testkit::flows::{request_credentials, CONFIG, ISSUER, T0};
use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata, ErrorCode};
use serde_json::{json, Value};
use std::sync::Arc;

/// Mints whatever the claims' `"output"` says, verbatim.
struct ScriptedMinter;

impl CredentialMinter for ScriptedMinter {
    async fn mint<'a>(&'a self, request: MintRequest<'a>) -> Result<MintOutcome, MintError> {
        let output = &request.claims["output"];
        let size = request.claims["size"].as_u64().unwrap_or(0) as usize;
        Ok(MintOutcome::Issued(match output.as_str() {
            Some("big") => vec![json!("x".repeat(size))],
            Some("two") => vec![json!("a"), json!("b")],
            Some("none") => Vec::new(),
            Some("number") => vec![json!(42)],
            _ => vec![json!("a-credential")],
        }))
    }
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

fn issuer() -> Issuer<MemoryStore, ScriptedMinter> {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let mut config = IssuerConfig::new(metadata);
    config.max_credential_bytes = 4096;
    Issuer::new(config, MemoryStore::new(), ScriptedMinter)
        .with_clock(Arc::new(ManualClock::new(T0)))
}

/// One flow with `claims`; returns the session id and the credential endpoint's answer.
fn attempt(
    issuer: &Issuer<MemoryStore, ScriptedMinter>,
    claims: Value,
) -> (String, Result<Value, ErrorCode>) {
    let (session, response) = request_credentials(issuer, claims, 1);
    let outcome = response
        .map(|r| r.credentials.expect("issued")[0].credential.clone())
        .map_err(|e| e.error_code());
    (session, outcome)
}

fn refused_with(issuer: &Issuer<MemoryStore, ScriptedMinter>, claims: Value, reason: &str) {
    let (session, outcome) = attempt(issuer, claims);
    assert_eq!(outcome, Err(ErrorCode::CredentialRequestDenied), "{reason}");
    let summary = block(issuer.inspect(&session)).expect("inspect");
    let rejected = summary
        .events
        .iter()
        .find(|e| e.kind == EventKind::CredentialRejected)
        .expect("the refusal is logged");
    let logged = rejected.details["minter"].as_str().unwrap_or_default();
    assert!(logged.contains(reason), "{logged}");
    assert!(
        !summary
            .events
            .iter()
            .any(|e| e.kind == EventKind::CredentialIssued),
        "nothing was issued"
    );
}

#[test]
fn oversized_or_malformed_minter_output_is_refused_and_logged() {
    let issuer = issuer();
    refused_with(
        &issuer,
        json!({"output": "big", "size": 4097}),
        "over max_credential_bytes (4096)",
    );
    refused_with(
        &issuer,
        json!({"output": "two"}),
        "2 credentials for 1 holder key",
    );
    refused_with(&issuer, json!({"output": "none"}), "0 credentials");
    refused_with(
        &issuer,
        json!({"output": "number"}),
        "neither a string nor a JSON object",
    );
    // At the limit, and ordinary output, still go through.
    let (_, at_limit) = attempt(&issuer, json!({"output": "big", "size": 4096}));
    assert_eq!(at_limit.map(|c| c.as_str().map(str::len)), Ok(Some(4096)));
    let (_, fine) = attempt(&issuer, json!({}));
    assert_eq!(fine, Ok(json!("a-credential")));
}
