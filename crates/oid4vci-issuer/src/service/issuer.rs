//! [`Issuer`]: the service's state (configuration, store, minter and the other ports) and what
//! sets it up: the builder methods, the metadata documents.

use super::authorization::AuthorizationServer;
use super::external::ExternalAuthorization;
use super::status::StatusLists;
use super::*;

/// An OID4VCI issuer over a [`SessionStore`] and a [`CredentialMinter`].
pub struct Issuer<S, M> {
    pub(super) config: IssuerConfig,
    pub(super) store: S,
    pub(super) minter: M,
    pub(super) proofs: Box<dyn ProofCheck>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) secrets: Arc<dyn SecretSource>,
    pub(super) key: ServerKey,
    pub(super) observer: Option<Arc<dyn EventObserver>>,
    pub(super) authorization: Option<AuthorizationServer>,
    pub(super) external: Option<ExternalAuthorization>,
    pub(super) encryption: Option<Arc<dyn crate::encryption::MessageEncryption>>,
    pub(super) metadata_signer: Option<(Arc<dyn crate::signing::MetadataSigner>, u64)>,
    pub(super) status_lists: Option<Arc<StatusLists>>,
}

impl<S, M> std::fmt::Debug for Issuer<S, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("credential_issuer", &self.config.metadata.credential_issuer)
            .finish_non_exhaustive()
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

    pub(super) fn observe(&self, before: Option<&Session>, after: &Session) {
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
        signer: Arc<dyn crate::signing::MetadataSigner>,
        lifetime: u64,
    ) -> Self {
        self.metadata_signer = Some((signer, lifetime));
        self
    }

    /// The metadata as a signed JWT (`openidvci-issuer-metadata+jwt`), when a signer is set;
    /// a signer that fails is [`IssuerError::Signing`].
    pub async fn signed_metadata(&self) -> Option<Result<String, IssuerError>> {
        let (signer, lifetime) = self.metadata_signer.as_ref()?;
        let signed = crate::signed_metadata::sign(
            &self.config.metadata,
            signer.as_ref(),
            self.clock.now(),
            *lifetime,
        )
        .await;
        Some(signed.map_err(IssuerError::Signing))
    }

    /// The metadata document to serve as JSON: [`metadata`](Self::metadata) plus, when a
    /// signer is set, its `signed_metadata` member.
    pub async fn metadata_document(&self) -> Result<CredentialIssuerMetadata, IssuerError> {
        let mut document = self.config.metadata.clone();
        if let Some(signed) = self.signed_metadata().await {
            document
                .extra
                .insert("signed_metadata".into(), Value::String(signed?));
        }
        Ok(document)
    }

    /// Whether the session store answers: one read of a session that does not exist (a
    /// readiness probe; a store that is down is [`IssuerError::Store`]).
    pub async fn check_store(&self) -> Result<(), IssuerError> {
        self.store.get("oid4vci-readiness-probe").await?;
        Ok(())
    }

    /// Replaces the proof check (for example a [`StandardProofCheck`] with trust anchors).
    /// The metadata is updated to say what the check accepts (see
    /// [`ProofCapabilities::advertise`](crate::ProofCapabilities::advertise)).
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

    pub(super) fn issuer_id(&self) -> &str {
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
                    vec![
                        "none".into(),
                        crate::client_attestation::AUTH_METHOD.into(),
                        crate::client_attestation::AUTH_METHOD_DPOP.into(),
                    ]
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
            // The proofs of possession accepted: a PoP JWT, or the DPoP proof (combined mode);
            // `none` unless every client must attest.
            let mut methods = vec!["attestation_pop_jwt", "dpop_combined"];
            if !self.config.require_wallet_attestation {
                methods.push("none");
            }
            metadata.extra.insert(
                "client_attestation_pop_methods_supported".into(),
                json!(methods),
            );
            if self.config.attestation_challenge_ttl.is_some() {
                metadata.extra.insert(
                    "challenge_endpoint".into(),
                    json!(format!("{base}/challenge")),
                );
            }
        }
        if self.authorization.is_some() {
            self.add_authorization_endpoints(&mut metadata);
        }
        let refreshes = self.config.refresh_token_ttl.is_some()
            && (self.authorization.is_some() || self.config.refresh_for_pre_authorized);
        if let (true, Some(grants)) = (refreshes, metadata.grant_types_supported.as_mut()) {
            grants.push("refresh_token".into());
        }
        metadata
    }
}
