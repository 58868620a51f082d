//! The wallet-facing endpoints.

use crate::facts::{facts, with_next_dpop_nonce};
use crate::reply::{
    body_error, error_reply, json_error, json_no_store, jwt_no_store, malformed,
    require_content_type, Endpoint, MAX_BODY_BYTES,
};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use oid4vci_issuer::{
    CredentialBody, CredentialMinter, CredentialReply, Issuer, NotificationBody, Refusal,
    SessionStore, TokenBody,
};
use oid4vci_types::*;
use serde_json::{json, Value};
use std::sync::Arc;

struct App<S, M> {
    issuer: Arc<Issuer<S, M>>,
    jwks: Option<Value>,
}

type Shared<S, M> = State<Arc<App<S, M>>>;

/// The wallet-facing router: metadata (`/.well-known/openid-credential-issuer`, as the signed
/// JWT when `Accept` names `application/jwt` with a quality above zero and at least JSON's, JSON
/// otherwise, `Vary: Accept` on both; `/.well-known/oauth-authorization-server`, and
/// `/.well-known/jwt-vc-issuer` when `jwks` is given), `GET /credential-offer/{id}`, `POST /token`, `/nonce`, `/credential`,
/// `/deferred_credential`, `/notification`, the embedded authorization server's `POST /par`
/// and `GET`/`POST /authorize` (answering errors unless it is enabled), and
/// `GET /status-lists/{list}`: the signed Status List Tokens (`application/statuslist+jwt`,
/// `Cache-Control: public, max-age=<ttl>`, `ETag` and `If-None-Match`, CORS open; `404` unless
/// status lists are on and the list exists, `406` when `Accept` excludes the JWT form).
///
/// Every route but the login page answers CORS preflights and sends CORS headers (any origin, no
/// credentials; `DPoP-Nonce`, `WWW-Authenticate`, `Retry-After` and `ETag` exposed), so browser
/// wallets can use the issuer. [`crate::admin_router`] has none.
pub fn router<S: SessionStore, M: CredentialMinter>(
    issuer: Arc<Issuer<S, M>>,
    jwks: Option<Value>,
) -> Router {
    let par = crate::authorize::par_route(issuer.clone());
    let login_page = crate::authorize::page_routes(issuer.clone());
    let status_lists = crate::status_list::routes(issuer.clone());
    let app = Arc::new(App { issuer, jwks });
    Router::new()
        .route(
            "/.well-known/openid-credential-issuer",
            get(metadata::<S, M>),
        )
        .route(
            "/.well-known/openid-credential-issuer/{*path}",
            get(metadata::<S, M>),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(as_metadata::<S, M>),
        )
        .route(
            "/.well-known/oauth-authorization-server/{*path}",
            get(as_metadata::<S, M>),
        )
        .route("/.well-known/jwt-vc-issuer", get(jwt_vc_issuer::<S, M>))
        .route(
            "/.well-known/jwt-vc-issuer/{*path}",
            get(jwt_vc_issuer::<S, M>),
        )
        .route("/credential-offer/{id}", get(offer::<S, M>))
        .route("/token", post(token::<S, M>))
        .route("/nonce", post(nonce::<S, M>))
        .route("/challenge", post(challenge::<S, M>))
        .route("/credential", post(credential::<S, M>))
        .route("/deferred_credential", post(deferred::<S, M>))
        .route("/notification", post(notification::<S, M>))
        .with_state(app)
        .merge(par)
        .merge(status_lists)
        .layer(crate::reply::public_cors())
        .merge(login_page)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// RFC 6750 §2.3 allows `access_token` in the query; Section 13.10 and RFC 9700 say not to.
fn refuse_query_token(query: &Option<String>) -> Result<(), Response> {
    let has_token = query.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|p| p.split('=').next() == Some("access_token"))
    });
    if has_token {
        let refusal = malformed(
            &ErrorCode::InvalidRequest,
            "access tokens must be sent in the Authorization header, not the query string",
        );
        return Err(error_reply(&refusal, Endpoint::Resource));
    }
    Ok(())
}

/// The Credential Issuer Metadata: JSON, or the signed JWT (`application/jwt`, Section 12.2.3)
/// when the wallet prefers it (RFC 9110 §12.5.1 quality values) and the issuer signs its
/// metadata; `Vary: Accept` either way.
async fn metadata<S: SessionStore, M: CredentialMinter>(
    State(app): Shared<S, M>,
    headers: HeaderMap,
) -> Response {
    // The JWT form only when the wallet names it with a quality above zero (RFC 9110 §12.4.2:
    // q=0 means "not acceptable"; a wildcard does not ask for it) and at least the quality
    // JSON gets from its most specific range (§12.5.1: `*/*` counts for JSON); JSON otherwise.
    let ranges = crate::accept::ranges(&headers);
    let jwt = crate::accept::quality_of(&ranges, "application/jwt").unwrap_or(0);
    let json = crate::accept::quality(&ranges, "application/json");
    let wants_jwt = jwt > 0 && jwt >= json;
    let signing_failed = |e: oid4vci_issuer::IssuerError| {
        let why = match e {
            oid4vci_issuer::IssuerError::Signing(why) => why.to_string(),
            other => other.to_string(),
        };
        let body = ErrorResponse::new(ErrorCode::ServerError)
            .with_description(format!("the metadata could not be signed: {why}"));
        json_error(StatusCode::INTERNAL_SERVER_ERROR, &body, None)
    };
    let signed = match wants_jwt {
        true => app.issuer.signed_metadata().await,
        false => None,
    };
    let mut reply = match signed {
        Some(Ok(jwt)) => ([(header::CONTENT_TYPE, "application/jwt")], jwt).into_response(),
        Some(Err(e)) => signing_failed(e),
        None => match app.issuer.metadata_document().await {
            Ok(document) => Json(document).into_response(),
            Err(e) => signing_failed(e),
        },
    };
    // The form depends on Accept: caches must key on it (RFC 9110 §12.5.5).
    reply
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    reply
}

