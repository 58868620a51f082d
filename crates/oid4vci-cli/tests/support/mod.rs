//! Shared by the tests that run `oid4vci serve` and act as a wallet over plain HTTP on loopback.
#![allow(dead_code)]

use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const ADMIN_TOKEN: &str = "test-admin-token";

/// A running `oid4vci serve`; killed when dropped.
pub struct Server {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub addr: String,
    /// `https` with `--tls-self-signed`, else `http`.
    pub scheme: &'static str,
    /// Everything the server printed before `listening on`.
    pub banner: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `oid4vci serve` with its database in `dir` and `extra` arguments.
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        Server::start_with_env(dir, extra, &[])
    }

    /// [`Server::start`] with `env` added to the server's environment.
    pub fn start_with_env(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let db = dir.join("issuer.db").display().to_string();
        let mut args = vec!["--db", db.as_str()];
        args.extend_from_slice(extra);
        Server::spawn(&args, env)
    }

    /// Starts `oid4vci serve` on the PostgreSQL database `url`, its keys file in `dir`.
    pub fn start_on_store(dir: &Path, url: &str, extra: &[&str]) -> Server {
        let keys = dir.join("issuer.keys").display().to_string();
        let mut args = vec!["--store", url, "--keys", keys.as_str()];
        args.extend_from_slice(extra);
        Server::spawn(&args, &[])
    }

    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_oid4vci"));
        command.envs(env.iter().copied());
        Server::start_command(command, args)
    }

    /// Starts `oid4vci serve --port 0 --admin-token …` followed by `args`, through `command`:
    /// the `oid4vci` program itself, or a wrapper (such as `setpriv`) whose arguments end with
    /// the program's path.
    pub fn start_command(mut command: Command, args: &[&str]) -> Server {
        let mut child = command
            .args(["serve", "--port", "0", "--admin-token", ADMIN_TOKEN])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start oid4vci serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .try_for_each(|l| tx.send(l))
        });
        // Owned by `Server` from here on, so a failed start still kills and reaps it.
        let mut server = Server {
            child,
            addr: String::new(),
            scheme: "http",
            banner: Vec::new(),
        };
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("server prints `listening on` within 60 s");
            if let Some(addr) = line.strip_prefix("listening on http://") {
                server.addr = addr.trim().to_owned();
                return server;
            }
            if let Some(addr) = line.strip_prefix("listening on https://") {
                server.addr = addr.trim().to_owned();
                server.scheme = "https";
                return server;
            }
            server.banner.push(line);
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `limit` for the server to exit; its status, or `None` when it still runs.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The Credential Issuer Identifier.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// One HTTP/1.1 request; returns the status, the raw head and the body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
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
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        (status, head.to_owned(), body.to_owned())
    }

    /// A JSON request; returns the status and the JSON body (`null` when not JSON).
    pub fn json(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Value) {
        let (status, _, body) = self.request(method, path, headers, body);
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// `GET` a JSON document.
    pub fn get(&self, path: &str) -> Value {
        let (status, body) = self.json("GET", path, &[], "");
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Creates a pre-authorized offer for one configuration with `claims`; returns the
    /// pre-authorized code.
    pub fn offer(&self, configuration_id: &str, claims: &Value) -> String {
        self.offer_in_session(configuration_id, claims).1
    }

    /// Like [`Server::offer`], and also returns the session id.
    pub fn offer_in_session(&self, configuration_id: &str, claims: &Value) -> (String, String) {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let body = json!({"credential_configuration_ids": [configuration_id], "claims": claims});
        let (status, created) = self.json(
            "POST",
            "/admin/offers",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            &body.to_string(),
        );
        assert_eq!(status, 201, "{created}");
        let code = created["credential_offer"]["grants"]
            ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
            .as_str()
            .expect("pre-authorized code")
            .to_owned();
        let session = created["session_id"]
            .as_str()
            .expect("session id")
            .to_owned();
        (session, code)
    }

    /// The whole pre-authorized flow as a wallet: token, nonce, credential request with a key
    /// proof from `wallet`. Returns the credential response status and body.
    pub fn obtain(
        &self,
        configuration_id: &str,
        claims: &Value,
        wallet: &TestWallet,
    ) -> (u16, Value) {
        let (_, status, body) = self.obtain_in_session(configuration_id, claims, wallet);
        (status, body)
    }

    /// Like [`Server::obtain`], and also returns the session id.
    pub fn obtain_in_session(
        &self,
        configuration_id: &str,
        claims: &Value,
        wallet: &TestWallet,
    ) -> (String, u16, Value) {
        let (session, code) = self.offer_in_session(configuration_id, claims);
        let form = format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}"
        );
        let (status, token) = self.json(
            "POST",
            "/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &form,
        );
        assert_eq!(status, 200, "{token}");
        let access = token["access_token"].as_str().expect("access token");
        let (status, nonce) = self.json("POST", "/nonce", &[], "");
        assert_eq!(status, 200, "{nonce}");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let proof = wallet.proof(&self.url(), nonce["c_nonce"].as_str(), now);
        let body = json!({
            "credential_configuration_id": configuration_id,
            "proofs": {"jwt": [proof]},
        });
        let bearer = format!("Bearer {access}");
        let (status, body) = self.json(
            "POST",
            "/credential",
            &[
                ("Authorization", &bearer),
                ("Content-Type", "application/json"),
            ],
            &body.to_string(),
        );
        (session, status, body)
    }
}

