//! The login page's steps at their edges, driven through [`apply`](super::apply) on a session
//! pushed as the service pushes it: the last second a `request_uri` and a login page are good,
//! the first second they are not, the client that pushed, the wrong password that denies, and
//! whose claims an approval issues.

use super::apply;
use super::authorization::{Decide, Decision, DecisionInput, DecisionOutcome, ServePage};
use super::par::{Push, PushInput};
use crate::refusal::Cause;
use crate::secrets::SecretHash;
use crate::session::{Session, SessionState};
use crate::test_support::sample_session;
use oid4vci_authorization::{AuthenticatedUser, AuthorizationRequest, RedirectRules};
use serde_json::json;

const T0: u64 = 1_700_000_000;
const URI_TTL: u64 = 60;
const LOGIN_TTL: u64 = 300;
const FORM_TOKEN: &str = "form-token";

/// A session whose request (client `wallet-1`) was pushed at `T0`, bound to the offer or not.
fn pushed(from_offer: bool) -> Session {
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
            wallet_attested: false,
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
