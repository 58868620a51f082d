//! The thread that owns the SQLite connection, so no SQLite call (and no fsync) ever runs on the
//! caller's (async runtime's) thread: callers only wait on a channel.
//!
//! Jobs run strictly in arrival order. Writes are grouped: the first write opens a
//! `BEGIN IMMEDIATE` transaction, every job that arrives before the queue runs dry joins it, and
//! the batch is committed once — one fsync for all of them (group commit). Each write runs in
//! its own `SAVEPOINT`, so its compare-and-swap or uniqueness verdict is its own: a write that
//! fails (version conflict, duplicate, taken lookup, SQL error) is rolled back to its savepoint
//! and answered at once (it changed nothing); a write that succeeded is answered only after the
//! `COMMIT` returned, so nothing acknowledged can be lost by a crash (with `synchronous = FULL`,
//! not even on power loss). If the commit fails, every write of the batch reports the failure
//! and none took effect.
//!
//! Writes that need no sync of their own (`needs_sync` false: a consumed nonce, a reserved
//! status-list entry) open their batch with `synchronous = NORMAL` (SQLite changes the level
//! only between transactions): its commit is atomic, visible at once to every connection and
//! safe from process crashes, but not fsynced. Unsynced writes join any open batch; a write that
//! needs a sync never joins a relaxed one: that is committed first and a synced batch opens. Nothing is lost that matters: the
//! issuer answers a wallet only after the request's next, synced write, and syncing the WAL makes
//! every earlier frame of it durable too; a power loss before that loses only a consumption or a
//! reservation whose credential was never handed out. (Only with `synchronous = FULL`; with
//! `NORMAL` no commit syncs anyway.)
//!
//! Reads run in the same order, inside the open batch: they see the batch's earlier writes, so a
//! caller that lost a compare-and-swap re-reads the newest version at once and can retry within
//! the same batch. Anything the service stores because of such a read is itself a write of this
//! batch or a later one, acknowledged only after its commit; and a compare-and-swap based on a
//! version whose batch failed to commit finds the old version and conflicts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use oid4vci_issuer::StoreError;
use rusqlite::Connection;

use crate::checkpoint::Checkpointer;

/// Largest number of writes committed together.
pub(crate) const MAX_BATCH: usize = 128;
/// Most jobs (reads, failed and successful writes) handled before the batch is committed.
const MAX_JOBS_PER_BATCH: usize = 1024;

/// One queued write: run once inside the batch (returning whether its changes are kept), then
/// finished with the batch's outcome (`Some(message)` if the batch did not commit).
pub(crate) trait Write: Send {
    fn run(&mut self, conn: &Connection) -> bool;
    fn finish(self: Box<Self>, commit_error: Option<&str>);
    /// Whether its commit must be synced before it is answered (see the module docs).
    fn needs_sync(&self) -> bool;
}

/// A write operation and the channel its caller waits on.
pub(crate) struct WriteOp<T, F> {
    op: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: futures_channel::oneshot::Sender<Result<T, StoreError>>,
    needs_sync: bool,
}

impl<T, F> WriteOp<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    /// `needs_sync`: whether its commit must be synced before it is answered (see the module
    /// docs).
    pub(crate) fn new(
        op: F,
        reply: futures_channel::oneshot::Sender<Result<T, StoreError>>,
        needs_sync: bool,
    ) -> Self {
        WriteOp {
            op: Some(op),
            result: None,
            reply,
            needs_sync,
        }
    }
}

impl<T, F> Write for WriteOp<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let result = self.op.take().map(|op| op(conn));
        let applied = matches!(result, Some(Ok(_)));
        self.result = result;
        applied
    }

    fn finish(self: Box<Self>, commit_error: Option<&str>) {
        let outcome = match (self.result, commit_error) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), None) => Ok(v),
            (_, Some(msg)) => Err(StoreError::Backend(msg.to_owned())),
            (None, None) => Err(StoreError::Backend("sqlite: the write did not run".into())),
        };
        // The caller may have given up waiting; then nobody needs the answer.
        let _ = self.reply.send(outcome);
    }

    fn needs_sync(&self) -> bool {
        self.needs_sync
    }
}

pub(crate) type WriteJob = Box<dyn Write>;
pub(crate) type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

enum Job {
    Write(WriteJob),
    Read(ReadJob),
}

/// The worker thread of one store; dropping it (with the last store clone) stops the thread and
/// closes the connection before returning.
pub(crate) struct Workers {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    counts: Arc<Counts>,
    /// File databases only; stops after the connection it is hooked to is closed.
    checkpointer: Option<Checkpointer>,
}

