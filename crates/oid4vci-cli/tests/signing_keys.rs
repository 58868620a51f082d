//! `[[signing_key]]` in `oid4vci serve --config`: rotation (credentials signed before and after
//! verify, across a restart, two instances on one database agree on the signing key), a key of
//! its own for one configuration, and a key inside a SoftHSM2 token.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value as Cbor;
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_proof::{Alg, PublicKey};
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, PublicKeyData};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::{map_get, temp_dir, Server};

const SD_JWT: &str = "identity_credential";
const MDOC: &str = "eu.europa.ec.av.1";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

struct Point(Vec<u8>);

impl PublicKeyData for Point {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

/// A chain for the P-256 public key `point` (leaf, then a throw-away root), written as PEM to
/// `dir/<name>.chain.pem`. Returns the path and the leaf's DER.
fn chain_for(dir: &Path, name: &str, point: &[u8]) -> (PathBuf, Vec<u8>) {
    let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("root key");
    let mut root = CertificateParams::new(vec![]).expect("params");
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    let root_cert = root.clone().self_signed(&root_key).expect("root");
    let mut leaf = CertificateParams::new(vec![]).expect("params");
    leaf.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    let issuer = Issuer::new(root, root_key);
    let leaf_cert = leaf
        .signed_by(&Point(point.to_vec()), &issuer)
        .expect("leaf");
    let path = dir.join(format!("{name}.chain.pem"));
    std::fs::write(&path, format!("{}{}", leaf_cert.pem(), root_cert.pem())).expect("write");
    (path, leaf_cert.der().to_vec())
}

/// A new in-process key at `dir/<name>.key.pem` with its chain. Returns (key, chain, leaf DER).
fn key_and_chain(dir: &Path, name: &str) -> (PathBuf, PathBuf, Vec<u8>) {
    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let pem = key.to_pkcs8_pem(LineEnding::LF).expect("pkcs8");
    let key_path = dir.join(format!("{name}.key.pem"));
    std::fs::write(&key_path, pem.as_bytes()).expect("write key");
    let point = key.verifying_key().to_encoded_point(false);
    let (chain, leaf) = chain_for(dir, name, point.as_bytes());
    (key_path, chain, leaf)
}

fn toml_path(p: &Path) -> String {
    format!("{:?}", p.display().to_string())
}

fn certified_key(der: &[u8]) -> PublicKey {
    let (_, cert) = x509_parser::parse_x509_certificate(der).expect("certificate");
    PublicKey::p256_from_sec1(&cert.public_key().subject_public_key.data).expect("P-256")
}

/// The header of a compact JWS, after checking its signature against `leaf`'s key.
fn verified_header(jws: &str, leaf: &[u8]) -> Value {
    let parts: Vec<&str> = jws.split('.').collect();
    assert_eq!(parts.len(), 3, "{jws}");
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");
    let input = format!("{}.{}", parts[0], parts[1]);
    certified_key(leaf)
        .verify(Alg::Es256, input.as_bytes(), &signature)
        .expect("signed by the certified key");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json")
}

fn payload(jws: &str) -> Value {
    let part = jws.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("b64")).expect("json")
}

/// Obtains one credential of `configuration`; returns it.
fn credential(server: &Server, configuration: &str) -> String {
    let claims = match configuration {
        MDOC => json!({"age_over_18": true}),
        _ => json!({"given_name": "Erika"}),
    };
    let (status, body) = server.obtain(configuration, &claims, &TestWallet::new());
    assert_eq!(status, 200, "{body}");
    body["credentials"][0]["credential"]
        .as_str()
        .expect("credential")
        .to_owned()
}

/// The SD-JWT VC's issuer-signed JWT header, verified against `leaf`.
fn sd_jwt_header(server: &Server, leaf: &[u8]) -> (Value, String) {
    let vc = credential(server, SD_JWT);
    let jws = vc.split('~').next().expect("jws").to_owned();
    (verified_header(&jws, leaf), jws)
}

