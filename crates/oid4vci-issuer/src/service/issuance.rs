//! Credential, deferred credential and notification endpoints.

use super::*;
use crate::machine::credential::{CredentialOutcome, RequestCredential};
use crate::machine::deferred::{self, Collect};
use crate::machine::notification::Notify;
use crate::proof_check::CheckedProofs;
use oid4vci_types::{CredentialConfiguration, CredentialResponseEncryption};

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    /// Draft-13 wallets retry a refused proof with the `c_nonce` of the error body (7.3.2).
    fn proof_error_with_nonce(&self, mut error: ErrorResponse, now: u64) -> ErrorResponse {
        let proof_error = matches!(
            error.error,
            ErrorCode::InvalidProof | ErrorCode::InvalidNonce
        );
        if self.config.draft13_c_nonce && proof_error {
            error.c_nonce = Some(self.key.mint(self.secrets.as_ref(), now));
            error.c_nonce_expires_in = Some(self.config.nonce_ttl);
        }
        error
    }

    /// Draft 13 (7.3): a singular `credential` and a fresh `c_nonce` for wallets that sent the
    /// draft-13 form. 1.0 wallets ignore these members.
    fn add_draft13_members(&self, response: &mut CredentialResponse, facts: &HttpFacts, now: u64) {
        if facts.request_form != oid4vci_types::RequestForm::Draft13 || !self.config.draft13_c_nonce
        {
            return;
        }
        if let Some(first) = response.credentials.as_ref().and_then(|c| c.first()) {
            response
                .extra
                .insert("credential".into(), first.credential.clone());
        }
        response.extra.insert(
            "c_nonce".into(),
            json!(self.key.mint(self.secrets.as_ref(), now)),
        );
        response
            .extra
            .insert("c_nonce_expires_in".into(), json!(self.config.nonce_ttl));
    }

    /// `POST /credential` (Section 8).
    pub async fn credential(
        &self,
        request: CredentialRequest,
        facts: HttpFacts,
    ) -> Outcome<CredentialResponse> {
        let now = self.clock.now();
        let metadata = &self.config.metadata;
        let (session, token_hash) = self
            .session_for_token(
                &facts,
                &metadata.credential_endpoint,
                credential::TokenUse::Issuance,
                now,
            )
            .await?;
        let configuration_id = match credential::select_configuration(&session, &request, metadata)
        {
            Ok(id) => id,
            Err(e) => {
                return Err(self
                    .refuse(session, EventKind::CredentialRejected, e, json!({}), now)
                    .await)
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
                let kind = match error.error {
                    ErrorCode::InvalidProof | ErrorCode::InvalidNonce => EventKind::ProofRejected,
                    _ => EventKind::CredentialRejected,
                };
                return Err(self
                    .refuse(session, kind, error, json!({"code": code}), now)
                    .await);
            }
        };
        let claims = session.claims.get(&configuration_id);
        let (outcome, statuses) = match claims {
            None => (MintOutcome::Pending, Vec::new()),
            Some(claims) => {
                self.mint(
                    &session,
                    &configuration_id,
                    claims,
                    &checked.holder_keys,
                    EventKind::CredentialRejected,
                    now,
                )
                .await?
            }
        };
        let (recorded, response) = match outcome {
            MintOutcome::Issued(credentials) => {
                let notification_id = random_token(self.secrets.as_ref(), 16);
                let recorded = CredentialOutcome::Issued {
                    count: credentials.len(),
                    key_source: checked.key_source,
                    statuses,
                    notification_hash: SecretHash::of(&notification_id),
                };
                let mut response = CredentialResponse::issued(credentials, Some(notification_id));
                self.add_draft13_members(&mut response, &facts, now);
                (recorded, response)
            }
            MintOutcome::Pending => {
                let transaction_id = random_token(self.secrets.as_ref(), 24);
                let recorded = CredentialOutcome::Deferred {
                    holder_keys: checked.holder_keys,
                    transaction_hash: SecretHash::of(&transaction_id),
                    response_encryption: request.credential_response_encryption.clone(),
                    reason: if claims.is_none() {
                        "claims not yet submitted"
                    } else {
                        "minter deferred issuance"
                    },
                };
                let response =
                    CredentialResponse::deferred(transaction_id, self.config.deferred_interval);
                (recorded, response)
            }
        };
        let mut step = RequestCredential {
            token_hash,
            configuration_id: &configuration_id,
            outcome: recorded,
        };
        let id = session.id.clone();
        self.step(Some(session), Load::Id(&id), gone, &mut step, now)
            .await?;
        Ok(response)
    }

    /// Checks proofs and consumes their nonce; errors carry the diagnostic code for the log.
    async fn check_proofs(
        &self,
        session: &Session,
        request: &CredentialRequest,
        configuration: &CredentialConfiguration,
        now: u64,
    ) -> Result<CheckedProofs, (ErrorResponse, String)> {
        let Some(types) = &configuration.proof_types_supported else {
            return Ok(CheckedProofs {
                holder_keys: Vec::new(),
                nonce: None,
                key_source: "none".into(),
            });
        };
        let Some(proofs) = &request.proofs else {
            let why = "proofs is missing: this credential requires proof of possession of a holder key (OID4VCI 1.0 Section 8.2)";
            return Err((
                reject(ErrorCode::InvalidProof, why),
                "missing_proofs".into(),
            ));
        };
        let Some(proof_type) = types.get(proofs.proof_type()) else {
            let supported: Vec<&str> = types.proof_types().collect();
            let why = format!(
                "proof type {} is not supported for this credential; use one of [{}]",
                proofs.proof_type(),
                supported.join(", ")
            );
            return Err((
                reject(ErrorCode::InvalidProof, why),
                "unsupported_proof_type".into(),
            ));
        };
        let verifier = self.key.verifier(now);
        let has_nonce_endpoint = self.config.metadata.nonce_endpoint.is_some();
        let input = ProofCheckInput {
            audience: self.issuer_id(),
            nonces: has_nonce_endpoint.then_some(&verifier as &dyn oid4vci_proof::NonceVerifier),
            client_id: session.access.as_ref().and_then(|a| a.client_id.as_deref()),
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
                let why = "the c_nonce in the proof has already been used; fetch a new one from the nonce endpoint (OID4VCI 1.0 Section 8.3.1.2)";
                return Err((reject(ErrorCode::InvalidNonce, why), "invalid_nonce".into()));
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
        Ok(self.deferred_credential_sealed(request, facts).await?.0)
    }

    /// [`deferred_credential`](Self::deferred_credential), also returning the response
    /// encryption to apply: the deferred request's own, or else the original request's (9.2).
    pub(super) async fn deferred_credential_sealed(
        &self,
        request: DeferredCredentialRequest,
        facts: HttpFacts,
    ) -> Outcome<(CredentialResponse, Option<CredentialResponseEncryption>)> {
        let now = self.clock.now();
        let url = self
            .config
            .metadata
            .deferred_credential_endpoint
            .clone()
            .unwrap_or_default();
        let (session, token_hash) = self
            .session_for_token(&facts, &url, credential::TokenUse::FollowUp, now)
            .await?;
        let tx_hash = SecretHash::of(&request.transaction_id);
        let entry = match deferred::pending_issuance(&session, &tx_hash) {
            Ok(e) => e.clone(),
            Err(e) => {
                return Err(self
                    .refuse(session, EventKind::DeferredRejected, e, json!({}), now)
                    .await)
            }
        };
        let sealing = request
            .credential_response_encryption
            .clone()
            .or_else(|| entry.response_encryption.clone());
        let pending = || {
            (
                CredentialResponse::deferred(
                    request.transaction_id.clone(),
                    self.config.deferred_interval,
                ),
                sealing.clone(),
            )
        };
        let Some(claims) = session.claims.get(&entry.configuration_id) else {
            let entry = machine::Log {
                kind: EventKind::DeferredPending,
                details: json!({"credential_configuration_id": entry.configuration_id}),
            };
            let id = session.id.clone();
            self.log(Some(session), &id, entry, now).await?;
            return Ok(pending());
        };
        let (minted, statuses) = self
            .mint(
                &session,
                &entry.configuration_id,
                claims,
                &entry.holder_keys,
                EventKind::DeferredRejected,
                now,
            )
            .await?;
        let MintOutcome::Issued(credentials) = minted else {
            return Ok(pending());
        };
        let notification_id = random_token(self.secrets.as_ref(), 16);
        let not_found = || {
            reject(
                ErrorCode::InvalidTransactionId,
                "unknown or already used transaction_id",
            )
        };
        let mut step = Collect {
            token_hash,
            transaction_hash: tx_hash,
            notification_hash: SecretHash::of(&notification_id),
            count: credentials.len(),
            statuses,
        };
        let id = session.id.clone();
        self.step(Some(session), Load::Id(&id), not_found, &mut step, now)
            .await?;
        Ok((
            CredentialResponse::issued(credentials, Some(notification_id)),
            sealing,
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
        let (session, token_hash) = self
            .session_for_token(&facts, &url, credential::TokenUse::FollowUp, now)
            .await?;
        let mut step = Notify {
            token_hash,
            id_hash: SecretHash::of(&request.notification_id),
            request: &request,
        };
        let id = session.id.clone();
        self.step(Some(session), Load::Id(&id), gone, &mut step, now)
            .await
    }
}

/// The refusal when the session of a valid access token was swept meanwhile.
fn gone() -> ErrorResponse {
    reject(
        ErrorCode::InvalidToken,
        "the session of this access token no longer exists",
    )
}
