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
//! Reads run in the same order, inside the open batch: they see the batch's earlier writes, so a
//! caller that lost a compare-and-swap re-reads the newest version at once and can retry within
//! the same batch. Anything the service stores because of such a read is itself a write of this
//! batch or a later one, acknowledged only after its commit; and a compare-and-swap based on a
//! version whose batch failed to commit finds the old version and conflicts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use oid4vci_issuer::StoreError;
use rusqlite::Connection;

/// Largest number of writes committed together.
pub(crate) const MAX_BATCH: usize = 128;
/// Most jobs (reads, failed and successful writes) handled before the batch is committed.
const MAX_JOBS_PER_BATCH: usize = 1024;

/// One queued write: run once inside the batch (returning whether its changes are kept), then
/// finished with the batch's outcome (`Some(message)` if the batch did not commit).
pub(crate) trait Write: Send {
    fn run(&mut self, conn: &Connection) -> bool;
    fn finish(self: Box<Self>, commit_error: Option<&str>);
}

/// A write operation and the channel its caller waits on.
pub(crate) struct WriteOp<T, F> {
    op: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: futures_channel::oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> WriteOp<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    pub(crate) fn new(
        op: F,
        reply: futures_channel::oneshot::Sender<Result<T, StoreError>>,
    ) -> Self {
        WriteOp {
            op: Some(op),
            result: None,
            reply,
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
    commits: Arc<AtomicU64>,
}

fn stopped() -> StoreError {
    StoreError::Backend("sqlite: the store's worker thread has stopped".into())
}

impl Workers {
    /// Starts the worker thread on `conn`.
    pub(crate) fn start(conn: Connection, max_batch: usize) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let commits = Arc::new(AtomicU64::new(0));
        let counter = commits.clone();
        let thread = std::thread::Builder::new()
            .name("oid4vci-sqlite".into())
            .spawn(move || run(&conn, &rx, &counter, max_batch.clamp(1, MAX_BATCH)))
            .map_err(|e| {
                StoreError::Backend(format!("sqlite: cannot start the store thread: {e}"))
            })?;
        Ok(Workers {
            jobs: Some(tx),
            thread: Some(thread),
            commits,
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
        self.commits.load(Ordering::Relaxed)
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            // A thread that panicked has already answered its callers with "stopped".
            let _ = t.join();
        }
    }
}

/// The batch being built: whether a transaction is open, and the writes awaiting its commit.
struct Batch {
    open: bool,
    committed_later: Vec<WriteJob>,
}

fn run(conn: &Connection, jobs: &mpsc::Receiver<Job>, commits: &AtomicU64, max_batch: usize) {
    let mut batch = Batch {
        open: false,
        committed_later: Vec::new(),
    };
    while let Ok(first) = jobs.recv() {
        // Bounded, so that a steady stream of jobs cannot hold back the commit indefinitely.
        let mut next = Some(first);
        let mut handled = 0;
        while let Some(job) = next.take() {
            match job {
                Job::Read(read) => read(conn),
                Job::Write(write) => add_write(conn, &mut batch, write),
            }
            handled += 1;
            if batch.committed_later.len() < max_batch && handled < MAX_JOBS_PER_BATCH {
                next = jobs.try_recv().ok();
            }
        }
        if batch.open {
            let error = conn
                .execute_batch("COMMIT")
                .err()
                .map(|e| format!("sqlite: committing: {e}"));
            if error.is_none() {
                commits.fetch_add(1, Ordering::Relaxed);
            }
            finish(conn, &mut batch, error);
        }
    }
    if batch.open {
        finish(
            conn,
            &mut batch,
            Some("sqlite: the store closed mid-batch".into()),
        );
    }
}

/// Runs one write in its own savepoint inside the open batch (opening it if needed).
fn add_write(conn: &Connection, batch: &mut Batch, mut write: WriteJob) {
    if !batch.open {
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            write.finish(Some(&format!(
                "sqlite: starting the write transaction: {e}"
            )));
            return;
        }
        batch.open = true;
    }
    if let Err(e) = conn.execute_batch("SAVEPOINT op") {
        let msg = format!("sqlite: opening a savepoint: {e}");
        write.finish(Some(&msg));
        finish(conn, batch, Some(msg));
        return;
    }
    if write.run(conn) {
        match conn.execute_batch("RELEASE op") {
            Ok(()) => batch.committed_later.push(write),
            Err(e) => {
                let msg = format!("sqlite: releasing a savepoint: {e}");
                batch.committed_later.push(write);
                finish(conn, batch, Some(msg));
            }
        }
    } else {
        match conn.execute_batch("ROLLBACK TO op; RELEASE op") {
            // It changed nothing: its own error can be answered now.
            Ok(()) => write.finish(None),
            Err(e) => {
                let msg = format!("sqlite: rolling a savepoint back: {e}");
                write.finish(None);
                finish(conn, batch, Some(msg));
            }
        }
    }
}

/// Ends the batch: on `error`, rolls it back (if still open); then answers its writes.
fn finish(conn: &Connection, batch: &mut Batch, error: Option<String>) {
    if error.is_some() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    batch.open = false;
    for write in batch.committed_later.drain(..) {
        write.finish(error.as_deref());
    }
}
