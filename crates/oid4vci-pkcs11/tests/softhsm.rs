//! The PKCS#11 signer against a real SoftHSM2 token (installed and initialised by
//! `scripts/softhsm-token.sh`; keys generated inside the token): the private key cannot leave
//! it, and SD-JWT VCs, mdocs and JWTs signed through it verify against the key's certificate.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_issuer::{
    CredentialMinter, IssuerKey, IssuerKeys, IssuerSigner, KeyRing, MetadataSigner, MintOutcome,
    MintRequest,
};
use oid4vci_pkcs11::test_token::{self, TestToken};
use oid4vci_pkcs11::{generate_p256_key, Pin, Pkcs11Error, Pkcs11Signer};
use oid4vci_proof::{Alg, PublicKey};
use oid4vci_types::CredentialConfiguration;
use rcgen::{CertificateParams, Issuer, KeyPair, PublicKeyData, SignatureAlgorithm};
use serde_json::{json, Map, Value};
use std::sync::{Arc, OnceLock};

const NOW: u64 = 1_780_000_000;

fn token(test: &str) -> Option<&'static TestToken> {
    test_token::shared_or_skip(test).expect("a SoftHSM token")
}

/// The keys these tests use, one per test.
const LABELS: [&str; 4] = ["never-leaves", "labelled", "document-signer", "pooled"];

/// Generates every key in [`LABELS`] once, before any test opens one. SoftHSM2's file-backed
/// object store can fail a token-object creation that races other sessions of the process
/// (`CKR_GENERAL_ERROR`, softhsm/SoftHSMv2#573; about one run in 40 here when each test made
/// its own key): a fault of the test token, which a real deployment meets only if it generates
/// keys while it signs.
fn generate_keys(token: &TestToken) {
    static GENERATED: OnceLock<()> = OnceLock::new();
    GENERATED.get_or_init(|| {
        for label in LABELS {
            generate_p256_key(&token.config(label), &token.pin()).expect("generated in the token");
        }
    });
}

/// The signer for key `label` of [`LABELS`], freshly generated in the shared token.
fn signer(token: &TestToken, label: &str) -> Pkcs11Signer {
    assert!(LABELS.contains(&label), "{label} is not generated");
    generate_keys(token);
    Pkcs11Signer::open(&token.config(label), &token.pin()).expect("opened")
}

struct Point(Vec<u8>);

impl PublicKeyData for Point {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

/// A certificate for `key` from a throw-away CA (DER).
fn certificate(key: &PublicKey) -> Vec<u8> {
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("ca key");
    let ca = CertificateParams::new(vec![]).expect("params");
    let issuer = Issuer::new(ca, ca_key);
    let params = CertificateParams::new(vec!["issuer.example".into()]).expect("params");
    let cert = params
        .signed_by(&Point(key.to_bytes()), &issuer)
        .expect("certificate");
    cert.der().to_vec()
}

/// The key a certificate certifies.
fn certified_key(der: &[u8]) -> PublicKey {
    let (_, cert) = x509_parser::parse_x509_certificate(der).expect("certificate");
    PublicKey::p256_from_sec1(&cert.public_key().subject_public_key.data).expect("P-256 key")
}

fn verify_jws(jws: &str, key: &PublicKey) -> Value {
    let mut parts = jws.split('.');
    let (h, p, s) = (parts.next(), parts.next(), parts.next());
    let (h, p, s) = (
        h.expect("header"),
        p.expect("payload"),
        s.expect("signature"),
    );
    let signature = URL_SAFE_NO_PAD.decode(s).expect("base64url");
    let input = format!("{h}.{p}");
    key.verify(Alg::Es256, input.as_bytes(), &signature)
        .expect("the signature verifies against the certificate");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).expect("b64")).expect("header")
}

fn holder_jwk() -> Value {
    let key = oid4vci_proof::crypto::SigningKey::generate(Alg::Es256).expect("holder");
    Value::Object(key.public_jwk())
}

#[test]
fn the_private_key_never_leaves_the_token() {
    let Some(token) = token("the_private_key_never_leaves_the_token") else {
        return;
    };
    let signer = signer(token, "never-leaves");
    let facts = signer.key_facts();
    assert_eq!(facts.extractable, Some(false), "CKA_EXTRACTABLE");
    assert_eq!(facts.sensitive, Some(true), "CKA_SENSITIVE");
    assert_eq!(facts.never_extractable, Some(true), "CKA_NEVER_EXTRACTABLE");
    assert_eq!(facts.always_sensitive, Some(true), "CKA_ALWAYS_SENSITIVE");
    let value = test_token::private_value(&token.config("never-leaves"), &token.pin());
    assert_eq!(
        value,
        Ok(None),
        "CKA_VALUE of the private key cannot be read"
    );
    let again = generate_p256_key(&token.config("never-leaves"), &token.pin());
    assert!(matches!(again, Err(Pkcs11Error::KeyExists(_))));
    let debug = format!("{signer:?}");
    assert!(!debug.contains(token.pin_text()), "no PIN in {debug}");
}

