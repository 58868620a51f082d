//! Credential endpoint steps (Section 8): authorize the token, select the configuration,
//! record the outcome.

use super::{Admission, Step, StepKind};
use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::refusal::{Cause, Refusal};
use crate::secrets::SecretHash;
use crate::session::{details, DeferredIssuance, Session, SessionState};
use crate::status_list::StatusReference;
use oid4vci_types::{CredentialIssuerMetadata, CredentialRequest, CredentialSelector};
use serde_json::{json, Value};

/// How long an access token is honoured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenUse {
    /// Requesting credentials: only until the token's own expiry.
    Issuance,
    /// Collecting a deferred credential or sending a notification, which may come long after the
    /// token expired (claims can take hours): until the session itself expires. The token can do
    /// nothing else by then: it only collects what it already requested (Section 9.1).
    FollowUp,
}

/// Checks the access token belongs to this session (constant-time) and has not expired
/// (Section 8.3.1.1 → `invalid_token`).
pub(crate) fn authorize(
    session: &Session,
    token_hash: &SecretHash,
    now: UnixTime,
    usage: TokenUse,
) -> Result<(), Refusal> {
    let Some(access) = &session.access else {
        return Err(Refusal::new(
            Cause::AccessTokenUnknown,
            "unknown access token",
        ));
    };
    if !access.token_hash.ct_eq(token_hash) {
        return Err(Refusal::new(
            Cause::AccessTokenUnknown,
            "unknown access token",
        ));
    }
    let valid_until = match usage {
        TokenUse::Issuance => access.expires_at,
        TokenUse::FollowUp => access.expires_at.max(session.expires_at),
    };
    if now > valid_until {
        return Err(Refusal::new(
            Cause::AccessTokenExpired,
            "the access token has expired",
        ));
    }
    Ok(())
}

/// Resolves which configuration a request asks for and checks the token grants it.
///
/// `credential_identifier` must be one the token response returned (`unknown_credential_identifier`
/// otherwise, also when the token response had none); a configuration id
/// must exist (`unknown_credential_configuration`) and be granted (`insufficient_scope`, 403);
/// draft 13's `format` is matched against the metadata.
pub(crate) fn select_configuration(
    session: &Session,
    request: &CredentialRequest,
    metadata: &CredentialIssuerMetadata,
) -> Result<String, Refusal> {
    let Some(access) = &session.access else {
        return Err(Refusal::new(
            Cause::AccessTokenUnknown,
            "no access token was issued for this session",
        ));
    };
    let configuration_id = match &request.credential {
        CredentialSelector::Identifier(id) => {
            if !access.uses_credential_identifiers {
                return Err(Refusal::new(Cause::UnknownCredentialIdentifier,
                    "this access token issued no credential_identifiers (the token response had no authorization_details); send credential_configuration_id (OID4VCI 1.0 Section 8.2)",
                ));
            }
            return access
                .granted
                .iter()
                .find(|g| g.credential_identifiers.iter().any(|c| c == id))
                .map(|g| g.configuration_id.clone())
                .ok_or_else(|| {
                    Refusal::new(
                        Cause::UnknownCredentialIdentifier,
                        format!("credential_identifier {id} was not issued with this access token"),
                    )
                });
        }
        CredentialSelector::ConfigurationId(id) => {
            if !metadata
                .credential_configurations_supported
                .contains_key(id)
            {
                return Err(Refusal::new(
                    Cause::UnknownCredentialConfiguration,
                    format!("unknown credential_configuration_id {id}"),
                ));
            }
            id.clone()
        }
        CredentialSelector::Format(selector) => metadata
            .find_by_format(selector)
            .map(str::to_owned)
            .ok_or_else(|| {
                Refusal::new(
                    Cause::UnknownCredentialConfiguration,
                    format!(
                        "no credential configuration matches format {}",
                        selector.format
                    ),
                )
            })?,
    };
    if !access
        .granted
        .iter()
        .any(|g| g.configuration_id == configuration_id)
    {
        return Err(Refusal::new(
            Cause::InsufficientScope,
            format!("the access token does not grant credential configuration {configuration_id}"),
        ));
    }
    Ok(configuration_id)
}

