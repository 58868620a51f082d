//! The credential endpoint (Section 8).

use super::commit::{CommitFailure, Effects, Load, SingleUse};
use super::*;
use crate::machine::credential::{CredentialOutcome, RequestCredential};
use crate::proof_check::CheckedProofs;
use oid4vci_types::CredentialConfiguration;

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    /// Draft-13 wallets retry a refused proof with the `c_nonce` of the error body (7.3.2).
    fn proof_error_with_nonce(&self, error: Refusal, now: u64) -> Refusal {
        if self.config.draft13_c_nonce && is_proof_refusal(&error) {
            let nonce = self.key.mint(self.secrets.as_ref(), now);
            return error.with_fresh_nonce(nonce, self.config.nonce_ttl);
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

    /// The credential endpoint's work on a parsed request (Section 8). One read (the session, by its access token) and one
    /// write: the credential's record, the proof's `c_nonce`, the DPoP proof's `jti` and the
    /// credentials' status-list entries in one commit. A drawn entry found taken at commit
    /// makes the request draw and mint again.
    pub(super) async fn issue(
        &self,
        request: CredentialRequest,
        facts: HttpFacts,
        authorized: super::commit::Authorized,
        now: u64,
    ) -> Outcome<CredentialResponse> {
        let metadata = &self.config.metadata;
        let (session, token_hash, mut effects) = authorized;
        let refused = EventKind::CredentialRejected;
        let configuration_id = match credential::select_configuration(&session, &request, metadata)
        {
            Ok(id) => id,
            Err(e) => {
                return Err(self
                    .refuse(&session, refused, e, json!({}), &effects, now)
                    .await)
            }
        };
        let Some(configuration) = metadata
            .credential_configurations_supported
            .get(&configuration_id)
        else {
            return Err(Refusal::new(
                Cause::UnknownCredentialConfiguration,
                "unknown configuration",
            ));
        };
        let checked = match self.check_proofs(&session, &request, configuration, now) {
            Ok(c) => c,
            Err(error) => {
                let evidence = crate::proof_evidence::proof_evidence(&request, &error);
                let (kind, error) = self.proof_refusal(error, now);
                return Err(self
                    .refuse(&session, kind, error, evidence, &effects, now)
                    .await);
            }
        };
        if let Some(nonce) = &checked.nonce {
            let expires_at = self.key.expires_at(nonce).unwrap_or(now);
            effects.consume(SecretHash::of(nonce), expires_at, SingleUse::CNonce);
        }
        let claims = session.claims.get(&configuration_id);
        let mut after_collision = false;
        for _ in 0..mint::MAX_MINT_ROUNDS {
            let (outcome, statuses) = match claims {
                None => (MintOutcome::Pending, Vec::new()),
                Some(claims) => {
                    let job = mint::MintJob {
                        configuration_id: &configuration_id,
                        claims,
                        holder_keys: &checked.holder_keys,
                        refusal: refused,
                    };
                    self.mint(&session, &job, after_collision, &effects, now)
                        .await?
                }
            };
            effects.statuses = mint::entries(&statuses);
            let (recorded, response) = match outcome {
                MintOutcome::Issued(credentials) => {
                    let notification_id = random_token(self.secrets.as_ref(), 16);
                    let recorded = CredentialOutcome::Issued {
                        count: credentials.len(),
                        key_source: checked.key_source.clone(),
                        statuses,
                        notification_hash: SecretHash::of(&notification_id),
                    };
                    let mut response =
                        CredentialResponse::issued(credentials, Some(notification_id));
                    self.add_draft13_members(&mut response, &facts, now);
                    (recorded, response)
                }
                MintOutcome::Pending => {
                    let transaction_id = random_token(self.secrets.as_ref(), 24);
                    let recorded = CredentialOutcome::Deferred {
                        holder_keys: checked.holder_keys.clone(),
                        transaction_hash: SecretHash::of(&transaction_id),
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
            let committed = self
                .commit(
                    Some(&session),
                    Load::Id(&session.id),
                    &mut step,
                    &effects,
                    now,
                )
                .await;
            match committed {
                Ok(Some(Ok(()))) => {
                    self.note_reserved(effects.statuses.len());
                    return Ok(response);
                }
                Ok(Some(Err(refusal))) => return Err(refusal),
                Ok(None) => return Err(gone()),
                Err(CommitFailure::StatusTaken) => after_collision = true,
                Err(CommitFailure::Replayed(refusal)) => {
                    let (kind, refusal) = self.proof_refusal(refusal, now);
                    let extra = json!({"code": refusal.error_code().as_str()});
                    let none = Effects::default();
                    return Err(self
                        .refuse(&session, kind, refusal, extra, &none, now)
                        .await);
                }
                Err(failure) => return Err(failure.into_response()),
            }
        }
        Err(CommitFailure::StatusTaken.into_response())
    }

    /// A refused proof as the wallet sees it (with a fresh draft-13 `c_nonce`), and the event
    /// it is logged as.
    fn proof_refusal(&self, error: Refusal, now: u64) -> (EventKind, Refusal) {
        let error = self.proof_error_with_nonce(error, now);
        let kind = if is_proof_refusal(&error) {
            EventKind::ProofRejected
        } else {
            EventKind::CredentialRejected
        };
        (kind, error)
    }

    /// Checks proofs (their nonce is consumed by the request's commit); errors carry the
    /// diagnostic code for the log.
    fn check_proofs(
        &self,
        session: &Session,
        request: &CredentialRequest,
        configuration: &CredentialConfiguration,
        now: u64,
    ) -> Result<CheckedProofs, Refusal> {
        let Some(types) = &configuration.proof_types_supported else {
            return Ok(CheckedProofs {
                holder_keys: Vec::new(),
                nonce: None,
                key_source: "none".into(),
            });
        };
        let Some(proofs) = &request.proofs else {
            let why = "proofs is missing: this credential requires proof of possession of a holder key (OID4VCI 1.0 Section 8.2)";
            return Err(Refusal::proof(
                Cause::ProofMissing,
                why,
                "missing_proofs",
                None,
            ));
        };
        let Some(proof_type) = types.get(proofs.proof_type()) else {
            let supported: Vec<&str> = types.proof_types().collect();
            let why = format!(
                "proof type {} is not supported for this credential; use one of [{}]",
                proofs.proof_type(),
                supported.join(", ")
            );
            return Err(Refusal::proof(
                Cause::ProofTypeUnsupported,
                why,
                "unsupported_proof_type",
                None,
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
        self.proofs.check(proofs, &input)
    }
}

/// The refusal when the session of a valid access token was swept meanwhile.
pub(super) fn gone() -> Refusal {
    Refusal::new(
        Cause::SessionGone,
        "the session of this access token no longer exists",
    )
}

/// A refusal of the key proofs (`invalid_proof`, `invalid_nonce`): logged as
/// `proof_rejected`, and answered with a fresh draft-13 `c_nonce`.
fn is_proof_refusal(refusal: &Refusal) -> bool {
    matches!(
        refusal.error_code(),
        ErrorCode::InvalidProof | ErrorCode::InvalidNonce
    )
}
