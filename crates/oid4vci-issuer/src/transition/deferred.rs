//! Deferred credential endpoint and claim submission transitions (Section 9).

use super::reject;
use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::secrets::SecretHash;
use crate::session::{details, DeferredIssuance, Session, SessionState};
use oid4vci_types::{ErrorCode, ErrorResponse};
use serde_json::{json, Value};

/// Finds the uncollected deferred issuance for a transaction id (`invalid_transaction_id` if
/// unknown or already collected, Section 9.3).
pub fn pending_issuance<'a>(
    session: &'a Session,
    transaction_hash: &SecretHash,
) -> Result<&'a DeferredIssuance, ErrorResponse> {
    session
        .deferred
        .iter()
        .find(|d| d.transaction_hash.ct_eq(transaction_hash) && !d.collected)
        .ok_or_else(|| {
            reject(
                ErrorCode::InvalidTransactionId,
                "unknown or already used transaction_id",
            )
        })
}

/// Marks a deferred issuance collected (its `transaction_id` is invalid from now on) and records it.
/// Fails if someone collected it first.
pub fn collect(
    session: &mut Session,
    transaction_hash: &SecretHash,
    notification_hash: Option<SecretHash>,
    count: usize,
    statuses: &[crate::status_list::StatusReference],
    now: UnixTime,
) -> Result<(), ErrorResponse> {
    let Some(entry) = session
        .deferred
        .iter_mut()
        .find(|d| d.transaction_hash.ct_eq(transaction_hash) && !d.collected)
    else {
        return Err(reject(
            ErrorCode::InvalidTransactionId,
            "unknown or already used transaction_id",
        ));
    };
    entry.collected = true;
    let configuration_id = entry.configuration_id.clone();
    if let Some(h) = notification_hash {
        session.notification_hashes.push(h);
    }
    if session.deferred.iter().all(|d| d.collected) {
        session.state = SessionState::Issued;
    }
    let mut d = details([
        ("credential_configuration_id", json!(configuration_id)),
        ("count", json!(count)),
    ]);
    super::credential::add_statuses(&mut d, statuses);
    session.record(EventKind::DeferredCredentialIssued, now, d);
    Ok(())
}

/// Stores claims for a configuration of the session (operator action).
pub fn submit_claims(
    session: &mut Session,
    configuration_id: &str,
    claims: Value,
    now: UnixTime,
) -> Result<(), String> {
    if !session
        .configuration_ids
        .iter()
        .any(|c| c == configuration_id)
    {
        return Err(format!(
            "configuration {configuration_id} is not part of this session's offer"
        ));
    }
    if !claims.is_object() {
        return Err("claims must be a JSON object".into());
    }
    session.claims.insert(configuration_id.to_owned(), claims);
    session.record(
        EventKind::ClaimsSubmitted,
        now,
        details([("credential_configuration_id", json!(configuration_id))]),
    );
    Ok(())
}
