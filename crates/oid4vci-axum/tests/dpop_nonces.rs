//! Server-provided DPoP nonces (RFC 9449 §8, §9) over HTTP: a proof without the current nonce
//! gets `use_dpop_nonce` and a fresh `DPoP-Nonce` (400 at the token endpoint, 401 with
//! `WWW-Authenticate` at the credential endpoint), every response to a DPoP request carries the
//! next nonce, stale and foreign nonces are refused, and two `DPoP` headers are refused.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use oid4vci_issuer::{Issuer, IssuerConfig, ManualClock, MemoryStore};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::*;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

const ISSUER: &str = "https://issuer.example.com";
const CONFIG: &str = "eu.europa.ec.av.1";
const NOW: u64 = 1_790_000_000;
const JSON: (&str, &str) = ("content-type", "application/json");
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

fn app(nonce_ttl: Option<u64>) -> (Router, ManualClock) {
    let clock = ManualClock::new(NOW);
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let mut config = IssuerConfig::new(metadata);
    config.dpop_nonce_ttl = nonce_ttl;
    let issuer = Arc::new(
        Issuer::new(config, MemoryStore::new(), SdJwtVcMinter::generate())
            .with_clock(Arc::new(clock.clone())),
    );
    let app = oid4vci_axum::router(issuer.clone(), None).merge(oid4vci_axum::admin_router(issuer));
    (app, clock)
}

async fn call(
    app: &Router,
    uri: &str,
    headers: &[(&str, &str)],
    body: String,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = Request::builder().method("POST").uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body)).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn nonce_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get("dpop-nonce")
        .map(|v| v.to_str().expect("ascii").to_owned())
}

/// A pre-authorized offer's token form.
async fn token_form(app: &Router) -> String {
    let body = json!({"credential_configuration_ids": [CONFIG], "claims": {"a": 1}});
    let (status, _, created) = call(app, "/admin/offers", &[JSON], body.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let code = created["credential_offer"]["grants"][PRE_AUTHORIZED_CODE_GRANT_TYPE]
        ["pre-authorized_code"]
        .as_str()
        .expect("code")
        .to_owned();
    form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", PRE_AUTHORIZED_CODE_GRANT_TYPE)
        .append_pair("pre-authorized_code", &code)
        .finish()
}

#[tokio::test]
async fn the_token_and_credential_endpoints_demand_the_current_nonce() {
    let (app, _clock) = app(Some(120));
    let wallet = TestWallet::new();
    let form = token_form(&app).await;
    let token_url = format!("{ISSUER}/token");

    // No nonce: 400 use_dpop_nonce with a fresh nonce, no WWW-Authenticate (RFC 9449 §8).
    let proof = wallet.dpop_proof(&token_url, None, NOW);
    let (status, headers, err) = call(
        &app,
        "/token",
        &[FORM, ("dpop", proof.as_str())],
        form.clone(),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("use_dpop_nonce")),
        "{err}"
    );
    assert!(headers.get(header::WWW_AUTHENTICATE).is_none());
    let nonce = nonce_of(&headers).expect("DPoP-Nonce with the refusal");

    // The code was not used up by the refusal: with the nonce the same code is redeemed, and
    // the response carries the next nonce.
    let proof = wallet.dpop_proof_with_nonce(&token_url, None, NOW, Some(&nonce));
    let (status, headers, token) =
        call(&app, "/token", &[FORM, ("dpop", proof.as_str())], form).await;
    assert_eq!(
        (status, token["token_type"].as_str()),
        (StatusCode::OK, Some("DPoP")),
        "{token}"
    );
    let next = nonce_of(&headers).expect("DPoP-Nonce with the token response");
    let access = token["access_token"].as_str().expect("token").to_owned();

    // The credential endpoint: no nonce is 401 with a DPoP challenge and a fresh nonce.
    let (_, _, c_nonce) = call(&app, "/nonce", &[], String::new()).await;
    let request = json!({"credential_configuration_id": CONFIG,
        "proofs": {"jwt": [wallet.proof(ISSUER, c_nonce["c_nonce"].as_str(), NOW)]}})
    .to_string();
    let credential_url = format!("{ISSUER}/credential");
    let auth = format!("DPoP {access}");
    let proof = wallet.dpop_proof(&credential_url, Some(&access), NOW);
    let (status, headers, err) = call(
        &app,
        "/credential",
        &[
            JSON,
            ("authorization", auth.as_str()),
            ("dpop", proof.as_str()),
        ],
        request.clone(),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("use_dpop_nonce")),
        "{err}"
    );
    let challenge = headers[header::WWW_AUTHENTICATE].to_str().expect("ascii");
    assert!(
        challenge.starts_with("DPoP error=\"use_dpop_nonce\""),
        "{challenge}"
    );
    assert!(nonce_of(&headers).is_some());

    // The nonce of the token response is good at the credential endpoint (nonces are per
    // server, not per endpoint), and the credential response carries the next one.
    let proof = wallet.dpop_proof_with_nonce(&credential_url, Some(&access), NOW, Some(&next));
    let (status, headers, issued) = call(
        &app,
        "/credential",
        &[
            JSON,
            ("authorization", auth.as_str()),
            ("dpop", proof.as_str()),
        ],
        request,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert!(issued["credentials"].is_array());
    assert!(nonce_of(&headers).is_some());
}

