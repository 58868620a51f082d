//! The operator API. Mount it behind your own authentication.

use crate::reply::{body_error, error_reply, require_content_type, MAX_BODY_BYTES};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use oid4vci_issuer::{
    CredentialMinter, Issuer, IssuerError, OfferSpec, SessionFlags, SessionStore, StoreError,
    TxCodeSpec,
};
use oid4vci_types::{CredentialOffer, ErrorCode, ErrorResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// Seconds an operator is asked to wait when the store is temporarily unavailable.
const STORE_RETRY_AFTER_SECS: u64 = 2;

/// `POST /admin/offers` body.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOfferBody {
    /// Configurations to offer.
    pub credential_configuration_ids: Vec<String>,
    /// Claims for every configuration; `null` defers issuance until claims are submitted.
    #[serde(default)]
    pub claims: Option<Value>,
    /// Require a transaction code.
    #[serde(default)]
    pub tx_code: Option<TxCodeSpec>,
    /// Return the offer URI by reference (`credential_offer_uri`) instead of by value.
    #[serde(default)]
    pub by_reference: bool,
    /// The subject the claims describe.
    #[serde(default)]
    pub subject_id: Option<String>,
    /// Offer lifetime in seconds.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// Require a DPoP-bound access token (RFC 9449).
    #[serde(default)]
    pub dpop_required: bool,
    /// Require key attestations in proofs (Appendix D).
    #[serde(default)]
    pub require_key_attestation: bool,
    /// Require wallet attestation at the token endpoint (Appendix E).
    #[serde(default)]
    pub require_wallet_attestation: bool,
    /// Offer the pre-authorized code grant (default true).
    #[serde(default = "yes")]
    pub pre_authorized: bool,
    /// Offer the authorization code grant (`{}` or `{"issuer_state": "…"}`); needs the embedded
    /// authorization server.
    #[serde(default)]
    pub authorization_code: Option<oid4vci_issuer::AuthorizationCodeSpec>,
}

fn yes() -> bool {
    true
}

/// `POST /admin/offers` reply (201).
#[derive(Clone, Debug, Serialize)]
pub struct CreateOfferReply {
    /// The session id.
    pub session_id: String,
    /// The offer object.
    pub credential_offer: CredentialOffer,
    /// `openid-credential-offer://…`, by reference or by value as asked.
    pub credential_offer_uri: String,
    /// The transaction code to give the user, when one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<String>,
}

/// `POST /admin/sessions/{id}/claims` body.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitClaimsBody {
    /// The configuration the claims are for.
    pub credential_configuration_id: String,
    /// The claims.
    pub claims: Value,
}

/// `POST /admin/sessions/{id}/revoke` (and `…/credentials/{list}/{idx}/revoke`) body; the body
/// may also be empty.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// Why, for the session's log (at most 256 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// The operator router: `POST /admin/offers`, `GET /admin/sessions/{id}` (with the status of
/// each issued credential when status lists are on), `POST /admin/sessions/{id}/claims`,
/// `POST /admin/sessions/{id}/revoke` (every credential of the session) and
/// `POST /admin/sessions/{id}/credentials/{list}/{idx}/revoke` (one credential).
pub fn admin_router<S: SessionStore, M: CredentialMinter>(issuer: Arc<Issuer<S, M>>) -> Router {
    Router::new()
        .route("/admin/offers", post(create_offer::<S, M>))
        .route("/admin/sessions/{id}", get(inspect::<S, M>))
        .route("/admin/sessions/{id}/claims", post(submit_claims::<S, M>))
        .route("/admin/sessions/{id}/revoke", post(revoke_session::<S, M>))
        .route(
            "/admin/sessions/{id}/credentials/{list}/{idx}/revoke",
            post(revoke_credential::<S, M>),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(issuer)
}

fn admin_error(e: &IssuerError) -> Response {
    if let IssuerError::Store(StoreError::Unavailable(_)) = e {
        // Nothing was written; the operator may retry.
        return error_reply(
            &ErrorResponse::new(ErrorCode::ServerError)
                .with_description("the issuer's storage is temporarily unavailable; retry later")
                .with_retry_after(STORE_RETRY_AFTER_SECS),
        );
    }
    let (status, code) = match e {
        IssuerError::NotFound | IssuerError::UnknownCredential(_) => {
            (StatusCode::NOT_FOUND, ErrorCode::InvalidRequest)
        }
        IssuerError::Signing(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::ServerError),
        IssuerError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::ServerError),
        IssuerError::Contention => (
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::TemporarilyUnavailable,
        ),
        _ => (StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest),
    };
    let mut r = error_reply(&ErrorResponse::new(code).with_description(e.to_string()));
    *r.status_mut() = status;
    r
}

