//! `oid4vci serve` with `[external_authorization]`: a JWT access token (RFC 9068) minted by a
//! test authorization server the test runs itself (its JWKS in a file the config names) obtains
//! a credential; a token signed by another key is refused.

use oid4vci_issuer_testkit::{TestAuthorizationServer, TestWallet};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const AS: &str = "https://login.example.com/realms/wallets";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http(addr: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
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

#[test]
fn serve_accepts_access_tokens_of_the_configured_external_authorization_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestAuthorizationServer::new(AS);
    let jwks = dir.path().join("as-jwks.json");
    std::fs::write(&jwks, server.jwks().to_string()).expect("write jwks");
    let config = dir.path().join("issuer.toml");
    std::fs::write(
        &config,
        format!(
            "[external_authorization]\nissuer = \"{AS}\"\njwks_file = \"{}\"\n",
            jwks.display()
        ),
    )
    .expect("write config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["serve", "--port", "0", "--admin-token", "t"])
        .arg("--db")
        .arg(dir.path().join("issuer.db"))
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start oid4vci serve");
    let stdout = child.stdout.take().expect("stdout");
    let _guard = Server(child);
    let url = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("listening on ").map(str::to_owned))
        .expect("listening on <url>");
    let addr = url.trim_start_matches("http://").to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();

    let credential = |token: &str| {
        let (_, nonce) = http(&addr, "/nonce", &[], "");
        let nonce = nonce["c_nonce"].as_str().expect("c_nonce").to_owned();
        let proof = TestWallet::new().proof(&url, Some(&nonce), now);
        let body =
            json!({"credential_configuration_id": "eu.europa.ec.av.1", "proofs": {"jwt": [proof]}});
        let auth = format!("Bearer {token}");
        http(
            &addr,
            "/credential",
            &[
                ("content-type", "application/json"),
                ("authorization", &auth),
            ],
            &body.to_string(),
        )
    };
    let claims = server.claims(
        &url,
        now,
        json!({"sub": "erika", "scope": "eu.europa.ec.av.1"}),
    );
    let (status, body) = credential(&server.sign("at+jwt", &claims));
    assert_eq!(status, 200, "{body}");
    assert!(body["credentials"][0]["credential"].is_string(), "{body}");
    let forged = TestAuthorizationServer::new(AS).sign("at+jwt", &claims);
    let (status, body) = credential(&forged);
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token")),
        "{body}"
    );
}
