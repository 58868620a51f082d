//! `oid4vci credential decode`: exit status and report for an SD-JWT VC minted here (with the
//! test kit's two-level PKI), against its certificate, its CA, a foreign certificate and none;
//! from standard input; usage errors. (The browser test compares the page with this command on
//! credentials from the demo issuer, mdocs too.)

use oid4vci_issuer::MintRequest;
use oid4vci_issuer_testkit::WalletProvider;
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::CredentialConfiguration;
use serde_json::{json, Value};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

fn pem(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n")
}

/// Runs the command with `args`, `stdin` on standard input; the exit code and the JSON printed.
fn decode(args: &[&str], stdin: &str) -> (i32, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["credential", "decode"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run oid4vci credential decode");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("output");
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), report)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

#[test]
fn credential_decode_reports_and_exits_by_the_verdict() {
    let pki = WalletProvider::new("CLI test");
    let minter = SdJwtVcMinter::new(pki.signer.signing_key().clone(), "k")
        .with_x5c(vec![pki.leaf_der.clone()]);
    let configuration = CredentialConfiguration::sd_jwt_vc("urn:x");
    let claims = json!({"given_name": "Erika"});
    let request = MintRequest {
        issuer: "https://issuer.example.com",
        configuration_id: "x",
        configuration: &configuration,
        claims: &claims,
        holder_keys: &[],
        statuses: &[],
        subject_id: None,
        now: 1_767_225_600,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let credential = runtime
        .block_on(minter.issue(&request, None, None))
        .expect("issued");
    let dir = tempfile::tempdir().expect("dir");
    let leaf = write(dir.path(), "leaf.pem", &pem(&pki.leaf_der));
    let root = write(dir.path(), "root.pem", &pki.root_pem);
    let other = WalletProvider::new("Other");
    let foreign = write(dir.path(), "foreign.pem", &other.root_pem);
    let now = ["--now", "1767225600"];

    let (code, report) = decode(&[&["--cert", &leaf][..], &now, &[&credential]].concat(), "");
    assert_eq!((code, &report["valid"]), (0, &json!(true)), "{report}");
    assert_eq!(report["format"], "dc+sd-jwt");
    assert_eq!(report["claims"]["given_name"], "Erika");
    assert_eq!(report["disclosures"][0]["name"], "given_name");
    assert_eq!(report["signature"]["verified_with"], "certificate");

    let (code, report) = decode(
        &[&["--cert", &root][..], &now, &["-"]].concat(),
        &credential,
    );
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["signature"]["verified_with"], "chain_to_certificate");

    let (code, report) = decode(
        &[&["--cert", &foreign][..], &now, &[&credential]].concat(),
        "",
    );
    assert_eq!(code, 1);
    assert_eq!(report["signature"]["error"], "not_signed_by_certificate");

    let (code, report) = decode(&[&credential], "");
    assert_eq!(code, 1, "no certificate: not a trust decision");
    assert_eq!(
        report["signature"]["verified_with"],
        "credential_certificate"
    );

    let (code, report) = decode(&["--format", "mso_mdoc", &credential], "");
    assert_eq!((code, &report["error"]), (1, &json!("malformed")));

    assert_eq!(decode(&["--format", "jwt_vc_json", &credential], "").0, 2);
    assert_eq!(
        decode(&["--cert", "/nonexistent.pem", &credential], "").0,
        2
    );
}
