//! # oid4vci-proof
//!
//! Validation of OpenID for Verifiable Credential Issuance 1.0 key proofs — the `jwt` proof
//! type (Appendix F.1) and the `attestation` proof type (Appendix F.3) — with diagnostics that
//! tell a wallet developer exactly what was wrong and how to fix it.
//!
//! * Compact JWS parsing with hard size limits, strict base64url, JSON objects only, duplicate
//!   member names rejected ([`jws`]).
//! * `typ` = `openid4vci-proof+jwt` (RFC 7515 §4.1.9 comparison), `alg` ES256 / EdDSA only
//!   (narrowable by policy), unknown `crit` rejected.
//! * Holder keys from `jwk`, `kid` DID URLs (`did:key` P-256 / Ed25519 / `jwk_jcs-pub` and
//!   `did:jwk` built in, other methods through a [`DidResolver`]), `x5c` chains to configured
//!   trust anchors, and `key_attestation`s; the exclusivity rules of Appendix F.1 enforced.
//! * `aud`, `iat` window, `exp`/`nbf` ([`jwt_time`]), `iss` and `nonce` per Appendix F.1/F.4 and Section 8.3.1.2: a wrong or
//!   expired nonce is `invalid_nonce`, everything else `invalid_proof`.
//! * Signatures, digests and MACs through one backend seam ([`crypto`]): `aws-lc-rs` (default
//!   feature) or pure-Rust `rustcrypto`; both give identical verdicts on every test vector.
//! * Batches (`proofs.jwt`): at most `batch_size`, same nonce, distinct keys, failing index.
//!
//! Every failure is a [`ProofError`] with a stable [`code`](ProofError::code) and a
//! [`Diagnostic`] that serialises to JSON and to an RFC 6749 `error_description`.
//!
//! ## Example
//!
//! ```
//! use oid4vci_proof::{Alg, ClientIdentity, NonceCheck, ProofContext, ProofPolicy, ProofValidator};
//! use oid4vci_proof::crypto::SigningKey;
//! use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
//!
//! // The wallet: a P-256 key and a proof for issuer https://issuer.example, c_nonce "n-0S6_WzA2Mj".
//! let wallet_key = SigningKey::from_raw(Alg::Es256, &[7u8; 32]).unwrap();
//! let jwk = serde_json::Value::Object(wallet_key.public_jwk());
//! let header = serde_json::json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": jwk});
//! let claims = serde_json::json!({"aud": "https://issuer.example", "iat": 1_700_000_000, "nonce": "n-0S6_WzA2Mj"});
//! let signing_input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
//! let signature = wallet_key.sign(signing_input.as_bytes()).unwrap();
//! let jwt = format!("{signing_input}.{}", B64.encode(signature));
//!
//! // The issuer.
//! let validator = ProofValidator::new(ProofPolicy::default());
//! let ctx = ProofContext {
//!     audience: "https://issuer.example",
//!     nonce: NonceCheck::Equals("n-0S6_WzA2Mj"),
//!     client: ClientIdentity::Anonymous,
//!     now: 1_700_000_010,
//! };
//! let proof = validator.validate(&jwt, &ctx).unwrap();
//! assert_eq!(proof.key_source().as_str(), "jwk");
//! assert_eq!(&proof.holder_keys()[0], wallet_key.public_key());
//!
//! // A stale nonce is `invalid_nonce`, with a diagnostic for the wallet developer.
//! let stale = ProofContext { nonce: NonceCheck::Equals("another-nonce"), ..ctx };
//! let err = validator.validate(&jwt, &stale).unwrap_err();
//! assert_eq!((err.oauth_error(), err.code()), ("invalid_nonce", "invalid_nonce"));
//! let diagnostic = err.diagnostic();
//! assert!(diagnostic.help.contains("nonce_endpoint"));
//! println!("{}", serde_json::to_string_pretty(&diagnostic).unwrap());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod attestation;
mod checks;
pub mod crypto;
mod diagnostic;
pub mod did_key;
mod error;
pub mod issuer_signature;
pub mod json;
pub mod jws;
pub mod jwt_time;
mod key;
mod policy;
pub mod report;
mod source;
mod validator;
pub mod x5c;

pub use crypto::{SignError, SigningKey};
pub use diagnostic::{
    is_valid_error_description, sanitize_error_description, Diagnostic, MAX_ERROR_DESCRIPTION_LEN,
};
pub use error::{ErrorDetail, ProofError};
pub use json::JsonError;
pub use key::{Alg, KeyError, PublicKey, SignatureError};
pub use policy::{
    ClientIdentity, DidResolutionError, DidResolver, KeyAttestationRequirement, NonceCheck,
    NonceRejection, NonceVerifier, ProofContext, ProofPolicy,
};
pub use source::KeySource;
pub use validator::{ProofClaims, ProofHeader, ProofValidator, ValidatedProof, ValidatedProofs};

/// Re-export of the active crypto backend crate(s) (see [`crypto`]).
pub use crypto::backend;

/// The `typ` of a `jwt` key proof (OID4VCI 1.0 Appendix F.1).
pub const PROOF_TYP: &str = checks::PROOF_TYP;
/// The `typ` of a key attestation (OID4VCI 1.0 Appendix D.1). `keyattestation+jwt`, the
/// spelling of drafts 15 and 16 that wallet libraries still send, is accepted too.
pub const KEY_ATTESTATION_TYP: &str = checks::KEY_ATTESTATION_TYP;

