//! The issuer behind its axum router, driven with fuzzed bodies and headers: the login form,
//! the credential endpoint's JSON and compact JWE bodies, DPoP and client-attestation headers,
//! the admin API's bodies and the status-list paths. No input may make it panic or answer 500.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use oid4vci_authorization::{AuthorizationPolicy, DemoUser};
use oid4vci_issuer::{
    Issuer, IssuerConfig, ManualClock, MemoryStore, StatusListConfig, WalletAttestationTrust,
};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_jwe::JweEncryption;
use oid4vci_proof::crypto::SigningKey;
use oid4vci_proof::{Alg, PublicKey};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{
    BatchCredentialIssuance, CredentialConfiguration, CredentialIssuerMetadata, TokenRequest,
};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

/// The issuer identifier of the harness.
pub const ISSUER: &str = "https://issuer.example.com";
/// Its SD-JWT VC configuration (scope `age`).
pub const CONFIG: &str = "eu.europa.ec.av.1";
/// Its clock (fixed).
pub const T0: u64 = 1_780_000_000;
/// The client id of the wallet whose attestations the harness trusts.
pub const CLIENT: &str = "fuzz-wallet";
/// Inputs served by one harness before it is built again (its memory store only grows).
const REBUILD_AFTER: u32 = 2000;

/// The key of the wallet provider the harness trusts (fixed, so seeds can be signed by it).
pub fn provider_key() -> TestWallet {
    match SigningKey::from_raw(Alg::Es256, &[7u8; 32]) {
        Ok(key) => TestWallet::from_key(key),
        Err(e) => panic!("fixed provider key: {e}"),
    }
}

/// The harness's metadata: one SD-JWT VC configuration with a scope, batches of 3.
pub fn metadata() -> CredentialIssuerMetadata {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata.batch_credential_issuance = Some(BatchCredentialIssuance { batch_size: 3 });
    let mut config = CredentialConfiguration::sd_jwt_vc(CONFIG);
    config.scope = Some("age".into());
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), config);
    metadata
}

/// The router, and what the harness set up through it.
struct Harness {
    runtime: tokio::runtime::Runtime,
    app: Router,
    /// An access token for [`CONFIG`].
    access_token: String,
    /// A session the revoke target may revoke.
    revocable: String,
    used: u32,
}

thread_local! {
    static HARNESS: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

fn build() -> Harness {
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(r) => r,
        Err(e) => panic!("runtime: {e}"),
    };
    let mut config = IssuerConfig::new(metadata());
    let provider = PublicKey::from_jwk_value(&provider_key().public_jwk());
    config.wallet_attestation = Some(WalletAttestationTrust {
        trusted_keys: provider.into_iter().collect(),
        ..WalletAttestationTrust::with_anchors(Vec::new())
    });
    let claims = BTreeMap::from([(CONFIG.to_owned(), json!({"age_over_18": true}))]);
    let encryption = match JweEncryption::generate() {
        Ok(e) => Arc::new(e),
        Err(e) => panic!("JWE keys: {e}"),
    };
    let lists = StatusListConfig::new(ISSUER, Arc::new(SdJwtVcMinter::generate()));
    let issuer = Issuer::new(config, MemoryStore::new(), SdJwtVcMinter::generate())
        .with_clock(Arc::new(ManualClock::new(T0)))
        .with_authorization_server(
            AuthorizationPolicy::default(),
            Arc::new(DemoUser::new("erika", "pw", claims)),
        )
        .with_encryption(encryption)
        .with_status_lists(lists);
    let issuer = match issuer {
        Ok(i) => Arc::new(i),
        Err(e) => panic!("status lists: {e}"),
    };
    let app = oid4vci_axum::router(issuer.clone(), None).merge(oid4vci_axum::admin_router(issuer));
    let mut harness = Harness {
        runtime,
        app,
        access_token: String::new(),
        revocable: String::new(),
        used: 0,
    };
    let offer = json!({"credential_configuration_ids": [CONFIG], "claims": {"age_over_18": true}});
    let (_, created) = harness.send(Method::POST, "/admin/offers", JSON, &[], offer.to_string());
    let code = created["credential_offer"]["grants"]
        ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let form = TokenRequest::pre_authorized(code.as_str(), None).to_form();
    let (_, token) = harness.send(Method::POST, "/token", FORM, &[], form);
    harness.access_token = token["access_token"].as_str().unwrap_or_default().into();
    let (_, other) = harness.send(Method::POST, "/admin/offers", JSON, &[], offer.to_string());
    harness.revocable = other["session_id"].as_str().unwrap_or_default().into();
    assert!(
        !harness.access_token.is_empty() && !harness.revocable.is_empty(),
        "the harness could not set itself up"
    );
    harness
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

impl Harness {
    /// Sends a request; asserts the issuer answered below 500 (503 only for outages, which the
    /// memory store never has). Returns the status and the JSON body (null when not JSON).
    fn send(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", content_type);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let Ok(request) = request.body(body.into()) else {
            return (StatusCode::BAD_REQUEST, Value::Null);
        };
        let app = self.app.clone();
        let (status, bytes) = self.runtime.block_on(async move {
            let response = match app.oneshot(request).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            (status, bytes)
        });
        assert!(
            status.as_u16() < 500,
            "{path} answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

fn with_harness(run: impl FnOnce(&Harness)) {
    HARNESS.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|h| h.used >= REBUILD_AFTER) {
            *slot = Some(build());
        }
        if let Some(h) = slot.as_mut() {
            h.used += 1;
            run(h);
        }
    });
}

