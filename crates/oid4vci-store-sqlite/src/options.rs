//! The store's options: commit durability, busy timeout, group commit and the store thread's
//! idle spin.

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
    /// The value of `PRAGMA synchronous`.
    pub(crate) fn pragma_value(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Options for [`SqliteStore::open_with`](crate::SqliteStore::open_with).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// How long a write waits for another connection's write lock before failing with a
    /// backend error (`PRAGMA busy_timeout`). Default 5 seconds.
    pub busy_timeout: Duration,
    /// Commit durability. Default [`Synchronous::Full`].
    pub synchronous: Synchronous,
    /// Group commit: concurrent writes share one transaction (and fsync). Default `true`;
    /// `false` commits every write on its own, for comparison in benchmarks.
    pub group_commit: bool,
    /// How long the store thread keeps polling for the next call after answering one, before
    /// it sleeps. Waking a sleeping thread costs tens of microseconds (more on a virtual
    /// machine), paid on every store call of a request whose calls come one after another;
    /// the poll yields the core to any other runnable thread. Default 30 µs;
    /// `Duration::ZERO` sleeps at once.
    pub idle_spin: Duration,
    /// The largest the database may grow, in bytes (`PRAGMA max_page_count`); a write beyond
    /// it fails as a full disk does: [`StoreError::Unavailable`](oid4vci_issuer::StoreError),
    /// nothing written. `None` (the default): as large as the disk allows.
    pub max_size: Option<u64>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: Duration::from_secs(5),
            synchronous: Synchronous::Full,
            group_commit: true,
            idle_spin: DEFAULT_IDLE_SPIN,
            max_size: None,
        }
    }
}

/// [`SqliteOptions::idle_spin`] by default.
const DEFAULT_IDLE_SPIN: Duration = Duration::from_micros(30);

impl SqliteOptions {
    /// Sets [`SqliteOptions::busy_timeout`].
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Sets [`SqliteOptions::group_commit`].
    pub fn group_commit(mut self, on: bool) -> Self {
        self.group_commit = on;
        self
    }

    /// Sets [`SqliteOptions::idle_spin`].
    pub fn idle_spin(mut self, spin: Duration) -> Self {
        self.idle_spin = spin;
        self
    }

    /// Sets [`SqliteOptions::max_size`].
    pub fn max_size(mut self, bytes: Option<u64>) -> Self {
        self.max_size = bytes;
        self
    }

    /// Sets [`SqliteOptions::synchronous`].
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }
}
