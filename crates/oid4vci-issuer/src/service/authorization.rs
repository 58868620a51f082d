//! The embedded authorization server: its settings and metadata, `POST /par`, and the
//! `authorization_code` grant of the token endpoint (the login page is in `login.rs`).

use super::commit::{CommitFailure, Effects, Load};
use super::*;
use crate::machine::par::{Push, PushInput};
use crate::machine::token::Code;
use oid4vci_authorization::{
    request_uri, AddressRateLimit, AuthorizationPolicy, AuthorizationRequest, LoginThrottle,
    RateLimiter, SignInThrottle, ThrottleStats, UserDirectory,
};

/// The embedded authorization server's settings and users.
#[derive(Clone)]
pub(super) struct AuthorizationServer {
    pub(super) policy: AuthorizationPolicy,
    pub(super) users: Arc<dyn UserDirectory>,
    /// Failed sign-ins, per account and client address (of this instance by default).
    pub(super) throttle: Arc<dyn SignInThrottle>,
    /// Pushed authorization requests per client address (of this instance by default).
    pub(super) par_rate: Arc<dyn AddressRateLimit>,
}

/// The answer to a pushed authorization request (RFC 9126 §2.2), sent with `201 Created`.
/// `Debug` hides the `request_uri`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParResponse {
    /// Single-use reference to the pushed request.
    pub request_uri: String,
    /// Seconds until `request_uri` expires.
    pub expires_in: u64,
}

