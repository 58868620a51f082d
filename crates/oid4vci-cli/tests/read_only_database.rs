//! A SQLite database that becomes read-only under `oid4vci serve` (issue #20), as it does when
//! a volume is remounted read-only or a restore leaves the files with the wrong owner.
//!
//! The server runs as an unprivileged user (through `setpriv` when the tests run as root, who
//! ignores file permissions). Its files and their directory are made read-only while it serves:
//! what it already holds open keeps working, and every answer is a success or a clean 503. The
//! restart then refuses to start with an error that names the file and the cause, and writes
//! nothing (the files are byte for byte the same). Once the files are writable again, every
//! acknowledged flow is there, the unredeemed codes still redeem once, and `PRAGMA
//! integrity_check` passes.

mod support;

use oid4vci_issuer_testkit::TestWallet;
use serde_json::json;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Server, ADMIN_TOKEN};

const CONFIG: &str = "identity_credential";

fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        == Some("0")
}

/// `oid4vci` run as a user that file permissions apply to.
fn unprivileged(program: &Path) -> Command {
    if running_as_root() {
        let mut command = Command::new("setpriv");
        command.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ]);
        command.arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The database's files (not the program's copy), by name.
fn database_files(dir: &Path) -> BTreeMap<String, PathBuf> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != "oid4vci"))
        .map(|p| {
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                p,
            )
        })
        .collect()
}

fn contents(files: &BTreeMap<String, PathBuf>) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .map(|(n, p)| (n.clone(), std::fs::read(p).expect("read")))
        .collect()
}

fn redeem(server: &Server, code: &str) -> u16 {
    let form = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}"
    );
    let form_type = ("Content-Type", "application/x-www-form-urlencoded");
    server.json("POST", "/token", &[form_type], &form).0
}

#[test]
fn a_read_only_database_is_refused_cleanly_and_loses_nothing() {
    let dir = support::temp_dir();
    set_mode(dir.path(), 0o777);
    // A copy the unprivileged user can run wherever the build directory is.
    let program = dir.path().join("oid4vci");
    std::fs::copy(env!("CARGO_BIN_EXE_oid4vci"), &program).expect("copy the program");
    set_mode(&program, 0o755);
    let db = dir.path().join("issuer.db").display().to_string();
    let args = ["--db", db.as_str()];
    let wallet = TestWallet::new();
    let claims = json!({"given_name": "Erika"});

    let server = Server::start_command(unprivileged(&program), &args);
    let mut issued = Vec::new();
    for _ in 0..4 {
        let (session, status, body) = server.obtain_in_session(CONFIG, &claims, &wallet);
        assert_eq!(status, 200, "{body}");
        issued.push(session);
    }
    let unredeemed: Vec<String> = (0..3).map(|_| server.offer(CONFIG, &claims)).collect();

    // Read-only under the running server.
    let files = database_files(dir.path());
    assert!(files.contains_key("issuer.db"), "{files:?}");
    for path in files.values() {
        set_mode(path, 0o444);
    }
    set_mode(dir.path(), 0o555);
    let (mut served, mut unavailable) = (0, 0);
    for _ in 0..3 {
        let (session, status, body) = server.obtain_in_session(CONFIG, &claims, &wallet);
        match status {
            200 => {
                served += 1;
                issued.push(session);
            }
            503 => unavailable += 1,
            other => panic!("a read-only database answered {other}: {body}"),
        }
    }
    drop(server); // SIGKILL: no orderly shutdown, as when a node dies.

    // The restart refuses, says why, and writes nothing.
    let before = contents(&database_files(dir.path()));
    let mut child = unprivileged(&program)
        .args(["serve", "--port", "0", "--admin-token", ADMIN_TOKEN])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start oid4vci serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("oid4vci serve started on a read-only database");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    assert!(!status.success(), "{status}: {stderr}");
    assert!(
        stderr.contains(&format!("the database {db} is read-only")),
        "the refusal names the file and the cause: {stderr}"
    );
    assert_eq!(
        contents(&database_files(dir.path())),
        before,
        "a refused start wrote to the database"
    );

    // Writable again: nothing acknowledged was lost, nothing half-written.
    set_mode(dir.path(), 0o777);
    for path in database_files(dir.path()).values() {
        set_mode(path, 0o644);
    }
    let server = Server::start_command(unprivileged(&program), &args);
    let admin = format!("Bearer {ADMIN_TOKEN}");
    for session in &issued {
        let (status, summary) = server.json(
            "GET",
            &format!("/admin/sessions/{session}"),
            &[("Authorization", &admin)],
            "",
        );
        assert_eq!(status, 200, "acknowledged session {session}: {summary}");
        assert_eq!(summary["state"], "issued", "{summary}");
    }
    for code in &unredeemed {
        assert_eq!(redeem(&server, code), 200, "an unredeemed code redeems");
        assert_eq!(redeem(&server, code), 400, "and only once");
    }
    let (_, status, body) = server.obtain_in_session(CONFIG, &claims, &wallet);
    assert_eq!(status, 200, "{body}");
    drop(server);
    let store = oid4vci_store_sqlite::SqliteStore::open(&db).expect("the database opens");
    assert_eq!(store.integrity_check().expect("integrity_check"), ["ok"]);
    eprintln!(
        "read-only database: {} flows acknowledged ({served} while read-only, {unavailable} refused with 503), restart refused with: {}",
        issued.len(),
        stderr.lines().last().unwrap_or_default()
    );
}
