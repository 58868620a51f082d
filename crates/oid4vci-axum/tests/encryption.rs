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
