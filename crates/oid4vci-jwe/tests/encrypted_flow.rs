//! Encrypted credential requests and responses through the issuer service, with a wallet that
//! encrypts and decrypts on its own (josekit): the happy path, deferred issuance, and every
//! refusal (`invalid_encryption_parameters`), which never costs the wallet its nonce.

use std::sync::Arc;

use josekit::jwe::{JweHeader, ECDH_ES};
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::Jwk;
use oid4vci_issuer::{CredentialBody, CredentialReply, HttpFacts, Issuer, MemoryStore, OfferSpec};
use oid4vci_issuer_testkit::{flows, TestWallet};
use oid4vci_jwe::JweEncryption;
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{CredentialResponse, ErrorCode, TokenRequest};
use serde_json::{json, Value};

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

type TestIssuer = Issuer<MemoryStore, SdJwtVcMinter>;

fn issuer_with(encryption: JweEncryption) -> TestIssuer {
    let (issuer, _clock) = flows::scenario_issuer(MemoryStore::new());
    issuer.with_encryption(Arc::new(encryption))
}

/// A wallet with a token for a fresh offer (claims `None` defers issuance).
fn token_for(issuer: &TestIssuer, claims: Option<Value>) -> (String, String) {
    let created = block(issuer.create_offer(OfferSpec {
        credential_configuration_ids: vec![flows::CONFIG.into()],
        claims,
        ..OfferSpec::default()
    }))
    .expect("offer");
    let code = created.pre_authorized_code().cloned().expect("code");
    let token = block(issuer.token(
        TokenRequest::pre_authorized(code, None),
        HttpFacts::default(),
    ))
    .expect("token");
    (token.access_token.expose().to_owned(), created.session_id)
}

fn issuer_request_key(issuer: &TestIssuer) -> Jwk {
    let jwks = issuer
        .metadata()
        .credential_request_encryption
        .clone()
        .expect("advertised");
    Jwk::from_bytes(jwks["jwks"]["keys"][0].to_string()).expect("issuer key")
}

fn encrypt_to_issuer(issuer: &TestIssuer, body: &Value, enc: &str) -> String {
    let key = issuer_request_key(issuer);
    let mut header = JweHeader::new();
    header.set_content_encryption(enc);
    header.set_key_id(key.key_id().expect("kid"));
    let encrypter = ECDH_ES.encrypter_from_jwk(&key).expect("encrypter");
    josekit::jwe::serialize_compact(body.to_string().as_bytes(), &header, &encrypter)
        .expect("encrypt")
}

struct WalletKey {
    private: Jwk,
    public: Value,
}

fn wallet_key() -> WalletKey {
    let private = Jwk::generate_ec_key(EcCurve::P256).expect("key");
    let mut public = private.to_public_key().expect("public");
    public.set_algorithm("ECDH-ES");
    public.set_key_id("wallet-enc-1");
    WalletKey {
        public: serde_json::from_str(&public.to_string()).expect("json"),
        private,
    }
}

fn decrypt(key: &WalletKey, jwe: &str) -> CredentialResponse {
    let decrypter = ECDH_ES.decrypter_from_jwk(&key.private).expect("decrypter");
    let (plaintext, header) = josekit::jwe::deserialize_compact(jwe, &decrypter).expect("decrypts");
    assert_eq!(header.key_id(), Some("wallet-enc-1"));
    serde_json::from_slice(&plaintext).expect("a credential response")
}

fn request_body(issuer: &TestIssuer, wallet: &TestWallet, encryption: Option<Value>) -> Value {
    let nonce = issuer.nonce().c_nonce;
    let mut body = json!({
        "credential_configuration_id": flows::CONFIG,
        "proofs": {"jwt": [wallet.proof(flows::ISSUER, Some(&nonce), flows::T0)]},
    });
    if let (Some(e), Value::Object(map)) = (encryption, &mut body) {
        map.insert("credential_response_encryption".into(), e);
    }
    body
}

fn send(
    issuer: &TestIssuer,
    token: &str,
    body: CredentialBody<'_>,
) -> Result<CredentialReply, oid4vci_issuer::Refusal> {
    block(issuer.credential(body, HttpFacts::bearer(token)))
}

