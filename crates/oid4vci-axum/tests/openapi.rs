//! The OpenAPI description (`src/openapi.json`) against the code: the routes declared in this
//! crate's source are exactly the described operations (the path-suffixed metadata variants
//! excepted), and every described operation is answered by the router (never axum's own 404 or
//! 405 for an unknown route or method).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use oid4vci_authorization::{AuthorizationPolicy, DemoUser};
use oid4vci_issuer::{Issuer, IssuerConfig, MemoryStore, StatusListConfig};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata};
use std::collections::BTreeSet;
use std::sync::Arc;
use tower::ServiceExt;

const ISSUER: &str = "https://issuer.example.com";

/// (method, path) of every operation the description names.
fn described() -> BTreeSet<(String, String)> {
    let document = oid4vci_axum::openapi(None);
    let mut ops = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            ops.insert((method.to_uppercase(), path.clone()));
        }
    }
    ops
}

/// (method, path) of every `.route(...)` in this crate's source.
fn declared() -> BTreeSet<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut ops = BTreeSet::new();
    for entry in std::fs::read_dir(src).expect("src") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source");
        for chunk in text.split(".route(").skip(1) {
            let Some(rest) = chunk.trim_start().strip_prefix('"') else {
                continue;
            };
            let Some((route, handlers)) = rest.split_once('"') else {
                continue;
            };
            let end = [".route(", ".with_state", ".layer", ".merge", ";"]
                .iter()
                .filter_map(|stop| handlers.find(stop))
                .min()
                .unwrap_or(handlers.len());
            let handlers = &handlers[..end];
            for method in ["get", "post", "put", "delete", "patch"] {
                let calls = handlers
                    .match_indices(&format!("{method}("))
                    .filter(|(at, _)| {
                        at.checked_sub(1)
                            .and_then(|b| handlers.as_bytes().get(b))
                            .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_')
                    })
                    .count();
                if calls > 0 && !route.contains("{*") {
                    ops.insert((method.to_uppercase(), route.to_owned()));
                }
            }
        }
    }
    ops
}

#[test]
fn the_description_names_exactly_the_declared_routes() {
    let (described, declared) = (described(), declared());
    let undocumented: Vec<_> = declared.difference(&described).collect();
    let missing: Vec<_> = described.difference(&declared).collect();
    assert!(
        undocumented.is_empty() && missing.is_empty(),
        "routes without a description: {undocumented:?}; described but not routed: {missing:?}"
    );
    assert!(declared.len() >= 19, "{declared:?}");
}

#[tokio::test]
async fn every_described_operation_is_routed() {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert("c".into(), CredentialConfiguration::sd_jwt_vc("c"));
    let issuer = Issuer::new(
        IssuerConfig::new(metadata),
        MemoryStore::new(),
        SdJwtVcMinter::generate(),
    )
    .with_authorization_server(
        AuthorizationPolicy::default(),
        Arc::new(DemoUser::new("u", "p", Default::default())),
    )
    .with_status_lists(StatusListConfig::new(
        ISSUER,
        Arc::new(SdJwtVcMinter::generate()),
    ))
    .expect("status lists");
    let issuer = Arc::new(issuer);
    let readiness = Arc::new(oid4vci_axum::Readiness::new().with_store(issuer.clone()));
    let metrics = oid4vci_axum::IssuerMetrics::new(Default::default());
    let app = oid4vci_axum::router(issuer.clone(), Some(serde_json::json!({"keys": []})))
        .merge(oid4vci_axum::admin_router(issuer))
        .merge(oid4vci_axum::openapi_router(Some(ISSUER)))
        .merge(oid4vci_axum::probes_router(readiness))
        .merge(oid4vci_axum::metrics_router(metrics));
    for (method, path) in described() {
        let uri = path
            .replace("{id}", "x")
            .replace("{list}", "1")
            .replace("{idx}", "1");
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(&uri)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .expect("request");
        let response = app.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert!(
            status != StatusCode::NOT_FOUND || !body.is_empty(),
            "{method} {uri}: axum's 404 for an unknown route"
        );
    }
}