fn parse_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, Response> {
    let body = body.map_err(|e| body_error(ErrorCode::InvalidRequest, e))?;
    require_content_type(headers, "application/json", ErrorCode::InvalidRequest)?;
    oid4vci_types::parse::parse_json(&body, ErrorCode::InvalidRequest)
        .map_err(|e| error_reply(&e.to_error_response()))
}

async fn create_offer<S: SessionStore, M: CredentialMinter>(
    State(issuer): State<Arc<Issuer<S, M>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body: CreateOfferBody = match parse_body(&headers, body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let spec = OfferSpec {
        credential_configuration_ids: body.credential_configuration_ids,
        pre_authorized: body.pre_authorized,
        authorization_code: body.authorization_code,
        tx_code: body.tx_code,
        claims: body.claims,
        subject_id: body.subject_id,
        expires_in: body.expires_in,
        flags: SessionFlags {
            dpop_required: body.dpop_required,
            require_key_attestation: body.require_key_attestation,
            require_wallet_attestation: body.require_wallet_attestation,
        },
    };
    match issuer.create_offer(spec).await {
        Ok(created) => {
            let reply = CreateOfferReply {
                session_id: created.session_id,
                credential_offer_uri: if body.by_reference {
                    created.credential_offer_uri
                } else {
                    created.credential_offer_by_value_uri
                },
                credential_offer: created.credential_offer,
                tx_code: created.tx_code,
            };
            (StatusCode::CREATED, Json(reply)).into_response()
        }
        Err(e) => admin_error(&e),
    }
}

async fn inspect<S: SessionStore, M: CredentialMinter>(
    State(issuer): State<Arc<Issuer<S, M>>>,
    Path(id): Path<String>,
) -> Response {
    match issuer.inspect(&id).await {
        Ok(summary) => Json(summary).into_response(),
        Err(e) => admin_error(&e),
    }
}

async fn submit_claims<S: SessionStore, M: CredentialMinter>(
    State(issuer): State<Arc<Issuer<S, M>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body: SubmitClaimsBody = match parse_body(&headers, body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    match issuer
        .submit_claims(&id, &body.credential_configuration_id, body.claims)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => admin_error(&e),
    }
}

/// An optional JSON body: empty is the default.
fn optional_body<T: serde::de::DeserializeOwned + Default>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, Response> {
    match body {
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Ok(T::default()),
        other => parse_body(headers, other),
    }
}

async fn revoke<S: SessionStore, M: CredentialMinter>(
    issuer: &Issuer<S, M>,
    id: &str,
    only: Option<(u32, u32)>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body: RevokeBody = match optional_body(headers, body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    match issuer.revoke(id, only, body.reason.as_deref()).await {
        Ok(revocation) => Json(revocation).into_response(),
        Err(e) => admin_error(&e),
    }
}

async fn revoke_session<S: SessionStore, M: CredentialMinter>(
    State(issuer): State<Arc<Issuer<S, M>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    revoke(&issuer, &id, None, &headers, body).await
}

async fn revoke_credential<S: SessionStore, M: CredentialMinter>(
    State(issuer): State<Arc<Issuer<S, M>>>,
    Path((id, list, idx)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (Ok(list), Ok(idx)) = (list.parse::<u32>(), idx.parse::<u32>()) else {
        let e = IssuerError::UnknownCredential(format!(
            "{list}/{idx} is not a status list number and index"
        ));
        return admin_error(&e);
    };
    revoke(&issuer, &id, Some((list, idx)), &headers, body).await
}
