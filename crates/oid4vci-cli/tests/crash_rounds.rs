//! Kill -9 under load (issue #20): `oid4vci serve` runs wallet flows from four client threads
//! (offer, token, nonce, credential), is SIGKILLed at a random moment, and restarts on the same
//! database. Afterwards every response a client received as a success is reflected in the
//! store — the offer's session exists, an acknowledged token left the session with its token,
//! an acknowledged credential left it `issued` and its `c_nonce` spent — nothing is
//! half-written (every acknowledged session reads back whole), and the server serves again
//! within a bound. SQLite with `--sqlite-sync full` and `normal` (a process crash loses nothing
//! in either; `PRAGMA integrity_check` passes after the last round), and PostgreSQL.
//!
//! `CRASH_ROUNDS` sets the rounds per store (default 4 in `cargo test`; the closing figures of
//! the issue come from 50).

mod support;

use oid4vci_issuer_testkit::TestWallet;
use oid4vci_store_postgres::test_server::shared_or_skip;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::ADMIN_TOKEN;

const CONFIG: &str = "eu.europa.ec.av.1";
const PRE_AUTH: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code";
/// How long a restarted server may take to serve again.
const RESTART_BOUND: Duration = Duration::from_secs(20);

/// What a client was told succeeded.
#[derive(Clone, Debug, Default)]
struct Ack {
    session: String,
    /// The access token, when the token request succeeded.
    token: Option<String>,
    /// The credential request body, when it succeeded (its proof carries the spent nonce).
    credential: Option<String>,
}

/// A raw `oid4vci serve` process, killed with SIGKILL (`Child::kill`) when dropped.
struct Process {
    child: Child,
    addr: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free now (the server takes it on every restart: the issuer identifier, and so a
/// proof's audience, stays the same).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start(dir: &Path, port: u16, store: &[String]) -> (Process, Duration) {
    let began = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["serve", "--admin-token", ADMIN_TOKEN])
        .args(["--port", &port.to_string()])
        .arg("--keys")
        .arg(dir.join("issuer.keys"))
        .args(store)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start oid4vci serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .try_for_each(|l| tx.send(l))
    });
    let mut process = Process {
        child,
        addr: String::new(),
    };
    loop {
        let line = rx
            .recv_timeout(RESTART_BOUND)
            .expect("the server serves again within the bound");
        if let Some(addr) = line.strip_prefix("listening on http://") {
            process.addr = addr.trim().to_owned();
            return (process, began.elapsed());
        }
    }
}

/// One request; `None` when the connection failed or broke (the server died).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<(u16, Value)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let (_, body) = response.split_once("\r\n\r\n")?;
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

