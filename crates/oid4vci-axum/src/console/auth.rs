//! Signing in to the console with the admin token: a random session cookie (kept by its hash,
//! `HttpOnly`, `SameSite=Strict`, `Path=/console`, `Secure` under TLS), an anti-CSRF token per
//! sign-in that every form carries, a double-submit token on the sign-in form itself, and a
//! pause after repeated wrong tokens from one client address.

use super::pages;
use super::sign_ins::{cookie, same_secret, SignedIn, COOKIE, FORM_COOKIE, SIGN_IN_TTL};
use super::state::Console;
use crate::facts::client_address;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use oid4vci_issuer::{random_token, CredentialMinter, OsSecretSource, SessionStore};
use std::sync::Arc;

impl<S: SessionStore, M: CredentialMinter> Console<S, M> {
    /// The signed-in operator, or the redirect to the sign-in page.
    pub(crate) fn signed_in(&self, headers: &HeaderMap) -> Result<SignedIn, Response> {
        self.sign_ins
            .current(headers)
            .ok_or_else(|| Redirect::to("/console/sign-in").into_response())
    }

    /// The signed-in operator of a form post whose `csrf` field is theirs and which came from
    /// the console itself; else a 403 page.
    pub(crate) fn form_sender(
        &self,
        headers: &HeaderMap,
        fields: &[(String, String)],
    ) -> Result<SignedIn, Response> {
        let forbidden = |why: &str| {
            let page = pages::message(
                "This form cannot be accepted",
                why,
                self.sign_ins.current(headers).as_ref(),
                &self.config,
            );
            (StatusCode::FORBIDDEN, Html(page)).into_response()
        };
        if cross_site(headers) {
            return Err(forbidden("it was sent from another site"));
        }
        let Some(signed_in) = self.sign_ins.current(headers) else {
            return Err(forbidden("you are not signed in (or your sign-in expired)"));
        };
        let given = field(fields, "csrf").unwrap_or_default();
        if !same_secret(given, &signed_in.csrf) {
            return Err(forbidden(
                "its anti-forgery token is not this sign-in's: reload the page and try again",
            ));
        }
        Ok(signed_in)
    }

    fn cookie_attributes(&self, max_age: u64) -> String {
        let secure = if self.config.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        format!("Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
    }
}

/// A request the browser marks as coming from another site.
fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site == "cross-site" || site == "same-site")
}

/// The first value of form field `name`.
pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A form body (`application/x-www-form-urlencoded`) as its fields, in order.
pub(crate) fn form_fields(body: &Bytes) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(value) = HeaderValue::from_str(c) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// `GET /console/sign-in`.
pub(crate) async fn sign_in_page<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
) -> Response {
    if console.sign_ins.current(&headers).is_some() {
        return Redirect::to("/console").into_response();
    }
    sign_in_form(&console, StatusCode::OK, None)
}

fn sign_in_form<S: SessionStore, M: CredentialMinter>(
    console: &Console<S, M>,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let form_token = random_token(&OsSecretSource, 24);
    let page = pages::sign_in(&form_token, error, &console.config);
    let cookie = format!(
        "{FORM_COOKIE}={form_token}; {}",
        console.cookie_attributes(600)
    );
    with_cookies((status, Html(page)).into_response(), &[cookie])
}

/// `POST /console/sign-in` (`token`, `form_token`).
pub(crate) async fn sign_in<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let address = client_address(&extensions);
    let fields = form_fields(&body);
    let posted = field(&fields, "form_token").unwrap_or_default();
    let expected = cookie(&headers, FORM_COOKIE).unwrap_or_default();
    if cross_site(&headers) || expected.is_empty() || !same_secret(posted, expected) {
        let why = "The sign-in form expired or came from elsewhere. Try again.";
        return sign_in_form(&console, StatusCode::FORBIDDEN, Some(why));
    }
    if !console.sign_ins.may_try(address) {
        let why = "Too many wrong tokens from your address: wait a minute before you try again.";
        let mut response = sign_in_form(&console, StatusCode::TOO_MANY_REQUESTS, Some(why));
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    }
    let token = field(&fields, "token").unwrap_or_default().trim();
    if !same_secret(token, &console.config.admin_token) {
        console.sign_ins.failed(address);
        let why = "That is not this issuer's admin token.";
        return sign_in_form(&console, StatusCode::UNAUTHORIZED, Some(why));
    }
    let (value, _) = console.sign_ins.open();
    let attributes = console.cookie_attributes(SIGN_IN_TTL.as_secs());
    let cookies = [
        format!("{COOKIE}={value}; {attributes}"),
        format!("{FORM_COOKIE}=; {}", console.cookie_attributes(0)),
    ];
    with_cookies(Redirect::to("/console").into_response(), &cookies)
}

/// `POST /console/sign-out` (`csrf`).
pub(crate) async fn sign_out<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    if let Err(refused) = console.form_sender(&headers, &fields) {
        return refused;
    }
    console.sign_ins.close(&headers);
    let cookie = format!("{COOKIE}=; {}", console.cookie_attributes(0));
    with_cookies(Redirect::to("/console/sign-in").into_response(), &[cookie])
}
