//! A store that is temporarily unavailable: wallet and admin endpoints answer HTTP 503 with the
//! spec's `server_error` body and `Retry-After`, and work again once the store is back.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use oid4vci_issuer::{
    Commit, Issuer, IssuerConfig, LookupKind, MemoryStore, SecretHash, Session, SessionStore,
    StoreError, UnixTime,
};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

const CONFIG: &str = "eu.europa.ec.av.1";

/// A [`MemoryStore`] that can be switched off, failing every call as a lost database would.
#[derive(Clone, Default)]
struct SwitchableStore {
    inner: MemoryStore,
    down: Arc<AtomicBool>,
}

impl SwitchableStore {
    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable("connection refused".into()))
        } else {
            Ok(())
        }
    }
}

impl SessionStore for SwitchableStore {
    async fn insert(&self, session: &Session) -> Result<(), StoreError> {
        self.check()?;
        self.inner.insert(session).await
    }
    async fn get(&self, id: &str) -> Result<Option<Session>, StoreError> {
        self.check()?;
        self.inner.get(id).await
    }
    async fn find(
        &self,
        kind: LookupKind,
        hash: &SecretHash,
    ) -> Result<Option<Session>, StoreError> {
        self.check()?;
        self.inner.find(kind, hash).await
    }
    async fn update(&self, session: &Session, expected: u64) -> Result<(), StoreError> {
        self.check()?;
        self.inner.update(session, expected).await
    }
    async fn commit(&self, commit: &Commit<'_>) -> Result<(), StoreError> {
        self.check()?;
        self.inner.commit(commit).await
    }
    async fn consume_nonce(&self, hash: &SecretHash, exp: UnixTime) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.consume_nonce(hash, exp).await
    }
    async fn sweep_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        self.check()?;
        self.inner.sweep_expired(now).await
    }
}

async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    ct: &str,
    body: String,
) -> (StatusCode, Option<String>, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let retry = resp
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        retry,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn an_unavailable_store_is_503_with_retry_after_and_recovers() {
    let mut metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let store = SwitchableStore::default();
    let issuer = Arc::new(Issuer::new(
        IssuerConfig::new(metadata),
        store.clone(),
        SdJwtVcMinter::generate(),
    ));
    let app = oid4vci_axum::router(issuer.clone(), None).merge(oid4vci_axum::admin_router(issuer));
    let offer = json!({"credential_configuration_ids": [CONFIG], "claims": {"age_over_18": true}})
        .to_string();
    let (status, _, created) = call(
        &app,
        "POST",
        "/admin/offers",
        "application/json",
        offer.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let code = created["credential_offer"]["grants"]
        ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
        .as_str()
        .expect("code")
        .to_owned();
    let form = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}"
    );

    store.down.store(true, Ordering::SeqCst);
    let form_ct = "application/x-www-form-urlencoded";
    let (status, retry, body) = call(&app, "POST", "/token", form_ct, form.clone()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(retry.as_deref(), Some("2"));
    assert_eq!(body["error"], "server_error", "{body}");
    assert!(
        !body.to_string().contains("connection refused"),
        "no backend details: {body}"
    );
    let (status, retry, body) =
        call(&app, "POST", "/admin/offers", "application/json", offer).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(retry.as_deref(), Some("2"));
    assert_eq!(body["error"], "server_error", "{body}");

    store.down.store(false, Ordering::SeqCst);
    let (status, retry, body) = call(&app, "POST", "/token", form_ct, form).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the code was not spent during the outage: {body}"
    );
    assert_eq!(retry, None);
}