/// What a credential request came to, once its proofs were checked and the minter ran.
pub(crate) enum CredentialOutcome {
    /// Credentials were minted.
    Issued {
        /// How many.
        count: usize,
        /// Where the holder keys came from (for the log).
        key_source: String,
        /// Their status-list entries.
        statuses: Vec<StatusReference>,
        /// Hash of the `notification_id` handed out with them.
        notification_hash: SecretHash,
    },
    /// Issuance is deferred.
    Deferred {
        /// The holder keys to bind the credentials to later.
        holder_keys: Vec<Value>,
        /// Hash of the `transaction_id` handed out.
        transaction_hash: SecretHash,
        /// Why (for the log).
        reason: &'static str,
    },
}

/// Recording a credential request's outcome as a step. The access token is checked again on
/// the session as it stands at commit time: a token revoked or expired since the request
/// loaded the session gets nothing.
pub(crate) struct RequestCredential<'a> {
    /// Hash of the access token the request presented.
    pub token_hash: SecretHash,
    /// The configuration issued.
    pub configuration_id: &'a str,
    /// The outcome.
    pub outcome: CredentialOutcome,
}

impl Step for RequestCredential<'_> {
    type Output = ();
    fn kind(&self) -> StepKind {
        StepKind::RequestCredential
    }
    fn run(&mut self, session: &mut Session, _: Admission, now: UnixTime) -> Result<(), Refusal> {
        if let Err(e) = authorize(session, &self.token_hash, now, TokenUse::Issuance) {
            return Err(super::refuse(
                session,
                EventKind::CredentialRejected,
                e,
                now,
            ));
        }
        match &self.outcome {
            CredentialOutcome::Issued {
                count,
                key_source,
                statuses,
                notification_hash,
            } => record_issued(
                session,
                self.configuration_id,
                *count,
                key_source,
                statuses,
                *notification_hash,
                now,
            ),
            CredentialOutcome::Deferred {
                holder_keys,
                transaction_hash,
                reason,
            } => record_deferred(
                session,
                self.configuration_id,
                holder_keys.clone(),
                *transaction_hash,
                reason,
                now,
            ),
        }
        Ok(())
    }
    fn refused(&mut self, session: &mut Session, error: Refusal, now: UnixTime) -> Refusal {
        super::refuse(session, EventKind::CredentialRejected, error, now)
    }
}

/// Records issued credentials and the notification id handed out with them.
fn record_issued(
    session: &mut Session,
    configuration_id: &str,
    count: usize,
    key_source: &str,
    statuses: &[StatusReference],
    notification_hash: SecretHash,
    now: UnixTime,
) {
    session.notification_hashes.push(notification_hash);
    if session.state != SessionState::Deferred {
        session.state = SessionState::Issued;
    }
    let mut d = details([
        ("credential_configuration_id", json!(configuration_id)),
        ("count", json!(count)),
        ("key_source", json!(key_source)),
    ]);
    add_statuses(&mut d, statuses);
    session.record(EventKind::CredentialIssued, now, d);
}

/// Records a deferred issuance under the hash of its `transaction_id`.
fn record_deferred(
    session: &mut Session,
    configuration_id: &str,
    holder_keys: Vec<Value>,
    transaction_hash: SecretHash,
    reason: &str,
    now: UnixTime,
) {
    session.deferred.push(DeferredIssuance {
        transaction_hash,
        configuration_id: configuration_id.to_owned(),
        holder_keys,
        collected: false,
    });
    session.state = SessionState::Deferred;
    session.record(
        EventKind::CredentialDeferred,
        now,
        details([
            ("credential_configuration_id", json!(configuration_id)),
            ("reason", json!(reason)),
        ]),
    );
}

/// Adds the credentials' status-list entries (`[{"uri", "idx"}]`) to event details.
pub(crate) fn add_statuses(details: &mut Value, statuses: &[StatusReference]) {
    if let (Value::Object(map), false) = (details, statuses.is_empty()) {
        let list = statuses.iter().map(|r| json!({"uri": r.uri, "idx": r.idx}));
        map.insert("status_list".into(), Value::Array(list.collect()));
    }
}
