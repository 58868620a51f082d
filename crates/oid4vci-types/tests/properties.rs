//! Property tests: every value round-trips; arbitrary bytes never panic a parser.

use oid4vci_types::*;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_.~-]{1,24}"
}

fn tx_code() -> impl Strategy<Value = TxCode> {
    (
        prop::option::of(prop_oneof![
            Just(InputMode::Numeric),
            Just(InputMode::Text),
            text().prop_map(InputMode::Other)
        ]),
        prop::option::of(1u32..12),
        prop::option::of("[ -~]{0,80}"),
    )
        .prop_map(|(input_mode, length, description)| TxCode {
            input_mode,
            length,
            description,
            ..TxCode::default()
        })
}

fn offer() -> impl Strategy<Value = CredentialOffer> {
    (
        text(),
        prop::collection::btree_set(text(), 1..4),
        prop::option::of((text(), prop::option::of(tx_code()))),
        prop::option::of(prop::option::of(text())),
    )
        .prop_map(|(host, ids, pre, auth)| {
            let mut offer = CredentialOffer::new(format!("https://{host}.example"), ids);
            if let Some((code, tx)) = pre {
                offer = offer.with_pre_authorized_code(code, tx);
            }
            if let Some(state) = auth {
                offer = offer.with_authorization_code(state);
            }
            offer
        })
}

fn proofs() -> impl Strategy<Value = Proofs> {
    prop_oneof![
        prop::collection::vec(text(), 1..5).prop_map(Proofs::Jwt),
        text().prop_map(|t| Proofs::Attestation(vec![t])),
    ]
}

fn credential_request() -> impl Strategy<Value = CredentialRequest> {
    (
        prop_oneof![
            text().prop_map(CredentialSelector::Identifier),
            text().prop_map(CredentialSelector::ConfigurationId)
        ],
        prop::option::of(proofs()),
    )
        .prop_map(|(credential, proofs)| CredentialRequest {
            credential,
            proofs,
            credential_response_encryption: None,
            extra: Default::default(),
        })
}

fn token_request() -> impl Strategy<Value = TokenRequest> {
    (
        text(),
        prop::option::of("[ -~]{1,10}"),
        prop::option::of(text()),
        prop::option::of(prop::collection::vec(text(), 1..3)),
    )
        .prop_map(|(code, tx, client_id, configs)| {
            let mut req = TokenRequest::pre_authorized(code, tx.map(SecretString::from));
            req.client_id = client_id;
            req.authorization_details = configs.map(|c| {
                c.into_iter()
                    .map(AuthorizationDetail::for_configuration)
                    .collect()
            });
            req
        })
}

proptest! {
    #[test]
    fn offers_round_trip_through_json_and_uri(offer in offer()) {
        let json = serde_json::to_vec(&offer).unwrap();
        prop_assert_eq!(&CredentialOffer::from_json(&json).unwrap(), &offer);
        let uri = CredentialOfferRequest::ByValue(offer.clone()).to_uri();
        prop_assert_eq!(CredentialOfferRequest::from_uri(&uri).unwrap(), CredentialOfferRequest::ByValue(offer));
    }

    #[test]
    fn credential_requests_round_trip(req in credential_request()) {
        let json = serde_json::to_vec(&req).unwrap();
        prop_assert_eq!(CredentialRequest::from_json(&json).unwrap(), req);
    }

    #[test]
    fn token_requests_round_trip_through_form(req in token_request()) {
        prop_assert_eq!(TokenRequest::from_form(req.to_form().as_bytes()).unwrap(), req);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = CredentialRequest::from_json(&bytes);
        let _ = TokenRequest::from_form(&bytes);
        let _ = CredentialOffer::from_json(&bytes);
        let _ = CredentialIssuerMetadata::from_json(&bytes);
        let _ = NotificationRequest::from_json(&bytes);
        let _ = DeferredCredentialRequest::from_json(&bytes);
        let _ = CredentialOfferRequest::from_uri(&String::from_utf8_lossy(&bytes));
        let _ = AuthorizationDetail::parse_list(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn json_shaped_garbage_never_panics(s in r#"[\[\]{}",:a-z0-9 ]{0,200}"#) {
        let _ = CredentialRequest::from_json(s.as_bytes());
        let _ = CredentialIssuerMetadata::from_json(s.as_bytes());
        let _ = serde_json::from_str::<CredentialResponse>(&s);
    }

    #[test]
    fn sanitised_descriptions_are_always_valid(s in any::<String>()) {
        let d = oid4vci_types::error::sanitize_error_description(&s);
        prop_assert!(oid4vci_types::error::is_valid_error_description(&d));
    }
}
