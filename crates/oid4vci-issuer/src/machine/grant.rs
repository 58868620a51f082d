//! What a redeemed code grants, whichever grant it was: the access token, a credential
//! identifier per granted configuration, and the token response's `authorization_details`.

use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::secrets::SecretHash;
use crate::session::{
    details, AccessGrant, GrantedCredential, RefreshState, Session, SessionState,
};
use oid4vci_types::{AuthorizationDetail, CredentialIssuerMetadata};
use serde_json::json;

/// What the service supplies besides the request.
pub(crate) struct TokenInput<'a> {
    /// The issuer metadata (to resolve draft-13 `format` authorization details).
    pub metadata: &'a CredentialIssuerMetadata,
    /// Hash of the freshly generated access token.
    pub access_token_hash: SecretHash,
    /// Access token lifetime in seconds.
    pub expires_in: u64,
    /// Makes a new credential identifier for a configuration.
    pub new_identifier: &'a mut (dyn FnMut(&str) -> String + Send),
    /// Thumbprint of the key of a verified DPoP proof sent with the request.
    pub dpop_jkt: Option<String>,
    /// The client id a verified wallet attestation authenticated (it replaces `client_id`).
    pub attested_client: Option<String>,
    /// The issuer requires DPoP-bound tokens of every client.
    pub require_dpop: bool,
    /// The issuer requires wallet attestation of every client.
    pub require_wallet_attestation: bool,
    /// The issuer requires `client_id` when a public client redeems an authorization code.
    pub require_client_id: bool,
    /// A refresh token to issue with the access token: its hash and the family's lifetime.
    pub refresh: Option<(SecretHash, u64)>,
    /// Now.
    pub now: UnixTime,
}

/// A successful exchange: what to put in the token response.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TokenGranted {
    /// `authorization_details` for the response, when the request used them.
    pub authorization_details: Option<Vec<AuthorizationDetail>>,
    /// Granted configuration ids.
    pub configuration_ids: Vec<String>,
}

/// What a grant's rules decided.
pub(crate) struct Issued {
    /// The configurations granted.
    pub configuration_ids: Vec<String>,
    /// The request used `authorization_details`: the response carries them, with
    /// `credential_identifiers` (Section 6.2).
    pub uses_identifiers: bool,
    /// The client the token is issued to.
    pub client_id: Option<String>,
    /// The event to log.
    pub event: EventKind,
    /// The grant type, for the log.
    pub grant_type: &'static str,
}

/// Issues the access token: the session gets its [`AccessGrant`] and goes to `token_issued`.
pub(crate) fn issue_token(
    session: &mut Session,
    issued: Issued,
    input: &mut TokenInput<'_>,
) -> TokenGranted {
    let now = input.now;
    let granted: Vec<GrantedCredential> = issued
        .configuration_ids
        .iter()
        .map(|id| GrantedCredential {
            configuration_id: id.clone(),
            credential_identifiers: vec![(input.new_identifier)(id)],
        })
        .collect();
    let authorization_details = issued.uses_identifiers.then(|| {
        granted
            .iter()
            .map(|g| {
                let mut d = AuthorizationDetail::for_configuration(g.configuration_id.clone());
                d.credential_identifiers = Some(g.credential_identifiers.clone());
                d
            })
            .collect()
    });
    let token_type = if input.dpop_jkt.is_some() {
        "DPoP"
    } else {
        "Bearer"
    };
    session.record(
        issued.event,
        now,
        details([
            ("grant_type", json!(issued.grant_type)),
            (
                "credential_configuration_ids",
                json!(issued.configuration_ids),
            ),
            ("client_id", json!(issued.client_id)),
            ("wallet_attested", json!(input.attested_client.is_some())),
            ("authorization_details", json!(issued.uses_identifiers)),
            ("token_type", json!(token_type)),
        ]),
    );
    session.access = Some(AccessGrant {
        token_hash: input.access_token_hash,
        expires_at: now.saturating_add(input.expires_in),
        client_id: issued.client_id,
        granted,
        uses_credential_identifiers: issued.uses_identifiers,
        dpop_jkt: input.dpop_jkt.clone(),
    });
    session.refresh = input.refresh.map(|(token_hash, ttl)| RefreshState {
        token_hash,
        expires_at: now.saturating_add(ttl),
        dpop_jkt: input.dpop_jkt.clone(),
        client_id: session.access.as_ref().and_then(|a| a.client_id.clone()),
        attested: input.attested_client.is_some(),
        rotated: Vec::new(),
    });
    session.state = SessionState::TokenIssued;
    TokenGranted {
        authorization_details,
        configuration_ids: issued.configuration_ids,
    }
}
