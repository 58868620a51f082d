//! Signed metadata (OID4VCI 1.0 Section 12.2.3): `Accept: application/jwt` gets the metadata as
//! a JWT typed `openidvci-issuer-metadata+jwt` whose claims are the metadata's members plus
//! `iss`, `sub`, `iat`, `exp`; the JSON document carries it as `signed_metadata`.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http_body_util::BodyExt;
use oid4vci_issuer::{Issuer, IssuerConfig, ManualClock, MemoryStore, MetadataSigner};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_proof::{Alg, PublicKey};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::*;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use tower::ServiceExt;

const ISSUER: &str = "https://issuer.example.com";
const NOW: u64 = 1_780_000_000;

/// Signs with a test key, adding `alg`.
struct KeySigner(TestWallet);

impl MetadataSigner for KeySigner {
    fn sign_jwt(
        &self,
        mut header: Map<String, Value>,
        claims: Map<String, Value>,
        _now: u64,
    ) -> oid4vci_issuer::Signing<'_, String> {
        header.insert("alg".into(), json!("ES256"));
        let jwt = self.0.sign(&Value::Object(header), &Value::Object(claims));
        Box::pin(async move { Ok(jwt) })
    }
}

fn app(signer: Option<Arc<KeySigner>>) -> axum::Router {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata.credential_configurations_supported.insert(
        "identity_credential".into(),
        CredentialConfiguration::sd_jwt_vc("identity_credential"),
    );
    let mut issuer = Issuer::new(
        IssuerConfig::new(metadata),
        MemoryStore::new(),
        SdJwtVcMinter::generate(),
    )
    .with_clock(Arc::new(ManualClock::new(NOW)));
    if let Some(s) = signer {
        issuer = issuer.with_metadata_signer(s, 86_400);
    }
    oid4vci_axum::router(Arc::new(issuer), None)
}

async fn get(app: &axum::Router, accept: &str) -> (StatusCode, String, String) {
    let req = Request::builder()
        .uri("/.well-known/openid-credential-issuer")
        .header(header::ACCEPT, accept)
        .body(Body::empty())
        .expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, ct, String::from_utf8_lossy(&body).into_owned())
}

fn decode(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("json")
}

#[tokio::test]
async fn signed_metadata_is_served_as_a_jwt_and_inside_the_json() {
    let wallet = TestWallet::new();
    let key = PublicKey::from_jwk_value(&wallet.public_jwk()).expect("key");
    let app = app(Some(Arc::new(KeySigner(wallet))));

    let (status, ct, jwt) = get(&app, "application/jwt, application/json;q=0.5").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/jwt");
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let header = decode(parts[0]);
    assert_eq!(header["typ"], "openidvci-issuer-metadata+jwt");
    assert_eq!(header["alg"], "ES256");
    let claims = decode(parts[1]);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], ISSUER);
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["exp"], NOW + 86_400);
    assert_eq!(claims["credential_issuer"], ISSUER);
    assert!(claims["credential_configurations_supported"]["identity_credential"].is_object());
    assert!(claims.get("signed_metadata").is_none());
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("signature");
    key.verify(
        Alg::Es256,
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
        &signature,
    )
    .expect("signed by the issuer key");

    let (status, ct, body) = get(&app, "application/json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/json"), "{ct}");
    let document: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        document["credential_issuer"], ISSUER,
        "the plain members stay"
    );
    let embedded = document["signed_metadata"]
        .as_str()
        .expect("signed_metadata member");
    let embedded_claims = decode(embedded.split('.').nth(1).expect("payload"));
    for (name, value) in document.as_object().expect("object") {
        if name != "signed_metadata" {
            assert_eq!(&embedded_claims[name], value, "{name} is signed as served");
        }
    }
}

#[tokio::test]
async fn without_a_signer_the_metadata_is_plain_json() {
    let app = app(None);
    let (status, ct, body) = get(&app, "application/jwt").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/json"), "{ct}");
    let document: Value = serde_json::from_str(&body).expect("json");
    assert!(document.get("signed_metadata").is_none());
}

