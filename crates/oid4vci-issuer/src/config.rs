//! [`IssuerConfig`] and the operator's [`OfferSpec`].

use crate::error::IssuerError;
use crate::session::SessionFlags;
use oid4vci_types::{CredentialIssuerMetadata, InputMode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::ops::RangeInclusive;

/// How the issuer behaves. Lifetimes are in seconds.
#[derive(Clone, Debug)]
pub struct IssuerConfig {
    /// The metadata served at `/.well-known/openid-credential-issuer`; its `credential_issuer` is
    /// the audience proofs must name.
    pub metadata: CredentialIssuerMetadata,
    /// How long an offer and its pre-authorized code stay valid (default 10 minutes).
    pub offer_ttl: u64,
    /// How long a session is kept before it may be swept (default 24 hours).
    pub session_ttl: u64,
    /// Access token lifetime (default 5 minutes; Section 13.10 forbids longer bearer tokens).
    pub access_token_ttl: u64,
    /// `c_nonce` lifetime (default 5 minutes).
    pub nonce_ttl: u64,
    /// Wrong transaction codes allowed before the pre-authorized code is invalidated (default 5).
    pub max_tx_attempts: u32,
    /// Transaction code lengths an offer may ask for (default 4 to 32 characters; a shorter
    /// code is guessed too easily within the attempts allowed, Section 13.6.3).
    pub tx_code_lengths: RangeInclusive<u32>,
    /// `max_attempts` values an offer may ask for (default 1 to 10).
    pub tx_code_attempts: RangeInclusive<u32>,
    /// `interval` of deferred responses (default 5 seconds).
    pub deferred_interval: u64,
    /// Put a `c_nonce` in token responses and proof errors for draft-13 wallets (default true).
    pub draft13_c_nonce: bool,
    /// Base URL of offers by reference: `{base}/{offer_id}` (default `{issuer}/credential-offer`).
    pub offer_uri_base: String,
    /// Trusted wallet providers for wallet attestation (Appendix E); `None` disables it.
    pub wallet_attestation: Option<crate::client_attestation::WalletAttestationTrust>,
    /// Largest credential a minter may hand back, in bytes of its JSON form (default 1 MiB):
    /// a misbehaving minter's oversized output is refused (`credential_request_denied`, the
    /// reason in the log) instead of being stored or sent.
    pub max_credential_bytes: usize,
    /// Require server-provided DPoP nonces (RFC 9449 §8, §9) at the token, PAR, credential,
    /// deferred credential and notification endpoints, each valid this many seconds; `None`
    /// (the default) requires none. Nonces are stateless (MACed with the server key), so every
    /// instance sharing the key accepts them.
    pub dpop_nonce_ttl: Option<u64>,
    /// Require server-provided challenges in wallet attestation PoPs (OAuth attestation-based
    /// client authentication: the PoP's `challenge` claim), each valid this many seconds;
    /// `None` (the default) requires none. Wallets get one from the challenge endpoint or the
    /// `OAuth-Client-Attestation-Challenge` response header. Stateless, like DPoP nonces.
    pub attestation_challenge_ttl: Option<u64>,
    /// Every access token must be DPoP-bound (HAIP; FAPI 2.0 sender-constrained tokens): a
    /// token request without a DPoP proof is refused, whatever the offer says (default false;
    /// an offer can still ask for it with `dpop_required`).
    pub require_dpop: bool,
    /// Every client authenticates with a wallet attestation at PAR and at the token endpoint
    /// (HAIP 4.4.1); default false (an offer can still ask for it with
    /// `require_wallet_attestation`).
    pub require_wallet_attestation: bool,
    /// Refuse an authorization code redeemed without `client_id` by a client that did not
    /// authenticate with a wallet attestation (RFC 6749 §4.1.3 makes it REQUIRED for public
    /// clients). Default false: an independent wallet library our interop suite runs omits it,
    /// and PKCE already binds the code to the client that asked for it.
    pub require_client_id: bool,
    /// Issue refresh tokens (RFC 6749 §6) with the access tokens of the authorization-code grant,
    /// the family valid this many seconds; `None` (the default) issues none. Refresh tokens are
    /// rotated on every use, bound to the DPoP key of the token request when there was one, and
    /// a replayed one revokes the family (RFC 9700 §4.14).
    pub refresh_token_ttl: Option<u64>,
    /// Also issue refresh tokens with the pre-authorized code grant (default false).
    pub refresh_for_pre_authorized: bool,
    /// How offer URIs start: `openid-credential-offer://` (the default), `haip://` (HAIP's
    /// custom scheme), or a wallet's `credential_offer_endpoint` (an https URL).
    pub offer_scheme: String,
}

impl IssuerConfig {
    /// Defaults for `metadata`.
    pub fn new(metadata: CredentialIssuerMetadata) -> Self {
        let offer_uri_base = format!(
            "{}/credential-offer",
            metadata.credential_issuer.trim_end_matches('/')
        );
        IssuerConfig {
            metadata,
            offer_ttl: 600,
            session_ttl: 24 * 3600,
            access_token_ttl: 300,
            nonce_ttl: 300,
            max_tx_attempts: 5,
            tx_code_lengths: 4..=32,
            tx_code_attempts: 1..=10,
            deferred_interval: 5,
            draft13_c_nonce: true,
            offer_uri_base,
            wallet_attestation: None,
            max_credential_bytes: 1 << 20,
            dpop_nonce_ttl: None,
            attestation_challenge_ttl: None,
            require_dpop: false,
            require_wallet_attestation: false,
            require_client_id: false,
            refresh_token_ttl: None,
            refresh_for_pre_authorized: false,
            offer_scheme: oid4vci_types::CREDENTIAL_OFFER_SCHEME.to_owned(),
        }
    }
}

/// A transaction code the wallet must send with the pre-authorized code (Section 4.1.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxCodeSpec {
    /// Number of characters (default 6; within [`IssuerConfig::tx_code_lengths`]).
    #[serde(default)]
    pub length: Option<u32>,
    /// `numeric` (default) or `text`.
    #[serde(default)]
    pub input_mode: Option<InputMode>,
    /// Shown to the user by the wallet (at most 300 characters).
    #[serde(default)]
    pub description: Option<String>,
    /// Wrong attempts allowed (default: the issuer's `max_tx_attempts`; within
    /// [`IssuerConfig::tx_code_attempts`]).
    #[serde(default)]
    pub max_attempts: Option<u32>,
}

