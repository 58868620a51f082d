//! A pushed authorization request (RFC 9126) as a step: it starts a fresh session, or joins
//! the offer its `issuer_state` names.

use super::{refuse, Admission, Step, StepKind};
use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::refusal::{Cause, Refusal};
use crate::secrets::SecretHash;
use crate::session::{details, AuthorizationState, AuthorizationStep, Session, SessionState};
use oid4vci_authorization::AuthorizationRequest;
use serde_json::json;

fn fail(session: &mut Session, kind: EventKind, now: UnixTime, error: Refusal) -> Refusal {
    refuse(session, kind, error, now)
}

/// What the service supplies with a pushed request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PushInput {
    /// Hash of the freshly generated `request_uri`.
    pub request_uri_hash: SecretHash,
    /// How long the `request_uri` is valid.
    pub request_uri_ttl: u64,
    /// A wallet attestation authenticated the client.
    pub wallet_attested: bool,
    /// The request is bound to this session's offer through `issuer_state`.
    pub from_offer: bool,
    /// Now.
    pub now: UnixTime,
}

/// Stores a pushed authorization request in `session` (fresh, or the offer `issuer_state` named).
///
/// Rules for an offer: it must not be used up or expired (`invalid_request`); the configurations
/// asked for must have been offered (none asked: all offered ones); an offer made with
/// `require_wallet_attestation` needs an attested client (`invalid_client`). A pending request
/// of the same offer is replaced.
pub(crate) struct Push {
    /// The checked request.
    pub request: AuthorizationRequest,
    /// The configurations it names (none: all the offer's).
    pub configuration_ids: Vec<String>,
    /// What the service supplies.
    pub input: PushInput,
}

impl Step for Push {
    type Output = ();
    fn kind(&self) -> StepKind {
        StepKind::PushAuthorization
    }
    fn run(&mut self, session: &mut Session, _: Admission, _: UnixTime) -> Result<(), Refusal> {
        push(
            session,
            self.request.clone(),
            self.configuration_ids.clone(),
            self.input,
        )
    }
    fn refused(&mut self, session: &mut Session, error: Refusal, now: UnixTime) -> Refusal {
        fail(session, EventKind::ParRejected, now, error)
    }
}

fn push(
    session: &mut Session,
    request: AuthorizationRequest,
    configuration_ids: Vec<String>,
    input: PushInput,
) -> Result<(), Refusal> {
    let now = input.now;
    let kind = EventKind::ParRejected;
    if input.from_offer {
        if now > session.offer_expires_at {
            return Err(fail(
                session,
                kind,
                now,
                Refusal::new(
                    Cause::OfferExpired,
                    "the offer this issuer_state belongs to has expired",
                ),
            ));
        }
        if let Some(id) = configuration_ids
            .iter()
            .find(|id| !session.configuration_ids.contains(id))
        {
            let cause = if request.authorization_details.is_some() {
                Cause::InvalidAuthorizationDetails
            } else {
                Cause::InvalidScope
            };
            let error = Refusal::new(
                cause,
                format!("credential configuration {id} was not offered with this issuer_state"),
            );
            return Err(fail(session, kind, now, error));
        }
        if session.flags.require_wallet_attestation && !input.wallet_attested {
            return Err(fail(session, kind, now, Refusal::new(Cause::WalletAttestationMissing, "this offer requires wallet attestation: send OAuth-Client-Attestation and OAuth-Client-Attestation-PoP with the pushed authorization request (OID4VCI 1.0 Appendix E)")));
        }
    }
    let configuration_ids = if configuration_ids.is_empty() {
        session.configuration_ids.clone()
    } else {
        configuration_ids
    };
    session.record(
        EventKind::ParReceived,
        now,
        details([
            ("client_id", json!(request.client_id)),
            ("redirect_uri", json!(request.redirect_uri)),
            ("credential_configuration_ids", json!(configuration_ids)),
            ("scope", json!(request.scope)),
            (
                "authorization_details",
                json!(request.authorization_details.is_some()),
            ),
            ("issuer_state", json!(input.from_offer)),
            ("dpop_bound", json!(request.dpop_jkt.is_some())),
            ("wallet_attested", json!(input.wallet_attested)),
            ("wallet_issuer", json!(request.wallet_issuer)),
            ("user_hint", json!(request.user_hint)),
        ]),
    );
    session.authorization = Some(AuthorizationState {
        request,
        configuration_ids,
        from_offer: input.from_offer,
        wallet_attested: input.wallet_attested,
        step: AuthorizationStep::Requested {
            request_uri_hash: input.request_uri_hash,
            request_uri_expires_at: now.saturating_add(input.request_uri_ttl),
            form_token_hash: None,
            login_expires_at: 0,
            failed_logins: 0,
        },
    });
    session.state = SessionState::AuthorizationRequested;
    Ok(())
}