#[tokio::test]
async fn stale_and_foreign_nonces_are_refused() {
    let (app, clock) = app(Some(120));
    let wallet = TestWallet::new();
    let token_url = format!("{ISSUER}/token");
    let form = token_form(&app).await;
    let proof = wallet.dpop_proof(&token_url, None, NOW);
    let (_, headers, _) = call(
        &app,
        "/token",
        &[FORM, ("dpop", proof.as_str())],
        form.clone(),
    )
    .await;
    let nonce = nonce_of(&headers).expect("nonce");

    // A c_nonce is not a DPoP nonce (its MAC is under another key).
    let (_, _, c_nonce) = call(&app, "/nonce", &[], String::new()).await;
    let c_nonce = c_nonce["c_nonce"].as_str().expect("c_nonce");
    let proof = wallet.dpop_proof_with_nonce(&token_url, None, NOW, Some(c_nonce));
    let (status, _, err) = call(
        &app,
        "/token",
        &[FORM, ("dpop", proof.as_str())],
        form.clone(),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("use_dpop_nonce"))
    );
    assert!(err["error_description"]
        .as_str()
        .expect("text")
        .contains("unknown or expired"));

    // Past its lifetime the nonce is refused; a fresh one works.
    clock.set(NOW + 121);
    let proof = wallet.dpop_proof_with_nonce(&token_url, None, NOW + 121, Some(&nonce));
    let (status, headers, err) = call(
        &app,
        "/token",
        &[FORM, ("dpop", proof.as_str())],
        form.clone(),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("use_dpop_nonce"))
    );
    let fresh = nonce_of(&headers).expect("fresh nonce");
    assert_ne!(fresh, nonce);
    let proof = wallet.dpop_proof_with_nonce(&token_url, None, NOW + 121, Some(&fresh));
    let (status, _, token) = call(&app, "/token", &[FORM, ("dpop", proof.as_str())], form).await;
    assert_eq!(status, StatusCode::OK, "{token}");
}

#[tokio::test]
async fn without_required_nonces_no_nonce_is_sent_and_two_dpop_headers_are_refused() {
    let (app, _clock) = app(None);
    let wallet = TestWallet::new();
    let token_url = format!("{ISSUER}/token");
    let form = token_form(&app).await;
    let one = wallet.dpop_proof(&token_url, None, NOW);
    let two = wallet.dpop_proof(&token_url, None, NOW);
    let (status, _, err) = call(
        &app,
        "/token",
        &[FORM, ("dpop", one.as_str()), ("dpop", two.as_str())],
        form.clone(),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof")),
        "{err}"
    );
    assert!(err["error_description"]
        .as_str()
        .expect("text")
        .contains("exactly one DPoP proof"));

    let (status, headers, token) =
        call(&app, "/token", &[FORM, ("dpop", one.as_str())], form).await;
    assert_eq!(
        (status, token["token_type"].as_str()),
        (StatusCode::OK, Some("DPoP")),
        "{token}"
    );
    assert!(nonce_of(&headers).is_none(), "nonces are off: none is sent");
}
