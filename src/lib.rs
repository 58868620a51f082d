//! # oid4vci
//!
//! Facade over the oid4vci-rs workspace: an OpenID for Verifiable Credential
//! Issuance 1.0 issuer toolkit. Each module re-exports one focused crate.
//!
//! ```
//! use oid4vci::types::CredentialOffer;
//!
//! let offer = CredentialOffer::new("https://issuer.example.com", ["eu.europa.ec.av.1"]);
//! assert_eq!(offer.credential_configuration_ids.len(), 1);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Wire messages of OID4VCI 1.0 (offer, metadata, token, nonce, credential, deferred, notification, errors).
pub use oid4vci_types as types;

/// JWT proof-of-possession validation with diagnostics.
pub use oid4vci_proof as proof;
