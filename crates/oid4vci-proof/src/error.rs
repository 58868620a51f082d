//! [`ProofError`]: one variant per stable diagnostic code, each carrying an [`ErrorDetail`].

use serde_json::Value;

use crate::diagnostic::Diagnostic;

/// What went wrong, in words a wallet developer can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    /// What was found, naming the header parameters / claims involved.
    pub reason: String,
    /// What the issuer expected (short).
    pub expected: String,
    /// What the proof contained (short, never secret material).
    pub found: String,
    /// How to fix it, with an example of the expected form.
    pub help: String,
    /// The rule, e.g. `"OID4VCI 1.0 Appendix F.1"`.
    pub spec_ref: String,
    /// Position of the failing proof in a batch (`proofs.jwt[index]`).
    pub index: Option<usize>,
}

impl std::fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(i) = self.index {
            write!(f, "proof {i}: ")?;
        }
        f.write_str(&self.reason)
    }
}

macro_rules! proof_errors {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, )*) => {
        /// A rejected key proof. Every variant has a stable snake_case [`code`](ProofError::code)
        /// and renders a [`Diagnostic`].
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[non_exhaustive]
        pub enum ProofError {
            $( $(#[$doc])* #[error("{}: {}", $code, .0)] $variant(Box<ErrorDetail>), )*
        }

        impl ProofError {
            /// The stable machine-readable code (snake_case).
            pub fn code(&self) -> &'static str {
                match self { $( ProofError::$variant(_) => $code, )* }
            }

            /// The details of this error.
            pub fn detail(&self) -> &ErrorDetail {
                match self { $( ProofError::$variant(d) => d, )* }
            }

            fn detail_mut(&mut self) -> &mut ErrorDetail {
                match self { $( ProofError::$variant(d) => d, )* }
            }

            /// Every code this crate can return, in declaration order.
            pub const CODES: &'static [&'static str] = &[$($code,)*];
        }
    };
}

proof_errors! {
    /// Not a compact JWS with JSON-object header and payload (size, segments, base64url, JSON,
    /// duplicate members), or a header parameter of the wrong type.
    MalformedJwt => "malformed_jwt",
    /// `typ` missing or not `openid4vci-proof+jwt` / `key-attestation+jwt`.
    InvalidTyp => "invalid_typ",
    /// `alg` missing, `none`, symmetric, unknown, or not allowed by the issuer.
    UnsupportedAlg => "unsupported_alg",
    /// `crit` lists an extension this issuer does not understand (RFC 7515 §4.1.11).
    UnsupportedCrit => "unsupported_crit",
    /// None of `kid`, `jwk`, `x5c`, `key_attestation` is present.
    MissingHolderKey => "missing_holder_key",
    /// More than one of `kid`, `jwk`, `x5c` is present.
    ConflictingHolderKeys => "conflicting_holder_keys",
    /// The `jwk` is not a valid public P-256 / Ed25519 key (or carries private members).
    InvalidJwk => "invalid_jwk",
    /// The `kid` is not a DID URL this issuer can resolve to a key.
    UnresolvableKid => "unresolvable_kid",
    /// The key's binding method is not accepted for this credential.
    UnsupportedBindingMethod => "unsupported_binding_method",
    /// The `x5c` chain is malformed, expired, or its signatures / constraints do not hold.
    InvalidX5c => "invalid_x5c",
    /// The `x5c` chain does not lead to a configured trust anchor.
    UntrustedX5c => "untrusted_x5c",
    /// The key attestation is missing (when required), malformed, untrusted or expired.
    InvalidKeyAttestation => "invalid_key_attestation",
    /// The signature does not verify with the holder key.
    InvalidSignature => "invalid_signature",
    /// `aud` missing, not a string, or not the Credential Issuer Identifier.
    InvalidAudience => "invalid_audience",
    /// No (string) `nonce` although the issuer requires a `c_nonce`.
    MissingNonce => "missing_nonce",
    /// The `nonce` is not a valid, unexpired `c_nonce` of this issuer.
    InvalidNonce => "invalid_nonce",
    /// No numeric `iat`.
    MissingIat => "missing_iat",
    /// `iat` is further in the future than the allowed clock skew.
    IatInFuture => "iat_in_future",
    /// `iat` is older than the allowed proof age, or `exp` has passed.
    ProofExpired => "proof_expired",
    /// `nbf` is later than now plus the allowed clock skew.
    NotYetValid => "not_yet_valid",
    /// `iss` present although it must be absent, or not the client's `client_id`.
    InvalidIss => "invalid_iss",
    /// The key type does not match `alg`.
    AlgKeyMismatch => "alg_key_mismatch",
    /// Empty batch or more proofs than the issuer's `batch_size`.
    InvalidBatch => "invalid_batch",
    /// Two proofs of a batch use the same holder key.
    DuplicateHolderKey => "duplicate_holder_key",
}

