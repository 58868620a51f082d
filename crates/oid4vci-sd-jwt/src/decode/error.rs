//! How decoding an SD-JWT VC is bounded ([`SdJwtLimits`]) and how it fails ([`DecodeError`]).

use oid4vci_proof::SignatureError;

/// Bounds on what [`DecodedSdJwt::decode_with`](crate::DecodedSdJwt::decode_with) accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdJwtLimits {
    /// Bytes of the whole SD-JWT (issuer JWT, disclosures, KB-JWT).
    pub max_len: usize,
    /// Number of disclosures.
    pub max_disclosures: usize,
    /// Number of certificates in `x5c`.
    pub max_chain: usize,
}

impl Default for SdJwtLimits {
    fn default() -> Self {
        SdJwtLimits {
            max_len: 256 * 1024,
            max_disclosures: 1024,
            max_chain: oid4vci_proof::x5c::MAX_CHAIN_LEN,
        }
    }
}

/// Why an SD-JWT could not be decoded or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Empty input.
    #[error("the SD-JWT is empty")]
    Empty,
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
    /// The issuer-signed JWT is not a compact JWS with JSON object header and payload.
    #[error("the issuer-signed JWT: {0}")]
    Jwt(String),
    /// The header's `alg` is not ES256 or EdDSA.
    #[error("the issuer-signed JWT's alg is {0}; ES256 and EdDSA are supported")]
    UnsupportedAlg(String),
    /// `_sd_alg` is not `sha-256`.
    #[error("_sd_alg is {0}; only sha-256 is supported")]
    UnsupportedSdAlg(String),
    /// The header's `x5c` cannot be decoded.
    #[error("x5c: {0}")]
    X5c(String),
    /// A disclosure is not base64url of a JSON array `[salt, name, value]` or `[salt, value]`.
    #[error("disclosure {index}: {reason}")]
    Disclosure {
        /// Its position after the issuer JWT (0-based).
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A disclosure's digest is not in the payload (tampered, or from another credential).
    #[error("disclosure {index} (digest {digest}) is not referenced by any _sd digest or array element of the payload: it was altered or belongs to another credential")]
    UnreferencedDisclosure {
        /// Its position.
        index: usize,
        /// Its digest (base64url SHA-256 of its encoding).
        digest: String,
    },
    /// The same digest occurs twice in the payload, or two disclosures have the same digest.
    #[error("the digest {0} occurs more than once (RFC 9901 Section 7.1)")]
    DuplicateDigest(String),
    /// A disclosure would overwrite a claim, is of the wrong kind for where its digest is, or
    /// discloses a reserved name.
    #[error("disclosure {index}: {reason}")]
    Misplaced {
        /// Its position.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// `_sd` is not an array of strings, or `...` is not a string.
    #[error("{0}")]
    BadDigests(String),
    /// The processed claims nest too deeply.
    #[error("the claims nest deeper than {0} levels")]
    TooDeep(usize),
    /// The Key Binding JWT is malformed.
    #[error("the key binding JWT: {0}")]
    KeyBinding(String),
    /// The issuer signature does not verify with the key given.
    #[error("the issuer signature: {0}")]
    Signature(SignatureError),
}

impl DecodeError {
    /// A stable code for reports (`malformed`, `too_large`, `unsupported_alg`,
    /// `disclosure_not_referenced`, `duplicate_digest`, `invalid_signature`, …).
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::Empty | DecodeError::Jwt(_) | DecodeError::BadDigests(_) => "malformed",
            DecodeError::TooLarge { .. } | DecodeError::TooDeep(_) => "too_large",
            DecodeError::UnsupportedAlg(_) | DecodeError::UnsupportedSdAlg(_) => "unsupported_alg",
            DecodeError::X5c(_) => "bad_certificate",
            DecodeError::Disclosure { .. } => "malformed_disclosure",
            DecodeError::UnreferencedDisclosure { .. } => "disclosure_not_referenced",
            DecodeError::DuplicateDigest(_) => "duplicate_digest",
            DecodeError::Misplaced { .. } => "misplaced_disclosure",
            DecodeError::KeyBinding(_) => "malformed_key_binding",
            DecodeError::Signature(_) => "invalid_signature",
        }
    }
}
