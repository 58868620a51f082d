//! Two `oid4vci serve` processes on one PostgreSQL database and one keys file behave as one
//! issuer: a code redeems once and a nonce is accepted once across both, and when one instance is
//! SIGKILLed under load every acknowledged flow is complete in the database and the survivor
//! keeps serving. The instances load `issuer.multi-instance.example.toml` (flags override the
//! database, keys file and port).

use oid4vci_issuer_testkit::TestWallet;
use oid4vci_store_postgres::test_server::{shared_or_skip, TestServer};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/issuer.multi-instance.example.toml"
);
/// The example config's issuer URL: the same on every instance.
const ISSUER: &str = "https://issuer.example.com";
const ADMIN: &str = "Bearer change-me";
const CONFIG: &str = "eu.europa.ec.av.1";
const PRE_AUTH: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

fn server(test: &str) -> Option<&'static TestServer> {
    shared_or_skip(test).expect("the test PostgreSQL")
}

/// A running `oid4vci serve`; SIGKILLed when dropped.
struct Instance {
    child: Child,
    addr: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(url: &str, keys: &Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["serve", "--config", EXAMPLE, "--port", "0", "--store", url])
        .arg("--keys")
        .arg(keys)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start oid4vci serve");
    let (tx, rx) = mpsc::channel();
    for pipe in [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            // Read to the end even after the receiver is gone: a closed pipe would make the
            // server's logging fail.
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    (child, rx)
}

/// Starts two instances at once (so they race on the migration and the keys file).
fn two_instances(url: &str, keys: &Path) -> (Instance, Instance) {
    let started: Vec<Instance> = [spawn(url, keys), spawn(url, keys)]
        .into_iter()
        .map(|(child, lines)| {
            let mut seen = Vec::new();
            loop {
                let line = lines
                    .recv_timeout(Duration::from_secs(60))
                    .unwrap_or_else(|_| panic!("serve did not start: {seen:?}"));
                if let Some(addr) = line.strip_prefix("listening on http://") {
                    break Instance {
                        child,
                        addr: addr.trim().to_owned(),
                    };
                }
                seen.push(line);
            }
        })
        .collect();
    let mut it = started.into_iter();
    match (it.next(), it.next()) {
        (Some(a), Some(b)) => (a, b),
        _ => unreachable!("two were started"),
    }
}

/// One HTTP/1.1 request on a fresh connection: status (0 when the connection failed) and JSON.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    let mut stream = match TcpStream::connect(addr) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("connect {addr}: {e}");
            return (0, Value::Null);
        }
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    let mut response = String::new();
    if let Err(e) = stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.read_to_string(&mut response))
    {
        eprintln!("{method} {path} on {addr}: {e}: {response:?}");
        return (0, Value::Null);
    }
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if status == 0 {
        eprintln!("{method} {path} on {addr}: no status in {response:?}");
    }
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Creates an offer; returns (session id, pre-authorized code).
fn offer(addr: &str) -> Option<(String, String)> {
    let body = json!({"credential_configuration_ids": [CONFIG], "claims": {"age_over_18": true}});
    let (status, created) = http(
        addr,
        "POST",
        "/admin/offers",
        &[
            ("authorization", ADMIN),
            ("content-type", "application/json"),
        ],
        &body.to_string(),
    );
    if status != 201 {
        return None;
    }
    let code = created["credential_offer"]["grants"][PRE_AUTH]["pre-authorized_code"].as_str()?;
    Some((created["session_id"].as_str()?.to_owned(), code.to_owned()))
}

fn token(addr: &str, code: &str) -> (u16, Value) {
    let form = format!(
        "grant_type={}&pre-authorized_code={}",
        form_urlencoded::byte_serialize(PRE_AUTH.as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>()
    );
    http(
        addr,
        "POST",
        "/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        &form,
    )
}

fn nonce(addr: &str) -> Option<String> {
    let (status, body) = http(addr, "POST", "/nonce", &[], "");
    (status == 200).then(|| body["c_nonce"].as_str().map(str::to_owned))?
}

fn credential(addr: &str, access_token: &str, proof: &str) -> (u16, Value) {
    let auth = format!("Bearer {access_token}");
    let body = json!({"credential_configuration_id": CONFIG, "proofs": {"jwt": [proof]}});
    http(
        addr,
        "POST",
        "/credential",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        &body.to_string(),
    )
}

fn session_state(addr: &str, session: &str) -> Value {
    http(
        addr,
        "GET",
        &format!("/admin/sessions/{session}"),
        &[("authorization", ADMIN)],
        "",
    )
    .1
}

#[test]
fn fifty_redemptions_of_one_code_across_two_instances_give_one_token() {
    let Some(pg) = server("fifty_redemptions_of_one_code_across_two_instances_give_one_token")
    else {
        return;
    };
    let url = pg.create_database().expect("database");
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = two_instances(&url, &dir.path().join("issuer.keys"));
    let (_, code) = offer(&a.addr).expect("offer on a");
    let statuses = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for i in 0..50 {
            let (addr, code, statuses) =
                (if i % 2 == 0 { &a.addr } else { &b.addr }, &code, &statuses);
            s.spawn(move || {
                let status = token(addr, code).0;
                statuses.lock().expect("lock").push(status);
            });
        }
    });
    let statuses = statuses.into_inner().expect("statuses");
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        49,
        "{statuses:?}"
    );
}

