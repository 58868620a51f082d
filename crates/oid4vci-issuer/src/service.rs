//! [`Issuer`]: the service. One method per endpoint; each loads the session, applies a pure
//! transition, and stores the result with compare-and-swap, retrying on a version conflict.

use crate::clock::{Clock, SystemClock};
use crate::config::{IssuerConfig, OfferSpec};
use crate::error::IssuerError;
use crate::event::{new_events, EventKind, EventObserver};
use crate::minter::{CredentialMinter, MintOutcome, MintRequest};
use crate::nonce::ServerKey;
use crate::proof_check::{ProofCheck, ProofCheckInput, StandardProofCheck};
use crate::secrets::{random_digits, random_token, OsSecretSource, SecretHash, SecretSource};
use crate::session::{
    details, LookupKind, PreAuthorizedGrantState, Session, SessionState, SessionSummary,
};
use crate::store::{SessionStore, StoreError};
use crate::transition::{credential, deferred, notification, reject, token};
use oid4vci_types::{
    AuthorizationServerMetadata, CredentialIssuerMetadata, CredentialOffer, CredentialOfferRequest,
    CredentialRequest, CredentialResponse, DeferredCredentialRequest, ErrorCode, ErrorResponse,
    InputMode, NonceResponse, NotificationRequest, TokenGrant, TokenRequest, TokenResponse, TxCode,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

/// How many times a transition is re-applied after a version conflict before giving up.
const MAX_CAS_RETRIES: usize = 16;

/// The HTTP facts an endpoint needs besides the body.
#[derive(Clone, Debug, Default)]
pub struct HttpFacts {
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `DPoP` header.
    pub dpop: Option<String>,
}

impl HttpFacts {
    /// Facts with a `Bearer` token.
    pub fn bearer(token: &str) -> Self {
        HttpFacts {
            authorization: Some(format!("Bearer {token}")),
            dpop: None,
        }
    }

    /// Facts with a DPoP-bound token and its DPoP proof.
    pub fn dpop(token: &str, proof: &str) -> Self {
        HttpFacts {
            authorization: Some(format!("DPoP {token}")),
            dpop: Some(proof.to_owned()),
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
        if token.is_empty() || token.len() > 512 {
            return Err(reject(ErrorCode::InvalidToken, "malformed access token"));
        }
        Ok((token, dpop))
    }
}

/// What `create_offer` returns.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OfferCreated {
    /// The session id.
    pub session_id: String,
    /// The offer by value (contains the pre-authorized code).
    pub credential_offer: CredentialOffer,
    /// `openid-credential-offer://?credential_offer_uri=…` (the offer by reference).
    pub credential_offer_uri: String,
    /// `openid-credential-offer://?credential_offer=…` (the offer by value).
    pub credential_offer_by_value_uri: String,
    /// The transaction code to give the user out of band, when one is required.
    pub tx_code: Option<String>,
}

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
}

impl<S, M> std::fmt::Debug for Issuer<S, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("credential_issuer", &self.config.metadata.credential_issuer)
            .finish_non_exhaustive()
    }
}

type Outcome<T> = Result<T, ErrorResponse>;

