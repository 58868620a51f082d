//! # oid4vci-store-postgres
//!
//! [`PostgresStore`]: a [`SessionStore`] for [`oid4vci_issuer`] on PostgreSQL (14 or later), so
//! several issuer instances behind a load balancer share one database and behave as one issuer.
//! Give every instance the same database and the same server key
//! ([`Issuer::with_server_key`](oid4vci_issuer::Issuer::with_server_key)): an offer made on one is
//! redeemed on another, and a nonce is accepted once on any.
//!
//! - **Layout.** Each session is one row of opaque JSON text with `version` and `expires_at`
//!   columns, so new session states need no migration, and `created_at` and `state` columns
//!   computed from the JSON, indexed newest first (and by state) for the operator's list and the
//!   count by state. Secrets a session can be found by are
//!   indexed by their SHA-256 hash in `oid4vci_session_lookups`, keyed by the lookup kind's serde
//!   name (new kinds need no migration) and the hash: the primary key `(kind, hash)` keeps one
//!   secret from pointing at two sessions. Consumed nonces are rows of `oid4vci_consumed_nonces`.
//! - **Atomicity in the database, not in the process.** Every write is one statement.
//!   [`update`](SessionStore::update) is a compare-and-swap (`UPDATE … WHERE id = $1 AND version
//!   = $2`) that re-indexes the lookups in the same statement; among concurrent writers holding the
//!   same version, in any number of processes, exactly one wins. A nonce is consumed by `INSERT …
//!   ON CONFLICT DO NOTHING`: only the first insert of a hash changes a row.
//! - **Status lists.** The store is also a [`StatusListStore`](oid4vci_issuer::StatusListStore)
//!   (revocation): each reserved index is a row of `oid4vci_status_entries` keyed by
//!   `(list, idx)`; a reservation is one `INSERT … ON CONFLICT DO NOTHING`, a status change one
//!   function call holding the row lock, so instances never hand out an index twice or lose a
//!   revocation.
//! - **Migrations.** Versioned in this crate ([`SCHEMA_VERSION`]) and applied by
//!   [`PostgresStore::connect`] in one transaction under an advisory lock, so instances starting
//!   at once are safe; a database from a newer build is refused.
//! - **Outages.** A server that cannot be reached (refused, lost connection, shutting down, pool
//!   exhausted) is [`StoreError::Unavailable`], which the issuer answers with `server_error` and
//!   HTTP 503 with `Retry-After`. Connections are checked when taken from the pool and replaced
//!   when broken, so the store recovers by itself once the server is back.
//! - **Expiry.** [`sweep_expired`](SessionStore::sweep_expired) deletes expired sessions (their
//!   lookups cascade) and expired nonces in bounded batches, each its own short transaction.
//! - **Runtime.** The store runs its driver on a small Tokio runtime of its own, so its futures
//!   may be awaited from any executor (Tokio, `pollster`, …) and dropping one never leaves a
//!   statement half-sent: a started write completes or fails as a whole.
//! - **TLS.** With the `tls` feature, `PostgresOptions::tls_roots_pem` enables rustls; the URL's
//!   `sslmode` (`prefer`, `require`) decides whether it is used.
//!
//! ```no_run
//! use oid4vci_issuer::{Issuer, IssuerConfig, OfferSpec};
//! use oid4vci_sd_jwt::SdJwtVcMinter;
//! use oid4vci_store_postgres::{PostgresOptions, PostgresStore};
//! use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
//! metadata.credential_configurations_supported
//!     .insert("eu.europa.ec.av.1".into(), CredentialConfiguration::sd_jwt_vc("eu.europa.ec.av.1"));
//! let store = PostgresStore::connect_with(
//!     "postgres://issuer@db.internal/issuer",
//!     PostgresOptions::default().max_connections(32),
//! )
//! .await?;
//! // Every instance uses the same server key (persist it; 32 random bytes).
//! let server_key = [7u8; 32];
//! let issuer = Issuer::new(IssuerConfig::new(metadata), store, SdJwtVcMinter::generate())
//!     .with_server_key(server_key);
//! let created = issuer.create_offer(OfferSpec {
//!     credential_configuration_ids: vec!["eu.europa.ec.av.1".into()],
//!     pre_authorized: true,
//!     claims: Some(serde_json::json!({"age_over_18": true})),
//!     ..OfferSpec::default()
//! }).await?;
//! println!("{}", created.session_id);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod listing;
mod options;
mod row;
mod schema;
mod status;
#[cfg(feature = "test-server")]
pub mod test_server;