/// The mdoc's `x5chain` leaf, after checking the MSO signature against it.
fn mdoc_signer(server: &Server) -> Vec<u8> {
    let mdoc = credential(server, MDOC);
    let bytes = URL_SAFE_NO_PAD.decode(mdoc).expect("b64");
    let issuer_signed: Cbor = ciborium::from_reader(bytes.as_slice()).expect("cbor");
    let auth = map_get(&issuer_signed, "issuerAuth").expect("issuerAuth");
    let Some(
        [Cbor::Bytes(protected), Cbor::Map(unprotected), Cbor::Bytes(payload), Cbor::Bytes(sig)],
    ) = auth.as_array().map(Vec::as_slice)
    else {
        panic!("COSE_Sign1: {auth:?}");
    };
    let leaf = unprotected
        .iter()
        .find(|(k, _)| k.as_integer() == Some(33.into()))
        .and_then(|(_, v)| match v {
            Cbor::Bytes(b) => Some(b.clone()),
            Cbor::Array(a) => a.first().and_then(|c| c.as_bytes().cloned()),
            _ => None,
        })
        .expect("x5chain");
    let to_be_signed = Cbor::Array(vec![
        Cbor::Text("Signature1".into()),
        Cbor::Bytes(protected.clone()),
        Cbor::Bytes(vec![]),
        Cbor::Bytes(payload.clone()),
    ]);
    let mut encoded = Vec::new();
    ciborium::into_writer(&to_be_signed, &mut encoded).expect("cbor");
    certified_key(&leaf)
        .verify(Alg::Es256, &encoded, sig)
        .expect("the MSO verifies against its x5chain");
    leaf
}

fn published_kids(server: &Server) -> Vec<String> {
    let doc = server.get("/.well-known/jwt-vc-issuer");
    (doc["jwks"]["keys"].as_array().expect("keys").iter())
        .filter_map(|k| k["kid"].as_str().map(str::to_owned))
        .collect()
}

/// The `kid`s of the status-list token a credential points at and of the signed metadata.
fn list_and_metadata_kids(server: &Server, sd_jwt: &str) -> (Value, Value) {
    let uri = payload(sd_jwt)["status"]["status_list"]["uri"]
        .as_str()
        .expect("status uri")
        .to_owned();
    let path = uri.trim_start_matches(&server.url()).to_owned();
    let (status, _, list) = server.request("GET", &path, &[], "");
    assert_eq!(status, 200, "{list}");
    let (status, _, metadata) = server.request(
        "GET",
        "/.well-known/openid-credential-issuer",
        &[("Accept", "application/jwt")],
        "",
    );
    assert_eq!(status, 200, "{metadata}");
    let kid = |jwt: &str| {
        let part = jwt.trim().split('.').next().unwrap_or("");
        let h: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("b64")).expect("header");
        h["kid"].clone()
    };
    (kid(&list), kid(&metadata))
}

fn wait_until(t: u64) {
    while now() < t {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Two in-process keys: `a` signs now, `b` from `delay` seconds on.
struct Rotation {
    a_leaf: Vec<u8>,
    b_leaf: Vec<u8>,
    switch: u64,
    config_arg: String,
}

fn rotation(dir: &Path, delay: u64) -> Rotation {
    let (a_key, a_chain, a_leaf) = key_and_chain(dir, "a");
    let (b_key, b_chain, b_leaf) = key_and_chain(dir, "b");
    let switch = now() + delay;
    let config = dir.join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[[signing_key]]\nkid = \"a\"\nkey_pem = {}\nchain_pem = {}\n\n\
             [[signing_key]]\nkid = \"b\"\nkey_pem = {}\nchain_pem = {}\nsigns_from = {switch}\n",
            toml_path(&a_key),
            toml_path(&a_chain),
            toml_path(&b_key),
            toml_path(&b_chain)
        ),
    )
    .expect("config");
    Rotation {
        a_leaf,
        b_leaf,
        switch,
        config_arg: config.display().to_string(),
    }
}

