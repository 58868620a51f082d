//! Error codes and error response bodies of every OID4VCI 1.0 endpoint (the HTTP status each is
//! sent with is the adapter's: `oid4vci-axum`).
//!
//! Token endpoint errors follow RFC 6749 §5.2 (OID4VCI 1.0 Section 6.3), bearer-token errors follow
//! RFC 6750 §3 (Section 8.3.1.1), credential request errors Section 8.3.1.2, deferred errors Section 9.3
//! and notification errors Section 11.3.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, )*) => {
        /// An OAuth 2.0 / OID4VCI error code (the `error` member of an error response).
        ///
        /// Closed set of the codes the spec defines, with [`ErrorCode::Other`] for extension codes.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
            /// An extension error code not defined by OID4VCI 1.0 or the OAuth RFCs it uses.
            Other(String),
        }

        impl ErrorCode {
            /// The code as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( ErrorCode::$variant => $text, )*
                    ErrorCode::Other(s) => s,
                }
            }

            /// Parses a wire code; unknown codes become [`ErrorCode::Other`].
            pub fn parse(code: &str) -> Self {
                match code {
                    $( $text => ErrorCode::$variant, )*
                    other => ErrorCode::Other(other.to_owned()),
                }
            }
        }
    };
}

error_codes! {
    /// Malformed request, missing/unexpected parameter (RFC 6749 §5.2; Section 6.3: unexpected or missing `tx_code`).
    InvalidRequest = "invalid_request",
    /// Client authentication failed, or anonymous access is not supported (RFC 6749 §5.2; Section 6.3).
    InvalidClient = "invalid_client",
    /// Wrong or expired pre-authorized code, wrong transaction code, or invalid authorization code (Section 6.3).
    InvalidGrant = "invalid_grant",
    /// The client is not authorized to use this grant type (RFC 6749 §5.2).
    UnauthorizedClient = "unauthorized_client",
    /// The grant type is not supported by the authorization server (RFC 6749 §5.2).
    UnsupportedGrantType = "unsupported_grant_type",
    /// The requested scope is invalid or unknown (RFC 6749 §5.2).
    InvalidScope = "invalid_scope",
    /// `authorization_details` are malformed or name unknown credential configurations (RFC 9396 §5).
    InvalidAuthorizationDetails = "invalid_authorization_details",
    /// Wrong transaction code (OID4VCI 1.1 draft; 1.0 uses `invalid_grant`).
    InvalidTxCode = "invalid_tx_code",
    /// Draft 13 pre-authorized code polling: issuance not yet authorized (RFC 8628).
    AuthorizationPending = "authorization_pending",
    /// Draft 13 pre-authorized code polling: poll less often (RFC 8628).
    SlowDown = "slow_down",
    /// Missing, expired, revoked or malformed access token (RFC 6750 §3.1; Section 8.3.1.1).
    InvalidToken = "invalid_token",
    /// The access token does not grant the requested credential (RFC 6750 §3.1; Section 8.3.1.1).
    InsufficientScope = "insufficient_scope",
    /// The DPoP proof is invalid (RFC 9449 §7.1).
    InvalidDpopProof = "invalid_dpop_proof",
    /// The resource server requires a DPoP nonce (RFC 9449 §9).
    UseDpopNonce = "use_dpop_nonce",
    /// The credential request is malformed, repeats or lacks a parameter (Section 8.3.1.2).
    InvalidCredentialRequest = "invalid_credential_request",
    /// The requested credential configuration is unknown (Section 8.3.1.2).
    UnknownCredentialConfiguration = "unknown_credential_configuration",
    /// The requested credential identifier is unknown (Section 8.3.1.2).
    UnknownCredentialIdentifier = "unknown_credential_identifier",
    /// The `proofs` parameter is missing, a proof is invalid, or a proof lacks a `c_nonce` (Section 8.3.1.2).
    InvalidProof = "invalid_proof",
    /// A key proof carries an invalid or expired `c_nonce` (Section 8.3.1.2).
    InvalidNonce = "invalid_nonce",
    /// Encryption parameters are invalid or missing (Section 8.3.1.2).
    InvalidEncryptionParameters = "invalid_encryption_parameters",
    /// The credential request was not accepted; unrecoverable (Section 8.3.1.2).
    CredentialRequestDenied = "credential_request_denied",
    /// Draft 13: the credential type is not supported (replaced by `unknown_credential_configuration`).
    UnsupportedCredentialType = "unsupported_credential_type",
    /// Draft 13: the credential format is not supported (replaced by `unknown_credential_configuration`).
    UnsupportedCredentialFormat = "unsupported_credential_format",
    /// Draft 13 deferred endpoint: the credential is not ready yet (1.0 answers 202 instead).
    IssuancePending = "issuance_pending",
    /// The `transaction_id` is unknown or already used (Section 9.3).
    InvalidTransactionId = "invalid_transaction_id",
    /// The `notification_id` is unknown (Section 11.3).
    InvalidNotificationId = "invalid_notification_id",
    /// The notification request is malformed (Section 11.3).
    InvalidNotificationRequest = "invalid_notification_request",
    /// The server met an unexpected condition (RFC 6749 §4.1.2.1).
    ServerError = "server_error",
    /// The server is temporarily unable to handle the request (RFC 6749 §4.1.2.1).
    TemporarilyUnavailable = "temporarily_unavailable",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(ErrorCode::parse(&s))
    }
}

