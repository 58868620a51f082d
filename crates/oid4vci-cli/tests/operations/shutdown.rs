//! SIGTERM: no acknowledged flow lost under load; a request in flight is answered, a stalled one
//! bounded by the grace; `--shutdown-delay` serves on, not ready, then stops.

use super::support::{self, temp_dir, Server, ADMIN_TOKEN};
use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn sigterm_under_load_loses_no_acknowledged_flow() {
    let dir = temp_dir();
    let mut server = Server::start(dir.path(), &["--shutdown-grace", "5"]);
    let url = server.url();
    let addr = server.addr.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, acknowledged, addr, url) = (
                stop.clone(),
                acknowledged.clone(),
                addr.clone(),
                url.clone(),
            );
            std::thread::spawn(move || {
                let client = support::Client::new(&addr, &url);
                let wallet = TestWallet::new();
                while !stop.load(Ordering::Relaxed) {
                    match client.try_obtain(
                        "identity_credential",
                        &json!({"given_name": "E"}),
                        &wallet,
                    ) {
                        Some(session) => acknowledged.lock().expect("ack").push(session),
                        None => return, // the server is going away
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let kill = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(kill.success());
    let signalled = Instant::now();
    let status = server
        .wait_exit(Duration::from_secs(5 + 5))
        .expect("stopped within the grace period");
    let stopped_after = signalled.elapsed();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("worker");
    }
    assert!(status.success(), "a clean exit: {status:?}");
    let acknowledged = acknowledged.lock().expect("ack").clone();
    assert!(acknowledged.len() >= 4, "load ran: {}", acknowledged.len());

    // Every acknowledged flow is in the database after a restart.
    let again = Server::start(dir.path(), &[]);
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    for session in &acknowledged {
        let (status, summary) = again.json(
            "GET",
            &format!("/admin/sessions/{session}"),
            &[("Authorization", &bearer)],
            "",
        );
        assert_eq!(status, 200, "{session}: {summary}");
        assert_eq!(summary["state"], "issued", "{session}: {summary}");
    }
    println!(
        "SIGTERM under load: {} acknowledged flows, all kept; exited {stopped_after:?} after the signal",
        acknowledged.len()
    );
}

#[test]
fn sigterm_with_a_shutdown_delay_keeps_serving_not_ready_then_stops() {
    let dir = temp_dir();
    let mut server = Server::start(
        dir.path(),
        &["--shutdown-delay", "3", "--shutdown-grace", "5"],
    );
    let (status, _, _) = server.request("GET", "/readyz", &[], "");
    assert_eq!(status, 200);
    let kill = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(kill.success());
    let signalled = Instant::now();
    // During the delay new connections are still served, but readiness says no.
    let (status, body) = (0..100)
        .map(|_| {
            let (status, _, body) = server.request("GET", "/readyz", &[], "");
            if status == 200 {
                std::thread::sleep(Duration::from_millis(20));
            }
            (status, body)
        })
        .find(|(status, _)| *status != 200)
        .expect("/readyz turns 503 after SIGTERM");
    assert_eq!(status, 503, "{body}");
    let report: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(report["checks"]["shutdown"], "the process is shutting down");
    let (status, _, _) = server.request("GET", "/healthz", &[], "");
    assert_eq!(status, 200);
    let (status, body) = server.obtain(
        "identity_credential",
        &json!({"given_name": "E"}),
        &TestWallet::new(),
    );
    assert_eq!(
        status, 200,
        "a wallet arriving during the delay is served: {body}"
    );
    let exit = server
        .wait_exit(Duration::from_secs(3 + 5 + 5))
        .expect("stopped after the delay and the grace");
    let stopped_after = signalled.elapsed();
    assert!(exit.success(), "a clean exit: {exit:?}");
    assert!(
        stopped_after >= Duration::from_secs(3),
        "served the whole delay: {stopped_after:?}"
    );
    assert!(
        std::net::TcpStream::connect(&server.addr).is_err(),
        "the listener is closed"
    );
    println!("SIGTERM with --shutdown-delay 3: exited {stopped_after:?} after the signal");
}

/// Sends a request head and the first `sent` bytes of `body` on a new connection.
fn begin(addr: &str, body: &str, sent: usize) -> std::net::TcpStream {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("head");
    s.write_all(&body.as_bytes()[..sent]).expect("body start");
    s
}

#[test]
fn sigterm_finishes_a_request_in_flight_and_bounds_a_stalled_one() {
    let dir = temp_dir();
    let mut server = Server::start(dir.path(), &["--shutdown-grace", "3"]);
    let code = server.offer("identity_credential", &json!({"given_name": "E"}));
    let form = super::token_form(&code);
    // One request whose body is half sent when the signal comes, one that never completes.
    let mut in_flight = begin(&server.addr, &form, form.len() / 2);
    let _stalled = begin(&server.addr, "grant_type=x", 3);
    std::thread::sleep(Duration::from_millis(300));
    let kill = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(kill.success());
    let signalled = Instant::now();
    // Soon no new connection is accepted (then the request below is in flight at shutdown).
    let refused_after = (0..100)
        .find_map(|_| {
            let refused = std::net::TcpStream::connect(&server.addr).is_err();
            refused.then(|| signalled.elapsed()).or_else(|| {
                std::thread::sleep(Duration::from_millis(20));
                None
            })
        })
        .expect("new connections refused after SIGTERM");
    // The request in flight completes and is answered.
    in_flight
        .write_all(&form.as_bytes()[form.len() / 2..])
        .expect("body end");
    let mut reply = String::new();
    in_flight.read_to_string(&mut reply).expect("reply");
    let answered = signalled.elapsed();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("access_token"), "{reply}");
    // The stalled one holds the process no longer than the grace.
    let exit = server
        .wait_exit(Duration::from_secs(3 + 5))
        .expect("stopped once the grace ran out");
    let stopped_after = signalled.elapsed();
    assert!(exit.success(), "a clean exit: {exit:?}");
    assert!(
        stopped_after >= Duration::from_secs(3) && stopped_after < Duration::from_secs(3 + 3),
        "the grace bounds the stalled request: {stopped_after:?}"
    );
    println!(
        "SIGTERM with a request in flight: connections refused {refused_after:?} after the signal, the request answered after {answered:?}; a stalled request held the exit until {stopped_after:?} (grace 3 s)"
    );
}
