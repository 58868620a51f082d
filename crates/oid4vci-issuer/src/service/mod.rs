//! [`Issuer`]: the service. One method per endpoint; each loads the session, applies one step
//! of the state machine, and stores the result with compare-and-swap through the one commit
//! loop, re-running the whole step on a version conflict.

use crate::clock::{Clock, SystemClock};
use crate::config::{IssuerConfig, OfferSpec};
use crate::error::IssuerError;
use crate::event::{EventKind, EventObserver};
use crate::machine::{self, credential, Step};
use crate::minter::{CredentialMinter, MintError, MintOutcome, MintRequest};
use crate::nonce::ServerKey;
use crate::presented::HttpFacts;
use crate::proof_check::{ProofCheck, ProofCheckInput, StandardProofCheck};
use crate::refusal::{Cause, Refusal};
use crate::secrets::{random_digits, random_token, OsSecretSource, SecretHash, SecretSource};
use crate::session::{
    details, new_events, LookupKind, PreAuthorizedGrantState, Session, SessionState,
};
use crate::store::{SessionStore, StoreError};
use crate::summary::{CredentialStatus, SessionSummary};
use oid4vci_types::{
    AuthorizationServerMetadata, CredentialIssuerMetadata, CredentialOffer, CredentialOfferRequest,
    CredentialRequest, CredentialResponse, DeferredCredentialRequest, ErrorCode, InputMode,
    NonceResponse, NotificationRequest, TokenGrant, TokenRequest, TokenResponse, TxCode,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

/// How many times a step is re-applied after a version conflict before giving up. Among k
/// writers racing on one session each round has one winner, so the last needs k rounds; on a
/// network database (several instances, real parallelism) 50 concurrent requests on one session
/// need more than the 16 an in-process store got by with.
const MAX_CAS_RETRIES: usize = 64;

mod access;
mod authorization;
mod commit;
mod encrypted;
mod external;
mod follow_up;
mod issuance;
mod issuer;
mod login;
mod mint;
mod operator;
mod refresh;
mod status;

pub use authorization::ParResponse;
pub use encrypted::CredentialReply;
pub use issuer::Issuer;
pub use login::{AuthorizationOutcome, CredentialChoice, LoginAction, LoginForm, LoginPage};
pub use operator::OfferCreated;
pub use status::{Revocation, StatusListToken, MAX_REASON_LEN};

type Outcome<T> = Result<T, Refusal>;

/// Seconds a client is asked to wait when the store is temporarily unavailable.
pub const STORE_RETRY_AFTER_SECS: u64 = 2;

/// A store failure as the wallet sees it: `server_error`; when the store is only unavailable
/// (nothing was written) an outage with a retry delay, and without the backend's details.
fn server_error(e: StoreError) -> Refusal {
    match e {
        StoreError::Unavailable(_) => Refusal::new(
            Cause::StoreUnavailable,
            "the issuer's storage is temporarily unavailable; retry later",
        )
        .with_retry_after(STORE_RETRY_AFTER_SECS),
        e => Refusal::new(Cause::StoreFailed, format!("storage failure: {e}")),
    }
}