impl TxCodeSpec {
    /// The length to generate: `length`, or 6 (at least the configured minimum) when absent.
    /// Refuses a length or `max_attempts` outside the configured ranges, naming the range.
    pub fn checked(&self, config: &IssuerConfig) -> Result<(u32, u32), IssuerError> {
        let lengths = &config.tx_code_lengths;
        let length = self.length.unwrap_or_else(|| 6.max(*lengths.start()));
        if !lengths.contains(&length) {
            return Err(IssuerError::InvalidOffer(format!(
                "tx_code.length must be between {} and {} (was {length})",
                lengths.start(),
                lengths.end()
            )));
        }
        let attempts = &config.tx_code_attempts;
        let max_attempts = self.max_attempts.unwrap_or(config.max_tx_attempts);
        if !attempts.contains(&max_attempts) {
            return Err(IssuerError::InvalidOffer(format!(
                "tx_code.max_attempts must be between {} and {} (was {max_attempts})",
                attempts.start(),
                attempts.end()
            )));
        }
        Ok((length, max_attempts))
    }
}

/// What an operator asks for when creating an offer. `OfferSpec::default()` offers the
/// pre-authorized code grant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfferSpec {
    /// Configurations to offer (keys of the metadata's `credential_configurations_supported`).
    pub credential_configuration_ids: Vec<String>,
    /// Offer the pre-authorized code grant (default true).
    #[serde(default = "yes")]
    pub pre_authorized: bool,
    /// Require a transaction code.
    #[serde(default)]
    pub tx_code: Option<TxCodeSpec>,
    /// Offer the authorization code grant with this `issuer_state` (Section 5.1.3).
    #[serde(default)]
    pub authorization_code: Option<AuthorizationCodeSpec>,
    /// Claims for every offered configuration; `None` defers issuance until claims are submitted.
    #[serde(default)]
    pub claims: Option<Value>,
    /// The subject the claims describe.
    #[serde(default)]
    pub subject_id: Option<String>,
    /// Flags.
    #[serde(default, flatten)]
    pub flags: SessionFlags,
    /// Offer lifetime override in seconds.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// The authorization code grant of an offer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCodeSpec {
    /// The `issuer_state` to echo; generated when absent.
    #[serde(default)]
    pub issuer_state: Option<String>,
}

fn yes() -> bool {
    true
}

impl Default for OfferSpec {
    fn default() -> Self {
        OfferSpec {
            credential_configuration_ids: Vec::new(),
            pre_authorized: true,
            tx_code: None,
            authorization_code: None,
            claims: None,
            subject_id: None,
            flags: SessionFlags::default(),
            expires_in: None,
        }
    }
}
