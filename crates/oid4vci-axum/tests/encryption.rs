//! Encrypted credential requests and responses over HTTP: `application/jwt` in, `application/jwt`
//! out, errors always plain JSON.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use josekit::jwe::{JweHeader, ECDH_ES};
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::Jwk;
use oid4vci_issuer::{Issuer, IssuerConfig, MemoryStore};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_jwe::JweEncryption;
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::*;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

const ISSUER: &str = "https://issuer.example.com";
const CONFIG: &str = "identity_credential";

async fn call(
    app: &axum::Router,
    uri: &str,
    content_type: &str,
    auth: Option<&str>,
    body: String,
) -> (StatusCode, String, Vec<u8>) {
    let mut req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(token) = auth {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body)).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, ct, bytes)
}

#[tokio::test]
async fn encrypted_request_and_response_over_http() {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let issuer = Arc::new(
        Issuer::new(
            IssuerConfig::new(metadata),
            MemoryStore::new(),
            SdJwtVcMinter::generate(),
        )
        .with_encryption(Arc::new(JweEncryption::generate().expect("keys"))),
    );
    let app = oid4vci_axum::router(issuer.clone(), None);
    let created = issuer
        .create_offer(oid4vci_issuer::OfferSpec {
            credential_configuration_ids: vec![CONFIG.into()],
            claims: Some(json!({"given_name": "Erika"})),
            ..Default::default()
        })
        .await
        .expect("offer");
    let code = created.pre_authorized_code().cloned().expect("code");
    let form = TokenRequest::pre_authorized(code, None).to_form();
    let (status, _, token) = call(
        &app,
        "/token",
        "application/x-www-form-urlencoded",
        None,
        form,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let token: Value = serde_json::from_slice(&token).expect("json");
    let access = token["access_token"].as_str().expect("token").to_owned();

    // The issuer's request key, from the metadata the wallet fetched.
    let key = issuer
        .metadata()
        .credential_request_encryption
        .clone()
        .expect("advertised")["jwks"]["keys"][0]
        .clone();
    let issuer_key = Jwk::from_bytes(key.to_string()).expect("jwk");
    let wallet_enc = Jwk::generate_ec_key(EcCurve::P256).expect("wallet key");
    let mut wallet_public = wallet_enc.to_public_key().expect("public");
    wallet_public.set_algorithm("ECDH-ES");
    let wallet = TestWallet::new();
    let nonce = issuer.nonce().c_nonce;
    let body = json!({
        "credential_configuration_id": CONFIG,
        "proofs": {"jwt": [wallet.proof(ISSUER, Some(&nonce), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs())]},
        "credential_response_encryption": {"jwk": serde_json::from_str::<Value>(&wallet_public.to_string()).expect("jwk"), "enc": "A256GCM"},
    });
    let mut header = JweHeader::new();
    header.set_content_encryption("A128GCM");
    header.set_key_id(issuer_key.key_id().expect("kid"));
    let jwe = josekit::jwe::serialize_compact(
        body.to_string().as_bytes(),
        &header,
        &ECDH_ES.encrypter_from_jwk(&issuer_key).expect("enc"),
    )
    .expect("jwe");

    // Garbage in application/jwt: a plain JSON error.
    let (status, ct, err) = call(
        &app,
        "/credential",
        "application/jwt",
        Some(&access),
        "x.y".into(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(ct.starts_with("application/json"), "{ct}");
    let err: Value = serde_json::from_slice(&err).expect("json error");
    assert_eq!(err["error"], "invalid_encryption_parameters");

    let (status, ct, reply) =
        call(&app, "/credential", "application/jwt", Some(&access), jwe).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply)
    );
    assert_eq!(ct, "application/jwt");
    let text = String::from_utf8(reply).expect("compact JWE");
    let (plaintext, _) = josekit::jwe::deserialize_compact(
        &text,
        &ECDH_ES.decrypter_from_jwk(&wallet_enc).expect("dec"),
    )
    .expect("decrypts");
    let response: CredentialResponse = serde_json::from_slice(&plaintext).expect("response");
    assert_eq!(response.credentials.map(|c| c.len()), Some(1));
}

/// An issuer with request encryption, its router, an access token for a fresh offer and the
/// offer's session id.
async fn encrypting_issuer() -> (
    Arc<Issuer<MemoryStore, SdJwtVcMinter>>,
    axum::Router,
    String,
    String,
) {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let issuer = Arc::new(
        Issuer::new(
            IssuerConfig::new(metadata),
            MemoryStore::new(),
            SdJwtVcMinter::generate(),
        )
        .with_encryption(Arc::new(JweEncryption::generate().expect("keys"))),
    );
    let app = oid4vci_axum::router(issuer.clone(), None);
    let created = issuer
        .create_offer(oid4vci_issuer::OfferSpec {
            credential_configuration_ids: vec![CONFIG.into()],
            claims: Some(json!({"given_name": "Erika"})),
            ..Default::default()
        })
        .await
        .expect("offer");
    let code = created.pre_authorized_code().cloned().expect("code");
    let form = TokenRequest::pre_authorized(code, None).to_form();
    let (status, _, token) = call(
        &app,
        "/token",
        "application/x-www-form-urlencoded",
        None,
        form,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let token: Value = serde_json::from_slice(&token).expect("json");
    let access = token["access_token"].as_str().expect("token").to_owned();
    (issuer, app, access, created.session_id)
}

/// A credential request (with a fresh proof and `extra` members) encrypted to the issuer's key.
fn encrypted_request(issuer: &Issuer<MemoryStore, SdJwtVcMinter>, extra: Value) -> String {
    let key = issuer
        .metadata()
        .credential_request_encryption
        .clone()
        .expect("advertised")["jwks"]["keys"][0]
        .clone();
    let issuer_key = Jwk::from_bytes(key.to_string()).expect("jwk");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let nonce = issuer.nonce().c_nonce;
    let mut body = json!({
        "credential_configuration_id": CONFIG,
        "proofs": {"jwt": [TestWallet::new().proof(ISSUER, Some(&nonce), now)]},
    });
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    let mut header = JweHeader::new();
    header.set_content_encryption("A128GCM");
    header.set_key_id(issuer_key.key_id().expect("kid"));
    josekit::jwe::serialize_compact(
        body.to_string().as_bytes(),
        &header,
        &ECDH_ES.encrypter_from_jwk(&issuer_key).expect("enc"),
    )
    .expect("jwe")
}

/// A JSON error body whose description names none of the crypto library's internals.
fn error_in_our_words(bytes: &[u8]) -> Value {
    let body: Value = serde_json::from_slice(bytes).expect("a JSON error body");
    let text = body["error_description"].as_str().unwrap_or_default();
    for internal in [".c:", "ossl", "crypto/", "error:", "OpenSSL", "openssl"] {
        assert!(!text.contains(internal), "library internals in {text:?}");
    }
    body
}

/// Issue #20 finding 1: a compact JWE with an empty IV used to panic inside AES-GCM (the
/// connection dropped without a response). Now it, and every other damaged part, is a `400
/// invalid_encryption_parameters` saying which part is wrong.
#[tokio::test]
async fn damaged_jwe_parts_are_400_not_a_panic() {
    let (issuer, app, access, session) = encrypting_issuer().await;
    let jwe = encrypted_request(&issuer, json!({}));
    let parts: Vec<&str> = jwe.split('.').collect();
    let with = |index: usize, part: &str| {
        let mut parts = parts.clone();
        parts[index] = part;
        parts.join(".")
    };
    for (hostile, expected) in [
        (with(2, ""), "IV"),
        (with(2, "AAAAAAAAAAAAAAAAAAAAAA"), "IV"),
        (with(4, ""), "tag"),
        (with(4, "AAAA"), "tag"),
        (with(1, "AAAA"), "encrypted key"),
        (with(3, "*"), "ciphertext"),
    ] {
        let (status, ct, body) = call(
            &app,
            "/credential",
            "application/jwt",
            Some(&access),
            hostile,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{expected}");
        assert!(ct.starts_with("application/json"), "{ct}");
        let body = error_in_our_words(&body);
        assert_eq!(body["error"], "invalid_encryption_parameters");
        let text = body["error_description"].as_str().expect("description");
        assert!(text.contains(expected), "{expected:?} in {text:?}");
    }
    let log = issuer.inspect(&session).await.expect("inspect").events;
    assert!(!log
        .iter()
        .any(|e| e.kind == oid4vci_issuer::EventKind::CredentialIssued));
}

/// Issue #20 finding 7: an X25519 response key of low order (RFC 7748 §6.1) used to pass the
/// parameter check; the credential was minted, the session said issued, and sealing failed with
/// a 500 carrying OpenSSL's text. Now it is `400 invalid_encryption_parameters` before anything
/// is issued, and the token still works for a usable key.
#[tokio::test]
async fn a_low_order_response_key_is_400_before_anything_is_issued() {
    use base64::Engine as _;
    let (issuer, app, access, session) = encrypting_issuer().await;
    let zero = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0u8; 32]);
    let request = encrypted_request(
        &issuer,
        json!({"credential_response_encryption": {
            "jwk": {"kty": "OKP", "crv": "X25519", "x": zero, "alg": "ECDH-ES"},
            "enc": "A128GCM",
        }}),
    );
    let (status, ct, body) = call(
        &app,
        "/credential",
        "application/jwt",
        Some(&access),
        request,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(ct.starts_with("application/json"), "{ct}");
    let body = error_in_our_words(&body);
    assert_eq!(body["error"], "invalid_encryption_parameters");
    let summary = issuer.inspect(&session).await.expect("inspect");
    assert!(
        !summary
            .events
            .iter()
            .any(|e| e.kind == oid4vci_issuer::EventKind::CredentialIssued),
        "nothing was issued"
    );

    // The same token with a usable key gets its credential, encrypted.
    let wallet_enc = Jwk::generate_ecx_key(josekit::jwk::alg::ecx::EcxCurve::X25519).expect("key");
    let mut public = wallet_enc.to_public_key().expect("public");
    public.set_algorithm("ECDH-ES");
    let request = encrypted_request(
        &issuer,
        json!({"credential_response_encryption": {
            "jwk": serde_json::from_str::<Value>(&public.to_string()).expect("jwk"),
            "enc": "A128GCM",
        }}),
    );
    let (status, ct, reply) = call(
        &app,
        "/credential",
        "application/jwt",
        Some(&access),
        request,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply)
    );
    assert_eq!(ct, "application/jwt");
    let (plaintext, _) = josekit::jwe::deserialize_compact(
        std::str::from_utf8(&reply).expect("compact JWE"),
        &ECDH_ES.decrypter_from_jwk(&wallet_enc).expect("dec"),
    )
    .expect("decrypts");
    let response: CredentialResponse = serde_json::from_slice(&plaintext).expect("response");
    assert_eq!(response.credentials.map(|c| c.len()), Some(1));
}
