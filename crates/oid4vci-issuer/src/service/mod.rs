//! [`Issuer`]: the service. One method per endpoint; each loads the session, applies one step
//! of the state machine, and stores the result with compare-and-swap through the one commit
//! loop, re-running the whole step on a version conflict.

use crate::clock::{Clock, SystemClock};
use crate::config::{IssuerConfig, OfferSpec};
use crate::error::IssuerError;
use crate::event::{EventKind, EventObserver};
use crate::machine::{self, credential, reject, Step};
use crate::minter::{CredentialMinter, MintError, MintOutcome, MintRequest};
use crate::nonce::ServerKey;
use crate::proof_check::{ProofCheck, ProofCheckInput, StandardProofCheck};
use crate::secrets::{random_digits, random_token, OsSecretSource, SecretHash, SecretSource};
use crate::session::{
    details, new_events, LookupKind, PreAuthorizedGrantState, Session, SessionState,
};
use crate::store::{SessionStore, StoreError};
use crate::summary::{CredentialStatus, SessionSummary};
use oid4vci_types::{
    AuthorizationServerMetadata, CredentialIssuerMetadata, CredentialOffer, CredentialOfferRequest,
    CredentialRequest, CredentialResponse, DeferredCredentialRequest, ErrorCode, ErrorResponse,
    InputMode, NonceResponse, NotificationRequest, TokenGrant, TokenRequest, TokenResponse, TxCode,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

/// How many times a step is re-applied after a version conflict before giving up. Among k
/// writers racing on one session each round has one winner, so the last needs k rounds; on a
/// network database (several instances, real parallelism) 50 concurrent requests on one session
/// need more than the 16 an in-process store got by with.
const MAX_CAS_RETRIES: usize = 64;

/// The HTTP facts an endpoint needs besides the body.
#[derive(Clone, Debug, Default)]
pub struct HttpFacts {
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `DPoP` header.
    pub dpop: Option<String>,
    /// The `OAuth-Client-Attestation` header (wallet attestation, Appendix E).
    pub client_attestation: Option<String>,
    /// The `OAuth-Client-Attestation-PoP` header.
    pub client_attestation_pop: Option<String>,
    /// Which spec version the credential request body was written against (see
    /// [`CredentialRequest::from_json_with_form`](oid4vci_types::CredentialRequest::from_json_with_form)).
    /// Draft-13 wallets also get a singular `credential` and a fresh `c_nonce` in the response.
    pub request_form: oid4vci_types::RequestForm,
}

impl HttpFacts {
    /// Facts with a `Bearer` token.
    pub fn bearer(token: &str) -> Self {
        HttpFacts {
            authorization: Some(format!("Bearer {token}")),
            ..HttpFacts::default()
        }
    }

    /// Facts with a DPoP-bound token and its DPoP proof.
    pub fn dpop(token: &str, proof: &str) -> Self {
        HttpFacts {
            authorization: Some(format!("DPoP {token}")),
            dpop: Some(proof.to_owned()),
            ..HttpFacts::default()
        }
    }

    /// The access token and whether it was sent with the `DPoP` scheme (else `Bearer`).
    fn access_token(&self) -> Result<(&str, bool), ErrorResponse> {
        let header = self.authorization.as_deref().ok_or_else(|| {
            reject(
                ErrorCode::InvalidToken,
                "missing Authorization header with a Bearer (or DPoP) access token",
            )
        })?;
        let (scheme, token) = header.trim().split_once(' ').unwrap_or((header, ""));
        let dpop = if scheme.eq_ignore_ascii_case("bearer") {
            false
        } else if scheme.eq_ignore_ascii_case("dpop") {
            true
        } else {
            return Err(reject(
                ErrorCode::InvalidToken,
                "the access token must be sent with the Bearer or DPoP scheme",
            ));
        };
        let token = token.trim();
        if token.is_empty() || token.len() > crate::external_as::MAX_TOKEN_LEN {
            return Err(reject(ErrorCode::InvalidToken, "malformed access token"));
        }
        Ok((token, dpop))
    }
}

mod access;
mod authorization;
mod encrypted;
mod external;
mod issuance;
mod operator;
mod status;

pub use authorization::{
    AuthorizationOutcome, CredentialChoice, LoginAction, LoginForm, LoginPage, ParResponse,
};
pub use encrypted::{CredentialBody, CredentialReply};
pub use operator::OfferCreated;
pub use status::{Revocation, StatusListToken, MAX_REASON_LEN};

/// An OID4VCI issuer over a [`SessionStore`] and a [`CredentialMinter`].
pub struct Issuer<S, M> {
    config: IssuerConfig,
    store: S,
    minter: M,
    proofs: Box<dyn ProofCheck>,
    clock: Arc<dyn Clock>,
    secrets: Arc<dyn SecretSource>,
    key: ServerKey,
    observer: Option<Arc<dyn EventObserver>>,
    authorization: Option<authorization::AuthorizationServer>,
    external: Option<external::ExternalAuthorization>,
    encryption: Option<Arc<dyn crate::encryption::MessageEncryption>>,
    metadata_signer: Option<(Arc<dyn crate::signed_metadata::MetadataSigner>, u64)>,
    status_lists: Option<Arc<status::StatusLists>>,
}

impl<S, M> std::fmt::Debug for Issuer<S, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("credential_issuer", &self.config.metadata.credential_issuer)
            .finish_non_exhaustive()
    }
}

