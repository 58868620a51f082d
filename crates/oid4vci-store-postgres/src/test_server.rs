//! A throw-away PostgreSQL server for tests and benches (feature `test-server`).
//!
//! [`TestServer::start`] runs `scripts/pg-test-server.sh`, which installs the Debian `postgresql`
//! package when it is missing (as root), runs `initdb` into a temporary directory and serves it
//! as the unprivileged `postgres` user on a free port of 127.0.0.1. The script never daemonises:
//! it stops the server when its standard input closes, so the server goes when the
//! [`TestServer`] is dropped and also when the test process dies in any way.
//!
//! [`shared_or_skip`] gives a test binary one server, started on first use, and each test takes
//! a fresh database from it with [`TestServer::create_database`]. Where no server can be had (not
//! root and no package), it prints `SKIPPED: <test name>: <reason>` to standard error (past the
//! test harness's output capture) and returns `None`; CI fails on that marker.
//!
//! ```no_run
//! use oid4vci_store_postgres::{test_server, PostgresStore};
//!
//! let Some(server) = test_server::shared_or_skip("my_test").expect("test server") else {
//!     return; // skipped, and said so
//! };
//! let url = server.create_database().expect("database");
//! let store = pollster::block_on(PostgresStore::connect(&url)).expect("connect");
//! # drop(store);
//! ```

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// The SQL of the operator's session list of any state (parameters: state, which is NULL,
/// configuration id, grant, limit), for tests of its query plan.
pub const LIST_SESSIONS_SQL: &str = crate::listing::LIST_SESSIONS;
/// The same for one state (the first parameter).
pub const LIST_SESSIONS_IN_STATE_SQL: &str = crate::listing::LIST_SESSIONS_IN_STATE;
/// The SQL that counts sessions by state (the metrics' gauge).
pub const COUNT_BY_STATE_SQL: &str = crate::listing::COUNT_BY_STATE;

/// The marker a skipped test prints first on its line, followed by `<test name>: <reason>`.
pub const SKIP_MARKER: &str = "SKIPPED:";

/// The server script, run with `bash`.
pub const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-test-server.sh");

/// Settings for test servers: durability off (a test database is thrown away anyway).
pub const FAST_SETTINGS: &[&str] = &["fsync=off", "full_page_writes=off"];

/// Why a server could not be started.
#[derive(Clone, Debug)]
pub enum StartError {
    /// No server can be had on this machine (not root and no package, no apt): skip.
    Unavailable(String),
    /// Starting failed for another reason: a real failure.
    Failed(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Unavailable(why) => write!(f, "PostgreSQL cannot be had here: {why}"),
            StartError::Failed(why) => write!(f, "the test PostgreSQL failed to start: {why}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A running throw-away server. Stopped (fast shutdown) when dropped.
#[derive(Debug)]
pub struct TestServer {
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
    settings: Vec<String>,
    process: Mutex<Option<Child>>,
    next_database: AtomicUsize,
}

fn script(args: &[&str]) -> Command {
    let mut c = Command::new("bash");
    c.arg(SCRIPT).args(args);
    c
}

/// Runs a script step to completion; exit status 3 means "cannot be had here".
fn script_step(args: &[&str]) -> Result<String, StartError> {
    let out = script(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| StartError::Failed(format!("cannot run {SCRIPT}: {e}")))?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    match out.status.code() {
        Some(0) => Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned()),
        Some(3) => Err(StartError::Unavailable(stderr)),
        _ => Err(StartError::Failed(format!(
            "`{} {}` failed ({}): {stderr}",
            SCRIPT,
            args.join(" "),
            out.status
        ))),
    }
}

fn free_port() -> Result<u16, StartError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| StartError::Failed(format!("no free loopback port: {e}")))
}

