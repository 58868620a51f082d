//! [`SessionStore`]: where sessions live. One trait, named after the rules it keeps: a session is
//! stored once, changed only by compare-and-swap on its version, found by the hash of a secret,
//! and a nonce is consumed once.

mod memory;
pub(crate) mod status;

pub use memory::MemoryStore;
pub use status::{StatusEntry, StatusListStore};

use crate::clock::UnixTime;
use crate::secrets::SecretHash;
use crate::session::{LookupKind, Session};
use std::future::Future;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A session with this id already exists.
    #[error("a session with this id already exists")]
    Duplicate,
    /// A lookup secret of the new or changed session already belongs to another session.
    #[error("a lookup secret already belongs to another session")]
    LookupTaken,
    /// The stored version differs from the expected one: someone else changed the session first.
    #[error("the session was changed concurrently (version conflict)")]
    VersionConflict,
    /// No session with this id.
    #[error("no such session")]
    NotFound,
    /// The backend failed (I/O, corruption, serialisation).
    #[error("storage backend error: {0}")]
    Backend(String),
    /// The backend cannot be reached right now (connection refused or lost, pool exhausted,
    /// server shutting down); nothing was written. Retrying later may succeed.
    #[error("storage temporarily unavailable: {0}")]
    Unavailable(String),
}

/// Durable home of sessions. Implementations must make `update` and `consume_nonce` atomic:
/// among concurrent callers with the same expected version (or nonce), exactly one succeeds.
///
/// Run [`crate::testing::run_store_contract`] in your implementation's tests.
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a new session and indexes its [`Session::lookup_keys`].
    fn insert(&self, session: &Session) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Loads a session by id.
    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Loads the session a secret of `kind` with this hash belongs to.
    fn find(
        &self,
        kind: LookupKind,
        hash: &SecretHash,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Replaces the stored session if its stored version is `expected_version`, re-indexing its
    /// lookup keys. `session.version` must be `expected_version + 1`. Fails with
    /// [`StoreError::VersionConflict`] otherwise, changing nothing.
    fn update(
        &self,
        session: &Session,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records a nonce as used. Returns `true` the first time a nonce hash is consumed and
    /// `false` every later time (until it is swept after `expires_at`).
    fn consume_nonce(
        &self,
        nonce_hash: &SecretHash,
        expires_at: UnixTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Deletes sessions whose `expires_at` is before `now`, and consumed nonces past expiry.
    /// Returns how many sessions were deleted.
    fn sweep_expired(&self, now: UnixTime) -> impl Future<Output = Result<u64, StoreError>> + Send;
}