impl std::fmt::Debug for ParResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParResponse")
            .field("request_uri", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

pub(super) fn no_server() -> Refusal {
    Refusal::new(
        Cause::NoAuthorizationServer,
        "this issuer has no authorization endpoint (only the pre-authorized code flow)",
    )
}

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    /// Enables the embedded authorization server (authorization code flow with PAR and PKCE)
    /// with these rules and users. Failed sign-ins and pushed requests are counted in this
    /// process's memory ([`LoginThrottle`], [`RateLimiter`] under the policy's `throttle` and
    /// `par_rate`); [`with_sign_in_throttle`](Self::with_sign_in_throttle) and
    /// [`with_par_rate_limit`](Self::with_par_rate_limit) replace them.
    pub fn with_authorization_server(
        mut self,
        policy: AuthorizationPolicy,
        users: Arc<dyn UserDirectory>,
    ) -> Self {
        let throttle = Arc::new(LoginThrottle::new(policy.throttle));
        let par_rate = Arc::new(RateLimiter::new(policy.par_rate));
        self.authorization = Some(AuthorizationServer {
            policy,
            users,
            throttle,
            par_rate,
        });
        self
    }

    /// Counts failed sign-ins with `throttle` instead of this process's [`LoginThrottle`]: for
    /// example an implementation over a store several instances share, so that an attacker
    /// spread over them gets no more attempts. Call it after
    /// [`with_authorization_server`](Self::with_authorization_server); without one it does
    /// nothing.
    pub fn with_sign_in_throttle(mut self, throttle: Arc<dyn SignInThrottle>) -> Self {
        if let Some(server) = self.authorization.as_mut() {
            server.throttle = throttle;
        }
        self
    }

    /// Counts pushed authorization requests per client address with `limit` instead of this
    /// process's [`RateLimiter`] (for example over a store several instances share). Call it
    /// after [`with_authorization_server`](Self::with_authorization_server); without one it
    /// does nothing.
    pub fn with_par_rate_limit(mut self, limit: Arc<dyn AddressRateLimit>) -> Self {
        if let Some(server) = self.authorization.as_mut() {
            server.par_rate = limit;
        }
        self
    }

    /// The login page's throttling counters (refusals per account and per address, failures,
    /// records kept), when the authorization server is enabled.
    pub fn login_throttle_stats(&self) -> Option<ThrottleStats> {
        self.authorization.as_ref().map(|a| a.throttle.stats())
    }

    /// Pushed authorization requests refused for their address's rate so far, when the
    /// authorization server is enabled.
    pub fn par_rate_refusals(&self) -> Option<u64> {
        self.authorization.as_ref().map(|a| a.par_rate.refused())
    }

    /// The authorization server's rules, when it is enabled.
    pub fn authorization_policy(&self) -> Option<&AuthorizationPolicy> {
        self.authorization.as_ref().map(|a| &a.policy)
    }

    pub(super) fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer_id().trim_end_matches('/'))
    }

    pub(super) fn add_authorization_endpoints(&self, metadata: &mut AuthorizationServerMetadata) {
        metadata.authorization_endpoint = Some(self.endpoint("/authorize"));
        metadata.response_types_supported = Some(vec!["code".into()]);
        if let Some(grants) = metadata.grant_types_supported.as_mut() {
            grants.push("authorization_code".into());
        }
        let scopes: Vec<&str> = self
            .config
            .metadata
            .credential_configurations_supported
            .values()
            .filter_map(|c| c.scope.as_deref())
            .collect();
        let extra = [
            (
                "pushed_authorization_request_endpoint",
                json!(self.endpoint("/par")),
            ),
            ("require_pushed_authorization_requests", json!(true)),
            ("code_challenge_methods_supported", json!(["S256"])),
            (
                "authorization_response_iss_parameter_supported",
                json!(true),
            ),
            ("response_modes_supported", json!(["query"])),
            ("scopes_supported", json!(scopes)),
        ];
        for (k, v) in extra {
            metadata.extra.insert(k.into(), v);
        }
    }

    /// `POST /par` (RFC 9126): checks and stores an authorization request, answering a
    /// single-use `request_uri`. With `issuer_state` the request joins that offer's session;
    /// without, it starts a new session for the configurations `scope` or
    /// `authorization_details` name. A `DPoP` proof binds the future code to its key
    /// (RFC 9449 §10); wallet attestation headers are verified as at the token endpoint.
    pub async fn pushed_authorization_request(
        &self,
        body: &[u8],
        facts: HttpFacts,
    ) -> Outcome<ParResponse> {
        let now = self.clock.now();
        let server = self.authorization.as_ref().ok_or_else(no_server)?;
        // Each pushed request stores a session: an address gets so many (RFC 9126 Section 2.3).
        if let Err(wait) = server.par_rate.take(facts.client_address, now) {
            return Err(Refusal::new(
                Cause::ParRateLimited,
                format!(
                    "too many pushed authorization requests from this address; retry in {wait} s"
                ),
            )
            .with_retry_after(wait));
        }
        let checked =
            AuthorizationRequest::from_form(body, &server.policy.redirect).and_then(|mut r| {
                let ids = r.configurations(&self.config.metadata)?;
                r.trim_details(&self.config.metadata)?;
                Ok((r, ids))
            });
        let (mut request, configuration_ids) = match checked {
            Ok(c) => c,
            Err(e) => return Err(self.refuse_par(body, Refusal::from(e), now).await),
        };
        let offer_state = request.issuer_state.as_deref().map(SecretHash::of);
        let mut offer = None;
        if let Some(hash) = &offer_state {
            // Cheap rejection first: nothing is consumed for an unknown issuer_state.
            offer = self
                .store
                .find(LookupKind::IssuerState, hash)
                .await
                .map_err(server_error)?;
            if offer.is_none() {
                return Err(Refusal::new(
                    Cause::IssuerStateUnknown,
                    "unknown issuer_state: it must come from a credential offer of this issuer",
                ));
            }
        } else if configuration_ids.is_empty() {
            return Err(Refusal::new(Cause::NoCredentialRequested, "name the credentials: send scope (see scope in the issuer metadata) or authorization_details of type openid_credential, or the issuer_state of an offer"));
        }
        let mut effects = Effects::default();
        let par_endpoint = self.endpoint("/par");
        let dpop = self.check_dpop(&facts, &par_endpoint, None, now, &mut effects)?;
        let attested = self.check_client_attestation(
            &facts,
            Some(&request.client_id),
            dpop.as_ref(),
            now,
            &mut effects,
        )?;
        if let Some(a) = &attested {
            request.client_id = a.client_id.clone();
        } else if self.config.require_wallet_attestation {
            let error = Refusal::new(Cause::WalletAttestationMissing, "this issuer requires wallet attestation of every client: send OAuth-Client-Attestation and OAuth-Client-Attestation-PoP with the pushed authorization request (HAIP 4.4.1, OID4VCI 1.0 Appendix E)");
            return Err(self.refuse_par(body, error, now).await);
        }
        if let Some(proof) = &dpop {
            request.bind_dpop(&proof.jkt)?;
        }
        let uri = request_uri::from_secret(&random_token(self.secrets.as_ref(), 32));
        let policy = &server.policy;
        let input = PushInput {
            request_uri_hash: SecretHash::of(&uri),
            request_uri_ttl: policy.request_uri_ttl,
            wallet_attested: attested.is_some(),
            from_offer: offer_state.is_some(),
            now,
        };
        let mut step = Push {
            request,
            configuration_ids,
            input,
        };
        // Kept only as long as the request can be used, until the user approves.
        let pending_until = now
            .saturating_add(policy.request_uri_ttl)
            .saturating_add(policy.login_ttl);
        match (&offer_state, offer) {
            // The offer's first authorization request runs on the offer's own session.
            (Some(hash), Some(offer)) if offer.state == SessionState::Offered => {
                let unknown = || Refusal::new(Cause::IssuerStateUnknown, "unknown issuer_state");
                let load = Load::Lookup(LookupKind::IssuerState, hash);
                self.step(Some(&offer), load, unknown, &mut step, &effects, now)
                    .await?;
            }
            // Another client with the same issuer_state (the OIDF multiple-clients module;
            // OID4VCI 1.0 Sections 4.1.1 and 5.1.3 do not make it single-use): an
            // authorization of its own on a copy of the offer, linked from the offer's log.
            (Some(_), Some(offer)) => {
                let mut session = machine::offer::copy_for_authorization(
                    &offer,
                    random_token(self.secrets.as_ref(), 16),
                    now,
                    pending_until,
                );
                machine::apply(&mut session, &mut step, now)?;
                self.commit_new(&session, &effects)
                    .await
                    .map_err(CommitFailure::into_response)?;
                let reused = machine::Log {
                    kind: EventKind::OfferReused,
                    details: json!({"session_id": session.id, "client_id": step.request.client_id}),
                };
                // The copy is committed; a lost log entry on the offer does not undo it.
                let _ = self
                    .log(Some(&offer), &offer.id, reused, &Effects::default(), now)
                    .await;
            }
            _ => {
                let mut session = Session {
                    id: random_token(self.secrets.as_ref(), 16),
                    version: 0,
                    credential_issuer: self.issuer_id().to_owned(),
                    configuration_ids: step.configuration_ids.clone(),
                    pre_authorized: None,
                    issuer_state: None,
                    offer_id_hash: None,
                    claims: Default::default(),
                    subject_id: None,
                    flags: Default::default(),
                    state: SessionState::AuthorizationRequested,
                    created_at: now,
                    offer_expires_at: now.saturating_add(policy.request_uri_ttl),
                    expires_at: pending_until,
                    access: None,
                    deferred: Vec::new(),
                    notification_hashes: Vec::new(),
                    events: Vec::new(),
                    events_dropped: 0,
                    refresh: None,
                    authorization: None,
                };
                machine::apply(&mut session, &mut step, now)?;
                self.commit_new(&session, &effects)
                    .await
                    .map_err(CommitFailure::into_response)?;
            }
        }
        Ok(ParResponse {
            request_uri: uri,
            expires_in: policy.request_uri_ttl,
        })
    }

    /// Logs a refused pushed request on the offer its `issuer_state` names, if any.
    async fn refuse_par(&self, body: &[u8], error: Refusal, now: u64) -> Refusal {
        let state = oid4vci_types::parse::parse_form(body, ErrorCode::InvalidRequest)
            .ok()
            .and_then(|mut p| p.remove("issuer_state"));
        let Some(state) = state else {
            return error;
        };
        let found = self
            .store
            .find(LookupKind::IssuerState, &SecretHash::of(&state))
            .await;
        match found {
            Ok(Some(session)) => {
                let none = Effects::default();
                self.refuse(
                    &session,
                    EventKind::ParRejected,
                    error,
                    json!({}),
                    &none,
                    now,
                )
                .await
            }
            Ok(None) => error,
            Err(e) => server_error(e),
        }
    }

    /// The `authorization_code` grant of `POST /token`. The code is looked up before the DPoP
    /// proof's and attestation PoP's `jti` are consumed (cheap rejections first).
    pub(super) async fn token_authorization_code(
        &self,
        request: TokenRequest,
        facts: HttpFacts,
    ) -> Outcome<TokenResponse> {
        let now = self.clock.now();
        if self.authorization.is_none() {
            return Err(Refusal::new(
                Cause::UnsupportedGrantType,
                "this issuer has no authorization endpoint, so it issues no authorization codes",
            ));
        }
        let TokenGrant::AuthorizationCode { code, .. } = &request.grant else {
            return Err(Refusal::new(
                Cause::UnsupportedGrantType,
                "expected the authorization_code grant",
            ));
        };
        let hash = SecretHash::of(code.expose());
        let not_found = || {
            Refusal::new(
                Cause::AuthorizationCodeUnknown,
                "unknown or expired authorization code",
            )
        };
        let found = self
            .store
            .find(LookupKind::AuthorizationCode, &hash)
            .await
            .map_err(server_error)?
            .ok_or_else(not_found)?;
        let token_endpoint = self.endpoint("/token");
        let mut effects = Effects::default();
        let dpop = self.check_dpop(&facts, &token_endpoint, None, now, &mut effects);
        let client_id = request.client_id.as_deref();
        let proof = dpop.as_ref().ok().and_then(Option::as_ref);
        let attestation =
            self.check_client_attestation(&facts, client_id, proof, now, &mut effects);
        let load = Load::Lookup(LookupKind::AuthorizationCode, &hash);
        let code = Code::Authorization(&hash);
        self.redeem_code(
            code,
            Some(&found),
            load,
            not_found,
            &request,
            dpop,
            attestation,
            effects,
            now,
        )
        .await
    }
}
