//! Deferred credential endpoint and claim submission steps (Section 9).

use super::credential::{authorize, TokenUse};
use super::{Admission, Step, StepKind};
use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::refusal::{Cause, Refusal};
use crate::secrets::SecretHash;
use crate::session::{details, DeferredIssuance, Session, SessionState};
use serde_json::{json, Value};

/// Finds the uncollected deferred issuance for a transaction id (`invalid_transaction_id` if
/// unknown or already collected, Section 9.3).
pub(crate) fn pending_issuance<'a>(
    session: &'a Session,
    transaction_hash: &SecretHash,
) -> Result<&'a DeferredIssuance, Refusal> {
    session
        .deferred
        .iter()
        .find(|d| d.transaction_hash.ct_eq(transaction_hash) && !d.collected)
        .ok_or_else(|| {
            Refusal::new(
                Cause::TransactionIdUnknown,
                "unknown or already used transaction_id",
            )
        })
}

/// Collecting a deferred credential as a step: the access token is checked again on the
/// session as it stands, and the `transaction_id` must still be uncollected.
pub(crate) struct Collect {
    /// Hash of the access token presented.
    pub token_hash: SecretHash,
    /// Hash of the `transaction_id`.
    pub transaction_hash: SecretHash,
    /// Hash of the `notification_id` handed out with the credentials.
    pub notification_hash: SecretHash,
    /// How many credentials were minted.
    pub count: usize,
    /// Their status-list entries.
    pub statuses: Vec<crate::status_list::StatusReference>,
}

impl Step for Collect {
    type Output = ();
    fn kind(&self) -> StepKind {
        StepKind::CollectDeferred
    }
    fn run(&mut self, session: &mut Session, _: Admission, now: UnixTime) -> Result<(), Refusal> {
        authorize(session, &self.token_hash, now, TokenUse::FollowUp)?;
        collect(session, self, now)
    }
}

/// Marks a deferred issuance collected (its `transaction_id` is invalid from now on) and records it.
/// Fails if someone collected it first.
fn collect(session: &mut Session, step: &Collect, now: UnixTime) -> Result<(), Refusal> {
    let (transaction_hash, count, statuses) = (&step.transaction_hash, step.count, &step.statuses);
    let Some(entry) = session
        .deferred
        .iter_mut()
        .find(|d| d.transaction_hash.ct_eq(transaction_hash) && !d.collected)
    else {
        return Err(Refusal::new(
            Cause::TransactionIdUnknown,
            "unknown or already used transaction_id",
        ));
    };
    entry.collected = true;
    let configuration_id = entry.configuration_id.clone();
    session.notification_hashes.push(step.notification_hash);
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

/// The operator's claims for a configuration of the session, as a step.
pub(crate) struct SubmitClaims<'a> {
    /// The configuration.
    pub configuration_id: &'a str,
    /// The claims (a JSON object).
    pub claims: &'a Value,
}

impl Step for SubmitClaims<'_> {
    type Output = ();
    fn kind(&self) -> StepKind {
        StepKind::SubmitClaims
    }
    fn run(&mut self, session: &mut Session, _: Admission, now: UnixTime) -> Result<(), Refusal> {
        submit_claims(session, self.configuration_id, self.claims.clone(), now)
    }
}

/// Stores claims for a configuration of the session (operator action).
fn submit_claims(
    session: &mut Session,
    configuration_id: &str,
    claims: Value,
    now: UnixTime,
) -> Result<(), Refusal> {
    if !session
        .configuration_ids
        .iter()
        .any(|c| c == configuration_id)
    {
        return Err(Refusal::new(
            Cause::ClaimsRefused,
            format!("configuration {configuration_id} is not part of this session's offer"),
        ));
    }
    if !claims.is_object() {
        return Err(Refusal::new(
            Cause::ClaimsRefused,
            "claims must be a JSON object",
        ));
    }
    session.claims.insert(configuration_id.to_owned(), claims);
    session.record(
        EventKind::ClaimsSubmitted,
        now,
        details([("credential_configuration_id", json!(configuration_id))]),
    );
    Ok(())
}
