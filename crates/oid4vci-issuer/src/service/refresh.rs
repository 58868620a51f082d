//! The refresh token grant (RFC 6749 §6): one read (the session, by the refresh token's hash)
//! and one write (the rotated family, the new access token, the DPoP proof's and attestation
//! PoP's `jti`s).

use super::commit::{Effects, Load};
use super::*;
use crate::machine::grant::TokenInput;
use crate::machine::refresh::Refresh;

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    /// A fresh refresh token when the issuer issues them for this grant (always for the
    /// authorization code grant, for the pre-authorized one when configured).
    pub(super) fn new_refresh_token(&self, authorization_code: bool) -> Option<String> {
        self.config.refresh_token_ttl?;
        (authorization_code || self.config.refresh_for_pre_authorized)
            .then(|| random_token(self.secrets.as_ref(), 32))
    }

    /// `POST /token` with `grant_type=refresh_token`: a new access token for what the family's
    /// token granted (the same `authorization_details` and `credential_identifiers`), and the
    /// next refresh token; the presented one is used up.
    pub(super) async fn token_refresh(
        &self,
        request: &TokenRequest,
        presented: SecretHash,
        facts: HttpFacts,
    ) -> Outcome<TokenResponse> {
        let now = self.clock.now();
        let unknown = || Refusal::new(Cause::RefreshTokenUnknown, "unknown refresh token");
        if self.config.refresh_token_ttl.is_none() {
            return Err(Refusal::new(
                Cause::UnsupportedGrantType,
                "this issuer issues no refresh tokens",
            ));
        }
        let found = self
            .store
            .find(LookupKind::RefreshToken, &presented)
            .await
            .map_err(server_error)?
            .ok_or_else(unknown)?;
        let token_endpoint = self.authorization_server_metadata().token_endpoint;
        let mut effects = Effects::default();
        let dpop = self.check_dpop(&facts, &token_endpoint, None, now, &mut effects);
        let client_id = request.client_id.as_deref();
        let proof = dpop.as_ref().ok().and_then(Option::as_ref);
        let attestation =
            self.check_client_attestation(&facts, client_id, proof, now, &mut effects);
        let presented_credentials = super::access::presented_verdict(&dpop, &attestation)?;
        let dpop_jkt = dpop.ok().flatten().map(|d| d.jkt);
        let dpop_bound = dpop_jkt.is_some();
        let access_token = random_token(self.secrets.as_ref(), 32);
        let next = random_token(self.secrets.as_ref(), 32);
        let mut no_identifiers = |_: &str| String::new();
        let mut step = Refresh {
            presented,
            next: SecretHash::of(&next),
            client_id,
            presented_credentials,
            input: TokenInput {
                metadata: &self.config.metadata,
                access_token_hash: SecretHash::of(&access_token),
                expires_in: self.config.access_token_ttl,
                new_identifier: &mut no_identifiers,
                dpop_jkt,
                attested_client: attestation.ok().flatten().map(|a| a.client_id),
                require_dpop: self.config.require_dpop,
                require_wallet_attestation: self.config.require_wallet_attestation,
                require_client_id: self.config.require_client_id,
                refresh: None,
                now,
            },
        };
        let load = Load::Lookup(LookupKind::RefreshToken, &presented);
        let granted = self
            .step(Some(&found), load, unknown, &mut step, &effects, now)
            .await?;
        let mut response =
            self.token_response(access_token, dpop_bound, granted.authorization_details, now);
        response.refresh_token = Some(next.into());
        Ok(response)
    }
}
