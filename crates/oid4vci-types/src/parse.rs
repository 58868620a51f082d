//! Bounded parsing of request bodies: size and nesting limits, JSON and form decoding, and the typed
//! [`MessageError`] every parser in this crate returns.

use crate::error::{sanitize_error_description, ErrorCode, ErrorResponse};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt;

/// Largest request body any parser in this crate accepts (64 KiB): a credential request with a
/// full batch of proofs and key attestations fits well within it.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Deepest JSON nesting any parser in this crate accepts. The deepest legitimate OID4VCI message
/// (issuer metadata with claim display objects) nests about eight levels.
pub const MAX_JSON_DEPTH: usize = 32;

/// Largest number of parameters accepted in a form-encoded body.
pub const MAX_FORM_PARAMETERS: usize = 64;

/// What exactly was wrong with a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageErrorKind {
    /// The body is larger than the limit.
    #[error("body is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size of the rejected body.
        size: usize,
        /// The limit it exceeded.
        limit: usize,
    },
    /// JSON nested deeper than [`MAX_JSON_DEPTH`].
    #[error("JSON nests deeper than {limit} levels")]
    TooDeep {
        /// The limit it exceeded.
        limit: usize,
    },
    /// The body is not valid JSON for this message (syntax, wrong types, duplicate members).
    #[error("malformed JSON: {0}")]
    Json(String),
    /// The body is not a valid `application/x-www-form-urlencoded` body.
    #[error("malformed form body: {0}")]
    Form(String),
    /// A parameter appears more than once (RFC 6749 §3.1: parameters MUST NOT be included more than once).
    #[error("parameter `{0}` appears more than once")]
    DuplicateParameter(String),
    /// A required parameter is absent.
    #[error("missing required parameter `{0}`")]
    MissingParameter(String),
    /// The grant type is not one this crate knows.
    #[error("unsupported grant_type `{0}`")]
    UnsupportedGrantType(String),
    /// A parameter is present but its value breaks a rule of the spec.
    #[error("invalid `{parameter}`: {reason}")]
    InvalidParameter {
        /// The offending parameter.
        parameter: String,
        /// Why it was rejected, naming the rule.
        reason: String,
    },
    /// Two parameters that exclude each other are both present.
    #[error("`{0}` and `{1}` must not both be present")]
    Conflicting(String, String),
}

/// A message that could not be parsed or broke a MUST of the spec.
///
/// Carries the [`ErrorCode`] the endpoint that received it answers with, so an adapter can turn it
/// into an [`ErrorResponse`] without knowing which parser failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageError {
    /// The error code for the endpoint's error response.
    pub code: ErrorCode,
    /// What was wrong.
    pub kind: MessageErrorKind,
}

impl MessageError {
    /// Creates an error with the given code and kind.
    pub fn new(code: ErrorCode, kind: MessageErrorKind) -> Self {
        MessageError { code, kind }
    }

    pub(crate) fn invalid(code: ErrorCode, parameter: &str, reason: impl Into<String>) -> Self {
        MessageError::new(
            code,
            MessageErrorKind::InvalidParameter {
                parameter: parameter.to_owned(),
                reason: reason.into(),
            },
        )
    }

    pub(crate) fn missing(code: ErrorCode, parameter: &str) -> Self {
        MessageError::new(
            code,
            MessageErrorKind::MissingParameter(parameter.to_owned()),
        )
    }

    /// The error response body an endpoint sends for this error.
    pub fn to_error_response(&self) -> ErrorResponse {
        ErrorResponse::new(self.code.clone()).with_description(self.kind.to_string())
    }
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            self.code,
            sanitize_error_description(&self.kind.to_string())
        )
    }
}

impl std::error::Error for MessageError {}

impl From<MessageError> for ErrorResponse {
    fn from(e: MessageError) -> Self {
        e.to_error_response()
    }
}

