//! Bad input and whole flows over HTTP: every refusal is the spec's JSON error with its status,
//! and the session's event log shows it.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
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

fn app() -> Router {
    app_with_clock().0
}

fn app_with_clock() -> (Router, ManualClock) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let clock = ManualClock::new(now);
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let minter = SdJwtVcMinter::generate();
    let jwks = json!({"keys": [minter.public_jwk()]});
    let issuer = Arc::new(
        Issuer::new(IssuerConfig::new(metadata), MemoryStore::new(), minter)
            .with_clock(Arc::new(clock.clone())),
    );
    let app =
        oid4vci_axum::router(issuer.clone(), Some(jwks)).merge(oid4vci_axum::admin_router(issuer));
    (app, clock)
}

async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .clone()
        .oneshot(req.body(body.into()).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, json)
}

const JSON: (&str, &str) = ("content-type", "application/json");
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

async fn new_offer(app: &Router, tx: bool) -> Value {
    let body = json!({"credential_configuration_ids": [CONFIG], "claims": {"age_over_18": true},
                      "tx_code": if tx { json!({"length": 4}) } else { Value::Null }, "by_reference": true});
    let (status, _, created) = call(app, "POST", "/admin/offers", &[JSON], body.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

fn token_form(created: &Value, tx: Option<&str>) -> String {
    let code = created["credential_offer"]["grants"][PRE_AUTHORIZED_CODE_GRANT_TYPE]
        ["pre-authorized_code"]
        .as_str()
        .expect("code");
    TokenRequest::pre_authorized(code, tx.map(SecretString::from)).to_form()
}

async fn events(app: &Router, created: &Value) -> Vec<String> {
    let id = created["session_id"].as_str().expect("id");
    let (_, _, summary) = call(
        app,
        "GET",
        &format!("/admin/sessions/{id}"),
        &[],
        Body::empty(),
    )
    .await;
    summary["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn full_flow_over_http_with_bad_input_at_every_step() {
    let app = app();
    let (status, _, meta) = call(
        &app,
        "GET",
        "/.well-known/openid-credential-issuer",
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(
        (status, meta["credential_issuer"].as_str()),
        (StatusCode::OK, Some(ISSUER))
    );
    let (status, _, jwks) = call(
        &app,
        "GET",
        "/.well-known/jwt-vc-issuer",
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(
        (status, jwks["jwks"]["keys"][0]["kty"].as_str()),
        (StatusCode::OK, Some("EC"))
    );

    let created = new_offer(&app, true).await;
    let uri = created["credential_offer_uri"].as_str().expect("uri");
    let CredentialOfferRequest::ByReference(reference) =
        CredentialOfferRequest::from_uri(uri).expect("uri")
    else {
        panic!()
    };
    let path = reference.strip_prefix(ISSUER).expect("same origin");
    let (status, headers, offer) = call(&app, "GET", path, &[], Body::empty()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(offer, created["credential_offer"]);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");

    // Token endpoint: wrong content type, malformed form, wrong tx_code, then success, then reuse.
    let form = token_form(&created, created["tx_code"].as_str());
    let (status, _, err) = call(&app, "POST", "/token", &[JSON], form.clone()).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (status, _, err) = call(&app, "POST", "/token", &[FORM], "grant_type=a&grant_type=b").await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (status, _, err) = call(
        &app,
        "POST",
        "/token",
        &[FORM],
        token_form(&created, Some("zzzz")),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, headers, token) = call(&app, "POST", "/token", &[FORM], form.clone()).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let (status, _, err) = call(&app, "POST", "/token", &[FORM], form).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "code reuse"
    );

    let access = token["access_token"].as_str().expect("token").to_owned();
    let bearer = format!("Bearer {access}");
    let wallet = TestWallet::new();
    let (status, headers, nonce) = call(&app, "POST", "/nonce", &[], Body::empty()).await;
    assert_eq!(
        (status, &headers[header::CACHE_CONTROL]),
        (
            StatusCode::OK,
            &"no-store".parse::<axum::http::HeaderValue>().expect("hv")
        )
    );
    let nonce = nonce["c_nonce"].as_str().expect("c_nonce").to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let request = |aud: &str, nonce: &str| {
        json!({"credential_configuration_id": CONFIG, "proofs": {"jwt": [wallet.proof(aud, Some(nonce), now)]}}).to_string()
    };

    let (status, headers, err) = call(
        &app,
        "POST",
        "/credential",
        &[JSON],
        request(ISSUER, &nonce),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
    assert!(headers[header::WWW_AUTHENTICATE]
        .to_str()
        .expect("ascii")
        .starts_with("Bearer error=\"invalid_token\""));
    let (status, _, err) = call(
        &app,
        "POST",
        &format!("/credential?access_token={access}"),
        &[JSON],
        request(ISSUER, &nonce),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request")),
        "token in query"
    );
    let auth = ("authorization", bearer.as_str());
    let (status, _, err) = call(
        &app,
        "POST",
        "/credential",
        &[auth, ("content-type", "text/plain")],
        request(ISSUER, &nonce),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_credential_request"))
    );
    let (status, _, err) = call(&app, "POST", "/credential", &[auth, JSON], "{not json").await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_credential_request"))
    );
    let big = format!("{{\"x\":\"{}\"}}", "a".repeat(70_000));
    let (status, _, err) = call(&app, "POST", "/credential", &[auth, JSON], big).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("invalid_credential_request")
        )
    );
    let unknown =
        json!({"credential_configuration_id": "nope", "proofs": {"jwt": ["a.b.c"]}}).to_string();
    let (status, _, err) = call(&app, "POST", "/credential", &[auth, JSON], unknown).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("unknown_credential_configuration")
        )
    );
    let (status, _, err) = call(
        &app,
        "POST",
        "/credential",
        &[auth, JSON],
        request("https://evil.example", &nonce),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_proof"))
    );
    assert_eq!(err["diagnostic"]["code"], "invalid_audience");
    let description = err["error_description"].as_str().expect("description");
    assert!(
        oid4vci_types::error::is_valid_error_description(description),
        "{description}"
    );

    let (status, _, issued) = call(
        &app,
        "POST",
        "/credential",
        &[auth, JSON],
        request(ISSUER, &nonce),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert!(issued["credentials"][0]["credential"]
        .as_str()
        .expect("sd-jwt")
        .ends_with('~'));
    let (status, _, err) = call(
        &app,
        "POST",
        "/credential",
        &[auth, JSON],
        request(ISSUER, &nonce),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_nonce")),
        "nonce replay"
    );

    let note =
        json!({"notification_id": issued["notification_id"], "event": "credential_accepted"})
            .to_string();
    let (status, _, _) = call(&app, "POST", "/notification", &[auth, JSON], note).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, err) = call(
        &app,
        "POST",
        "/notification",
        &[auth, JSON],
        json!({"notification_id": "x", "event": "credential_accepted"}).to_string(),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_notification_id"))
    );

    assert_eq!(
        events(&app, &created).await,
        [
            "offer_created",
            "offer_retrieved",
            "token_rejected",
            "token_exchanged",
            "nonce_issued",
            "token_rejected",
            "credential_rejected",
            "proof_rejected",
            "credential_issued",
            "proof_rejected",
            "notification_received",
            "notification_rejected"
        ]
    );
}

#[tokio::test]
async fn deferred_issuance_answers_202_then_the_credential() {
    let app = app();
    let body = json!({"credential_configuration_ids": [CONFIG], "claims": null});
    let (_, _, created) = call(&app, "POST", "/admin/offers", &[JSON], body.to_string()).await;
    let (_, _, token) = call(&app, "POST", "/token", &[FORM], token_form(&created, None)).await;
    let bearer = format!("Bearer {}", token["access_token"].as_str().expect("token"));
    let auth = ("authorization", bearer.as_str());
    let (_, _, nonce) = call(&app, "POST", "/nonce", &[], Body::empty()).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let proof = TestWallet::new().proof(ISSUER, nonce["c_nonce"].as_str(), now);
    let req =
        json!({"credential_configuration_id": CONFIG, "proofs": {"jwt": [proof]}}).to_string();
    let (status, _, pending) = call(&app, "POST", "/credential", &[auth, JSON], req).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");
    let tx = json!({"transaction_id": pending["transaction_id"]}).to_string();
    let (status, _, again) = call(
        &app,
        "POST",
        "/deferred_credential",
        &[auth, JSON],
        tx.clone(),
    )
    .await;
    assert_eq!(
        (status, &again["interval"]),
        (StatusCode::ACCEPTED, &json!(5))
    );
    let id = created["session_id"].as_str().expect("id");
    let claims =
        json!({"credential_configuration_id": CONFIG, "claims": {"age_over_18": true}}).to_string();
    let (status, _, _) = call(
        &app,
        "POST",
        &format!("/admin/sessions/{id}/claims"),
        &[JSON],
        claims,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, done) = call(
        &app,
        "POST",
        "/deferred_credential",
        &[auth, JSON],
        tx.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let (status, _, err) = call(&app, "POST", "/deferred_credential", &[auth, JSON], tx).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_transaction_id"))
    );
    let (status, _, _) = call(&app, "GET", "/admin/sessions/nope", &[], Body::empty()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn dpop_bound_tokens_over_http() {
    let app = app();
    let body = json!({"credential_configuration_ids": [CONFIG], "claims": {"a": 1}, "dpop_required": true});
    let (_, _, created) = call(&app, "POST", "/admin/offers", &[JSON], body.to_string()).await;
    let form = token_form(&created, None);
    let (status, headers, err) = call(&app, "POST", "/token", &[FORM], form.clone()).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof"))
    );
    assert!(headers.get(header::WWW_AUTHENTICATE).is_none());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let wallet = TestWallet::new();
    let dpop = wallet.dpop_proof(&format!("{ISSUER}/token"), None, now);
    let (status, _, token) = call(
        &app,
        "POST",
        "/token",
        &[FORM, ("dpop", dpop.as_str())],
        form,
    )
    .await;
    assert_eq!(
        (status, token["token_type"].as_str()),
        (StatusCode::OK, Some("DPoP")),
        "{token}"
    );
    let access = token["access_token"].as_str().expect("token").to_owned();
    let (_, _, nonce) = call(&app, "POST", "/nonce", &[], Body::empty()).await;
    let req = json!({"credential_configuration_id": CONFIG, "proofs": {"jwt": [wallet.proof(ISSUER, nonce["c_nonce"].as_str(), now)]}}).to_string();

    let bearer = format!("Bearer {access}");
    let (status, headers, err) = call(
        &app,
        "POST",
        "/credential",
        &[JSON, ("authorization", bearer.as_str())],
        req.clone(),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
    assert!(headers[header::WWW_AUTHENTICATE]
        .to_str()
        .expect("ascii")
        .starts_with("Bearer "));
    let auth = format!("DPoP {access}");
    let (status, headers, err) = call(
        &app,
        "POST",
        "/credential",
        &[JSON, ("authorization", auth.as_str())],
        req.clone(),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_dpop_proof"))
    );
    assert!(headers[header::WWW_AUTHENTICATE]
        .to_str()
        .expect("ascii")
        .starts_with("DPoP error=\"invalid_dpop_proof\""));
    let proof = wallet.dpop_proof(&format!("{ISSUER}/credential"), Some(&access), now);
    let (status, _, issued) = call(
        &app,
        "POST",
        "/credential",
        &[
            JSON,
            ("authorization", auth.as_str()),
            ("dpop", proof.as_str()),
        ],
        req,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let (_, _, meta) = call(
        &app,
        "GET",
        "/.well-known/oauth-authorization-server",
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(
        meta["dpop_signing_alg_values_supported"],
        json!(["ES256", "EdDSA"])
    );
}

#[tokio::test]
async fn expired_codes_and_tx_code_lockout_over_http() {
    let (app, clock) = app_with_clock();
    let expiring = new_offer(&app, false).await;
    clock.advance(601);
    let (status, _, err) = call(&app, "POST", "/token", &[FORM], token_form(&expiring, None)).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "expired code"
    );
    assert!(err["error_description"]
        .as_str()
        .unwrap_or_default()
        .contains("expired"));

    let created = new_offer(&app, true).await;
    let right = created["tx_code"].as_str().expect("tx").to_owned();
    let wrong = if right == "0000" { "1111" } else { "0000" };
    let (status, _, err) = call(&app, "POST", "/token", &[FORM], token_form(&created, None)).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request")),
        "tx_code missing"
    );
    for _ in 0..5 {
        let (status, _, err) = call(
            &app,
            "POST",
            "/token",
            &[FORM],
            token_form(&created, Some(wrong)),
        )
        .await;
        assert_eq!(
            (status, err["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
    }
    let (status, _, err) = call(
        &app,
        "POST",
        "/token",
        &[FORM],
        token_form(&created, Some(&right)),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "locked out"
    );
    let events = events(&app, &created).await;
    assert_eq!(events.iter().filter(|e| *e == "token_rejected").count(), 7);
    assert!(events.contains(&"session_locked".to_owned()));
    let (_, _, expired_events) = {
        let id = expiring["session_id"].as_str().expect("id");
        call(
            &app,
            "GET",
            &format!("/admin/sessions/{id}"),
            &[],
            Body::empty(),
        )
        .await
    };
    assert_eq!(
        expired_events["events"][1]["details"]["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn wallet_attestation_headers_reach_the_token_endpoint() {
    use oid4vci_issuer::client_attestation::WalletAttestationTrust;
    let provider = TestWallet::new();
    let provider_key =
        oid4vci_proof::PublicKey::from_jwk_value(&provider.public_jwk()).expect("key");
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let mut config = IssuerConfig::new(metadata);
    config.wallet_attestation = Some(WalletAttestationTrust {
        trusted_keys: vec![provider_key],
        ..WalletAttestationTrust::with_anchors(vec![])
    });
    let issuer = Arc::new(Issuer::new(
        config,
        MemoryStore::new(),
        SdJwtVcMinter::generate(),
    ));
    let app = oid4vci_axum::router(issuer.clone(), None).merge(oid4vci_axum::admin_router(issuer));

    let body = json!({"credential_configuration_ids": [CONFIG], "claims": {"a": 1}, "require_wallet_attestation": true});
    let (_, _, created) = call(&app, "POST", "/admin/offers", &[JSON], body.to_string()).await;
    let (status, _, err) = call(&app, "POST", "/token", &[FORM], token_form(&created, None)).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let instance = TestWallet::new();
    let attestation = provider.sign(
        &json!({"typ": "oauth-client-attestation+jwt", "alg": "ES256"}),
        &json!({"iss": "https://provider.example", "sub": "wallet-client", "exp": now + 600, "cnf": {"jwk": instance.public_jwk()}}),
    );
    let pop = instance.sign(
        &json!({"typ": "oauth-client-attestation-pop+jwt", "alg": "ES256"}),
        &json!({"aud": ISSUER, "jti": "pop-1", "iat": now}),
    );
    let headers = [
        FORM,
        ("OAuth-Client-Attestation", attestation.as_str()),
        ("OAuth-Client-Attestation-PoP", pop.as_str()),
    ];
    let (status, _, token) =
        call(&app, "POST", "/token", &headers, token_form(&created, None)).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    // The spent code is refused first (cheap rejections come before the attestation checks) ...
    let (status, _, err) = call(&app, "POST", "/token", &headers, token_form(&created, None)).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "code reuse"
    );
    // ... and the same PoP with a fresh code is a replay.
    let (_, _, second) = call(&app, "POST", "/admin/offers", &[JSON], body.to_string()).await;
    let (status, _, err) = call(&app, "POST", "/token", &headers, token_form(&second, None)).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client")),
        "PoP replay"
    );
}

#[tokio::test]
async fn a_draft13_wallet_gets_what_it_expects() {
    let app = app();
    let (_, _, created) = call(
        &app,
        "POST",
        "/admin/offers",
        &[JSON],
        json!({"credential_configuration_ids": [CONFIG], "claims": {"a": 1}}).to_string(),
    )
    .await;
    let (status, _, token) =
        call(&app, "POST", "/token", &[FORM], token_form(&created, None)).await;
    assert_eq!(status, StatusCode::OK);
    // Draft 13: the first c_nonce comes with the token; the wallet never calls /nonce.
    let c_nonce = token["c_nonce"]
        .as_str()
        .expect("c_nonce in the token response")
        .to_owned();
    assert!(token["c_nonce_expires_in"].is_u64());
    let bearer = format!("Bearer {}", token["access_token"].as_str().expect("token"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let wallet = TestWallet::new();
    let request = |nonce: &str| {
        json!({"format": "vc+sd-jwt", "vct": CONFIG, "proof": {"proof_type": "jwt", "jwt": wallet.proof(ISSUER, Some(nonce), now)}}).to_string()
    };
    let (status, _, issued) = call(
        &app,
        "POST",
        "/credential",
        &[JSON, ("authorization", bearer.as_str())],
        request(&c_nonce),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert_eq!(
        issued["credential"], issued["credentials"][0]["credential"],
        "draft 13's singular credential"
    );
    let next_nonce = issued["c_nonce"]
        .as_str()
        .expect("a fresh c_nonce for the next request")
        .to_owned();
    // A replayed nonce is refused with a fresh c_nonce to retry with (draft 13 7.3.2).
    let (status, _, err) = call(
        &app,
        "POST",
        "/credential",
        &[JSON, ("authorization", bearer.as_str())],
        request(&c_nonce),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_nonce"))
    );
    assert!(err["c_nonce"].is_string());
    let (status, _, again) = call(
        &app,
        "POST",
        "/credential",
        &[JSON, ("authorization", bearer.as_str())],
        request(&next_nonce),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
}

/// The admin API refuses out-of-range transaction codes and duplicate configurations with a
/// 400 that names the rule (it used to clamp them).
#[tokio::test]
async fn admin_offers_refuse_out_of_range_values() {
    let app = app();
    for (tx_code, expected) in [
        (json!({"length": 0}), "between 4 and 32"),
        (json!({"length": 1}), "between 4 and 32"),
        (json!({"length": 1_000_000_000u64}), "between 4 and 32"),
        (
            json!({"length": 6, "max_attempts": 1000}),
            "between 1 and 10",
        ),
    ] {
        let body =
            json!({"credential_configuration_ids": [CONFIG], "claims": {}, "tx_code": tx_code});
        let (status, _, reply) =
            call(&app, "POST", "/admin/offers", &[JSON], body.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{tx_code}: {reply}");
        assert_eq!(reply["error"], "invalid_request");
        let description = reply["error_description"].as_str().unwrap_or_default();
        assert!(description.contains(expected), "{description}");
    }
    let body = json!({"credential_configuration_ids": [CONFIG, CONFIG], "claims": {}});
    let (status, _, reply) = call(&app, "POST", "/admin/offers", &[JSON], body.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
}

#[tokio::test]
async fn attestation_challenges_come_from_the_endpoint_and_the_header() {
    use oid4vci_issuer::client_attestation::WalletAttestationTrust;
    let provider = TestWallet::new();
    let provider_key =
        oid4vci_proof::PublicKey::from_jwk_value(&provider.public_jwk()).expect("key");
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let mut config = IssuerConfig::new(metadata);
    config.wallet_attestation = Some(WalletAttestationTrust {
        trusted_keys: vec![provider_key],
        ..WalletAttestationTrust::with_anchors(vec![])
    });
    config.attestation_challenge_ttl = Some(300);
    let issuer = Arc::new(Issuer::new(
        config,
        MemoryStore::new(),
        SdJwtVcMinter::generate(),
    ));
    let app = oid4vci_axum::router(issuer.clone(), None).merge(oid4vci_axum::admin_router(issuer));
    let (_, _, as_metadata) = call(
        &app,
        "GET",
        "/.well-known/oauth-authorization-server",
        &[],
        "",
    )
    .await;
    assert_eq!(
        as_metadata["challenge_endpoint"],
        format!("{ISSUER}/challenge")
    );
    let (status, headers, challenge) = call(&app, "POST", "/challenge", &[], "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let from_endpoint = challenge["attestation_challenge"]
        .as_str()
        .expect("challenge");

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let instance = TestWallet::new();
    let attestation = provider.sign(
        &json!({"typ": "oauth-client-attestation+jwt", "alg": "ES256"}),
        &json!({"iss": "https://provider.example", "sub": "wallet-client", "exp": now + 600, "cnf": {"jwk": instance.public_jwk()}}),
    );
    let pop = |jti: &str, challenge: Option<&str>| {
        let mut claims = json!({"aud": ISSUER, "jti": jti, "iat": now});
        if let Some(c) = challenge {
            claims["challenge"] = json!(c);
        }
        instance.sign(
            &json!({"typ": "oauth-client-attestation-pop+jwt", "alg": "ES256"}),
            &claims,
        )
    };
    let body = json!({"credential_configuration_ids": [CONFIG], "claims": {"a": 1}});
    let (_, _, created) = call(&app, "POST", "/admin/offers", &[JSON], body.to_string()).await;

    // No challenge in the PoP: 400 use_attestation_challenge, and the header to use.
    let bare = pop("p1", None);
    let headers = [
        FORM,
        ("OAuth-Client-Attestation", attestation.as_str()),
        ("OAuth-Client-Attestation-PoP", bare.as_str()),
    ];
    let (status, reply_headers, err) =
        call(&app, "POST", "/token", &headers, token_form(&created, None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["error"], "use_attestation_challenge");
    let offered = reply_headers["oauth-client-attestation-challenge"]
        .to_str()
        .expect("header")
        .to_owned();

    // With the header's challenge: the token, and the next challenge with it.
    let answered = pop("p2", Some(&offered));
    let headers = [
        FORM,
        ("OAuth-Client-Attestation", attestation.as_str()),
        ("OAuth-Client-Attestation-PoP", answered.as_str()),
    ];
    let (status, reply_headers, token) =
        call(&app, "POST", "/token", &headers, token_form(&created, None)).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert!(reply_headers.contains_key("oauth-client-attestation-challenge"));

    // The endpoint's challenge works as well (for another code).
    let (_, _, second) = call(&app, "POST", "/admin/offers", &[JSON], body.to_string()).await;
    let from_endpoint_pop = pop("p3", Some(from_endpoint));
    let headers = [
        FORM,
        ("OAuth-Client-Attestation", attestation.as_str()),
        ("OAuth-Client-Attestation-PoP", from_endpoint_pop.as_str()),
    ];
    let (status, _, token) =
        call(&app, "POST", "/token", &headers, token_form(&second, None)).await;
    assert_eq!(status, StatusCode::OK, "{token}");
}
