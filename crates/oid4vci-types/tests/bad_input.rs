//! Bad input gets a typed error with the right code for its endpoint, never a panic.

use oid4vci_types::parse::{MAX_BODY_BYTES, MAX_JSON_DEPTH};
use oid4vci_types::*;

fn token_err(body: &str) -> MessageError {
    TokenRequest::from_form(body.as_bytes()).expect_err("must be rejected")
}

const PRE: &str = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code";

#[test]
fn token_request_errors_follow_rfc_6749() {
    let e = token_err("pre-authorized_code=abc");
    assert_eq!(
        (e.code, e.kind),
        (
            ErrorCode::InvalidRequest,
            MessageErrorKind::MissingParameter("grant_type".into())
        )
    );

    let e = token_err(PRE);
    assert_eq!(
        e.kind,
        MessageErrorKind::MissingParameter("pre-authorized_code".into())
    );

    let e = token_err(&format!(
        "{PRE}&pre-authorized_code=a&pre-authorized_code=b"
    ));
    assert_eq!(
        (e.code, e.kind),
        (
            ErrorCode::InvalidRequest,
            MessageErrorKind::DuplicateParameter("pre-authorized_code".into())
        )
    );

    let e = token_err("grant_type=password&username=a&password=b");
    assert_eq!(e.code, ErrorCode::UnsupportedGrantType);

    let e = token_err("grant_type=authorization_code&code=x&tx_code=1234");
    assert_eq!(e.code, ErrorCode::InvalidRequest);

    let e = token_err(&format!(
        "{PRE}&pre-authorized_code=a&authorization_details=%5B%7B%22type%22%3A1%7D%5D"
    ));
    assert_eq!(e.code, ErrorCode::InvalidAuthorizationDetails);
    let e = token_err(&format!(
        "{PRE}&pre-authorized_code=a&authorization_details=not-json"
    ));
    assert_eq!(e.code, ErrorCode::InvalidAuthorizationDetails);
    let e = token_err(&format!(
        "{PRE}&pre-authorized_code=a&authorization_details=%5B%5D"
    ));
    assert_eq!(
        e.code,
        ErrorCode::InvalidAuthorizationDetails,
        "empty array"
    );
    let e = token_err(&format!(
        "{PRE}&pre-authorized_code=a&authorization_details=%5B%7B%22type%22%3A%22openid_credential%22%7D%5D"
    ));
    assert_eq!(
        e.code,
        ErrorCode::InvalidAuthorizationDetails,
        "no configuration id"
    );

    let e = token_err(&format!("{PRE}&pre-authorized_code=%FF"));
    assert!(matches!(e.kind, MessageErrorKind::Form(_)), "{e}");
    let e = token_err(&"a".repeat(MAX_BODY_BYTES + 1));
    assert!(matches!(e.kind, MessageErrorKind::TooLarge { .. }));
}

