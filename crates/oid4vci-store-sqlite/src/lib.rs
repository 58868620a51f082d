//! # oid4vci-store-sqlite
//!
//! [`SqliteStore`]: a durable [`SessionStore`] for [`oid4vci_issuer`] on embedded SQLite (bundled,
//! no system library needed). Sessions survive a restart: a session created by one process is
//! redeemed by the next, provided both use the same server key
//! ([`Issuer::with_server_key`](oid4vci_issuer::Issuer::with_server_key)).
//!
//! - **Layout.** Each session is one row of JSON with `version` and `expires_at` columns, and
//!   virtual `created_at` and `state` columns computed from the JSON, indexed newest first (and
//!   by state) for the operator's list and the count by state. Secrets
//!   a session can be found by (pre-authorized code, offer id, access token, transaction and
//!   notification ids) are indexed by their SHA-256 hash (hex) in `session_lookups`, where
//!   `UNIQUE(kind, hash)` keeps one secret from pointing at two sessions. Consumed nonces are
//!   rows of `consumed_nonces`; `INSERT OR IGNORE` changing a row means first use.
//! - **Status lists.** The store is also a [`StatusListStore`](oid4vci_issuer::StatusListStore)
//!   (revocation): each reserved index is a row of `status_entries` keyed by `(list, idx)`, so an
//!   index goes to one credential only; rows outlive the session that issued them.
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
//! - **Thread and group commit.** No SQLite call runs on the caller's thread: the futures only
//!   wait (with any executor) for the store's own thread, which owns the connection. It commits
//!   every write queued while the previous commit was syncing in one transaction, each write in
//!   its own savepoint with its own compare-and-swap or uniqueness verdict: concurrent requests
//!   share one fsync, and each successful write is answered only after the commit that holds it
//!   returned. Reads run in order with the writes, inside the open batch, so a compare-and-swap
//!   loser re-reads and retries within the same batch. After answering, the thread polls for
//!   its next job for a moment ([`SqliteOptions::idle_spin`]) before it sleeps: a request's
//!   store calls follow one another closely, and each wake-up of a sleeping thread costs tens of
//!   microseconds.
//! - **Checkpoints.** A file store copies its write-ahead log back into the database on a
//!   thread and connection of its own ([`checkpoint_count`](SqliteStore::checkpoint_count)):
//!   woken once the log holds 1000 pages, it runs `PASSIVE` checkpoints, which never block the
//!   store thread's commits, instead of SQLite's automatic checkpoint inside the commit that
//!   crossed the line.
//! - **Commits per flow.** One complete pre-authorized flow makes 3 writes: the offer, the
//!   token, and the credential request's [`SessionStore::commit`] (the session with its event
//!   log, the consumed `c_nonce` and DPoP `jti`, and the status-list reservation when the issuer
//!   keeps status lists, in one savepoint). Each is synced before it is acknowledged with
//!   [`Synchronous::Full`]. A nonce consumed or an entry reserved on its own
//!   (`consume_nonce`, `reserve_statuses`) is committed without a sync of its own (atomic,
//!   visible to every connection at once, safe from process crashes): the writes that follow it
//!   sync the WAL up to it.
//!   Under concurrency the writes of many flows share each sync as well (group commit).
//!
//! ```
//! use oid4vci_issuer::{HttpFacts, Issuer, IssuerConfig, OfferSpec};
//! use oid4vci_sd_jwt::SdJwtVcMinter;
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

mod checkpoint;
mod entries;
mod listing;
mod options;
mod row;
mod schema;
mod statements;
mod status;
mod worker;

pub use options::{SqliteOptions, Synchronous};
pub use schema::SCHEMA_VERSION;