const ADMIN: &str = "Bearer test-admin-token";
const JSON: (&str, &str) = ("Content-Type", "application/json");
const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// One wallet flow; records each acknowledged step in `ack` as it is acknowledged. Returns
/// false when the server stopped answering.
fn flow(addr: &str, ack: &Mutex<Vec<Ack>>) -> bool {
    let offer = json!({"credential_configuration_ids": [CONFIG], "claims": {"age_over_18": true}});
    let Some((201, created)) = http(
        addr,
        "POST",
        "/admin/offers",
        &[("Authorization", ADMIN), JSON],
        &offer.to_string(),
    ) else {
        return false;
    };
    let session = created["session_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let code = created["credential_offer"]["grants"]
        ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let slot = {
        let mut acks = ack.lock().expect("acks");
        acks.push(Ack {
            session,
            ..Ack::default()
        });
        acks.len() - 1
    };
    let form = format!("grant_type={PRE_AUTH}&pre-authorized_code={code}");
    let Some((200, token)) = http(addr, "POST", "/token", &[FORM], &form) else {
        return false;
    };
    let access = token["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ack.lock().expect("acks")[slot].token = Some(access.clone());
    let Some((200, nonce)) = http(addr, "POST", "/nonce", &[], "") else {
        return false;
    };
    let proof =
        TestWallet::new().proof(&format!("http://{addr}"), nonce["c_nonce"].as_str(), now());
    let body =
        json!({"credential_configuration_id": CONFIG, "proofs": {"jwt": [proof]}}).to_string();
    let bearer = format!("Bearer {access}");
    let Some((200, _)) = http(
        addr,
        "POST",
        "/credential",
        &[("Authorization", &bearer), JSON],
        &body,
    ) else {
        return false;
    };
    ack.lock().expect("acks")[slot].credential = Some(body);
    true
}

/// Checks every acknowledged step against the restarted server; returns the number of
/// violations (with what they were, printed).
fn violations(addr: &str, acks: &[Ack]) -> usize {
    let mut bad = 0;
    for a in acks {
        let path = format!("/admin/sessions/{}", a.session);
        let Some((status, summary)) = http(addr, "GET", &path, &[("Authorization", ADMIN)], "")
        else {
            eprintln!("VIOLATION: no answer for {path}");
            bad += 1;
            continue;
        };
        if status != 200 {
            eprintln!(
                "VIOLATION: acknowledged offer {} lost ({status})",
                a.session
            );
            bad += 1;
            continue;
        }
        let state = summary["state"].as_str().unwrap_or_default();
        if a.token.is_some() && !["token_issued", "issued", "deferred", "notified"].contains(&state)
        {
            eprintln!(
                "VIOLATION: acknowledged token, session {} is {state}",
                a.session
            );
            bad += 1;
        }
        if let (Some(token), Some(body)) = (&a.token, &a.credential) {
            if state != "issued" {
                eprintln!(
                    "VIOLATION: acknowledged credential, session {} is {state}",
                    a.session
                );
                bad += 1;
            }
            // The proof's nonce was spent with the credential: the same request again (same
            // issuer identifier, same token, within the nonce's lifetime) must be refused for
            // its nonce.
            let bearer = format!("Bearer {token}");
            let again = http(
                addr,
                "POST",
                "/credential",
                &[("Authorization", &bearer), JSON],
                body,
            );
            match again {
                Some((400, e)) if e["error"] == "invalid_nonce" => {}
                other => {
                    eprintln!(
                        "VIOLATION: replaying a spent c_nonce got {other:?} ({})",
                        a.session
                    );
                    bad += 1;
                }
            }
        }
    }
    bad
}

struct Figures {
    rounds: usize,
    acknowledged: usize,
    credentials: usize,
    violations: usize,
    slowest_restart: Duration,
}

fn crash_rounds(name: &str, dir: &Path, store: &[String]) -> Figures {
    let rounds: usize = std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let mut figures = Figures {
        rounds,
        acknowledged: 0,
        credentials: 0,
        violations: 0,
        slowest_restart: Duration::ZERO,
    };
    let port = free_port();
    let (mut server, _) = start(dir, port, store);
    for round in 0..rounds {
        let acks = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..4)
            .map(|_| {
                let (addr, acks, stop) = (server.addr.clone(), acks.clone(), stop.clone());
                std::thread::spawn(
                    move || {
                        while !stop.load(Ordering::Relaxed) && flow(&addr, &acks) {}
                    },
                )
            })
            .collect();
        // A kill somewhere in the load: 150 to 650 ms in, varied by round.
        std::thread::sleep(Duration::from_millis(150 + (round as u64 * 137) % 500));
        drop(server); // SIGKILL, then reaped
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            let _ = c.join();
        }
        let (restarted, took) = start(dir, port, store);
        server = restarted;
        figures.slowest_restart = figures.slowest_restart.max(took);
        let acks = acks.lock().expect("acks").clone();
        figures.acknowledged += acks.len();
        figures.credentials += acks.iter().filter(|a| a.credential.is_some()).count();
        figures.violations += violations(&server.addr, &acks);
    }
    drop(server);
    if let Some(db) = store.iter().skip_while(|a| *a != "--db").nth(1) {
        let opened = oid4vci_store_sqlite::SqliteStore::open(db).expect("the database opens");
        let checked = opened.integrity_check().expect("integrity_check runs");
        assert_eq!(checked, ["ok"], "PRAGMA integrity_check after the crashes");
    }
    eprintln!(
        "crash rounds on {name}: {} rounds, {} acknowledged flows ({} with a credential) checked, {} violations, slowest restart {:?}",
        figures.rounds, figures.acknowledged, figures.credentials, figures.violations, figures.slowest_restart
    );
    figures
}

fn assert_held(f: &Figures) {
    assert_eq!(f.violations, 0, "acknowledged work was lost");
    assert!(f.credentials > 0, "the load never got a credential through");
}

#[test]
fn sqlite_full_sync_survives_kill_9_under_load() {
    let dir = support::temp_dir();
    let db = dir.path().join("issuer.db").display().to_string();
    let store = vec!["--db".to_owned(), db, "--sqlite-sync".into(), "full".into()];
    assert_held(&crash_rounds("SQLite (full)", dir.path(), &store));
}

#[test]
fn sqlite_normal_sync_survives_kill_9_under_load() {
    let dir = support::temp_dir();
    let db = dir.path().join("issuer.db").display().to_string();
    let store = vec![
        "--db".to_owned(),
        db,
        "--sqlite-sync".into(),
        "normal".into(),
    ];
    assert_held(&crash_rounds("SQLite (normal)", dir.path(), &store));
}

#[test]
fn postgres_survives_kill_9_under_load() {
    let Some(pg) =
        shared_or_skip("postgres_survives_kill_9_under_load").expect("the test PostgreSQL")
    else {
        return;
    };
    let url = pg.create_database().expect("database");
    let dir = support::temp_dir();
    let store = vec!["--store".to_owned(), url];
    assert_held(&crash_rounds("PostgreSQL", dir.path(), &store));
}
