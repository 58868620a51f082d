//! The operator API. Mount it behind your own authentication.

use crate::reply::{body_error, json_error, require_content_type, MAX_BODY_BYTES};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use oid4vci_issuer::{
    CredentialMinter, GrantKind, Issuer, IssuerError, OfferCreated, OfferSpec, SessionListing,
    SessionQuery, SessionState, SessionStore, StoreError, MAX_LISTED_SESSIONS,
};
use oid4vci_types::{CredentialOffer, ErrorCode, ErrorResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// `POST /admin/offers` body: an [`OfferSpec`], its members at the top level, and how the
/// reply gives the offer. Unknown members are refused.
#[derive(Clone, Debug, Deserialize)]
pub struct CreateOfferBody {
    /// What to offer.
    #[serde(flatten)]
    pub offer: OfferSpec,
    /// Return the offer URI by reference (`credential_offer_uri`) instead of by value.
    #[serde(default)]
    pub by_reference: bool,
}

impl CreateOfferBody {
    /// Reads the body: members of [`OfferSpec`] and `by_reference`, nothing else.
    pub(crate) fn from_json(body: &[u8]) -> Result<Self, ErrorResponse> {
        let value: Value = oid4vci_types::parse::parse_json(body, ErrorCode::InvalidRequest)
            .map_err(|e| e.to_error_response())?;
        let parsed: CreateOfferBody = serde_json::from_value(value.clone()).map_err(|e| {
            ErrorResponse::new(ErrorCode::InvalidRequest).with_description(e.to_string())
        })?;
        // Every member OfferSpec knows is in its serialisation (absent options as null).
        let known = serde_json::to_value(&parsed.offer).unwrap_or_default();
        let unknown =
            value.as_object().into_iter().flatten().find(|(key, _)| {
                key.as_str() != "by_reference" && known.get(key.as_str()).is_none()
            });
        if let Some((key, _)) = unknown {
            return Err(ErrorResponse::new(ErrorCode::InvalidRequest)
                .with_description(format!("unknown field `{key}` in the offer")));
        }
        Ok(parsed)
    }
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

/// The reply to a created offer, its URI by reference or by value as asked.
pub(crate) fn offer_reply(created: OfferCreated, by_reference: bool) -> CreateOfferReply {
    CreateOfferReply {
        session_id: created.session_id,
        credential_offer_uri: if by_reference {
            created.credential_offer_uri
        } else {
            created.credential_offer_by_value_uri
        },
        credential_offer: created.credential_offer,
        tx_code: created.tx_code,
    }
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

/// `GET /admin/sessions` query: filters of the session list. Unknown members are refused.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSessionsQuery {
    /// Only sessions in this state (`offered`, `token_issued`, …).
    pub state: Option<SessionState>,
    /// Only sessions with this credential configuration.
    pub configuration: Option<String>,
    /// Only sessions with this grant (`pre_authorized_code` or `authorization_code`).
    pub grant: Option<GrantKind>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<usize>,
}

impl ListSessionsQuery {
    /// Reads a query string (`state=offered&limit=10`); an empty one lists everything.
    pub fn parse(query: Option<&str>) -> Result<Self, ErrorResponse> {
        let query = query.unwrap_or_default();
        if query.len() > 2048 {
            return Err(ErrorResponse::new(ErrorCode::InvalidRequest)
                .with_description("the query string is longer than 2048 bytes"));
        }
        let parsed = serde_urlencoded::from_str::<Self>(query).map_err(|e| {
            ErrorResponse::new(ErrorCode::InvalidRequest)
                .with_description(format!("invalid session list query: {e}"))
        })?;
        if let Some(limit) = parsed
            .limit
            .filter(|l| !(1..=MAX_LISTED_SESSIONS).contains(l))
        {
            return Err(
                ErrorResponse::new(ErrorCode::InvalidRequest).with_description(format!(
                "invalid session list query: limit {limit} is not within 1..={MAX_LISTED_SESSIONS}"
            )),
            );
        }
        Ok(parsed)
    }

    /// The store query these filters make.
    pub fn to_query(&self) -> SessionQuery {
        SessionQuery {
            state: self.state,
            configuration_id: self.configuration.clone().filter(|c| !c.is_empty()),
            grant: self.grant,
            limit: self.limit.unwrap_or(SessionQuery::default().limit),
        }
    }
}

/// `GET /admin/sessions` reply.
#[derive(Clone, Debug, Serialize)]
pub struct ListSessionsReply {
    /// The sessions, newest first.
    pub sessions: Vec<SessionListing>,
}

/// The operator router: `GET /admin/sessions` (the newest sessions, filtered by state,
/// configuration and grant), `POST /admin/offers`, `GET /admin/sessions/{id}` (with the status of
/// each issued credential when status lists are on), `POST /admin/sessions/{id}/claims`,
/// `POST /admin/sessions/{id}/revoke` (every credential of the session) and
/// `POST /admin/sessions/{id}/credentials/{list}/{idx}/revoke` (one credential).
pub fn admin_router<S: SessionStore, M: CredentialMinter>(issuer: Arc<Issuer<S, M>>) -> Router {
    Router::new()
        .route("/admin/offers", post(create_offer::<S, M>))
        .route("/admin/sessions", get(list_sessions::<S, M>))
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

/// The session list of `query`, or the error reply: 400 for a bad query, 501 when the store
/// cannot list sessions.
pub(crate) async fn sessions_or_error<S: SessionStore, M: CredentialMinter>(
    issuer: &Issuer<S, M>,
    query: &ListSessionsQuery,
) -> Result<Vec<SessionListing>, Response> {
    match issuer.sessions(&query.to_query()).await {
        Ok(Some(sessions)) => Ok(sessions),
        Ok(None) => Err(json_error(
            StatusCode::NOT_IMPLEMENTED,
            &ErrorResponse::new(ErrorCode::ServerError)
                .with_description("this issuer's session store cannot list sessions"),
            None,
        )),
        Err(e) => Err(admin_error(&e)),
    }
}

async fn list_sessions<S: SessionStore, M: CredentialMinter>(
    State(issuer): State<Arc<Issuer<S, M>>>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = match ListSessionsQuery::parse(query.as_deref()) {
        Ok(q) => q,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, &e, None),
    };
    match sessions_or_error(&issuer, &query).await {
        Ok(sessions) => Json(ListSessionsReply { sessions }).into_response(),
        Err(r) => r,
    }
}

pub(crate) fn admin_error(e: &IssuerError) -> Response {
    if let IssuerError::Store(StoreError::Unavailable(_)) = e {
        // Nothing was written; the operator may retry.
        let body = ErrorResponse::new(ErrorCode::ServerError)
            .with_description("the issuer's storage is temporarily unavailable; retry later");
        let retry = Some(oid4vci_issuer::STORE_RETRY_AFTER_SECS);
        return json_error(StatusCode::SERVICE_UNAVAILABLE, &body, retry);
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
    json_error(
        status,
        &ErrorResponse::new(code).with_description(e.to_string()),
        None,
    )
}

fn parse_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, Response> {
    let body = body.map_err(|e| body_error(ErrorCode::InvalidRequest, e))?;
    require_content_type(headers, "application/json", ErrorCode::InvalidRequest)?;
    oid4vci_types::parse::parse_json(&body, ErrorCode::InvalidRequest)
        .map_err(|e| json_error(StatusCode::BAD_REQUEST, &e.to_error_response(), None))
}

async fn create_offer<S: SessionStore, M: CredentialMinter>(
    State(issuer): State<Arc<Issuer<S, M>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body.map_err(|e| body_error(ErrorCode::InvalidRequest, e)) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = require_content_type(&headers, "application/json", ErrorCode::InvalidRequest) {
        return r;
    }
    let body = match CreateOfferBody::from_json(&body) {
        Ok(b) => b,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, &e, None),
    };
    match issuer.create_offer(body.offer).await {
        Ok(created) => (
            StatusCode::CREATED,
            Json(offer_reply(created, body.by_reference)),
        )
            .into_response(),
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

#[cfg(test)]
mod tests {
    use super::CreateOfferBody;

    #[test]
    fn an_offer_body_is_an_offer_spec_and_refuses_unknown_members() {
        let body = br#"{"credential_configuration_ids": ["a"], "by_reference": true,
            "dpop_required": true, "tx_code": {"length": 6}, "claims": null}"#;
        let parsed = CreateOfferBody::from_json(body).expect("valid body");
        assert!(parsed.by_reference && parsed.offer.flags.dpop_required);
        assert!(
            parsed.offer.pre_authorized,
            "the pre-authorized grant by default"
        );
        assert_eq!(parsed.offer.credential_configuration_ids, ["a"]);
        let unknown = br#"{"credential_configuration_ids": ["a"], "dpop_requried": true}"#;
        let refused = CreateOfferBody::from_json(unknown).expect_err("typo refused");
        assert_eq!(
            refused.error_description.as_deref(),
            Some("unknown field `dpop_requried` in the offer")
        );
    }
}
