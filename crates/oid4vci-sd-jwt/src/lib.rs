//! IETF SD-JWT VCs (`dc+sd-jwt`, OID4VCI 1.0 Appendix A.3) for OID4VCI 1.0 issuers: minting
//! and decoding.
//!
//! - [`SdJwtVcMinter`] (feature `minter`, on by default): issues SD-JWT VCs signed with ES256
//!   (or EdDSA), the holder key bound in `cnf.jwk`, every top-level claim selectively
//!   disclosable. Signing and digests go through the crypto backend of `oid4vci-proof`.
//! - [`DecodedSdJwt`] (always): decodes an issued SD-JWT VC (issuer JWT header and payload,
//!   every disclosure matched to its digest, nested and array ones too, the KB-JWT if present)
//!   and verifies the issuer signature against a certificate. Without the `minter` feature
//!   (`default-features = false, features = ["rustcrypto"]`) the crate does not depend on
//!   `oid4vci-issuer` and builds for `wasm32-unknown-unknown` (the browser proof checker).
//!
//! ```
//! # #[cfg(feature = "minter")] {
//! use oid4vci_issuer::{Issuer, IssuerConfig, MemoryStore};
//! use oid4vci_sd_jwt::SdJwtVcMinter;
//! use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata};
//!
//! let mut metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
//! metadata.credential_configurations_supported
//!     .insert("pid".into(), CredentialConfiguration::sd_jwt_vc("urn:eudi:pid:1"));
//! let minter = SdJwtVcMinter::generate();
//! let jwks = serde_json::json!({"keys": [minter.public_jwk()]});
//! let issuer = Issuer::new(IssuerConfig::new(metadata), MemoryStore::new(), minter);
//! assert_eq!(jwks["keys"][0]["kty"], "EC");
//! # let _ = issuer;
//! # }
//! ```
//!
//! Decoding and verifying what a minter issued:
//!
//! ```
//! # #[cfg(feature = "minter")] {
//! use oid4vci_issuer::MintRequest;
//! use oid4vci_sd_jwt::{DecodedSdJwt, SdJwtVcMinter};
//! use oid4vci_types::CredentialConfiguration;
//! use serde_json::json;
//!
//! let minter = SdJwtVcMinter::generate();
//! let configuration = CredentialConfiguration::sd_jwt_vc("urn:eudi:pid:1");
//! let claims = json!({"given_name": "Erika", "address": {"locality": "Berlin"}});
//! let request = MintRequest {
//!     issuer: "https://issuer.example.com",
//!     configuration_id: "pid",
//!     configuration: &configuration,
//!     claims: &claims,
//!     holder_keys: &[],
//!     statuses: &[],
//!     subject_id: None,
//!     now: 1_767_225_600,
//! };
//! let credential = pollster::block_on(minter.issue(&request, None, None)).expect("issued");
//!
//! let decoded = DecodedSdJwt::decode(&credential).expect("decodes");
//! assert_eq!(decoded.claims["given_name"], "Erika");
//! assert_eq!(decoded.disclosures.len(), 2);
//! decoded.verify_signature(minter.public_key()).expect("signed by the minter's key");
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod decode;
#[cfg(feature = "minter")]
mod minter;

pub use decode::{DecodeError, DecodedSdJwt, Disclosure, KeyBindingJwt, SdJwtLimits};
#[cfg(feature = "minter")]
pub use minter::SdJwtVcMinter;