#[test]
fn token_request_accepts_what_wallets_send() {
    let req = TokenRequest::from_form(
        format!("{PRE}&pre-authorized_code=abc&tx_code=493536&unknown=1&client_id=").as_bytes(),
    )
    .unwrap();
    assert!(
        matches!(&req.grant, TokenGrant::PreAuthorizedCode { tx_code: Some(t), .. } if t.expose() == "493536")
    );
    assert_eq!(
        req.client_id, None,
        "empty values are absent (RFC 6749 §3.1)"
    );
    assert_eq!(
        req.extra.get("unknown").map(String::as_str),
        Some("1"),
        "unknown parameters ignored but kept"
    );
    // Pre-draft-13 wallets send user_pin.
    let req =
        TokenRequest::from_form(format!("{PRE}&pre-authorized_code=abc&user_pin=1234").as_bytes())
            .unwrap();
    assert!(
        matches!(&req.grant, TokenGrant::PreAuthorizedCode { tx_code: Some(t), .. } if t.expose() == "1234")
    );
    // @openid4vc/openid4vci sends both names with the same value.
    let req = TokenRequest::from_form(
        format!("{PRE}&pre-authorized_code=abc&tx_code=12&user_pin=12").as_bytes(),
    )
    .unwrap();
    assert!(
        matches!(&req.grant, TokenGrant::PreAuthorizedCode { tx_code: Some(t), .. } if t.expose() == "12")
    );
    let e = TokenRequest::from_form(
        format!("{PRE}&pre-authorized_code=abc&tx_code=12&user_pin=13").as_bytes(),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    let req = TokenRequest::from_form(b"grant_type=authorization_code&code=c&redirect_uri=https%3A%2F%2Fw.example%2Fcb&code_verifier=v").unwrap();
    assert!(matches!(
        &req.grant,
        TokenGrant::AuthorizationCode {
            redirect_uri: Some(_),
            code_verifier: Some(_),
            ..
        }
    ));
    assert!(
        !format!("{req:?}").contains("code: \"c\""),
        "secrets are redacted in Debug"
    );
}

#[test]
fn credential_request_shape_errors() {
    let err = |body: &str| CredentialRequest::from_json(body.as_bytes()).expect_err(body);
    assert_eq!(err("{}").code, ErrorCode::InvalidCredentialRequest);
    assert_eq!(err("[]").code, ErrorCode::InvalidCredentialRequest);
    assert_eq!(err("not json").code, ErrorCode::InvalidCredentialRequest);
    assert_eq!(
        err(r#"{"credential_configuration_id": 5}"#).code,
        ErrorCode::InvalidCredentialRequest
    );
    assert_eq!(
        err(r#"{"credential_configuration_id": ""}"#).code,
        ErrorCode::InvalidCredentialRequest
    );
    assert_eq!(
        err(r#"{"credential_identifier":"a","format":"vc+sd-jwt"}"#).code,
        ErrorCode::InvalidCredentialRequest
    );
    let dup = err(r#"{"credential_configuration_id":"a","credential_configuration_id":"b"}"#);
    assert_eq!(
        dup.code,
        ErrorCode::InvalidCredentialRequest,
        "duplicate members are rejected: {dup}"
    );

    for (body, why) in [
        (
            r#"{"credential_configuration_id":"a","proofs":{}}"#,
            "no proof type",
        ),
        (
            r#"{"credential_configuration_id":"a","proofs":{"jwt":[]}}"#,
            "empty array",
        ),
        (
            r#"{"credential_configuration_id":"a","proofs":{"jwt":"x.y.z"}}"#,
            "not an array",
        ),
        (
            r#"{"credential_configuration_id":"a","proofs":{"jwt":[1]}}"#,
            "not a string",
        ),
        (
            r#"{"credential_configuration_id":"a","proofs":{"attestation":["a","b"]}}"#,
            "attestation must be one",
        ),
        (
            r#"{"credential_configuration_id":"a","proofs":{"jwt":["a"]},"proof":{"proof_type":"jwt","jwt":"a"}}"#,
            "both forms",
        ),
        (
            r#"{"credential_configuration_id":"a","proof":{"proof_type":"jwt"}}"#,
            "draft-13 proof without value",
        ),
        (
            r#"{"credential_configuration_id":"a","proof":"x"}"#,
            "draft-13 proof not an object",
        ),
    ] {
        assert_eq!(err(body).code, ErrorCode::InvalidProof, "{why}");
    }
    let too_many = format!(
        r#"{{"credential_configuration_id":"a","proofs":{{"jwt":[{}]}}}}"#,
        vec!["\"x\""; oid4vci_types::proofs::MAX_PROOFS + 1].join(",")
    );
    assert_eq!(err(&too_many).code, ErrorCode::InvalidProof);
}

#[test]
fn oversized_and_deeply_nested_bodies_are_rejected() {
    let deep = format!(
        r#"{{"credential_configuration_id":"a","x":{}1{}}}"#,
        "[".repeat(MAX_JSON_DEPTH + 1),
        "]".repeat(MAX_JSON_DEPTH + 1)
    );
    let e = CredentialRequest::from_json(deep.as_bytes()).unwrap_err();
    assert!(matches!(e.kind, MessageErrorKind::TooDeep { .. }));
    let big = format!(
        r#"{{"credential_configuration_id":"{}"}}"#,
        "a".repeat(MAX_BODY_BYTES)
    );
    let e = CredentialRequest::from_json(big.as_bytes()).unwrap_err();
    assert!(matches!(e.kind, MessageErrorKind::TooLarge { .. }));
    let e = NotificationRequest::from_json(big.as_bytes()).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidNotificationRequest);
}

#[test]
fn offer_rules_of_section_4_1_1() {
    let err = |json: &str| CredentialOffer::from_json(json.as_bytes()).expect_err(json);
    err(r#"{"credential_issuer":"https://i.example","credential_configuration_ids":[]}"#);
    err(r#"{"credential_issuer":"https://i.example","credential_configuration_ids":["a","a"]}"#);
    err(r#"{"credential_issuer":"http://i.example","credential_configuration_ids":["a"]}"#);
    err(r#"{"credential_issuer":"https://i.example?q=1","credential_configuration_ids":["a"]}"#);
    err(
        r#"{"credential_issuer":"https://i.example","credential_configuration_ids":["a"],
        "grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"c","tx_code":{"length":0}}}}"#,
    );
    let long = "x".repeat(301);
    err(&format!(
        r#"{{"credential_issuer":"https://i.example","credential_configuration_ids":["a"],
        "grants":{{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{{"pre-authorized_code":"c","tx_code":{{"description":"{long}"}}}}}}}}"#
    ));
    err(
        r#"{"credential_issuer":"https://i.example","credential_configuration_ids":["a"],
        "grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{}}}"#,
    );

    let ok = CredentialOffer::from_json(
        br#"{"credential_issuer":"https://i.example","credential_configuration_ids":["a"],"x-ext":1,
            "grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"c","tx_code":{}, "interval": 5},
                      "urn:example:custom": {"a": 1}}}"#,
    )
    .unwrap();
    let grant = ok.pre_authorized_code_grant().unwrap();
    assert_eq!(
        grant.tx_code.as_ref().map(TxCode::effective_input_mode),
        Some(InputMode::Numeric)
    );
    assert!(
        grant.extra.contains_key("interval"),
        "draft-13 interval kept"
    );
    assert!(
        ok.grants
            .as_ref()
            .unwrap()
            .extra
            .contains_key("urn:example:custom"),
        "unknown grant kept"
    );
    assert!(ok.extra.contains_key("x-ext"));
    assert!(
        !format!("{ok:?}").contains("\"c\""),
        "pre-authorized code redacted in Debug"
    );
}

#[test]
fn offer_uri_errors() {
    let e = |uri: &str| CredentialOfferRequest::from_uri(uri).expect_err(uri);
    e("openid-credential-offer://");
    e("openid-credential-offer://?foo=bar");
    e("openid-credential-offer://?credential_offer=%7B%7D");
    e("openid-credential-offer://?credential_offer=x&credential_offer_uri=https%3A%2F%2Fa.example");
    e("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example&credential_offer_uri=https%3A%2F%2Fb.example");
    e("openid-credential-offer://?credential_offer_uri=javascript%3Aalert(1)");
    let by_ref =
        CredentialOfferRequest::ByReference("https://issuer.example/offers/abc?x=1".into());
    let uri = by_ref.to_uri();
    assert!(uri.starts_with("openid-credential-offer://?credential_offer_uri=https%3A%2F%2F"));
    assert_eq!(CredentialOfferRequest::from_uri(&uri).unwrap(), by_ref);
    let wallet = by_ref.to_uri_with_base("https://wallet.example/offer?lang=en");
    assert!(wallet.starts_with("https://wallet.example/offer?lang=en&credential_offer_uri="));
    assert_eq!(CredentialOfferRequest::from_uri(&wallet).unwrap(), by_ref);
}

#[test]
fn notification_and_deferred_rules() {
    let n = |b: &str| NotificationRequest::from_json(b.as_bytes());
    assert!(n(r#"{"notification_id":"n","event":"credential_accepted"}"#).is_ok());
    assert_eq!(
        n(r#"{"notification_id":"n","event":"Credential_Accepted"}"#)
            .unwrap_err()
            .code,
        ErrorCode::InvalidNotificationRequest
    );
    assert_eq!(
        n(r#"{"notification_id":"n"}"#).unwrap_err().code,
        ErrorCode::InvalidNotificationRequest
    );
    assert_eq!(
        n(r#"{"notification_id":"","event":"credential_failure"}"#)
            .unwrap_err()
            .code,
        ErrorCode::InvalidNotificationRequest
    );
    assert!(n(r#"{"notification_id":"n","event":"credential_failure","event_description":"bad \"quote\""}"#).is_err());
    let d = DeferredCredentialRequest::from_json(br#"{"transaction_id":""}"#).unwrap_err();
    assert_eq!(d.code, ErrorCode::InvalidTransactionId);
    let d = DeferredCredentialRequest::from_json(br#"{}"#).unwrap_err();
    assert_eq!(d.code, ErrorCode::InvalidCredentialRequest);
}

#[test]
fn error_codes_round_trip_and_descriptions_are_sanitised() {
    // Their HTTP statuses are the adapter's table: oid4vci-axum's tests/status_table.rs.
    for code in [
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidClient,
        ErrorCode::InvalidGrant,
        ErrorCode::InvalidToken,
        ErrorCode::InsufficientScope,
        ErrorCode::InvalidProof,
        ErrorCode::InvalidNonce,
        ErrorCode::InvalidCredentialRequest,
        ErrorCode::UnknownCredentialConfiguration,
        ErrorCode::UnknownCredentialIdentifier,
        ErrorCode::InvalidEncryptionParameters,
        ErrorCode::CredentialRequestDenied,
        ErrorCode::IssuancePending,
        ErrorCode::InvalidTransactionId,
        ErrorCode::InvalidNotificationId,
        ErrorCode::ServerError,
    ] {
        assert_eq!(
            ErrorCode::parse(code.as_str()),
            code,
            "wire name round-trips"
        );
    }
    assert_eq!(
        ErrorCode::parse("x_custom"),
        ErrorCode::Other("x_custom".into())
    );
    let resp = ErrorResponse::new(ErrorCode::InvalidProof)
        .with_description("header has \"kid\" \\ ünïcode\n");
    let d = resp.error_description.as_deref().unwrap();
    assert!(oid4vci_types::error::is_valid_error_description(d), "{d}");
    assert_eq!(d, "header has 'kid' / ?n?code ");
    let long = ErrorResponse::new(ErrorCode::InvalidProof).with_description("x".repeat(5000));
    assert!(
        long.error_description.unwrap().len() <= oid4vci_types::error::MAX_ERROR_DESCRIPTION_LEN
    );
}

#[test]
fn credential_response_rules_of_section_8_3() {
    assert!(
        CredentialResponse::issued(vec!["a".into()], Some("n".into()))
            .validate()
            .is_ok()
    );
    assert!(CredentialResponse::deferred("t", 5).validate().is_ok());
    assert!(CredentialResponse::deferred("t", 0).validate().is_err());
    let mut both = CredentialResponse::issued(vec!["a".into()], None);
    both.transaction_id = Some("t".into());
    assert!(both.validate().is_err());
    let mut notif = CredentialResponse::deferred("t", 5);
    notif.notification_id = Some("n".into());
    assert!(notif.validate().is_err());
}

#[test]
fn the_refresh_token_grant_parses_and_round_trips() {
    let request =
        TokenRequest::from_form(b"grant_type=refresh_token&refresh_token=r-1&client_id=w")
            .expect("a refresh request");
    assert!(
        matches!(&request.grant, TokenGrant::RefreshToken { refresh_token } if refresh_token.expose() == "r-1")
    );
    assert_eq!(request.client_id.as_deref(), Some("w"));
    assert_eq!(
        TokenRequest::from_form(request.to_form().as_bytes()).expect("again"),
        request
    );
    let missing = TokenRequest::from_form(b"grant_type=refresh_token").expect_err("no token");
    assert_eq!(missing.code, ErrorCode::InvalidRequest);
    let tx = TokenRequest::from_form(b"grant_type=refresh_token&refresh_token=r&tx_code=1")
        .expect_err("tx_code");
    assert_eq!(tx.code, ErrorCode::InvalidRequest);
    assert!(
        !format!("{request:?}").contains("r-1"),
        "Debug hides the token"
    );
}
