//! ISO/IEC 18013-5 mdocs (`mso_mdoc`) for OID4VCI 1.0 issuers.
//!
//! [`MdocMinter`] is a [`CredentialMinter`](oid4vci_issuer::CredentialMinter) that issues the
//! `IssuerSigned` structure of ISO/IEC 18013-5 §8.3.2.1.2.2 as OID4VCI 1.0 Appendix A.2
//! delivers it: base64url-encoded CBOR with
//!
//! - `nameSpaces`: per namespace, tag-24 encoded `IssuerSignedItem`s (`digestID` in a random
//!   order, 32 bytes of CSPRNG `random` salt, `elementIdentifier`, `elementValue`);
//! - `issuerAuth`: a COSE_Sign1 (ES256; `alg` protected, `x5chain` (label 33) unprotected with
//!   the document-signer certificate) over the tag-24 `MobileSecurityObject`: version `1.0`,
//!   `digestAlgorithm` `SHA-256`, `valueDigests`, `deviceKeyInfo.deviceKey` (the proof's holder
//!   key as a COSE_Key: kty EC2, crv P-256, x, y), `docType`, and `validityInfo` (`signed`,
//!   `validFrom`, `validUntil` as tag-0 `tdate`s).
//!
//! Claims are `{namespace: {element: value}}`, or a flat `{element: value}` object put into the
//! doctype's namespace. `*_date` elements given as `YYYY-MM-DD` are encoded as `full-date`
//! (tag 1004). Everything produced is bounded by [`MdocLimits`]; failures are [`MdocError`]s.
//!
//! [`DecodedMdoc`] decodes such an mdoc (namespaces and elements, each digest checked against
//! the MSO's `valueDigests`, the MSO) and verifies its issuer signature with a key or against a
//! certificate: the document signer, or the IACA its `x5chain` leads to (see [`decode`]).
//! The minter is behind the default feature `minter`; without it (`default-features = false,
//! features = ["rustcrypto"]`) the crate is the decoder alone, with no `oid4vci-issuer`
//! dependency, and builds for `wasm32-unknown-unknown`.
//!
//! CBOR and COSE are `ciborium` and `coset`; nothing here hand-encodes either.
//!
//! ```
//! # #[cfg(feature = "minter")] {
//! use oid4vci_mdoc::{DecodedMdoc, MdocMinter};
//! use serde_json::json;
//!
//! let issuer_key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
//! let ds_certificate: Vec<u8> = b"DER of the issuer key's document-signer certificate".to_vec();
//! let minter = MdocMinter::new(issuer_key.clone(), vec![ds_certificate]).expect("a certificate");
//!
//! let holder = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
//! let point = holder.verifying_key().to_encoded_point(false);
//! let b64 = |b: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, b);
//! let holder_jwk = json!({"kty": "EC", "crv": "P-256",
//!     "x": b64(point.x().expect("x")), "y": b64(point.y().expect("y"))});
//!
//! let mdoc = pollster::block_on(minter.issue(
//!     "eu.europa.ec.av.1", &json!({"age_over_18": true}), &holder_jwk, 1_767_225_600,
//! ))
//! .expect("minted");
//! let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &mdoc)
//!     .expect("base64url");
//! let issuer_signed: ciborium::Value = ciborium::from_reader(bytes.as_slice()).expect("CBOR");
//! let keys: Vec<String> = issuer_signed.as_map().expect("map").iter()
//!     .filter_map(|(k, _)| k.as_text().map(str::to_owned)).collect();
//! assert_eq!(keys, ["nameSpaces", "issuerAuth"]);
//!
//! // Decoded and verified with the crate's decoder.
//! let decoded = DecodedMdoc::decode(&mdoc).expect("decodes");
//! assert_eq!(decoded.doc_type, "eu.europa.ec.av.1");
//! decoded.verify_digests().expect("every digest matches the MSO");
//! let point = issuer_key.verifying_key().to_encoded_point(false);
//! let issuer_public = oid4vci_proof::PublicKey::p256_from_sec1(point.as_bytes()).expect("key");
//! decoded.verify_signature(&issuer_public).expect("signed by the issuer key");
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "minter")]
pub mod claims;
pub mod decode;
pub mod error;
#[cfg(feature = "minter")]
pub mod issuer_signed;
pub mod limits;
#[cfg(feature = "minter")]
pub mod minter;

pub use decode::{DecodeError, DecodedMdoc, Element};
pub use error::MdocError;
pub use limits::MdocLimits;
#[cfg(feature = "minter")]
pub use minter::{device_key, MdocMinter};
