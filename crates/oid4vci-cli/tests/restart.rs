//! `oid4vci serve` keeps sessions in SQLite: an offer made by one process is redeemed through the
//! next one after a crash, and Ctrl-C (SIGINT) shuts down cleanly.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Server {
    child: Child,
    addr: String,
    offer: String,
    lines: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["serve", "--port", "0", "--admin-token", "t"])
        .arg("--db")
        .arg(dir.join("issuer.db"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start oid4vci serve");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .try_for_each(|l| tx.send(l))
    });
    std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .try_for_each(|l| tx2.send(l))
    });
    let (mut addr, mut offer) = (None, None);
    while addr.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server starts within 60 s");
        if let Some(u) = line.strip_prefix("listening on http://") {
            addr = Some(u.trim().to_owned());
        } else if line.starts_with("openid-credential-offer://") {
            offer = Some(line.trim().to_owned());
        }
    }
    Server {
        child,
        addr: addr.unwrap_or_default(),
        offer: offer.expect("startup offer"),
        lines: rx,
    }
}

/// One HTTP/1.1 request on a fresh connection; returns status and JSON body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn offer_path(offer_uri: &str) -> String {
    let encoded = offer_uri
        .split("credential_offer_uri=")
        .nth(1)
        .expect("by reference");
    let decoded: String = form_decode(encoded);
    let after_scheme = decoded.split("://").nth(1).expect("url");
    format!(
        "/{}",
        after_scheme
            .split_once('/')
            .map(|(_, p)| p)
            .unwrap_or_default()
    )
}

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
            out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

#[test]
fn a_session_created_by_one_process_is_redeemed_by_the_next() {
    let dir = std::env::temp_dir().join(format!("oid4vci-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");

    let first = start(&dir);
    let path = offer_path(&first.offer);
    let (status, offer) = http(&first.addr, "GET", &path, &[], "");
    assert_eq!(status, 200, "{offer}");
    let code = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        ["pre-authorized_code"]
        .as_str()
        .expect("code")
        .to_owned();
    drop(first); // SIGKILL: a crash, not a clean shutdown

    let second = start(&dir);
    let (status, again) = http(&second.addr, "GET", &path, &[], "");
    assert_eq!(
        (status, &again),
        (200, &offer),
        "the offer by reference survives the restart"
    );
    let form = format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}");
    let (status, token) = http(
        &second.addr,
        "POST",
        "/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(status, 200, "{token}");
    let (status, err) = http(
        &second.addr,
        "POST",
        "/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_grant")),
        "still single-use"
    );

    // Ctrl-C: a clean shutdown.
    let mut second = second;
    let pid = second.child.id().to_string();
    let status = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let mut exited = None;
    for _ in 0..100 {
        if let Ok(Some(s)) = second.child.try_wait() {
            exited = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let exit = exited.expect("the server exits within 10 s of SIGINT");
    assert!(exit.success(), "clean exit on Ctrl-C: {exit:?}");
    let said: Vec<String> = second.lines.try_iter().collect();
    assert!(said.iter().any(|l| l.contains("shutting down")), "{said:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
