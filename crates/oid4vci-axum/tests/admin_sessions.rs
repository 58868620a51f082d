//! `GET /admin/sessions`: the newest sessions with their state and last event, filtered by
//! state, configuration and grant; a bad query is a 400 JSON error.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use oid4vci_authorization::{AuthorizationPolicy, DemoUser};
use oid4vci_issuer::{Issuer, IssuerConfig, ManualClock, MemoryStore};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata};
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

fn app(clock: &ManualClock) -> Router {
    let mut metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
    for id in ["pid", "mdl"] {
        metadata
            .credential_configurations_supported
            .insert(id.into(), CredentialConfiguration::sd_jwt_vc(id));
    }
    let issuer = Arc::new(
        Issuer::new(
            IssuerConfig::new(metadata),
            MemoryStore::new(),
            SdJwtVcMinter::generate(),
        )
        .with_clock(Arc::new(clock.clone()))
        .with_authorization_server(
            AuthorizationPolicy::default(),
            Arc::new(DemoUser::new("erika", "pw", Default::default())),
        ),
    );
    oid4vci_axum::admin_router(issuer)
}

async fn call(app: &Router, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
    let resp = app
        .clone()
        .oneshot(req.body(body).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn ids(reply: &Value) -> Vec<&str> {
    reply["sessions"]
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["session_id"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_list_shows_the_newest_sessions_first_and_filters_them() {
    let clock = ManualClock::new(1_700_000_000);
    let app = app(&clock);
    let mut created = Vec::new();
    for (configuration, code) in [("pid", false), ("mdl", true), ("pid", true)] {
        let body = json!({"credential_configuration_ids": [configuration], "claims": {},
            "authorization_code": if code { json!({}) } else { Value::Null }});
        let (status, reply) = call(&app, "POST", "/admin/offers", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
        created.push(reply["session_id"].as_str().unwrap_or_default().to_owned());
        clock.advance(10);
    }
    let (status, all) = call(&app, "GET", "/admin/sessions", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&all), [&created[2], &created[1], &created[0]]);
    let newest = &all["sessions"][0];
    assert_eq!(newest["state"], "offered");
    assert_eq!(newest["last_event"]["type"], "offer_created");
    assert_eq!(newest["event_count"], 1);
    assert!(newest.get("pre_authorized_code").is_none(), "no secrets");

    let (_, pid) = call(&app, "GET", "/admin/sessions?configuration=pid", None).await;
    assert_eq!(ids(&pid), [&created[2], &created[0]]);
    let (_, code) = call(
        &app,
        "GET",
        "/admin/sessions?grant=authorization_code",
        None,
    )
    .await;
    assert_eq!(ids(&code), [&created[2], &created[1]]);
    let (_, one) = call(&app, "GET", "/admin/sessions?state=offered&limit=1", None).await;
    assert_eq!(ids(&one), [&created[2]]);
    let (_, none) = call(&app, "GET", "/admin/sessions?state=issued", None).await;
    assert_eq!(ids(&none), Vec::<&str>::new());

    for bad in [
        "state=finished",
        "limit=many",
        "colour=red",
        "grant=implicit",
    ] {
        let (status, err) = call(&app, "GET", &format!("/admin/sessions?{bad}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(err["error"], "invalid_request", "{bad}");
        assert!(
            err["error_description"]
                .as_str()
                .is_some_and(|d| d.starts_with("invalid session list query")),
            "{err}"
        );
    }
}
