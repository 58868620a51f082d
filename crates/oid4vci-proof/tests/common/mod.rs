//! Shared helpers: real keys, real signatures, proof building, vector loading.
#![allow(dead_code)]

use std::path::PathBuf;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use oid4vci_proof::{ClientIdentity, NonceCheck, ProofContext, PublicKey};
use serde_json::{json, Value};

pub const AUD: &str = "https://credential-issuer.example.com";
pub const NONCE: &str = "LarRGSbmUPYtRYO6BQ4yn8";
pub const NOW: u64 = 1_701_960_500;
pub const IAT: u64 = 1_701_960_444;

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

pub fn load_json(rel: &str) -> Value {
    let path = vectors_dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read vector file {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A wallet key that signs for real.
pub enum TestKey {
    P256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl TestKey {
    pub fn p256() -> Self {
        TestKey::P256(p256::ecdsa::SigningKey::random(&mut rand_core::OsRng))
    }
    pub fn ed25519() -> Self {
        TestKey::Ed25519(ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng))
    }
    pub fn alg(&self) -> &'static str {
        match self {
            TestKey::P256(_) => "ES256",
            TestKey::Ed25519(_) => "EdDSA",
        }
    }
    pub fn public(&self) -> PublicKey {
        match self {
            TestKey::P256(k) => {
                PublicKey::p256_from_sec1(k.verifying_key().to_encoded_point(false).as_bytes())
                    .expect("valid key")
            }
            TestKey::Ed25519(k) => {
                PublicKey::ed25519_from_bytes(k.verifying_key().as_bytes()).expect("valid key")
            }
        }
    }
    pub fn jwk(&self) -> Value {
        Value::Object(self.public().to_jwk())
    }
    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        match self {
            TestKey::P256(k) => {
                let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(k, input);
                sig.to_bytes().to_vec()
            }
            TestKey::Ed25519(k) => ed25519_dalek::Signer::sign(k, input).to_bytes().to_vec(),
        }
    }
    pub fn did_key(&self) -> String {
        oid4vci_proof::did_key::encode_did_key(&self.public())
    }
    pub fn did_key_url(&self) -> String {
        let did = self.did_key();
        let id = did.trim_start_matches("did:key:").to_owned();
        format!("{did}#{id}")
    }
}

/// Signs `header`.`claims` with `key` (the header is used as given).
pub fn sign_jwt(header: &Value, claims: &Value, key: &TestKey) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", b64(sig))
}

/// A valid proof header with the key as `jwk`.
pub fn jwk_header(key: &TestKey) -> Value {
    json!({"typ": "openid4vci-proof+jwt", "alg": key.alg(), "jwk": key.jwk()})
}

pub fn claims() -> Value {
    json!({"aud": AUD, "iat": IAT, "nonce": NONCE})
}

/// A valid `jwt` proof for the default context.
pub fn proof(key: &TestKey) -> String {
    sign_jwt(&jwk_header(key), &claims(), key)
}

pub fn ctx() -> ProofContext<'static> {
    ProofContext {
        audience: AUD,
        nonce: NonceCheck::Equals(NONCE),
        client: ClientIdentity::Anonymous,
        now: NOW,
    }
}

/// Builds a key attestation signed by `attester` with the given claims overrides.
pub fn key_attestation(attester: &TestKey, header_extra: Value, claims: Value) -> String {
    let mut header =
        json!({"typ": "key-attestation+jwt", "alg": attester.alg(), "kid": "attester-1"});
    if let (Value::Object(h), Value::Object(extra)) = (&mut header, header_extra) {
        h.extend(extra);
    }
    sign_jwt(&header, &claims, attester)
}

pub fn attestation_claims(keys: &[&TestKey]) -> Value {
    json!({
        "iss": "https://wallet-provider.example.com",
        "iat": IAT,
        "exp": NOW + 3600,
        "attested_keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>(),
        "key_storage": ["iso_18045_moderate"],
        "user_authentication": ["iso_18045_moderate"],
        "nonce": NONCE,
    })
}
