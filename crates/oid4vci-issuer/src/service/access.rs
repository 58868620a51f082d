//! Offer by reference, token, nonce, and the access-token (and DPoP) checks of later requests.

use super::commit::{Effects, Load, SingleUse};
use super::*;
use crate::body::TokenBody;
use crate::machine::offer::RetrieveOffer;
use crate::machine::token::{self, Code, RedeemCode};

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    /// `GET credential_offer_uri` (Section 4.1.3): the offer by reference.
    pub async fn credential_offer(&self, offer_id: &str) -> Outcome<CredentialOffer> {
        let now = self.clock.now();
        let hash = SecretHash::of(offer_id);
        fn not_found() -> Refusal {
            Refusal::new(Cause::OfferUnknown, "unknown or expired credential offer")
        }
        let code = self.key.derive("pre-authorized_code", offer_id);
        let mut step = RetrieveOffer {
            code: &code,
            not_found,
        };
        let load = Load::Lookup(LookupKind::OfferId, &hash);
        self.step(None, load, not_found, &mut step, &Effects::default(), now)
            .await
    }

    /// `POST /token` (Section 6): the form as it arrived, or a parsed request.
    pub async fn token<'a>(
        &self,
        body: impl Into<TokenBody<'a>>,
        facts: HttpFacts,
    ) -> Outcome<TokenResponse> {
        let request = match body.into() {
            TokenBody::Parsed(request) => request,
            TokenBody::Form(form) => {
                TokenRequest::from_form(form).map_err(|e| Refusal::malformed(&e))?
            }
        };
        match &request.grant {
            TokenGrant::AuthorizationCode { .. } => {
                return self.token_authorization_code(request, facts).await
            }
            TokenGrant::RefreshToken { refresh_token } => {
                let hash = SecretHash::of(refresh_token.expose());
                return self.token_refresh(&request, hash, facts).await;
            }
            TokenGrant::PreAuthorizedCode { .. } => {}
        }
        let now = self.clock.now();
        let TokenGrant::PreAuthorizedCode {
            pre_authorized_code,
            ..
        } = &request.grant
        else {
            return Err(Refusal::new(Cause::AuthorizationCodeUnknown, "authorization codes are issued by the authorization server; this issuer only redeems pre-authorized codes"));
        };
        let hash = SecretHash::of(pre_authorized_code.expose());
        let not_found = || {
            Refusal::new(
                Cause::PreAuthorizedCodeUnknown,
                "unknown or expired pre-authorized code",
            )
        };
        // Cheap rejections first: an unknown code costs one indexed read (no signature check, no
        // write), and a spent, locked or expired one is refused and logged without verifying its
        // DPoP proof or attestation, so their single-use `jti`s are recorded only for requests
        // that can succeed.
        let found = self
            .store
            .find(LookupKind::PreAuthorizedCode, &hash)
            .await
            .map_err(server_error)?
            .ok_or_else(not_found)?;
        let mut effects = Effects::default();
        let (dpop, attestation) = if token::can_redeem(&found, now) {
            let token_endpoint = self.authorization_server_metadata().token_endpoint;
            let dpop = self.check_dpop(&facts, &token_endpoint, None, now, &mut effects);
            let client_id = request.client_id.as_deref();
            let proof = dpop.as_ref().ok().and_then(Option::as_ref);
            let attestation =
                self.check_client_attestation(&facts, client_id, proof, now, &mut effects);
            (dpop, attestation)
        } else {
            (Ok(None), Ok(None))
        };
        let load = Load::Lookup(LookupKind::PreAuthorizedCode, &hash);
        self.redeem_code(
            Code::PreAuthorized,
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

    /// Redeems a code at the token endpoint, after its DPoP proof and wallet attestation were
    /// verified (`dpop`, `attestation`: their verdicts, a refusal logged by the step).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn redeem_code(
        &self,
        code: Code<'_>,
        loaded: Option<&Session>,
        load: Load<'_>,
        not_found: impl FnOnce() -> Refusal,
        request: &TokenRequest,
        dpop: Outcome<Option<crate::dpop::VerifiedDpop>>,
        attestation: Outcome<Option<crate::client_attestation::VerifiedClientAttestation>>,
        effects: Effects,
        now: u64,
    ) -> Outcome<TokenResponse> {
        let presented = presented_verdict(&dpop, &attestation)?;
        let access_token = random_token(self.secrets.as_ref(), 32);
        let secrets = Arc::clone(&self.secrets);
        let mut new_identifier =
            move |config: &str| format!("{config}.{}", random_token(secrets.as_ref(), 12));
        let dpop_jkt = dpop.ok().flatten().map(|d| d.jkt);
        let dpop_bound = dpop_jkt.is_some();
        let refresh_token = self.new_refresh_token(matches!(code, Code::Authorization(_)));
        let refresh = refresh_token.as_ref().zip(self.config.refresh_token_ttl);
        let mut step = RedeemCode {
            code,
            request,
            presented,
            input: crate::machine::grant::TokenInput {
                metadata: &self.config.metadata,
                access_token_hash: SecretHash::of(&access_token),
                expires_in: self.config.access_token_ttl,
                new_identifier: &mut new_identifier,
                dpop_jkt,
                attested_client: attestation.ok().flatten().map(|a| a.client_id),
                require_dpop: self.config.require_dpop,
                require_wallet_attestation: self.config.require_wallet_attestation,
                require_client_id: self.config.require_client_id,
                refresh: refresh.map(|(token, ttl)| (SecretHash::of(token), ttl)),
                now,
            },
            nonce_in_response: self.config.draft13_c_nonce,
        };
        let granted = self
            .step(loaded, load, not_found, &mut step, &effects, now)
            .await?;
        let mut response =
            self.token_response(access_token, dpop_bound, granted.authorization_details, now);
        response.refresh_token = refresh_token.map(Into::into);
        Ok(response)
    }

    /// The token response for a granted code, whichever grant it was: DPoP or Bearer, the
    /// granted `authorization_details`, and the draft-13 `c_nonce` when enabled.
    pub(super) fn token_response(
        &self,
        access_token: String,
        dpop_bound: bool,
        authorization_details: Option<Vec<oid4vci_types::AuthorizationDetail>>,
        now: u64,
    ) -> TokenResponse {
        let mut response = TokenResponse::bearer(access_token, self.config.access_token_ttl);
        if dpop_bound {
            response.token_type = "DPoP".into();
        }
        response.authorization_details = authorization_details;
        if self.config.draft13_c_nonce {
            response.c_nonce = Some(self.key.mint(self.secrets.as_ref(), now));
            response.c_nonce_expires_in = Some(self.config.nonce_ttl);
        }
        response
    }

    /// Verifies the `DPoP` header, if any, for a request to `url`; its `jti` is consumed with
    /// the request's commit (`effects`).
    pub(super) fn check_dpop(
        &self,
        facts: &HttpFacts,
        url: &str,
        access_token: Option<&str>,
        now: u64,
        effects: &mut Effects,
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
            Refusal::new(
                Cause::DpopProofInvalid,
                format!("invalid DPoP proof: {reason} (RFC 9449 Section 4.3)"),
            )
        })?;
        self.check_dpop_nonce(verified.nonce.as_deref(), now)?;
        let replay_key = SecretHash::of(&format!("dpop-jti\0{}\0{}", verified.jkt, verified.jti));
        let expires = verified
            .iat
            .saturating_add(self.config.nonce_ttl)
            .saturating_add(60);
        effects.consume(replay_key, expires, SingleUse::DpopProof);
        Ok(Some(verified))
    }

    /// The key of DPoP nonces, when the issuer requires them.
    fn dpop_nonce_key(&self) -> Option<crate::nonce::ServerKey> {
        let ttl = self.config.dpop_nonce_ttl?;
        Some(self.key.subkey("dpop-nonce", ttl))
    }

    /// A fresh DPoP nonce (RFC 9449 §8) when the issuer requires them: an adapter sends it as
    /// `DPoP-Nonce` with every response to a request that carried a DPoP proof.
    pub fn dpop_nonce(&self) -> Option<String> {
        let key = self.dpop_nonce_key()?;
        Some(key.mint(self.secrets.as_ref(), self.clock.now()))
    }

    /// Refuses a DPoP proof without a current server nonce, when nonces are required:
    /// `use_dpop_nonce` with a fresh one (RFC 9449 §8, §9).
    fn check_dpop_nonce(&self, nonce: Option<&str>, now: u64) -> Outcome<()> {
        use oid4vci_proof::NonceVerifier as _;
        let Some(key) = self.dpop_nonce_key() else {
            return Ok(());
        };
        let why = match nonce.map(|n| key.verifier(now).verify(n)) {
            Some(Ok(())) => return Ok(()),
            None => "this server requires a DPoP nonce: make a new DPoP proof with the nonce of the DPoP-Nonce response header (RFC 9449 Section 8)",
            Some(Err(_)) => "the DPoP nonce is unknown or expired: make a new DPoP proof with the nonce of the DPoP-Nonce response header (RFC 9449 Section 8)",
        };
        let fresh = key.mint(self.secrets.as_ref(), now);
        Err(Refusal::new(Cause::DpopNonceRequired, why).with_dpop_nonce(fresh))
    }

    /// The key of attestation challenges, when the issuer requires them.
    fn attestation_challenge_key(&self) -> Option<crate::nonce::ServerKey> {
        let ttl = self.config.attestation_challenge_ttl?;
        Some(self.key.subkey("attestation-challenge", ttl))
    }

    /// A fresh attestation challenge when the issuer requires them: the challenge endpoint's
    /// answer, and the `OAuth-Client-Attestation-Challenge` header an adapter sends with every
    /// response to a request that carried a wallet attestation.
    pub fn attestation_challenge(&self) -> Option<String> {
        let key = self.attestation_challenge_key()?;
        Some(key.mint(self.secrets.as_ref(), self.clock.now()))
    }

    /// Refuses a wallet attestation PoP without a current server-provided challenge, when
    /// challenges are required: `use_attestation_challenge` with a fresh one.
    fn check_attestation_challenge(&self, challenge: Option<&str>, now: u64) -> Outcome<()> {
        use oid4vci_proof::NonceVerifier as _;
        let Some(key) = self.attestation_challenge_key() else {
            return Ok(());
        };
        let why = match challenge.map(|c| key.verifier(now).verify(c)) {
            Some(Ok(())) => return Ok(()),
            None => "this server requires a challenge in the client attestation PoP: put the value of the OAuth-Client-Attestation-Challenge response header (or of the challenge endpoint) in its challenge claim",
            Some(Err(_)) => "the client attestation PoP's challenge is unknown or expired: use the one of the OAuth-Client-Attestation-Challenge response header",
        };
        let fresh = key.mint(self.secrets.as_ref(), now);
        Err(Refusal::new(Cause::AttestationChallengeRequired, why)
            .with_attestation_challenge(fresh))
    }

    /// Verifies the wallet attestation headers, if sent; the PoP's `jti` is consumed with the
    /// request's commit (`effects`). An attestation without a PoP header is in DPoP combined
    /// mode when the request's DPoP proof (`dpop`, verified) is signed by the attested key; the
    /// proof's `nonce` is then the challenge, and its `jti` the one consumed. Headers without a
    /// configured trust, or an attestation with neither PoP, are `invalid_client`.
    pub(super) fn check_client_attestation(
        &self,
        facts: &HttpFacts,
        client_id: Option<&str>,
        dpop: Option<&crate::dpop::VerifiedDpop>,
        now: u64,
        effects: &mut Effects,
    ) -> Outcome<Option<crate::client_attestation::VerifiedClientAttestation>> {
        use crate::client_attestation::AttestationError;
        let invalid = |why: AttestationError| {
            Refusal::new(
                Cause::WalletAttestationInvalid,
                format!("wallet attestation refused: {why}"),
            )
        };
        let (attestation, pop) = match (&facts.client_attestation, &facts.client_attestation_pop) {
            (None, None) => return Ok(None),
            (Some(a), Some(p)) => (a, p),
            (Some(a), None) => {
                let Some(proof) = dpop else {
                    return Err(invalid(AttestationError::Incomplete));
                };
                return self.check_combined_attestation(a, proof, client_id, now);
            }
            (None, Some(_)) => return Err(invalid(AttestationError::Incomplete)),
        };
        let Some(trust) = &self.config.wallet_attestation else {
            return Err(invalid(AttestationError::NoTrust));
        };
        let audience = self.authorization_server_metadata().issuer;
        let verified =
            crate::client_attestation::verify(attestation, pop, &audience, client_id, trust, now)
                .map_err(invalid)?;
        self.check_attestation_challenge(verified.challenge.as_deref(), now)?;
        let replay_key = SecretHash::of(&format!(
            "client-attestation-pop\0{}\0{}",
            verified.client_id, verified.pop_jti
        ));
        let expires = verified
            .pop_iat
            .saturating_add(trust.max_pop_age)
            .saturating_add(60);
        effects.consume(replay_key, expires, SingleUse::AttestationPop);
        Ok(Some(verified))
    }

    /// DPoP combined mode: the attestation's key signed the (verified) DPoP proof; a required
    /// challenge is the proof's `nonce` (a current attestation challenge, or a current DPoP
    /// nonce when the issuer demands those: both are server-provided and time-bound). The
    /// proof's `jti` is already consumed as a DPoP proof's.
    fn check_combined_attestation(
        &self,
        attestation: &str,
        proof: &crate::dpop::VerifiedDpop,
        client_id: Option<&str>,
        now: u64,
    ) -> Outcome<Option<crate::client_attestation::VerifiedClientAttestation>> {
        use crate::client_attestation::AttestationError;
        let Some(trust) = &self.config.wallet_attestation else {
            return Err(Refusal::new(
                Cause::WalletAttestationInvalid,
                format!("wallet attestation refused: {}", AttestationError::NoTrust),
            ));
        };
        let sub = crate::client_attestation::verify_combined(
            attestation,
            &proof.jkt,
            client_id,
            trust,
            now,
        )
        .map_err(|why| {
            Refusal::new(
                Cause::WalletAttestationInvalid,
                format!("wallet attestation refused: {why}"),
            )
        })?;
        if self.config.dpop_nonce_ttl.is_none() {
            self.check_attestation_challenge(proof.nonce.as_deref(), now)?;
        }
        Ok(Some(crate::client_attestation::VerifiedClientAttestation {
            client_id: sub,
            wallet_provider: String::new(),
            pop_jti: proof.jti.clone(),
            pop_iat: proof.iat,
            challenge: proof.nonce.clone(),
        }))
    }

    /// `POST /nonce` (Section 7): a fresh stateless `c_nonce`; stores nothing.
    pub fn nonce(&self) -> NonceResponse {
        NonceResponse::new(self.key.mint(self.secrets.as_ref(), self.clock.now()))
    }

    /// The session of the request's access token (one indexed read), with the token checked
    /// (constant time, expiry, Bearer or DPoP binding) and the DPoP proof verified; its `jti`
    /// goes into the returned effects, consumed with the request's commit.
    pub(super) async fn session_for_token(
        &self,
        facts: &HttpFacts,
        url: &str,
        usage: credential::TokenUse,
        now: u64,
    ) -> Outcome<(Session, SecretHash, Effects)> {
        let (token, dpop_scheme) = facts.access_token()?;
        let hash = SecretHash::of(token);
        let found = self
            .store
            .find(LookupKind::AccessToken, &hash)
            .await
            .map_err(server_error)?;
        let session = match found {
            Some(s) => s,
            None => self.session_for_external_token(token, &hash, now).await?,
        };
        credential::authorize(&session, &hash, now, usage)?;
        let mut effects = Effects::default();
        let bound = session.access.as_ref().and_then(|a| a.dpop_jkt.clone());
        match (bound, dpop_scheme) {
            (None, false) => {}
            (None, true) => {
                return Err(Refusal::new(Cause::AccessTokenMalformed, "this access token is a Bearer token; send it with the Bearer scheme"))
            }
            (Some(_), false) => {
                return Err(Refusal::new(Cause::AccessTokenMalformed, "this access token is DPoP-bound; send it as Authorization: DPoP <token> with a DPoP proof"))
            }
            (Some(jkt), true) => {
                let proof = self
                    .check_dpop(facts, url, Some(token), now, &mut effects)?
                    .ok_or_else(|| Refusal::new(Cause::DpopProofMissing, "a DPoP proof is required with a DPoP-bound access token"))?;
                if proof.jkt != jkt {
                    return Err(Refusal::new(Cause::DpopKeyMismatch, "the DPoP proof is signed by another key than the one the token is bound to"));
                }
            }
        }
        Ok((session, hash, effects))
    }
}

/// What a token request's DPoP proof and wallet attestation decide. A demand for a fresh DPoP
/// nonce or attestation challenge is part of the protocol, not a refusal of the grant: it is the
/// `Err`, answered before anything is logged or consumed, so the retry can carry the same code
/// or refresh token and the same attestation PoP. Otherwise the verdict the step logs.
pub(super) fn presented_verdict<D, A>(
    dpop: &Outcome<D>,
    attestation: &Outcome<A>,
) -> Outcome<Outcome<()>> {
    let refusals = [dpop.as_ref().err(), attestation.as_ref().err()];
    let demand = refusals.iter().flatten().find(|r| {
        matches!(
            r.cause(),
            Cause::DpopNonceRequired | Cause::AttestationChallengeRequired
        )
    });
    if let Some(demand) = demand {
        return Err((*demand).clone());
    }
    Ok(refusals
        .into_iter()
        .flatten()
        .next()
        .map_or(Ok(()), |r| Err(r.clone())))
}
