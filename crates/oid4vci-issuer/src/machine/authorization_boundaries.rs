//! The authorization-code steps at their edges, driven through [`apply`](super::apply) on a
//! session pushed as the service pushes it: the last second a `request_uri`, a login page and a
//! code are good, the first second they are not, the client that pushed, the wrong password that
//! denies, whose claims an approval issues, and what each of the issuer's and the session's
//! sender-constraint rules demands at the token endpoint on its own.

use super::apply;
use super::authorization::{Decide, Decision, DecisionInput, DecisionOutcome, ServePage};
use super::code::redeem_authorization_code;
use super::grant::TokenInput;
use super::par::{Push, PushInput};
use super::Admission;
use crate::refusal::Cause;
use crate::secrets::SecretHash;
use crate::session::{Session, SessionState};
use crate::test_support::sample_session;
use oid4vci_authorization::{AuthenticatedUser, AuthorizationRequest, RedirectRules};
use oid4vci_types::{CredentialIssuerMetadata, TokenRequest};
use serde_json::json;

const T0: u64 = 1_700_000_000;
const URI_TTL: u64 = 60;
const LOGIN_TTL: u64 = 300;
const FORM_TOKEN: &str = "form-token";

/// A session whose request (client `wallet-1`) was pushed at `T0`, bound to the offer or not.
fn pushed(from_offer: bool) -> Session {
    pushed_with(from_offer, false)
}

