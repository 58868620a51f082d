//! `--log-format json`: request lines carry the wallet's trace id and the session id, and no secret.

use super::support::{temp_dir, ADMIN_TOKEN};
use super::token_form;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn json_logs_carry_the_trace_id_and_the_session_and_no_secret() {
    let dir = temp_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args([
            "serve",
            "--port",
            "0",
            "--admin-token",
            ADMIN_TOKEN,
            "--log-format",
            "json",
        ])
        .arg("--db")
        .arg(dir.path().join("issuer.db"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let addr = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("listening on http://").map(str::to_owned))
        .expect("listening");
    let stderr = child.stderr.take().expect("stderr");
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(mut l) = sink.lock() {
                l.push(line);
            }
        }
    });
    let server_for = |path: &str, headers: &[(&str, &str)], body: &str, method: &str| {
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).expect("write");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut s, &mut text).expect("read");
        text.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default()
    };
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let offer = json!({"credential_configuration_ids": ["identity_credential"], "claims": {"given_name": "Erika"}});
    let created: Value = serde_json::from_str(&server_for(
        "/admin/offers",
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        &offer.to_string(),
        "POST",
    ))
    .expect("created");
    let session = created["session_id"].as_str().expect("session").to_owned();
    let code = created["credential_offer"]["grants"]
        ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
        .as_str()
        .expect("code")
        .to_owned();
    let trace = "0af7651916cd43dd8448eb211c80319c";
    let traceparent = format!("00-{trace}-b7ad6b7169203331-01");
    let token: Value = serde_json::from_str(&server_for(
        "/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("traceparent", &traceparent),
        ],
        &token_form(&code),
        "POST",
    ))
    .expect("token");
    let access = token["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    std::thread::sleep(Duration::from_millis(500)); // the log writer thread
    let _ = child.kill();
    let _ = child.wait();
    let lines = lines.lock().expect("lines").clone();
    let request_line = (lines.iter())
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "request" && l["span"]["route"] == "/token")
        .unwrap_or_else(|| panic!("a JSON request line for /token in {lines:?}"));
    assert_eq!(request_line["span"]["trace_id"], trace, "{request_line}");
    assert_eq!(
        request_line["span"]["session_id"],
        session.as_str(),
        "{request_line}"
    );
    assert_eq!(request_line["status"], 200);
    let all = lines.join("\n");
    for secret in [&code, &access, &ADMIN_TOKEN.to_owned()] {
        assert!(!all.contains(secret.as_str()), "a secret in the logs");
    }
}
