//! An independent mdoc verifier accepts what `oid4vci serve` issues as `eu.europa.ec.av.1`:
//! a wallet (this test, over HTTP) obtains the mdoc with a key proof, and `@auth0/mdl` (run by
//! `interop/mdoc-verify.mjs` under Node.js; its own CBOR, COSE and X.509 code) parses it,
//! validates the document-signer certificate against the demo IACA root, verifies the MSO
//! signature, recomputes every value digest and finds the wallet's key as the device key.
//! A tampered element and a foreign trust anchor are refused by the same verifier.
//!
//! `interop/install.sh` installs the pinned npm packages (lockfile committed) on first run.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use support::{pem_certificates, repo_root, temp_dir, Server};

const AV: &str = "eu.europa.ec.av.1";

fn install_npm_packages() {
    let status = Command::new("bash")
        .arg(repo_root().join("interop/install.sh"))
        .status()
        .expect("run interop/install.sh (needs bash, node >= 20 and npm)");
    assert!(status.success(), "interop/install.sh failed");
}

/// Runs the independent verifier; returns its exit status and JSON verdict.
fn verify(dir: &Path, credential: &str, root_pem: &Path) -> (bool, Value) {
    let file = dir.join("credential.txt");
    std::fs::write(&file, credential).expect("write credential");
    let output = Command::new("node")
        .arg(repo_root().join("interop/mdoc-verify.mjs"))
        .arg(&file)
        .arg(root_pem)
        .arg(AV)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let verdict = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    if verdict.is_null() {
        eprintln!("stderr: {}", String::from_utf8_lossy(&output.stderr));
    }
    (output.status.success(), verdict)
}

fn write_root_pem(path: &Path, der: &[u8]) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    );
    std::fs::write(path, pem).expect("write root");
}

/// The credential with the `age_over_18` element's value flipped to `false` (its digest, in the
/// signed MSO, no longer matches).
fn tampered(credential: &str) -> String {
    use ciborium::Value as Cbor;
    let bytes = URL_SAFE_NO_PAD.decode(credential).expect("base64url");
    let mut issuer_signed: Cbor = ciborium::from_reader(bytes.as_slice()).expect("CBOR");
    let mut flipped = 0;
    for (key, namespaces) in issuer_signed.as_map_mut().expect("map") {
        if key.as_text() != Some("nameSpaces") {
            continue;
        }
        for (_, items) in namespaces.as_map_mut().expect("map") {
            for item in items.as_array_mut().expect("array") {
                let Cbor::Tag(24, inner) = item else {
                    panic!("tag 24 item")
                };
                let encoded = inner.as_bytes_mut().expect("bstr");
                let decoded: Cbor = ciborium::from_reader(encoded.as_slice()).expect("item");
                let is_age = decoded.as_map().expect("map").iter().any(|(k, v)| {
                    k.as_text() == Some("elementIdentifier") && v.as_text() == Some("age_over_18")
                });
                if is_age && encoded.last() == Some(&0xf5) {
                    *encoded.last_mut().expect("byte") = 0xf4; // CBOR true -> false
                    flipped += 1;
                }
            }
        }
    }
    assert_eq!(flipped, 1, "one element tampered with");
    let mut out = Vec::new();
    ciborium::into_writer(&issuer_signed, &mut out).expect("encode");
    URL_SAFE_NO_PAD.encode(out)
}

#[test]
fn an_independent_mdoc_verifier_accepts_the_age_verification_mdoc() {
    install_npm_packages();
    let dir = temp_dir();
    let server = Server::start(dir.path(), &[]);
    let metadata = server.get("/.well-known/openid-credential-issuer");
    let config = &metadata["credential_configurations_supported"][AV];
    assert_eq!(config["format"], "mso_mdoc", "{config}");
    assert_eq!(config["doctype"], AV);
    assert_eq!(
        config["credential_signing_alg_values_supported"],
        json!([-7])
    );

    let wallet = TestWallet::new();
    let claims =
        json!({"age_over_18": true, "issuing_country": "UT", "issuance_date": "2026-01-01"});
    let (status, body) = server.obtain(AV, &claims, &wallet);
    assert_eq!(status, 200, "{body}");
    let credential = body["credentials"][0]["credential"]
        .as_str()
        .expect("credential string")
        .to_owned();

    let chain = pem_certificates(&dir.path().join("issuer.chain.pem"));
    let root_pem = dir.path().join("iaca.pem");
    write_root_pem(&root_pem, chain.last().expect("root"));
    let (ok, verdict) = verify(dir.path(), &credential, &root_pem);
    assert!(
        ok && verdict["ok"] == true,
        "the verifier accepts it: {verdict}"
    );
    assert_eq!(verdict["docType"], AV);
    assert_eq!(verdict["digestAlgorithm"], "SHA-256");
    let passed = |check: &str| {
        verdict["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .any(|c| c["check"] == check && c["status"] == "PASSED")
    };
    assert!(passed("Issuer certificate must be valid"), "{verdict}");
    assert!(passed("Issuer signature must be valid"), "{verdict}");
    for element in ["age_over_18", "issuing_country", "issuance_date"] {
        let check = format!(
            "The calculated digest for {AV}/{element} attribute must match the digest in the issuerAuth element"
        );
        assert!(passed(&check), "{check}: {verdict}");
    }
    let holder = wallet.public_jwk();
    assert_eq!(
        verdict["deviceKey"],
        json!({"kty": "EC", "crv": "P-256", "x": holder["x"], "y": holder["y"]}),
        "the wallet's proof key is the device key"
    );
    let elements = &verdict["elements"][AV];
    assert_eq!(elements["age_over_18"], true);
    assert_eq!(elements["issuing_country"], "UT");

    let (ok, verdict) = verify(dir.path(), &tampered(&credential), &root_pem);
    assert!(!ok && verdict["ok"] == false, "{verdict}");
    let failed = verdict["failed"].to_string();
    assert!(
        failed.contains("age_over_18"),
        "the digest check fails: {failed}"
    );

    let other = rcgen::generate_simple_self_signed(vec!["other".into()]).expect("cert");
    let foreign = dir.path().join("foreign.pem");
    std::fs::write(&foreign, other.cert.pem()).expect("write");
    let (ok, verdict) = verify(dir.path(), &credential, &foreign);
    assert!(!ok, "{verdict}");
    assert!(
        verdict["failed"]
            .to_string()
            .contains("Issuer certificate must be valid"),
        "{verdict}"
    );
}