async fn as_metadata<S: SessionStore, M: CredentialMinter>(State(app): Shared<S, M>) -> Response {
    Json(app.issuer.authorization_server_metadata()).into_response()
}

async fn jwt_vc_issuer<S: SessionStore, M: CredentialMinter>(State(app): Shared<S, M>) -> Response {
    match &app.jwks {
        Some(jwks) => {
            Json(json!({"issuer": app.issuer.metadata().credential_issuer, "jwks": jwks}))
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn offer<S: SessionStore, M: CredentialMinter>(
    State(app): Shared<S, M>,
    Path(id): Path<String>,
) -> Response {
    match app.issuer.credential_offer(&id).await {
        Ok(offer) => json_no_store(StatusCode::OK, &offer),
        Err(e) => error_reply(&e, Endpoint::CredentialOffer),
    }
}

async fn token<S: SessionStore, M: CredentialMinter>(
    State(app): Shared<S, M>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return body_error(ErrorCode::InvalidRequest, e),
    };
    if let Err(r) = require_content_type(
        &headers,
        "application/x-www-form-urlencoded",
        ErrorCode::InvalidRequest,
    ) {
        return r;
    }
    let form = TokenBody::Form(&body);
    let reply = match app.issuer.token(form, facts(&headers)).await {
        Ok(response) => json_no_store(StatusCode::OK, &response),
        Err(e) => error_reply(&e, Endpoint::AuthorizationServer),
    };
    with_next_dpop_nonce(reply, &app.issuer, &headers)
}

async fn nonce<S: SessionStore, M: CredentialMinter>(State(app): Shared<S, M>) -> Response {
    json_no_store(StatusCode::OK, &app.issuer.nonce())
}

/// `POST /challenge`: a fresh attestation challenge for the client attestation PoP (OAuth
/// attestation-based client authentication), when the issuer requires them; 404 otherwise.
async fn challenge<S: SessionStore, M: CredentialMinter>(State(app): Shared<S, M>) -> Response {
    match app.issuer.attestation_challenge() {
        Some(challenge) => json_no_store(
            StatusCode::OK,
            &serde_json::json!({ "attestation_challenge": challenge }),
        ),
        None => {
            let body = ErrorResponse::new(ErrorCode::InvalidRequest)
                .with_description("this issuer does not use attestation challenges");
            json_error(StatusCode::NOT_FOUND, &body, None)
        }
    }
}

/// The body of a request to a protected endpoint: no access token in the query, a readable body
/// within the limit; every failure is the spec's JSON error.
fn read_body(
    query: &Option<String>,
    body: Result<Bytes, BytesRejection>,
    code: ErrorCode,
) -> Result<Bytes, Response> {
    refuse_query_token(query)?;
    body.map_err(|e| body_error(code, e))
}

/// A Credential or Deferred Credential Request body: `application/json`, or `application/jwt`
/// (an encrypted request, Section 10).
fn credential_body<'a, T>(
    headers: &HeaderMap,
    body: &'a Bytes,
) -> Result<CredentialBody<'a, T>, Response> {
    if require_content_type(
        headers,
        "application/jwt",
        ErrorCode::InvalidCredentialRequest,
    )
    .is_ok()
    {
        return Ok(CredentialBody::Jwe(body));
    }
    require_content_type(
        headers,
        "application/json",
        ErrorCode::InvalidCredentialRequest,
    )
    .map_err(|_| {
        let refusal = malformed(
            &ErrorCode::InvalidCredentialRequest,
            "Content-Type must be application/json, or application/jwt for an encrypted request",
        );
        error_reply(&refusal, Endpoint::Resource)
    })?;
    Ok(CredentialBody::Json(body))
}

async fn credential<S: SessionStore, M: CredentialMinter>(
    State(app): Shared<S, M>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match read_body(&query, body, ErrorCode::InvalidCredentialRequest) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let body = match credential_body(&headers, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let reply = credential_reply(app.issuer.credential(body, facts(&headers)).await);
    with_next_dpop_nonce(reply, &app.issuer, &headers)
}

fn credential_reply(outcome: Result<CredentialReply, Refusal>) -> Response {
    match outcome {
        Ok(reply) => {
            let status = crate::reply::credential_status(reply.is_deferred());
            match reply {
                CredentialReply::Json(response) => json_no_store(status, &response),
                CredentialReply::Jwe { jwe, .. } => jwt_no_store(status, jwe),
            }
        }
        Err(e) => error_reply(&e, Endpoint::Resource),
    }
}

async fn deferred<S: SessionStore, M: CredentialMinter>(
    State(app): Shared<S, M>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match read_body(&query, body, ErrorCode::InvalidCredentialRequest) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let body = match credential_body(&headers, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let outcome = app.issuer.deferred_credential(body, facts(&headers)).await;
    with_next_dpop_nonce(credential_reply(outcome), &app.issuer, &headers)
}

async fn notification<S: SessionStore, M: CredentialMinter>(
    State(app): Shared<S, M>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let code = ErrorCode::InvalidNotificationRequest;
    let body = match read_body(&query, body, code.clone()) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = require_content_type(&headers, "application/json", code) {
        return r;
    }
    let body = NotificationBody::Json(&body);
    let reply = match app.issuer.notification(body, facts(&headers)).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error_reply(&e, Endpoint::Resource),
    };
    with_next_dpop_nonce(reply, &app.issuer, &headers)
}
