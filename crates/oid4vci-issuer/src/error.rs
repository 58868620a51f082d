//! [`IssuerError`]: failures of the operator API. Wallet endpoints refuse with a
//! [`Refusal`](crate::Refusal) instead.

use crate::signing::SigningError;
use crate::store::StoreError;

/// Why an operator call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// No session with that id.
    #[error("no such session")]
    NotFound,
    /// The offer spec names a configuration the metadata lacks.
    #[error("unknown credential configuration `{0}`")]
    UnknownConfiguration(String),
    /// The offer spec breaks a rule.
    #[error("invalid offer: {0}")]
    InvalidOffer(String),
    /// Submitted claims were refused.
    #[error("invalid claims: {0}")]
    InvalidClaims(String),
    /// A feature the offer asked for is not implemented.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The issuer's configuration is inconsistent (for example status-list sizes).
    #[error("invalid configuration: {0}")]
    InvalidConfiguration(String),
    /// A revocation request breaks a rule (for example an overlong reason).
    #[error("invalid revocation: {0}")]
    InvalidRevocation(String),
    /// The session has no credential with that status-list entry.
    #[error("unknown credential: {0}")]
    UnknownCredential(String),
    /// The issuer key could not sign (the metadata, a status list token).
    #[error("signing failed: {0}")]
    Signing(#[from] SigningError),
    /// The session kept changing under us.
    #[error("the session is busy; retry")]
    Contention,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
