//! The console's pages and forms. Each calls the same [`Issuer`](oid4vci_issuer::Issuer)
//! operation as the JSON operator API, with its parsing, and answers a form post with a
//! redirect (post/redirect/get) or the form again with the error.

use super::auth::{field, form_fields};
use super::pages::{self, OfferForm};
use super::sign_ins::SignedIn;
use super::state::{Console, ConsoleConfig};
use super::{qr, session_page};
use crate::admin::{offer_reply, CreateOfferBody, ListSessionsQuery};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup};
use oid4vci_issuer::{CredentialMinter, IssuerError, SessionStore};
use serde_json::{json, Map, Value};
use std::sync::Arc;

fn configurations<S: SessionStore, M: CredentialMinter>(console: &Console<S, M>) -> Vec<String> {
    console
        .issuer
        .metadata()
        .credential_configurations_supported
        .keys()
        .cloned()
        .collect()
}

/// The rows of the session list for `query` (or why there are none).
pub(crate) async fn session_rows<S: SessionStore, M: CredentialMinter>(
    console: &Console<S, M>,
    query: &ListSessionsQuery,
) -> Markup {
    match console.issuer.sessions(&query.to_query()).await {
        Ok(Some(sessions)) => pages::session_rows(&sessions),
        Ok(None) => {
            html! { tr { td colspan="7" class="error" { "This issuer's session store cannot list sessions; open one by its id: /console/sessions/{id}." } } }
        }
        Err(e) => {
            html! { tr { td colspan="7" class="error" { "The sessions cannot be read: " (e.to_string()) } } }
        }
    }
}

fn page_error(
    status: StatusCode,
    title: &str,
    text: &str,
    signed_in: &SignedIn,
    console_config: &ConsoleConfig,
) -> Response {
    let page = pages::message(title, text, Some(signed_in), console_config);
    (status, Html(page)).into_response()
}

/// The page for an issuer operation that failed: its error, with the status the JSON API
/// would answer.
fn issuer_failure(
    title: &str,
    e: &IssuerError,
    signed_in: &SignedIn,
    console_config: &ConsoleConfig,
) -> Response {
    let status = issuer_error_status(e);
    page_error(status, title, &e.to_string(), signed_in, console_config)
}

fn issuer_error_status(e: &IssuerError) -> StatusCode {
    match e {
        IssuerError::NotFound | IssuerError::UnknownCredential(_) => StatusCode::NOT_FOUND,
        IssuerError::Store(_) | IssuerError::Contention => StatusCode::SERVICE_UNAVAILABLE,
        IssuerError::Signing(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// `GET /console`: the newest sessions, filtered.
pub(crate) async fn sessions<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let signed_in = match console.signed_in(&headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    // Empty selections (`state=`) mean "any".
    let raw: String = raw
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("&");
    let query = match ListSessionsQuery::parse(Some(&raw)) {
        Ok(q) => q,
        Err(e) => {
            let why = e.error_description.unwrap_or_default();
            return page_error(
                StatusCode::BAD_REQUEST,
                "Bad filter",
                &why,
                &signed_in,
                &console.config,
            );
        }
    };
    let rows = session_rows(&console, &query).await;
    let page = pages::sessions(
        &query,
        &raw,
        &configurations(&console),
        rows,
        &signed_in,
        &console.config,
    );
    Html(page).into_response()
}

/// What a form post did, shown on the session page it redirects to.
fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "done=claims" => {
            Some("Claims submitted: the wallet's deferred request can now be answered.")
        }
        "done=revoked" => Some("Revoked: the status list now says so."),
        _ => None,
    }
}

/// `GET /console/sessions/{id}`.
pub(crate) async fn session<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(done): RawQuery,
) -> Response {
    let signed_in = match console.signed_in(&headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match console.issuer.inspect(&id).await {
        Ok(summary) => {
            let notice = notice(done.as_deref());
            Html(session_page::page(
                &summary,
                notice,
                &signed_in,
                &console.config,
            ))
            .into_response()
        }
        Err(e) => issuer_failure("No such session", &e, &signed_in, &console.config),
    }
}

/// `POST /console/sessions/{id}/claims` (`credential_configuration_id`, `claims`).
pub(crate) async fn submit_claims<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    let signed_in = match console.form_sender(&headers, &fields) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let configuration = field(&fields, "credential_configuration_id").unwrap_or_default();
    let claims: Value = match serde_json::from_str(field(&fields, "claims").unwrap_or_default()) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return page_error(
                StatusCode::BAD_REQUEST,
                "Claims refused",
                "the claims must be a JSON object",
                &signed_in,
                &console.config,
            )
        }
        Err(e) => {
            return page_error(
                StatusCode::BAD_REQUEST,
                "Claims refused",
                &format!("the claims are not JSON: {e}"),
                &signed_in,
                &console.config,
            )
        }
    };
    match console
        .issuer
        .submit_claims(&id, configuration, claims)
        .await
    {
        Ok(()) => Redirect::to(&format!("/console/sessions/{id}?done=claims")).into_response(),
        Err(e) => issuer_failure("Claims refused", &e, &signed_in, &console.config),
    }
}