impl ProofError {
    /// The OAuth error code for the Credential Error Response (OID4VCI 1.0 Section 8.3.1.2):
    /// `invalid_nonce` for a wrong or expired `c_nonce`, `invalid_proof` for everything else
    /// (including a missing nonce).
    pub fn oauth_error(&self) -> &'static str {
        match self {
            ProofError::InvalidNonce(_) => "invalid_nonce",
            _ => "invalid_proof",
        }
    }

    /// The index of the failing proof in a batch, if the error concerns one proof of a batch.
    pub fn index(&self) -> Option<usize> {
        self.detail().index
    }

    /// The full diagnostic (serialisable to JSON).
    pub fn diagnostic(&self) -> Diagnostic {
        let d = self.detail();
        Diagnostic {
            error: self.oauth_error().to_owned(),
            code: self.code().to_owned(),
            reason: d.reason.clone(),
            help: d.help.clone(),
            expected: d.expected.clone(),
            found: d.found.clone(),
            spec_ref: d.spec_ref.clone(),
            index: d.index,
        }
    }

    pub(crate) fn with_index(mut self, index: usize) -> Self {
        self.detail_mut().index = Some(index);
        self
    }
}

/// Builds a boxed [`ErrorDetail`] (crate-internal shorthand).
pub(crate) fn detail(
    spec_ref: &str,
    reason: impl Into<String>,
    expected: impl Into<String>,
    found: impl Into<String>,
    help: impl Into<String>,
) -> Box<ErrorDetail> {
    Box::new(ErrorDetail {
        reason: reason.into(),
        expected: expected.into(),
        found: found.into(),
        help: help.into(),
        spec_ref: spec_ref.to_owned(),
        index: None,
    })
}

/// The JSON type name of a value, for diagnostics.
pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A short rendering of a JSON value for `found` (strings shown quoted, long values clipped).
pub(crate) fn show(v: &Value) -> String {
    clip(&v.to_string(), 120)
}

/// Truncates `s` to at most `max` bytes on a char boundary, appending `...` when cut.
pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max.saturating_sub(3);
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", s.get(..end).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in ProofError::CODES {
            assert!(seen.insert(*c), "duplicate code {c}");
            assert!(c
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
        }
    }

    #[test]
    fn nonce_mapping_and_index() {
        let e = ProofError::InvalidNonce(detail("x", "r", "e", "f", "h")).with_index(3);
        assert_eq!(e.oauth_error(), "invalid_nonce");
        assert_eq!(e.index(), Some(3));
        assert_eq!(e.to_string(), "invalid_nonce: proof 3: r");
        let m = ProofError::MissingNonce(detail("x", "r", "e", "f", "h"));
        assert_eq!(m.oauth_error(), "invalid_proof");
        assert_eq!(m.index(), None);
    }

    #[test]
    fn clip_respects_char_boundaries() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("ééééé", 6), "é...");
    }
}
