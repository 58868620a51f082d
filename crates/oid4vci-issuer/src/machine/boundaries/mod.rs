//! The session steps at their edges, driven through [`apply`](super::apply) on sessions brought
//! where they are as the service brings them: the last second a `request_uri`, a login page, a
//! code, an offer and a refresh token are good and the first second they are not, and each rule
//! on its own (found uncaught by mutation testing of the steps, issue #20).

mod authorization;
mod grants;

use super::apply;
use super::authorization::{Decide, Decision, DecisionInput, DecisionOutcome, ServePage};
use super::code::redeem_authorization_code;
use super::grant::TokenInput;
use super::par::{Push, PushInput};
pub(super) use super::Admission;
use crate::refusal::Cause;
use crate::secrets::SecretHash;
use crate::session::{Session, SessionState};
use crate::test_support::sample_session;
use oid4vci_authorization::{AuthenticatedUser, AuthorizationRequest, RedirectRules};
use oid4vci_types::{CredentialIssuerMetadata, TokenRequest};
use serde_json::json;

pub(super) const T0: u64 = 1_700_000_000;
pub(super) const URI_TTL: u64 = 60;
pub(super) const LOGIN_TTL: u64 = 300;
pub(super) const FORM_TOKEN: &str = "form-token";

/// A session whose request (client `wallet-1`) was pushed at `T0`, bound to the offer or not.
pub(super) fn pushed(from_offer: bool) -> Session {
    pushed_with(from_offer, false)
}

pub(super) fn pushed_with(from_offer: bool, wallet_attested: bool) -> Session {
    let mut session = sample_session("s1", T0);
    session
        .claims
        .insert("eu.europa.ec.av.1".into(), json!({"age_over_18": false}));
    let body =
        b"response_type=code&client_id=wallet-1&redirect_uri=https%3A%2F%2Fwallet.example%2Fcb\
&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";
    let request = AuthorizationRequest::from_form(body, &RedirectRules::default()).expect("form");
    let mut push = Push {
        request,
        configuration_ids: vec!["eu.europa.ec.av.1".into()],
        input: PushInput {
            request_uri_hash: SecretHash::of("uri"),
            request_uri_ttl: URI_TTL,
            wallet_attested,
            from_offer,
            now: T0,
        },
    };
    apply(&mut session, &mut push, T0).expect("pushed");
    assert_eq!(session.state, SessionState::AuthorizationRequested);
    session
}

pub(super) fn serve(session: &mut Session, client: &str, now: u64) -> Result<Session, Cause> {
    let mut step = ServePage {
        request_uri_hash: SecretHash::of("uri"),
        client_id: Some(client),
        form_token_hash: SecretHash::of(FORM_TOKEN),
        login_ttl: LOGIN_TTL,
    };
    apply(session, &mut step, now).map_err(|r| r.cause())
}

pub(super) fn decide(
    session: &mut Session,
    decision: Decision,
    now: u64,
) -> Result<DecisionOutcome, Cause> {
    let mut step = Decide {
        decision,
        input: DecisionInput {
            form_token: FORM_TOKEN,
            code_hash: SecretHash::of("code"),
            code_ttl: 60,
            session_ttl: 3600,
            max_login_attempts: 5,
            now,
        },
    };
    apply(session, &mut step, now)
        .map(|(outcome, _)| outcome)
        .map_err(|r| r.cause())
}

pub(super) fn erika() -> Decision {
    Decision::Approve(Some(AuthenticatedUser {
        subject: "erika".into(),
        claims: [("eu.europa.ec.av.1".to_owned(), json!({"age_over_18": true}))].into(),
    }))
}

pub(super) const CODE_TTL: u64 = 60;

/// A session whose code was issued at `T0`.
pub(super) fn authorized(wallet_attested: bool) -> Session {
    let mut session = pushed_with(false, wallet_attested);
    serve(&mut session, "wallet-1", T0).expect("served");
    decide(&mut session, erika(), T0).expect("approved");
    assert_eq!(session.state, SessionState::Authorized);
    session
}

/// What the issuer demands besides the code.
#[derive(Default)]
pub(super) struct Demands {
    pub dpop_jkt: Option<String>,
    pub attested_client: Option<String>,
    pub require_dpop: bool,
    pub require_wallet_attestation: bool,
    /// A refresh token to issue: its hash and the family's lifetime.
    pub refresh: Option<(SecretHash, u64)>,
}

pub(super) fn redeem(
    session: &mut Session,
    code: &str,
    admission: Admission,
    demands: Demands,
    now: u64,
) -> Result<(), Cause> {
    let request = TokenRequest::from_form(
        b"grant_type=authorization_code&code=code&client_id=wallet-1\
&redirect_uri=https%3A%2F%2Fwallet.example%2Fcb&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    )
    .expect("form");
    let metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
    let mut new_identifier = |id: &str| format!("{id}-1");
    let mut input = TokenInput {
        metadata: &metadata,
        access_token_hash: SecretHash::of("token"),
        expires_in: 300,
        new_identifier: &mut new_identifier,
        dpop_jkt: demands.dpop_jkt,
        attested_client: demands.attested_client,
        require_dpop: demands.require_dpop,
        require_wallet_attestation: demands.require_wallet_attestation,
        require_client_id: false,
        refresh: demands.refresh,
        now,
    };
    redeem_authorization_code(
        session,
        &request,
        &SecretHash::of(code),
        admission,
        &mut input,
    )
    .map(|_| ())
    .map_err(|r| r.cause())
}
