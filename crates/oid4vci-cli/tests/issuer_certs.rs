//! `oid4vci serve` certifies its issuer key: a demo IACA-style root and a document-signer
//! certificate are created once beside the keys file and kept across restarts; SD-JWT VCs
//! carry the DS certificate in `x5c` (no trust anchor). Operators can bring their own key and
//! chain as PEM files through `--config`.

mod support;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_proof::{Alg, PublicKey};
use serde_json::{json, Value};
use std::path::Path;
use support::{pem_certificates, temp_dir, Server};

/// Obtains an identity credential and returns its JOSE header, after checking its signature
/// with the key of the header's first `x5c` certificate.
fn sd_jwt_header_verified_by_x5c(server: &Server) -> Value {
    let claims = json!({"given_name": "Erika"});
    let (status, body) = server.obtain("identity_credential", &claims, &TestWallet::new());
    assert_eq!(status, 200, "{body}");
    let sd_jwt = body["credentials"][0]["credential"]
        .as_str()
        .expect("credential");
    let jws = sd_jwt.split('~').next().expect("jws");
    let parts: Vec<&str> = jws.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
    let leaf = STANDARD
        .decode(header["x5c"][0].as_str().expect("x5c"))
        .expect("base64 DER");
    let key = PublicKey::from_spki_der(&spki_of(&leaf)).expect("P-256 key");
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");
    key.verify(
        Alg::Es256,
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
        &signature,
    )
    .expect("the x5c leaf's key verifies the SD-JWT");
    header
}

fn spki_of(der: &[u8]) -> Vec<u8> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).expect("certificate");
    cert.public_key().raw.to_vec()
}

fn jwks_key(server: &Server) -> Value {
    let meta = server.get("/.well-known/jwt-vc-issuer");
    let mut jwk = meta["jwks"]["keys"][0].clone();
    if let Value::Object(m) = &mut jwk {
        m.retain(|k, _| ["kty", "crv", "x", "y"].contains(&k.as_str()));
    }
    jwk
}

fn cert_jwk(der: &[u8]) -> Value {
    Value::Object(
        PublicKey::from_spki_der(&spki_of(der))
            .expect("key")
            .to_jwk(),
    )
}

#[test]
fn the_demo_chain_is_created_once_and_sd_jwt_vcs_carry_the_ds_certificate() {
    let dir = temp_dir();
    let chain_file = dir.path().join("issuer.chain.pem");
    let first = Server::start(dir.path(), &[]);
    assert!(
        first
            .banner
            .iter()
            .any(|l| l.contains(&chain_file.display().to_string())),
        "the banner names the chain file: {:?}",
        first.banner
    );
    let chain = pem_certificates(&chain_file);
    assert_eq!(chain.len(), 2, "DS certificate, then the root");
    let header = sd_jwt_header_verified_by_x5c(&first);
    assert_eq!(
        header["x5c"],
        json!([STANDARD.encode(&chain[0])]),
        "x5c is the DS certificate alone: the root is the trust anchor, not sent"
    );
    assert_eq!(
        cert_jwk(&chain[0]),
        jwks_key(&first),
        "the DS certificate is for the jwt-vc-issuer key"
    );
    let (_, root) = x509_parser::parse_x509_certificate(&chain[1]).expect("root");
    let (_, ds) = x509_parser::parse_x509_certificate(&chain[0]).expect("ds");
    ds.verify_signature(Some(root.public_key()))
        .expect("the root signed the DS certificate");
    drop(first);

    let second = Server::start(dir.path(), &[]);
    assert_eq!(
        pem_certificates(&chain_file),
        chain,
        "the chain survives a restart unchanged"
    );
    let header = sd_jwt_header_verified_by_x5c(&second);
    assert_eq!(header["x5c"], json!([STANDARD.encode(&chain[0])]));
}

fn write_operator_files(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    use rcgen::{
        BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, PKCS_ECDSA_P256_SHA256,
    };
    let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("root key");
    let mut root = CertificateParams::new(Vec::<String>::new()).expect("params");
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let root_cert = root.self_signed(&root_key).expect("root");
    let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("leaf key");
    let leaf = CertificateParams::new(Vec::<String>::new()).expect("params");
    let leaf_cert = leaf
        .signed_by(&leaf_key, &Issuer::new(root, root_key))
        .expect("leaf");
    std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).expect("write");
    std::fs::write(
        dir.join("chain.pem"),
        format!("{}{}", leaf_cert.pem(), root_cert.pem()),
    )
    .expect("write");
    (leaf_cert.der().to_vec(), root_cert.der().to_vec())
}

#[test]
fn an_operator_key_and_chain_from_the_config_sign_the_credentials() {
    let dir = temp_dir();
    let (leaf, _root) = write_operator_files(dir.path());
    let config = dir.path().join("issuer.toml");
    std::fs::write(
        &config,
        "issuer_key_pem = \"key.pem\"\nissuer_chain_pem = \"chain.pem\"\n"
            .replace("key.pem", &dir.path().join("key.pem").display().to_string())
            .replace(
                "chain.pem",
                &dir.path().join("chain.pem").display().to_string(),
            ),
    )
    .expect("write config");
    let server = Server::start(dir.path(), &["--config", &config.display().to_string()]);
    let header = sd_jwt_header_verified_by_x5c(&server);
    assert_eq!(
        header["x5c"],
        json!([STANDARD.encode(&leaf)]),
        "the operator's leaf, no root"
    );
    assert_eq!(cert_jwk(&leaf), jwks_key(&server));
    assert!(
        !dir.path().join("issuer.chain.pem").exists(),
        "no demo chain is made when the operator brings one"
    );
}

#[test]
fn a_chain_for_another_key_or_a_key_without_chain_is_refused_at_startup() {
    let dir = temp_dir();
    write_operator_files(dir.path());
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).expect("dir");
    write_operator_files(&other);
    let key = dir.path().join("key.pem").display().to_string();
    let cases = [
        (
            format!(
                "issuer_key_pem = {key:?}\nissuer_chain_pem = {:?}\n",
                other.join("chain.pem").display().to_string()
            ),
            "not for the issuer key",
        ),
        (
            format!("issuer_key_pem = {key:?}\n"),
            "must be given together",
        ),
    ];
    for (text, expected) in cases {
        let config = dir.path().join("bad.toml");
        std::fs::write(&config, text).expect("write");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_oid4vci"))
            .args(["serve", "--port", "0", "--config"])
            .arg(&config)
            .arg("--db")
            .arg(dir.path().join("issuer.db"))
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "refused");
        assert!(stderr.contains(expected), "{stderr}");
    }
}