/// Commits so far, and how many of them skipped the sync of `synchronous = FULL`.
#[derive(Default)]
struct Counts {
    commits: AtomicU64,
    relaxed: AtomicU64,
}

/// How the worker commits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CommitPolicy {
    /// Most writes per transaction (1: no group commit).
    pub(crate) max_batch: usize,
    /// True when the connection syncs every commit (`synchronous = FULL` on a file): then a
    /// batch opened by an unsynced write is committed at `NORMAL`.
    pub(crate) syncs_every_commit: bool,
    /// How long the thread keeps polling for the next job before it sleeps (see
    /// [`next_job`]).
    pub(crate) idle_spin: Duration,
}

fn stopped() -> StoreError {
    StoreError::Backend("sqlite: the store's worker thread has stopped".into())
}

impl Workers {
    /// Starts the worker thread on `conn` (hooked up to `checkpointer`, if any).
    pub(crate) fn start(
        conn: Connection,
        policy: CommitPolicy,
        checkpointer: Option<Checkpointer>,
    ) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let counts = Arc::new(Counts::default());
        let counter = counts.clone();
        let policy = CommitPolicy {
            max_batch: policy.max_batch.clamp(1, MAX_BATCH),
            ..policy
        };
        let thread = std::thread::Builder::new()
            .name("oid4vci-sqlite".into())
            .spawn(move || run(&conn, &rx, &counter, policy))
            .map_err(|e| {
                StoreError::Backend(format!("sqlite: cannot start the store thread: {e}"))
            })?;
        Ok(Workers {
            jobs: Some(tx),
            thread: Some(thread),
            counts,
            checkpointer,
        })
    }

    fn send(&self, job: Job) -> Result<(), StoreError> {
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())
    }

    pub(crate) fn write(&self, job: WriteJob) -> Result<(), StoreError> {
        self.send(Job::Write(job))
    }

    pub(crate) fn read(&self, job: ReadJob) -> Result<(), StoreError> {
        self.send(Job::Read(job))
    }

    /// Write transactions committed so far.
    pub(crate) fn commits(&self) -> u64 {
        self.counts.commits.load(Ordering::Relaxed)
    }

    /// Background WAL checkpoints completed so far (0 for an in-memory database).
    pub(crate) fn checkpoints(&self) -> u64 {
        self.checkpointer.as_ref().map_or(0, Checkpointer::count)
    }

    /// Of those, the ones committed without the sync the connection would have done (batches
    /// of only unsynced writes, with `synchronous = FULL`).
    pub(crate) fn relaxed_commits(&self) -> u64 {
        self.counts.relaxed.load(Ordering::Relaxed)
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            // A thread that panicked has already answered its callers with "stopped".
            let _ = t.join();
        }
        // The connection is closed now, and with it the checkpoint thread's wake-up channel.
        self.checkpointer = None;
    }
}

/// The batch being built: whether a transaction is open, whether it commits without a sync,
/// and the writes awaiting its commit.
struct Batch {
    open: bool,
    relaxed: bool,
    committed_later: Vec<WriteJob>,
}

/// The worker's state: the connection, its commit policy, the open batch, the counters, and
/// the `synchronous` level the connection is at (changeable only outside a transaction).
struct Worker<'a> {
    conn: &'a Connection,
    policy: CommitPolicy,
    counts: &'a Counts,
    batch: Batch,
    at_normal: bool,
}

fn run(conn: &Connection, jobs: &mpsc::Receiver<Job>, counts: &Counts, policy: CommitPolicy) {
    let mut worker = Worker {
        conn,
        policy,
        counts,
        batch: Batch {
            open: false,
            relaxed: false,
            committed_later: Vec::new(),
        },
        at_normal: false,
    };
    while let Some(first) = next_job(jobs, policy.idle_spin) {
        // Bounded, so that a steady stream of jobs cannot hold back the commit indefinitely.
        let mut next = Some(first);
        let mut handled = 0;
        while let Some(job) = next.take() {
            match job {
                Job::Read(read) => read(conn),
                Job::Write(write) => worker.add_write(write),
            }
            handled += 1;
            if worker.batch.committed_later.len() < policy.max_batch && handled < MAX_JOBS_PER_BATCH
            {
                next = jobs.try_recv().ok();
            }
        }
        worker.commit();
    }
    if worker.batch.open {
        worker.finish(Some("sqlite: the store closed mid-batch".into()));
    }
}

