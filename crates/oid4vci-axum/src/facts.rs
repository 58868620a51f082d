//! What the issuer needs from an HTTP request besides its body: the headers it checks.

use axum::http::{header, HeaderMap};
use oid4vci_issuer::HttpFacts;

/// The request's `Authorization`, `DPoP` and client attestation headers, for the issuer.
pub(crate) fn facts(headers: &HeaderMap) -> HttpFacts {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    HttpFacts {
        authorization: text(header::AUTHORIZATION.as_str()),
        dpop: text("dpop"),
        client_attestation: text("oauth-client-attestation"),
        client_attestation_pop: text("oauth-client-attestation-pop"),
        ..HttpFacts::default()
    }
}
