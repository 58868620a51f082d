//! The admin token of `oid4vci serve`: what guards `/admin` and `/metrics` (on the main port).

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Passes a request whose `Authorization` is `Bearer <token>` (compared in constant time);
/// anything else gets `401` with `WWW-Authenticate: Bearer`.
pub async fn require_admin(token: Arc<String>, request: Request, next: Next) -> Response {
    let expected = format!("Bearer {token}");
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let ok =
        given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()));
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "admin token required\n",
        )
            .into_response();
    }
    next.run(request).await
}

/// `routes`, answered only to requests bearing the admin token.
pub fn behind_admin_token(routes: Router, admin_token: &Arc<String>) -> Router {
    let token = admin_token.clone();
    routes.route_layer(axum::middleware::from_fn(move |req, next| {
        require_admin(token.clone(), req, next)
    }))
}
