//! [`Event`]: one entry of a session's log, for every step and every rejection.

use crate::clock::UnixTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most events kept per session; beyond it the oldest events after the first (`offer_created`)
/// are dropped (and counted), so a wallet hammering an endpoint cannot grow a session without
/// bound.
pub const MAX_EVENTS: usize = 256;

/// What happened. Serialised as the snake_case `type` of the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// An operator created the offer.
    OfferCreated,
    /// A wallet fetched the offer by reference.
    OfferRetrieved,
    /// The token endpoint issued an access token (details: grant type, granted configurations).
    TokenExchanged,
    /// The token endpoint refused a request (details: error code, reason).
    TokenRejected,
    /// A `c_nonce` was handed out with the token response (draft-13 wallets).
    NonceIssued,
    /// Credentials were issued (details: configuration, count).
    CredentialIssued,
    /// Issuance was deferred (details: configuration).
    CredentialDeferred,
    /// A credential request was refused before proof checking (details: error code).
    CredentialRejected,
    /// A key proof was refused (details: error code, the whole diagnostic, and the failing
    /// proof's decoded header and claims with its nonce redacted).
    ProofRejected,
    /// The operator submitted claims for deferred issuance.
    ClaimsSubmitted,
    /// A deferred credential was delivered.
    DeferredCredentialIssued,
    /// A deferred request came before the credential was ready.
    DeferredPending,
    /// A deferred request was refused.
    DeferredRejected,
    /// The wallet sent a notification (details: event).
    NotificationReceived,
    /// A notification named an unknown `notification_id`.
    NotificationRejected,
    /// The session locked itself after too many wrong transaction codes.
    SessionLocked,
    /// A pushed authorization request was accepted (details: client, configurations, redirect).
    ParReceived,
    /// A pushed authorization request bound to this offer was refused (details: error).
    ParRejected,
    /// Another client presented this offer's `issuer_state` after the offer's first
    /// authorization request; its authorization runs in a session of its own (details: that
    /// session's id, the client).
    OfferReused,
    /// The login and consent page was served for a `request_uri` (which is then used up).
    AuthorizationRequested,
    /// An authorization request or login form was refused (reused or expired `request_uri`,
    /// wrong client, bad form token).
    AuthorizationRejected,
    /// A wrong user name or password was entered on the login page.
    LoginFailed,
    /// A sign-in on the login page had to wait: too many recent failures for its account or
    /// from its address (details: `retry_after` seconds). The password was not checked.
    LoginThrottled,
    /// The user approved: an authorization code was issued (details: subject, configurations).
    AuthorizationApproved,
    /// The user denied (or too many wrong passwords): the wallet gets `access_denied`.
    AuthorizationDenied,
    /// An authorization code was exchanged for an access token (details as `token_exchanged`).
    CodeExchanged,
    /// An authorization code was presented again: the tokens it issued are revoked.
    CodeReuseDetected,
    /// A refresh token was exchanged for a new access token and a new refresh token.
    TokenRefreshed,
    /// A rotated-out refresh token was presented again: the token family is revoked.
    RefreshTokenReuseDetected,
    /// The operator revoked credentials of the session (details: the status-list entries, the
    /// reason).
    CredentialRevoked,
    /// A JWT access token of an external authorization server was accepted (it starts the
    /// session; details: authorization server, client, configurations).
    ExternalTokenAccepted,
}

impl EventKind {
    /// The snake_case `type` the log, metrics and pages show (`offer_created`, …).
    pub fn name(self) -> String {
        match serde_json::to_value(self) {
            Ok(Value::String(name)) => name,
            _ => String::new(),
        }
    }
}

/// One entry of the event log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// When, in seconds since the Unix epoch.
    pub timestamp: UnixTime,
    /// Step-specific facts (never secrets).
    pub details: Value,
}

/// Sees every event once it is stored: the hook for logs and metrics. Called after the store
/// accepted the change, so observers never see an event that was lost to a version conflict.
pub trait EventObserver: Send + Sync + 'static {
    /// One stored event of session `session_id`.
    fn observe(&self, session_id: &str, event: &Event);
}