#[test]
fn metadata_advertises_both_directions() {
    let issuer = issuer_with(JweEncryption::generate().expect("keys"));
    let meta = issuer.metadata();
    let request = meta.credential_request_encryption.clone().expect("request");
    let key = &request["jwks"]["keys"][0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["use"], "enc");
    assert!(key["kid"].is_string() && key.get("d").is_none(), "{key}");
    assert_eq!(
        request["enc_values_supported"],
        json!(["A128GCM", "A256GCM"])
    );
    assert_eq!(request["encryption_required"], false);
    let response = meta
        .credential_response_encryption
        .clone()
        .expect("response");
    assert!(response["alg_values_supported"]
        .as_array()
        .expect("algs")
        .contains(&json!("ECDH-ES")));
    assert_eq!(
        response["enc_values_supported"],
        json!(["A128GCM", "A256GCM"])
    );
}

#[test]
fn an_encrypted_request_gets_an_encrypted_response() {
    let issuer = issuer_with(JweEncryption::generate().expect("keys"));
    let (token, session) = token_for(&issuer, Some(json!({"age_over_18": true})));
    let wallet = TestWallet::new();
    let key = wallet_key();
    for enc in ["A128GCM", "A256GCM"] {
        let body = request_body(
            &issuer,
            &wallet,
            Some(json!({"jwk": key.public, "enc": enc})),
        );
        let jwe = encrypt_to_issuer(&issuer, &body, "A256GCM");
        let reply = send(&issuer, &token, CredentialBody::Jwe(jwe.as_bytes())).expect("issued");
        let CredentialReply::Jwe { jwe, deferred } = reply else {
            panic!("the response must be encrypted: {reply:?}");
        };
        assert!(!deferred, "issued");
        let response = decrypt(&key, &jwe);
        let credentials = response.credentials.expect("credentials");
        assert_eq!(credentials.len(), 1);
        flows::verify_sd_jwt(
            credentials[0].credential.as_str().expect("sd-jwt"),
            issuer.minter(),
            &wallet.public_jwk(),
        );
    }
    let log = block(issuer.inspect(&session)).expect("session").events;
    let issued = log
        .iter()
        .filter(|e| serde_json::to_value(e.kind).ok() == Some(json!("credential_issued")))
        .count();
    assert_eq!(issued, 2);
}

#[test]
fn a_response_asked_to_be_compressed_is_deflated_before_it_is_encrypted() {
    let issuer = issuer_with(JweEncryption::generate().expect("keys"));
    let meta = issuer.metadata();
    let response = meta
        .credential_response_encryption
        .clone()
        .expect("response");
    assert_eq!(response["zip_values_supported"], json!(["DEF"]));
    // The issuer never inflates what a wallet sent: requests name no compression.
    let request = meta.credential_request_encryption.clone().expect("request");
    assert!(request.get("zip_values_supported").is_none(), "{request}");

    let (token, _) = token_for(&issuer, Some(json!({"age_over_18": true})));
    let wallet = TestWallet::new();
    let key = wallet_key();
    let unknown = request_body(
        &issuer,
        &wallet,
        Some(json!({"jwk": key.public, "enc": "A128GCM", "zip": "GZIP"})),
    );
    let err = send(
        &issuer,
        &token,
        CredentialBody::Json(unknown.to_string().as_bytes()),
    )
    .expect_err("an unknown zip is refused");
    assert_eq!(err.error_code(), ErrorCode::InvalidEncryptionParameters);
    assert!(
        format!("{err}").contains("zip GZIP is not supported"),
        "{err}"
    );
    // As the OIDF encrypted happy flow asks (its second request adds zip DEF).
    let body = request_body(
        &issuer,
        &wallet,
        Some(json!({"jwk": key.public, "enc": "A128GCM", "zip": "DEF"})),
    );
    let jwe = encrypt_to_issuer(&issuer, &body, "A128GCM");
    let reply = send(&issuer, &token, CredentialBody::Jwe(jwe.as_bytes())).expect("issued");
    let CredentialReply::Jwe { jwe, .. } = reply else {
        panic!("the response must be encrypted: {reply:?}");
    };
    let protected = jwe.split('.').next().expect("header");
    let protected: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, protected)
            .expect("base64url"),
    )
    .expect("json");
    assert_eq!(protected["zip"], "DEF", "{protected}");
    // josekit inflates by the header after it decrypts: a plaintext that was not DEFLATE
    // data would not come out.
    let credentials = decrypt(&key, &jwe).credentials.expect("credentials");
    flows::verify_sd_jwt(
        credentials[0].credential.as_str().expect("sd-jwt"),
        issuer.minter(),
        &wallet.public_jwk(),
    );
}

