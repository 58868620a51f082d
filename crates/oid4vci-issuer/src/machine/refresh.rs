//! The refresh token grant (RFC 6749 §6) as a step: a new access token for what the session's
//! token already grants, and a new refresh token. Rotation (RFC 9700 §4.14.2): the presented
//! token is used up; presenting it again revokes the family — the access token and every
//! refresh token — and moves the session to `revoked`, as a second redemption of an
//! authorization code does (RFC 6749 §4.1.2).

use super::grant::{TokenGranted, TokenInput};
use super::{refuse, Admission, Step, StepKind};
use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::refusal::{Cause, Refusal};
use crate::secrets::SecretHash;
use crate::session::{details, AccessGrant, RefreshState, Session, SessionState};
use oid4vci_types::AuthorizationDetail;
use serde_json::json;

/// A refresh token request.
pub(crate) struct Refresh<'a> {
    /// Hash of the presented refresh token.
    pub presented: SecretHash,
    /// Hash of the new refresh token.
    pub next: SecretHash,
    /// The request's `client_id`, if sent.
    pub client_id: Option<&'a str>,
    /// What the DPoP proof and wallet attestation of the request established.
    pub presented_credentials: Result<(), Refusal>,
    /// The new access token and what the request presented.
    pub input: TokenInput<'a>,
}

fn fail(session: &mut Session, now: UnixTime, error: Refusal) -> Refusal {
    refuse(session, EventKind::TokenRejected, error, now)
}

impl Step for Refresh<'_> {
    type Output = TokenGranted;
    fn kind(&self) -> StepKind {
        StepKind::Refresh
    }
    fn run(
        &mut self,
        session: &mut Session,
        _: Admission,
        now: UnixTime,
    ) -> Result<TokenGranted, Refusal> {
        let unknown = || Refusal::new(Cause::RefreshTokenUnknown, "unknown refresh token");
        let Some(family) = session.refresh.clone() else {
            return Err(unknown());
        };
        if family.rotated.iter().any(|h| h.ct_eq(&self.presented)) {
            return Err(revoke_family(session, now));
        }
        if !family.token_hash.ct_eq(&self.presented) {
            return Err(unknown());
        }
        if let Err(e) = &self.presented_credentials {
            return Err(fail(session, now, e.clone()));
        }
        if now >= family.expires_at {
            let error = Refusal::new(
                Cause::RefreshTokenExpired,
                "the refresh token has expired: start a new authorization",
            );
            return Err(fail(session, now, error));
        }
        check_client(&family, self.client_id, &self.input).map_err(|e| fail(session, now, e))?;
        let Some(previous) = session.access.clone() else {
            return Err(unknown());
        };
        rotate(session, family, self.next, previous, &self.input, now)
    }
}

/// The refresh must come from the family's client, with its DPoP key and, when it
/// authenticated with a wallet attestation, with one again.
fn check_client(
    family: &RefreshState,
    client_id: Option<&str>,
    input: &TokenInput<'_>,
) -> Result<(), Refusal> {
    if let Some(bound) = &family.dpop_jkt {
        match &input.dpop_jkt {
            None => {
                return Err(Refusal::new(
                    Cause::DpopProofMissing,
                    "this refresh token is DPoP-bound: send a DPoP proof signed by its key (RFC 9449 Section 5)",
                ))
            }
            Some(jkt) if jkt != bound => {
                return Err(Refusal::new(
                    Cause::DpopKeyMismatch,
                    "the DPoP proof is signed by another key than the one the refresh token is bound to (RFC 9449 Section 5)",
                ))
            }
            Some(_) => {}
        }
    } else if input.require_dpop && input.dpop_jkt.is_none() {
        return Err(Refusal::new(
            Cause::DpopProofMissing,
            "this issuer requires a DPoP-bound access token: send a DPoP proof (RFC 9449) with the token request",
        ));
    }
    if (family.attested || input.require_wallet_attestation) && input.attested_client.is_none() {
        return Err(Refusal::new(
            Cause::WalletAttestationMissing,
            "the refresh token was issued to an attested client: send OAuth-Client-Attestation and OAuth-Client-Attestation-PoP again (OID4VCI 1.0 Appendix E)",
        ));
    }
    let client = input.attested_client.as_deref().or(client_id);
    if let (Some(given), Some(expected)) = (client, family.client_id.as_deref()) {
        if given != expected {
            return Err(Refusal::new(
                Cause::ClientMismatch,
                "the refresh token was issued to another client_id",
            ));
        }
    }
    Ok(())
}

/// A new access token with the same grants (and `credential_identifiers`), and the next
/// refresh token; the presented one joins the rotated-out ones.
fn rotate(
    session: &mut Session,
    mut family: RefreshState,
    next: SecretHash,
    previous: AccessGrant,
    input: &TokenInput<'_>,
    now: UnixTime,
) -> Result<TokenGranted, Refusal> {
    family.rotated.push(family.token_hash);
    if family.rotated.len() > RefreshState::MAX_ROTATED {
        family.rotated.remove(0);
    }
    family.token_hash = next;
    let authorization_details = previous.uses_credential_identifiers.then(|| {
        previous
            .granted
            .iter()
            .map(|g| {
                let mut d = AuthorizationDetail::for_configuration(g.configuration_id.clone());
                d.credential_identifiers = Some(g.credential_identifiers.clone());
                d
            })
            .collect()
    });
    let configuration_ids = previous
        .granted
        .iter()
        .map(|g| g.configuration_id.clone())
        .collect();
    let token_type = if input.dpop_jkt.is_some() {
        "DPoP"
    } else {
        "Bearer"
    };
    session.record(
        EventKind::TokenRefreshed,
        now,
        details([
            ("client_id", json!(previous.client_id)),
            ("token_type", json!(token_type)),
            ("rotations", json!(family.rotated.len())),
        ]),
    );
    session.access = Some(AccessGrant {
        token_hash: input.access_token_hash,
        expires_at: now.saturating_add(input.expires_in),
        dpop_jkt: input.dpop_jkt.clone(),
        ..previous
    });
    session.refresh = Some(family);
    Ok(TokenGranted {
        authorization_details,
        configuration_ids,
    })
}

/// A rotated-out refresh token came back: someone holds a copy. Revoke the access token and the
/// whole family (RFC 9700 §4.14.2) and log it.
fn revoke_family(session: &mut Session, now: UnixTime) -> Refusal {
    let revoked = session.access.take().is_some();
    if let Some(family) = session.refresh.as_mut() {
        // The hashes stay indexed (a later replay is still recognised); nothing stays usable.
        family.expires_at = now;
    }
    session.state = SessionState::Revoked;
    session.record(
        EventKind::RefreshTokenReuseDetected,
        now,
        json!({"tokens_revoked": revoked}),
    );
    let error = Refusal::new(
        Cause::RefreshTokenReused,
        "this refresh token was already used; the tokens issued with it are revoked (RFC 9700 Section 4.14.2)",
    );
    fail(session, now, error)
}