pub use options::PostgresOptions;
pub use schema::SCHEMA_VERSION;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use error::{commit_error, pg_error, pool_error};
use oid4vci_issuer::stored::time_column;
use oid4vci_issuer::{
    Commit, LookupKind, SecretHash, Session, SessionQuery, SessionStore, SessionWrite, StoreError,
    UnixTime,
};
use row::{decode, version_column, Row};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

/// A runtime that is shut down without blocking when dropped, so dropping the last store clone
/// inside an async task is fine.
struct DriverRuntime(Option<tokio::runtime::Runtime>);

impl DriverRuntime {
    fn handle(&self) -> Option<&tokio::runtime::Handle> {
        self.0.as_ref().map(|rt| rt.handle())
    }
}

impl Drop for DriverRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

struct Inner {
    // Declared before the runtime: the pool (and its connections) go first.
    pool: Pool,
    sweep_batch: i64,
    runtime: DriverRuntime,
}

/// A [`SessionStore`] in a PostgreSQL database. Clones share one connection pool.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.inner.pool.status();
        f.debug_struct("PostgresStore")
            .field("max_connections", &status.max_size)
            .field("open_connections", &status.size)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects with default [`PostgresOptions`] to the database at `url`
    /// (`postgres://user:password@host:port/database?sslmode=…`, or a key-value string) and
    /// migrates its schema to [`SCHEMA_VERSION`]. Fails with [`StoreError::Unavailable`] when the
    /// server cannot be reached, and refuses a database from a newer build.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        PostgresStore::connect_with(url, PostgresOptions::default()).await
    }

    /// Connects with `options`. See [`PostgresStore::connect`].
    pub async fn connect_with(url: &str, options: PostgresOptions) -> Result<Self, StoreError> {
        // The driver's parse errors do not echo the URL (which may carry a password).
        let mut pg: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::Backend(format!("postgres: the database URL is not valid: {e}"))
        })?;
        pg.connect_timeout(options.connect_timeout);
        if pg.get_application_name().is_none() {
            pg.application_name("oid4vci");
        }
        let mut settings = Vec::new();
        if let Some(on) = options.synchronous_commit {
            let value = if on { "on" } else { "off" };
            settings.push(format!("-c synchronous_commit={value}"));
        }
        if let Some(timeout) = options.statement_timeout {
            settings.push(format!(
                "-c statement_timeout={}",
                timeout.as_millis().max(1)
            ));
        }
        if !settings.is_empty() {
            pg.options(settings.join(" "));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.worker_threads.max(1))
            .thread_name("oid4vci-postgres")
            .enable_all()
            .build()
            .map_err(|e| {
                StoreError::Backend(format!("postgres: cannot start the driver runtime: {e}"))
            })?;
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = make_manager(pg, manager_config, &options)?;
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(options.acquire_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .build()
            .map_err(|e| StoreError::Backend(format!("postgres: cannot build the pool: {e}")))?;
        let store = PostgresStore {
            inner: Arc::new(Inner {
                pool,
                sweep_batch: i64::from(options.sweep_batch.max(1)),
                runtime: DriverRuntime(Some(runtime)),
            }),
        };
        store
            .run(|pool| async move {
                let mut client = pool.get().await.map_err(pool_error)?;
                schema::migrate(&mut client, schema::MIGRATIONS).await
            })
            .await?;
        Ok(store)
    }

    /// The database's schema version; [`SCHEMA_VERSION`] once connected.
    pub async fn schema_version(&self) -> Result<u32, StoreError> {
        self.run(|pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            schema::schema_version(&**client).await
        })
        .await
    }

    /// Runs `op` on the driver runtime and awaits it from whatever executor polls this future.
    async fn run<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(Pool) -> Fut,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let handle = self.inner.runtime.handle().ok_or_else(|| {
            StoreError::Backend("postgres: the driver runtime is shut down".into())
        })?;
        let task = handle.spawn(op(self.inner.pool.clone()));
        task.await.map_err(|e| {
            StoreError::Backend(format!("postgres: the database task did not finish: {e}"))
        })?
    }
}

