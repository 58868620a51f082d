//! Interop: an independent, widely used wallet library (`@openid4vc/openid4vci`, run by
//! `interop/wallet.mjs` under Node.js) obtains SD-JWT VCs from `oid4vci serve` over HTTPS on
//! loopback: offers by reference and by value, with and without a transaction code, proofs
//! with a `jwk` header or a `did:key` `kid`, ES256 and EdDSA. The certificate is generated for
//! the test and trusted through `NODE_EXTRA_CA_CERTS`; the library's https checks stay on.
//!
//! `interop/install.sh` installs the pinned npm packages (lockfile committed) on first run.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The server process; killed when dropped so a failing test leaves nothing running.
struct Server {
    child: Child,
    url: String,
    startup_offer: String,
    cert: PathBuf,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const ADMIN_TOKEN: &str = "interop-admin-token";

fn start_server(name: &str) -> Server {
    let dir = std::env::temp_dir().join(format!("oid4vci-interop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cert = dir.join("cert.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args([
            "serve",
            "--port",
            "0",
            "--tls-self-signed",
            "--admin-token",
            ADMIN_TOKEN,
        ])
        .arg("--tls-cert-out")
        .arg(&cert)
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
    let mut url = None;
    let mut offer = None;
    while url.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server prints `listening on <url>` within 60 s");
        if let Some(u) = line.strip_prefix("listening on ") {
            url = Some(u.trim().to_owned());
        } else if line.starts_with("openid-credential-offer://") {
            offer = Some(line.trim().to_owned());
        }
    }
    Server {
        child,
        url: url.unwrap_or_default(),
        startup_offer: offer.expect("the startup offer is printed before `listening on`"),
        cert,
        dir,
    }
}

fn install_npm_packages() {
    let status = Command::new("bash")
        .arg(repo_root().join("interop/install.sh"))
        .status()
        .expect("run interop/install.sh (needs bash, node >= 20 and npm)");
    assert!(status.success(), "interop/install.sh failed");
}

fn node(cert: &Path, script: &str, args: &[&str]) -> (bool, Value) {
    let output = Command::new("node")
        .arg(repo_root().join("interop").join(script))
        .args(args)
        .env("NODE_EXTRA_CA_CERTS", cert)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    if !output.status.success() {
        eprintln!(
            "{script} {args:?} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    (output.status.success(), json)
}

fn wallet(server: &Server, offer: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--offer", offer];
    args.extend_from_slice(extra);
    let (ok, out) = node(&server.cert, "wallet.mjs", &args);
    assert!(ok && out["ok"] == true, "wallet flow failed: {out}");
    out
}

fn admin_offer(server: &Server, body: &str) -> Value {
    let (ok, out) = node(
        &server.cert,
        "admin.mjs",
        &[&server.url, ADMIN_TOKEN, "offer", body],
    );
    assert!(ok, "admin offer failed: {out}");
    out
}

fn session_events(server: &Server, id: &str) -> Vec<String> {
    let (ok, out) = node(
        &server.cert,
        "admin.mjs",
        &[&server.url, ADMIN_TOKEN, "session", id],
    );
    assert!(ok, "admin session failed: {out}");
    out["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn npm_wallet_library_obtains_sd_jwt_vcs_from_the_demo_issuer() {
    install_npm_packages();
    let server = start_server("main");
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );

    // The startup offer, by reference, jwk + ES256: it offers the age-verification mdoc and the
    // identity SD-JWT VC; the library takes the SD-JWT VC.
    let out = wallet(&server, &server.startup_offer, &[]);
    assert_eq!(out["vct"], "urn:oid4vci-rs:identity_credential");
    assert_eq!(out["claims"]["given_name"], "Erika");
    assert_eq!(out["notification_status"], 204);
    assert_eq!(
        out["claims"]["cnf"]["jwk"], out["holder"],
        "bound to the wallet's key"
    );

    // With a transaction code, by value, did:key + ES256.
    let created = admin_offer(
        &server,
        r#"{"credential_configuration_ids":["identity_credential"],"claims":{"given_name":"Erika","family_name":"Mustermann"},"tx_code":{"length":6,"description":"Code from the letter"},"by_reference":false}"#,
    );
    let tx = created["tx_code"].as_str().expect("tx code");
    let offer = created["credential_offer_uri"].as_str().expect("uri");
    assert!(offer.contains("credential_offer=%7B"), "by value");
    let out = wallet(
        &server,
        offer,
        &["--tx-code", tx, "--key-source", "did:key"],
    );
    assert_eq!(out["claims"]["given_name"], "Erika");
    assert_eq!(out["key_source"], "did:key");
    let events = session_events(&server, created["session_id"].as_str().expect("id"));
    assert_eq!(
        events,
        [
            "offer_created",
            "token_exchanged",
            "nonce_issued",
            "credential_issued",
            "notification_received"
        ],
        "the session log shows every step"
    );

    // EdDSA keys, with jwk and with did:key, offers by reference.
    for key_source in ["jwk", "did:key"] {
        let created = admin_offer(
            &server,
            r#"{"credential_configuration_ids":["identity_credential"],"claims":{"given_name":"Erika"},"by_reference":true}"#,
        );
        let offer = created["credential_offer_uri"].as_str().expect("uri");
        let out = wallet(
            &server,
            offer,
            &["--alg", "EdDSA", "--key-source", key_source],
        );
        assert_eq!(out["alg"], "EdDSA");
        assert_eq!(out["claims"]["cnf"]["jwk"]["crv"], "Ed25519", "{out}");
    }

    // Credential response encryption (Section 10): the library sends
    // credential_response_encryption, jose decrypts the application/jwt response.
    // With --encrypt-request, jose also encrypts the request to the issuer's key.
    for (enc, request) in [("A128GCM", false), ("A256GCM", true)] {
        let created = admin_offer(
            &server,
            r#"{"credential_configuration_ids":["identity_credential"],"claims":{"given_name":"Erika"},"by_reference":true}"#,
        );
        let offer = created["credential_offer_uri"].as_str().expect("uri");
        let mut args = vec!["--encrypt-response", enc];
        if request {
            args.push("--encrypt-request");
        }
        let out = wallet(&server, offer, &args);
        let steps = out["steps"].as_array().expect("steps");
        assert_eq!(
            steps.iter().any(|s| s["step"] == "encrypt-request"),
            request,
            "{out}"
        );
        assert_eq!(out["encrypted_response"]["alg"], "ECDH-ES", "{out}");
        assert_eq!(out["encrypted_response"]["enc"], enc, "{out}");
        assert_eq!(out["claims"]["given_name"], "Erika");
    }

    // A wrong transaction code is refused with the spec's error, seen by the library.
    let created = admin_offer(
        &server,
        r#"{"credential_configuration_ids":["identity_credential"],"claims":{"given_name":"Erika"},"tx_code":{"length":4}}"#,
    );
    let right = created["tx_code"].as_str().expect("tx");
    let wrong = if right == "0000" { "1111" } else { "0000" };
    let (ok, out) = node(
        &server.cert,
        "wallet.mjs",
        &[
            "--offer",
            created["credential_offer_uri"].as_str().expect("uri"),
            "--tx-code",
            wrong,
        ],
    );
    assert!(!ok);
    assert_eq!(
        (out["step"].as_str(), out["error_code"].as_str()),
        (Some("token"), Some("invalid_grant")),
        "{out}"
    );

    // What the operator's Prometheus saw of all this (kept as a test artifact).
    let metrics = metrics_text(&server);
    let artifact = target_dir().join("test-artifacts/metrics-after-interop.txt");
    if let Some(parent) = artifact.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::write(&artifact, &metrics).expect("write the metrics artifact");
    let issued = metrics
        .lines()
        .find(|l| {
            l.starts_with("oid4vci_credentials_issued_total{")
                && l.contains("configuration=\"identity_credential\"")
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(
        issued >= 3.0,
        "the wallet's credentials are counted: {issued}"
    );
    assert!(metrics.contains("oid4vci_http_requests_total{endpoint=\"/token\",method=\"POST\",status=\"400\",error=\"invalid_grant\"}"));
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// `GET /metrics` with the admin token, through node (it trusts the test certificate).
fn metrics_text(server: &Server) -> String {
    let output = Command::new("node")
        .arg(repo_root().join("interop/admin.mjs"))
        .args([server.url.as_str(), ADMIN_TOKEN, "metrics", "-"])
        .env("NODE_EXTRA_CA_CERTS", &server.cert)
        .output()
        .expect("run node");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The authorization code flow with the same library: PAR + PKCE (S256) by the library, the
/// login page submitted as served (plain HTTP form posts by the script), `iss` checked by the
/// library, the code redeemed by the library; from an offer with `issuer_state` and from the
/// metadata alone, by `scope` and by `authorization_details`, Bearer and DPoP.
#[test]
fn npm_status_list_library_sees_a_revocation() {
    install_npm_packages();
    let server = start_server("status");
    let created = admin_offer(
        &server,
        r#"{"credential_configuration_ids":["identity_credential"],"claims":{"given_name":"Erika"}}"#,
    );
    let out = wallet(
        &server,
        created["credential_offer_uri"].as_str().expect("uri"),
        &[],
    );
    let credential = out["credential"].as_str().expect("the wallet's credential");
    let check = || {
        let (ok, status) = node(
            &server.cert,
            "status-list.mjs",
            &["--credential", credential],
        );
        assert!(ok && status["ok"] == true, "status check failed: {status}");
        status
    };
    let before = check();
    assert_eq!(before["status"], 0, "valid when issued: {before}");
    assert_eq!(
        before["uri"],
        format!("{}/status-lists/1", server.url),
        "{before}"
    );
    assert_eq!(before["bits"], 1);
    assert_eq!(
        before["x5c"], true,
        "signed with the issuer's certificate chain"
    );
    let session = created["session_id"].as_str().expect("session id");
    let (ok, revoked) = node(
        &server.cert,
        "admin.mjs",
        &[&server.url, ADMIN_TOKEN, "revoke", session],
    );
    assert!(ok, "admin revoke failed: {revoked}");
    assert_eq!(revoked["revoked"][0]["idx"], before["idx"], "{revoked}");
    let after = check();
    assert_eq!(after["status"], 1, "INVALID once revoked: {after}");
    let events = session_events(&server, session);
    assert_eq!(
        events.last().map(String::as_str),
        Some("credential_revoked")
    );
}

#[test]
fn npm_wallet_library_completes_the_authorization_code_flow() {
    install_npm_packages();
    let server = start_server("authorization-code");
    let offer_body = r#"{"credential_configuration_ids":["identity_credential"],"pre_authorized":false,"authorization_code":{},"claims":{"given_name":"Erika","family_name":"Mustermann"},"by_reference":true}"#;

    // From an offer with issuer_state, by scope, Bearer.
    let created = admin_offer(&server, offer_body);
    let offer = created["credential_offer_uri"]
        .as_str()
        .expect("uri")
        .to_owned();
    let out = wallet(&server, &offer, &[]);
    assert_eq!(out["grant"], "authorization_code", "{out}");
    assert_eq!(out["token_type"], "Bearer");
    assert_eq!(out["claims"]["given_name"], "Erika", "the offer's claims");
    let events = session_events(&server, created["session_id"].as_str().expect("id"));
    assert_eq!(
        events,
        [
            "offer_created",
            "offer_retrieved",
            "par_received",
            "authorization_requested",
            "authorization_approved",
            "code_exchanged",
            "nonce_issued",
            "credential_issued",
            "notification_received"
        ],
        "the session log shows every step"
    );
    // A second wallet with the same offer (its issuer_state) gets an authorization of its own
    // while the offer lasts (the OIDF multiple-clients module); the offer's log links to it.
    let again = wallet(&server, &offer, &[]);
    assert_eq!(again["grant"], "authorization_code", "{again}");
    assert_eq!(again["claims"]["given_name"], "Erika", "the offer's claims");
    let events = session_events(&server, created["session_id"].as_str().expect("id"));
    assert_eq!(
        events.last().map(String::as_str),
        Some("offer_reused"),
        "{events:?}"
    );

    // From an offer, by authorization_details, DPoP, EdDSA.
    let created = admin_offer(&server, offer_body);
    let offer = created["credential_offer_uri"]
        .as_str()
        .expect("uri")
        .to_owned();
    let out = wallet(
        &server,
        &offer,
        &[
            "--request",
            "authorization_details",
            "--dpop",
            "--alg",
            "EdDSA",
        ],
    );
    assert_eq!(out["token_type"], "DPoP", "{out}");
    assert!(out["credential_identifier"]
        .as_str()
        .is_some_and(|id| id.starts_with("identity_credential.")));

    // From the metadata alone: scope, authorization_details, and scope with DPoP.
    for extra in [
        &[][..],
        &["--request", "authorization_details"][..],
        &["--dpop"][..],
    ] {
        let mut args = vec!["--issuer", server.url.as_str()];
        args.extend_from_slice(extra);
        let (ok, out) = node(&server.cert, "wallet.mjs", &args);
        assert!(
            ok && out["ok"] == true,
            "metadata-alone flow {extra:?} failed: {out}"
        );
        assert_eq!(out["grant"], "authorization_code");
        // eu.europa.ec.av.1 is an mdoc: the library takes the SD-JWT VC identity_credential.
        assert_eq!(
            out["claims"]["given_name"], "Erika",
            "the demo user's claims: {out}"
        );
        let dpop = extra.contains(&"--dpop");
        assert_eq!(out["token_type"], if dpop { "DPoP" } else { "Bearer" });
    }
}
