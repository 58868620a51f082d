//! The middleware recording every HTTP request into [`IssuerMetrics`], and the bounded `method`
//! label.

use crate::metrics::{method_label, IssuerMetrics, WireError};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Instant;

/// The middleware recording every request: `axum::middleware::from_fn_with_state(metrics,
/// record_requests)`. The `endpoint` label is the matched route template (`/credential`,
/// `/admin/sessions/{id}`), `unmatched` for a request no route took; the `method` label is a
/// standard method or `other`.
pub async fn record_requests(
    State(metrics): State<Arc<IssuerMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let endpoint = (request.extensions().get::<MatchedPath>())
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(request.method().as_str());
    let started = Instant::now();
    let response = next.run(request).await;
    let error = (response.extensions().get::<WireError>())
        .map(|e| e.0.as_str())
        .unwrap_or("");
    metrics.record_request(
        &endpoint,
        method,
        response.status().as_u16(),
        error,
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use crate::metrics::method_label;

    #[test]
    fn extension_methods_share_one_label() {
        assert_eq!(method_label("POST"), "POST");
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("FOO123"), "other");
        assert_eq!(method_label("get"), "other");
    }
}
