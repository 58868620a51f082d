//! The operations routes of the adapter: `/metrics` (its labels stay bounded whatever a client
//! sends; OpenMetrics for Prometheus, the 0.0.4 text format for the rest), the counters fed by
//! session events, and `/healthz` / `/readyz` (named checks, 503 while one fails or the process
//! drains).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use oid4vci_axum::ops::{Check, OPENMETRICS_CONTENT_TYPE};
use oid4vci_axum::{IssuerMetrics, Readiness};
use oid4vci_issuer::{Event, EventKind, EventObserver, Issuer, IssuerConfig, MemoryStore};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

fn metrics() -> Arc<IssuerMetrics> {
    IssuerMetrics::new(BTreeMap::from([("pid".to_owned(), "dc+sd-jwt".to_owned())]))
}

/// The wallet endpoints of an in-memory issuer, every request recorded into `metrics`.
fn recorded_app(metrics: &Arc<IssuerMetrics>) -> Router {
    let mut metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
    metadata
        .credential_configurations_supported
        .insert("pid".into(), CredentialConfiguration::sd_jwt_vc("pid"));
    let issuer = Arc::new(Issuer::new(
        IssuerConfig::new(metadata),
        MemoryStore::new(),
        SdJwtVcMinter::generate(),
    ));
    oid4vci_axum::router(issuer, None).layer(axum::middleware::from_fn_with_state(
        metrics.clone(),
        oid4vci_axum::record_requests,
    ))
}

async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, String, String) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = (app.clone())
        .oneshot(req.body(Body::from(body.to_owned())).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let content_type = (resp.headers().get("content-type"))
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).expect("utf-8"),
    )
}

