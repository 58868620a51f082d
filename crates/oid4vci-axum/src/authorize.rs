//! The embedded authorization server's endpoints: `POST /par` (RFC 9126), `GET /authorize`
//! (the login and consent page) and `POST /authorize` (the form).

use crate::facts::{client_address, facts, with_next_dpop_nonce};
use crate::login_page;
use crate::reply::{
    body_error, error_reply, error_status, json_no_store, malformed, require_content_type, Endpoint,
};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use oid4vci_issuer::{
    AuthorizationOutcome, CredentialMinter, Issuer, LoginAction, LoginForm, Refusal, SessionStore,
};
use oid4vci_types::parse::parse_form;
use oid4vci_types::ErrorCode;
use std::sync::Arc;

type Shared<S, M> = State<Arc<Issuer<S, M>>>;

/// The pushed authorization request endpoint, for [`crate::router`] (wallet-facing: CORS).
pub(crate) fn par_route<S: SessionStore, M: CredentialMinter>(issuer: Arc<Issuer<S, M>>) -> Router {
    Router::new()
        .route("/par", post(par::<S, M>))
        .with_state(issuer)
}

/// The login and consent page, for [`crate::router`] (a browser page of this origin: no CORS).
pub(crate) fn page_routes<S: SessionStore, M: CredentialMinter>(
    issuer: Arc<Issuer<S, M>>,
) -> Router {
    Router::new()
        .route("/authorize", get(page::<S, M>).post(decide::<S, M>))
        .with_state(issuer)
}

async fn par<S: SessionStore, M: CredentialMinter>(
    State(issuer): Shared<S, M>,
    extensions: Extensions,
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
    let mut presented = facts(&headers);
    presented.client_address = client_address(&extensions);
    let reply = match issuer.pushed_authorization_request(&body, presented).await {
        Ok(response) => json_no_store(StatusCode::CREATED, &response),
        Err(e) => error_reply(&e, Endpoint::AuthorizationServer),
    };
    with_next_dpop_nonce(reply, &issuer, &headers)
}

/// An HTML response with the headers a login page needs: not cached, not framed, no scripts.
fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn error_page(refusal: &Refusal) -> Response {
    let status = error_status(refusal, Endpoint::LoginPage);
    html(status, login_page::error(&refusal.to_error_response()))
}

fn invalid(text: &str) -> Refusal {
    malformed(&ErrorCode::InvalidRequest, text)
}

async fn page<S: SessionStore, M: CredentialMinter>(
    State(issuer): Shared<S, M>,
    RawQuery(query): RawQuery,
) -> Response {
    let mut params = match parse_form(
        query.unwrap_or_default().as_bytes(),
        ErrorCode::InvalidRequest,
    ) {
        Ok(p) => p,
        Err(e) => return error_page(&Refusal::malformed(&e)),
    };
    let client_id = params.remove("client_id");
    let request_uri = params.remove("request_uri");
    match issuer
        .authorization_page(client_id.as_deref(), request_uri.as_deref())
        .await
    {
        Ok(page) => html(StatusCode::OK, login_page::login(&page)),
        Err(e) => error_page(&e),
    }
}

async fn decide<S: SessionStore, M: CredentialMinter>(
    State(issuer): Shared<S, M>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return error_page(&invalid("the form could not be read"));
    };
    if require_content_type(
        &headers,
        "application/x-www-form-urlencoded",
        ErrorCode::InvalidRequest,
    )
    .is_err()
    {
        return error_page(&invalid(
            "the form must be application/x-www-form-urlencoded",
        ));
    }
    let mut params = match parse_form(&body, ErrorCode::InvalidRequest) {
        Ok(p) => p,
        Err(e) => return error_page(&Refusal::malformed(&e)),
    };
    let action = match params.remove("action").as_deref() {
        Some("deny") => LoginAction::Deny,
        Some("approve") | None => LoginAction::Approve {
            username: params.remove("username").unwrap_or_default(),
            password: params.remove("password").unwrap_or_default().into(),
        },
        Some(_) => return error_page(&invalid("action must be approve or deny")),
    };
    let form = LoginForm {
        request_uri: params.remove("request_uri").unwrap_or_default(),
        form_token: params.remove("form_token").unwrap_or_default().into(),
        action,
    };
    match issuer
        .authorization_decision(form, client_address(&extensions))
        .await
    {
        Ok(AuthorizationOutcome::Redirect(location)) => match HeaderValue::from_str(&location) {
            Ok(value) => {
                let mut r = StatusCode::SEE_OTHER.into_response();
                r.headers_mut().insert(header::LOCATION, value);
                r.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                r
            }
            Err(_) => error_page(&invalid("the redirect URI cannot be sent as a header")),
        },
        Ok(AuthorizationOutcome::Retry(page)) => html(StatusCode::OK, login_page::login(&page)),
        Ok(AuthorizationOutcome::Wait { page, retry_after }) => {
            let mut r = html(StatusCode::TOO_MANY_REQUESTS, login_page::login(&page));
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            r
        }
        Err(e) => error_page(&e),
    }
}
