//! [`Cause`]: every reason the issuer refuses a request, with its stable code and the wire
//! error code the wallet receives.

use oid4vci_types::ErrorCode;
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

/// `use_attestation_challenge` (OAuth attestation-based client authentication), an extension
/// code outside [`ErrorCode`]'s set.
fn use_attestation_challenge() -> ErrorCode {
    ErrorCode::Other("use_attestation_challenge".into())
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
    /// The token request of a public client has no `client_id` (RFC 6749 §4.1.3).
    ClientIdMissing => ("client_id_missing", InvalidRequest),
    /// The code was issued to another client, or the attestation names another client.
    ClientMismatch => ("client_mismatch", InvalidGrant),
    /// `redirect_uri` is missing or differs from the authorization request's (RFC 6749 §4.1.3).
    RedirectUriMismatch => ("redirect_uri_mismatch", InvalidGrant),
    /// The refresh token is unknown.
    RefreshTokenUnknown => ("refresh_token_unknown", InvalidGrant),
    /// The refresh token family has expired.
    RefreshTokenExpired => ("refresh_token_expired", InvalidGrant),
    /// A rotated-out refresh token was presented again: its family is now revoked.
    RefreshTokenReused => ("refresh_token_reused", InvalidGrant),
    /// The refresh token was revoked (its family was replayed, or its code redeemed twice).
    RefreshTokenRevoked => ("refresh_token_revoked", InvalidGrant),
    /// `code_verifier` is missing (RFC 7636 §4.5).
    CodeVerifierMissing => ("code_verifier_missing", InvalidGrant),
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
    /// The wallet attestation PoP lacks a current server-provided `challenge` (attestation-based
    /// client authentication): `use_attestation_challenge`, with a fresh one.
    AttestationChallengeRequired => ("attestation_challenge_required", use_attestation_challenge()),
    /// A DPoP proof is required and none was sent.
    DpopProofMissing => ("dpop_proof_missing", InvalidDpopProof),
    /// The DPoP proof is invalid (RFC 9449 §4.3).
    DpopProofInvalid => ("dpop_proof_invalid", InvalidDpopProof),
    /// The DPoP proof (its `jti`) was already used.
    DpopProofReplayed => ("dpop_proof_replayed", InvalidDpopProof),
    /// The DPoP proof is signed by another key than the one the token is bound to.
    DpopKeyMismatch => ("dpop_key_mismatch", InvalidDpopProof),
    /// The server requires a DPoP nonce and the proof has none, or a stale or foreign one
    /// (RFC 9449 §8, §9); the refusal carries a fresh one.
    DpopNonceRequired => ("dpop_nonce_required", UseDpopNonce),

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
    /// Too many pushed authorization requests from one client address (RFC 9126 Section 2.3):
    /// answered `429` with `Retry-After`.
    ParRateLimited => ("par_rate_limited", InvalidRequest),
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