use oid4vci_issuer::stored::time_column;
use oid4vci_issuer::{
    Commit, LookupKind, SecretHash, Session, SessionQuery, SessionStore, SessionWrite, StoreError,
    UnixTime,
};
use row::{decode, version_column, Row};
use rusqlite::Connection;
use schema::sql_error;
use statements::{
    commit_on, consume_nonce_on, find_on, get_on, insert_on, session_exists, sweep_on, update_on,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use worker::{CommitPolicy, Workers, WriteOp};

/// A [`SessionStore`] in an SQLite database: a file (WAL mode) or memory.
///
/// Clones share the store's worker threads and connections; dropping the last clone stops the
/// threads and closes the database. Several stores (or processes) may open the same file;
/// SQLite's locks and the compare-and-swap keep them consistent.
#[derive(Clone)]
pub struct SqliteStore {
    workers: Arc<Workers>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Prepared statements kept per connection: more than the store has.
const STATEMENT_CACHE: usize = 64;

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` with default
    /// [`SqliteOptions`]: WAL mode, a 5 s busy timeout, full durability. Migrates the schema to
    /// [`SCHEMA_VERSION`]; refuses a database from a newer build.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        SqliteStore::open_with(path, SqliteOptions::default())
    }

    /// Opens the database file at `path` with `options`. See [`SqliteStore::open`].
    ///
    /// A database this process cannot write (file permissions, a read-only mount) is refused
    /// here with a [`StoreError::Backend`] that names the file, rather than opened read-only
    /// and failing on the first request.
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|e| {
            StoreError::Backend(format!(
                "sqlite: cannot open database {}: {e}",
                path.display()
            ))
        })?;
        // SQLite quietly opens a write-protected file read-only; every step of a session writes,
        // so say so now instead of failing the first request.
        if conn
            .is_readonly(rusqlite::MAIN_DB)
            .map_err(sql_error("checking whether the database is writable"))?
        {
            return Err(StoreError::Backend(format!(
                "sqlite: the database {} is read-only: the issuer writes every session step, so \
                 make the file and its directory writable by this process (check permissions and \
                 whether the volume is mounted read-only)",
                path.display()
            )));
        }
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
        // Every statement the store runs stays parsed (rusqlite's default keeps 16).
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql_error("enabling foreign keys"))?;
        if let Some(bytes) = options.max_size {
            let page: i64 = conn
                .pragma_query_value(None, "page_size", |row| row.get(0))
                .map_err(sql_error("reading the page size"))?;
            let pages = i64::try_from(bytes).unwrap_or(i64::MAX) / page.max(512);
            conn.pragma_update(None, "max_page_count", pages.max(1))
                .map_err(sql_error("setting the largest database size"))?;
        }
        schema::migrate(&mut conn, schema::MIGRATIONS)?;
        let checkpointer = match &path {
            Some(path) => Some(checkpoint::Checkpointer::start(
                &mut conn,
                path,
                options.busy_timeout,
                options.synchronous,
            )?),
            None => None,
        };
        Ok(SqliteStore {
            workers: Arc::new(Workers::start(
                conn,
                CommitPolicy {
                    max_batch: if options.group_commit {
                        worker::MAX_BATCH
                    } else {
                        1
                    },
                    syncs_every_commit: path.is_some()
                        && matches!(options.synchronous, Synchronous::Full),
                    idle_spin: options.idle_spin,
                },
                checkpointer,
            )?),
            path,
        })
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The database's schema version (`PRAGMA user_version`); [`SCHEMA_VERSION`] once open.
    /// Blocks the calling thread until the reader answers.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.workers.read(Box::new(move |conn: &Connection| {
            let _ = tx.send(schema::user_version(conn));
        }))?;
        rx.recv().map_err(|_| {
            StoreError::Backend("sqlite: the store's worker thread has stopped".into())
        })?
    }

    /// SQLite's own check of the database file (`PRAGMA integrity_check`): `["ok"]` for a sound
    /// file, else the problems it found. Blocks the calling thread until the reader answers.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.workers.read(Box::new(move |conn: &Connection| {
            let rows = conn
                .prepare("PRAGMA integrity_check")
                .and_then(|mut statement| {
                    statement
                        .query_map([], |row| row.get::<_, String>(0))?
                        .collect::<Result<Vec<String>, _>>()
                })
                .map_err(|e| StoreError::Backend(format!("sqlite: integrity_check: {e}")));
            let _ = tx.send(rows);
        }))?;
        rx.recv().map_err(|_| {
            StoreError::Backend("sqlite: the store's worker thread has stopped".into())
        })?
    }

    /// How many write transactions this store has committed since it was opened. With group
    /// commit, concurrent writes share transactions, so this grows slower than the number of
    /// writes under load (one commit is one fsync with [`Synchronous::Full`], except the
    /// [relaxed](Self::relaxed_commit_count) ones).
    pub fn commit_count(&self) -> u64 {
        self.workers.commits()
    }

    /// How many WAL checkpoints the store's checkpoint thread has completed. A file store
    /// copies its write-ahead log back into the database file on a thread of its own, once the
    /// log holds 1000 pages, without blocking the store thread's commits (SQLite would do it
    /// inside the commit that crossed the line). Always 0 in memory.
    pub fn checkpoint_count(&self) -> u64 {
        self.workers.checkpoints()
    }

    /// Of [`commit_count`](Self::commit_count), the commits made without a sync although the
    /// store runs [`Synchronous::Full`]: transactions holding only nonces consumed and
    /// status-list entries reserved on their own (see the crate docs). The issuer's flows make
    /// none: one pre-authorized flow is 3 commits, 3 syncs.
    pub fn relaxed_commit_count(&self) -> u64 {
        self.workers.relaxed_commits()
    }

    /// Runs `op` on the store thread inside the current group commit; resolves once committed
    /// (or at once with its own error, if it failed and so changed nothing).
    async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit_write(op, true).await
    }

    /// Like [`write`](Self::write), for a write that need not be synced before it is answered:
    /// one whose loss on power failure can only undo something no wallet has been answered for.
    async fn write_unsynced<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit_write(op, false).await
    }

    async fn submit_write<T, F>(&self, op: F, needs_sync: bool) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = futures_channel::oneshot::channel();
        self.workers
            .write(Box::new(WriteOp::new(op, tx, needs_sync)))?;
        rx.await
            .map_err(|_| StoreError::Backend("sqlite: the store's thread has stopped".into()))?
    }

    /// Runs `op` on the store thread, in order with the writes.
    async fn read<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = futures_channel::oneshot::channel();
        self.workers.read(Box::new(move |conn: &Connection| {
            let _ = tx.send(op(conn));
        }))?;
        rx.await
            .map_err(|_| StoreError::Backend("sqlite: the store's thread has stopped".into()))?
    }
}

impl SessionStore for SqliteStore {
    async fn insert(&self, session: &Session) -> Result<(), StoreError> {
        let row = Row::of(session)?;
        self.write(move |conn| insert_on(conn, &row)).await
    }

    async fn get(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let key = id.to_owned();
        let row = self.read(move |conn| get_on(conn, &key)).await?;
        row.map(|(version, data)| decode(id, version, &data))
            .transpose()
    }

    async fn find(
        &self,
        kind: LookupKind,
        hash: &SecretHash,
    ) -> Result<Option<Session>, StoreError> {
        let (kind, hash) = (kind.as_str(), hash.to_hex());
        let row = self.read(move |conn| find_on(conn, kind, &hash)).await?;
        row.map(|(id, version, data)| decode(&id, version, &data))
            .transpose()
    }

    async fn update(&self, session: &Session, expected_version: u64) -> Result<(), StoreError> {
        if expected_version.checked_add(1) != Some(session.version()) {
            // Not a valid successor: report what a compare-and-swap would.
            let id = session.id().to_owned();
            let exists = self.read(move |conn| session_exists(conn, &id)).await?;
            return Err(if exists {
                StoreError::VersionConflict
            } else {
                StoreError::NotFound
            });
        }
        let row = Row::of(session)?;
        let expected = version_column(expected_version)?;
        self.write(move |conn| update_on(conn, &row, expected))
            .await
    }

    async fn commit(&self, commit: &Commit<'_>) -> Result<(), StoreError> {
        let (session, expected) = match commit.write {
            SessionWrite::Insert(session) => (session, None),
            SessionWrite::Update {
                session,
                expected_version,
            } => {
                if expected_version.checked_add(1) != Some(session.version()) {
                    // Not a valid successor: nothing can be written.
                    return Err(StoreError::VersionConflict);
                }
                (session, Some(version_column(expected_version)?))
            }
        };
        let row = Row::of(session)?;
        let nonces: Vec<(String, i64)> = commit
            .nonces
            .iter()
            .map(|(hash, expires_at)| (hash.to_hex(), time_column(*expires_at)))
            .collect();
        let statuses = commit.statuses.to_vec();
        self.write(move |conn| commit_on(conn, &row, expected, &nonces, &statuses))
            .await
    }

    async fn consume_nonce(
        &self,
        nonce_hash: &SecretHash,
        expires_at: UnixTime,
    ) -> Result<bool, StoreError> {
        let (hash, expires_at) = (nonce_hash.to_hex(), time_column(expires_at));
        // A consumed nonce is only ever followed by the request's synced write (credential
        // issued, deferred or refused) before the wallet hears anything.
        self.write_unsynced(move |conn| consume_nonce_on(conn, &hash, expires_at))
            .await
    }

    async fn sweep_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        let now = time_column(now);
        self.write(move |conn| sweep_on(conn, now)).await
    }

    async fn count_by_state(&self) -> Result<Option<BTreeMap<String, u64>>, StoreError> {
        let counts = self
            .read(|conn| {
                let mut stmt = conn
                    .prepare_cached(listing::COUNT_BY_STATE)
                    .map_err(sql_error("counting sessions"))?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
                    })
                    .map_err(sql_error("counting sessions"))?;
                let mut counts = BTreeMap::new();
                for row in rows {
                    let (state, n) = row.map_err(sql_error("counting sessions"))?;
                    let state = state.unwrap_or_else(|| "unknown".into());
                    counts.insert(state, u64::try_from(n).unwrap_or(0));
                }
                Ok(counts)
            })
            .await?;
        Ok(Some(counts))
    }

    async fn list(&self, query: &SessionQuery) -> Result<Option<Vec<Session>>, StoreError> {
        let query = query.clone();
        let rows = self
            .read(move |conn| listing::list_on(conn, &query))
            .await?;
        let sessions = rows
            .iter()
            .map(|(id, version, data)| decode(id, *version, data))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(sessions))
    }
}