/// Entry points shared by the cargo-fuzz targets and the corpus replay test. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// Fixed validation time for fuzzing (2023-12-07, the constructed vectors' time).
    pub const NOW: u64 = 1_701_960_500;

    /// JWS parser.
    pub fn jws(data: &[u8]) {
        if let Ok(s) = std::str::from_utf8(data) {
            let _ = crate::jws::parse(s);
        }
    }

    /// JWK parser (strict JSON, then key decoding) plus thumbprint of what parses.
    pub fn jwk(data: &[u8]) {
        if let Ok(v) = crate::json::parse_value(data) {
            if let Ok(k) = PublicKey::from_jwk_value(&v) {
                let _ = k.thumbprint();
            }
        }
    }

    /// did:key / did:jwk decoder (as text), and the raw multicodec decoder (as bytes).
    pub fn did_key(data: &[u8]) {
        if let Ok(s) = std::str::from_utf8(data) {
            let _ = crate::did_key::resolve_builtin(s, false);
            let _ = crate::did_key::resolve_builtin(&format!("did:key:z{s}"), false);
        }
        let _ = crate::did_key::decode_multicodec(data);
    }

    /// X.509: SPKI parsing and chain validation of the input as a (self-signed) certificate.
    pub fn x5c(data: &[u8]) {
        let _ = PublicKey::from_spki_der(data);
        let chain = vec![data.to_vec()];
        let _ = crate::x5c::validate_chain(&chain, &chain, true, NOW);
        let _ = crate::x5c::validate_chain(&chain, &[], true, NOW);
    }

    /// Full validator, as `jwt` proof, batch and `attestation` proof.
    pub fn proof(data: &[u8]) {
        let Ok(s) = std::str::from_utf8(data) else {
            return;
        };
        let policy = ProofPolicy {
            batch_size: 4,
            allow_self_signed_x5c: true,
            ..ProofPolicy::default()
        };
        let validator = ProofValidator::new(policy);
        let ctx = ProofContext {
            audience: "https://credential-issuer.example.com",
            nonce: NonceCheck::Equals("LarRGSbmUPYtRYO6BQ4yn8"),
            client: ClientIdentity::Unknown,
            now: NOW,
        };
        if let Err(e) = validator.validate(s, &ctx) {
            let d = e.diagnostic();
            assert!(is_valid_error_description(&d.error_description()));
        }
        let batch: Vec<String> = s.split('\n').map(str::to_owned).collect();
        let _ = validator.validate_jwt_proofs(&batch, &ctx);
        let _ = validator.validate_attestation_proof(s, &ctx);
    }

    /// The verdict on one input of a target (`proof`, `jwk`, `did_key`, `x5c`), as a line of
    /// text: what was accepted (a key's thumbprint, a proof's count) or the diagnostic code of
    /// the refusal. The two crypto backends must give the same line for every input: the test
    /// `tests/fuzz_corpus.rs` compares them over the whole corpus with `fuzz/verdicts.txt`, in
    /// both backends' test runs.
    pub fn verdict(target: &str, data: &[u8]) -> String {
        let key = |k: Result<PublicKey, String>| match k {
            Ok(k) => format!("key {}", k.thumbprint()),
            Err(_) => "refused".to_owned(),
        };
        let text = std::str::from_utf8(data).ok();
        match target {
            "jwk" => match crate::json::parse_value(data) {
                Ok(v) => key(PublicKey::from_jwk_value(&v).map_err(|e| e.to_string())),
                Err(_) => "not json".to_owned(),
            },
            "did_key" => {
                let did = text.map_or("no text".to_owned(), |s| {
                    key(crate::did_key::resolve_builtin(s, false).map_err(|e| e.to_string()))
                });
                let raw = key(crate::did_key::decode_multicodec(data).map_err(|e| e.to_string()));
                format!("{did}; {raw}")
            }
            "x5c" => {
                let spki = key(PublicKey::from_spki_der(data).map_err(|e| e.to_string()));
                let chain = vec![data.to_vec()];
                let valid = crate::x5c::validate_chain(&chain, &chain, true, NOW).is_ok();
                format!("{spki}; chain {valid}")
            }
            "proof" => {
                let Some(s) = text else {
                    return "no text".to_owned();
                };
                let policy = ProofPolicy {
                    batch_size: 4,
                    allow_self_signed_x5c: true,
                    ..ProofPolicy::default()
                };
                let validator = ProofValidator::new(policy);
                let ctx = ProofContext {
                    audience: "https://credential-issuer.example.com",
                    nonce: NonceCheck::Equals("LarRGSbmUPYtRYO6BQ4yn8"),
                    client: ClientIdentity::Unknown,
                    now: NOW,
                };
                let code = |e: ProofError| e.diagnostic().code;
                let single = validator.validate(s, &ctx).map(|_| 1).map_err(code);
                let batch: Vec<String> = s.split('\n').map(str::to_owned).collect();
                let many = validator
                    .validate_jwt_proofs(&batch, &ctx)
                    .map(|p| p.proofs().len())
                    .map_err(code);
                let attested = validator
                    .validate_attestation_proof(s, &ctx)
                    .map(|p| p.proofs().len())
                    .map_err(code);
                format!("{single:?}; {many:?}; {attested:?}")
            }
            other => format!("unknown target {other}"),
        }
    }
}
