//! [`CredentialMinter`]: the port that turns claims and holder keys into credentials.

use crate::clock::UnixTime;
use oid4vci_types::CredentialConfiguration;
use serde_json::Value;
use std::future::Future;

/// What to mint.
#[derive(Debug)]
pub struct MintRequest<'a> {
    /// The Credential Issuer Identifier (`iss`).
    pub issuer: &'a str,
    /// The configuration id.
    pub configuration_id: &'a str,
    /// The configuration from the issuer metadata.
    pub configuration: &'a CredentialConfiguration,
    /// The claims to put in the credential.
    pub claims: &'a Value,
    /// Holder public keys (JWKs), one credential per key; empty when no binding is required.
    pub holder_keys: &'a [Value],
    /// Status-list entries, one per credential in the order of the holder keys (one when there
    /// are none); empty when the issuer keeps no status lists. Minters put each in its
    /// credential (`status` claim of an SD-JWT VC, `status` of an mdoc MSO).
    pub statuses: &'a [crate::status_list::StatusReference],
    /// The operator's subject identifier, if any.
    pub subject_id: Option<&'a str>,
    /// Issuance time.
    pub now: UnixTime,
}

impl MintRequest<'_> {
    /// The status-list entry of credential `i` (`None` when the issuer keeps no status lists).
    /// Fails when the issuer's entries do not match the `credentials` the minter will issue:
    /// each credential needs its own entry.
    pub fn status(
        &self,
        i: usize,
        credentials: usize,
    ) -> Result<Option<&crate::status_list::StatusReference>, MintError> {
        if !self.statuses.is_empty() && self.statuses.len() != credentials {
            return Err(MintError(format!(
                "{} status-list entries for {credentials} credentials",
                self.statuses.len()
            )));
        }
        Ok(self.statuses.get(i))
    }
}

/// What the minter did.
#[derive(Clone, Debug, PartialEq)]
pub enum MintOutcome {
    /// The credentials, in the order of the holder keys.
    Issued(Vec<Value>),
    /// Not now: the issuer answers with a `transaction_id` and asks again on the deferred endpoint.
    Pending,
}

/// Minting failed; the wallet gets `credential_request_denied`, the operator the message.
#[derive(Debug, thiserror::Error)]
#[error("credential minting failed: {0}")]
pub struct MintError(pub String);

/// Issues credentials.
pub trait CredentialMinter: Send + Sync + 'static {
    /// Mints credentials for `request`.
    fn mint<'a>(
        &'a self,
        request: MintRequest<'a>,
    ) -> impl Future<Output = Result<MintOutcome, MintError>> + Send + 'a;
}