#[test]
fn credentials_signed_before_and_after_a_rotation_both_verify_across_a_restart() {
    let dir = temp_dir();
    let Rotation {
        a_leaf,
        b_leaf,
        switch,
        config_arg,
    } = rotation(dir.path(), 4);
    let server = Server::start(dir.path(), &["--config", &config_arg]);
    assert_eq!(published_kids(&server), ["a", "b"], "b is announced ahead");
    let (header, before) = sd_jwt_header(&server, &a_leaf);
    assert_eq!(header["kid"], "a");
    assert_eq!(mdoc_signer(&server), a_leaf);
    assert_eq!(
        list_and_metadata_kids(&server, &before),
        (json!("a"), json!("a"))
    );

    // A restart in the middle of the rotation.
    drop(server);
    wait_until(switch);
    let server = Server::start(dir.path(), &["--config", &config_arg]);
    let (header, after) = sd_jwt_header(&server, &b_leaf);
    assert_eq!(header["kid"], "b");
    assert_eq!(mdoc_signer(&server), b_leaf);
    assert_eq!(
        list_and_metadata_kids(&server, &after),
        (json!("b"), json!("b")),
        "status lists and signed metadata follow the current key"
    );
    // The old key stays published while its credentials may be valid: both still verify
    // against the keys a verifier finds.
    assert_eq!(published_kids(&server), ["a", "b"]);
    let doc = server.get("/.well-known/jwt-vc-issuer");
    for (jws, kid) in [(&before, "a"), (&after, "b")] {
        let jwk = (doc["jwks"]["keys"].as_array().expect("keys").iter())
            .find(|k| k["kid"] == kid)
            .expect("published");
        let key = PublicKey::from_jwk_value(jwk).expect("jwk");
        let parts: Vec<&str> = jws.split('.').collect();
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");
        let input = format!("{}.{}", parts[0], parts[1]);
        key.verify(Alg::Es256, input.as_bytes(), &sig)
            .expect("verifies against the published key");
    }
}

#[test]
fn two_instances_on_one_database_agree_on_the_signing_key() {
    let dir = temp_dir();
    let Rotation {
        a_leaf,
        b_leaf,
        switch,
        config_arg,
    } = rotation(dir.path(), 5);
    let one = Server::start(dir.path(), &["--config", &config_arg]);
    let two = Server::start(dir.path(), &["--config", &config_arg]);
    for server in [&one, &two] {
        assert_eq!(sd_jwt_header(server, &a_leaf).0["kid"], "a");
    }
    // An offer made on one instance before the switch, redeemed on the other after it.
    let code = one.offer(SD_JWT, &json!({"given_name": "Erika"}));
    wait_until(switch);
    let form = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}"
    );
    let (status, token) = two.json(
        "POST",
        "/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(status, 200, "{token}");
    for server in [&one, &two] {
        assert_eq!(sd_jwt_header(server, &b_leaf).0["kid"], "b");
        assert_eq!(mdoc_signer(server), b_leaf);
    }
}

#[test]
fn a_configuration_may_sign_with_a_key_of_its_own() {
    let dir = temp_dir();
    let (d_key, d_chain, d_leaf) = key_and_chain(dir.path(), "default");
    let (m_key, m_chain, m_leaf) = key_and_chain(dir.path(), "mdoc");
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[[signing_key]]\nkid = \"default\"\nkey_pem = {}\nchain_pem = {}\n\n\
             [[signing_key]]\nkid = \"age\"\nkey_pem = {}\nchain_pem = {}\nconfigurations = [\"{MDOC}\"]\n",
            toml_path(&d_key),
            toml_path(&d_chain),
            toml_path(&m_key),
            toml_path(&m_chain)
        ),
    )
    .expect("config");
    let config_arg = config.display().to_string();
    let server = Server::start(dir.path(), &["--config", &config_arg]);
    assert_eq!(
        mdoc_signer(&server),
        m_leaf,
        "the mdoc's own document signer"
    );
    assert_eq!(sd_jwt_header(&server, &d_leaf).0["kid"], "default");

    // A key for a configuration that does not exist is refused at startup.
    std::fs::write(
        &config,
        format!(
            "[[signing_key]]\nkid = \"x\"\nkey_pem = {}\nchain_pem = {}\nconfigurations = [\"nope\"]\n",
            toml_path(&m_key),
            toml_path(&m_chain)
        ),
    )
    .expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["serve", "--port", "0", "--config", &config_arg, "--db"])
        .arg(dir.path().join("other.db"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no credential configuration \"nope\""),
        "{stderr}"
    );
}

