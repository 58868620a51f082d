//! The login page and the code redemption.

use super::*;
use crate::refusal::Cause;
use crate::session::SessionState;
use serde_json::json;

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
fn a_reload_before_the_decision_serves_a_fresh_form_and_the_decision_uses_the_request_up() {
    let mut session = pushed(false);
    serve(&mut session, "wallet-1", T0).expect("served");
    let mut reload = ServePage {
        request_uri_hash: SecretHash::of("uri"),
        client_id: Some("wallet-1"),
        form_token_hash: SecretHash::of("second-form"),
        login_ttl: LOGIN_TTL,
    };
    apply(&mut session, &mut reload, T0 + 1).expect("served again before the decision");
    assert_eq!(
        decide(&mut session, erika(), T0 + 1).unwrap_err(),
        Cause::LoginFormForged,
        "the first form is stale"
    );
    let mut current = Decide {
        decision: erika(),
        input: DecisionInput {
            form_token: "second-form",
            code_hash: SecretHash::of("code"),
            code_ttl: 60,
            session_ttl: 3600,
            max_login_attempts: 5,
            now: T0 + 1,
        },
    };
    let (outcome, _) = apply(&mut session, &mut current, T0 + 1).expect("decided");
    assert_eq!(outcome, DecisionOutcome::Approved);
    // Decided: the state table refuses the page.
    assert_eq!(
        serve(&mut session, "wallet-1", T0 + 2).unwrap_err(),
        Cause::RequestUriUnknown
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
