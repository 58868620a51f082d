//! # oid4vci-issuer
//!
//! The heart of an OID4VCI 1.0 issuer: one issuance session from offer to notification.
//!
//! - [`Session`] is opaque data (stores keep it whole, index it by its lookup keys and
//!   compare-and-swap on its version); the rules live in the session state machine: one table of which
//!   step each [`SessionState`] admits (below), and pure steps that take a session, the request
//!   and `now`, record an [`Event`], and return the output or a [`Refusal`].
//! - A [`Refusal`] is typed: a [`Cause`] (one per reason, with a stable snake_case code for
//!   logs and events, and the OAuth / OID4VCI error code the wallet receives), the description,
//!   and the key proof's diagnostic where there is one. [`Refusal::to_error_response`] is the one
//!   mapping to the spec's error body; HTTP statuses and headers are the adapter's
//!   (`oid4vci_axum::error_status`).
//! - [`Issuer`] is the service: one method per endpoint (`metadata`, `credential_offer`, `token`,
//!   `nonce`, `credential`, `deferred_credential`, `notification`) and the operator API
//!   (`create_offer`, `inspect`, `submit_claims`). It loads a session, applies one step, and
//!   stores it through one commit loop with compare-and-swap on the session's version; on a
//!   conflict the whole step (the table and its guards) runs again on the fresh session, so a
//!   pre-authorized code is redeemed once, a nonce consumed once, and a concurrent revocation
//!   never undone.
//! - Ports, each small: [`SessionStore`] (with [`MemoryStore`] here, a contract suite in
//!   `oid4vci-issuer-testkit`, and [`stored`] for stores that keep a session as JSON beside
//!   its version and expiry columns), [`Clock`], [`SecretSource`], [`CredentialMinter`]
//!   (`SdJwtVcMinter` in `oid4vci-sd-jwt`, `MdocMinter` in `oid4vci-mdoc`), [`ProofCheck`]
//!   (with [`StandardProofCheck`] on `oid4vci-proof`).
//! - The authorization-code flow (`Issuer::with_authorization_server`): pushed authorization
//!   requests, a login page model, PKCE-checked code exchange; the rules are in
//!   `oid4vci-authorization`, the states (`authorization_requested` → `authorized` →
//!   `token_issued`) in [`Session`].
//! - Revocation (`Issuer::with_status_lists`): every credential gets a random entry of an IETF
//!   Token Status List ([`status_list`]), kept in a [`StatusListStore`]; `Issuer::revoke` flips
//!   it and logs `credential_revoked`; `Issuer::status_list_token` builds the signed list.
//! - Secrets (codes, tokens, transaction and notification ids) come from the CSPRNG, are stored
//!   only as SHA-256 hashes, compared in constant time and never printed by `Debug`. Nonces are
//!   stateless (HMAC'd timestamps) and consumed once through the store.
//!
//! ```
//! use oid4vci_issuer::{Cause, Issuer, IssuerConfig, MemoryStore, OfferSpec, HttpFacts};
//! use oid4vci_sd_jwt::SdJwtVcMinter;
//! use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata, TokenRequest};
//!
//! # pollster::block_on(async {
//! let mut metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
//! metadata.credential_configurations_supported
//!     .insert("eu.europa.ec.av.1".into(), CredentialConfiguration::sd_jwt_vc("eu.europa.ec.av.1"));
//! let issuer = Issuer::new(IssuerConfig::new(metadata), MemoryStore::new(), SdJwtVcMinter::generate());
//!
//! let created = issuer.create_offer(OfferSpec {
//!     credential_configuration_ids: vec!["eu.europa.ec.av.1".into()],
//!     pre_authorized: true,
//!     claims: Some(serde_json::json!({"age_over_18": true})),
//!     ..OfferSpec::default()
//! }).await?;
//! let code = created.pre_authorized_code().unwrap().clone();
//!
//! let token = issuer.token(TokenRequest::pre_authorized(code.clone(), None), HttpFacts::default()).await.unwrap();
//! assert_eq!(token.token_type, "Bearer");
//! // The code is single-use:
//! // A refusal is typed: a stable cause, and the wire code the wallet receives.
//! let again = issuer.token(TokenRequest::pre_authorized(code, None), HttpFacts::default()).await;
//! let refusal = again.unwrap_err();
//! assert_eq!(refusal.cause(), Cause::PreAuthorizedCodeUsed);
//! assert_eq!(refusal.error_code().as_str(), "invalid_grant");
//!
//! let log = issuer.inspect(&created.session_id).await?.events;
//! assert_eq!(serde_json::to_value(&log[0])?["type"], "offer_created");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! ## Session states
//!
#![doc = include_str!("machine/states.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
pub mod client_attestation;
mod clock;
mod config;
pub mod dpop;
mod encryption;
mod error;
mod event;
mod external_as;
mod machine;
mod minter;
mod nonce;
mod presented;
mod proof_check;
mod proof_evidence;
mod refusal;
mod secrets;
mod service;
mod session;
mod signed_metadata;
mod signing;
pub mod status_list;
mod store;
mod summary;
#[cfg(test)]
mod test_support;