#[test]
fn serve_signs_with_a_key_that_stays_in_softhsm() {
    let Some(token) =
        oid4vci_pkcs11::test_token::shared_or_skip("serve_signs_with_a_key_that_stays_in_softhsm")
            .expect("a SoftHSM token")
    else {
        return;
    };
    let dir = temp_dir();
    let config = token.config("serve-ds");
    let public = oid4vci_pkcs11::generate_p256_key(&config, &token.pin()).expect("generated");
    let (chain, leaf) = chain_for(dir.path(), "hsm", &public.to_bytes());
    let file = dir.path().join("serve.toml");
    std::fs::write(
        &file,
        format!(
            "[[signing_key]]\nkid = \"hsm\"\nchain_pem = {}\n\
             pkcs11 = {{ module = {}, token = {:?}, key = \"serve-ds\", pin_env = \"TEST_HSM_PIN\", sessions = 2 }}\n",
            toml_path(&chain),
            toml_path(token.module()),
            token.label()
        ),
    )
    .expect("config");
    let file_arg = file.display().to_string();
    let (conf_name, conf) = token.env();
    let conf = conf.display().to_string();
    let server = Server::start_with_env(
        dir.path(),
        &["--config", &file_arg],
        &[("TEST_HSM_PIN", token.pin_text()), (conf_name, &conf)],
    );
    let (header, jws) = sd_jwt_header(&server, &leaf);
    assert_eq!(header["kid"], "hsm");
    assert_eq!(mdoc_signer(&server), leaf);
    assert_eq!(
        list_and_metadata_kids(&server, &jws),
        (json!("hsm"), json!("hsm"))
    );
    assert!(
        !server.banner.iter().any(|l| l.contains(token.pin_text())),
        "the PIN is never printed"
    );
}

#[test]
fn hsm_generate_key_and_show_keep_the_key_in_the_token() {
    let Some(token) = oid4vci_pkcs11::test_token::shared_or_skip(
        "hsm_generate_key_and_show_keep_the_key_in_the_token",
    )
    .expect("a SoftHSM token") else {
        return;
    };
    let module = token.module().display().to_string();
    let run = |command: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_oid4vci"))
            .args([
                "hsm",
                command,
                "--module",
                &module,
                "--token",
                token.label(),
            ])
            .args(["--label", "cli-key", "--pin-env", "TEST_HSM_PIN"])
            .env("TEST_HSM_PIN", token.pin_text())
            .output()
            .expect("run oid4vci hsm")
    };
    let made = run("generate-key");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let made: Value = serde_json::from_slice(&made.stdout).expect("json");
    assert_eq!(made["jwk"]["crv"], "P-256");
    assert!(made["public_key_pem"]
        .as_str()
        .is_some_and(|p| p.starts_with("-----BEGIN PUBLIC KEY-----")));
    let shown = run("show");
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let shown: Value = serde_json::from_slice(&shown.stdout).expect("json");
    assert_eq!(shown["thumbprint"], made["thumbprint"]);
    assert_eq!(shown["extractable"], false);
    assert_eq!(shown["sensitive"], true);
    assert_eq!(shown["signs"], true);
    let again = run("generate-key");
    assert_eq!(
        again.status.code(),
        Some(1),
        "an existing key is never replaced"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has a key"));
    // No PIN on the command line: there is no flag for it.
    let flag = std::process::Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["hsm", "show", "--module", &module, "--token", token.label()])
        .args(["--label", "cli-key", "--pin", "1234"])
        .output()
        .expect("run");
    assert_eq!(flag.status.code(), Some(2));
}