/// Checks size and nesting depth of a JSON body before it reaches serde.
pub fn check_json_limits(body: &[u8], code: &ErrorCode) -> Result<(), MessageError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(MessageError::new(
            code.clone(),
            MessageErrorKind::TooLarge {
                size: body.len(),
                limit: MAX_BODY_BYTES,
            },
        ));
    }
    if json_depth_exceeds(body, MAX_JSON_DEPTH) {
        return Err(MessageError::new(
            code.clone(),
            MessageErrorKind::TooDeep {
                limit: MAX_JSON_DEPTH,
            },
        ));
    }
    Ok(())
}

/// True when the brackets outside strings in `body` nest deeper than `limit`.
/// Syntax errors are left for the JSON parser to report.
fn json_depth_exceeds(body: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Parses a JSON body into `T` within the crate's limits; failures carry `code`.
pub fn parse_json<T: DeserializeOwned>(body: &[u8], code: ErrorCode) -> Result<T, MessageError> {
    check_json_limits(body, &code)?;
    serde_json::from_slice(body)
        .map_err(|e| MessageError::new(code, MessageErrorKind::Json(e.to_string())))
}

/// Decodes an `application/x-www-form-urlencoded` body into a map, rejecting repeated parameters
/// (RFC 6749 §3.1), bodies over [`MAX_BODY_BYTES`] and more than [`MAX_FORM_PARAMETERS`] parameters.
/// Empty values are treated as absent (RFC 6749 §3.1).
pub fn parse_form(body: &[u8], code: ErrorCode) -> Result<BTreeMap<String, String>, MessageError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(MessageError::new(
            code,
            MessageErrorKind::TooLarge {
                size: body.len(),
                limit: MAX_BODY_BYTES,
            },
        ));
    }
    if std::str::from_utf8(body).is_err() {
        return Err(MessageError::new(
            code,
            MessageErrorKind::Form("body is not UTF-8".into()),
        ));
    }
    let mut params = BTreeMap::new();
    for (count, (name, value)) in form_urlencoded::parse(body).enumerate() {
        if count >= MAX_FORM_PARAMETERS {
            return Err(MessageError::new(
                code,
                MessageErrorKind::Form(format!("more than {MAX_FORM_PARAMETERS} parameters")),
            ));
        }
        if name.contains('\u{FFFD}') || value.contains('\u{FFFD}') {
            return Err(MessageError::new(
                code,
                MessageErrorKind::Form("percent-encoding does not decode to UTF-8".into()),
            ));
        }
        if params.contains_key(name.as_ref()) {
            return Err(MessageError::new(
                code,
                MessageErrorKind::DuplicateParameter(name.into_owned()),
            ));
        }
        params.insert(name.into_owned(), value.into_owned());
    }
    params.retain(|_, v| !v.is_empty());
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_scanner_ignores_brackets_in_strings() {
        let deep_in_string = format!("{{\"a\":\"{}\"}}", "[".repeat(100));
        assert!(!json_depth_exceeds(deep_in_string.as_bytes(), 4));
        let nested = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert!(json_depth_exceeds(nested.as_bytes(), MAX_JSON_DEPTH));
        let escaped_quote = br#"{"a":"\"[[[[[["}"#;
        assert!(!json_depth_exceeds(escaped_quote, 2));
    }

    #[test]
    fn form_rejects_duplicates_and_drops_empty_values() {
        let err = parse_form(b"a=1&a=2", ErrorCode::InvalidRequest).unwrap_err();
        assert_eq!(err.kind, MessageErrorKind::DuplicateParameter("a".into()));
        let params = parse_form(b"a=1&b=&c=x%20y", ErrorCode::InvalidRequest).unwrap();
        assert_eq!(params.get("a").map(String::as_str), Some("1"));
        assert!(!params.contains_key("b"));
        assert_eq!(params.get("c").map(String::as_str), Some("x y"));
    }

    #[test]
    fn oversized_bodies_are_rejected_with_the_given_code() {
        let body = vec![b' '; MAX_BODY_BYTES + 1];
        let err = parse_json::<serde_json::Value>(&body, ErrorCode::InvalidCredentialRequest)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidCredentialRequest);
        assert!(matches!(err.kind, MessageErrorKind::TooLarge { .. }));
    }
}
