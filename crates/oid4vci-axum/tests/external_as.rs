//! External authorization server mode over HTTP: a JWT access token (RFC 9068) minted by a
//! test authorization server is accepted at `POST /credential`; one signed by another key gets
//! `401 invalid_token` with `WWW-Authenticate`.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use oid4vci_authorization::DemoUser;
use oid4vci_issuer::JwtAccessTokenVerifier;
use oid4vci_issuer::{Clock, Issuer, IssuerConfig, MemoryStore, SystemClock};
use oid4vci_issuer_testkit::{TestAuthorizationServer, TestWallet};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

const ISSUER: &str = "https://issuer.example.com";
const AS: &str = "https://login.example.com";
const CONFIG: &str = "eu.europa.ec.av.1";

#[tokio::test]
async fn an_external_jwt_access_token_obtains_a_credential_over_http() {
    let server = TestAuthorizationServer::new(AS);
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    let mut config = CredentialConfiguration::sd_jwt_vc(CONFIG);
    config.scope = Some("age".into());
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), config);
    let verifier = JwtAccessTokenVerifier::from_jwks(AS, ISSUER, &server.jwks()).expect("jwks");
    let claims = BTreeMap::from([(CONFIG.to_owned(), json!({"age_over_18": true}))]);
    let issuer = Arc::new(
        Issuer::new(
            IssuerConfig::new(metadata),
            MemoryStore::new(),
            SdJwtVcMinter::generate(),
        )
        .with_external_authorization_server(
            Arc::new(verifier),
            Arc::new(DemoUser::new("erika", "unused", claims)),
        ),
    );
    let app = oid4vci_axum::router(issuer.clone(), None);
    let send = |req: Request<Body>| {
        let app = app.clone();
        async move {
            let resp = app.oneshot(req).await.expect("response");
            let status = resp.status();
            let headers = resp.headers().clone();
            let bytes = resp.into_body().collect().await.expect("body").to_bytes();
            (
                status,
                headers,
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        }
    };
    let (_, _, meta) = send(
        Request::get("/.well-known/openid-credential-issuer")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(meta["authorization_servers"], json!([AS]));

    let now = SystemClock.now();
    let credential = |token: String| {
        let proof = TestWallet::new().proof(ISSUER, Some(&issuer.nonce().c_nonce), now);
        let body = json!({"credential_configuration_id": CONFIG, "proofs": {"jwt": [proof]}});
        Request::post("/credential")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(body.to_string()))
            .expect("req")
    };
    let token = server.sign(
        "at+jwt",
        &server.claims(ISSUER, now, json!({"scope": "age"})),
    );
    let (status, _, body) = send(credential(token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["credentials"][0]["credential"].is_string());

    let forged = TestAuthorizationServer::new(AS).sign(
        "at+jwt",
        &server.claims(ISSUER, now, json!({"scope": "age"})),
    );
    let (status, headers, body) = send(credential(forged)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
    assert!(headers.contains_key(header::WWW_AUTHENTICATE));
}
