//! WAL checkpoints off the store thread.
//!
//! SQLite's automatic checkpoint runs inside the commit that pushes the WAL past 1000 pages: on
//! the store thread, copying the WAL into the database file and syncing it, while every queued
//! request waits. Instead, the store's connection gets a WAL hook that wakes this thread once
//! the WAL holds [`BACKGROUND_AT`] pages; the thread runs a `PASSIVE` checkpoint on its own
//! connection, which never blocks the writer: it copies (and syncs) every page committed when it
//! started, and leaves the rest for the next round.
//!
//! The log starts over only when a checkpoint has copied all of it, and the store keeps
//! committing while the thread copies, so the thread alone would chase the writer forever.
//! Once the log holds its restart size and the thread is within [`CATCH_UP`] pages of its end,
//! the next commit's hook copies that remainder itself (a small checkpoint on the store
//! thread), and the following write starts the log over. That step syncs the log and the
//! database: 1–9 ms on the store thread while requests queue behind it. With `synchronous =
//! NORMAL` those are the only syncs a loaded store makes, so the log restarts late
//! ([`RESTART_AT_NORMAL`] pages: the SQLite credential endpoint's p99 fell from 9.8–10.9 to
//! 7.8–8.3 ms against restarting at 1000); with `FULL` every commit syncs anyway, and
//! restarting late cost a quarter of the 8-flow throughput (1908–2103 against 2614–2682
//! flows/s), so it restarts at [`BACKGROUND_AT`] (figures in BENCHMARKS.md). Should the thread
//! fall far behind (the WAL past [`INLINE_AT`] pages), the commit checkpoints inline as SQLite
//! would have, so the WAL cannot grow without bound.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use oid4vci_issuer::StoreError;
use rusqlite::wal::CheckpointMode;
use rusqlite::Connection;

use crate::options::Synchronous;
use crate::schema::sql_error;

/// WAL pages after which the background thread is woken (SQLite's own autocheckpoint size).
pub(crate) const BACKGROUND_AT: i32 = 1000;
/// With `synchronous = NORMAL`, the WAL pages (16 MiB of 4 KiB pages) from which the store
/// thread copies the last pages itself so that the log can start over; [`BACKGROUND_AT`] with
/// `FULL`.
const RESTART_AT_NORMAL: i32 = 4 * BACKGROUND_AT;
/// WAL pages after which a commit checkpoints inline (the background thread is far behind).
const INLINE_AT: i32 = 16 * BACKGROUND_AT;
/// Pages not yet copied by the last background checkpoint below which the store thread copies
/// them itself, so that the log can start over.
const CATCH_UP: i32 = 200;

/// The outcome of the last background checkpoint: the log's length and how much of it is
/// copied, in frames, packed into one word (so that the hook reads a consistent pair); 0 when
/// the log has started over since.
#[derive(Default)]
struct Progress(AtomicU64);

impl Progress {
    fn store(&self, log: i32, copied: i32) {
        let pack = (u64::from(log.max(0) as u32) << 32) | u64::from(copied.max(0) as u32);
        self.0.store(pack, Ordering::Release);
    }

    fn load(&self) -> (i32, i32) {
        let pack = self.0.load(Ordering::Acquire);
        let log = i32::try_from(pack >> 32).unwrap_or(i32::MAX);
        let copied = i32::try_from(pack & u64::from(u32::MAX)).unwrap_or(i32::MAX);
        (log, copied)
    }

    fn reset(&self) {
        self.0.store(0, Ordering::Release);
    }
}

/// The checkpoint thread of one store. It stops once the store's connection (which holds the
/// only way to wake it) is closed; dropping this joins it.
pub(crate) struct Checkpointer {
    thread: Option<JoinHandle<()>>,
    done: Arc<AtomicU64>,
}

impl Checkpointer {
    /// Opens a second connection to the database at `path` (with the store's `busy_timeout`
    /// and `synchronous`), starts its thread, and hooks `store` (the store thread's
    /// connection, in WAL mode) up to wake it.
    pub(crate) fn start(
        store: &mut Connection,
        path: &Path,
        busy_timeout: Duration,
        synchronous: Synchronous,
    ) -> Result<Self, StoreError> {
        let restart_at = match synchronous {
            Synchronous::Full => BACKGROUND_AT,
            Synchronous::Normal => RESTART_AT_NORMAL,
        };
        let conn =
            Connection::open(path).map_err(sql_error("opening the checkpoint connection"))?;
        conn.busy_timeout(busy_timeout).map_err(sql_error(
            "setting the checkpoint connection's busy timeout",
        ))?;
        conn.pragma_update(None, "synchronous", synchronous.pragma_value())
            .map_err(sql_error("setting the checkpoint connection's synchronous"))?;
        // One wake-up pending is enough: the checkpoint it runs covers every commit before it.
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let done = Arc::new(AtomicU64::new(0));
        let progress = Arc::new(Progress::default());
        let (counter, reported) = (done.clone(), progress.clone());
        let thread = std::thread::Builder::new()
            .name("oid4vci-sqlite-checkpoint".into())
            .spawn(move || {
                while woken.recv().is_ok() {
                    // An error (a busy database, say) only postpones the copy to the next round.
                    if let Ok((log, copied)) =
                        conn.wal_checkpoint_v2(Some("main"), CheckpointMode::PASSIVE)
                    {
                        reported.store(log, copied);
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .map_err(|e| {
                StoreError::Backend(format!("sqlite: cannot start the checkpoint thread: {e}"))
            })?;
        let mut last_pages = 0;
        store
            .wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: i32| {
                if pages < last_pages {
                    // The log started over: the last report was about the one before.
                    progress.reset();
                }
                last_pages = pages;
                if pages >= BACKGROUND_AT {
                    let (log, copied) = progress.load();
                    let caught_up = pages >= restart_at
                        && log > 0
                        && log <= pages
                        && pages - copied <= CATCH_UP;
                    if caught_up || pages >= INLINE_AT {
                        // The commit has happened whatever this returns: never report an error.
                        let _ = wal.checkpoint_v2(CheckpointMode::PASSIVE);
                        progress.reset();
                    } else {
                        let _ = wake.try_send(());
                    }
                }
                Ok(())
            }))
            .map_err(sql_error("installing the WAL hook"))?;
        Ok(Checkpointer {
            thread: Some(thread),
            done,
        })
    }

    /// Background checkpoints completed so far.
    pub(crate) fn count(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