#[test]
fn a_plain_request_may_ask_for_an_encrypted_response_unless_requests_must_be_encrypted() {
    let issuer = issuer_with(JweEncryption::generate().expect("keys"));
    let (token, _) = token_for(&issuer, Some(json!({"age_over_18": true})));
    let wallet = TestWallet::new();
    let key = wallet_key();
    let body = request_body(
        &issuer,
        &wallet,
        Some(json!({"jwk": key.public, "enc": "A128GCM"})),
    );
    let reply = send(
        &issuer,
        &token,
        CredentialBody::Json(body.to_string().as_bytes()),
    )
    .expect("draft-13 style wallets send plain requests");
    let CredentialReply::Jwe { jwe, .. } = reply else {
        panic!("encrypted response expected");
    };
    assert!(decrypt(&key, &jwe).credentials.is_some());

    let strict = issuer_with(
        JweEncryption::generate()
            .expect("keys")
            .require_encrypted_requests(true),
    );
    assert_eq!(
        strict
            .metadata()
            .credential_request_encryption
            .clone()
            .expect("m")["encryption_required"],
        true
    );
    let (token, _) = token_for(&strict, Some(json!({"age_over_18": true})));
    let body = request_body(&strict, &wallet, None);
    let err = send(
        &strict,
        &token,
        CredentialBody::Json(body.to_string().as_bytes()),
    )
    .unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidEncryptionParameters);
    let jwe = encrypt_to_issuer(&strict, &body, "A128GCM");
    let reply =
        send(&strict, &token, CredentialBody::Jwe(jwe.as_bytes())).expect("encrypted request");
    assert!(
        matches!(reply, CredentialReply::Json(_)),
        "no response encryption asked for"
    );
}

#[test]
fn bad_encryption_parameters_are_refused_before_anything_is_issued() {
    let issuer = issuer_with(
        JweEncryption::generate()
            .expect("keys")
            .require_encrypted_responses(true),
    );
    let (token, _) = token_for(&issuer, Some(json!({"age_over_18": true})));
    let wallet = TestWallet::new();
    let key = wallet_key();
    let body = request_body(&issuer, &wallet, None);
    let mut no_alg = key.public.clone();
    no_alg.as_object_mut().expect("jwk").remove("alg");
    let cases: Vec<(String, &str)> = vec![
        ("not a jwe".into(), "malformed JWE"),
        ("a.b.c.d.e".into(), "undecodable JWE"),
        (
            encrypt_to_issuer(&issuer, &body, "A128CBC-HS256"),
            "unsupported request enc",
        ),
        (
            encrypt_to_issuer(
                &issuer,
                &json!({"credential_response_encryption": {"jwk": key.public, "enc": "A999GCM"}, "credential_configuration_id": flows::CONFIG, "proofs": body["proofs"]}),
                "A128GCM",
            ),
            "unsupported response enc",
        ),
        (
            encrypt_to_issuer(
                &issuer,
                &json!({"credential_response_encryption": {"jwk": no_alg, "enc": "A128GCM"}, "credential_configuration_id": flows::CONFIG, "proofs": body["proofs"]}),
                "A128GCM",
            ),
            "response jwk without alg",
        ),
        (
            encrypt_to_issuer(&issuer, &body, "A128GCM"),
            "response encryption required but missing",
        ),
    ];
    for (jwe, what) in &cases {
        let err = send(&issuer, &token, CredentialBody::Jwe(jwe.as_bytes())).unwrap_err();
        assert_eq!(
            err.error_code(),
            ErrorCode::InvalidEncryptionParameters,
            "{what}: {err:?}"
        );
        assert!(
            err.to_error_response().error_description.is_some(),
            "{what}"
        );
    }
    // The same proof (and its nonce) still works once the parameters are right.
    let mut fixed = body.clone();
    fixed["credential_response_encryption"] = json!({"jwk": key.public, "enc": "A128GCM"});
    let jwe = encrypt_to_issuer(&issuer, &fixed, "A128GCM");
    let reply = send(&issuer, &token, CredentialBody::Jwe(jwe.as_bytes())).expect("issued");
    assert!(matches!(
        reply,
        CredentialReply::Jwe {
            deferred: false,
            ..
        }
    ));
}

