//! # oid4vci-store-sqlite
//!
//! [`SqliteStore`]: a durable [`SessionStore`] for [`oid4vci_issuer`] on embedded SQLite (bundled,
//! no system library needed). Sessions survive a restart: a session created by one process is
//! redeemed by the next, provided both use the same server key
//! ([`Issuer::with_server_key`](oid4vci_issuer::Issuer::with_server_key)).
//!
//! - **Layout.** Each session is one row of JSON with `version` and `expires_at` columns. Secrets
//!   a session can be found by (pre-authorized code, offer id, access token, transaction and
//!   notification ids) are indexed by their SHA-256 hash (hex) in `session_lookups`, where
//!   `UNIQUE(kind, hash)` keeps one secret from pointing at two sessions. Consumed nonces are
//!   rows of `consumed_nonces`; `INSERT OR IGNORE` changing a row means first use.
//! - **Atomicity.** [`update`](SessionStore::update) is a compare-and-swap in one `IMMEDIATE`
//!   transaction: `UPDATE … WHERE id = ? AND version = ?`, then the session's lookups are
//!   replaced. Among concurrent writers holding the same version exactly one wins, including
//!   writers in other processes sharing the file.
//! - **Files.** File databases run in WAL mode (readers never block the writer) with a busy
//!   timeout, so several processes may share one file. The schema is versioned with
//!   `PRAGMA user_version` and migrated on open, in one transaction; a database written by a
//!   newer build is refused (see [`SCHEMA_VERSION`]).
//! - **Expiry.** [`sweep_expired`](SessionStore::sweep_expired) (or
//!   [`Issuer::sweep_expired`](oid4vci_issuer::Issuer::sweep_expired)) deletes expired sessions,
//!   their lookups and expired nonce records. Call it periodically.
//!
//! Calls run on the calling thread: each future completes in its first poll after a short,
//! blocking SQLite call on one shared connection (SQLite serialises writers anyway). Run them on
//! a blocking-tolerant executor thread, or accept a few hundred microseconds of blocking per
//! call on an async runtime.
//!
//! ```
//! use oid4vci_issuer::{HttpFacts, Issuer, IssuerConfig, OfferSpec, SdJwtVcMinter};
//! use oid4vci_store_sqlite::SqliteStore;
//! use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata, TokenRequest};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let mut metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
//! metadata.credential_configurations_supported
//!     .insert("eu.europa.ec.av.1".into(), CredentialConfiguration::sd_jwt_vc("eu.europa.ec.av.1"));
//! let config = IssuerConfig::new(metadata);
//! // Persist the server key as well as the database: offers and nonces are derived from it.
//! let server_key = [7u8; 32];
//!
//! // One process creates an offer...
//! let store = SqliteStore::open(dir.path().join("issuer.db"))?;
//! let issuer = Issuer::new(config.clone(), store, SdJwtVcMinter::generate())
//!     .with_server_key(server_key);
//! let created = pollster::block_on(issuer.create_offer(OfferSpec {
//!     credential_configuration_ids: vec!["eu.europa.ec.av.1".into()],
//!     pre_authorized: true,
//!     claims: Some(serde_json::json!({"age_over_18": true})),
//!     ..OfferSpec::default()
//! }))?;
//! drop(issuer);
//!
//! // ...and the next one redeems it.
//! let store = SqliteStore::open(dir.path().join("issuer.db"))?;
//! let issuer = Issuer::new(config, store, SdJwtVcMinter::generate())
//!     .with_server_key(server_key);
//! let code = created.credential_offer.pre_authorized_code_grant()
//!     .map(|g| g.pre_authorized_code.clone())
//!     .ok_or("no pre-authorized code")?;
//! let token = pollster::block_on(
//!     issuer.token(TokenRequest::pre_authorized(code, None), HttpFacts::default()),
//! );
//! assert_eq!(token.map(|t| t.token_type).as_deref(), Ok("Bearer"));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod schema;