#[cfg(feature = "tls")]
fn make_manager(
    pg: tokio_postgres::Config,
    config: ManagerConfig,
    options: &PostgresOptions,
) -> Result<Manager, StoreError> {
    let Some(pem) = &options.tls_roots_pem else {
        return Ok(Manager::from_config(pg, tokio_postgres::NoTls, config));
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        let cert = cert.map_err(|e| {
            StoreError::Backend(format!("postgres: TLS roots are not valid PEM: {e}"))
        })?;
        roots.add(cert).map_err(|e| {
            StoreError::Backend(format!(
                "postgres: a TLS root certificate is not usable: {e}"
            ))
        })?;
    }
    if roots.is_empty() {
        return Err(StoreError::Backend(
            "postgres: the TLS roots PEM holds no certificate".into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Backend(format!("postgres: TLS configuration: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Manager::from_config(
        pg,
        tokio_postgres_rustls::MakeRustlsConnect::new(tls),
        config,
    ))
}

#[cfg(not(feature = "tls"))]
fn make_manager(
    pg: tokio_postgres::Config,
    config: ManagerConfig,
    _options: &PostgresOptions,
) -> Result<Manager, StoreError> {
    Ok(Manager::from_config(pg, tokio_postgres::NoTls, config))
}

impl SessionStore for PostgresStore {
    async fn insert(&self, session: &Session) -> Result<(), StoreError> {
        let commit = Commit {
            write: SessionWrite::Insert(session),
            nonces: &[],
            statuses: &[],
        };
        self.commit(&commit).await
    }

    async fn get(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let id = id.to_owned();
        self.run(|pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let stmt = client
                .prepare_cached("SELECT version, data FROM oid4vci_sessions WHERE id = $1")
                .await
                .map_err(pg_error("preparing the session load"))?;
            let row = client
                .query_opt(&stmt, &[&id])
                .await
                .map_err(pg_error("loading the session"))?;
            row.map(|r| {
                let version: i64 = r.try_get(0).map_err(pg_error("reading the version"))?;
                let data: &str = r.try_get(1).map_err(pg_error("reading the session"))?;
                decode(&id, version, data)
            })
            .transpose()
        })
        .await
    }

    async fn find(
        &self,
        kind: LookupKind,
        hash: &SecretHash,
    ) -> Result<Option<Session>, StoreError> {
        let kind = kind.as_str();
        let hash = hash.to_hex();
        self.run(|pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let stmt = client
                .prepare_cached(
                    "SELECT s.id, s.version, s.data FROM oid4vci_session_lookups l \
                     JOIN oid4vci_sessions s ON s.id = l.session_id \
                     WHERE l.kind = $1 AND l.hash = $2",
                )
                .await
                .map_err(pg_error("preparing the lookup"))?;
            let row = client
                .query_opt(&stmt, &[&kind, &hash])
                .await
                .map_err(pg_error("finding the session"))?;
            row.map(|r| {
                let id: &str = r.try_get(0).map_err(pg_error("reading the id"))?;
                let version: i64 = r.try_get(1).map_err(pg_error("reading the version"))?;
                let data: &str = r.try_get(2).map_err(pg_error("reading the session"))?;
                decode(id, version, data)
            })
            .transpose()
        })
        .await
    }

    async fn update(&self, session: &Session, expected_version: u64) -> Result<(), StoreError> {
        let commit = Commit {
            write: SessionWrite::Update {
                session,
                expected_version,
            },
            nonces: &[],
            statuses: &[],
        };
        self.commit(&commit).await
    }

    async fn commit(&self, commit: &Commit<'_>) -> Result<(), StoreError> {
        let (session, expected) = match commit.write {
            SessionWrite::Insert(session) => (session, None),
            SessionWrite::Update {
                session,
                expected_version,
            } => {
                if expected_version.checked_add(1) != Some(session.version()) {
                    return Err(StoreError::VersionConflict);
                }
                (session, Some(version_column(expected_version)?))
            }
        };
        let row = Row::of(session)?;
        let nonces: Vec<String> = commit.nonces.iter().map(|(h, _)| h.to_hex()).collect();
        let expiries: Vec<i64> = commit.nonces.iter().map(|(_, t)| time_column(*t)).collect();
        let lists: Vec<i64> = commit.statuses.iter().map(|(l, _)| i64::from(*l)).collect();
        let idxs: Vec<i64> = commit.statuses.iter().map(|(_, i)| i64::from(*i)).collect();
        let outcome = self
            .run(|pool| async move {
                let client = pool.get().await.map_err(pool_error)?;
                let stmt = client
                    .prepare_cached(
                        "SELECT oid4vci_commit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .await
                    .map_err(pg_error("preparing the commit"))?;
                let r = client
                    .query_one(
                        &stmt,
                        &[
                            &row.id,
                            &expected,
                            &row.version,
                            &row.expires_at,
                            &row.data,
                            &row.kinds,
                            &row.hashes,
                            &nonces,
                            &expiries,
                            &lists,
                            &idxs,
                        ],
                    )
                    .await
                    .map_err(commit_error)?;
                r.try_get::<_, String>(0)
                    .map_err(pg_error("reading the commit outcome"))
            })
            .await?;
        match outcome.as_str() {
            "ok" => Ok(()),
            "duplicate" => Err(StoreError::Duplicate),
            "version_conflict" => Err(StoreError::VersionConflict),
            "not_found" => Err(StoreError::NotFound),
            other => Err(StoreError::Backend(format!(
                "postgres: unexpected commit outcome {other:?}"
            ))),
        }
    }

    async fn consume_nonce(
        &self,
        nonce_hash: &SecretHash,
        expires_at: UnixTime,
    ) -> Result<bool, StoreError> {
        let hash = nonce_hash.to_hex();
        let expires_at = time_column(expires_at);
        self.run(|pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let stmt = client
                .prepare_cached(
                    "INSERT INTO oid4vci_consumed_nonces (hash, expires_at) VALUES ($1, $2) \
                     ON CONFLICT (hash) DO NOTHING",
                )
                .await
                .map_err(pg_error("preparing the nonce record"))?;
            let inserted = client
                .execute(&stmt, &[&hash, &expires_at])
                .await
                .map_err(pg_error("recording the consumed nonce"))?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn count_by_state(&self) -> Result<Option<BTreeMap<String, u64>>, StoreError> {
        self.run(|pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let rows = client
                .query(listing::COUNT_BY_STATE, &[])
                .await
                .map_err(pg_error("counting sessions"))?;
            let mut counts = BTreeMap::new();
            for row in rows {
                let state: Option<String> = row.try_get(0).map_err(pg_error("reading a state"))?;
                let n: i64 = row.try_get(1).map_err(pg_error("reading a count"))?;
                let state = state.unwrap_or_else(|| "unknown".into());
                counts.insert(state, u64::try_from(n).unwrap_or(0));
            }
            Ok(Some(counts))
        })
        .await
    }

    async fn list(&self, query: &SessionQuery) -> Result<Option<Vec<Session>>, StoreError> {
        let state = query.state.map(|s| s.as_str().to_owned());
        let configuration = query.configuration_id.clone();
        let grant = query.grant.map(|g| g.as_str().to_owned());
        let limit = i64::try_from(query.limit()).unwrap_or(i64::MAX);
        self.run(|pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let stmt = client
                .prepare_cached(if state.is_some() {
                    listing::LIST_SESSIONS_IN_STATE
                } else {
                    listing::LIST_SESSIONS
                })
                .await
                .map_err(pg_error("preparing the session list"))?;
            let rows = client
                .query(&stmt, &[&state, &configuration, &grant, &limit])
                .await
                .map_err(pg_error("listing sessions"))?;
            let mut sessions = Vec::with_capacity(rows.len());
            for r in rows {
                let id: &str = r.try_get(0).map_err(pg_error("reading an id"))?;
                let version: i64 = r.try_get(1).map_err(pg_error("reading the version"))?;
                let data: &str = r.try_get(2).map_err(pg_error("reading the session"))?;
                sessions.push(decode(id, version, data)?);
            }
            Ok(Some(sessions))
        })
        .await
    }

    async fn sweep_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        let now = time_column(now);
        let batch = self.inner.sweep_batch;
        self.run(|pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            // Each batch is one statement (its own transaction); SKIP LOCKED leaves rows a
            // concurrent sweeper or writer holds to it. Lookups go with their session (CASCADE).
            let sessions = client
                .prepare_cached(
                    "DELETE FROM oid4vci_sessions WHERE id IN (SELECT id FROM oid4vci_sessions \
                     WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
                )
                .await
                .map_err(pg_error("preparing the session sweep"))?;
            let nonces = client
                .prepare_cached(
                    "DELETE FROM oid4vci_consumed_nonces WHERE hash IN (SELECT hash FROM \
                     oid4vci_consumed_nonces WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
                )
                .await
                .map_err(pg_error("preparing the nonce sweep"))?;
            let mut swept: u64 = 0;
            loop {
                let n = client
                    .execute(&sessions, &[&now, &batch])
                    .await
                    .map_err(pg_error("sweeping expired sessions"))?;
                swept = swept.saturating_add(n);
                if n < batch.unsigned_abs() {
                    break;
                }
            }
            loop {
                let n = client
                    .execute(&nonces, &[&now, &batch])
                    .await
                    .map_err(pg_error("sweeping expired nonces"))?;
                if n < batch.unsigned_abs() {
                    break;
                }
            }
            Ok(swept)
        })
        .await
    }
}
