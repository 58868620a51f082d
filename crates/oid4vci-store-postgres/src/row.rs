//! A session as its row: the columns (`id`, `version`, `expires_at`, the JSON `data`) and its
//! lookup keys, owned so they can move to the driver runtime, and the row read back.

use oid4vci_issuer::{stored, LookupKind, SecretHash, Session, StoreError};
use std::collections::BTreeSet;

/// A stored session read back; the `version` column is authoritative for its version.
pub(crate) fn decode(id_hint: &str, version: i64, data: &str) -> Result<Session, StoreError> {
    stored::from_json("postgres", id_hint, version, data)
}

pub(crate) fn version_column(version: u64) -> Result<i64, StoreError> {
    stored::version_column("postgres", version)
}

/// A session as the write functions take it: owned, so it can move to the driver runtime.
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) version: i64,
    pub(crate) expires_at: i64,
    pub(crate) data: String,
    pub(crate) kinds: Vec<String>,
    pub(crate) hashes: Vec<String>,
}

impl Row {
    pub(crate) fn of(session: &Session) -> Result<Row, StoreError> {
        // Sorted and deduplicated: a key listed twice is no clash, and concurrent writers take
        // index locks in the same order.
        let keys: BTreeSet<(LookupKind, SecretHash)> = session.lookup_keys().into_iter().collect();
        let mut kinds = Vec::with_capacity(keys.len());
        let mut hashes = Vec::with_capacity(keys.len());
        for (kind, hash) in keys {
            kinds.push(kind.as_str().to_owned());
            hashes.push(hash.to_hex());
        }
        Ok(Row {
            id: session.id().to_owned(),
            version: version_column(session.version())?,
            expires_at: stored::time_column(session.expires_at()),
            data: stored::to_json("postgres", session)?,
            kinds,
            hashes,
        })
    }
}