/// Waits for the next job: polls the queue for up to `spin` (yielding the core to any other
/// runnable thread between polls), then sleeps until one arrives; `None` once every sender is
/// gone. A flow's next store call usually comes within a few tens of microseconds of the last
/// answer, and waking a sleeping thread costs about as much again (a futex wake and, on a
/// virtual machine, an idle vCPU's exit), so a short poll saves that on every call of a
/// sequential flow. Under load the queue is rarely empty and the poll rarely runs.
fn next_job(jobs: &mpsc::Receiver<Job>, spin: Duration) -> Option<Job> {
    if !spin.is_zero() {
        let start = Instant::now();
        loop {
            match jobs.try_recv() {
                Ok(job) => return Some(job),
                Err(mpsc::TryRecvError::Disconnected) => return None,
                Err(mpsc::TryRecvError::Empty) if start.elapsed() >= spin => break,
                Err(mpsc::TryRecvError::Empty) => std::thread::yield_now(),
            }
        }
    }
    jobs.recv().ok()
}

/// Runs a transaction-control statement through the connection's statement cache (parsed once).
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

impl Worker<'_> {
    /// Puts the connection at `synchronous = NORMAL` (`relaxed`) or back at `FULL`; only called
    /// between transactions, and only when the policy relaxes anything.
    fn set_level(&mut self, relaxed: bool) -> Result<(), String> {
        if self.at_normal == relaxed {
            return Ok(());
        }
        let pragma = if relaxed {
            "PRAGMA synchronous = NORMAL"
        } else {
            "PRAGMA synchronous = FULL"
        };
        control(self.conn, pragma).map_err(|e| format!("sqlite: {pragma}: {e}"))?;
        self.at_normal = relaxed;
        Ok(())
    }

    /// Opens a batch for `write`: relaxed when the policy allows and `write` needs no sync.
    fn begin(&mut self, write: &WriteJob) -> Result<(), String> {
        let relaxed = self.policy.syncs_every_commit && !write.needs_sync();
        self.set_level(relaxed)?;
        control(self.conn, "BEGIN IMMEDIATE")
            .map_err(|e| format!("sqlite: starting the write transaction: {e}"))?;
        self.batch.open = true;
        self.batch.relaxed = relaxed;
        Ok(())
    }

    /// Commits the open batch (if any) and answers its writes.
    fn commit(&mut self) {
        if !self.batch.open {
            return;
        }
        let error = control(self.conn, "COMMIT")
            .err()
            .map(|e| format!("sqlite: committing: {e}"));
        if error.is_none() {
            self.counts.commits.fetch_add(1, Ordering::Relaxed);
            if self.batch.relaxed {
                self.counts.relaxed.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.finish(error);
    }

    /// Runs one write in its own savepoint inside the open batch. A write that needs a sync
    /// does not join a relaxed batch: that one is committed first (cheaply), and a synced batch
    /// opens for it.
    fn add_write(&mut self, mut write: WriteJob) {
        if self.batch.open && self.batch.relaxed && write.needs_sync() {
            self.commit();
        }
        if !self.batch.open {
            if let Err(e) = self.begin(&write) {
                write.finish(Some(&e));
                return;
            }
        }
        let conn = self.conn;
        if let Err(e) = control(conn, "SAVEPOINT op") {
            let msg = format!("sqlite: opening a savepoint: {e}");
            write.finish(Some(&msg));
            self.finish(Some(msg));
            return;
        }
        if write.run(conn) {
            match control(conn, "RELEASE op") {
                Ok(()) => self.batch.committed_later.push(write),
                Err(e) => {
                    let msg = format!("sqlite: releasing a savepoint: {e}");
                    self.batch.committed_later.push(write);
                    self.finish(Some(msg));
                }
            }
        } else {
            match conn.execute_batch("ROLLBACK TO op; RELEASE op") {
                // It changed nothing: its own error can be answered now.
                Ok(()) => write.finish(None),
                Err(e) => {
                    let msg = format!("sqlite: rolling a savepoint back: {e}");
                    write.finish(None);
                    self.finish(Some(msg));
                }
            }
        }
    }

    /// Ends the batch: on `error`, rolls it back (if still open); then answers its writes.
    fn finish(&mut self, error: Option<String>) {
        if error.is_some() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.batch.open = false;
        for write in self.batch.committed_later.drain(..) {
            write.finish(error.as_deref());
        }
    }
}