pub use schema::SCHEMA_VERSION;

use oid4vci_issuer::{LookupKind, SecretHash, Session, SessionStore, StoreError, UnixTime};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use schema::sql_error;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How hard SQLite works to make a commit durable (`PRAGMA synchronous`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Synchronous {
    /// Every commit is synced to disk before it returns: nothing committed is lost, even on
    /// power loss. The default.
    #[default]
    Full,
    /// WAL is synced only at checkpoints: faster commits; the database stays consistent, but the
    /// last commits may be lost on power loss or an OS crash (not on a process crash). A lost
    /// commit can re-enable a just-consumed nonce or pre-authorized code.
    Normal,
}

impl Synchronous {
    fn pragma_value(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Options for [`SqliteStore::open_with`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// How long a write waits for another connection's write lock before failing with a
    /// backend error (`PRAGMA busy_timeout`). Default 5 seconds.
    pub busy_timeout: Duration,
    /// Commit durability. Default [`Synchronous::Full`].
    pub synchronous: Synchronous,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: Duration::from_secs(5),
            synchronous: Synchronous::Full,
        }
    }
}

impl SqliteOptions {
    /// Sets [`SqliteOptions::busy_timeout`].
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Sets [`SqliteOptions::synchronous`].
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }
}

/// A [`SessionStore`] in an SQLite database: a file (WAL mode) or memory.
///
/// Clones share one connection. Several stores (or processes) may open the same file; SQLite's
/// locks and the compare-and-swap keep them consistent.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The stored name of a lookup kind (the `kind` column). Part of the schema: never change one.
fn kind_name(kind: LookupKind) -> &'static str {
    match kind {
        LookupKind::PreAuthorizedCode => "pre_authorized_code",
        LookupKind::OfferId => "offer_id",
        LookupKind::AccessToken => "access_token",
        LookupKind::TransactionId => "transaction_id",
        LookupKind::NotificationId => "notification_id",
        LookupKind::RequestUri => "request_uri",
        LookupKind::AuthorizationCode => "authorization_code",
        LookupKind::IssuerState => "issuer_state",
    }
}

/// Times are stored as SQLite integers (i64). Later than `i64::MAX` seconds means "never" in
/// practice, and clamping keeps the order the sweep relies on.
fn time_column(t: UnixTime) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

fn version_column(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| {
        StoreError::Backend(format!(
            "sqlite: session version {version} does not fit the version column"
        ))
    })
}

fn is_constraint_violation(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
}

/// Decodes a stored row; the `version` column is authoritative for the session's version.
fn decode(id_hint: &str, version: i64, data: &str) -> Result<Session, StoreError> {
    let mut session: Session = serde_json::from_str(data).map_err(|e| {
        StoreError::Backend(format!(
            "sqlite: stored session {id_hint:?} is not valid session JSON: {e}"
        ))
    })?;
    session.version = u64::try_from(version).map_err(|_| {
        StoreError::Backend(format!(
            "sqlite: stored session {id_hint:?} has a negative version {version}"
        ))
    })?;
    Ok(session)
}

fn encode(session: &Session) -> Result<String, StoreError> {
    serde_json::to_string(session).map_err(|e| {
        StoreError::Backend(format!(
            "sqlite: session {:?} could not be serialised: {e}",
            session.id
        ))
    })
}

/// Writes the session's lookup keys. A key owned by another session fails with
/// [`StoreError::LookupTaken`]; the caller's transaction is then dropped (rolled back).
fn insert_lookups(conn: &Connection, session: &Session) -> Result<(), StoreError> {
    let keys: BTreeSet<(LookupKind, SecretHash)> = session.lookup_keys().into_iter().collect();
    let mut stmt = conn
        .prepare_cached("INSERT INTO session_lookups (kind, hash, session_id) VALUES (?1, ?2, ?3)")
        .map_err(sql_error("preparing the lookup insert"))?;
    for (kind, hash) in keys {
        match stmt.execute(params![kind_name(kind), hash.to_hex(), session.id]) {
            Ok(_) => {}
            Err(e) if is_constraint_violation(&e) => return Err(StoreError::LookupTaken),
            Err(e) => return Err(sql_error("indexing the session's lookups")(e)),
        }
    }
    Ok(())
}