fn server_error(e: impl std::fmt::Display) -> ErrorResponse {
    reject(ErrorCode::ServerError, format!("storage failure: {e}"))
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

    /// Replaces the proof check (for example a [`StandardProofCheck`] with trust anchors).
    pub fn with_proof_check(mut self, check: impl ProofCheck) -> Self {
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
        AuthorizationServerMetadata {
            issuer: self.issuer_id().to_owned(),
            token_endpoint: format!("{base}/token"),
            authorization_endpoint: None,
            grant_types_supported: Some(vec![
                oid4vci_types::PRE_AUTHORIZED_CODE_GRANT_TYPE.to_owned()
            ]),
            response_types_supported: None,
            token_endpoint_auth_methods_supported: Some(vec!["none".into()]),
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
        }
    }

    // ----- operator API ---------------------------------------------------------------------

    /// Creates a session and its offer.
    pub async fn create_offer(&self, spec: OfferSpec) -> Result<OfferCreated, IssuerError> {
        let now = self.clock.now();
        if spec.credential_configuration_ids.is_empty() {
            return Err(IssuerError::InvalidOffer(
                "credential_configuration_ids must not be empty".into(),
            ));
        }
        for id in &spec.credential_configuration_ids {
            if !self
                .config
                .metadata
                .credential_configurations_supported
                .contains_key(id)
            {
                return Err(IssuerError::UnknownConfiguration(id.clone()));
            }
        }
        if spec.flags.require_wallet_attestation {
            return Err(IssuerError::Unsupported(
                "wallet attestation (client authentication, Appendix E) is not implemented yet"
                    .into(),
            ));
        }
        if !spec.pre_authorized && spec.authorization_code.is_none() {
            return Err(IssuerError::InvalidOffer(
                "an offer needs a pre-authorized or authorization code grant".into(),
            ));
        }
        if let Some(claims) = &spec.claims {
            if !claims.is_object() {
                return Err(IssuerError::InvalidOffer(
                    "claims must be a JSON object".into(),
                ));
            }
        }
        let secrets = self.secrets.as_ref();
        let session_id = random_token(secrets, 16);
        let offer_id = random_token(secrets, 24);
        let code = self.key.derive("pre-authorized_code", &offer_id);
        let mut offer =
            CredentialOffer::new(self.issuer_id(), spec.credential_configuration_ids.clone());
        let mut tx_value = None;
        let mut pre_state = None;
        if spec.pre_authorized {
            let tx = spec.tx_code.as_ref().map(|t| {
                let length = t.length.unwrap_or(6).clamp(1, 64);
                let mode = t.input_mode.clone().unwrap_or(InputMode::Numeric);
                let value = match mode {
                    InputMode::Numeric => random_digits(secrets, length as usize),
                    _ => random_token(secrets, 32)
                        .chars()
                        .take(length as usize)
                        .collect(),
                };
                let object = TxCode {
                    input_mode: Some(mode),
                    length: Some(length),
                    description: t.description.clone(),
                    ..TxCode::default()
                };
                (
                    object,
                    value,
                    t.max_attempts.unwrap_or(self.config.max_tx_attempts).max(1),
                )
            });
            if let Some((object, _, _)) = &tx {
                object
                    .validate()
                    .map_err(|e| IssuerError::InvalidOffer(e.to_string()))?;
            }
            pre_state = Some(PreAuthorizedGrantState {
                code_hash: SecretHash::of(&code),
                tx_code: tx.as_ref().map(|t| t.0.clone()),
                tx_code_hash: tx.as_ref().map(|t| SecretHash::of(&t.1)),
                failed_tx_attempts: 0,
                max_tx_attempts: tx.as_ref().map_or(self.config.max_tx_attempts, |t| t.2),
                redeemed: false,
            });
            offer = offer.with_pre_authorized_code(code.clone(), tx.as_ref().map(|t| t.0.clone()));
            tx_value = tx.map(|t| t.1);
        }
        let issuer_state = spec.authorization_code.as_ref().map(|a| {
            a.issuer_state
                .clone()
                .unwrap_or_else(|| random_token(secrets, 16))
        });
        if let Some(state) = &issuer_state {
            offer = offer.with_authorization_code(Some(state.clone()));
        }
        let offer_ttl = spec.expires_in.unwrap_or(self.config.offer_ttl);
        let mut session = Session {
            id: session_id.clone(),
            version: 0,
            credential_issuer: self.issuer_id().to_owned(),
            configuration_ids: spec.credential_configuration_ids.clone(),
            pre_authorized: pre_state,
            issuer_state,
            offer_id_hash: Some(SecretHash::of(&offer_id)),
            claims: spec
                .claims
                .as_ref()
                .map(|c| {
                    spec.credential_configuration_ids
                        .iter()
                        .map(|id| (id.clone(), c.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            subject_id: spec.subject_id.clone(),
            flags: spec.flags.clone(),
            state: SessionState::Offered,
            created_at: now,
            offer_expires_at: now.saturating_add(offer_ttl),
            expires_at: now.saturating_add(self.config.session_ttl.max(offer_ttl)),
            access: None,
            deferred: Vec::new(),
            notification_hashes: Vec::new(),
            events: Vec::new(),
            events_dropped: 0,
        };
        session.record(
            EventKind::OfferCreated,
            now,
            details([
                (
                    "credential_configuration_ids",
                    json!(spec.credential_configuration_ids),
                ),
                ("pre_authorized_code", json!(spec.pre_authorized)),
                ("tx_code", json!(spec.tx_code.is_some())),
                (
                    "authorization_code",
                    json!(spec.authorization_code.is_some()),
                ),
                ("claims", json!(spec.claims.is_some())),
            ]),
        );
        self.store.insert(&session).await?;
        self.observe(None, &session);
        let reference = format!(
            "{}/{offer_id}",
            self.config.offer_uri_base.trim_end_matches('/')
        );
        Ok(OfferCreated {
            session_id,
            credential_offer_uri: CredentialOfferRequest::ByReference(reference).to_uri(),
            credential_offer_by_value_uri: CredentialOfferRequest::ByValue(offer.clone()).to_uri(),
            credential_offer: offer,
            tx_code: tx_value,
        })
    }

    /// The session's summary and event log.
    pub async fn inspect(&self, session_id: &str) -> Result<SessionSummary, IssuerError> {
        self.store
            .get(session_id)
            .await?
            .map(|s| s.summary())
            .ok_or(IssuerError::NotFound)
    }

    /// Supplies claims for a configuration of a session (deferred issuance).
    pub async fn submit_claims(
        &self,
        session_id: &str,
        configuration_id: &str,
        claims: Value,
    ) -> Result<(), IssuerError> {
        let now = self.clock.now();
        for _ in 0..MAX_CAS_RETRIES {
            let mut session = self
                .store
                .get(session_id)
                .await?
                .ok_or(IssuerError::NotFound)?;
            let expected = session.version;
            deferred::submit_claims(&mut session, configuration_id, claims.clone(), now)
                .map_err(IssuerError::InvalidClaims)?;
            session.version = expected + 1;
            match self.store.update(&session, expected).await {
                Ok(()) => return Ok(()),
                Err(StoreError::VersionConflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(IssuerError::Contention)
    }

    /// Deletes expired sessions and nonce records; returns how many sessions went.
    pub async fn sweep_expired(&self) -> Result<u64, IssuerError> {
        Ok(self.store.sweep_expired(self.clock.now()).await?)
    }

    // ----- wallet endpoints -----------------------------------------------------------------

    /// Loads the session owning a secret, applies `f` to a working copy, and stores it if `f`
    /// changed it (compare-and-swap, re-applying on conflict). `f` decides the outcome.
    async fn apply<T>(
        &self,
        kind: LookupKind,
        hash: &SecretHash,
        not_found: impl Fn() -> ErrorResponse,
        mut f: impl FnMut(&mut Session) -> Outcome<T>,
    ) -> Outcome<T> {
        for _ in 0..MAX_CAS_RETRIES {
            let original = self
                .store
                .find(kind, hash)
                .await
                .map_err(server_error)?
                .ok_or_else(&not_found)?;
            let mut working = original.clone();
            let outcome = f(&mut working);
            if working == original {
                return outcome;
            }
            working.version = original.version + 1;
            match self.store.update(&working, original.version).await {
                Ok(()) => {
                    self.observe(Some(&original), &working);
                    return outcome;
                }
                Err(StoreError::VersionConflict) => continue,
                Err(e) => return Err(server_error(e)),
            }
        }
        Err(reject(
            ErrorCode::TemporarilyUnavailable,
            "the session is busy; retry",
        ))
    }

    /// Records an event on a session by id (best effort against concurrent writers).
    async fn record(&self, session_id: &str, mut f: impl FnMut(&mut Session)) -> Outcome<()> {
        for _ in 0..MAX_CAS_RETRIES {
            let Some(original) = self.store.get(session_id).await.map_err(server_error)? else {
                return Ok(());
            };
            let mut session = original.clone();
            let expected = session.version;
            f(&mut session);
            session.version = expected + 1;
            match self.store.update(&session, expected).await {
                Ok(()) => {
                    self.observe(Some(&original), &session);
                    return Ok(());
                }
                Err(StoreError::VersionConflict) => continue,
                Err(e) => return Err(server_error(e)),
            }
        }
        Err(reject(
            ErrorCode::TemporarilyUnavailable,
            "the session is busy; retry",
        ))
    }

    /// `GET credential_offer_uri` (Section 4.1.3): the offer by reference.
    pub async fn credential_offer(&self, offer_id: &str) -> Outcome<CredentialOffer> {
        let now = self.clock.now();
        let hash = SecretHash::of(offer_id);
        let not_found = || {
            reject(
                ErrorCode::InvalidRequest,
                "unknown or expired credential offer",
            )
        };
        let code = self.key.derive("pre-authorized_code", offer_id);
        self.apply(LookupKind::OfferId, &hash, not_found, |session| {
            if now > session.offer_expires_at {
                return Err(not_found());
            }
            session.record(EventKind::OfferRetrieved, now, json!({}));
            let mut offer = CredentialOffer::new(
                session.credential_issuer.clone(),
                session.configuration_ids.clone(),
            );
            if let Some(p) = &session.pre_authorized {
                offer = offer.with_pre_authorized_code(code.clone(), p.tx_code.clone());
            }
            if let Some(state) = &session.issuer_state {
                offer = offer.with_authorization_code(Some(state.clone()));
            }
            Ok(offer)
        })
        .await
    }

    /// `POST /token` (Section 6).
    pub async fn token(&self, request: TokenRequest, facts: HttpFacts) -> Outcome<TokenResponse> {
        let now = self.clock.now();
        let token_endpoint = self.authorization_server_metadata().token_endpoint;
        let dpop = self.check_dpop(&facts, &token_endpoint, None, now).await;
        let TokenGrant::PreAuthorizedCode {
            pre_authorized_code,
            ..
        } = &request.grant
        else {
            return Err(reject(ErrorCode::InvalidGrant, "authorization codes are issued by the authorization server; this issuer only redeems pre-authorized codes"));
        };
        let hash = SecretHash::of(pre_authorized_code.expose());
        let access_token = random_token(self.secrets.as_ref(), 32);
        let secrets = Arc::clone(&self.secrets);
        let mut new_identifier =
            move |config: &str| format!("{config}.{}", random_token(secrets.as_ref(), 12));
        let not_found = || {
            reject(
                ErrorCode::InvalidGrant,
                "unknown or expired pre-authorized code",
            )
        };
        let granted = self
            .apply(LookupKind::PreAuthorizedCode, &hash, not_found, |session| {
                let dpop_jkt = match &dpop {
                    Ok(d) => d.as_ref().map(|d| d.jkt.clone()),
                    Err(e) => {
                        credential::record_rejection(
                            session,
                            EventKind::TokenRejected,
                            e,
                            json!({}),
                            now,
                        );
                        return Err(e.clone());
                    }
                };
                let granted = token::redeem_pre_authorized_code(
                    session,
                    &request,
                    token::TokenInput {
                        metadata: &self.config.metadata,
                        access_token_hash: SecretHash::of(&access_token),
                        expires_in: self.config.access_token_ttl,
                        new_identifier: &mut new_identifier,
                        dpop_jkt,
                        now,
                    },
                )?;
                if self.config.draft13_c_nonce {
                    session.record(
                        EventKind::NonceIssued,
                        now,
                        json!({"via": "token_response"}),
                    );
                }
                Ok(granted)
            })
            .await?;
        let mut response = TokenResponse::bearer(access_token, self.config.access_token_ttl);
        if matches!(dpop, Ok(Some(_))) {
            response.token_type = "DPoP".into();
        }
        response.authorization_details = granted.authorization_details;
        if self.config.draft13_c_nonce {
            response.c_nonce = Some(self.key.mint(self.secrets.as_ref(), now));
            response.c_nonce_expires_in = Some(self.config.nonce_ttl);
        }
        Ok(response)
    }

    /// Verifies the `DPoP` header, if any, for a request to `url` and consumes its `jti`.
    async fn check_dpop(
        &self,
        facts: &HttpFacts,
        url: &str,
        access_token: Option<&str>,
        now: u64,
    ) -> Outcome<Option<crate::dpop::VerifiedDpop>> {
        let Some(header) = facts.dpop.as_deref() else {
            return Ok(None);
        };
        let request = crate::dpop::DpopRequest {
            method: "POST",
            url,
            access_token,
            now,
            max_age: self.config.nonce_ttl,
            max_skew: 60,
        };
        let verified = crate::dpop::verify(header, &request).map_err(|reason| {
            reject(
                ErrorCode::InvalidDpopProof,
                format!("invalid DPoP proof: {reason} (RFC 9449 Section 4.3)"),
            )
        })?;
        let replay_key = SecretHash::of(&format!("dpop-jti\0{}\0{}", verified.jkt, verified.jti));
        let expires = verified
            .iat
            .saturating_add(self.config.nonce_ttl)
            .saturating_add(60);
        if !self
            .store
            .consume_nonce(&replay_key, expires)
            .await
            .map_err(server_error)?
        {
            return Err(reject(
                ErrorCode::InvalidDpopProof,
                "this DPoP proof (jti) was already used; make a new one for each request",
            ));
        }
        Ok(Some(verified))
    }

    /// `POST /nonce` (Section 7): a fresh stateless `c_nonce`; stores nothing.
    pub fn nonce(&self) -> NonceResponse {
        NonceResponse::new(self.key.mint(self.secrets.as_ref(), self.clock.now()))
    }

    fn proof_error_with_nonce(&self, mut error: ErrorResponse, now: u64) -> ErrorResponse {
        if self.config.draft13_c_nonce
            && matches!(
                error.error,
                ErrorCode::InvalidProof | ErrorCode::InvalidNonce
            )
        {
            error.c_nonce = Some(self.key.mint(self.secrets.as_ref(), now));
            error.c_nonce_expires_in = Some(self.config.nonce_ttl);
        }
        error
    }

    async fn session_for_token(
        &self,
        facts: &HttpFacts,
        url: &str,
        now: u64,
    ) -> Outcome<(Session, SecretHash)> {
        let (token, dpop_scheme) = facts.access_token()?;
        let hash = SecretHash::of(token);
        let session = self
            .store
            .find(LookupKind::AccessToken, &hash)
            .await
            .map_err(server_error)?
            .ok_or_else(|| reject(ErrorCode::InvalidToken, "unknown access token"))?;
        credential::authorize(&session, &hash, now)?;
        let bound = session.access.as_ref().and_then(|a| a.dpop_jkt.clone());
        match (bound, dpop_scheme) {
            (None, false) => {}
            (None, true) => {
                return Err(reject(ErrorCode::InvalidToken, "this access token is a Bearer token; send it with the Bearer scheme"))
            }
            (Some(_), false) => {
                return Err(reject(ErrorCode::InvalidToken, "this access token is DPoP-bound; send it as Authorization: DPoP <token> with a DPoP proof"))
            }
            (Some(jkt), true) => {
                let proof = self
                    .check_dpop(facts, url, Some(token), now)
                    .await?
                    .ok_or_else(|| reject(ErrorCode::InvalidDpopProof, "a DPoP proof is required with a DPoP-bound access token"))?;
                if proof.jkt != jkt {
                    return Err(reject(ErrorCode::InvalidDpopProof, "the DPoP proof is signed by another key than the one the token is bound to"));
                }
            }
        }
        Ok((session, hash))
    }

    /// `POST /credential` (Section 8).
    pub async fn credential(
        &self,
        request: CredentialRequest,
        facts: HttpFacts,
    ) -> Outcome<CredentialResponse> {
        let now = self.clock.now();
        let metadata = &self.config.metadata;
        let (session, _) = self
            .session_for_token(&facts, &metadata.credential_endpoint, now)
            .await?;
        let configuration_id = match credential::select_configuration(&session, &request, metadata)
        {
            Ok(id) => id,
            Err(e) => {
                self.record(&session.id, |s| {
                    credential::record_rejection(
                        s,
                        EventKind::CredentialRejected,
                        &e,
                        json!({}),
                        now,
                    )
                })
                .await?;
                return Err(e);
            }
        };
        let Some(configuration) = metadata
            .credential_configurations_supported
            .get(&configuration_id)
        else {
            return Err(reject(
                ErrorCode::UnknownCredentialConfiguration,
                "unknown configuration",
            ));
        };
        let checked = match self
            .check_proofs(&session, &request, configuration, now)
            .await
        {
            Ok(c) => c,
            Err((error, code)) => {
                let error = self.proof_error_with_nonce(error, now);
                let event = if matches!(
                    error.error,
                    ErrorCode::InvalidProof | ErrorCode::InvalidNonce
                ) {
                    EventKind::ProofRejected
                } else {
                    EventKind::CredentialRejected
                };
                self.record(&session.id, |s| {
                    credential::record_rejection(s, event, &error, json!({"code": code}), now)
                })
                .await?;
                return Err(error);
            }
        };
        let claims = session.claims.get(&configuration_id).cloned();
        let outcome = match &claims {
            None => MintOutcome::Pending,
            Some(claims) => {
                let minted = self
                    .minter
                    .mint(MintRequest {
                        issuer: self.issuer_id(),
                        configuration_id: &configuration_id,
                        configuration,
                        claims,
                        holder_keys: &checked.holder_keys,
                        subject_id: session.subject_id.as_deref(),
                        now,
                    })
                    .await;
                match minted {
                    Ok(o) => o,
                    Err(e) => {
                        let error = reject(
                            ErrorCode::CredentialRequestDenied,
                            "the credential could not be issued",
                        );
                        self.record(&session.id, |s| {
                            credential::record_rejection(
                                s,
                                EventKind::CredentialRejected,
                                &error,
                                json!({"minter": e.0}),
                                now,
                            )
                        })
                        .await?;
                        return Err(error);
                    }
                }
            }
        };
        match outcome {
            MintOutcome::Issued(credentials) => {
                let notification_id = random_token(self.secrets.as_ref(), 16);
                let hash = SecretHash::of(&notification_id);
                let count = credentials.len();
                self.record(&session.id, |s| {
                    credential::record_issued(
                        s,
                        &configuration_id,
                        count,
                        &checked.key_source,
                        Some(hash),
                        now,
                    )
                })
                .await?;
                Ok(CredentialResponse::issued(
                    credentials,
                    Some(notification_id),
                ))
            }
            MintOutcome::Pending => {
                let transaction_id = random_token(self.secrets.as_ref(), 24);
                let hash = SecretHash::of(&transaction_id);
                let reason = if claims.is_none() {
                    "claims not yet submitted"
                } else {
                    "minter deferred issuance"
                };
                self.record(&session.id, |s| {
                    credential::record_deferred(
                        s,
                        &configuration_id,
                        checked.holder_keys.clone(),
                        hash,
                        reason,
                        now,
                    )
                })
                .await?;
                Ok(CredentialResponse::deferred(
                    transaction_id,
                    self.config.deferred_interval,
                ))
            }
        }
    }

    /// Checks proofs and consumes their nonce; errors carry the diagnostic code for the log.
    async fn check_proofs(
        &self,
        session: &Session,
        request: &CredentialRequest,
        configuration: &oid4vci_types::CredentialConfiguration,
        now: u64,
    ) -> Result<crate::proof_check::CheckedProofs, (ErrorResponse, String)> {
        let Some(types) = &configuration.proof_types_supported else {
            return Ok(crate::proof_check::CheckedProofs {
                holder_keys: Vec::new(),
                nonce: None,
                key_source: "none".into(),
            });
        };
        let Some(proofs) = &request.proofs else {
            return Err((
                reject(ErrorCode::InvalidProof, "proofs is missing: this credential requires proof of possession of a holder key (OID4VCI 1.0 Section 8.2)"),
                "missing_proofs".into(),
            ));
        };
        let Some(proof_type) = types.get(proofs.proof_type()) else {
            let supported: Vec<&str> = types.proof_types().collect();
            return Err((
                reject(
                    ErrorCode::InvalidProof,
                    format!(
                        "proof type {} is not supported for this credential; use one of [{}]",
                        proofs.proof_type(),
                        supported.join(", ")
                    ),
                ),
                "unsupported_proof_type".into(),
            ));
        };
        let verifier = self.key.verifier(now);
        let has_nonce_endpoint = self.config.metadata.nonce_endpoint.is_some();
        let access = session.access.as_ref();
        let input = ProofCheckInput {
            audience: self.issuer_id(),
            nonces: has_nonce_endpoint.then_some(&verifier as &dyn oid4vci_proof::NonceVerifier),
            client_id: access.and_then(|a| a.client_id.as_deref()),
            proof_type,
            max_proofs: self.config.metadata.max_proofs(),
            require_key_attestation: session.flags.require_key_attestation,
            now,
        };
        let checked = self
            .proofs
            .check(proofs, &input)
            .map_err(|r| (r.response, r.code))?;
        if let Some(nonce) = &checked.nonce {
            let expires_at = self.key.expires_at(nonce).unwrap_or(now);
            let first_use = self
                .store
                .consume_nonce(&SecretHash::of(nonce), expires_at)
                .await
                .map_err(|e| (server_error(e), "store".to_owned()))?;
            if !first_use {
                return Err((
                    reject(ErrorCode::InvalidNonce, "the c_nonce in the proof has already been used; fetch a new one from the nonce endpoint (OID4VCI 1.0 Section 8.3.1.2)"),
                    "invalid_nonce".into(),
                ));
            }
        }
        Ok(checked)
    }

    /// `POST /deferred_credential` (Section 9).
    pub async fn deferred_credential(
        &self,
        request: DeferredCredentialRequest,
        facts: HttpFacts,
    ) -> Outcome<CredentialResponse> {
        let now = self.clock.now();
        let url = self
            .config
            .metadata
            .deferred_credential_endpoint
            .clone()
            .unwrap_or_default();
        let (session, _) = self.session_for_token(&facts, &url, now).await?;
        let tx_hash = SecretHash::of(&request.transaction_id);
        let entry = match deferred::pending_issuance(&session, &tx_hash) {
            Ok(e) => e.clone(),
            Err(e) => {
                self.record(&session.id, |s| {
                    credential::record_rejection(s, EventKind::DeferredRejected, &e, json!({}), now)
                })
                .await?;
                return Err(e);
            }
        };
        let Some(claims) = session.claims.get(&entry.configuration_id).cloned() else {
            self.record(&session.id, |s| {
                s.record(
                    EventKind::DeferredPending,
                    now,
                    json!({"credential_configuration_id": entry.configuration_id}),
                )
            })
            .await?;
            return Ok(CredentialResponse::deferred(
                request.transaction_id,
                self.config.deferred_interval,
            ));
        };
        let Some(configuration) = self
            .config
            .metadata
            .credential_configurations_supported
            .get(&entry.configuration_id)
        else {
            return Err(reject(
                ErrorCode::CredentialRequestDenied,
                "the credential configuration no longer exists",
            ));
        };
        let minted = self
            .minter
            .mint(MintRequest {
                issuer: self.issuer_id(),
                configuration_id: &entry.configuration_id,
                configuration,
                claims: &claims,
                holder_keys: &entry.holder_keys,
                subject_id: session.subject_id.as_deref(),
                now,
            })
            .await;
        let credentials = match minted {
            Ok(MintOutcome::Issued(c)) => c,
            Ok(MintOutcome::Pending) => {
                return Ok(CredentialResponse::deferred(
                    request.transaction_id,
                    self.config.deferred_interval,
                ));
            }
            Err(e) => {
                let error = reject(
                    ErrorCode::CredentialRequestDenied,
                    "the credential could not be issued",
                );
                self.record(&session.id, |s| {
                    credential::record_rejection(
                        s,
                        EventKind::DeferredRejected,
                        &error,
                        json!({"minter": e.0}),
                        now,
                    )
                })
                .await?;
                return Err(error);
            }
        };
        let notification_id = random_token(self.secrets.as_ref(), 16);
        let n_hash = SecretHash::of(&notification_id);
        let count = credentials.len();
        let not_found = || {
            reject(
                ErrorCode::InvalidTransactionId,
                "unknown or already used transaction_id",
            )
        };
        self.apply(LookupKind::TransactionId, &tx_hash, not_found, |s| {
            deferred::collect(s, &tx_hash, Some(n_hash), count, now)
        })
        .await?;
        Ok(CredentialResponse::issued(
            credentials,
            Some(notification_id),
        ))
    }

    /// `POST /notification` (Section 11).
    pub async fn notification(
        &self,
        request: NotificationRequest,
        facts: HttpFacts,
    ) -> Outcome<()> {
        let now = self.clock.now();
        let url = self
            .config
            .metadata
            .notification_endpoint
            .clone()
            .unwrap_or_default();
        let (session, _) = self.session_for_token(&facts, &url, now).await?;
        let id_hash = SecretHash::of(&request.notification_id);
        let not_found = || reject(ErrorCode::InvalidNotificationId, "unknown notification_id");
        let result = self
            .apply(
                LookupKind::AccessToken,
                &session
                    .access
                    .as_ref()
                    .map(|a| a.token_hash)
                    .unwrap_or(id_hash),
                not_found,
                |s| notification::receive(s, &id_hash, &request, now),
            )
            .await;
        if let Err(e) = &result {
            if e.error == ErrorCode::InvalidNotificationId {
                self.record(&session.id, |s| {
                    credential::record_rejection(
                        s,
                        EventKind::NotificationRejected,
                        e,
                        json!({}),
                        now,
                    )
                })
                .await?;
            }
        }
        result
    }
}
