//! Request bodies as the issuer receives them. Every wallet endpoint takes its body here, as
//! the bytes that arrived (the issuer parses them, with the spec's rules and size limits, and
//! decrypts an encrypted credential request) or as a message the embedder already holds (a
//! test, a wallet in the same process). Either way there is one entry point per endpoint.

use oid4vci_types::{
    CredentialRequest, DeferredCredentialRequest, NotificationRequest, TokenRequest,
};

/// A Token Request body (Section 6.1).
#[derive(Clone, Debug)]
pub enum TokenBody<'a> {
    /// `application/x-www-form-urlencoded`, as it arrived.
    Form(&'a [u8]),
    /// An already parsed request.
    Parsed(TokenRequest),
}

impl From<TokenRequest> for TokenBody<'_> {
    fn from(request: TokenRequest) -> Self {
        TokenBody::Parsed(request)
    }
}

/// A Credential Request (Section 8.2) or Deferred Credential Request (Section 9.1) body.
#[derive(Clone, Debug)]
pub enum CredentialBody<'a, T = CredentialRequest> {
    /// `application/json`, as it arrived.
    Json(&'a [u8]),
    /// `application/jwt`: a compact JWE encrypted to a key of `credential_request_encryption`
    /// (Section 10), as it arrived.
    Jwe(&'a [u8]),
    /// An already parsed request, treated as one that came in the clear.
    Parsed(T),
}

impl From<CredentialRequest> for CredentialBody<'_> {
    fn from(request: CredentialRequest) -> Self {
        CredentialBody::Parsed(request)
    }
}

impl From<DeferredCredentialRequest> for CredentialBody<'_, DeferredCredentialRequest> {
    fn from(request: DeferredCredentialRequest) -> Self {
        CredentialBody::Parsed(request)
    }
}

/// A Notification Request body (Section 11.1).
#[derive(Clone, Debug)]
pub enum NotificationBody<'a> {
    /// `application/json`, as it arrived.
    Json(&'a [u8]),
    /// An already parsed request.
    Parsed(NotificationRequest),
}

impl From<NotificationRequest> for NotificationBody<'_> {
    fn from(request: NotificationRequest) -> Self {
        NotificationBody::Parsed(request)
    }
}
