//! The offer by reference, a PAR bound to an offer, the pre-authorized code and the refresh
//! token at their edges.

use super::*;
use crate::machine::offer::RetrieveOffer;
use crate::machine::refresh::Refresh;
use crate::machine::token::{Code, RedeemCode};
use crate::session::{PreAuthorizedGrantState, RefreshState};
use oid4vci_authorization::AuthorizationRequest;

/// The sample session's offer lasts until `T0 + OFFER_TTL`.
const OFFER_TTL: u64 = 600;

fn not_found() -> crate::refusal::Refusal {
    crate::refusal::Refusal::new(Cause::OfferUnknown, "unknown offer")
}

#[test]
fn an_offer_is_served_by_reference_through_its_last_second() {
    let mut session = sample_session("s1", T0);
    let mut step = RetrieveOffer {
        code: "code",
        not_found,
    };
    apply(&mut session, &mut step, T0 + OFFER_TTL).expect("served in its last second");
    let late = apply(&mut session, &mut step, T0 + OFFER_TTL + 1).unwrap_err();
    assert_eq!(late.cause(), Cause::OfferUnknown);
}

fn push_on_offer(scope: &str, now: u64) -> Result<(), Cause> {
    let mut session = sample_session("s1", T0);
    let body = format!(
        "response_type=code&client_id=wallet-1&redirect_uri=https%3A%2F%2Fwallet.example%2Fcb\
&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&scope={scope}"
    );
    let request =
        AuthorizationRequest::from_form(body.as_bytes(), &RedirectRules::default()).expect("form");
    let mut push = Push {
        request,
        configuration_ids: vec![scope.to_owned()],
        input: PushInput {
            request_uri_hash: SecretHash::of("uri"),
            request_uri_ttl: URI_TTL,
            wallet_attested: false,
            from_offer: true,
            now,
        },
    };
    apply(&mut session, &mut push, now)
        .map(|_| ())
        .map_err(|r| r.cause())
}

#[test]
fn a_pushed_request_binds_to_its_offer_through_the_offers_last_second_and_for_what_it_offered() {
    push_on_offer("eu.europa.ec.av.1", T0 + OFFER_TTL).expect("the offered configuration");
    assert_eq!(
        push_on_offer("eu.europa.ec.av.1", T0 + OFFER_TTL + 1),
        Err(Cause::OfferExpired)
    );
    assert_eq!(
        push_on_offer("identity_credential", T0),
        Err(Cause::InvalidScope),
        "a configuration the offer did not name"
    );
}

fn redeem_pre_authorized(now: u64, form: &[u8]) -> Result<Session, Cause> {
    let mut session = sample_session("s1", T0);
    session.pre_authorized = Some(PreAuthorizedGrantState {
        code_hash: SecretHash::of("code"),
        tx_code: None,
        tx_code_hash: None,
        failed_tx_attempts: 0,
        max_tx_attempts: 3,
        redeemed: false,
    });
    let request = TokenRequest::from_form(form).expect("form");
    let metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
    let mut new_identifier = |id: &str| format!("{id}-1");
    let mut step = RedeemCode {
        code: Code::PreAuthorized,
        request: &request,
        presented: Ok(()),
        input: TokenInput {
            metadata: &metadata,
            access_token_hash: SecretHash::of("token"),
            expires_in: 300,
            new_identifier: &mut new_identifier,
            dpop_jkt: None,
            attested_client: None,
            require_dpop: false,
            require_wallet_attestation: false,
            require_client_id: false,
            refresh: None,
            now,
        },
        nonce_in_response: false,
    };
    apply(&mut session, &mut step, now).map_err(|r| r.cause())?;
    Ok(session)
}

const PRE_AUTHORIZED: &[u8] =
    b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=code";

#[test]
fn a_pre_authorized_code_is_good_through_its_offers_last_second() {
    redeem_pre_authorized(T0 + OFFER_TTL, PRE_AUTHORIZED).expect("redeemed in its last second");
    assert_eq!(
        redeem_pre_authorized(T0 + OFFER_TTL + 1, PRE_AUTHORIZED).unwrap_err(),
        Cause::PreAuthorizedCodeExpired
    );
}

#[test]
fn authorization_details_must_name_this_issuer_in_their_locations() {
    let details = |location: &str| {
        let d = json!([{"type": "openid_credential", "credential_configuration_id": "eu.europa.ec.av.1",
            "locations": [location]}]);
        let mut form = PRE_AUTHORIZED.to_vec();
        form.extend_from_slice(b"&authorization_details=");
        form.extend(form_urlencoded::byte_serialize(d.to_string().as_bytes()).flat_map(str::bytes));
        form
    };
    redeem_pre_authorized(T0, &details("https://issuer.example.com")).expect("this issuer");
    assert_eq!(
        redeem_pre_authorized(T0, &details("https://other.example.com")).unwrap_err(),
        Cause::InvalidAuthorizationDetails
    );
}

