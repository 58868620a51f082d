//! A session as its row: the columns (`id`, `version`, `expires_at`, the JSON `data`) and its
//! lookup keys, encoded on the caller's thread, and the row read back into a session.

use oid4vci_issuer::{stored, LookupKind, SecretHash, Session, StoreError};
use std::collections::BTreeSet;

/// A stored session read back; the `version` column is authoritative for its version.
pub(crate) fn decode(id_hint: &str, version: i64, data: &str) -> Result<Session, StoreError> {
    stored::from_json("sqlite", id_hint, version, data)
}

pub(crate) fn version_column(version: u64) -> Result<i64, StoreError> {
    stored::version_column("sqlite", version)
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
            expires_at: stored::time_column(session.expires_at()),
            data: stored::to_json("sqlite", session)?,
            lookups: keys
                .into_iter()
                .map(|(kind, hash)| (kind.as_str(), hash.to_hex()))
                .collect(),
        })
    }
}