type Outcome<T> = Result<T, ErrorResponse>;

/// Seconds a client is asked to wait when the store is temporarily unavailable.
pub(crate) const STORE_RETRY_AFTER_SECS: u64 = 2;

/// A store failure as the wallet sees it: `server_error`; when the store is only unavailable
/// (nothing was written) with HTTP 503 and `Retry-After`, and without the backend's details.
fn server_error(e: StoreError) -> ErrorResponse {
    match e {
        StoreError::Unavailable(_) => reject(
            ErrorCode::ServerError,
            "the issuer's storage is temporarily unavailable; retry later",
        )
        .with_retry_after(STORE_RETRY_AFTER_SECS),
        e => reject(ErrorCode::ServerError, format!("storage failure: {e}")),
    }
}

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    /// An issuer with the system clock, the OS CSPRNG, a random server key and the standard
    /// proof check.
    pub fn new(config: IssuerConfig, store: S, minter: M) -> Self {
        let secrets: Arc<dyn SecretSource> = Arc::new(OsSecretSource);
        let key = ServerKey::generate(secrets.as_ref(), config.nonce_ttl);
        Issuer {
            config,
            store,
            minter,
            proofs: Box::new(StandardProofCheck::default()),
            clock: Arc::new(SystemClock),
            secrets,
            key,
            observer: None,
            authorization: None,
            external: None,
            encryption: None,
            metadata_signer: None,
            status_lists: None,
        }
    }

    /// Reports every stored event to `observer` (logs, metrics).
    pub fn with_event_observer(mut self, observer: Arc<dyn EventObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    fn observe(&self, before: Option<&Session>, after: &Session) {
        if let Some(observer) = &self.observer {
            for event in new_events(before, after) {
                observer.observe(&after.id, event);
            }
        }
    }

    /// Replaces the clock (tests use [`crate::ManualClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the randomness source.
    pub fn with_secret_source(mut self, secrets: Arc<dyn SecretSource>) -> Self {
        self.secrets = secrets;
        self
    }

    /// Sets the server key (persist its 32 bytes so nonces and offers survive restarts).
    pub fn with_server_key(mut self, key: [u8; 32]) -> Self {
        self.key = ServerKey::new(key, self.config.nonce_ttl);
        self
    }

    /// Accepts encrypted credential requests and encrypts responses on request (Section 10),
    /// and advertises both in the metadata (`credential_request_encryption`,
    /// `credential_response_encryption`).
    pub fn with_encryption(
        mut self,
        encryption: Arc<dyn crate::encryption::MessageEncryption>,
    ) -> Self {
        self.config.metadata.credential_request_encryption = encryption.request_metadata();
        self.config.metadata.credential_response_encryption = encryption.response_metadata();
        self.encryption = Some(encryption);
        self
    }

    /// Signs the metadata (Section 12.2.3) with `signer`, each signature valid for `lifetime`
    /// seconds: [`signed_metadata`](Self::signed_metadata) and the `signed_metadata` member of
    /// [`metadata_document`](Self::metadata_document).
    pub fn with_metadata_signer(
        mut self,
        signer: Arc<dyn crate::signed_metadata::MetadataSigner>,
        lifetime: u64,
    ) -> Self {
        self.metadata_signer = Some((signer, lifetime));
        self
    }

    /// The metadata as a signed JWT (`openidvci-issuer-metadata+jwt`), when a signer is set.
    pub fn signed_metadata(&self) -> Option<Result<String, String>> {
        let (signer, lifetime) = self.metadata_signer.as_ref()?;
        Some(crate::signed_metadata::sign(
            &self.config.metadata,
            signer.as_ref(),
            self.clock.now(),
            *lifetime,
        ))
    }

    /// The metadata document to serve as JSON: [`metadata`](Self::metadata) plus, when a
    /// signer is set, its `signed_metadata` member.
    pub fn metadata_document(&self) -> Result<CredentialIssuerMetadata, String> {
        let mut document = self.config.metadata.clone();
        if let Some(signed) = self.signed_metadata() {
            document
                .extra
                .insert("signed_metadata".into(), Value::String(signed?));
        }
        Ok(document)
    }

    /// Replaces the proof check (for example a [`StandardProofCheck`] with trust anchors).
    /// The metadata is updated to say what the check accepts (see
    /// [`ProofCapabilities::advertise`](crate::proof_check::ProofCapabilities::advertise)).
    pub fn with_proof_check(mut self, check: impl ProofCheck) -> Self {
        check.capabilities().advertise(&mut self.config.metadata);
        self.proofs = Box::new(check);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &IssuerConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The minter.
    pub fn minter(&self) -> &M {
        &self.minter
    }

    fn issuer_id(&self) -> &str {
        &self.config.metadata.credential_issuer
    }

    // ----- metadata -------------------------------------------------------------------------

    /// The Credential Issuer Metadata (Section 12.2).
    pub fn metadata(&self) -> &CredentialIssuerMetadata {
        &self.config.metadata
    }

    /// OAuth authorization server metadata for the built-in token endpoint (Section 12.3).
    pub fn authorization_server_metadata(&self) -> AuthorizationServerMetadata {
        let base = self.issuer_id().trim_end_matches('/');
        let mut metadata = AuthorizationServerMetadata {
            issuer: self.issuer_id().to_owned(),
            token_endpoint: format!("{base}/token"),
            authorization_endpoint: None,
            grant_types_supported: Some(vec![
                oid4vci_types::PRE_AUTHORIZED_CODE_GRANT_TYPE.to_owned()
            ]),
            response_types_supported: None,
            token_endpoint_auth_methods_supported: Some(
                if self.config.wallet_attestation.is_some() {
                    vec!["none".into(), crate::client_attestation::AUTH_METHOD.into()]
                } else {
                    vec!["none".into()]
                },
            ),
            dpop_signing_alg_values_supported: Some(
                crate::dpop::DPOP_ALGS
                    .iter()
                    .map(|a| (*a).to_owned())
                    .collect(),
            ),
            pre_authorized_grant_anonymous_access_supported: Some(true),
            authorization_details_types_supported: Some(vec![
                oid4vci_types::OPENID_CREDENTIAL.to_owned()
            ]),
            extra: Default::default(),
        };
        if self.config.wallet_attestation.is_some() {
            let algs = json!(crate::client_attestation::ATTESTATION_ALGS);
            metadata.extra.insert(
                "client_attestation_signing_alg_values_supported".into(),
                algs.clone(),
            );
            metadata.extra.insert(
                "client_attestation_pop_signing_alg_values_supported".into(),
                algs,
            );
        }
        if self.authorization.is_some() {
            self.add_authorization_endpoints(&mut metadata);
        }
        metadata
    }

    /// The one commit loop. Loads the session (or starts from `loaded`, as the request just
    /// loaded it), applies `step` to a working copy through the state machine, and stores the
    /// copy if the step changed it (compare-and-swap on the version). On a version conflict the
    /// session is loaded again and the whole step re-runs on it, the (state, step) table and
    /// the step's guards included. The step's own refusal is stored too (refusals are logged);
    /// the observer sees the events once the store accepted them. `Ok(None)`: no such session.
    async fn commit<St: Step>(
        &self,
        mut loaded: Option<Session>,
        load: Load<'_>,
        step: &mut St,
        now: u64,
    ) -> Result<Option<Outcome<St::Output>>, CommitFailure> {
        for _ in 0..MAX_CAS_RETRIES {
            let original = match loaded.take() {
                Some(session) => session,
                None => {
                    let found = match load {
                        Load::Lookup(kind, hash) => self.store.find(kind, hash).await,
                        Load::Id(id) => self.store.get(id).await,
                    };
                    match found.map_err(CommitFailure::Store)? {
                        Some(session) => session,
                        None => return Ok(None),
                    }
                }
            };
            let mut working = original.clone();
            let outcome = machine::apply(&mut working, step, now);
            // Most steps log an event: a longer log is a change without comparing the rest.
            let logged = working.events.len() != original.events.len()
                || working.events_dropped != original.events_dropped;
            if !logged && working == original {
                return Ok(Some(outcome));
            }
            working.version = original.version + 1;
            match self.store.update(&working, original.version).await {
                Ok(()) => {
                    self.observe(Some(&original), &working);
                    return Ok(Some(outcome));
                }
                Err(StoreError::VersionConflict) => continue,
                Err(e) => return Err(CommitFailure::Store(e)),
            }
        }
        Err(CommitFailure::Busy)
    }

    /// [`commit`](Self::commit) for a wallet endpoint: a missing session is `not_found()`,
    /// store failures and contention their wire errors.
    async fn step<St: Step>(
        &self,
        loaded: Option<Session>,
        load: Load<'_>,
        not_found: impl FnOnce() -> ErrorResponse,
        step: &mut St,
        now: u64,
    ) -> Outcome<St::Output> {
        match self.commit(loaded, load, step, now).await {
            Ok(Some(outcome)) => outcome,
            Ok(None) => Err(not_found()),
            Err(failure) => Err(failure.into_response()),
        }
    }

    /// Stores a new session (its first events are reported to the observer).
    async fn commit_new(&self, session: &Session) -> Result<(), StoreError> {
        self.store.insert(session).await?;
        self.observe(None, session);
        Ok(())
    }

    /// Logs an event on a session (a vanished session is not an error).
    async fn log(
        &self,
        loaded: Option<Session>,
        session_id: &str,
        mut entry: machine::Log,
        now: u64,
    ) -> Outcome<()> {
        match self
            .commit(loaded, Load::Id(session_id), &mut entry, now)
            .await
        {
            Ok(_) => Ok(()),
            Err(failure) => Err(failure.into_response()),
        }
    }

    /// Logs a refusal on the session and returns it for the wallet.
    async fn refuse(
        &self,
        session: Session,
        kind: EventKind,
        error: ErrorResponse,
        extra: Value,
        now: u64,
    ) -> ErrorResponse {
        let entry = machine::refusal_log(kind, &error, extra);
        let id = session.id.clone();
        match self.log(Some(session), &id, entry, now).await {
            Ok(()) => error,
            Err(store_error) => store_error,
        }
    }

    /// Reserves the credentials' status-list entries (when status lists are on) and mints them;
    /// a minter failure is logged as `kind` and answered `credential_request_denied` (the
    /// minter's message stays in the log). Entries of credentials not issued in the end
    /// (deferred by the minter, or failed) stay reserved and valid: decoys in the list.
    async fn mint(
        &self,
        session: &Session,
        configuration_id: &str,
        claims: &Value,
        holder_keys: &[Value],
        kind: EventKind,
        now: u64,
    ) -> Outcome<(MintOutcome, Vec<crate::status_list::StatusReference>)> {
        let Some(configuration) = self
            .config
            .metadata
            .credential_configurations_supported
            .get(configuration_id)
        else {
            return Err(reject(
                ErrorCode::CredentialRequestDenied,
                "the credential configuration no longer exists",
            ));
        };
        let statuses = self
            .reserve_statuses(&session.id, holder_keys.len().max(1))
            .await?;
        let request = MintRequest {
            issuer: self.issuer_id(),
            configuration_id,
            configuration,
            claims,
            holder_keys,
            statuses: &statuses,
            subject_id: session.subject_id.as_deref(),
            now,
        };
        let minted = self.minter.mint(request).await.and_then(|outcome| {
            check_minted(
                &outcome,
                holder_keys.len(),
                self.config.max_credential_bytes,
            )
            .map(|()| outcome)
        });
        match minted {
            Ok(outcome) => Ok((outcome, statuses)),
            Err(e) => {
                let error = reject(
                    ErrorCode::CredentialRequestDenied,
                    "the credential could not be issued",
                );
                Err(self
                    .refuse(session.clone(), kind, error, json!({"minter": e.0}), now)
                    .await)
            }
        }
    }
}

/// What a minter hands back must be what the issuer can send: at least one credential, at most
/// one per holder key (one without keys), each a string or a JSON object of at most
/// `max_bytes`.
fn check_minted(outcome: &MintOutcome, keys: usize, max_bytes: usize) -> Result<(), MintError> {
    let MintOutcome::Issued(credentials) = outcome else {
        return Ok(());
    };
    let most = keys.max(1);
    if credentials.is_empty() || credentials.len() > most {
        return Err(MintError(format!(
            "the minter returned {} credentials for {keys} holder key(s); expected 1 to {most}",
            credentials.len()
        )));
    }
    for (i, credential) in credentials.iter().enumerate() {
        let size = match credential {
            Value::String(s) => s.len(),
            Value::Object(_) => serde_json::to_vec(credential).map_or(usize::MAX, |v| v.len()),
            _ => {
                return Err(MintError(format!(
                    "credential {i} from the minter is neither a string nor a JSON object"
                )))
            }
        };
        if size > max_bytes {
            return Err(MintError(format!(
                "credential {i} from the minter is {size} bytes, over max_credential_bytes ({max_bytes})"
            )));
        }
    }
    Ok(())
}

/// Why the commit loop stored nothing.
#[derive(Debug)]
enum CommitFailure {
    /// The store failed.
    Store(StoreError),
    /// The session kept changing under us ([`MAX_CAS_RETRIES`] conflicts in a row).
    Busy,
}

impl CommitFailure {
    fn into_response(self) -> ErrorResponse {
        match self {
            CommitFailure::Store(e) => server_error(e),
            CommitFailure::Busy => reject(
                ErrorCode::TemporarilyUnavailable,
                "the session is busy; retry",
            ),
        }
    }
}

impl From<CommitFailure> for IssuerError {
    fn from(failure: CommitFailure) -> Self {
        match failure {
            CommitFailure::Store(e) => IssuerError::Store(e),
            CommitFailure::Busy => IssuerError::Contention,
        }
    }
}

/// How [`Issuer::commit`] finds the session.
#[derive(Clone, Copy)]
enum Load<'a> {
    /// By the hash of a secret.
    Lookup(LookupKind, &'a SecretHash),
    /// By id.
    Id(&'a str),
}
