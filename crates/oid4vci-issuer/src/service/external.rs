//! External authorization server mode: the first request with a verified external access
//! token starts its session.

use super::commit::{CommitFailure, Effects};
use super::*;
use crate::external_as::AccessTokenVerifier;
use crate::session::{AccessGrant, GrantedCredential};
use oid4vci_authorization::UserDirectory;

/// The trusted external authorization server and where its users' claims come from.
#[derive(Clone)]
pub(super) struct ExternalAuthorization {
    verifier: Arc<dyn AccessTokenVerifier>,
    users: Arc<dyn UserDirectory>,
}

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    /// Accepts access tokens of an external authorization server (RFC 9068 JWTs, or anything
    /// `verifier` checks) at the credential endpoint; the metadata's `authorization_servers`
    /// names it. Claims come from `users` by the token's `sub`
    /// ([`UserDirectory::claims_of`]); a configuration without claims is issued deferred.
    pub fn with_external_authorization_server(
        mut self,
        verifier: Arc<dyn AccessTokenVerifier>,
        users: Arc<dyn UserDirectory>,
    ) -> Self {
        let servers = self
            .config
            .metadata
            .authorization_servers
            .get_or_insert_with(Vec::new);
        if !servers.iter().any(|s| s == verifier.issuer()) {
            servers.push(verifier.issuer().to_owned());
        }
        self.external = Some(ExternalAuthorization { verifier, users });
        self
    }

    /// The session of an external access token seen for the first time: verified, then stored
    /// under the token's hash (a concurrent first use finds the other's session).
    pub(super) async fn session_for_external_token(
        &self,
        token: &str,
        hash: &SecretHash,
        now: u64,
    ) -> Outcome<Session> {
        let unknown = || Refusal::new(Cause::AccessTokenUnknown, "unknown access token");
        let Some(external) = &self.external else {
            return Err(unknown());
        };
        let grant = external.verifier.verify(token, now).map_err(|why| {
            Refusal::new(
                Cause::AccessTokenRefused,
                format!("access token refused: {why}"),
            )
        })?;
        let metadata = &self.config.metadata;
        let mut granted: Vec<GrantedCredential> = Vec::new();
        let mut add = |id: &str, identifiers: Vec<String>| {
            if metadata
                .credential_configurations_supported
                .contains_key(id)
                && !granted.iter().any(|g| g.configuration_id == id)
            {
                granted.push(GrantedCredential {
                    configuration_id: id.to_owned(),
                    credential_identifiers: identifiers,
                });
            }
        };
        for value in grant.scope.iter().flat_map(|s| s.split(' ')) {
            for (id, c) in &metadata.credential_configurations_supported {
                if c.scope.as_deref() == Some(value) {
                    add(id, Vec::new());
                }
            }
        }
        for detail in grant.authorization_details.iter().flatten() {
            if detail.detail_type == oid4vci_types::OPENID_CREDENTIAL {
                if let Some(id) = &detail.credential_configuration_id {
                    add(
                        id,
                        detail.credential_identifiers.clone().unwrap_or_default(),
                    );
                }
            }
        }
        if granted.is_empty() {
            return Err(Refusal::new(Cause::InsufficientScope, "the access token grants no credential configuration of this issuer (scope or authorization_details)"));
        }
        let uses_identifiers = granted.iter().any(|g| !g.credential_identifiers.is_empty());
        let ids: Vec<String> = granted.iter().map(|g| g.configuration_id.clone()).collect();
        let claims = external
            .users
            .claims_of(&grant.subject)
            .unwrap_or_default()
            .into_iter()
            .filter(|(id, _)| ids.contains(id))
            .collect();
        let mut session = Session {
            id: random_token(self.secrets.as_ref(), 16),
            version: 0,
            credential_issuer: self.issuer_id().to_owned(),
            configuration_ids: ids.clone(),
            pre_authorized: None,
            issuer_state: None,
            offer_id_hash: None,
            claims,
            subject_id: Some(grant.subject.clone()),
            flags: Default::default(),
            state: SessionState::TokenIssued,
            created_at: now,
            offer_expires_at: now,
            expires_at: now.saturating_add(self.config.session_ttl),
            access: Some(AccessGrant {
                token_hash: *hash,
                expires_at: grant.expires_at,
                client_id: grant.client_id.clone(),
                granted,
                uses_credential_identifiers: uses_identifiers,
                dpop_jkt: grant.dpop_jkt.clone(),
            }),
            deferred: Vec::new(),
            notification_hashes: Vec::new(),
            events: Vec::new(),
            events_dropped: 0,
            refresh: None,
            authorization: None,
        };
        session.record(
            EventKind::ExternalTokenAccepted,
            now,
            details([
                ("authorization_server", json!(external.verifier.issuer())),
                ("client_id", json!(grant.client_id)),
                ("credential_configuration_ids", json!(ids)),
                ("dpop_bound", json!(grant.dpop_jkt.is_some())),
            ]),
        );
        match self.commit_new(&session, &Effects::default()).await {
            Ok(()) => Ok(session),
            Err(CommitFailure::Store(StoreError::LookupTaken)) => self
                .store
                .find(LookupKind::AccessToken, hash)
                .await
                .map_err(server_error)?
                .ok_or_else(unknown),
            Err(e) => Err(e.into_response()),
        }
    }
}
