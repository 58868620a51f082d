//! The authorization code grant at the token endpoint (RFC 6749 §4.1.3 with PKCE, RFC 7636
//! §4.6): a code is exchanged once; a second redemption revokes the token the first one issued
//! (RFC 6749 §4.1.2).

use super::grant::{issue_token, Issued, TokenGranted, TokenInput};
use super::{refuse, Admission};
use crate::event::EventKind;
use crate::refusal::{Cause, Refusal};
use crate::secrets::SecretHash;
use crate::session::{AuthorizationStep, Session, SessionState};
use oid4vci_types::{TokenGrant, TokenRequest};
use serde_json::json;

fn fail(session: &mut Session, kind: EventKind, now: u64, error: Refusal) -> Refusal {
    refuse(session, kind, error, now)
}

/// Redeems the authorization code of `session` (found by that code's hash) at the token endpoint.
///
/// Rules: the code is single-use — a second redemption fails and revokes the access token the
/// first one issued (RFC 6749 §4.1.2); it expires after `code_ttl`; `redirect_uri` must be the
/// one of the request, `code_verifier` must match the PKCE challenge, `client_id` (when sent) the
/// client it was issued to (`invalid_grant`); a code bound with `dpop_jkt` needs a DPoP proof by
/// that key (RFC 9449 §10); a request authenticated by wallet attestation at PAR (or an offer
/// requiring it) needs it again (`invalid_client`).
pub(crate) fn redeem_authorization_code(
    session: &mut Session,
    request: &TokenRequest,
    code_hash: &SecretHash,
    admission: Admission,
    input: &mut TokenInput<'_>,
) -> Result<TokenGranted, Refusal> {
    let now = input.now;
    let kind = EventKind::TokenRejected;
    let TokenGrant::AuthorizationCode {
        redirect_uri,
        code_verifier,
        ..
    } = &request.grant
    else {
        return Err(Refusal::new(
            Cause::UnsupportedGrantType,
            "expected the authorization_code grant",
        ));
    };
    let invalid_code = || {
        Refusal::new(
            Cause::AuthorizationCodeUnknown,
            "unknown or expired authorization code",
        )
    };
    let Some(auth) = session.authorization.as_ref() else {
        return Err(invalid_code());
    };
    match (admission, &auth.step) {
        (Admission::Replay, AuthorizationStep::Exchanged { code_hash: used })
            if used.ct_eq(code_hash) =>
        {
            let revoked = session.access.take().is_some();
            session.state = SessionState::Revoked;
            session.record(
                EventKind::CodeReuseDetected,
                now,
                json!({"tokens_revoked": revoked}),
            );
            let error = Refusal::new(Cause::AuthorizationCodeReused, "the authorization code was already used; the access token it issued is revoked (RFC 6749 Section 4.1.2)");
            return Err(fail(session, kind, now, error));
        }
        (
            Admission::Proceed,
            AuthorizationStep::Authorized {
                code_hash: issued,
                code_expires_at,
            },
        ) if issued.ct_eq(code_hash) => {
            if now > *code_expires_at {
                return Err(fail(
                    session,
                    kind,
                    now,
                    Refusal::new(
                        Cause::AuthorizationCodeExpired,
                        "the authorization code has expired",
                    ),
                ));
            }
        }
        _ => return Err(invalid_code()),
    }
    let client_id = auth.request.client_id.clone();
    if request.client_id.as_ref().is_some_and(|c| *c != client_id) {
        return Err(fail(
            session,
            kind,
            now,
            Refusal::new(
                Cause::ClientMismatch,
                "the authorization code was issued to another client_id",
            ),
        ));
    }
    if redirect_uri.as_deref() != Some(auth.request.redirect_uri.as_str()) {
        return Err(fail(session, kind, now, Refusal::new(Cause::RedirectUriMismatch, "redirect_uri must be sent and equal the one of the authorization request (RFC 6749 Section 4.1.3)")));
    }
    let Some(verifier) = code_verifier else {
        return Err(fail(
            session,
            kind,
            now,
            Refusal::new(
                Cause::CodeVerifierMissing,
                "code_verifier is required (PKCE, RFC 7636 Section 4.5)",
            ),
        ));
    };
    if let Err(why) = auth.request.code_challenge.verify(verifier.expose()) {
        return Err(fail(
            session,
            kind,
            now,
            Refusal::new(Cause::CodeVerifierMismatch, why),
        ));
    }
    if let Some(bound) = &auth.request.dpop_jkt {
        if input.dpop_jkt.as_deref() != Some(bound.as_str()) {
            return Err(fail(session, kind, now, Refusal::new(Cause::CodeDpopKeyMismatch, "the authorization code is bound to a DPoP key (dpop_jkt): send a DPoP proof signed by that key (RFC 9449 Section 10)")));
        }
    }
    if (session.flags.dpop_required || input.require_dpop) && input.dpop_jkt.is_none() {
        return Err(fail(session, kind, now, Refusal::new(Cause::DpopProofMissing, "this issuer requires a DPoP-bound access token: send a DPoP proof (RFC 9449) with the token request")));
    }
    if (auth.wallet_attested
        || session.flags.require_wallet_attestation
        || input.require_wallet_attestation)
        && input.attested_client.is_none()
    {
        return Err(fail(session, kind, now, Refusal::new(Cause::WalletAttestationMissing, "this authorization requires wallet attestation at the token endpoint too (OID4VCI 1.0 Appendix E)")));
    }
    // RFC 6749 Section 4.1.3: a public client sends its client_id (a wallet attestation
    // identifies the client instead). Opt-in: a widely used wallet library omits it.
    if input.require_client_id && request.client_id.is_none() && input.attested_client.is_none() {
        return Err(fail(
            session,
            kind,
            now,
            Refusal::new(
                Cause::ClientIdMissing,
                "client_id is required with the authorization_code grant for a public client (RFC 6749 Section 4.1.3)",
            ),
        ));
    }
    if input
        .attested_client
        .as_ref()
        .is_some_and(|c| *c != client_id)
    {
        return Err(fail(
            session,
            kind,
            now,
            Refusal::new(
                Cause::ClientMismatch,
                "the wallet attestation names another client than the authorization request",
            ),
        ));
    }
    let configuration_ids = auth.configuration_ids.clone();
    let uses_identifiers = auth.request.authorization_details.is_some();
    if let Some(a) = session.authorization.as_mut() {
        a.step = AuthorizationStep::Exchanged {
            code_hash: *code_hash,
        };
    }
    let issued = Issued {
        configuration_ids,
        uses_identifiers,
        client_id: Some(client_id),
        event: EventKind::CodeExchanged,
        grant_type: "authorization_code",
    };
    Ok(issue_token(session, issued, input))
}
