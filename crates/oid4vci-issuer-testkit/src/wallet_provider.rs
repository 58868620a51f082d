//! A wallet provider for tests: a root certificate (the trust anchor an issuer is configured
//! with) and a leaf key that signs wallet attestations (OID4VCI 1.0 Appendix E, HAIP: an `x5c`
//! with the leaf alone, no trust anchor, not self-signed). Any two-level PKI a test needs (an
//! issuer's CA and its signing certificate, an IACA and a document signer) is the same shape.

use crate::TestWallet;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use serde_json::{json, Value};

/// The root (`root_der`, `root_pem`) and the attestation-signing leaf (`leaf_der`, its PKCS#8
/// key as `leaf_key_pem`, and `signer` holding the same key).
pub struct WalletProvider {
    /// The root certificate (DER): the trust anchor.
    pub root_der: Vec<u8>,
    /// The root certificate (PEM), for `oid4vci serve --trust-wallet-provider`.
    pub root_pem: String,
    /// The leaf certificate (DER) that goes in the attestations' `x5c`.
    pub leaf_der: Vec<u8>,
    /// The leaf's private key (PKCS#8 PEM), for wallets outside Rust.
    pub leaf_key_pem: String,
    /// Signs with the leaf's key.
    pub signer: TestWallet,
}

impl WalletProvider {
    /// A fresh provider whose certificates carry `name`.
    pub fn new(name: &str) -> Self {
        let keys = || KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("P-256 key");
        let dated = |cn: String| {
            let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
            p.distinguished_name.push(DnType::CommonName, cn);
            p.not_before = date_time_ymd(2024, 1, 1);
            p.not_after = date_time_ymd(2060, 1, 1);
            p
        };
        let root_key = keys();
        let mut root = dated(name.to_owned());
        root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let root_cert = root.self_signed(&root_key).expect("root certificate");
        let leaf_key = keys();
        let mut leaf = dated(format!("{name} attestation signer"));
        leaf.is_ca = IsCa::ExplicitNoCa;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let leaf_der = leaf
            .signed_by(&leaf_key, &Issuer::from_params(&root, &root_key))
            .expect("leaf certificate")
            .der()
            .to_vec();
        let signer = TestWallet::from_key(
            oid4vci_proof::crypto::SigningKey::from_pkcs8(&leaf_key.serialize_der())
                .expect("the leaf key"),
        );
        WalletProvider {
            root_der: root_cert.der().to_vec(),
            root_pem: root_cert.pem(),
            leaf_der,
            leaf_key_pem: leaf_key.serialize_pem(),
            signer,
        }
    }

    /// The leaf certificate, base64 (standard), as it goes in `x5c`.
    pub fn leaf_x5c(&self) -> String {
        STANDARD.encode(&self.leaf_der)
    }

    /// A wallet attestation (`oauth-client-attestation+jwt`) with `claims`, `x5c` the leaf.
    pub fn attest(&self, claims: &Value) -> String {
        let header = json!({"typ": "oauth-client-attestation+jwt", "alg": "ES256",
            "x5c": [self.leaf_x5c()]});
        self.signer.sign(&header, claims)
    }
}