/// The value of the sample line starting with `series` (the full name and label set).
fn value(text: &str, series: &str) -> Option<f64> {
    (text.lines())
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn requests_are_counted_by_route_template_with_bounded_labels() {
    let metrics = metrics();
    let app = recorded_app(&metrics);
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let (status, _, _) = send(&app, "POST", "/token", &form, "grant_type=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = send(
        &app,
        "GET",
        "/.well-known/openid-credential-issuer",
        &[],
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Whatever a client invents (extension methods, paths) must not become a label.
    for (method, path) in [
        ("FOO123", "/token"),
        ("BAR456", "/nowhere"),
        ("GET", "/secret-looking-path-e3b0c442"),
    ] {
        let (status, _, _) = send(&app, method, path, &[], "").await;
        assert!(status.is_client_error(), "{method} {path}: {status}");
    }
    let text = metrics.encode_prometheus_text();
    assert_eq!(
        value(
            &text,
            r#"oid4vci_http_requests_total{endpoint="/token",method="POST",status="400",error="unsupported_grant_type"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"oid4vci_http_requests_total{endpoint="/.well-known/openid-credential-issuer",method="GET",status="200",error=""}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"oid4vci_http_requests_total{endpoint="unmatched",method="GET",status="404",error=""}"#
        ),
        Some(1.0),
        "{text}"
    );
    let others: f64 = (text.lines())
        .filter(|l| {
            l.starts_with("oid4vci_http_requests_total{") && l.contains(r#"method="other""#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(others, 2.0, "{text}");
    for invented in ["FOO123", "BAR456", "nowhere", "e3b0c442"] {
        assert!(
            !text.contains(invented),
            "{invented} became a label: {text}"
        );
    }
    assert_eq!(
        value(
            &text,
            r#"oid4vci_http_request_duration_seconds_count{endpoint="/token"}"#
        ),
        Some(2.0),
        "{text}"
    );
}

#[tokio::test]
async fn session_events_move_the_issuance_refusal_and_replay_counters() {
    let metrics = metrics();
    let event = |kind, details: Value| Event {
        kind,
        timestamp: 1_700_000_000,
        details,
    };
    let session = "session-7f3a9c";
    let events = [
        event(
            EventKind::CredentialIssued,
            json!({"credential_configuration_id": "pid", "count": 2}),
        ),
        event(
            EventKind::ProofRejected,
            json!({"error": "invalid_proof", "cause": "proof_invalid", "code": "invalid_audience"}),
        ),
        event(
            EventKind::ProofRejected,
            json!({"error": "invalid_nonce", "cause": "proof_nonce_replayed", "code": "invalid_nonce"}),
        ),
        event(
            EventKind::TokenRejected,
            json!({"error": "invalid_dpop_proof", "cause": "dpop_proof_replayed"}),
        ),
        event(
            EventKind::TokenRejected,
            json!({"error": "invalid_grant", "cause": "pre_authorized_code_used"}),
        ),
    ];
    for e in &events {
        metrics.observe(session, e);
    }
    let text = metrics.encode_prometheus_text();
    let expect = [
        (
            r#"oid4vci_credentials_issued_total{configuration="pid",format="dc+sd-jwt"}"#,
            2.0,
        ),
        (
            r#"oid4vci_proof_refusals_total{code="invalid_audience"}"#,
            1.0,
        ),
        (r#"oid4vci_proof_refusals_total{code="invalid_nonce"}"#, 1.0),
        (r#"oid4vci_replays_total{kind="c_nonce"}"#, 1.0),
        (r#"oid4vci_replays_total{kind="dpop_proof"}"#, 1.0),
        (r#"oid4vci_replays_total{kind="pre_authorized_code"}"#, 1.0),
        (
            r#"oid4vci_session_events_total{type="token_rejected"}"#,
            2.0,
        ),
    ];
    for (series, want) in expect {
        assert_eq!(value(&text, series), Some(want), "{series} in {text}");
    }
    assert!(!text.contains(session), "a session id became a label");
}

#[tokio::test]
async fn metrics_speak_openmetrics_to_prometheus_and_the_text_format_to_others() {
    let metrics = metrics();
    metrics.observe(
        "s",
        &Event {
            kind: EventKind::TokenRejected,
            timestamp: 0,
            details: json!({"cause": "dpop_proof_replayed"}),
        },
    );
    let app = oid4vci_axum::metrics_router(metrics);
    let (status, content_type, open) = send(
        &app,
        "GET",
        "/metrics",
        &[("accept", PROMETHEUS_ACCEPT)],
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, OPENMETRICS_CONTENT_TYPE);
    assert!(open.ends_with("# EOF\n"), "{open}");
    assert!(open.contains("# TYPE oid4vci_replays counter\n"), "{open}");

    let (status, content_type, text) = send(&app, "GET", "/metrics", &[], "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert!(!text.contains("# EOF"), "{text}");
    assert!(
        text.contains("# TYPE oid4vci_replays_total counter\n"),
        "{text}"
    );
    // The same samples either way.
    let samples = |t: &str| -> Vec<String> {
        (t.lines())
            .filter(|l| !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(samples(&open), samples(&text));
}

fn check(outcome: Result<(), &'static str>) -> Check {
    Arc::new(move || Box::pin(async move { outcome.map_err(str::to_owned) }))
}

#[tokio::test]
async fn readyz_names_the_failing_check_and_turns_503_while_draining() {
    let get = |readiness: Arc<Readiness>, path: &'static str| async move {
        let app = oid4vci_axum::probes_router(readiness);
        let (status, _, body) = send(&app, "GET", path, &[], "").await;
        (status, serde_json::from_str::<Value>(&body).expect("json"))
    };
    let ready = Arc::new(
        Readiness::new()
            .with_check("store", check(Ok(())))
            .with_check("keys", check(Ok(()))),
    );
    let (status, report) = get(ready.clone(), "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report,
        json!({"status": "ready", "checks": {"store": "ok", "keys": "ok"}})
    );

    let failing = Arc::new(
        Readiness::new()
            .with_check("store", check(Err("connection refused")))
            .with_check("keys", check(Ok(()))),
    );
    let (status, report) = get(failing.clone(), "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(report["checks"]["store"], "connection refused");
    assert_eq!(report["checks"]["keys"], "ok");
    assert_eq!(get(failing, "/healthz").await.0, StatusCode::OK);

    // A check that does not answer fails after its bound.
    let hanging: Check = Arc::new(|| {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        })
    });
    // Checks run at once: two that hang still give an answer within one bound.
    let slow = Arc::new(
        Readiness::new()
            .with_check("store", hanging.clone())
            .with_check("hsm", hanging)
            .with_check("keys", check(Ok(()))),
    );
    let started = std::time::Instant::now();
    let (status, report) = get(slow, "/readyz").await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(report["checks"]["store"], "no answer within 2 s");
    assert_eq!(report["checks"]["hsm"], "no answer within 2 s");
    assert_eq!(report["checks"]["keys"], "ok");
    assert!(took < Duration::from_millis(3500), "{took:?}");

    ready.drain();
    let (status, report) = get(ready.clone(), "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{report}");
    assert_eq!(report["checks"]["shutdown"], "the process is shutting down");
    assert_eq!(get(ready, "/healthz").await.0, StatusCode::OK);
}