/// A session whose authorization code was redeemed at `T0` with a refresh token `rt-0`.
fn with_refresh_token(wallet_attested: bool, dpop_jkt: Option<&str>) -> Session {
    let mut session = authorized(wallet_attested);
    let demands = Demands {
        dpop_jkt: dpop_jkt.map(str::to_owned),
        attested_client: wallet_attested.then(|| "wallet-1".to_owned()),
        refresh: Some((SecretHash::of("rt-0"), 86_400)),
        ..Demands::default()
    };
    redeem(&mut session, "code", Admission::Proceed, demands, T0).expect("token");
    assert!(session.refresh.is_some());
    session
}

fn refresh(
    session: &mut Session,
    presented: &str,
    next: &str,
    client_id: Option<&str>,
    demands: Demands,
    now: u64,
) -> Result<(), Cause> {
    let metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
    let mut new_identifier = |id: &str| format!("{id}-2");
    let mut step = Refresh {
        presented: SecretHash::of(presented),
        next: SecretHash::of(next),
        client_id,
        presented_credentials: Ok(()),
        input: TokenInput {
            metadata: &metadata,
            access_token_hash: SecretHash::of(&format!("access-{next}")),
            expires_in: 300,
            new_identifier: &mut new_identifier,
            dpop_jkt: demands.dpop_jkt,
            attested_client: demands.attested_client,
            require_dpop: demands.require_dpop,
            require_wallet_attestation: demands.require_wallet_attestation,
            require_client_id: false,
            refresh: None,
            now,
        },
    };
    apply(session, &mut step, now)
        .map(|_| ())
        .map_err(|r| r.cause())
}

#[test]
fn a_refresh_gives_a_fresh_access_token_bound_to_the_key_it_presents() {
    let mut session = with_refresh_token(false, None);
    let later = T0 + 1000;
    let with_key = Demands {
        dpop_jkt: Some("jkt-2".into()),
        ..Demands::default()
    };
    refresh(
        &mut session,
        "rt-0",
        "rt-1",
        Some("wallet-1"),
        with_key,
        later,
    )
    .expect("the family's client refreshes");
    let access = session.access.as_ref().expect("access");
    assert_eq!(
        access.expires_at,
        later + 300,
        "the new token's own lifetime"
    );
    assert_eq!(access.dpop_jkt.as_deref(), Some("jkt-2"));
    assert_eq!(
        refresh(
            &mut session,
            "rt-1",
            "rt-2",
            Some("wallet-2"),
            Demands::default(),
            later
        ),
        Err(Cause::ClientMismatch)
    );
}

#[test]
fn an_attested_family_needs_an_attestation_again_whatever_the_policy() {
    let mut session = with_refresh_token(true, None);
    assert_eq!(
        refresh(&mut session, "rt-0", "rt-1", None, Demands::default(), T0),
        Err(Cause::WalletAttestationMissing)
    );
    let attested = Demands {
        attested_client: Some("wallet-1".into()),
        ..Demands::default()
    };
    refresh(&mut session, "rt-0", "rt-1", None, attested, T0).expect("attested again");
}

#[test]
fn the_oldest_remembered_refresh_token_still_revokes_the_family() {
    let mut session = with_refresh_token(false, None);
    let max = RefreshState::MAX_ROTATED;
    for i in 0..max {
        let (presented, next) = (format!("rt-{i}"), format!("rt-{}", i + 1));
        refresh(
            &mut session,
            &presented,
            &next,
            None,
            Demands::default(),
            T0,
        )
        .expect("rotated");
    }
    assert_eq!(session.refresh.as_ref().map(|r| r.rotated.len()), Some(max));
    assert_eq!(
        refresh(&mut session, "rt-0", "rt-x", None, Demands::default(), T0),
        Err(Cause::RefreshTokenReused)
    );
    assert_eq!(session.state, SessionState::Revoked);
}

#[test]
fn a_deferred_issuance_is_collected_by_its_own_transaction_id_once() {
    let mut session = redeem_pre_authorized(T0, PRE_AUTHORIZED).expect("token");
    session.deferred.push(crate::session::DeferredIssuance {
        transaction_hash: SecretHash::of("tx-1"),
        configuration_id: "eu.europa.ec.av.1".into(),
        holder_keys: Vec::new(),
        collected: false,
    });
    session.state = SessionState::Deferred;
    let mut collect = |transaction: &str| {
        let mut step = crate::machine::deferred::Collect {
            token_hash: SecretHash::of("token"),
            transaction_hash: SecretHash::of(transaction),
            notification_hash: SecretHash::of("notification"),
            count: 1,
            statuses: Vec::new(),
        };
        apply(&mut session, &mut step, T0).map_err(|r| r.cause())
    };
    assert_eq!(
        collect("tx-unknown"),
        Err(Cause::TransactionIdUnknown),
        "another transaction's id collects nothing, even while one is pending"
    );
    collect("tx-1").expect("collected");
    assert_eq!(collect("tx-1"), Err(Cause::TransactionIdUnknown));
}