/// RFC 9110 §12.4.2 and §12.5.5 (issue #20 finding 12): `q=0` refuses the JWT form, the higher
/// quality wins, and both forms say they vary with `Accept`.
#[tokio::test]
async fn content_negotiation_honours_quality_values_and_varies_on_accept() {
    let app = app(Some(Arc::new(KeySigner(TestWallet::new()))));
    for (accept, jwt) in [
        ("application/jwt", true),
        ("application/jwt;q=0", false),
        ("application/jwt;q=0, application/json", false),
        ("application/json;q=1, application/jwt;q=0.5", false),
        ("application/json;q=0.5, application/jwt", true),
        ("application/jwt, */*;q=0.1", true),
        ("application/json", false),
        ("*/*", false),
    ] {
        let req = Request::builder()
            .uri("/.well-known/openid-credential-issuer")
            .header(header::ACCEPT, accept)
            .body(Body::empty())
            .expect("request");
        let resp = app.clone().oneshot(req).await.expect("response");
        assert_eq!(resp.status(), StatusCode::OK, "{accept}");
        let ct = resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert_eq!(ct.starts_with("application/jwt"), jwt, "{accept}: {ct}");
        let vary = resp
            .headers()
            .get(header::VARY)
            .map(|v| v.to_str().expect("ascii").to_ascii_lowercase());
        assert_eq!(vary.as_deref(), Some("accept"), "{accept}");
    }
}

/// RFC 9110 §12.5.1: the most specific range gives a media type its quality, so JSON acceptable
/// through a wildcard outranks a JWT asked for with a lower `q`; `Q=` is the same parameter as
/// `q=`; a quality outside the grammar (`inf`, `2`, `-1`, `0.0001`) is not a preference for the
/// JWT. And `Vary: Accept` survives the CORS layer, which adds its own `Vary` values for browser
/// requests (RFC 9110 §12.5.5).
#[tokio::test]
async fn the_most_specific_range_decides_and_vary_survives_cors() {
    let app = app(Some(Arc::new(KeySigner(TestWallet::new()))));
    for (accept, jwt) in [
        ("application/jwt;q=0.5, */*", false),
        ("application/jwt;q=0.5, application/*", false),
        ("application/jwt;q=0.5, application/*;q=0.4", true),
        ("application/jwt;q=0.5, application/json;q=0.4, */*", true),
        ("application/jwt, application/json;q=0, */*", true),
        ("application/jwt;Q=0", false),
        ("application/jwt ; q=0.000", false),
        ("application/JWT;q=1.000", true),
        ("application/jwt;q=inf", false),
        ("application/jwt;q=2", false),
        ("application/jwt;q=-1", false),
        ("application/jwt;q=0.0001", false),
        ("application/jwt;q=NaN", false),
        ("application/*", false),
    ] {
        let req = Request::builder()
            .uri("/.well-known/openid-credential-issuer")
            .header(header::ACCEPT, accept)
            .header(header::ORIGIN, "https://wallet.example")
            .body(Body::empty())
            .expect("request");
        let resp = app.clone().oneshot(req).await.expect("response");
        assert_eq!(resp.status(), StatusCode::OK, "{accept}");
        let ct = resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert_eq!(ct.starts_with("application/jwt"), jwt, "{accept}: {ct}");
        let vary: Vec<String> = resp
            .headers()
            .get_all(header::VARY)
            .iter()
            .flat_map(|v| v.to_str().expect("ascii").split(','))
            .map(|v| v.trim().to_ascii_lowercase())
            .collect();
        assert!(vary.iter().any(|v| v == "accept"), "{accept}: {vary:?}");
        assert!(
            vary.iter().any(|v| v == "origin"),
            "CORS keeps its own: {vary:?}"
        );
    }
}