fn session_exists(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    conn.prepare_cached("SELECT 1 FROM sessions WHERE id = ?1")
        .and_then(|mut s| s.exists([id]))
        .map_err(sql_error("checking whether the session exists"))
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` with default
    /// [`SqliteOptions`]: WAL mode, a 5 s busy timeout, full durability. Migrates the schema to
    /// [`SCHEMA_VERSION`]; refuses a database from a newer build.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        SqliteStore::open_with(path, SqliteOptions::default())
    }

    /// Opens the database file at `path` with `options`. See [`SqliteStore::open`].
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|e| {
            StoreError::Backend(format!(
                "sqlite: cannot open database {}: {e}",
                path.display()
            ))
        })?;
        SqliteStore::init(conn, Some(path.to_path_buf()), &options)
    }

    /// A private database in memory: gone when the last clone of the store is dropped. For tests
    /// and single-process services that need no durability.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn =
            Connection::open_in_memory().map_err(sql_error("cannot open an in-memory database"))?;
        SqliteStore::init(conn, None, &SqliteOptions::default())
    }

    fn init(
        mut conn: Connection,
        path: Option<PathBuf>,
        options: &SqliteOptions,
    ) -> Result<Self, StoreError> {
        conn.busy_timeout(options.busy_timeout)
            .map_err(sql_error("setting the busy timeout"))?;
        if path.is_some() {
            let mode: String = conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
                .map_err(sql_error("switching to WAL mode"))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Backend(format!(
                    "sqlite: the database could not be switched to WAL mode (journal_mode is {mode:?}); \
                     is it on a file system without shared memory support?"
                )));
            }
        }
        conn.pragma_update(None, "synchronous", options.synchronous.pragma_value())
            .map_err(sql_error("setting synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql_error("enabling foreign keys"))?;
        schema::migrate(&mut conn, schema::MIGRATIONS)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The database's schema version (`PRAGMA user_version`); [`SCHEMA_VERSION`] once open.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        schema::user_version(&self.lock())
    }

    /// The connection. A panic while it was held cannot leave a transaction open (a dropped
    /// transaction rolls back), so a poisoned lock is recovered rather than failing every call.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn insert_sync(&self, session: &Session) -> Result<(), StoreError> {
        let data = encode(session)?;
        let version = version_column(session.version)?;
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_error("starting the insert transaction"))?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO sessions (id, version, expires_at, data) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    session.id,
                    version,
                    time_column(session.expires_at),
                    data
                ])
            });
        match inserted {
            Ok(_) => {}
            Err(e) if is_constraint_violation(&e) => return Err(StoreError::Duplicate),
            Err(e) => return Err(sql_error("inserting the session")(e)),
        }
        insert_lookups(&tx, session)?;
        tx.commit().map_err(sql_error("committing the new session"))
    }

    fn get_sync(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let conn = self.lock();
        let row: Option<(i64, String)> = conn
            .prepare_cached("SELECT version, data FROM sessions WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(sql_error("loading the session"))?;
        row.map(|(version, data)| decode(id, version, &data))
            .transpose()
    }

    fn find_sync(
        &self,
        kind: LookupKind,
        hash: &SecretHash,
    ) -> Result<Option<Session>, StoreError> {
        let conn = self.lock();
        let row: Option<(String, i64, String)> = conn
            .prepare_cached(
                "SELECT s.id, s.version, s.data FROM session_lookups l \
                 JOIN sessions s ON s.id = l.session_id \
                 WHERE l.kind = ?1 AND l.hash = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![kind_name(kind), hash.to_hex()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
            })
            .map_err(sql_error("looking the session up"))?;
        row.map(|(id, version, data)| decode(&id, version, &data))
            .transpose()
    }

    fn update_sync(&self, session: &Session, expected_version: u64) -> Result<(), StoreError> {
        let mut conn = self.lock();
        if expected_version.checked_add(1) != Some(session.version) {
            return if session_exists(&conn, &session.id)? {
                Err(StoreError::VersionConflict)
            } else {
                Err(StoreError::NotFound)
            };
        }
        let data = encode(session)?;
        let new_version = version_column(session.version)?;
        let expected = version_column(expected_version)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_error("starting the update transaction"))?;
        let changed = tx
            .prepare_cached(
                "UPDATE sessions SET version = ?1, expires_at = ?2, data = ?3 \
                 WHERE id = ?4 AND version = ?5",
            )
            .and_then(|mut s| {
                s.execute(params![
                    new_version,
                    time_column(session.expires_at),
                    data,
                    session.id,
                    expected
                ])
            })
            .map_err(sql_error("updating the session"))?;
        if changed == 0 {
            return if session_exists(&tx, &session.id)? {
                Err(StoreError::VersionConflict)
            } else {
                Err(StoreError::NotFound)
            };
        }
        tx.prepare_cached("DELETE FROM session_lookups WHERE session_id = ?1")
            .and_then(|mut s| s.execute([&session.id]))
            .map_err(sql_error("removing the session's old lookups"))?;
        insert_lookups(&tx, session)?;
        tx.commit()
            .map_err(sql_error("committing the session update"))
    }

    fn consume_nonce_sync(
        &self,
        nonce_hash: &SecretHash,
        expires_at: UnixTime,
    ) -> Result<bool, StoreError> {
        let conn = self.lock();
        let inserted = conn
            .prepare_cached(
                "INSERT OR IGNORE INTO consumed_nonces (hash, expires_at) VALUES (?1, ?2)",
            )
            .and_then(|mut s| s.execute(params![nonce_hash.to_hex(), time_column(expires_at)]))
            .map_err(sql_error("recording the consumed nonce"))?;
        Ok(inserted == 1)
    }

    fn sweep_sync(&self, now: UnixTime) -> Result<u64, StoreError> {
        let now = time_column(now);
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_error("starting the sweep transaction"))?;
        // Lookups go with their session (ON DELETE CASCADE).
        let sessions = tx
            .prepare_cached("DELETE FROM sessions WHERE expires_at < ?1")
            .and_then(|mut s| s.execute([now]))
            .map_err(sql_error("sweeping expired sessions"))?;
        tx.prepare_cached("DELETE FROM consumed_nonces WHERE expires_at < ?1")
            .and_then(|mut s| s.execute([now]))
            .map_err(sql_error("sweeping expired nonces"))?;
        tx.commit().map_err(sql_error("committing the sweep"))?;
        Ok(sessions as u64)
    }
}

impl SessionStore for SqliteStore {
    async fn insert(&self, session: &Session) -> Result<(), StoreError> {
        self.insert_sync(session)
    }

    async fn get(&self, id: &str) -> Result<Option<Session>, StoreError> {
        self.get_sync(id)
    }

    async fn find(
        &self,
        kind: LookupKind,
        hash: &SecretHash,
    ) -> Result<Option<Session>, StoreError> {
        self.find_sync(kind, hash)
    }

    async fn update(&self, session: &Session, expected_version: u64) -> Result<(), StoreError> {
        self.update_sync(session, expected_version)
    }

    async fn consume_nonce(
        &self,
        nonce_hash: &SecretHash,
        expires_at: UnixTime,
    ) -> Result<bool, StoreError> {
        self.consume_nonce_sync(nonce_hash, expires_at)
    }

    async fn sweep_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        self.sweep_sync(now)
    }
}
