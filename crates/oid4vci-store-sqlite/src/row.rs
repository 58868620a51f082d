//! A session as its row: the columns (`id`, `version`, `expires_at`, the JSON `data`) and its
//! lookup keys, encoded on the caller's thread, and the row read back into a session.

use oid4vci_issuer::{LookupKind, SecretHash, Session, StoreError, UnixTime};
use std::collections::BTreeSet;

/// The stored name of a lookup kind (the `kind` column). Part of the schema: never change one.
pub(crate) fn kind_name(kind: LookupKind) -> &'static str {
    match kind {
        LookupKind::PreAuthorizedCode => "pre_authorized_code",
        LookupKind::OfferId => "offer_id",
        LookupKind::AccessToken => "access_token",
        LookupKind::TransactionId => "transaction_id",
        LookupKind::NotificationId => "notification_id",
        LookupKind::RequestUri => "request_uri",
        LookupKind::AuthorizationCode => "authorization_code",
        LookupKind::IssuerState => "issuer_state",
        LookupKind::RefreshToken => "refresh_token",
    }
}

/// Times are stored as SQLite integers (i64). Later than `i64::MAX` seconds means "never" in
/// practice, and clamping keeps the order the sweep relies on.
pub(crate) fn time_column(t: UnixTime) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

pub(crate) fn version_column(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| {
        StoreError::Backend(format!(
            "sqlite: session version {version} does not fit the version column"
        ))
    })
}

/// Decodes a stored row; the `version` column is authoritative for the session's version.
pub(crate) fn decode(id_hint: &str, version: i64, data: &str) -> Result<Session, StoreError> {
    let mut session: Session = serde_json::from_str(data).map_err(|e| {
        StoreError::Backend(format!(
            "sqlite: stored session {id_hint:?} is not valid session JSON: {e}"
        ))
    })?;
    let version = u64::try_from(version).map_err(|_| {
        StoreError::Backend(format!(
            "sqlite: stored session {id_hint:?} has a negative version {version}"
        ))
    })?;
    session.set_stored_version(version);
    Ok(session)
}

pub(crate) fn encode(session: &Session) -> Result<String, StoreError> {
    serde_json::to_string(session).map_err(|e| {
        StoreError::Backend(format!(
            "sqlite: session {:?} could not be serialised: {e}",
            session.id()
        ))
    })
}

/// A session as the writer thread stores it: everything encoded on the caller's thread.
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) version: i64,
    pub(crate) expires_at: i64,
    pub(crate) data: String,
    pub(crate) lookups: Vec<(&'static str, String)>,
}

impl Row {
    pub(crate) fn of(session: &Session) -> Result<Row, StoreError> {
        let keys: BTreeSet<(LookupKind, SecretHash)> = session.lookup_keys().into_iter().collect();
        Ok(Row {
            id: session.id().to_owned(),
            version: version_column(session.version())?,
            expires_at: time_column(session.expires_at()),
            data: encode(session)?,
            lookups: keys
                .into_iter()
                .map(|(kind, hash)| (kind_name(kind), hash.to_hex()))
                .collect(),
        })
    }
}