/// The value under text key `key` of a CBOR map.
pub fn map_get<'a>(map: &'a ciborium::Value, key: &str) -> Option<&'a ciborium::Value> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

/// A fresh temporary directory, removed when dropped.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// The DER certificates of a PEM file, in order.
pub fn pem_certificates(path: &Path) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(path).expect("read PEM");
    let mut certs = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        match (line, &mut current) {
            ("-----BEGIN CERTIFICATE-----", None) => current = Some(String::new()),
            ("-----END CERTIFICATE-----", Some(b64)) => {
                use base64::Engine;
                certs.push(
                    base64::engine::general_purpose::STANDARD
                        .decode(b64.as_bytes())
                        .expect("base64"),
                );
                current = None;
            }
            (l, Some(b64)) => b64.push_str(l),
            _ => {}
        }
    }
    certs
}

/// The bin directory of the pinned Python test tools (`scripts/python-tools.sh`), or `None`
/// (with a `SKIPPED:` line) when they cannot be installed.
pub fn python_tools(test: &str) -> Option<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new("bash")
        .arg(root.join("scripts/python-tools.sh"))
        .output()
        .expect("run scripts/python-tools.sh (needs bash)");
    let bin = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || bin.is_empty() {
        println!(
            "SKIPPED: {test}: the Python tools could not be installed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    Some(std::path::PathBuf::from(bin))
}

/// A wallet's HTTP client that reports a failed connection instead of panicking (for servers
/// that go away under it).
pub struct Client {
    addr: String,
    url: String,
}

impl Client {
    /// A client of the server at `addr` whose issuer identifier is `url`.
    pub fn new(addr: &str, url: &str) -> Client {
        Client {
            addr: addr.to_owned(),
            url: url.to_owned(),
        }
    }

    /// One request: `(status, JSON body)`, or `None` when the connection failed.
    pub fn try_json(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Option<(u16, Value)> {
        let mut stream = TcpStream::connect(&self.addr).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .ok()?;
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
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

    /// A whole pre-authorized flow; the session id once the credential response (200) arrived,
    /// `None` when any step failed.
    pub fn try_obtain(
        &self,
        configuration_id: &str,
        claims: &Value,
        wallet: &TestWallet,
    ) -> Option<String> {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let offer = json!({"credential_configuration_ids": [configuration_id], "claims": claims});
        let json_type = ("Content-Type", "application/json");
        let (status, created) = self.try_json(
            "POST",
            "/admin/offers",
            &[("Authorization", &auth), json_type],
            &offer.to_string(),
        )?;
        if status != 201 {
            return None;
        }
        let session = created["session_id"].as_str()?.to_owned();
        let code = created["credential_offer"]["grants"]
            ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
            .as_str()?
            .to_owned();
        let form = format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}"
        );
        let form_type = ("Content-Type", "application/x-www-form-urlencoded");
        let (status, token) = self.try_json("POST", "/token", &[form_type], &form)?;
        if status != 200 {
            return None;
        }
        let access = format!("Bearer {}", token["access_token"].as_str()?);
        let (status, nonce) = self.try_json("POST", "/nonce", &[], "")?;
        if status != 200 {
            return None;
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        let proof = wallet.proof(&self.url, nonce["c_nonce"].as_str(), now);
        let body =
            json!({"credential_configuration_id": configuration_id, "proofs": {"jwt": [proof]}});
        let (status, _) = self.try_json(
            "POST",
            "/credential",
            &[("Authorization", &access), json_type],
            &body.to_string(),
        )?;
        (status == 200).then_some(session)
    }
}

/// The repository's root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where cargo builds: `CARGO_TARGET_DIR`, else the repository's `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// For a script that exits `skip_code` when what it needs cannot be had: prints
/// `SKIPPED: <test>: <reason>` (its last line of stderr) and returns `true`; otherwise asserts
/// that it succeeded and returns `false`.
pub fn skip_or_fail(test: &str, what: &str, out: &Output, skip_code: i32) -> bool {
    if out.status.code() == Some(skip_code) {
        let reason = String::from_utf8_lossy(&out.stderr);
        let reason = reason.trim().lines().last().unwrap_or(what).to_owned();
        println!("SKIPPED: {test}: {reason}");
        return true;
    }
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    false
}

/// Runs `bash <script>` (a path from the repository's root).
pub fn run_script(script: &str) -> Output {
    Command::new("bash")
        .arg(repo_root().join(script))
        .output()
        .unwrap_or_else(|e| panic!("run {script} (needs bash): {e}"))
}

/// The JSON object a node script printed on its last line, asserting that the script exited 0
/// and reported `"ok": true`.
pub fn node_report(output: &Output, what: &str) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = (stdout.lines().last())
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    assert!(
        output.status.success() && report["ok"] == true,
        "{what} failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    report
}
