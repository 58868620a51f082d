//! How decoding an mdoc fails: [`DecodeError`].

use oid4vci_proof::SignatureError;

/// Why an mdoc could not be decoded or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Empty input.
    #[error("the mdoc is empty")]
    Empty,
    /// Not base64url.
    #[error("the mdoc is not base64url (IssuerSigned CBOR, OID4VCI 1.0 Appendix A.2)")]
    Base64,
    /// A limit was exceeded.
    #[error("{what} is {found}, more than the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The size found.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// The CBOR does not have the structure of an `IssuerSigned`.
    #[error("{0}")]
    Malformed(String),
    /// The COSE algorithm is not ES256 (-7) or EdDSA (-8).
    #[error("the issuerAuth algorithm is {0}; ES256 (-7) and EdDSA (-8) are supported")]
    UnsupportedAlg(String),
    /// The MSO's `digestAlgorithm` is not `SHA-256`.
    #[error("the MSO digestAlgorithm is {0}; only SHA-256 is supported")]
    UnsupportedDigest(String),
    /// An element's digest is not the one the MSO lists for its digest ID.
    #[error("the digest of {namespace}/{element} (digestID {digest_id}) does not match the MSO's valueDigests: the element was altered")]
    DigestMismatch {
        /// Its namespace.
        namespace: String,
        /// Its elementIdentifier.
        element: String,
        /// Its digestID.
        digest_id: u64,
    },
    /// The issuer signature does not verify with the key given.
    #[error("the issuer signature: {0}")]
    Signature(SignatureError),
}

impl DecodeError {
    /// A stable code for reports (`malformed`, `too_large`, `unsupported_alg`,
    /// `digest_mismatch`, `invalid_signature`).
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::Empty | DecodeError::Base64 | DecodeError::Malformed(_) => "malformed",
            DecodeError::TooLarge { .. } => "too_large",
            DecodeError::UnsupportedAlg(_) | DecodeError::UnsupportedDigest(_) => "unsupported_alg",
            DecodeError::DigestMismatch { .. } => "digest_mismatch",
            DecodeError::Signature(_) => "invalid_signature",
        }
    }
}