#[test]
fn one_nonce_used_on_both_instances_gives_one_credential() {
    let Some(pg) = server("one_nonce_used_on_both_instances_gives_one_credential") else {
        return;
    };
    let url = pg.create_database().expect("database");
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = two_instances(&url, &dir.path().join("issuer.keys"));
    // The offer from a redeems on b, and a nonce from a is valid on b: one issuer.
    let (_, code) = offer(&a.addr).expect("offer on a");
    let (status, tok) = token(&b.addr, &code);
    assert_eq!(status, 200, "{tok}");
    let access = tok["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let c_nonce = nonce(&a.addr).expect("nonce");
    let proof = TestWallet::new().proof(ISSUER, Some(&c_nonce), now());
    let statuses = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for i in 0..20 {
            let addr = if i % 2 == 0 { &a.addr } else { &b.addr };
            let (access, proof, statuses) = (&access, &proof, &statuses);
            s.spawn(move || {
                let (status, body) = credential(addr, access, proof);
                statuses
                    .lock()
                    .expect("lock")
                    .push((status, body["error"].clone()));
            });
        }
    });
    let statuses = statuses.into_inner().expect("statuses");
    let issued = statuses.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(
        issued, 1,
        "exactly one credential for one nonce: {statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .filter(|(s, _)| *s != 200)
            .all(|(s, e)| *s == 400 && e == "invalid_nonce"),
        "{statuses:?}"
    );
}

#[test]
fn a_killed_instance_loses_no_acknowledged_flow_and_the_survivor_serves() {
    let Some(pg) = server("a_killed_instance_loses_no_acknowledged_flow_and_the_survivor_serves")
    else {
        return;
    };
    let url = pg.create_database().expect("database");
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = two_instances(&url, &dir.path().join("issuer.keys"));
    let a = Mutex::new(Some(a));
    let a_addr = a
        .lock()
        .expect("lock")
        .as_ref()
        .map(|i| i.addr.clone())
        .unwrap_or_default();
    let acknowledged = Mutex::new(Vec::<String>::new());
    let attempts = AtomicUsize::new(0);
    // 4 wallets run whole flows, each step on either instance; a is SIGKILLed after 8
    // acknowledged flows. A flow counts as acknowledged when its credential response is a 200.
    std::thread::scope(|s| {
        for w in 0..4usize {
            let (a_addr, b_addr) = (&a_addr, &b.addr);
            let (a, acknowledged, attempts) = (&a, &acknowledged, &attempts);
            s.spawn(move || {
                let wallet = TestWallet::new();
                for i in 0..10usize {
                    attempts.fetch_add(1, Ordering::SeqCst);
                    let pick = |step: usize| {
                        if (w + i + step).is_multiple_of(2) {
                            a_addr
                        } else {
                            b_addr
                        }
                    };
                    let flow = (|| {
                        let (session, code) = offer(pick(0))?;
                        let (status, tok) = token(pick(1), &code);
                        (status == 200).then_some(())?;
                        let access = tok["access_token"].as_str()?.to_owned();
                        let c_nonce = nonce(pick(2))?;
                        let proof = wallet.proof(ISSUER, Some(&c_nonce), now());
                        let (status, _) = credential(pick(3), &access, &proof);
                        (status == 200).then_some(session)
                    })();
                    if let Some(session) = flow {
                        let mut acked = acknowledged.lock().expect("lock");
                        acked.push(session);
                        if acked.len() == 8 {
                            // SIGKILL: no shutdown, in-flight requests on a are cut.
                            drop(a.lock().expect("lock").take());
                        }
                    }
                }
            });
        }
    });
    assert!(a.lock().expect("lock").is_none(), "a was killed mid-load");
    let acknowledged = acknowledged.into_inner().expect("acked");
    assert!(
        acknowledged.len() >= 8,
        "{} of {} flows acknowledged",
        acknowledged.len(),
        attempts.load(Ordering::SeqCst)
    );
    for session in &acknowledged {
        let summary = session_state(&b.addr, session);
        assert_eq!(summary["state"], "issued", "{session}: {summary}");
    }
    let in_db = pg
        .psql(
            &url,
            "SELECT count(*) FROM oid4vci_sessions WHERE data::json->>'state' = 'issued'",
        )
        .expect("count");
    assert!(
        in_db.parse::<usize>().unwrap_or(0) >= acknowledged.len(),
        "{in_db} issued in the database, {} acknowledged",
        acknowledged.len()
    );
    // The survivor serves a whole flow alone.
    let (_, code) = offer(&b.addr).expect("offer on the survivor");
    let (status, tok) = token(&b.addr, &code);
    assert_eq!(status, 200, "{tok}");
    let c_nonce = nonce(&b.addr).expect("nonce");
    let proof = TestWallet::new().proof(ISSUER, Some(&c_nonce), now());
    let access = tok["access_token"].as_str().expect("token");
    assert_eq!(credential(&b.addr, access, &proof).0, 200);
}
