//! Token endpoint steps (Section 6): redeem a pre-authorized code once, or an authorization
//! code (the rules of that grant are in [`super::code`]).

use super::grant::{issue_token, Issued, TokenGranted, TokenInput};
use super::{admission, Admission, Step, StepKind};
use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::refusal::{Cause, Refusal};
use crate::secrets::SecretHash;
use crate::session::{details, Session, SessionState};
use oid4vci_types::{
    AuthorizationDetail, CredentialIssuerMetadata, TokenGrant, TokenRequest, OPENID_CREDENTIAL,
};
use serde_json::json;

fn fail(session: &mut Session, now: UnixTime, error: Refusal) -> Refusal {
    super::refuse(session, EventKind::TokenRejected, error, now)
}

/// Which code a token request redeems.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Code<'a> {
    /// The pre-authorized code of the session's offer.
    PreAuthorized,
    /// An authorization code of the embedded authorization server, by hash.
    Authorization(&'a SecretHash),
}

/// A token request as a step: the grant's rules, after what the request presented (its DPoP
/// proof and wallet attestation, verified before) was found acceptable.
pub(crate) struct RedeemCode<'a> {
    /// The code redeemed.
    pub code: Code<'a>,
    /// The request.
    pub request: &'a TokenRequest,
    /// The verdict on the request's DPoP proof and wallet attestation.
    pub presented: Result<(), Refusal>,
    /// What the service supplies.
    pub input: TokenInput<'a>,
    /// Log `nonce_issued`: the token response carries a draft-13 `c_nonce`.
    pub nonce_in_response: bool,
}

impl Step for RedeemCode<'_> {
    type Output = TokenGranted;

    fn kind(&self) -> StepKind {
        match self.code {
            Code::PreAuthorized => StepKind::RedeemPreAuthorizedCode,
            Code::Authorization(_) => StepKind::RedeemAuthorizationCode,
        }
    }

    fn run(
        &mut self,
        session: &mut Session,
        admission: Admission,
        now: UnixTime,
    ) -> Result<TokenGranted, Refusal> {
        if let Err(e) = &self.presented {
            return Err(fail(session, now, e.clone()));
        }
        let granted = match self.code {
            Code::PreAuthorized => {
                redeem_pre_authorized_code(session, self.request, &mut self.input)?
            }
            Code::Authorization(hash) => super::code::redeem_authorization_code(
                session,
                self.request,
                hash,
                admission,
                &mut self.input,
            )?,
        };
        if self.nonce_in_response {
            session.record(
                EventKind::NonceIssued,
                now,
                json!({"via": "token_response"}),
            );
        }
        Ok(granted)
    }

    fn refused(&mut self, session: &mut Session, error: Refusal, now: UnixTime) -> Refusal {
        fail(session, now, error)
    }
}

/// Whether the pre-authorized code of `session` could still be redeemed at `now` (not locked,
/// not used, not expired): the cheap test the service makes before verifying a request's DPoP
/// proof and wallet attestation. [`redeem_pre_authorized_code`] refuses every session for which
/// this is false, so skipping those checks for it never lets a request through.
pub(crate) fn can_redeem(session: &Session, now: UnixTime) -> bool {
    admission(session.state, StepKind::RedeemPreAuthorizedCode).is_ok()
        && session.pre_authorized.is_some()
        && now <= session.offer_expires_at
}