async fn revoke<S: SessionStore, M: CredentialMinter>(
    console: &Console<S, M>,
    headers: &HeaderMap,
    id: &str,
    only: Option<(u32, u32)>,
    body: &Bytes,
) -> Response {
    let fields = form_fields(body);
    let signed_in = match console.form_sender(headers, &fields) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let reason = field(&fields, "reason").filter(|r| !r.is_empty());
    match console.issuer.revoke(id, only, reason).await {
        Ok(_) => Redirect::to(&format!("/console/sessions/{id}?done=revoked")).into_response(),
        Err(e) => issuer_failure("Not revoked", &e, &signed_in, &console.config),
    }
}

/// `POST /console/sessions/{id}/revoke`: every credential of the session.
pub(crate) async fn revoke_session<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    revoke(&console, &headers, &id, None, &body).await
}

/// `POST /console/sessions/{id}/credentials/{list}/{idx}/revoke`: one credential.
pub(crate) async fn revoke_credential<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
    Path((id, list, idx)): Path<(String, u32, u32)>,
    body: Bytes,
) -> Response {
    revoke(&console, &headers, &id, Some((list, idx)), &body).await
}

/// `GET /console/offers/new`.
pub(crate) async fn new_offer<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
) -> Response {
    let signed_in = match console.signed_in(&headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let configurations = configurations(&console);
    let form = OfferForm {
        configurations: configurations.iter().take(1).cloned().collect(),
        ..OfferForm::default()
    };
    let has_as = console.issuer.authorization_policy().is_some();
    Html(pages::new_offer(
        &configurations,
        &form,
        None,
        has_as,
        &signed_in,
        &console.config,
    ))
    .into_response()
}

/// The form as the operator API's `POST /admin/offers` body.
fn offer_body(form: &OfferForm) -> Result<Value, String> {
    let mut body = Map::new();
    body.insert(
        "credential_configuration_ids".into(),
        json!(form.configurations),
    );
    body.insert("by_reference".into(), json!(form.by_reference));
    let claims = form.claims.trim();
    if !claims.is_empty() {
        let parsed: Value =
            serde_json::from_str(claims).map_err(|e| format!("the claims are not JSON: {e}"))?;
        if !parsed.is_object() {
            return Err("the claims must be a JSON object".into());
        }
        body.insert("claims".into(), parsed);
    }
    if form.tx_code {
        let length: u32 = form
            .tx_code_length
            .trim()
            .parse()
            .map_err(|_| "the transaction code length must be a number".to_owned())?;
        body.insert("tx_code".into(), json!({"length": length}));
    }
    if form.authorization_code {
        body.insert("authorization_code".into(), json!({}));
    }
    Ok(Value::Object(body))
}

/// `POST /console/offers`: the operator API's offer creation, from the form.
pub(crate) async fn create_offer<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    let signed_in = match console.form_sender(&headers, &fields) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = OfferForm {
        configurations: fields
            .iter()
            .filter(|(k, _)| k == "configuration")
            .map(|(_, v)| v.clone())
            .collect(),
        tx_code: field(&fields, "tx_code").is_some(),
        tx_code_length: field(&fields, "tx_code_length")
            .unwrap_or_default()
            .to_owned(),
        claims: field(&fields, "claims").unwrap_or_default().to_owned(),
        by_reference: field(&fields, "by") == Some("reference"),
        authorization_code: field(&fields, "authorization_code").is_some(),
    };
    let refused = |why: &str| {
        let has_as = console.issuer.authorization_policy().is_some();
        let page = pages::new_offer(
            &configurations(&console),
            &form,
            Some(why),
            has_as,
            &signed_in,
            &console.config,
        );
        (StatusCode::BAD_REQUEST, Html(page)).into_response()
    };
    if form.configurations.is_empty() {
        return refused("Pick at least one credential configuration.");
    }
    let parsed = offer_body(&form).and_then(|value| {
        CreateOfferBody::from_json(value.to_string().as_bytes())
            .map_err(|e| e.error_description.unwrap_or_default())
    });
    let request = match parsed {
        Ok(r) => r,
        Err(why) => return refused(&why),
    };
    let by_reference = request.by_reference;
    match console.issuer.create_offer(request.offer).await {
        Ok(created) => {
            let reply = offer_reply(created, by_reference);
            let qr = qr::qr_svg(&reply.credential_offer_uri);
            (
                StatusCode::CREATED,
                Html(pages::offer_created(
                    &reply,
                    qr,
                    &signed_in,
                    &console.config,
                )),
            )
                .into_response()
        }
        Err(e) => refused(&e.to_string()),
    }
}

/// `GET /console/refused`: wallet debugging mode's refused requests.
pub(crate) async fn refused<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
) -> Response {
    let signed_in = match console.signed_in(&headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(log) = &console.config.wallet_debug else {
        let why = "Wallet debugging mode is off (oid4vci serve --wallet-debug turns it on).";
        return page_error(
            StatusCode::NOT_FOUND,
            "Not enabled",
            why,
            &signed_in,
            &console.config,
        );
    };
    let rows = pages::refused_rows(&log.entries());
    Html(pages::refused(rows, &signed_in, &console.config)).into_response()
}