/// Bytes as a header value, when they can be one.
fn header_text(data: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(data).ok()?;
    axum::http::HeaderValue::from_str(text).ok().map(|_| text)
}

/// A PAR body the harness accepts.
pub fn par_body() -> String {
    format!(
        "response_type=code&client_id={CLIENT}&redirect_uri=https%3A%2F%2Fwallet.example%2Fcb\
         &scope=age&code_challenge_method=S256\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
}

/// `POST /par` with the input as the `DPoP` header.
pub fn dpop_header(data: &[u8]) {
    let Some(proof) = header_text(data) else {
        return;
    };
    with_harness(|h| {
        h.send(Method::POST, "/par", FORM, &[("dpop", proof)], par_body());
    });
}

/// `POST /par` with the input split at its first newline into `OAuth-Client-Attestation` and
/// `OAuth-Client-Attestation-PoP`.
pub fn client_attestation(data: &[u8]) {
    let (attestation, pop) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => {
            let (first, rest) = data.split_at(at);
            (first, rest.get(1..).unwrap_or_default())
        }
        None => (data, &[][..]),
    };
    let (Some(attestation), Some(pop)) = (header_text(attestation), header_text(pop)) else {
        return;
    };
    with_harness(|h| {
        let headers = [
            ("oauth-client-attestation", attestation),
            ("oauth-client-attestation-pop", pop),
        ];
        h.send(Method::POST, "/par", FORM, &headers, par_body());
    });
}

/// `POST /credential` with a valid access token and the input as its JSON body.
pub fn credential_endpoint(data: &[u8]) {
    let body = data.to_vec();
    with_harness(|h| {
        let bearer = format!("Bearer {}", h.access_token);
        h.send(
            Method::POST,
            "/credential",
            JSON,
            &[("authorization", &bearer)],
            body,
        );
    });
}

/// `POST /credential` with a valid access token and the input as a compact JWE
/// (`application/jwt`): the decrypt path.
pub fn jwe_request(data: &[u8]) {
    let body = data.to_vec();
    with_harness(|h| {
        let bearer = format!("Bearer {}", h.access_token);
        h.send(
            Method::POST,
            "/credential",
            "application/jwt",
            &[("authorization", &bearer)],
            body,
        );
    });
}

/// `POST /authorize`: the login form.
pub fn login_form(data: &[u8]) {
    let body = data.to_vec();
    with_harness(|h| {
        h.send(Method::POST, "/authorize", FORM, &[], body);
    });
}

/// `POST /admin/offers`: the operator's offer body (claims go through the minter's checks).
pub fn admin_offer(data: &[u8]) {
    let body = data.to_vec();
    with_harness(|h| {
        h.send(Method::POST, "/admin/offers", JSON, &[], body);
    });
}

/// `POST /admin/sessions/{id}/revoke` and `.../claims`: the operator's revoke and claims bodies.
pub fn admin_revoke(data: &[u8]) {
    let body = data.to_vec();
    with_harness(|h| {
        let revoke = format!("/admin/sessions/{}/revoke", h.revocable);
        h.send(Method::POST, &revoke, JSON, &[], body.clone());
        let claims = format!("/admin/sessions/{}/claims", h.revocable);
        h.send(Method::POST, &claims, JSON, &[], body);
    });
}

/// The status-list paths: `GET /status-lists/{input}` and the admin revocation of one entry.
pub fn status_list_path(data: &[u8]) {
    let mut segment = String::new();
    for b in data {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(b) {
            segment.push(char::from(*b));
        } else {
            segment.push_str(&format!("%{b:02X}"));
        }
    }
    with_harness(|h| {
        h.send(
            Method::GET,
            &format!("/status-lists/{segment}"),
            JSON,
            &[],
            Vec::new(),
        );
        let revoke = format!(
            "/admin/sessions/{}/credentials/{segment}/revoke",
            h.revocable
        );
        h.send(Method::POST, &revoke, JSON, &[], "{}");
    });
}