fn pushed_with(from_offer: bool, wallet_attested: bool) -> Session {
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

fn serve(session: &mut Session, client: &str, now: u64) -> Result<Session, Cause> {
    let mut step = ServePage {
        request_uri_hash: SecretHash::of("uri"),
        client_id: Some(client),
        form_token_hash: SecretHash::of(FORM_TOKEN),
        login_ttl: LOGIN_TTL,
    };
    apply(session, &mut step, now).map_err(|r| r.cause())
}

fn decide(session: &mut Session, decision: Decision, now: u64) -> Result<DecisionOutcome, Cause> {
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

fn erika() -> Decision {
    Decision::Approve(Some(AuthenticatedUser {
        subject: "erika".into(),
        claims: [("eu.europa.ec.av.1".to_owned(), json!({"age_over_18": true}))].into(),
    }))
}

#[test]
fn a_request_uri_is_good_through_its_last_second() {
    let mut session = pushed(false);
    serve(&mut session, "wallet-1", T0 + URI_TTL).expect("served in its last second");
    let mut late = pushed(false);
    assert_eq!(
        serve(&mut late, "wallet-1", T0 + URI_TTL + 1).unwrap_err(),
        Cause::RequestUriExpired
    );
}

#[test]
fn only_the_client_that_pushed_gets_the_page_and_a_wrong_one_uses_it_up() {
    let mut session = pushed(false);
    assert_eq!(
        serve(&mut session, "wallet-2", T0).unwrap_err(),
        Cause::ParClientMismatch
    );
    assert_eq!(
        serve(&mut session, "wallet-1", T0).unwrap_err(),
        Cause::RequestUriUsed
    );
}

#[test]
fn a_login_page_is_good_through_its_last_second() {
    let mut session = pushed(false);
    serve(&mut session, "wallet-1", T0).expect("served");
    assert_eq!(
        decide(&mut session, erika(), T0 + LOGIN_TTL),
        Ok(DecisionOutcome::Approved)
    );
    let mut late = pushed(false);
    serve(&mut late, "wallet-1", T0).expect("served");
    assert_eq!(
        decide(&mut late, erika(), T0 + LOGIN_TTL + 1).unwrap_err(),
        Cause::LoginExpired
    );
}

#[test]
fn the_fifth_wrong_password_denies_and_not_the_fourth() {
    let mut session = pushed(false);
    serve(&mut session, "wallet-1", T0).expect("served");
    for _ in 0..4 {
        assert_eq!(
            decide(&mut session, Decision::Approve(None), T0),
            Ok(DecisionOutcome::LoginFailed)
        );
    }
    assert_eq!(session.state, SessionState::AuthorizationRequested);
    assert_eq!(
        decide(&mut session, Decision::Approve(None), T0),
        Ok(DecisionOutcome::Denied)
    );
    assert_eq!(session.state, SessionState::AuthorizationDenied);
}

#[test]
fn an_approval_issues_the_users_claims_unless_the_request_came_with_an_offer() {
    let mut own = pushed(false);
    serve(&mut own, "wallet-1", T0).expect("served");
    decide(&mut own, erika(), T0).expect("approved");
    assert_eq!(
        own.claims["eu.europa.ec.av.1"],
        json!({"age_over_18": true})
    );
    assert_eq!(own.subject_id.as_deref(), Some("erika"));

    let mut offered = pushed(true);
    serve(&mut offered, "wallet-1", T0).expect("served");
    decide(&mut offered, erika(), T0).expect("approved");
    assert_eq!(
        offered.claims["eu.europa.ec.av.1"],
        json!({"age_over_18": false}),
        "the offer's claims stay"
    );
    assert_eq!(offered.subject_id, None);
}

const CODE_TTL: u64 = 60;

/// A session whose code was issued at `T0`.
fn authorized(wallet_attested: bool) -> Session {
    let mut session = pushed_with(false, wallet_attested);
    serve(&mut session, "wallet-1", T0).expect("served");
    decide(&mut session, erika(), T0).expect("approved");
    assert_eq!(session.state, SessionState::Authorized);
    session
}

/// What the issuer demands besides the code.
#[derive(Default)]
struct Demands {
    dpop_jkt: Option<String>,
    attested_client: Option<String>,
    require_dpop: bool,
    require_wallet_attestation: bool,
}

fn redeem(
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
        refresh: None,
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

#[test]
fn a_code_is_good_through_its_last_second() {
    let mut session = authorized(false);
    redeem(
        &mut session,
        "code",
        Admission::Proceed,
        Demands::default(),
        T0 + CODE_TTL,
    )
    .expect("redeemed in its last second");
    assert_eq!(session.state, SessionState::TokenIssued);
    let mut late = authorized(false);
    assert_eq!(
        redeem(
            &mut late,
            "code",
            Admission::Proceed,
            Demands::default(),
            T0 + CODE_TTL + 1
        ),
        Err(Cause::AuthorizationCodeExpired)
    );
}

#[test]
fn the_step_checks_the_code_itself_not_only_the_lookup_that_found_the_session() {
    let mut session = authorized(false);
    assert_eq!(
        redeem(
            &mut session,
            "other",
            Admission::Proceed,
            Demands::default(),
            T0
        ),
        Err(Cause::AuthorizationCodeUnknown)
    );
    redeem(
        &mut session,
        "code",
        Admission::Proceed,
        Demands::default(),
        T0,
    )
    .expect("redeemed");
    // A replayed code revokes; some other code presented as a replay does not.
    assert_eq!(
        redeem(
            &mut session,
            "other",
            Admission::Replay,
            Demands::default(),
            T0
        ),
        Err(Cause::AuthorizationCodeUnknown)
    );
    assert_eq!(session.state, SessionState::TokenIssued);
    assert_eq!(
        redeem(
            &mut session,
            "code",
            Admission::Replay,
            Demands::default(),
            T0
        ),
        Err(Cause::AuthorizationCodeReused)
    );
    assert_eq!(session.state, SessionState::Revoked);
}

#[test]
fn each_sender_constraint_rule_demands_its_proof_on_its_own() {
    let policy_dpop = Demands {
        require_dpop: true,
        ..Demands::default()
    };
    assert_eq!(
        redeem(
            &mut authorized(false),
            "code",
            Admission::Proceed,
            policy_dpop,
            T0
        ),
        Err(Cause::DpopProofMissing)
    );
    let mut flagged = authorized(false);
    flagged.flags.dpop_required = true;
    assert_eq!(
        redeem(
            &mut flagged,
            "code",
            Admission::Proceed,
            Demands::default(),
            T0
        ),
        Err(Cause::DpopProofMissing)
    );
    let with_key = Demands {
        require_dpop: true,
        dpop_jkt: Some("jkt".into()),
        ..Demands::default()
    };
    redeem(
        &mut authorized(false),
        "code",
        Admission::Proceed,
        with_key,
        T0,
    )
    .expect("DPoP sent");

    let policy_attestation = Demands {
        require_wallet_attestation: true,
        ..Demands::default()
    };
    assert_eq!(
        redeem(
            &mut authorized(false),
            "code",
            Admission::Proceed,
            policy_attestation,
            T0
        ),
        Err(Cause::WalletAttestationMissing)
    );
    assert_eq!(
        redeem(
            &mut authorized(true),
            "code",
            Admission::Proceed,
            Demands::default(),
            T0
        ),
        Err(Cause::WalletAttestationMissing),
        "attested at PAR: attested again at the token endpoint"
    );
    let mut offer_flag = authorized(false);
    offer_flag.flags.require_wallet_attestation = true;
    assert_eq!(
        redeem(
            &mut offer_flag,
            "code",
            Admission::Proceed,
            Demands::default(),
            T0
        ),
        Err(Cause::WalletAttestationMissing)
    );
    let attested = Demands {
        require_wallet_attestation: true,
        attested_client: Some("wallet-1".into()),
        ..Demands::default()
    };
    redeem(
        &mut authorized(true),
        "code",
        Admission::Proceed,
        attested,
        T0,
    )
    .expect("attested");
}
