//! What an orchestrator and a monitoring system ask of an issuer: `GET /healthz` (the process
//! answers), `GET /readyz` (every readiness check passes: the store answers, the keys can sign,
//! the process is not shutting down) and `GET /metrics` (OpenMetrics or Prometheus text format).

use crate::metrics::IssuerMetrics;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use oid4vci_issuer::{CredentialMinter, Issuer, SessionStore};
use serde_json::{json, Map, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One readiness check: `Ok` when ready, else why not.
pub type Check =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// How long one check may take before it counts as failed (the checks run concurrently, so this
/// bounds the whole `/readyz` answer).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The readiness checks, and whether the process is draining (shutting down).
#[derive(Default)]
pub struct Readiness {
    checks: Vec<(&'static str, Check)>,
    draining: AtomicBool,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.checks.iter().map(|(n, _)| *n).collect();
        f.debug_struct("Readiness")
            .field("checks", &names)
            .field("draining", &self.draining.load(Ordering::Relaxed))
            .finish()
    }
}

impl Readiness {
    /// No checks yet.
    pub fn new() -> Self {
        Readiness::default()
    }

    /// Adds the check `name`.
    pub fn with_check(mut self, name: &'static str, check: Check) -> Self {
        self.checks.push((name, check));
        self
    }

    /// Adds `store`: the issuer's session store answers a read.
    pub fn with_store<S: SessionStore, M: CredentialMinter>(
        self,
        issuer: Arc<Issuer<S, M>>,
    ) -> Self {
        let check: Check = Arc::new(move || {
            let issuer = issuer.clone();
            Box::pin(async move { issuer.check_store().await.map_err(|e| e.to_string()) })
        });
        self.with_check("store", check)
    }

    /// From now on the process is not ready (it is shutting down: load balancers should stop
    /// sending it requests while it finishes the ones in flight).
    pub fn drain(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// Runs every check, all at once, each bounded by [`CHECK_TIMEOUT`]: whether all passed, and
    /// the report.
    pub async fn check(&self) -> (bool, Value) {
        let mut report = Map::new();
        let mut ready = !self.draining.load(Ordering::Acquire);
        if !ready {
            report.insert("shutdown".into(), json!("the process is shutting down"));
        }
        // The checks run at once: the answer comes within CHECK_TIMEOUT however many hang.
        let running: Vec<_> = (self.checks.iter())
            .map(|(name, check)| {
                (
                    *name,
                    tokio::spawn(tokio::time::timeout(CHECK_TIMEOUT, check())),
                )
            })
            .collect();
        for (name, task) in running {
            let outcome = match task.await {
                Ok(Ok(Ok(()))) => json!("ok"),
                Ok(Ok(Err(why))) => json!(why),
                Ok(Err(_)) => json!(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
                Err(_) => json!("the check failed to run"),
            };
            ready &= outcome == "ok";
            report.insert(name.into(), outcome);
        }
        let status = if ready { "ready" } else { "not ready" };
        (ready, json!({"status": status, "checks": report}))
    }
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn healthz() -> Response {
    no_store(Json(json!({"status": "alive"})).into_response())
}

async fn readyz(State(readiness): State<Arc<Readiness>>) -> Response {
    let (ready, report) = readiness.check().await;
    let status = match ready {
        true => StatusCode::OK,
        false => StatusCode::SERVICE_UNAVAILABLE,
    };
    no_store((status, Json(report)).into_response())
}

/// `GET /healthz` (200 while the process answers) and `GET /readyz` (200 when every check
/// passes, else 503 with the failing checks named).
pub fn probes_router(readiness: Arc<Readiness>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(readiness)
}

/// The content type of the OpenMetrics text format.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Whether the scraper's `Accept` prefers OpenMetrics to the Prometheus text format: it names
/// `application/openmetrics-text` with a quality above 0 and at least that of `text/plain`
/// (Prometheus does; `curl`, other scrapers and the classic text parsers get the Prometheus
/// text format 0.0.4).
fn wants_openmetrics(headers: &HeaderMap) -> bool {
    let ranges = crate::accept::ranges(headers);
    let openmetrics = crate::accept::quality_of(&ranges, "application/openmetrics-text");
    let text = crate::accept::quality_of(&ranges, "text/plain").unwrap_or(0);
    openmetrics.is_some_and(|q| q > 0 && q >= text)
}

async fn metrics(State(metrics): State<Arc<IssuerMetrics>>, headers: HeaderMap) -> Response {
    metrics.refresh().await;
    let (body, content_type) = if wants_openmetrics(&headers) {
        (metrics.encode(), OPENMETRICS_CONTENT_TYPE)
    } else {
        (
            metrics.encode_prometheus_text(),
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        )
    };
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    no_store(response)
}

/// `GET /metrics`: the metrics in the OpenMetrics text format when the scraper's `Accept` asks
/// for it (Prometheus does), else in the Prometheus text format 0.0.4. Serve it on a separate
/// listen address, or put it behind the admin token.
pub fn metrics_router(metrics: Arc<IssuerMetrics>) -> Router {
    Router::new()
        .route("/metrics", get(self::metrics))
        .with_state(metrics)
}

#[cfg(test)]
mod tests {
    use super::wants_openmetrics;
    use axum::http::{header, HeaderMap, HeaderValue};

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn openmetrics_only_when_preferred() {
        let prometheus = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
        assert!(wants_openmetrics(&accept(prometheus)));
        assert!(wants_openmetrics(&accept("application/openmetrics-text")));
        assert!(!wants_openmetrics(&HeaderMap::new()));
        assert!(!wants_openmetrics(&accept("*/*")));
        assert!(!wants_openmetrics(&accept("text/plain;version=0.0.4")));
        assert!(!wants_openmetrics(&accept(
            "application/openmetrics-text;q=0"
        )));
        assert!(!wants_openmetrics(&accept(
            "text/plain;q=0.9,application/openmetrics-text;q=0.5"
        )));
    }
}
