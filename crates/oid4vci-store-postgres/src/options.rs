//! [`PostgresOptions`]: the pool, timeouts, durability and driver threads of a store.

use std::time::Duration;

/// Options for [`PostgresStore::connect_with`](crate::PostgresStore::connect_with).
#[derive(Clone)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// Most connections the pool opens. Default 16.
    pub max_connections: usize,
    /// How long opening one connection may take. Default 5 s.
    pub connect_timeout: Duration,
    /// How long a call waits for a free connection before failing with
    /// [`StoreError::Unavailable`](oid4vci_issuer::StoreError::Unavailable). Default 5 s.
    pub acquire_timeout: Duration,
    /// Most rows one sweep transaction deletes. Default 1000.
    pub sweep_batch: u32,
    /// The session's `synchronous_commit`; `None` keeps the server's setting (normally `on`).
    /// `Some(false)` makes commits return before the WAL reaches disk: faster, and a server
    /// crash may lose the last commits (which can re-enable a just-consumed nonce or code).
    pub synchronous_commit: Option<bool>,
    /// The session's `statement_timeout`: a statement running longer (waiting on a lock, an
    /// overloaded server) is cancelled and the call fails with [`StoreError::Unavailable`](oid4vci_issuer::StoreError::Unavailable)
    /// (the issuer answers 503 with `Retry-After`; the transaction writes nothing). `None`
    /// keeps the server's setting (normally none).
    pub statement_timeout: Option<Duration>,
    /// Threads of the store's own driver runtime. Default 2.
    pub worker_threads: usize,
    #[cfg(feature = "tls")]
    pub(crate) tls_roots_pem: Option<Vec<u8>>,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            max_connections: 16,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
            sweep_batch: 1000,
            synchronous_commit: None,
            statement_timeout: None,
            worker_threads: 2,
            #[cfg(feature = "tls")]
            tls_roots_pem: None,
        }
    }
}

impl std::fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresOptions")
            .field("max_connections", &self.max_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("sweep_batch", &self.sweep_batch)
            .field("synchronous_commit", &self.synchronous_commit)
            .field("statement_timeout", &self.statement_timeout)
            .field("worker_threads", &self.worker_threads)
            .finish_non_exhaustive()
    }
}

impl PostgresOptions {
    /// Sets [`PostgresOptions::max_connections`] (at least 1).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Sets [`PostgresOptions::connect_timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`PostgresOptions::acquire_timeout`].
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// Sets [`PostgresOptions::sweep_batch`] (at least 1).
    pub fn sweep_batch(mut self, rows: u32) -> Self {
        self.sweep_batch = rows.max(1);
        self
    }

    /// Sets [`PostgresOptions::statement_timeout`].
    pub fn statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// Sets [`PostgresOptions::synchronous_commit`].
    pub fn synchronous_commit(mut self, on: Option<bool>) -> Self {
        self.synchronous_commit = on;
        self
    }

    /// Sets [`PostgresOptions::worker_threads`] (at least 1).
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = n.max(1);
        self
    }

    /// Trusts these PEM certificates for TLS to the server (feature `tls`). Whether TLS is used
    /// is the URL's `sslmode`: `prefer` (the default) or `require`.
    #[cfg(feature = "tls")]
    pub fn tls_roots_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_roots_pem = Some(pem.into());
        self
    }
}
