//! Browser test of the operator console (`/console` of `oid4vci serve`, HTTPS, wallet
//! debugging mode on) in headless Debian Chromium: `browser/console.mjs` signs in, makes an
//! offer in the console that the npm wallet (`interop/wallet.mjs`) redeems, watches a refused
//! proof arrive live on a session page with the diagnostic code the wallet got, revokes a
//! credential with its button (a relying party's status check, `interop/status-list.mjs`,
//! reads 0 before and 1 after), sees an unknown token on the refused-requests page without
//! the token, and a new session appear live in the list; every form control has a label, and
//! without JavaScript the pages and forms still work. Screenshots of each page go to
//! `target/test-artifacts/console-*.png` (under `CARGO_TARGET_DIR` when set); the README shows
//! them. When Chromium cannot be had, the test prints `SKIPPED: <name>: <reason>`.

mod support;

use std::process::Command;
use support::{
    node_report, repo_root, run_script, skip_or_fail, target_dir, temp_dir, Server, ADMIN_TOKEN,
};

#[test]
fn the_console_shows_a_wallet_flow_live_and_revokes_from_the_page() {
    let name = "the_console_shows_a_wallet_flow_live_and_revokes_from_the_page";
    for script in ["browser/install.sh", "interop/install.sh"] {
        if skip_or_fail(name, script, &run_script(script), 2) {
            return;
        }
    }
    let dir = temp_dir();
    let cert = dir.path().join("cert.pem");
    let cert_arg = cert.display().to_string();
    let server = Server::start(
        dir.path(),
        &[
            "--tls-self-signed",
            "--tls-cert-out",
            &cert_arg,
            "--wallet-debug",
        ],
    );
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.starts_with("console:") && l.contains("/console")),
        "the banner names the console: {:?}",
        server.banner
    );
    let screenshots = target_dir().join("test-artifacts");
    let names = [
        "console-sign-in",
        "console-offer",
        "console-session-refused-proof",
        "console-session-revoked",
        "console-refused-requests",
        "console-sessions",
    ];
    for n in names {
        let _ = std::fs::remove_file(screenshots.join(format!("{n}.png")));
    }
    let output = Command::new("node")
        .arg(repo_root().join("browser/console.mjs"))
        .args([
            "--issuer",
            &server.url(),
            "--token",
            ADMIN_TOKEN,
            "--screenshots",
        ])
        .arg(&screenshots)
        .env("NODE_EXTRA_CA_CERTS", &cert)
        .output()
        .expect("run node browser/console.mjs");
    let result = node_report(&output, "browser/console.mjs");
    assert_eq!(result["wallet_claims"]["given_name"], "Erika", "{result}");
    assert_eq!(
        result["diagnostic_code_page"], result["diagnostic_code_wallet"],
        "the page shows the code the wallet got: {result}"
    );
    assert_eq!(
        result["diagnostic_code_page"], "invalid_audience",
        "{result}"
    );
    assert_eq!(
        (
            result["status_before"].as_u64(),
            result["status_after"].as_u64()
        ),
        (Some(0), Some(1)),
        "the revoke button flips the status list: {result}"
    );
    assert!(result["refused_requests"].as_u64() >= Some(2), "{result}");
    assert!(result["sessions_listed"].as_u64() >= Some(4), "{result}");
    assert_eq!(result["without_javascript"], true, "{result}");
    assert_eq!(result["unlabelled"], serde_json::json!([]), "{result}");
    for n in names {
        let png = std::fs::read(screenshots.join(format!("{n}.png")))
            .unwrap_or_else(|e| panic!("screenshot {n}: {e}"));
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 5_000,
            "{n}: a real PNG"
        );
    }
}
