//! CORS on the wallet-facing endpoints (browser wallets, the browser proof checker): preflights
//! are answered and responses carry the CORS headers, with `DPoP-Nonce` and `WWW-Authenticate`
//! exposed; the login page and the admin API send none.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use oid4vci_authorization::{AuthorizationPolicy, DemoUser};
use oid4vci_issuer::{Issuer, IssuerConfig, MemoryStore};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata};
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

const ISSUER: &str = "https://issuer.example.com";
const ORIGIN: &str = "https://wallet.example.org";

fn app() -> Router {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert("pid".into(), CredentialConfiguration::sd_jwt_vc("pid"));
    let user = DemoUser::new("erika", "pw", BTreeMap::new());
    let issuer = Arc::new(
        Issuer::new(
            IssuerConfig::new(metadata),
            MemoryStore::new(),
            SdJwtVcMinter::generate(),
        )
        .with_authorization_server(AuthorizationPolicy::default(), Arc::new(user)),
    );
    oid4vci_axum::router(issuer.clone(), None).merge(oid4vci_axum::admin_router(issuer))
}

async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    (resp.status(), resp.headers().clone())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().expect("ascii"))
        .unwrap_or("")
}

#[tokio::test]
async fn preflights_of_the_wallet_endpoints_are_answered() {
    let app = app();
    for path in [
        "/credential",
        "/token",
        "/nonce",
        "/par",
        "/deferred_credential",
        "/notification",
    ] {
        let (status, headers) = send(
            &app,
            "OPTIONS",
            path,
            &[
                ("origin", ORIGIN),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization, dpop, content-type",
                ),
            ],
        )
        .await;
        assert!(status.is_success(), "{path}: {status}");
        assert_eq!(
            header(&headers, "access-control-allow-origin"),
            "*",
            "{path}"
        );
        assert!(
            header(&headers, "access-control-allow-methods").contains("POST"),
            "{path}"
        );
        let allowed = header(&headers, "access-control-allow-headers").to_ascii_lowercase();
        for name in [
            "authorization",
            "dpop",
            "content-type",
            "oauth-client-attestation",
        ] {
            assert!(allowed.contains(name), "{path}: {name} in {allowed}");
        }
        assert!(
            headers.get("access-control-allow-credentials").is_none(),
            "{path}"
        );
    }
}

#[tokio::test]
async fn responses_carry_cors_headers_and_expose_dpop_nonce_and_the_challenge() {
    let app = app();
    for (method, path) in [
        ("GET", "/.well-known/openid-credential-issuer"),
        ("GET", "/.well-known/oauth-authorization-server"),
        ("POST", "/nonce"),
        ("POST", "/credential"),
        ("GET", "/status-lists/1"),
        ("GET", "/credential-offer/unknown"),
    ] {
        let (_, headers) = send(&app, method, path, &[("origin", ORIGIN)]).await;
        assert_eq!(
            header(&headers, "access-control-allow-origin"),
            "*",
            "{method} {path}"
        );
        let exposed = header(&headers, "access-control-expose-headers").to_ascii_lowercase();
        for name in ["dpop-nonce", "www-authenticate"] {
            assert!(
                exposed.contains(name),
                "{method} {path}: {name} in {exposed}"
            );
        }
    }
}

#[tokio::test]
async fn the_login_page_and_the_admin_api_send_no_cors_headers() {
    let app = app();
    for (method, path) in [
        ("GET", "/authorize"),
        ("POST", "/authorize"),
        ("POST", "/admin/offers"),
        ("GET", "/admin/sessions/x"),
    ] {
        let (_, headers) = send(&app, method, path, &[("origin", ORIGIN)]).await;
        assert!(
            headers.get("access-control-allow-origin").is_none(),
            "{method} {path}"
        );
        let (_, headers) = send(
            &app,
            "OPTIONS",
            path,
            &[
                ("origin", ORIGIN),
                ("access-control-request-method", "POST"),
            ],
        )
        .await;
        assert!(
            headers.get("access-control-allow-origin").is_none(),
            "preflight {path}"
        );
    }
}