#[test]
fn a_wrong_pin_or_label_is_a_clear_error() {
    let Some(token) = token("a_wrong_pin_or_label_is_a_clear_error") else {
        return;
    };
    let _ = signer(token, "labelled");
    // A token nothing has logged in to (PKCS#11 keeps one login per token and process).
    let mut spare = token.config("labelled");
    spare.token_label = test_token::SPARE_TOKEN.into();
    let wrong = Pkcs11Signer::open(&spare, &Pin::new("not-the-pin"));
    assert!(matches!(wrong, Err(Pkcs11Error::Login(_))), "{wrong:?}");
    let missing = Pkcs11Signer::open(&token.config("no-such-key"), &token.pin());
    assert!(matches!(missing, Err(Pkcs11Error::KeyNotFound { .. })));
    let mut other = token.config("labelled");
    other.token_label = "no-such-token".into();
    let no_token = Pkcs11Signer::open(&other, &token.pin());
    assert!(matches!(no_token, Err(Pkcs11Error::TokenNotFound(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_signed_in_the_token_verify_against_its_certificate() {
    let Some(token) = token("credentials_signed_in_the_token_verify_against_its_certificate")
    else {
        return;
    };
    let signer = signer(token, "document-signer");
    signer.ready().await.expect("ready");
    let cert = certificate(IssuerSigner::public_key(&signer));
    let certified = certified_key(&cert);
    let key = IssuerKey::new(Arc::new(signer), "ds-hsm").with_chain(vec![cert.clone()]);
    let keys = IssuerKeys::new(KeyRing::single(key));

    // SD-JWT VC.
    let sd_jwt = oid4vci_sd_jwt::SdJwtVcMinter::from_keys(keys.clone());
    let configuration = CredentialConfiguration::sd_jwt_vc("urn:eudi:pid:1");
    let claims = json!({"given_name": "Erika"});
    let holders = [holder_jwk()];
    let request = MintRequest {
        issuer: "https://issuer.example",
        configuration_id: "pid",
        configuration: &configuration,
        claims: &claims,
        holder_keys: &holders,
        statuses: &[],
        subject_id: None,
        now: NOW,
    };
    let MintOutcome::Issued(credentials) = sd_jwt.mint(request).await.expect("minted") else {
        panic!("issued now");
    };
    let credential = credentials[0].as_str().expect("compact");
    let jws = credential.split('~').next().expect("issuer-signed JWT");
    let header = verify_jws(jws, &certified);
    assert_eq!(header["kid"], "ds-hsm");
    assert_eq!(header["x5c"].as_array().map(Vec::len), Some(1));

    // Status lists and signed metadata go through the same ring.
    let mut h = Map::new();
    h.insert("typ".into(), json!("statuslist+jwt"));
    let jwt = (keys.default_ring().sign_jwt(h, Map::new(), NOW).await).expect("signed");
    verify_jws(&jwt, &certified);

    // mdoc: the COSE_Sign1 over the MSO.
    let mdoc_minter = oid4vci_mdoc::MdocMinter::from_keys(keys).expect("ES256 with a chain");
    let mdoc = mdoc_minter
        .issue(
            "eu.europa.ec.av.1",
            &json!({"age_over_18": true}),
            &holders[0],
            NOW,
        )
        .await
        .expect("mdoc");
    let bytes = URL_SAFE_NO_PAD.decode(mdoc).expect("b64");
    let issuer_signed: ciborium::Value = ciborium::from_reader(bytes.as_slice()).expect("cbor");
    let auth = issuer_signed
        .as_map()
        .and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some("issuerAuth")))
        .map(|(_, v)| v.clone())
        .expect("issuerAuth");
    let sign1 = <coset::CoseSign1 as coset::AsCborValue>::from_cbor_value(auth).expect("sign1");
    sign1
        .verify_signature(b"", |sig, data| certified.verify(Alg::Es256, data, sig))
        .expect("the MSO signature verifies against the certificate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_requests_share_the_session_pool() {
    let Some(token) = token("many_requests_share_the_session_pool") else {
        return;
    };
    let signer = Arc::new(signer(token, "pooled"));
    let public = IssuerSigner::public_key(signer.as_ref()).clone();
    let tasks: Vec<_> = (0..64u32)
        .map(|i| {
            let signer = signer.clone();
            tokio::spawn(async move {
                let message = format!("message {i}");
                let signature = signer.sign_es256(message.as_bytes()).await;
                (message, signature)
            })
        })
        .collect();
    for task in tasks {
        let (message, signature) = task.await.expect("task");
        let signature = signature.expect("signed");
        public
            .verify(Alg::Es256, message.as_bytes(), &signature)
            .expect("verifies");
    }
}
