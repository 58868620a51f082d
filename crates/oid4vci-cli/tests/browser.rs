//! Browser test: the login and consent page of `oid4vci serve`, in headless Chromium.
//!
//! `browser/install.sh` installs Debian's `chromium` (when missing) and the pinned
//! `playwright-core`; `browser/login_page.mjs` pushes an authorization request, loads the page,
//! checks what it shows, saves a screenshot to `target/test-artifacts/login-page.png` (under `CARGO_TARGET_DIR` when set), submits
//! the form as served and checks the redirect carries `code`, `state` and `iss`. When Chromium
//! cannot be had (the install script exits with status 2), the test prints
//! `SKIPPED: browser_login_page_approves_as_served: <reason>` and returns.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The server process and its directory, cleaned up when dropped.
struct Server {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_server() -> Server {
    let dir = std::env::temp_dir().join(format!("oid4vci-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["serve", "--port", "0", "--admin-token", "browser-test"])
        .arg("--db")
        .arg(dir.join("issuer.db"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start oid4vci serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut server = Server {
        child,
        url: String::new(),
        dir,
    };
    while server.url.is_empty() {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server prints `listening on <url>` within 60 s");
        if let Some(u) = line.strip_prefix("listening on ") {
            server.url = u.trim().to_owned();
        }
    }
    server
}

#[test]
fn browser_login_page_approves_as_served() {
    let install = Command::new("bash")
        .arg(repo_root().join("browser/install.sh"))
        .output()
        .expect("run browser/install.sh (needs bash)");
    if install.status.code() == Some(2) {
        let reason = String::from_utf8_lossy(&install.stderr);
        println!(
            "SKIPPED: browser_login_page_approves_as_served: {}",
            reason
                .trim()
                .lines()
                .last()
                .unwrap_or("chromium cannot be installed")
        );
        return;
    }
    assert!(
        install.status.success(),
        "browser/install.sh failed:\n{}\n{}",
        String::from_utf8_lossy(&install.stdout),
        String::from_utf8_lossy(&install.stderr)
    );
    let server = start_server();
    // CI builds into a shared CARGO_TARGET_DIR from a throw-away clone: keep the artifact there.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let screenshot = target.join("test-artifacts/login-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let output = Command::new("node")
        .arg(repo_root().join("browser/login_page.mjs"))
        .arg("--issuer")
        .arg(&server.url)
        .arg("--screenshot")
        .arg(&screenshot)
        .output()
        .expect("run node browser/login_page.mjs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    assert!(
        output.status.success() && result["ok"] == true,
        "browser test failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(result["iss"], server.url.as_str(), "iss is the issuer");
    let png = std::fs::read(&screenshot).expect("the screenshot was saved");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 5_000,
        "a real PNG screenshot"
    );
}
