//! [`Refusal`]: why the issuer refused a wallet's (or a browser's) request, as a typed value.
//!
//! Every refusal has a [`Cause`], one per reason the issuer can refuse, each with a stable
//! snake_case [`code`](Cause::code) and the OAuth / OID4VCI error code the wallet receives
//! ([`Cause::error_code`]). A refusal also carries the description for the wallet and, where
//! there is one, the key proof's diagnostic. It becomes the spec's error body in exactly one
//! place, [`Refusal::to_error_response`]; the HTTP status and headers are the adapter's
//! (`oid4vci-axum` keeps that table).

use oid4vci_types::{ErrorCode, ErrorResponse, MessageError};
use serde_json::Value;
use std::fmt;

macro_rules! causes {
    ($( $(#[$doc:meta])* $variant:ident => ($code:literal, $wire:expr), )*) => {
        /// One reason the issuer refuses a request. Each has a stable [`code`](Cause::code) (for
        /// logs, events and metrics) and the wire [`error_code`](Cause::error_code).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Cause {
            $( $(#[$doc])* $variant, )*
        }

        impl Cause {
            /// The stable machine-readable name of this cause (snake_case).
            pub fn code(self) -> &'static str {
                match self { $( Cause::$variant => $code, )* }
            }

            /// The error code the wallet receives (the `error` member of the body).
            pub fn error_code(self) -> ErrorCode {
                use ErrorCode::*;
                match self { $( Cause::$variant => $wire, )* }
            }

            /// Every cause, in declaration order.
            pub const ALL: &'static [Cause] = &[$( Cause::$variant, )*];
        }
    };
}

/// `invalid_request_uri` (RFC 9126 §2.2), an extension code outside [`ErrorCode`]'s set.
fn invalid_request_uri() -> ErrorCode {
    ErrorCode::Other("invalid_request_uri".into())
}

/// `unsupported_response_type` (RFC 6749 §4.1.2.1).
fn unsupported_response_type() -> ErrorCode {
    ErrorCode::Other("unsupported_response_type".into())
}

causes! {
    // --- Messages that do not parse --------------------------------------------------------
    /// A request (form, query, body) is malformed or lacks a parameter.
    MalformedRequest => ("malformed_request", InvalidRequest),
    /// A Credential Request body is malformed (Section 8.3.1.2).
    MalformedCredentialRequest => ("malformed_credential_request", InvalidCredentialRequest),
    /// A Notification Request body is malformed (Section 11.3).
    MalformedNotification => ("malformed_notification", InvalidNotificationRequest),

    // --- The token endpoint ----------------------------------------------------------------
    /// The grant type is not one this issuer redeems.
    UnsupportedGrantType => ("unsupported_grant_type", UnsupportedGrantType),
    /// The pre-authorized code is unknown, expired away or not of this offer.
    PreAuthorizedCodeUnknown => ("pre_authorized_code_unknown", InvalidGrant),
    /// The pre-authorized code has expired.
    PreAuthorizedCodeExpired => ("pre_authorized_code_expired", InvalidGrant),
    /// The pre-authorized code was already redeemed.
    PreAuthorizedCodeUsed => ("pre_authorized_code_used", InvalidGrant),
    /// The pre-authorized code was invalidated after too many wrong transaction codes.
    PreAuthorizedCodeLocked => ("pre_authorized_code_locked", InvalidGrant),
    /// The offer requires a `tx_code` and the request has none (Section 6.3).
    TxCodeMissing => ("tx_code_missing", InvalidRequest),
    /// The request carries a `tx_code` the offer does not have (Section 6.3).
    TxCodeUnexpected => ("tx_code_unexpected", InvalidRequest),
    /// The transaction code is wrong.
    TxCodeWrong => ("tx_code_wrong", InvalidGrant),
    /// The authorization code is unknown or expired away.
    AuthorizationCodeUnknown => ("authorization_code_unknown", InvalidGrant),
    /// The authorization code has expired.
    AuthorizationCodeExpired => ("authorization_code_expired", InvalidGrant),
    /// The authorization code was presented again after its exchange (RFC 6749 §4.1.2).
    AuthorizationCodeReused => ("authorization_code_reused", InvalidGrant),
    /// The code was issued to another client, or the attestation names another client.
    ClientMismatch => ("client_mismatch", InvalidGrant),
    /// `redirect_uri` is missing or differs from the authorization request's (RFC 6749 §4.1.3).
    RedirectUriMismatch => ("redirect_uri_mismatch", InvalidGrant),
    /// `code_verifier` is missing (RFC 7636 §4.5).
    CodeVerifierMissing => ("code_verifier_missing", InvalidRequest),
    /// `code_verifier` does not match the code challenge (RFC 7636 §4.6).
    CodeVerifierMismatch => ("code_verifier_mismatch", InvalidGrant),
    /// The authorization code is bound to another DPoP key (RFC 9449 §10).
    CodeDpopKeyMismatch => ("code_dpop_key_mismatch", InvalidGrant),
    /// `authorization_details` are malformed or name something not offered (RFC 9396 §5).
    InvalidAuthorizationDetails => ("invalid_authorization_details", InvalidAuthorizationDetails),
    /// The scope names something unknown or not offered.
    InvalidScope => ("invalid_scope", InvalidScope),

    // --- Client and key binding (token and protected endpoints) ----------------------------
    /// The offer requires wallet attestation and the request has none.
    WalletAttestationMissing => ("wallet_attestation_missing", InvalidClient),
    /// The wallet attestation or its proof of possession was refused.
    WalletAttestationInvalid => ("wallet_attestation_invalid", InvalidClient),
    /// The wallet attestation PoP (its `jti`) was already used.
    WalletAttestationReplayed => ("wallet_attestation_replayed", InvalidClient),
    /// A DPoP proof is required and none was sent.
    DpopProofMissing => ("dpop_proof_missing", InvalidDpopProof),
    /// The DPoP proof is invalid (RFC 9449 §4.3).
    DpopProofInvalid => ("dpop_proof_invalid", InvalidDpopProof),
    /// The DPoP proof (its `jti`) was already used.
    DpopProofReplayed => ("dpop_proof_replayed", InvalidDpopProof),
    /// The DPoP proof is signed by another key than the one the token is bound to.
    DpopKeyMismatch => ("dpop_key_mismatch", InvalidDpopProof),

    // --- The embedded authorization server ----------------------------------------------
    /// This issuer has no authorization endpoint.
    NoAuthorizationServer => ("no_authorization_server", InvalidRequest),
    /// The authorization request breaks a rule (RFC 6749 §4.1.2.1, RFC 9126).
    InvalidAuthorizationRequest => ("invalid_authorization_request", InvalidRequest),
    /// The authorization request asks for a `response_type` other than `code`.
    UnsupportedResponseType => ("unsupported_response_type", unsupported_response_type()),
    /// The client is not allowed (for example unregistered where registration is required).
    InvalidClient => ("invalid_client", InvalidClient),
    /// The client may not use this flow.
    UnauthorizedClient => ("unauthorized_client", UnauthorizedClient),
    /// The authorization request must be pushed first (RFC 9126 §4).
    ParRequired => ("par_required", InvalidRequest),
    /// The `client_id` differs from the client that pushed the request (RFC 9126 §4).
    ParClientMismatch => ("par_client_mismatch", InvalidRequest),
    /// The `issuer_state` is not one of this issuer's offers.
    IssuerStateUnknown => ("issuer_state_unknown", InvalidRequest),
    /// The offer of this `issuer_state` has expired.
    OfferExpired => ("offer_expired", InvalidRequest),
    /// The offer of this `issuer_state` already went past its authorization request.
    OfferUsed => ("offer_used", InvalidRequest),
    /// The request names no credential (neither `scope` nor `authorization_details`).
    NoCredentialRequested => ("no_credential_requested", InvalidRequest),
    /// The `request_uri` is unknown, expired away or already used.
    RequestUriUnknown => ("request_uri_unknown", invalid_request_uri()),
    /// The `request_uri` was already used (one-time use, RFC 9126 §2.2).
    RequestUriUsed => ("request_uri_used", invalid_request_uri()),
    /// The `request_uri` has expired.
    RequestUriExpired => ("request_uri_expired", invalid_request_uri()),
    /// The login form's token is wrong (a forged or stale form).
    LoginFormForged => ("login_form_forged", InvalidRequest),
    /// The login page has expired.
    LoginExpired => ("login_expired", InvalidRequest),
    /// The user already decided this authorization request.
    AlreadyDecided => ("already_decided", InvalidRequest),

    // --- Access tokens (Section 8.3.1.1) -------------------------------------------------
    /// No access token was presented.
    AccessTokenMissing => ("access_token_missing", InvalidToken),
    /// The access token was sent with the wrong scheme, or malformed.
    AccessTokenMalformed => ("access_token_malformed", InvalidToken),
    /// The access token is unknown.
    AccessTokenUnknown => ("access_token_unknown", InvalidToken),
    /// The access token has expired.
    AccessTokenExpired => ("access_token_expired", InvalidToken),
    /// The access token was revoked (its authorization code was redeemed twice).
    AccessTokenRevoked => ("access_token_revoked", InvalidToken),
    /// The external authorization server's access token was refused.
    AccessTokenRefused => ("access_token_refused", InvalidToken),
    /// The session of a valid access token no longer exists (swept meanwhile).
    SessionGone => ("session_gone", InvalidToken),
    /// The access token does not grant what was asked.
    InsufficientScope => ("insufficient_scope", InsufficientScope),

    // --- The credential, deferred and notification endpoints ------------------------------
    /// The credential configuration is unknown (Section 8.3.1.2).
    UnknownCredentialConfiguration => ("unknown_credential_configuration", UnknownCredentialConfiguration),
    /// The credential identifier is unknown (Section 8.3.1.2).
    UnknownCredentialIdentifier => ("unknown_credential_identifier", UnknownCredentialIdentifier),
    /// The request has no `proofs` although the credential requires them.
    ProofMissing => ("proof_missing", InvalidProof),
    /// The proof type is not supported for this credential.
    ProofTypeUnsupported => ("proof_type_unsupported", InvalidProof),
    /// A key proof was refused (the refusal carries the proof's diagnostic).
    ProofInvalid => ("proof_invalid", InvalidProof),
    /// A key proof's `c_nonce` is missing, invalid or expired.
    ProofNonceInvalid => ("proof_nonce_invalid", InvalidNonce),
    /// A key proof's `c_nonce` was already used.
    ProofNonceReplayed => ("proof_nonce_replayed", InvalidNonce),
    /// The issuer requires an encrypted request and got a plain one.
    RequestEncryptionRequired => ("request_encryption_required", InvalidEncryptionParameters),
    /// The issuer does not accept encrypted requests.
    RequestEncryptionUnsupported => ("request_encryption_unsupported", InvalidEncryptionParameters),
    /// The encrypted request could not be opened.
    RequestUndecryptable => ("request_undecryptable", InvalidEncryptionParameters),
    /// The issuer requires encrypted responses and the request asks for none.
    ResponseEncryptionRequired => ("response_encryption_required", InvalidEncryptionParameters),
    /// The issuer does not encrypt responses.
    ResponseEncryptionUnsupported => ("response_encryption_unsupported", InvalidEncryptionParameters),
    /// The request's `credential_response_encryption` is unusable.
    ResponseEncryptionInvalid => ("response_encryption_invalid", InvalidEncryptionParameters),
    /// The credential could not be issued (the minter refused, or the configuration is gone).
    CredentialDenied => ("credential_denied", CredentialRequestDenied),
    /// No free status-list entry was found.
    StatusListFull => ("status_list_full", CredentialRequestDenied),
    /// The `transaction_id` is unknown or already used (Section 9.3).
    TransactionIdUnknown => ("transaction_id_unknown", InvalidTransactionId),
    /// The `notification_id` is unknown (Section 11.3).
    NotificationIdUnknown => ("notification_id_unknown", InvalidNotificationId),
    /// The credential offer is unknown or expired.
    OfferUnknown => ("offer_unknown", InvalidRequest),
    /// The operator's claims do not fit the session (an operator refusal).
    ClaimsRefused => ("claims_refused", InvalidRequest),

    // --- The issuer itself ---------------------------------------------------------------
    /// The session kept changing under the request.
    Busy => ("busy", TemporarilyUnavailable),
    /// The store is temporarily unavailable; nothing was written.
    StoreUnavailable => ("store_unavailable", ServerError),
    /// The store failed.
    StoreFailed => ("store_failed", ServerError),
    /// The issuer failed in a way that is not the wallet's doing (encoding, sealing, signing).
    Internal => ("internal", ServerError),
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

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

    /// An outage: the request may be retried after `seconds` (nothing was written).
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

impl Cause {
    /// The cause of a malformed message, by the error code its parser gives.
    pub fn malformed(code: &ErrorCode) -> Cause {
        match code {
            ErrorCode::InvalidCredentialRequest => Cause::MalformedCredentialRequest,
            ErrorCode::InvalidNotificationRequest => Cause::MalformedNotification,
            ErrorCode::InvalidAuthorizationDetails => Cause::InvalidAuthorizationDetails,
            ErrorCode::InvalidScope => Cause::InvalidScope,
            ErrorCode::InvalidProof => Cause::ProofInvalid,
            ErrorCode::InvalidEncryptionParameters => Cause::ResponseEncryptionInvalid,
            ErrorCode::InvalidTransactionId => Cause::TransactionIdUnknown,
            ErrorCode::UnsupportedGrantType => Cause::UnsupportedGrantType,
            _ => Cause::MalformedRequest,
        }
    }

    /// The cause of a refusal by an authorization rule (`oid4vci-authorization`), by its code.
    pub fn of_authorization_rule(code: &ErrorCode) -> Cause {
        match code {
            ErrorCode::InvalidScope => Cause::InvalidScope,
            ErrorCode::InvalidAuthorizationDetails => Cause::InvalidAuthorizationDetails,
            ErrorCode::InvalidClient => Cause::InvalidClient,
            ErrorCode::UnauthorizedClient => Cause::UnauthorizedClient,
            ErrorCode::InvalidDpopProof => Cause::DpopKeyMismatch,
            ErrorCode::InvalidGrant => Cause::CodeVerifierMismatch,
            ErrorCode::Other(other) if other == "unsupported_response_type" => {
                Cause::UnsupportedResponseType
            }
            _ => Cause::InvalidAuthorizationRequest,
        }
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
