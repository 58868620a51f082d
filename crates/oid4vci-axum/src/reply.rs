//! Turning typed outcomes into HTTP responses.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use oid4vci_types::{ErrorCode, ErrorResponse};
use serde::Serialize;

/// Largest request body accepted (the same limit the message parsers apply).
pub const MAX_BODY_BYTES: usize = oid4vci_types::parse::MAX_BODY_BYTES;

/// A JSON body with a status and `Cache-Control: no-store`.
pub(crate) fn json_no_store<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An encrypted response (`application/jwt`, a compact JWE) with `Cache-Control: no-store`.
pub(crate) fn jwt_no_store(status: StatusCode, jwe: String) -> Response {
    let mut response = (status, jwe).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwt"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The HTTP status of a refusal: the one table of them. A temporary failure (`retry_after`) is
/// 503; otherwise by code (RFC 6749 §5.2, RFC 6750 §3.1, RFC 9449 §7.1, OID4VCI 1.0 Sections
/// 6.3, 8.3.1, 9.3, 11.3); extension codes are 400.
pub fn error_status(error: &ErrorResponse) -> StatusCode {
    if error.retry_after.is_some() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match error.error {
        ErrorCode::InvalidClient
        | ErrorCode::InvalidToken
        | ErrorCode::InvalidDpopProof
        | ErrorCode::UseDpopNonce => StatusCode::UNAUTHORIZED,
        ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The HTTP status of a credential response: 202 for a deferral, 200 otherwise (Sections 8.3,
/// 9.2).
pub fn credential_status(deferred: bool) -> StatusCode {
    if deferred {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    }
}

/// The spec's JSON error body with its HTTP status ([`error_status`]); bearer-token errors
/// carry `WWW-Authenticate` (RFC 6750 §3), temporary failures `Retry-After` (with 503).
pub fn error_reply(error: &ErrorResponse) -> Response {
    let status = error_status(error);
    let mut response = json_no_store(status, error);
    if let Some(seconds) = error.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    let scheme = match error.error {
        ErrorCode::InvalidToken | ErrorCode::InsufficientScope => Some("Bearer"),
        ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce => Some("DPoP"),
        _ => None,
    };
    if let Some(scheme) = scheme {
        let description = error.error_description.as_deref().unwrap_or_default();
        let mut value = format!(
            "{scheme} error=\"{}\", error_description=\"{description}\"",
            error.error
        );
        if scheme == "DPoP" {
            let algs = oid4vci_issuer::dpop::DPOP_ALGS.join(" ");
            value.push_str(&format!(", algs=\"{algs}\""));
        }
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
    }
    response
}

/// Checks the request's `Content-Type` is `expected` (parameters such as `charset` allowed).
pub(crate) fn require_content_type(
    headers: &HeaderMap,
    expected: &str,
    code: ErrorCode,
) -> Result<(), Response> {
    let found = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = found.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        let shown = if found.is_empty() { "none" } else { found };
        Err(error_reply(&ErrorResponse::new(code).with_description(
            format!("Content-Type must be {expected}, found {shown}"),
        )))
    }
}

/// Refuses requests whose body exceeded the limit or could not be read.
pub(crate) fn body_error(
    code: ErrorCode,
    rejection: axum::extract::rejection::BytesRejection,
) -> Response {
    let status = rejection.status();
    let error = ErrorResponse::new(code).with_description(format!(
        "request body could not be read: {}",
        rejection.body_text()
    ));
    let mut response = error_reply(&error);
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    }
    response
}