/// Redeems the pre-authorized code of `session` (found by that code's hash).
///
/// Rules (once the table admitted the step: not locked, no token yet): the code is single-use
/// and expires with the offer; a transaction code is required iff the offer had a `tx_code` object (`invalid_request` when
/// missing or unexpected, Section 6.3); a wrong one counts an attempt (`invalid_grant`), and
/// reaching the limit invalidates the code (13.6.3); `authorization_details` may narrow the grant
/// to offered configurations and make the response carry `credential_identifiers` (6.1.1, 6.2).
fn redeem_pre_authorized_code(
    session: &mut Session,
    request: &TokenRequest,
    input: &mut TokenInput<'_>,
) -> Result<TokenGranted, Refusal> {
    let now = input.now;
    let TokenGrant::PreAuthorizedCode { tx_code, .. } = &request.grant else {
        return Err(fail(
            session,
            now,
            Refusal::new(
                Cause::UnsupportedGrantType,
                "expected the pre-authorized_code grant",
            ),
        ));
    };
    let Some(grant) = session.pre_authorized.as_mut() else {
        return Err(fail(
            session,
            now,
            Refusal::new(
                Cause::PreAuthorizedCodeUnknown,
                "this offer has no pre-authorized code grant",
            ),
        ));
    };
    if now > session.offer_expires_at {
        return Err(fail(
            session,
            now,
            Refusal::new(
                Cause::PreAuthorizedCodeExpired,
                "the pre-authorized code has expired",
            ),
        ));
    }
    match (&grant.tx_code_hash, tx_code) {
        (Some(_), None) => return Err(fail(
            session,
            now,
            Refusal::new(
                Cause::TxCodeMissing,
                "the offer requires a tx_code but the request has none (OID4VCI 1.0 Section 6.3)",
            ),
        )),
        (None, Some(_)) => return Err(fail(
            session,
            now,
            Refusal::new(
                Cause::TxCodeUnexpected,
                "the offer has no tx_code but the request carries one (OID4VCI 1.0 Section 6.3)",
            ),
        )),
        (Some(expected), Some(given)) if !expected.matches(given.expose()) => {
            grant.failed_tx_attempts = grant.failed_tx_attempts.saturating_add(1);
            let left = grant
                .max_tx_attempts
                .saturating_sub(grant.failed_tx_attempts);
            let attempts = grant.failed_tx_attempts;
            if left == 0 {
                session.state = SessionState::Locked;
                session.record(
                    EventKind::SessionLocked,
                    now,
                    details([("failed_tx_attempts", json!(attempts))]),
                );
                return Err(fail(
                    session,
                    now,
                    Refusal::new(
                        Cause::TxCodeWrong,
                        "wrong transaction code; the pre-authorized code is now invalidated",
                    ),
                ));
            }
            return Err(fail(
                session,
                now,
                Refusal::new(
                    Cause::TxCodeWrong,
                    format!("wrong transaction code; {left} attempt(s) left"),
                ),
            ));
        }
        _ => {}
    }
    if (session.flags.require_wallet_attestation || input.require_wallet_attestation)
        && input.attested_client.is_none()
    {
        return Err(fail(
            session,
            now,
            Refusal::new(Cause::WalletAttestationMissing, "this issuer requires wallet attestation: send OAuth-Client-Attestation and OAuth-Client-Attestation-PoP (OID4VCI 1.0 Appendix E)"),
        ));
    }
    if (session.flags.dpop_required || input.require_dpop) && input.dpop_jkt.is_none() {
        return Err(fail(
            session,
            now,
            Refusal::new(Cause::DpopProofMissing, "this issuer requires a DPoP-bound access token: send a DPoP proof (RFC 9449) with the token request"),
        ));
    }
    let configuration_ids = match &request.authorization_details {
        None => session.configuration_ids.clone(),
        Some(list) => match narrow(session, list, input.metadata) {
            Ok(ids) => ids,
            Err(e) => return Err(fail(session, now, e)),
        },
    };
    if let Some(grant) = session.pre_authorized.as_mut() {
        grant.redeemed = true;
    }
    let issued = Issued {
        configuration_ids,
        uses_identifiers: request.authorization_details.is_some(),
        client_id: input
            .attested_client
            .clone()
            .or_else(|| request.client_id.clone()),
        event: EventKind::TokenExchanged,
        grant_type: request.grant.grant_type(),
    };
    Ok(issue_token(session, issued, input))
}

/// The configurations `authorization_details` ask for, each of which must have been offered.
fn narrow(
    session: &Session,
    list: &[AuthorizationDetail],
    metadata: &CredentialIssuerMetadata,
) -> Result<Vec<String>, Refusal> {
    let mut ids: Vec<String> = Vec::new();
    for detail in list {
        if detail.detail_type != OPENID_CREDENTIAL {
            return Err(Refusal::new(
                Cause::InvalidAuthorizationDetails,
                format!("unsupported type {}", detail.detail_type),
            ));
        }
        if let Some(locations) = &detail.locations {
            if !locations.iter().any(|l| l == &session.credential_issuer) {
                return Err(Refusal::new(Cause::InvalidAuthorizationDetails,
                    "locations must contain this Credential Issuer Identifier (OID4VCI 1.0 Section 5.1.1)",
                ));
            }
        }
        let id = match (&detail.credential_configuration_id, &detail.format) {
            (Some(id), _) => id.clone(),
            (None, Some(_)) => {
                let selector: Option<oid4vci_types::FormatSelector> = serde_json::to_value(detail)
                    .ok()
                    .and_then(|v| serde_json::from_value(v).ok());
                selector
                    .as_ref()
                    .and_then(|s| metadata.find_by_format(s))
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        Refusal::new(
                            Cause::InvalidAuthorizationDetails,
                            "no credential configuration matches this format",
                        )
                    })?
            }
            (None, None) => {
                return Err(Refusal::new(
                    Cause::InvalidAuthorizationDetails,
                    "credential_configuration_id is required",
                ))
            }
        };
        if !session.configuration_ids.contains(&id) {
            return Err(Refusal::new(
                Cause::InvalidAuthorizationDetails,
                format!("credential configuration {id} was not offered in this session"),
            ));
        }
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}
