//! [`Refusal`]: why the issuer refused a wallet's (or a browser's) request, as a typed value.
//!
//! Every refusal has a [`Cause`], one per reason the issuer can refuse, each with a stable
//! snake_case [`code`](Cause::code) and the OAuth / OID4VCI error code the wallet receives
//! ([`Cause::error_code`]). A refusal also carries the description for the wallet and, where
//! there is one, the key proof's diagnostic. It becomes the spec's error body in exactly one
//! place, [`Refusal::to_error_response`]; the HTTP status and headers are the adapter's
//! (`oid4vci-axum` keeps that table).

mod cause;

pub use cause::Cause;
use oid4vci_types::{ErrorCode, ErrorResponse, MessageError};
use serde_json::Value;
use std::fmt;

/// A refused key proof: the proof check's stable code and its diagnostic object.
#[derive(Clone, Debug, PartialEq)]
pub struct ProofFailure {
    /// The stable code of `oid4vci-proof` (`invalid_typ`, `invalid_signature`, …).
    pub code: String,
    /// The diagnostic object sent to the wallet as `diagnostic` (code, reason, help, expected,
    /// found, spec section), when the check produced one.
    pub diagnostic: Option<Value>,
}

/// Why the issuer refused a request: a [`Cause`], the description for the wallet, and the key
/// proof's diagnostic where there is one.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    cause: Cause,
    description: String,
    proof: Option<Box<ProofFailure>>,
    retry_after: Option<u64>,
    fresh_nonce: Option<(String, u64)>,
    dpop_nonce: Option<String>,
    attestation_challenge: Option<String>,
}

impl Refusal {
    /// A refusal for `cause`, described for the wallet developer.
    pub fn new(cause: Cause, description: impl Into<String>) -> Self {
        Refusal {
            cause,
            description: description.into(),
            proof: None,
            retry_after: None,
            fresh_nonce: None,
            dpop_nonce: None,
            attestation_challenge: None,
        }
    }

    /// A refused key proof with the proof check's stable `code` and `diagnostic`.
    pub fn proof(
        cause: Cause,
        description: impl Into<String>,
        code: impl Into<String>,
        diagnostic: Option<Value>,
    ) -> Self {
        let mut refusal = Refusal::new(cause, description);
        refusal.proof = Some(Box::new(ProofFailure {
            code: code.into(),
            diagnostic,
        }));
        refusal
    }

    /// A message that did not parse, for the parser's error code.
    pub fn malformed(error: &MessageError) -> Self {
        Refusal::new(Cause::malformed(&error.code), error.kind.to_string())
    }