/// Maximum length of an `error_description` produced by [`sanitize_error_description`].
pub const MAX_ERROR_DESCRIPTION_LEN: usize = 512;

/// Makes `text` fit RFC 6749 §5.2's `error_description` grammar: printable ASCII without `"` and `\`
/// (`%x20-21 / %x23-5B / %x5D-7E`), at most [`MAX_ERROR_DESCRIPTION_LEN`] characters.
///
/// Double quotes become single quotes, backslashes become slashes, other characters outside the set
/// (control characters, non-ASCII) become `?`, and an over-long text is cut with a trailing `...`.
pub fn sanitize_error_description(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_ERROR_DESCRIPTION_LEN));
    for c in text.chars() {
        if out.len() >= MAX_ERROR_DESCRIPTION_LEN {
            out.truncate(MAX_ERROR_DESCRIPTION_LEN - 3);
            out.push_str("...");
            break;
        }
        out.push(match c {
            '"' => '\'',
            '\\' => '/',
            '\n' | '\r' | '\t' => ' ',
            ' '..='~' => c,
            _ => '?',
        });
    }
    out
}

/// True when `text` only contains characters RFC 6749 §5.2 allows in `error_description`
/// (also the rule for a notification's `event_description`, Section 11.1).
pub fn is_valid_error_description(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// An error response body (RFC 6749 §5.2, RFC 6750 §3, OID4VCI 1.0 Sections 6.3, 8.3.1, 9.3, 11.3).
///
/// Extension members (for example a proof `diagnostic` object) are kept in `extra`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error code.
    pub error: ErrorCode,
    /// Human-readable ASCII text; see [`sanitize_error_description`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// A URI of a page describing the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
    /// Draft 13 (7.3.2): a fresh nonce returned with `invalid_proof` so the wallet can retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_nonce: Option<String>,
    /// Draft 13: lifetime of `c_nonce` in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_nonce_expires_in: Option<u64>,
    /// Draft 13 `issuance_pending`: seconds to wait before polling again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ErrorResponse {
    /// A bare error response with only `error`.
    pub fn new(error: ErrorCode) -> Self {
        ErrorResponse {
            error,
            error_description: None,
            error_uri: None,
            c_nonce: None,
            c_nonce_expires_in: None,
            interval: None,
            extra: Map::new(),
        }
    }

    /// Sets `error_description`, sanitised to RFC 6749 §5.2's character set.
    pub fn with_description(mut self, description: impl AsRef<str>) -> Self {
        self.error_description = Some(sanitize_error_description(description.as_ref()));
        self
    }

    /// Adds an extension member (for example `"diagnostic"`).
    pub fn with_extra(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }
}

impl fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error_description {
            Some(d) => write!(f, "{}: {}", self.error, d),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for ErrorResponse {}

impl From<ErrorCode> for ErrorResponse {
    fn from(code: ErrorCode) -> Self {
        ErrorResponse::new(code)
    }
}