#[test]
fn without_encryption_configured_encrypted_requests_are_refused() {
    let (issuer, _clock) = flows::scenario_issuer(MemoryStore::new());
    assert!(issuer.metadata().credential_request_encryption.is_none());
    let (token, _) = token_for(&issuer, Some(json!({"age_over_18": true})));
    let err = send(&issuer, &token, CredentialBody::Jwe(b"a.b.c.d.e")).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidEncryptionParameters);
    let wallet = TestWallet::new();
    let body = request_body(
        &issuer,
        &wallet,
        Some(json!({"jwk": wallet_key().public, "enc": "A128GCM"})),
    );
    let err = send(
        &issuer,
        &token,
        CredentialBody::Json(body.to_string().as_bytes()),
    )
    .unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidEncryptionParameters);
}

/// An encrypted request that is deferred; returns the session, its token and the
/// `transaction_id` (read from the encrypted 202), after the operator submitted the claims.
fn deferred_encrypted(issuer: &TestIssuer, key: &WalletKey) -> (String, String) {
    let (token, session) = token_for(issuer, None);
    let wallet = TestWallet::new();
    let body = request_body(
        issuer,
        &wallet,
        Some(json!({"jwk": key.public, "enc": "A128GCM"})),
    );
    let jwe = encrypt_to_issuer(issuer, &body, "A128GCM");
    let reply = send(issuer, &token, CredentialBody::Jwe(jwe.as_bytes())).expect("deferred");
    let CredentialReply::Jwe { jwe, deferred } = reply else {
        panic!("encrypted 202 expected");
    };
    assert!(deferred, "deferred");
    let transaction_id = decrypt(key, &jwe).transaction_id.expect("transaction id");
    block(issuer.submit_claims(&session, flows::CONFIG, json!({"age_over_18": true})))
        .expect("claims");
    (token, transaction_id)
}

#[test]
fn deferred_responses_are_encrypted_only_when_the_deferred_request_asks() {
    let issuer = issuer_with(JweEncryption::generate().expect("keys"));
    let key = wallet_key();

    // Section 9.1: without credential_response_encryption in the deferred request, "encryption
    // will not be performed" — even though the initial request was encrypted.
    let (token, transaction_id) = deferred_encrypted(&issuer, &key);
    let deferred = json!({"transaction_id": transaction_id});
    let reply = block(issuer.deferred_credential(
        CredentialBody::Json(deferred.to_string().as_bytes()),
        HttpFacts::bearer(&token),
    ))
    .expect("collected");
    let CredentialReply::Json(response) = reply else {
        panic!("a deferred request without credential_response_encryption gets plain JSON");
    };
    assert_eq!(response.credentials.map(|c| c.len()), Some(1));

    // With its own parameters, the deferred response is encrypted to them.
    let (token, transaction_id) = deferred_encrypted(&issuer, &key);
    let deferred = json!({"transaction_id": transaction_id,
        "credential_response_encryption": {"jwk": key.public, "enc": "A256GCM"}});
    let reply = block(issuer.deferred_credential(
        CredentialBody::Json(deferred.to_string().as_bytes()),
        HttpFacts::bearer(&token),
    ))
    .expect("collected");
    let CredentialReply::Jwe { jwe, deferred } = reply else {
        panic!("the deferred request's own encryption applies");
    };
    assert!(!deferred, "issued");
    assert_eq!(decrypt(&key, &jwe).credentials.map(|c| c.len()), Some(1));
}

#[test]
fn keys_survive_a_round_trip_through_their_jwks() {
    let first = JweEncryption::generate().expect("keys");
    let again = JweEncryption::from_private_jwks(&first.private_jwks()).expect("reload");
    use oid4vci_issuer::MessageEncryption;
    assert_eq!(first.request_metadata(), again.request_metadata());
    assert!(JweEncryption::from_private_jwks(&json!({"keys": []})).is_err());
    assert!(JweEncryption::from_private_jwks(&json!({"keys": [{"kty": "EC"}]})).is_err());
    assert!(format!("{first:?}").contains("enc-") && !format!("{first:?}").contains("\"d\""));
}
