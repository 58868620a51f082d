//! Turning typed outcomes into HTTP responses.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use oid4vci_issuer::{Cause, Refusal};
use oid4vci_types::{ErrorCode, ErrorResponse};
use serde::Serialize;

/// CORS for the public wallet-facing endpoints (metadata, offers, token, PAR, nonce, credential,
/// deferred credential, notification, status lists), so browser wallets can call them: any
/// origin, no credentials (the endpoints take tokens in headers, never cookies), `GET`/`POST`,
/// the request headers wallets send, and `DPoP-Nonce`, `WWW-Authenticate` and `Retry-After`
/// readable by the page. Never on the admin API or the login page.
pub(crate) fn public_cors() -> tower_http::cors::CorsLayer {
    use tower_http::cors::{Any, CorsLayer};
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_NONE_MATCH,
            axum::http::HeaderName::from_static("dpop"),
            axum::http::HeaderName::from_static("oauth-client-attestation"),
            axum::http::HeaderName::from_static("oauth-client-attestation-pop"),
        ])
        .expose_headers([
            axum::http::HeaderName::from_static("dpop-nonce"),
            axum::http::HeaderName::from_static(ATTESTATION_CHALLENGE),
            header::WWW_AUTHENTICATE,
            header::RETRY_AFTER,
            header::ETAG,
        ])
        .max_age(std::time::Duration::from_secs(600))
}

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

/// Where a refusal is answered: the few statuses that differ by endpoint depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// The token endpoint and pushed authorization requests: a refused DPoP proof is `400`
    /// without `WWW-Authenticate` (RFC 9449 §5, §10.1).
    AuthorizationServer,
    /// `GET /credential-offer/{id}`: an unknown offer is `404`.
    CredentialOffer,
    /// The protected resources (credential, deferred credential, notification) and anything
    /// else: token and DPoP errors are `401` with `WWW-Authenticate` (RFC 6750 §3, RFC 9449 §7.1).
    Resource,
    /// The login and consent page (HTML).
    LoginPage,
}

/// The HTTP status of a refusal: the one table of them. A rate limit is 429 (RFC 9126 §2.3,
/// RFC 6585 §4); an outage (`retry_after`) is 503;
/// otherwise by cause and endpoint (RFC 6749 §5.2, RFC 6750 §3.1, RFC 9449 §5 and §7.1,
/// OID4VCI 1.0 Sections 6.3, 8.3.1, 9.3, 11.3); extension codes are 400.
pub fn error_status(refusal: &Refusal, at: Endpoint) -> StatusCode {
    if refusal.cause() == Cause::ParRateLimited {
        return StatusCode::TOO_MANY_REQUESTS;
    }
    if refusal.retry_after().is_some() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match (refusal.cause(), at) {
        (Cause::OfferUnknown, Endpoint::CredentialOffer) => return StatusCode::NOT_FOUND,
        (_, Endpoint::AuthorizationServer) if dpop_refusal(refusal) => {
            return StatusCode::BAD_REQUEST
        }
        _ => {}
    }
    match refusal.error_code() {
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

fn dpop_refusal(refusal: &Refusal) -> bool {
    matches!(
        refusal.error_code(),
        ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce
    )
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

/// A JSON error body with its status, `Cache-Control: no-store`, and `Retry-After` when given.
pub(crate) fn json_error(
    status: StatusCode,
    body: &ErrorResponse,
    retry_after: Option<u64>,
) -> Response {
    let mut response = json_no_store(status, body);
    // For the request metrics (never sent).
    let code = crate::metrics::WireError(body.error.as_str().to_owned());
    response.extensions_mut().insert(code);
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A refusal as the spec's JSON error body ([`Refusal::to_error_response`]) with its HTTP
/// status ([`error_status`]); token errors at a resource carry `WWW-Authenticate` (RFC 6750
/// §3, RFC 9449 §7.1), outages `Retry-After` (with 503).
pub fn error_reply(refusal: &Refusal, at: Endpoint) -> Response {
    let status = error_status(refusal, at);
    let body = refusal.to_error_response();
    let mut response = json_error(status, &body, refusal.retry_after());
    if let Some(nonce) = refusal.dpop_nonce() {
        with_dpop_nonce(&mut response, Some(nonce.to_owned()));
    }
    if let Some(challenge) = refusal.attestation_challenge() {
        with_attestation_challenge(&mut response, Some(challenge.to_owned()));
    }
    let scheme = match body.error {
        ErrorCode::InvalidToken | ErrorCode::InsufficientScope => Some("Bearer"),
        ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce
            if status == StatusCode::UNAUTHORIZED =>
        {
            Some("DPoP")
        }
        _ => None,
    };
    if let Some(scheme) = scheme {
        let description = body.error_description.as_deref().unwrap_or_default();
        let mut value = format!(
            "{scheme} error=\"{}\", error_description=\"{description}\"",
            body.error
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

/// The response header carrying the next attestation challenge (OAuth attestation-based
/// client authentication).
pub(crate) const ATTESTATION_CHALLENGE: &str = "oauth-client-attestation-challenge";

/// Adds `OAuth-Client-Attestation-Challenge: challenge` when there is one.
pub(crate) fn with_attestation_challenge(response: &mut Response, challenge: Option<String>) {
    if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(ATTESTATION_CHALLENGE, value);
    }
}

/// Adds `DPoP-Nonce: nonce` (RFC 9449 §8) when there is one.
pub(crate) fn with_dpop_nonce(response: &mut Response, nonce: Option<String>) {
    if let Some(value) = nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
        response.headers_mut().insert("dpop-nonce", value);
    }
}

/// A request the adapter refuses before the issuer sees it (content type, unreadable body,
/// token in the query), with the endpoint's error code for malformed requests.
pub(crate) fn malformed(code: &ErrorCode, description: impl Into<String>) -> Refusal {
    Refusal::new(Cause::malformed(code), description)
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
        let refusal = malformed(
            &code,
            format!("Content-Type must be {expected}, found {shown}"),
        );
        Err(error_reply(&refusal, Endpoint::Resource))
    }
}

/// Refuses requests whose body exceeded the limit or could not be read.
pub(crate) fn body_error(
    code: ErrorCode,
    rejection: axum::extract::rejection::BytesRejection,
) -> Response {
    let status = rejection.status();
    let refusal = malformed(
        &code,
        format!("request body could not be read: {}", rejection.body_text()),
    );
    let mut response = error_reply(&refusal, Endpoint::Resource);
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    }
    response
}
