//! `[proofs]` in `oid4vci serve --config`: a trusted key attester (a JWK file) and required key
//! attestations (`key_storage`). The metadata advertises both (the `attestation` proof type,
//! `key_attestations_required` on every proof type); a key attestation with an accepted
//! `key_storage` gets one credential per attested key; one with another `key_storage`, one from
//! an unknown attester, and a plain `jwk` proof are refused with the diagnostic.

mod support;

use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};
use support::{temp_dir, Server};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// A key attestation of `keys` by `attester` with `key_storage`, for `nonce`.
fn attestation(attester: &TestWallet, keys: &[&TestWallet], storage: &str, nonce: &str) -> String {
    let header = json!({"typ": "key-attestation+jwt", "alg": "ES256", "kid": "attester-1"});
    let attested: Vec<Value> = keys.iter().map(|k| k.public_jwk()).collect();
    let claims = json!({"iss": "https://wallet-provider.example", "iat": now(), "exp": now() + 600,
                        "attested_keys": attested, "key_storage": [storage], "nonce": nonce});
    attester.sign(&header, &claims)
}

/// A credential request with `proofs` under a fresh access token.
fn request(server: &Server, proofs: impl FnOnce(&str) -> Value) -> (u16, Value) {
    let code = server.offer("identity_credential", &json!({"given_name": "Erika"}));
    let form = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}"
    );
    let headers = [("Content-Type", "application/x-www-form-urlencoded")];
    let (status, token) = server.json("POST", "/token", &headers, &form);
    assert_eq!(status, 200, "{token}");
    let access = format!("Bearer {}", token["access_token"].as_str().expect("token"));
    let (_, nonce) = server.json("POST", "/nonce", &[], "");
    let body = json!({
        "credential_configuration_id": "identity_credential",
        "proofs": proofs(nonce["c_nonce"].as_str().expect("nonce")),
    });
    server.json(
        "POST",
        "/credential",
        &[
            ("Authorization", &access),
            ("Content-Type", "application/json"),
        ],
        &body.to_string(),
    )
}

#[test]
fn serve_trusts_its_key_attesters_and_requires_the_key_storage_it_names() {
    let dir = temp_dir();
    let attester = TestWallet::new();
    let jwk = dir.path().join("attester.jwk");
    std::fs::write(&jwk, attester.public_jwk().to_string()).expect("write jwk");
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[proofs]\nkey_attester_jwks = [{:?}]\nkey_attestations_required = {{ key_storage = [\"iso_18045_high\"] }}\n",
            jwk.display().to_string()
        ),
    )
    .expect("config");
    let config = config.display().to_string();
    let server = Server::start(dir.path(), &["--config", &config]);

    let metadata = server.get("/.well-known/openid-credential-issuer");
    let types = &metadata["credential_configurations_supported"]["identity_credential"]
        ["proof_types_supported"];
    assert!(types.get("attestation").is_some(), "{types}");
    assert_eq!(
        types["jwt"]["key_attestations_required"],
        json!({"key_storage": ["iso_18045_high"]})
    );

    // An accepted attestation: one credential per attested key.
    let (a, b) = (TestWallet::new(), TestWallet::new());
    let (status, body) = request(
        &server,
        |nonce| json!({"attestation": [attestation(&attester, &[&a, &b], "iso_18045_high", nonce)]}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["credentials"].as_array().map(Vec::len), Some(2));

    // Other key storage: refused, saying what is accepted.
    let (status, body) = request(
        &server,
        |nonce| json!({"attestation": [attestation(&attester, &[&a], "iso_18045_basic", nonce)]}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_proof");
    assert_eq!(
        body["diagnostic"]["code"], "invalid_key_attestation",
        "{body}"
    );
    assert!(body["diagnostic"]["expected"]
        .as_str()
        .is_some_and(|e| e.contains("iso_18045_high")));

    // An attester this issuer does not trust.
    let stranger = TestWallet::new();
    let (status, body) = request(
        &server,
        |nonce| json!({"attestation": [attestation(&stranger, &[&a], "iso_18045_high", nonce)]}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["diagnostic"]["code"], "invalid_key_attestation",
        "{body}"
    );

    // A plain jwk proof, without a key attestation.
    let wallet = TestWallet::new();
    let url = server.url();
    let (status, body) = request(
        &server,
        |nonce| json!({"jwt": [wallet.proof(&url, Some(nonce), now())]}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["diagnostic"]["code"], "invalid_key_attestation",
        "{body}"
    );
}

#[test]
fn required_key_attestations_need_a_trusted_attester() {
    let dir = temp_dir();
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        "[proofs]\nkey_attestations_required = { key_storage = [\"iso_18045_high\"] }\n",
    )
    .expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["serve", "--port", "0", "--config"])
        .arg(&config)
        .arg("--db")
        .arg(dir.path().join("issuer.db"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("needs key_attester_trust_anchors or key_attester_jwks"),
        "{stderr}"
    );
}
