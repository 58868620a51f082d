//! `GET /status-lists/{list}`: the signed Status List Tokens (draft-ietf-oauth-status-list §8).

use crate::reply::json_error;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use oid4vci_issuer::status_list::STATUS_LIST_MEDIA_TYPE;
use oid4vci_issuer::{CredentialMinter, Issuer, SessionStore};
use oid4vci_types::{ErrorCode, ErrorResponse};
use std::sync::Arc;

/// The route of the status lists, matching [`StatusListConfig::new`]'s URIs
/// (`{credential_issuer}/status-lists/{list}`).
///
/// [`StatusListConfig::new`]: oid4vci_issuer::StatusListConfig::new
pub(crate) fn routes<S: SessionStore, M: CredentialMinter>(issuer: Arc<Issuer<S, M>>) -> Router {
    Router::new()
        .route("/status-lists/{list}", get(status_list::<S, M>))
        .with_state(issuer)
}

/// True when the `Accept` header admits the JWT form: absent, or its most specific range for
/// the media type (the type itself, `application/*`, `*/*`) has a non-zero `q`.
fn accepts_jwt(headers: &HeaderMap) -> bool {
    let ranges = crate::accept::ranges(headers);
    crate::accept::quality(&ranges, STATUS_LIST_MEDIA_TYPE) > 0
}

fn not_found() -> Response {
    let body =
        ErrorResponse::new(ErrorCode::InvalidRequest).with_description("no such status list");
    json_error(StatusCode::NOT_FOUND, &body, None)
}

async fn status_list<S: SessionStore, M: CredentialMinter>(
    State(issuer): State<Arc<Issuer<S, M>>>,
    Path(list): Path<String>,
    headers: HeaderMap,
) -> Response {
    // Digits only, no sign or leading zero: one spelling per list.
    let number = Some(list.as_str())
        .filter(|l| !l.is_empty() && l.len() <= 10 && !l.starts_with('0'))
        .filter(|l| l.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|l| l.parse::<u32>().ok());
    let Some(number) = number else {
        return not_found();
    };
    if !accepts_jwt(&headers) {
        let body = ErrorResponse::new(ErrorCode::InvalidRequest).with_description(format!(
            "status lists are served as {STATUS_LIST_MEDIA_TYPE} only"
        ));
        return json_error(StatusCode::NOT_ACCEPTABLE, &body, None);
    }
    let token = match issuer.status_list_token(number).await {
        Ok(Some(token)) => token,
        Ok(None) => return not_found(),
        Err(e) => {
            let store_down = matches!(
                e,
                oid4vci_issuer::IssuerError::Store(oid4vci_issuer::StoreError::Unavailable(_))
            );
            let body = ErrorResponse::new(ErrorCode::ServerError)
                .with_description(format!("the status list could not be served: {e}"));
            return if store_down {
                let retry = Some(oid4vci_issuer::STORE_RETRY_AFTER_SECS);
                json_error(StatusCode::SERVICE_UNAVAILABLE, &body, retry)
            } else {
                json_error(StatusCode::INTERNAL_SERVER_ERROR, &body, None)
            };
        }
    };
    let mut reply = HeaderMap::new();
    let cache = format!("public, max-age={}", token.max_age);
    for (name, value) in [
        (header::CACHE_CONTROL, cache.as_str()),
        (header::ETAG, token.etag.as_str()),
        (header::VARY, "Accept"),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            reply.insert(name, v);
        }
    }
    let unchanged = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == token.etag
        });
    if unchanged {
        return (StatusCode::NOT_MODIFIED, reply).into_response();
    }
    reply.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(STATUS_LIST_MEDIA_TYPE),
    );
    (StatusCode::OK, reply, token.jwt).into_response()
}

#[cfg(test)]
mod tests {
    use super::accepts_jwt;
    use axum::http::{header, HeaderMap, HeaderValue};

    fn accept(value: Option<&'static str>) -> bool {
        let mut h = HeaderMap::new();
        if let Some(v) = value {
            h.insert(header::ACCEPT, HeaderValue::from_static(v));
        }
        accepts_jwt(&h)
    }

    #[test]
    fn accept_header_negotiation() {
        assert!(accept(None));
        assert!(accept(Some("application/statuslist+jwt")));
        assert!(accept(Some(
            "application/statuslist+cwt, application/statuslist+jwt;q=0.5"
        )));
        assert!(accept(Some("*/*")));
        assert!(!accept(Some("application/statuslist+cwt")));
        assert!(!accept(Some("application/statuslist+jwt;q=0")));
        assert!(!accept(Some("text/html")));
    }
}
