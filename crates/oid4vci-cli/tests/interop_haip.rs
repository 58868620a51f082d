//! Interop, HAIP 1.0 (issue #21): the npm wallet library (`@openid4vc/oauth2` and
//! `@openid4vc/openid4vci`, run by `interop/haip-wallet.mjs`) completes a full HAIP issuance
//! against `oid4vci serve --profile haip` over HTTPS: a wallet attestation the library makes
//! (x5c to the anchor the server trusts) with a PoP per request, PAR with PKCE and DPoP, the
//! login page, DPoP server nonces, a batch whose keys one key attestation covers (the
//! `attestation` proof type, also made by the library, by an attester the server trusts), a
//! refresh that rotates the refresh token, and a second batch with the refreshed token.

use oid4vci_issuer_testkit::WalletProvider;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &Path) -> (Server, String) {
    let path = |name: &str| dir.join(name).display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args([
            "serve",
            "--port",
            "0",
            "--tls-self-signed",
            "--profile",
            "haip",
        ])
        .args(["--admin-token", "interop-haip-admin"])
        .args(["--tls-cert-out", &path("tls.pem")])
        .args(["--trust-wallet-provider", &path("provider.pem")])
        .args(["--config", &path("serve.toml")])
        .args(["--db", &path("issuer.db")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start oid4vci serve");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .try_for_each(|l| tx.send(l))
    });
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("listening on <url> within 60 s");
        if let Some(url) = line.strip_prefix("listening on ") {
            return (server, url.trim().to_owned());
        }
    }
}

#[test]
fn the_npm_wallet_library_completes_a_full_haip_issuance() {
    let status = Command::new("bash")
        .arg(repo_root().join("interop/install.sh"))
        .status()
        .expect("run interop/install.sh (needs bash, node >= 20 and npm)");
    assert!(status.success(), "interop/install.sh failed");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name);
    let provider = WalletProvider::new("Interop Wallet Provider");
    let leaf_b64 = provider.leaf_x5c();
    std::fs::write(path("provider.pem"), &provider.root_pem).expect("write");
    std::fs::write(path("provider.p8.pem"), &provider.leaf_key_pem).expect("write");
    let attester = p256::SecretKey::random(&mut rand_core::OsRng);
    std::fs::write(
        path("attester.private.jwk"),
        attester.to_jwk_string().as_str(),
    )
    .expect("write");
    std::fs::write(path("attester.jwk"), attester.public_key().to_jwk_string()).expect("write");
    std::fs::write(
        path("serve.toml"),
        format!(
            "[proofs]\nkey_attester_jwks = [{:?}]\nkey_attestations_required = {{ key_storage = [\"iso_18045_high\"] }}\n",
            path("attester.jwk").display().to_string()
        ),
    )
    .expect("write");
    let (_server, url) = start(dir.path());
    let output = Command::new("node")
        .arg(repo_root().join("interop/haip-wallet.mjs"))
        .args(["--issuer", &url, "--batch", "3"])
        .arg("--provider-key")
        .arg(path("provider.p8.pem"))
        .args(["--provider-cert", &leaf_b64])
        .arg("--attester-key")
        .arg(path("attester.private.jwk"))
        .env("NODE_EXTRA_CA_CERTS", path("tls.pem"))
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    assert!(
        output.status.success() && result["ok"] == true,
        "haip-wallet.mjs: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let steps: Vec<&str> = result["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["step"].as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "client_attestation",
            "metadata",
            "par",
            "login",
            "token",
            "batch",
            "refresh",
            "reissued_batch"
        ]
    );
    let batch = &result["steps"][5];
    assert_eq!(batch["credentials"], 3, "{result}");
    eprintln!("HAIP interop: {result}");
}
