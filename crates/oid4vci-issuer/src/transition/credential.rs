//! Credential endpoint transitions (Section 8): authorize the token, select the configuration,
//! record the outcome.

use super::reject;
use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::secrets::SecretHash;
use crate::session::{details, DeferredIssuance, Session, SessionState};
use crate::status_list::StatusReference;
use oid4vci_types::{
    CredentialIssuerMetadata, CredentialRequest, CredentialSelector, ErrorCode, ErrorResponse,
};
use serde_json::{json, Value};

/// How long an access token is honoured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenUse {
    /// Requesting credentials: only until the token's own expiry.
    Issuance,
    /// Collecting a deferred credential or sending a notification, which may come long after the
    /// token expired (claims can take hours): until the session itself expires. The token can do
    /// nothing else by then: it only collects what it already requested (Section 9.1).
    FollowUp,
}

/// Checks the access token belongs to this session (constant-time) and has not expired
/// (Section 8.3.1.1 → `invalid_token`, 401).
pub fn authorize(
    session: &Session,
    token_hash: &SecretHash,
    now: UnixTime,
    usage: TokenUse,
) -> Result<(), ErrorResponse> {
    let Some(access) = &session.access else {
        return Err(reject(ErrorCode::InvalidToken, "unknown access token"));
    };
    if !access.token_hash.ct_eq(token_hash) {
        return Err(reject(ErrorCode::InvalidToken, "unknown access token"));
    }
    let valid_until = match usage {
        TokenUse::Issuance => access.expires_at,
        TokenUse::FollowUp => access.expires_at.max(session.expires_at),
    };
    if now > valid_until {
        return Err(reject(
            ErrorCode::InvalidToken,
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
pub fn select_configuration(
    session: &Session,
    request: &CredentialRequest,
    metadata: &CredentialIssuerMetadata,
) -> Result<String, ErrorResponse> {
    let Some(access) = &session.access else {
        return Err(reject(
            ErrorCode::InvalidToken,
            "no access token was issued for this session",
        ));
    };
    let configuration_id = match &request.credential {
        CredentialSelector::Identifier(id) => {
            if !access.uses_credential_identifiers {
                return Err(reject(
                    ErrorCode::UnknownCredentialIdentifier,
                    "this access token issued no credential_identifiers (the token response had no authorization_details); send credential_configuration_id (OID4VCI 1.0 Section 8.2)",
                ));
            }
            return access
                .granted
                .iter()
                .find(|g| g.credential_identifiers.iter().any(|c| c == id))
                .map(|g| g.configuration_id.clone())
                .ok_or_else(|| {
                    reject(
                        ErrorCode::UnknownCredentialIdentifier,
                        format!("credential_identifier {id} was not issued with this access token"),
                    )
                });
        }
        CredentialSelector::ConfigurationId(id) => {
            if !metadata
                .credential_configurations_supported
                .contains_key(id)
            {
                return Err(reject(
                    ErrorCode::UnknownCredentialConfiguration,
                    format!("unknown credential_configuration_id {id}"),
                ));
            }
            id.clone()
        }
        CredentialSelector::Format(selector) => metadata
            .find_by_format(selector)
            .map(str::to_owned)
            .ok_or_else(|| {
                reject(
                    ErrorCode::UnknownCredentialConfiguration,
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
        return Err(reject(
            ErrorCode::InsufficientScope,
            format!("the access token does not grant credential configuration {configuration_id}"),
        ));
    }
    Ok(configuration_id)
}

/// Records a refusal at the credential endpoint (`proof_rejected` for proof errors).
pub fn record_rejection(
    session: &mut Session,
    kind: EventKind,
    error: &ErrorResponse,
    extra: Value,
    now: UnixTime,
) {
    let mut d = details([
        ("error", json!(error.error.as_str())),
        ("reason", json!(error.error_description)),
    ]);
    if let (Value::Object(map), Value::Object(more)) = (&mut d, extra) {
        map.extend(more);
    }
    session.record(kind, now, d);
}

/// Records issued credentials and the notification id handed out with them.
pub fn record_issued(
    session: &mut Session,
    configuration_id: &str,
    count: usize,
    key_source: &str,
    statuses: &[StatusReference],
    notification_hash: Option<SecretHash>,
    now: UnixTime,
) {
    if let Some(h) = notification_hash {
        session.notification_hashes.push(h);
    }
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
pub fn record_deferred(
    session: &mut Session,
    configuration_id: &str,
    holder_keys: Vec<Value>,
    transaction_hash: SecretHash,
    response_encryption: Option<oid4vci_types::CredentialResponseEncryption>,
    reason: &str,
    now: UnixTime,
) {
    session.deferred.push(DeferredIssuance {
        transaction_hash,
        configuration_id: configuration_id.to_owned(),
        holder_keys,
        collected: false,
        response_encryption,
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
