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
    /// The current time. Credentials carry [`issuance_time`](Self::issuance_time) and
    /// [`rounded_expiry`], not this precise value.
    pub now: UnixTime,
}

/// The granularity of time claims in credentials (one hour).
pub const TIME_CLAIM_GRANULARITY: u64 = 3600;

/// The issuance time to write into a credential (`iat`, an MSO's `signed`/`validFrom`): `now`
/// rounded down to the hour. RFC 9901 §10.1: a precise timestamp shared by the credentials of a
/// batch (or of one dataset issued minutes apart) lets verifiers link them; rounded, every
/// credential issued in that hour carries the same value.
pub fn rounded_issuance_time(now: UnixTime) -> UnixTime {
    now - now % TIME_CLAIM_GRANULARITY
}

/// [`rounded_issuance_time`], but never before `not_before` (the issuer certificate's, when it
/// was made within the hour: verifiers check the signing time against the certificate) and
/// never after `now`.
pub fn rounded_issuance_time_within(now: UnixTime, not_before: Option<UnixTime>) -> UnixTime {
    rounded_issuance_time(now)
        .max(not_before.unwrap_or(0))
        .min(now)
}

/// The expiry to write into a credential issued at `issued` (rounded) and valid for `validity`
/// seconds: rounded up to the hour, so it carries no precise issuance time either (an `exp` of
/// `precise_now + ttl` would).
pub fn rounded_expiry(issued: UnixTime, validity: u64) -> UnixTime {
    let exp = issued.saturating_add(validity);
    match exp % TIME_CLAIM_GRANULARITY {
        0 => exp,
        r => exp.saturating_add(TIME_CLAIM_GRANULARITY - r),
    }
}

impl MintRequest<'_> {
    /// [`rounded_issuance_time`] of this request.
    pub fn issuance_time(&self) -> UnixTime {
        rounded_issuance_time(self.now)
    }

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

    /// Checks the operator's `claims` for a configuration when they arrive (offer creation,
    /// claims submission), so a credential that could never be minted is refused there, with
    /// the reason, not at the wallet's credential request. The default accepts everything.
    fn check_claims(
        &self,
        configuration_id: &str,
        configuration: &CredentialConfiguration,
        claims: &Value,
    ) -> Result<(), MintError> {
        let _ = (configuration_id, configuration, claims);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{rounded_expiry, rounded_issuance_time, rounded_issuance_time_within};

    #[test]
    fn time_claims_are_rounded_to_the_hour() {
        // 2026-06-01T10:17:23Z
        let now = 1_780_309_043;
        let issued = rounded_issuance_time(now);
        assert_eq!(issued, 1_780_308_000, "10:00:00");
        assert_eq!(
            rounded_issuance_time(issued),
            issued,
            "idempotent on a boundary"
        );
        assert_eq!(
            rounded_expiry(issued, 365 * 24 * 3600),
            issued + 365 * 24 * 3600
        );
        assert_eq!(
            rounded_expiry(issued, 600),
            issued + 3600,
            "up to the next hour"
        );
        assert_eq!(rounded_expiry(u64::MAX - 10, 600), u64::MAX, "saturates");
    }

    #[test]
    fn the_issuance_time_stays_within_the_certificate() {
        let now = 1_780_309_043; // 10:17:23
        assert_eq!(rounded_issuance_time_within(now, None), 1_780_308_000);
        assert_eq!(
            rounded_issuance_time_within(now, Some(1_780_200_000)),
            1_780_308_000,
            "an older certificate changes nothing"
        );
        assert_eq!(
            rounded_issuance_time_within(now, Some(1_780_308_500)),
            1_780_308_500,
            "a certificate made within the hour: not before it"
        );
        assert_eq!(
            rounded_issuance_time_within(now, Some(now + 100)),
            now,
            "never in the future"
        );
    }
}
