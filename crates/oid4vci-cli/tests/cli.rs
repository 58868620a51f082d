//! End-to-end tests of the `oid4vci` binary: `proof make` output checked by `proof check`.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const AUD: &str = "https://issuer.example";
const NOW: &str = "1700000000";

fn oid4vci(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn oid4vci");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn make(extra: &[&str]) -> String {
    let mut args = vec![
        "proof", "make", "--aud", AUD, "--nonce", "n-123", "--iat", NOW,
    ];
    args.extend_from_slice(extra);
    let out = oid4vci(&args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn check(jwt: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["proof", "check", "--now", NOW];
    args.extend_from_slice(extra);
    args.push(jwt);
    let out = oid4vci(&args, None);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap(), json)
}

#[test]
fn make_then_check_every_key_source_and_alg() {
    for (source, expected) in [("jwk", "jwk"), ("did:key", "did:key"), ("x5c", "x5c")] {
        for alg in ["ES256", "EdDSA"] {
            let jwt = make(&["--key-source", source, "--alg", alg]);
            let (code, out) = check(
                &jwt,
                &[
                    "--aud",
                    AUD,
                    "--nonce",
                    "n-123",
                    "--anonymous",
                    "--allow-self-signed",
                ],
            );
            assert_eq!(code, 0, "{source} {alg}: {out}");
            assert_eq!(out["valid"], true);
            assert_eq!(out["alg"], alg);
            assert_eq!(out["key_source"], expected);
            assert_eq!(out["holder_keys"].as_array().unwrap().len(), 1);
            assert_eq!(out["claims"]["aud"], AUD);
            assert_eq!(out["skipped"], serde_json::json!([]));
        }
    }
}

#[test]
fn self_signed_x5c_needs_the_flag() {
    let jwt = make(&["--key-source", "x5c"]);
    let (code, out) = check(&jwt, &["--aud", AUD, "--nonce", "n-123"]);
    assert_eq!(code, 1);
    assert_eq!(out["valid"], false);
    assert_eq!(out["code"], "untrusted_x5c");
    assert_eq!(out["error"], "invalid_proof");
    for f in ["reason", "help", "expected", "found", "spec_ref"] {
        assert!(
            out[f].as_str().is_some_and(|s| !s.is_empty()),
            "{f} missing: {out}"
        );
    }
}

#[test]
fn skipped_checks_are_reported() {
    let jwt = make(&[]);
    let (code, out) = check(&jwt, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["skipped"], serde_json::json!(["aud", "nonce", "iss"]));
}

#[test]
fn rejections_exit_1_with_diagnostic() {
    let jwt = make(&[]);
    let (code, out) = check(&jwt, &["--aud", AUD, "--nonce", "other"]);
    assert_eq!(
        (code, out["error"].as_str(), out["code"].as_str()),
        (1, Some("invalid_nonce"), Some("invalid_nonce"))
    );
    let (code, out) = check(&jwt, &["--aud", "https://other.example"]);
    assert_eq!((code, out["code"].as_str()), (1, Some("invalid_audience")));
    let late = oid4vci(&["proof", "check", "--now", "1800000000", &jwt], None);
    let out: Value = serde_json::from_slice(&late.stdout).unwrap();
    assert_eq!(
        (late.status.code(), out["code"].as_str()),
        (Some(1), Some("proof_expired"))
    );
    let (code, out) = check("not-a-jwt", &[]);
    assert_eq!((code, out["code"].as_str()), (1, Some("malformed_jwt")));
    let iss = make(&["--iss", "client-1"]);
    let (code, out) = check(&iss, &["--anonymous"]);
    assert_eq!((code, out["code"].as_str()), (1, Some("invalid_iss")));
    let (code, _) = check(&iss, &["--client-id", "client-1"]);
    assert_eq!(code, 0);
}

#[test]
fn reads_stdin_and_reuses_saved_keys() {
    let dir = std::env::temp_dir().join(format!("oid4vci-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("key.jwk");
    let _ = std::fs::remove_file(&key);
    let first = make(&["--alg", "EdDSA", "--save-key", key.to_str().unwrap()]);
    let second = make(&["--key", key.to_str().unwrap()]);
    let out = oid4vci(
        &["proof", "check", "--now", NOW, "-"],
        Some(&format!("{second}\n")),
    );
    assert!(out.status.success());
    let second_out: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (_, first_out) = check(&first, &[]);
    assert_eq!(first_out["holder_keys"], second_out["holder_keys"]);
    assert_eq!(second_out["alg"], "EdDSA");
    // Saving over an existing file is refused (usage error).
    let again = oid4vci(
        &[
            "proof",
            "make",
            "--aud",
            AUD,
            "--save-key",
            key.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(again.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(oid4vci(&["proof", "check"], None).status.code(), Some(2));
    assert_eq!(oid4vci(&["proof", "make"], None).status.code(), Some(2));
    assert_eq!(
        oid4vci(&["proof", "make", "--aud", AUD, "--alg", "RS256"], None)
            .status
            .code(),
        Some(2)
    );
    let out = oid4vci(
        &[
            "proof",
            "check",
            "--trust-anchor",
            "/nonexistent.pem",
            "x.y.z",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.pem"));
}

#[test]
fn checks_the_spec_f1_example() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/messages/spec/oid4vci_inline_examples.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let jwt = doc["v1_0_final"]["jwt_proof_example_F1"]["jws_compact"]
        .as_str()
        .unwrap();
    let out = oid4vci(
        &[
            "proof",
            "check",
            "--aud",
            "https://credential-issuer.example.com",
            "--nonce",
            "LarRGSbmUPYtRYO6BQ4yn8",
            "--now",
            "1701960500",
            jwt,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn checks_a_constructed_attestation_proof_with_a_trusted_attester() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/constructed_proof_vectors.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ctx = &doc["default_context"];
    let nonce = ctx["valid_c_nonces"][0].as_str().unwrap();
    let now = ctx["verification_time"].to_string();
    let dir = std::env::temp_dir().join(format!("oid4vci-cli-att-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for v in doc["attestation_proof_vectors"].as_array().unwrap() {
        let jwts = v["proofs"]["attestation"].as_array().unwrap();
        if jwts.len() != 1 {
            continue; // request-shape vector: the CLI checks one proof at a time
        }
        let jwk = dir.join("attester.jwk");
        std::fs::write(
            &jwk,
            v["context_overrides"]["trusted_key_attestation_issuer_jwk"].to_string(),
        )
        .unwrap();
        let out = oid4vci(
            &[
                "proof",
                "check",
                "--nonce",
                nonce,
                "--now",
                &now,
                "--attester-jwk",
                jwk.to_str().unwrap(),
                jwts[0].as_str().unwrap(),
            ],
            None,
        );
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let id = v["id"].as_str().unwrap();
        if v["expected"] == "accept" {
            assert_eq!(out.status.code(), Some(0), "{id}: {json}");
            assert_eq!(json["proof_type"], "attestation");
            assert_eq!(json["key_source"], "key_attestation");
            assert_eq!(json["skipped"], serde_json::json!(["iss"]));
        } else {
            assert_eq!(out.status.code(), Some(1), "{id}: {json}");
            assert_eq!(json["error"], v["expected_error"], "{id}");
        }
        // Without the trusted attester the same attestation is refused.
        let untrusted = oid4vci(
            &["proof", "check", "--now", &now, jwts[0].as_str().unwrap()],
            None,
        );
        let json: Value = serde_json::from_slice(&untrusted.stdout).unwrap();
        assert_eq!(json["code"], "invalid_key_attestation", "{id}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn offer_decode_prints_the_offer_and_rejects_broken_ones() {
    let examples: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/messages/spec/oid4vci_inline_examples.json"
        ))
        .expect("vectors"),
    )
    .expect("json");
    let uri = examples["v1_0_final"]["credential_offer_by_value_4_1_2"]
        .as_str()
        .expect("uri");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["offer", "decode", uri])
        .output()
        .expect("run");
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["valid"], true);
    assert_eq!(
        json["credential_offer"]["credential_issuer"],
        "https://credential-issuer.example.com"
    );
    assert_eq!(
        json["metadata_url"],
        "https://credential-issuer.example.com/.well-known/openid-credential-issuer"
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args([
            "offer",
            "decode",
            "openid-credential-offer://?credential_offer=%7B%7D",
        ])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&bad.stdout).expect("json");
    assert_eq!(json["valid"], false);
}
