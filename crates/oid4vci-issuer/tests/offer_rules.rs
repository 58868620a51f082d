//! `create_offer` refuses what it must not publish, instead of clamping it (security review):
//! transaction codes shorter than the configured minimum (4 by default) or absurdly long,
//! unbounded `max_attempts`, and offers listing a configuration twice.

use oid4vci_issuer::{Issuer, IssuerError, MemoryStore, OfferSpec, TxCodeSpec};
use oid4vci_issuer_testkit::flows;
use oid4vci_sd_jwt::SdJwtVcMinter;
use serde_json::json;

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

fn with_tx(length: Option<u32>, max_attempts: Option<u32>) -> OfferSpec {
    OfferSpec {
        credential_configuration_ids: vec![flows::CONFIG.into()],
        claims: Some(json!({"age_over_18": true})),
        tx_code: Some(TxCodeSpec {
            length,
            max_attempts,
            ..TxCodeSpec::default()
        }),
        ..OfferSpec::default()
    }
}

fn refusal(issuer: &Issuer<MemoryStore, SdJwtVcMinter>, spec: OfferSpec) -> String {
    match block(issuer.create_offer(spec)) {
        Err(IssuerError::InvalidOffer(why)) => why,
        other => panic!("expected InvalidOffer, got {other:?}"),
    }
}

#[test]
fn tx_code_lengths_outside_the_range_are_refused_with_the_range() {
    let (issuer, _) = flows::scenario_issuer(MemoryStore::new());
    for length in [0, 1, 3, 33, 1_000_000_000] {
        let why = refusal(&issuer, with_tx(Some(length), None));
        assert!(why.contains("between 4 and 32"), "{length}: {why}");
        assert!(why.contains(&format!("was {length}")), "{why}");
    }
    for length in [4, 32] {
        let created = block(issuer.create_offer(with_tx(Some(length), None))).expect("in range");
        let code = created.tx_code.expect("tx code");
        assert_eq!(code.len(), length as usize);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
    }
    let default = block(issuer.create_offer(with_tx(None, None))).expect("default length");
    assert_eq!(default.tx_code.map(|c| c.len()), Some(6));
}

#[test]
fn max_attempts_outside_the_range_are_refused() {
    let (issuer, _) = flows::scenario_issuer(MemoryStore::new());
    for attempts in [0, 11, u32::MAX] {
        let why = refusal(&issuer, with_tx(Some(6), Some(attempts)));
        assert!(
            why.contains("max_attempts must be between 1 and 10"),
            "{why}"
        );
    }
    block(issuer.create_offer(with_tx(Some(6), Some(10)))).expect("10 attempts");
}

#[test]
fn the_ranges_are_configurable() {
    let (base, _) = flows::scenario_issuer(MemoryStore::new());
    let mut config = base.config().clone();
    config.tx_code_lengths = 8..=12;
    let issuer = Issuer::new(config, MemoryStore::new(), SdJwtVcMinter::generate());
    let why = refusal(&issuer, with_tx(Some(6), None));
    assert!(why.contains("between 8 and 12"), "{why}");
    let created = block(issuer.create_offer(with_tx(None, None))).expect("default is the minimum");
    assert_eq!(created.tx_code.map(|c| c.len()), Some(8));
}

#[test]
fn an_offer_listing_a_configuration_twice_is_refused() {
    let (issuer, _) = flows::scenario_issuer(MemoryStore::new());
    let why = refusal(
        &issuer,
        OfferSpec {
            credential_configuration_ids: vec![flows::CONFIG.into(), flows::CONFIG.into()],
            claims: Some(json!({"age_over_18": true})),
            ..OfferSpec::default()
        },
    );
    assert!(why.contains("unique"), "{why}");
}

/// Issue #20 finding 11: claim names the issuer sets itself or SD-JWT reserves are refused at
/// offer creation and claims submission — never silently dropped or issued as a disclosure.
#[test]
fn reserved_claim_names_are_refused_when_they_arrive() {
    let (issuer, _) = flows::scenario_issuer(MemoryStore::new());
    for name in ["iss", "vct", "cnf", "status", "_sd", "_sd_alg", "..."] {
        let spec = OfferSpec {
            credential_configuration_ids: vec![flows::CONFIG.into()],
            claims: Some(json!({ name: 1, "age_over_18": true })),
            ..OfferSpec::default()
        };
        match block(issuer.create_offer(spec)) {
            Err(IssuerError::InvalidClaims(why)) => {
                assert!(why.contains("reserved"), "{name}: {why}")
            }
            other => panic!("{name}: expected InvalidClaims, got {other:?}"),
        }
    }
    let deferred = OfferSpec {
        credential_configuration_ids: vec![flows::CONFIG.into()],
        claims: None,
        ..OfferSpec::default()
    };
    let created = block(issuer.create_offer(deferred)).expect("offer without claims");
    let submitted =
        block(issuer.submit_claims(&created.session_id, flows::CONFIG, json!({"_sd": []})));
    assert!(
        matches!(submitted, Err(IssuerError::InvalidClaims(_))),
        "{submitted:?}"
    );
    let fine = block(issuer.submit_claims(
        &created.session_id,
        flows::CONFIG,
        json!({"age_over_18": true}),
    ));
    assert!(fine.is_ok(), "{fine:?}");
}

/// Offer URIs start with the configured scheme: `openid-credential-offer://` by default,
/// `haip://` for HAIP wallets (what `oid4vci serve --profile haip` sets); both decode back.
#[test]
fn offer_uris_use_the_configured_scheme() {
    let (base, _) = flows::scenario_issuer(MemoryStore::new());
    let spec = || OfferSpec {
        credential_configuration_ids: vec![flows::CONFIG.into()],
        claims: Some(json!({"age_over_18": true})),
        ..OfferSpec::default()
    };
    let created = block(base.create_offer(spec())).expect("offer");
    assert!(created
        .credential_offer_uri
        .starts_with("openid-credential-offer://?credential_offer_uri="));
    let mut config = base.config().clone();
    config.offer_scheme = "haip://".into();
    let haip = Issuer::new(config, MemoryStore::new(), SdJwtVcMinter::generate());
    let created = block(haip.create_offer(spec())).expect("offer");
    assert!(
        created
            .credential_offer_uri
            .starts_with("haip://?credential_offer_uri="),
        "{}",
        created.credential_offer_uri
    );
    assert!(created
        .credential_offer_by_value_uri
        .starts_with("haip://?credential_offer="));
    let decoded =
        oid4vci_types::CredentialOfferRequest::from_uri(&created.credential_offer_by_value_uri)
            .expect("decodes");
    assert_eq!(
        decoded,
        oid4vci_types::CredentialOfferRequest::ByValue(created.credential_offer)
    );
}
