//! The operator API: create offers, inspect sessions, submit claims, sweep.

use super::commit::{Effects, Load};
use super::*;
use crate::machine::deferred::SubmitClaims;

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

impl OfferCreated {
    /// The id of the offer by reference, as [`Issuer::credential_offer`] takes it (the last path
    /// segment of the `credential_offer_uri`).
    pub fn offer_id(&self) -> Option<String> {
        match CredentialOfferRequest::from_uri(&self.credential_offer_uri).ok()? {
            CredentialOfferRequest::ByReference(url) => url.rsplit('/').next().map(str::to_owned),
            CredentialOfferRequest::ByValue(_) => None,
        }
    }

    /// The pre-authorized code of the offer, if it has the pre-authorized code grant.
    pub fn pre_authorized_code(&self) -> Option<&oid4vci_types::SecretString> {
        self.credential_offer
            .pre_authorized_code_grant()
            .map(|g| &g.pre_authorized_code)
    }
}

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
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
        if spec.flags.require_wallet_attestation && self.config.wallet_attestation.is_none() {
            return Err(IssuerError::Unsupported(
                "require_wallet_attestation needs trusted wallet providers in IssuerConfig::wallet_attestation".into(),
            ));
        }
        if let Some(state) = spec
            .authorization_code
            .as_ref()
            .and_then(|a| a.issuer_state.as_deref())
        {
            let printable = state.bytes().all(|b| b.is_ascii_graphic());
            if state.is_empty() || state.len() > 512 || !printable {
                return Err(IssuerError::InvalidOffer(
                    "issuer_state must be 1 to 512 printable ASCII characters".into(),
                ));
            }
        }
        if spec.flags.require_key_attestation
            && self.proofs.capabilities().accepts_key_attestations == Some(false)
        {
            return Err(IssuerError::Unsupported(
                "require_key_attestation needs trusted key attesters in the proof check's policy"
                    .into(),
            ));
        }
        if spec.authorization_code.is_some() && self.authorization.is_none() {
            return Err(IssuerError::Unsupported(
                "the authorization_code grant needs the embedded authorization server (Issuer::with_authorization_server); an offer never carries a grant the issuer cannot complete".into(),
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
            for id in &spec.credential_configuration_ids {
                self.check_claims(id, claims)?;
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
            let tx = match &spec.tx_code {
                None => None,
                Some(t) => {
                    let (length, max_attempts) = t.checked(&self.config)?;
                    let mode = t.input_mode.clone().unwrap_or(InputMode::Numeric);
                    let value = match mode {
                        InputMode::Numeric => random_digits(secrets, length as usize),
                        _ => random_token(secrets, length as usize)
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
                    object
                        .validate()
                        .map_err(|e| IssuerError::InvalidOffer(e.to_string()))?;
                    Some((object, value, max_attempts))
                }
            };
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
        // The offer's own rules (unique configuration ids, an https issuer, ...): what is
        // published must be a valid offer.
        offer
            .validate()
            .map_err(|e| IssuerError::InvalidOffer(e.to_string()))?;
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
            refresh: None,
            authorization: None,
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
        self.commit_new(&session, &Effects::default()).await?;
        let reference = format!(
            "{}/{offer_id}",
            self.config.offer_uri_base.trim_end_matches('/')
        );
        Ok(OfferCreated {
            session_id,
            credential_offer_uri: CredentialOfferRequest::ByReference(reference)
                .to_uri_with_base(&self.config.offer_scheme),
            credential_offer_by_value_uri: CredentialOfferRequest::ByValue(offer.clone())
                .to_uri_with_base(&self.config.offer_scheme),
            credential_offer: offer,
            tx_code: tx_value,
        })
    }

    /// The sessions `query` selects, newest first, as the operator's list shows them; `None`
    /// when the store cannot list sessions.
    pub async fn sessions(
        &self,
        query: &crate::SessionQuery,
    ) -> Result<Option<Vec<crate::SessionListing>>, IssuerError> {
        let sessions = self.store.list(query).await?;
        Ok(sessions.map(|all| all.iter().map(crate::summary::listing).collect()))
    }

    /// The session's summary and event log.
    pub async fn inspect(&self, session_id: &str) -> Result<SessionSummary, IssuerError> {
        let mut summary = self
            .store
            .get(session_id)
            .await?
            .map(|s| crate::summary::summary(&s))
            .ok_or(IssuerError::NotFound)?;
        summary.credentials = self.credential_statuses(session_id).await?;
        Ok(summary)
    }

    /// Supplies claims for a configuration of a session (deferred issuance).
    pub async fn submit_claims(
        &self,
        session_id: &str,
        configuration_id: &str,
        claims: Value,
    ) -> Result<(), IssuerError> {
        self.check_claims(configuration_id, &claims)?;
        let now = self.clock.now();
        let mut step = SubmitClaims {
            configuration_id,
            claims: &claims,
        };
        let effects = Effects::default();
        match self
            .commit(None, Load::Id(session_id), &mut step, &effects, now)
            .await?
        {
            Some(Ok(())) => Ok(()),
            Some(Err(refused)) => Err(IssuerError::InvalidClaims(refused.description().to_owned())),
            None => Err(IssuerError::NotFound),
        }
    }

    /// The minter's verdict on claims for a configuration, before they are stored.
    fn check_claims(&self, configuration_id: &str, claims: &Value) -> Result<(), IssuerError> {
        let Some(configuration) = self
            .config
            .metadata
            .credential_configurations_supported
            .get(configuration_id)
        else {
            return Ok(()); // an unknown configuration is refused where it is named
        };
        self.minter
            .check_claims(configuration_id, configuration, claims)
            .map_err(|e| IssuerError::InvalidClaims(format!("{configuration_id}: {}", e.0)))
    }

    /// Deletes expired sessions and nonce records; returns how many sessions went.
    pub async fn sweep_expired(&self) -> Result<u64, IssuerError> {
        Ok(self.store.sweep_expired(self.clock.now()).await?)
    }
}