    /// The request may be retried after `seconds`: an outage, or a rate limit (nothing was
    /// written).
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Adds a fresh `c_nonce` and its lifetime (draft 13, 7.3.2: a wallet retries a refused
    /// proof with the nonce of the error body).
    pub fn with_fresh_nonce(mut self, nonce: String, expires_in: u64) -> Self {
        self.fresh_nonce = Some((nonce, expires_in));
        self
    }

    /// Adds the DPoP nonce the client must use next (RFC 9449 §8; sent as `DPoP-Nonce`, not in
    /// the body).
    pub fn with_dpop_nonce(mut self, nonce: String) -> Self {
        self.dpop_nonce = Some(nonce);
        self
    }

    /// The DPoP nonce the client must use next, when the refusal carries one.
    pub fn dpop_nonce(&self) -> Option<&str> {
        self.dpop_nonce.as_deref()
    }

    /// Adds the attestation challenge the client must use next (sent as
    /// `OAuth-Client-Attestation-Challenge`, not in the body).
    pub fn with_attestation_challenge(mut self, challenge: String) -> Self {
        self.attestation_challenge = Some(challenge);
        self
    }

    /// The attestation challenge the client must use next, when the refusal carries one.
    pub fn attestation_challenge(&self) -> Option<&str> {
        self.attestation_challenge.as_deref()
    }

    /// The cause.
    pub fn cause(&self) -> Cause {
        self.cause
    }

    /// The error code the wallet receives.
    pub fn error_code(&self) -> ErrorCode {
        self.cause.error_code()
    }

    /// The description for the wallet.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The refused key proof, when this is a proof refusal.
    pub fn proof_failure(&self) -> Option<&ProofFailure> {
        self.proof.as_deref()
    }

    /// Seconds after which the request may be retried, when the refusal is an outage.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The spec's error body: `error`, `error_description` (sanitised), the proof's
    /// `diagnostic`, and a draft-13 `c_nonce` where one was added. The one mapping of a
    /// refusal to the wire.
    pub fn to_error_response(&self) -> ErrorResponse {
        let mut body = ErrorResponse::new(self.error_code()).with_description(&self.description);
        if let Some(diagnostic) = self.proof.as_ref().and_then(|p| p.diagnostic.clone()) {
            body = body.with_extra("diagnostic", diagnostic);
        }
        if let Some((nonce, expires_in)) = &self.fresh_nonce {
            body.c_nonce = Some(nonce.clone());
            body.c_nonce_expires_in = Some(*expires_in);
        }
        body
    }
}

impl From<&ErrorResponse> for Refusal {
    /// A refusal by an authorization rule (`oid4vci-authorization` answers with error bodies).
    fn from(rule: &ErrorResponse) -> Self {
        Refusal::new(
            Cause::of_authorization_rule(&rule.error),
            rule.error_description.clone().unwrap_or_default(),
        )
    }
}

impl From<ErrorResponse> for Refusal {
    fn from(rule: ErrorResponse) -> Self {
        Refusal::from(&rule)
    }
}

impl From<&Refusal> for ErrorResponse {
    fn from(refusal: &Refusal) -> Self {
        refusal.to_error_response()
    }
}

impl From<Refusal> for ErrorResponse {
    fn from(refusal: Refusal) -> Self {
        refusal.to_error_response()
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.error_code(),
            self.cause,
            self.description
        )
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for cause in Cause::ALL {
            let code = cause.code();
            assert!(seen.insert(code), "duplicate cause code {code}");
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code} is not snake_case"
            );
        }
        assert!(Cause::ALL.len() > 60);
    }

    #[test]
    fn the_wire_body_carries_code_description_diagnostic_and_draft13_nonce() {
        let refusal = Refusal::proof(
            Cause::ProofInvalid,
            "bad \"typ\"",
            "invalid_typ",
            Some(serde_json::json!({"code": "invalid_typ"})),
        )
        .with_fresh_nonce("n-1".into(), 300);
        let body = refusal.to_error_response();
        assert_eq!(body.error, ErrorCode::InvalidProof);
        assert_eq!(body.error_description.as_deref(), Some("bad 'typ'"));
        assert_eq!(body.extra["diagnostic"]["code"], "invalid_typ");
        assert_eq!(body.c_nonce.as_deref(), Some("n-1"));
        assert_eq!(body.c_nonce_expires_in, Some(300));
        assert_eq!(
            refusal.proof_failure().map(|p| p.code.as_str()),
            Some("invalid_typ")
        );
    }

    #[test]
    fn extension_codes_reach_the_wire() {
        let body = Refusal::new(Cause::RequestUriUsed, "used").to_error_response();
        assert_eq!(body.error.as_str(), "invalid_request_uri");
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["error"], "invalid_request_uri");
        assert!(json.get("diagnostic").is_none());
    }

    #[test]
    fn authorization_rule_codes_keep_their_wire_code() {
        for code in [
            ErrorCode::InvalidRequest,
            ErrorCode::InvalidScope,
            ErrorCode::InvalidAuthorizationDetails,
            ErrorCode::InvalidClient,
            ErrorCode::UnauthorizedClient,
            ErrorCode::InvalidDpopProof,
            ErrorCode::InvalidGrant,
            ErrorCode::Other("unsupported_response_type".into()),
        ] {
            let refusal = Refusal::from(ErrorResponse::new(code.clone()).with_description("x"));
            assert_eq!(refusal.error_code(), code);
        }
    }
}
