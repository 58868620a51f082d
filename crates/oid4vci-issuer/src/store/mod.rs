//! [`SessionStore`]: where sessions live. One trait, named after the rules it keeps: a session is
//! stored once, changed only by compare-and-swap on its version, found by the hash of a secret,
//! and a nonce is consumed once.

mod memory;
mod query;
pub(crate) mod status;
pub mod stored;

pub use memory::MemoryStore;
pub use query::{GrantKind, SessionQuery, MAX_LISTED_SESSIONS};
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
    /// A [`Commit`] named a single-use value that was consumed before: the one at this
    /// position of [`Commit::nonces`]. Nothing was written.
    #[error("single-use value {index} of the commit was already used")]
    NonceUsed {
        /// Its position in [`Commit::nonces`].
        index: usize,
    },
    /// A [`Commit`] named a status-list entry another credential holds. Nothing was written.
    #[error("status list {list} index {idx} is already reserved")]
    StatusTaken {
        /// The list.
        list: u32,
        /// The index.
        idx: u32,
    },
}

/// How a [`Commit`] writes its session.
#[derive(Clone, Copy, Debug)]
pub enum SessionWrite<'a> {
    /// A new session (as [`SessionStore::insert`]).
    Insert(&'a Session),
    /// A changed session, stored only if its stored version is `expected_version` (as
    /// [`SessionStore::update`]).
    Update {
        /// The session, with `version == expected_version + 1`.
        session: &'a Session,
        /// The version it was loaded at.
        expected_version: u64,
    },
}

impl SessionWrite<'_> {
    /// The session written.
    pub fn session(&self) -> &Session {
        match self {
            SessionWrite::Insert(session) | SessionWrite::Update { session, .. } => session,
        }
    }
}

/// The whole effect of one wallet request, written at once by [`SessionStore::commit`]: the
/// session, the single-use values the request consumed (its `c_nonce`, its DPoP proof's and
/// wallet attestation PoP's `jti`s) and the status-list entries reserved for the credentials it
/// issues. All of it is written, or none.
#[derive(Clone, Copy, Debug)]
pub struct Commit<'a> {
    /// The session.
    pub write: SessionWrite<'a>,
    /// Single-use values (by hash) with the time after which they may be forgotten; each must
    /// be unused, and is used after the commit.
    pub nonces: &'a [(SecretHash, UnixTime)],
    /// Status-list entries `(list, idx)` to reserve as VALID for credentials of the session;
    /// each must be free. Empty unless the issuer keeps status lists, which it does only in a
    /// store that is also a [`StatusListStore`]: such a store must reserve them in the same
    /// transaction.
    pub statuses: &'a [(u32, u32)],
}

/// Durable home of sessions. Implementations must make `update` and `consume_nonce` atomic:
/// among concurrent callers with the same expected version (or nonce), exactly one succeeds.
///
/// Run `oid4vci_issuer_testkit::run_store_contract` and `run_commit_contract` in your
/// implementation's tests.
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

    /// Writes a wallet request's whole effect atomically: among concurrent commits, a nonce is
    /// consumed and a status entry reserved by one only, and a session version is replaced
    /// once. Fails, writing nothing, with [`StoreError::VersionConflict`] (or `NotFound`) as
    /// `update` does, [`StoreError::Duplicate`] or [`StoreError::LookupTaken`] as `insert`
    /// does, [`StoreError::NonceUsed`] for the first spent nonce, or
    /// [`StoreError::StatusTaken`] for the first taken status entry.
    fn commit(&self, commit: &Commit<'_>) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes sessions whose `expires_at` is before `now`, and consumed nonces past expiry.
    /// Returns how many sessions were deleted.
    fn sweep_expired(&self, now: UnixTime) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// How many stored sessions are in each state (snake_case state names), for monitoring;
    /// `None` when the store cannot tell. It may scan every session: call it seldom. The
    /// default cannot tell.
    fn count_by_state(
        &self,
    ) -> impl Future<Output = Result<Option<std::collections::BTreeMap<String, u64>>, StoreError>> + Send
    {
        async { Ok(None) }
    }

    /// The sessions `query` selects, newest first (see [`SessionQuery::matches`] and
    /// [`SessionQuery::limit`]), for the operator's session list; `None` when the store cannot
    /// list. It may scan every session. The default cannot list.
    fn list(
        &self,
        query: &SessionQuery,
    ) -> impl Future<Output = Result<Option<Vec<Session>>, StoreError>> + Send {
        let _ = query;
        async { Ok(None) }
    }
}
