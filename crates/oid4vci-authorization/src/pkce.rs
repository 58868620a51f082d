//! PKCE (RFC 7636) with `S256` only: `plain` sends the verifier itself through the front channel
//! and is refused (HAIP, RFC 9700 §2.1.1).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_types::{ErrorCode, ErrorResponse};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The only method accepted.
pub const S256: &str = "S256";

/// Shortest and longest `code_verifier` (RFC 7636 §4.1).
pub const VERIFIER_LEN: std::ops::RangeInclusive<usize> = 43..=128;

/// A `code_challenge` made with `S256`: base64url(SHA-256(verifier)), 43 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CodeChallenge(String);

fn invalid(text: &str) -> ErrorResponse {
    ErrorResponse::new(ErrorCode::InvalidRequest).with_description(text)
}

impl CodeChallenge {
    /// The challenge of an authorization request: `code_challenge` is required and
    /// `code_challenge_method` must be `S256` (an absent method means `plain`, RFC 7636 §4.3).
    pub fn from_request(
        challenge: Option<&str>,
        method: Option<&str>,
    ) -> Result<Self, ErrorResponse> {
        let challenge = challenge.ok_or_else(|| {
            invalid("code_challenge is required: this authorization server requires PKCE with S256 (RFC 7636)")
        })?;
        match method {
            Some(S256) => {}
            None | Some("plain") => {
                return Err(invalid(
                    "code_challenge_method must be S256; plain is not accepted (RFC 7636, RFC 9700 Section 2.1.1)",
                ))
            }
            Some(_) => return Err(invalid("code_challenge_method must be S256")),
        }
        let decoded = URL_SAFE_NO_PAD
            .decode(challenge)
            .map_err(|_| invalid("code_challenge must be base64url without padding"))?;
        if decoded.len() != 32 {
            return Err(invalid(
                "code_challenge must be the base64url SHA-256 of the code_verifier (43 characters)",
            ));
        }
        Ok(CodeChallenge(challenge.to_owned()))
    }

    /// The challenge of `verifier` (for clients and tests).
    pub fn of_verifier(verifier: &str) -> Self {
        CodeChallenge(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())))
    }

    /// The challenge as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks a token request's `code_verifier` (RFC 7636 §4.6): its form, then the hash, compared
    /// in constant time.
    pub fn verify(&self, verifier: &str) -> Result<(), &'static str> {
        let well_formed = VERIFIER_LEN.contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if !well_formed {
            return Err("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 Section 4.1)");
        }
        let expected = Self::of_verifier(verifier);
        if bool::from(expected.0.as_bytes().ct_eq(self.0.as_bytes())) {
            Ok(())
        } else {
            Err("code_verifier does not match the code_challenge of the authorization request")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector_verifies() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let c = CodeChallenge::from_request(
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            Some("S256"),
        )
        .expect("valid challenge");
        assert_eq!(c.verify(verifier), Ok(()));
        assert!(c.verify(&verifier.replace('d', "e")).is_err());
    }

    #[test]
    fn plain_and_missing_are_refused() {
        for method in [None, Some("plain"), Some("S512")] {
            let e = CodeChallenge::from_request(Some("abc"), method).unwrap_err();
            assert_eq!(e.error, ErrorCode::InvalidRequest);
        }
        assert!(CodeChallenge::from_request(None, Some("S256")).is_err());
        assert!(CodeChallenge::from_request(Some("short"), Some("S256")).is_err());
    }

    #[test]
    fn malformed_verifiers_are_refused() {
        let c = CodeChallenge::of_verifier("x");
        assert!(
            c.verify("x").is_err(),
            "too short even when the hash matches"
        );
    }
}