pub use body::{CredentialBody, NotificationBody, TokenBody};
pub use client_attestation::WalletAttestationTrust;
pub use clock::{Clock, ManualClock, SystemClock, UnixTime};
pub use config::{AuthorizationCodeSpec, IssuerConfig, OfferSpec, TxCodeSpec};
pub use encryption::{EncryptionError, MessageEncryption};
pub use error::IssuerError;
pub use event::{Event, EventKind, EventObserver, MAX_EVENTS};
pub use external_as::{
    AccessTokenVerifier, ExternalGrant, JwksError, JwtAccessTokenVerifier, TokenRejected,
};
pub use minter::{
    rounded_expiry, rounded_issuance_time, rounded_issuance_time_within, CredentialMinter,
    MintError, MintOutcome, MintRequest, TIME_CLAIM_GRANULARITY,
};
pub use nonce::ServerKey;
/// The backend-neutral issuer/holder signing key (re-exported from `oid4vci_proof::crypto`).
pub use oid4vci_proof::crypto::SigningKey;
pub use presented::{AccessToken, HttpFacts, Presented, TokenScheme};
pub use proof_check::{
    refusal_from, CheckedProofs, ProofCapabilities, ProofCheck, ProofCheckInput, StandardProofCheck,
};
pub use proof_evidence::{describe_jwt, REDACTED};
pub use refusal::{Cause, ProofFailure, Refusal};
pub use secrets::{random_token, OsSecretSource, SecretHash, SecretSource};
pub use service::{
    AuthorizationOutcome, CredentialChoice, CredentialReply, Issuer, LoginAction, LoginForm,
    LoginPage, OfferCreated, ParResponse, Revocation, StatusListToken, MAX_REASON_LEN,
    STORE_RETRY_AFTER_SECS,
};
/// The parts of a [`Session`], public with the `testkit` feature (for contract suites).
#[cfg(feature = "testkit")]
pub use session::{
    AccessGrant, AuthorizationState, AuthorizationStep, DeferredIssuance, GrantedCredential,
    PreAuthorizedGrantState,
};
pub use session::{LookupKind, Session, SessionFlags, SessionState};
pub use signing::{
    IssuerKey, IssuerKeys, IssuerSigner, KeyRing, KeyRingError, MetadataSigner, Signing,
    SigningError,
};
pub use status_list::{StatusListConfig, StatusReference};
pub use store::stored;
pub use store::{
    Commit, GrantKind, MemoryStore, SessionQuery, SessionStore, SessionWrite, StatusEntry,
    StatusListStore, StoreError, MAX_LISTED_SESSIONS,
};
pub use summary::{CredentialStatus, GrantsSummary, SessionListing, SessionSummary};