impl TestServer {
    /// Installs (if needed), initialises and starts a server with `settings` (`name=value`
    /// server settings, e.g. [`FAST_SETTINGS`]).
    pub fn start(settings: &[&str]) -> Result<TestServer, StartError> {
        let bin = PathBuf::from(script_step(&["ensure"])?);
        let dir = tempfile::Builder::new()
            .prefix("oid4vci-pg-")
            .tempdir()
            .map_err(|e| StartError::Failed(format!("no temporary directory: {e}")))?;
        let dir_arg = dir.path().to_string_lossy().into_owned();
        script_step(&["init", &dir_arg])?;
        let server = TestServer {
            dir,
            port: 0,
            bin,
            settings: settings.iter().map(|s| s.to_string()).collect(),
            process: Mutex::new(None),
            next_database: AtomicUsize::new(0),
        };
        // A port found free may be taken before the server binds it: try a few.
        let mut last = None;
        for _ in 0..5 {
            let port = free_port()?;
            match server.spawn(port) {
                Ok(child) => {
                    let mut server = server;
                    server.port = port;
                    *server.lock() = Some(child);
                    return Ok(server);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| StartError::Failed("no attempt made".into())))
    }

    fn lock(&self) -> MutexGuard<'_, Option<Child>> {
        self.process
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn spawn(&self, port: u16) -> Result<Child, StartError> {
        let dir_arg = self.dir.path().to_string_lossy().into_owned();
        let port_arg = port.to_string();
        let mut args = vec!["run", dir_arg.as_str(), port_arg.as_str()];
        for s in &self.settings {
            args.push("-c");
            args.push(s);
        }
        let mut child = script(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| StartError::Failed(format!("cannot run {SCRIPT}: {e}")))?;
        let ready = child.stdout.take().is_some_and(|out| {
            BufReader::new(out)
                .lines()
                .map_while(Result::ok)
                .any(|line| line.trim() == "READY")
        });
        if ready {
            Ok(child)
        } else {
            let status = child.wait().ok();
            let log =
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            Err(StartError::Failed(format!(
                "the server did not start on port {port} ({status:?}): {}",
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            )))
        }
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's data directory's parent (holds `data/` and `server.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The URL of `database` as the superuser `postgres` (trust authentication, loopback only).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a new, empty database and returns its URL.
    pub fn create_database(&self) -> Result<String, String> {
        let n = self.next_database.fetch_add(1, Ordering::SeqCst);
        let name = format!("t{}_{n}", std::process::id());
        let out = Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", &name])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run createdb: {e}"))?;
        if out.status.success() {
            Ok(self.url(&name))
        } else {
            Err(format!(
                "createdb {name} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Runs SQL with `psql` in the database named by `url` (from [`TestServer::create_database`])
    /// and returns the unaligned, tuples-only output: handy for assertions on stored rows.
    pub fn psql(&self, url: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args([url, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(format!(
                "psql failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Stops the server (fast shutdown: open sessions are cut, data is kept). Does nothing when
    /// it is not running.
    pub fn stop(&self) {
        let Some(mut child) = self.lock().take() else {
            return;
        };
        drop(child.stdin.take()); // the script's cue to shut the server down
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts the server again on the same data and port after [`TestServer::stop`].
    pub fn restart(&self) -> Result<(), StartError> {
        self.stop();
        let child = self.spawn(self.port)?;
        *self.lock() = Some(child);
        Ok(())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Prints `SKIPPED: <test>: <reason>` to standard error, unbuffered and past the test harness's
/// output capture, so CI sees it.
pub fn report_skip(test: &str, reason: &str) {
    let line = format!("{SKIP_MARKER} {test}: {}\n", reason.replace('\n', " "));
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// The test binary's shared server (started with [`FAST_SETTINGS`] on first use; it stops when
/// the process exits). `Ok(None)` after reporting `test` skipped when no server can be had here;
/// `Err` when starting failed for another reason (a real failure).
pub fn shared_or_skip(test: &str) -> Result<Option<&'static TestServer>, StartError> {
    static SHARED: OnceLock<Result<TestServer, StartError>> = OnceLock::new();
    let shared = SHARED.get_or_init(|| {
        // Statics are never dropped: the script removes the directory when the process exits.
        TestServer::start(FAST_SETTINGS)
            .inspect(|s| drop(std::fs::write(s.dir().join("remove-on-exit"), b"")))
    });
    match shared {
        Ok(server) => Ok(Some(server)),
        Err(StartError::Unavailable(why)) => {
            report_skip(test, why);
            Ok(None)
        }
        Err(e) => Err(e.clone()),
    }
}
