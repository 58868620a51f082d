//! The authorization-code flow over HTTP (PAR, login page, code exchange) and its refusals:
//! each negative test checks the error code and the entry the session log gained.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use oid4vci_authorization::{AuthorizationPolicy, CodeChallenge, DemoUser, RedirectRules};
use oid4vci_issuer::{
    Issuer, IssuerConfig, LookupKind, ManualClock, MemoryStore, SecretHash, SessionStore,
};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

const ISSUER: &str = "https://issuer.example.com";
const CONFIG: &str = "eu.europa.ec.av.1";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "https://wallet.example/cb";
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
const JSON: (&str, &str) = ("content-type", "application/json");

type TestIssuer = Issuer<MemoryStore, SdJwtVcMinter>;

struct Env {
    app: Router,
    clock: ManualClock,
    issuer: Arc<TestIssuer>,
}

fn env() -> Env {
    env_with(AuthorizationPolicy::default())
}

fn env_with(policy: AuthorizationPolicy) -> Env {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let clock = ManualClock::new(now);
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    let mut config = CredentialConfiguration::sd_jwt_vc(CONFIG);
    config.scope = Some("age".into());
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), config);
    let claims = BTreeMap::from([(CONFIG.to_owned(), json!({"age_over_18": true}))]);
    let issuer = Arc::new(
        Issuer::new(
            IssuerConfig::new(metadata),
            MemoryStore::new(),
            SdJwtVcMinter::generate(),
        )
        .with_clock(Arc::new(clock.clone()))
        .with_authorization_server(policy, Arc::new(DemoUser::new("erika", "pw", claims))),
    );
    let app = oid4vci_axum::router(issuer.clone(), None)
        .merge(oid4vci_axum::admin_router(issuer.clone()));
    Env { app, clock, issuer }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
    fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
    /// The query parameters of the redirect.
    fn redirect_params(&self) -> BTreeMap<String, String> {
        let url = url::Url::parse(&self.location()).expect("absolute redirect");
        url.query_pairs().into_owned().collect()
    }
    /// The value of a hidden form field.
    fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.text.find(&marker).expect("field present") + marker.len();
        let end = self.text[start..].find('"').expect("closing quote") + start;
        self.text[start..end].to_owned()
    }
}

async fn call(env: &Env, method: &str, uri: &str, headers: &[(&str, &str)], body: String) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = env
        .app
        .clone()
        .oneshot(req.body(Body::from(body)).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    Reply {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        f.append_pair(k, v);
    }
    f.finish()
}

fn par_params<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("response_type", "code"),
        ("client_id", "wallet-1"),
        ("redirect_uri", REDIRECT),
        ("state", "st-1"),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        p.retain(|(name, _)| name != k);
        p.push((k, v));
    }
    p
}

async fn par(env: &Env, params: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
    let challenge = CodeChallenge::of_verifier(VERIFIER);
    let mut all: Vec<(&str, &str)> = vec![("code_challenge", challenge.as_str())];
    all.extend(params.iter().filter(|(k, _)| *k != "code_challenge"));
    if let Some(c) = params.iter().find(|(k, _)| *k == "code_challenge") {
        all[0] = *c;
    }
    all.retain(|(_, v)| !v.is_empty());
    let mut h = vec![FORM];
    h.extend_from_slice(headers);
    call(env, "POST", "/par", &h, form(&all)).await
}

async fn page(env: &Env, client_id: &str, request_uri: &str) -> Reply {
    let q = form(&[("client_id", client_id), ("request_uri", request_uri)]);
    call(env, "GET", &format!("/authorize?{q}"), &[], String::new()).await
}

async fn submit(env: &Env, shown: &Reply, action: &str, password: &str) -> Reply {
    let body = form(&[
        ("request_uri", &shown.field("request_uri")),
        ("form_token", &shown.field("form_token")),
        ("username", "erika"),
        ("password", password),
        ("action", action),
    ]);
    call(env, "POST", "/authorize", &[FORM], body).await
}

/// PAR with `extra`, the page, approval: the redirect.
async fn approve(env: &Env, extra: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
    let pushed = par(env, &par_params(extra), headers).await;
    assert_eq!(pushed.status, StatusCode::CREATED, "{}", pushed.text);
    let shown = page(
        env,
        "wallet-1",
        pushed.json()["request_uri"].as_str().unwrap_or(""),
    )
    .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    let done = submit(env, &shown, "approve", "pw").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    done
}

async fn token(
    env: &Env,
    code: &str,
    verifier: &str,
    redirect: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", verifier),
        ("redirect_uri", redirect),
        ("client_id", "wallet-1"),
    ]);
    let mut h = vec![FORM];
    h.extend_from_slice(headers);
    call(env, "POST", "/token", &h, body).await
}

/// Event types of the session a secret of `kind` finds.
async fn log_of(env: &Env, kind: LookupKind, secret: &str) -> Vec<Value> {
    let session = env
        .issuer
        .store()
        .find(kind, &SecretHash::of(secret))
        .await
        .expect("store")
        .expect("session");
    session
        .events
        .iter()
        .map(|e| serde_json::to_value(e).expect("event"))
        .collect()
}

async fn log_of_session(env: &Env, id: &str) -> Vec<Value> {
    let s = env.issuer.inspect(id).await.expect("session");
    s.events
        .iter()
        .map(|e| serde_json::to_value(e).expect("event"))
        .collect()
}

fn last(log: &[Value]) -> (&str, &str) {
    let e = log.last().expect("an event");
    (
        e["type"].as_str().unwrap_or_default(),
        e["details"]["error"].as_str().unwrap_or_default(),
    )
}

async fn offer_with_issuer_state(env: &Env) -> (String, String) {
    let body = json!({"credential_configuration_ids": [CONFIG], "pre_authorized": false,
        "authorization_code": {}, "claims": {"age_over_18": true}});
    let created = call(env, "POST", "/admin/offers", &[JSON], body.to_string()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let v = created.json();
    let state = v["credential_offer"]["grants"]["authorization_code"]["issuer_state"]
        .as_str()
        .expect("issuer_state")
        .to_owned();
    (v["session_id"].as_str().expect("id").to_owned(), state)
}

async fn credential(env: &Env, access_token: &str, selector: Value) -> Reply {
    let nonce = call(env, "POST", "/nonce", &[], String::new()).await.json()["c_nonce"]
        .as_str()
        .expect("nonce")
        .to_owned();
    let wallet = TestWallet::new();
    let mut body = selector;
    body["proofs"] = json!({"jwt": [wallet.proof(ISSUER, Some(&nonce), env_now(env))]});
    let auth = format!("Bearer {access_token}");
    call(
        env,
        "POST",
        "/credential",
        &[JSON, ("authorization", &auth)],
        body.to_string(),
    )
    .await
}

fn env_now(env: &Env) -> u64 {
    use oid4vci_issuer::Clock;
    env.clock.now()
}

#[tokio::test]
async fn metadata_alone_scope_flow_issues_a_credential() {
    let env = env();
    let meta = call(
        &env,
        "GET",
        "/.well-known/oauth-authorization-server",
        &[],
        String::new(),
    )
    .await
    .json();
    assert_eq!(
        meta["authorization_endpoint"],
        format!("{ISSUER}/authorize")
    );
    assert_eq!(
        meta["pushed_authorization_request_endpoint"],
        format!("{ISSUER}/par")
    );
    assert_eq!(meta["require_pushed_authorization_requests"], true);
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    assert!(meta["grant_types_supported"]
        .as_array()
        .expect("grants")
        .contains(&json!("authorization_code")));
    assert!(meta["dpop_signing_alg_values_supported"].is_array());

    let done = approve(&env, &[("scope", "age")], &[]).await;
    let params = done.redirect_params();
    assert!(done.location().starts_with(REDIRECT));
    assert_eq!(params["state"], "st-1");
    assert_eq!(params["iss"], ISSUER);
    let code = params["code"].clone();
    let issued = token(&env, &code, VERIFIER, REDIRECT, &[]).await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.text);
    assert_eq!(issued.json()["token_type"], "Bearer");
    assert!(
        issued.json()["authorization_details"].is_null(),
        "scope requests get no identifiers"
    );
    let log = log_of(&env, LookupKind::AuthorizationCode, &code).await;
    let kinds: Vec<&str> = log.iter().filter_map(|e| e["type"].as_str()).collect();
    for k in [
        "par_received",
        "authorization_requested",
        "authorization_approved",
        "code_exchanged",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let access = issued.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let cred = credential(
        &env,
        &access,
        json!({"credential_configuration_id": CONFIG}),
    )
    .await;
    assert_eq!(cred.status, StatusCode::OK, "{}", cred.text);
    assert!(cred.json()["credentials"][0]["credential"].is_string());
}

#[tokio::test]
async fn authorization_details_flow_returns_credential_identifiers() {
    let env = env();
    let details =
        json!([{"type": "openid_credential", "credential_configuration_id": CONFIG}]).to_string();
    let done = approve(&env, &[("authorization_details", &details)], &[]).await;
    let issued = token(
        &env,
        &done.redirect_params()["code"],
        VERIFIER,
        REDIRECT,
        &[],
    )
    .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.text);
    let body = issued.json();
    let id = body["authorization_details"][0]["credential_identifiers"][0]
        .as_str()
        .expect("an identifier")
        .to_owned();
    let access = body["access_token"].as_str().expect("token").to_owned();
    let unknown = credential(
        &env,
        &access,
        json!({"credential_identifier": "not-issued"}),
    )
    .await;
    assert_eq!(unknown.error(), "unknown_credential_identifier");
    let cred = credential(&env, &access, json!({"credential_identifier": id})).await;
    assert_eq!(cred.status, StatusCode::OK, "{}", cred.text);
}

#[tokio::test]
async fn offer_with_issuer_state_binds_the_request_to_the_offer_for_every_client() {
    let env = env();
    let (session_id, state) = offer_with_issuer_state(&env).await;
    let done = approve(&env, &[("issuer_state", &state)], &[]).await;
    let issued = token(
        &env,
        &done.redirect_params()["code"],
        VERIFIER,
        REDIRECT,
        &[],
    )
    .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.text);
    let log = log_of_session(&env, &session_id).await;
    assert_eq!(log[0]["type"], "offer_created");
    assert!(log.iter().any(|e| e["type"] == "code_exchanged"));
    // Another client with the same issuer_state (the OIDF multiple-clients module) gets an
    // authorization of its own, on a copy of the offer that the offer's log links to.
    let pushed = par(
        &env,
        &par_params(&[("issuer_state", &state), ("client_id", "wallet-2")]),
        &[],
    )
    .await;
    assert_eq!(pushed.status, StatusCode::CREATED, "{}", pushed.text);
    let request_uri = pushed.json()["request_uri"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let reused = log_of_session(&env, &session_id).await;
    let (kind, _) = last(&reused);
    assert_eq!(kind, "offer_reused");
    let copy = reused.last().expect("event")["details"]["session_id"]
        .as_str()
        .expect("the copy's id")
        .to_owned();
    assert_ne!(copy, session_id);
    assert_eq!(
        reused.last().expect("event")["details"]["client_id"],
        "wallet-2"
    );
    let shown = page(&env, "wallet-2", &request_uri).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    let second = submit(&env, &shown, "approve", "pw").await;
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.text);
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", &second.redirect_params()["code"]),
        ("code_verifier", VERIFIER),
        ("redirect_uri", REDIRECT),
        ("client_id", "wallet-2"),
    ]);
    let second_token = call(&env, "POST", "/token", &[FORM], body).await;
    assert_eq!(second_token.status, StatusCode::OK, "{}", second_token.text);
    let access = second_token.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_ne!(access, issued.json()["access_token"].as_str().unwrap_or(""));
    let id = second_token.json()["authorization_details"][0]["credential_identifiers"][0]
        .as_str()
        .map(str::to_owned);
    let selector = match id {
        Some(id) => json!({"credential_identifier": id}),
        None => json!({"credential_configuration_id": CONFIG}),
    };
    let cred = credential(&env, &access, selector).await;
    assert_eq!(cred.status, StatusCode::OK, "{}", cred.text);
    // The copy's flow is logged in the copy; the offer's pre-authorized-free lookups stay
    // with the offer.
    let copied = log_of_session(&env, &copy).await;
    assert!(
        copied.iter().any(|e| e["type"] == "code_exchanged"),
        "{copied:?}"
    );
    assert!(
        copied.iter().any(|e| e["type"] == "credential_issued"),
        "{copied:?}"
    );
    // Only while the offer lasts.
    env.clock.advance(24 * 3600);
    let late = par(
        &env,
        &par_params(&[("issuer_state", &state), ("client_id", "wallet-3")]),
        &[],
    )
    .await;
    assert_eq!(late.error(), "invalid_request", "{}", late.text);
    assert!(late.text.contains("expired"), "{}", late.text);
}

#[tokio::test]
async fn an_offer_without_an_authorization_server_has_no_authorization_code_grant() {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let issuer = Issuer::new(
        IssuerConfig::new(metadata),
        MemoryStore::new(),
        SdJwtVcMinter::generate(),
    );
    let refused = issuer
        .create_offer(oid4vci_issuer::OfferSpec {
            credential_configuration_ids: vec![CONFIG.into()],
            authorization_code: Some(Default::default()),
            ..Default::default()
        })
        .await;
    assert!(matches!(
        refused,
        Err(oid4vci_issuer::IssuerError::Unsupported(_))
    ));
    let meta = issuer.authorization_server_metadata();
    assert!(meta.authorization_endpoint.is_none());
    assert!(!meta
        .extra
        .contains_key("pushed_authorization_request_endpoint"));
}

#[tokio::test]
async fn missing_or_plain_pkce_is_refused_and_logged() {
    let env = env();
    let (session_id, state) = offer_with_issuer_state(&env).await;
    let missing = par(
        &env,
        &par_params(&[
            ("issuer_state", &state),
            ("code_challenge", ""),
            ("code_challenge_method", ""),
        ]),
        &[],
    )
    .await;
    assert_eq!(
        (missing.status, missing.error().as_str()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    assert_eq!(
        last(&log_of_session(&env, &session_id).await),
        ("par_rejected", "invalid_request")
    );
    let plain = par(
        &env,
        &par_params(&[
            ("issuer_state", &state),
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ]),
        &[],
    )
    .await;
    assert_eq!(plain.error(), "invalid_request");
    assert!(plain.json()["error_description"]
        .as_str()
        .unwrap_or_default()
        .contains("plain"));
    let log = log_of_session(&env, &session_id).await;
    assert_eq!(
        log.iter().filter(|e| e["type"] == "par_rejected").count(),
        2
    );
}

#[tokio::test]
async fn wrong_code_verifier_is_refused_and_logged() {
    let env = env();
    let done = approve(&env, &[("scope", "age")], &[]).await;
    let code = done.redirect_params()["code"].clone();
    let wrong = token(&env, &code, &VERIFIER.replace('d', "e"), REDIRECT, &[]).await;
    assert_eq!(wrong.error(), "invalid_grant");
    assert_eq!(
        last(&log_of(&env, LookupKind::AuthorizationCode, &code).await),
        ("token_rejected", "invalid_grant")
    );
    let missing = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("client_id", "wallet-1"),
    ]);
    let missing = call(&env, "POST", "/token", &[FORM], missing).await;
    // A code issued with a challenge and redeemed without its verifier fails PKCE: invalid_grant
    // (RFC 7636 Section 4.6; what the OIDF HAIP plan's PKCE module expects).
    assert_eq!(missing.error(), "invalid_grant");
    assert_eq!(
        last(&log_of(&env, LookupKind::AuthorizationCode, &code).await),
        ("token_rejected", "invalid_grant")
    );
}

#[tokio::test]
async fn code_reuse_fails_and_revokes_the_first_token() {
    let env = env();
    let done = approve(&env, &[("scope", "age")], &[]).await;
    let code = done.redirect_params()["code"].clone();
    let first = token(&env, &code, VERIFIER, REDIRECT, &[]).await;
    assert_eq!(first.status, StatusCode::OK);
    let access = first.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let second = token(&env, &code, VERIFIER, REDIRECT, &[]).await;
    assert_eq!(second.error(), "invalid_grant");
    let log = log_of(&env, LookupKind::AuthorizationCode, &code).await;
    let reuse = log
        .iter()
        .find(|e| e["type"] == "code_reuse_detected")
        .expect("reuse logged");
    assert_eq!(reuse["details"]["tokens_revoked"], true);
    assert_eq!(last(&log), ("token_rejected", "invalid_grant"));
    let revoked = credential(
        &env,
        &access,
        json!({"credential_configuration_id": CONFIG}),
    )
    .await;
    assert_eq!(
        (revoked.status, revoked.error().as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
}

#[tokio::test]
async fn an_expired_code_is_refused_and_logged() {
    let env = env();
    let done = approve(&env, &[("scope", "age")], &[]).await;
    let code = done.redirect_params()["code"].clone();
    env.clock.advance(61);
    let late = token(&env, &code, VERIFIER, REDIRECT, &[]).await;
    assert_eq!(late.error(), "invalid_grant");
    let log = log_of(&env, LookupKind::AuthorizationCode, &code).await;
    assert_eq!(last(&log), ("token_rejected", "invalid_grant"));
    assert!(log.last().expect("event")["details"]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("expired"));
}

#[tokio::test]
async fn a_request_uri_is_used_up_by_the_decision_and_expires() {
    let env = env();
    let pushed = par(&env, &par_params(&[("scope", "age")]), &[]).await;
    assert_eq!(pushed.json()["expires_in"], 60);
    let uri = pushed.json()["request_uri"]
        .as_str()
        .expect("uri")
        .to_owned();
    assert!(uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    // Loaded twice before the user decides (FAPI 2.0 SP 5.3.2.2 note 3): the second page's form
    // replaces the first's, and the request is used up by the decision.
    let first = page(&env, "wallet-1", &uri).await;
    assert_eq!(first.status, StatusCode::OK);
    let reloaded = page(&env, "wallet-1", &uri).await;
    assert_eq!(reloaded.status, StatusCode::OK);
    let stale = submit(&env, &first, "approve", "pw").await;
    assert_ne!(
        stale.status,
        StatusCode::SEE_OTHER,
        "the first form is stale"
    );
    let done = submit(&env, &reloaded, "approve", "pw").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let again = page(&env, "wallet-1", &uri).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.text.contains("invalid_request_uri"), "{}", again.text);

    let pushed = par(&env, &par_params(&[("scope", "age")]), &[]).await;
    let uri = pushed.json()["request_uri"]
        .as_str()
        .expect("uri")
        .to_owned();
    env.clock.advance(61);
    let late = page(&env, "wallet-1", &uri).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert!(late.text.contains("expired"));
    assert_eq!(
        last(&log_of(&env, LookupKind::RequestUri, &uri).await),
        ("authorization_rejected", "invalid_request_uri")
    );
}

#[tokio::test]
async fn an_authorization_request_without_par_is_refused() {
    let env = env();
    let challenge = CodeChallenge::of_verifier(VERIFIER);
    let q = form(&[
        ("response_type", "code"),
        ("client_id", "wallet-1"),
        ("redirect_uri", REDIRECT),
        ("scope", "age"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    let direct = call(&env, "GET", &format!("/authorize?{q}"), &[], String::new()).await;
    assert_eq!(direct.status, StatusCode::BAD_REQUEST);
    assert!(
        direct
            .text
            .contains("<code id=\"error-code\">invalid_request</code>"),
        "{}",
        direct.text
    );
    assert!(direct.text.contains("pushed authorization requests"));
    assert!(
        direct.headers.get(header::LOCATION).is_none(),
        "never redirected to an unchecked URI"
    );
}

#[tokio::test]
async fn redirect_uri_rules_and_mismatch_are_enforced_and_logged() {
    let env = env_with(AuthorizationPolicy {
        redirect: RedirectRules {
            allow_list: Some(vec![REDIRECT.into()]),
        },
        ..AuthorizationPolicy::default()
    });
    let (session_id, state) = offer_with_issuer_state(&env).await;
    let other = par(
        &env,
        &par_params(&[
            ("issuer_state", &state),
            ("redirect_uri", "https://evil.example/cb"),
        ]),
        &[],
    )
    .await;
    assert_eq!(other.error(), "invalid_request");
    assert_eq!(
        last(&log_of_session(&env, &session_id).await),
        ("par_rejected", "invalid_request")
    );

    let done = approve(&env, &[("issuer_state", &state)], &[]).await;
    let code = done.redirect_params()["code"].clone();
    let mismatch = token(&env, &code, VERIFIER, "https://wallet.example/other", &[]).await;
    assert_eq!(mismatch.error(), "invalid_grant");
    let log = log_of_session(&env, &session_id).await;
    assert_eq!(last(&log), ("token_rejected", "invalid_grant"));
    assert!(log.last().expect("event")["details"]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("redirect_uri"));
}

#[tokio::test]
async fn unknown_scope_and_unknown_configuration_are_refused_and_logged() {
    let env = env();
    let (session_id, state) = offer_with_issuer_state(&env).await;
    let scope = par(
        &env,
        &par_params(&[("issuer_state", &state), ("scope", "nope")]),
        &[],
    )
    .await;
    assert_eq!(scope.error(), "invalid_scope");
    assert_eq!(
        last(&log_of_session(&env, &session_id).await),
        ("par_rejected", "invalid_scope")
    );
    let details =
        json!([{"type": "openid_credential", "credential_configuration_id": "nope"}]).to_string();
    let unknown = par(
        &env,
        &par_params(&[
            ("issuer_state", &state),
            ("authorization_details", &details),
        ]),
        &[],
    )
    .await;
    assert_eq!(unknown.error(), "invalid_authorization_details");
    assert_eq!(
        last(&log_of_session(&env, &session_id).await),
        ("par_rejected", "invalid_authorization_details")
    );
    let fresh = par(&env, &par_params(&[("scope", "nope")]), &[]).await;
    assert_eq!(fresh.error(), "invalid_scope", "also without an offer");
}

#[tokio::test]
async fn state_is_echoed_exactly_and_markup_is_escaped() {
    let env = env();
    let state = "a b&c=<x>\"'é";
    let pushed = par(
        &env,
        &par_params(&[
            ("scope", "age"),
            ("state", state),
            ("client_id", "<script>alert(1)</script>"),
        ]),
        &[],
    )
    .await;
    let uri = pushed.json()["request_uri"]
        .as_str()
        .expect("uri")
        .to_owned();
    let shown = page(&env, "<script>alert(1)</script>", &uri).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert!(
        !shown.text.contains("<script>"),
        "client_id must be escaped"
    );
    assert!(shown.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(shown.text.contains("<label for=\"username\">"));
    let csp = shown
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(csp.contains("default-src 'none'"));
    let done = submit(&env, &shown, "approve", "pw").await;
    assert_eq!(done.redirect_params()["state"], state);
}

#[tokio::test]
async fn denial_redirects_with_access_denied_and_is_logged() {
    let env = env();
    let pushed = par(&env, &par_params(&[("scope", "age")]), &[]).await;
    let uri = pushed.json()["request_uri"]
        .as_str()
        .expect("uri")
        .to_owned();
    let shown = page(&env, "wallet-1", &uri).await;
    let denied = submit(&env, &shown, "deny", "").await;
    assert_eq!(denied.status, StatusCode::SEE_OTHER);
    let params = denied.redirect_params();
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "st-1");
    assert_eq!(params["iss"], ISSUER);
    assert!(!params.contains_key("code"));
    let session = env
        .issuer
        .store()
        .find(LookupKind::RequestUri, &SecretHash::of(&uri))
        .await
        .expect("store");
    assert!(session.is_none(), "a denied request_uri is gone");
}

#[tokio::test]
async fn a_wrong_password_shows_the_page_again_and_a_forged_form_is_refused() {
    let env = env();
    let pushed = par(&env, &par_params(&[("scope", "age")]), &[]).await;
    let uri = pushed.json()["request_uri"]
        .as_str()
        .expect("uri")
        .to_owned();
    let shown = page(&env, "wallet-1", &uri).await;
    let wrong = submit(&env, &shown, "approve", "nope").await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert!(wrong.text.contains("role=\"alert\""), "{}", wrong.text);
    assert_eq!(
        last(&log_of(&env, LookupKind::RequestUri, &uri).await).0,
        "login_failed"
    );
    let forged = form(&[
        ("request_uri", &uri),
        ("form_token", "forged"),
        ("username", "erika"),
        ("password", "pw"),
    ]);
    let forged = call(&env, "POST", "/authorize", &[FORM], forged).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        last(&log_of(&env, LookupKind::RequestUri, &uri).await),
        ("authorization_rejected", "invalid_request")
    );
    let ok = submit(&env, &wrong, "approve", "pw").await;
    assert_eq!(
        ok.status,
        StatusCode::SEE_OTHER,
        "the re-shown page still works"
    );
}

#[tokio::test]
async fn dpop_at_par_binds_the_code_to_the_key() {
    let env = env();
    let wallet = TestWallet::new();
    let now = env_now(&env);
    let proof = wallet.dpop_proof(&format!("{ISSUER}/par"), None, now);
    let done = approve(&env, &[("scope", "age")], &[("dpop", &proof)]).await;
    let code = done.redirect_params()["code"].clone();
    let without = token(&env, &code, VERIFIER, REDIRECT, &[]).await;
    assert_eq!(without.error(), "invalid_grant");
    assert_eq!(
        last(&log_of(&env, LookupKind::AuthorizationCode, &code).await),
        ("token_rejected", "invalid_grant")
    );
    let other = TestWallet::new().dpop_proof(&format!("{ISSUER}/token"), None, now);
    assert_eq!(
        token(&env, &code, VERIFIER, REDIRECT, &[("dpop", &other)])
            .await
            .error(),
        "invalid_grant"
    );
    let right = wallet.dpop_proof(&format!("{ISSUER}/token"), None, now);
    let bound = token(&env, &code, VERIFIER, REDIRECT, &[("dpop", &right)]).await;
    assert_eq!(bound.status, StatusCode::OK, "{}", bound.text);
    assert_eq!(bound.json()["token_type"], "DPoP");
}

#[tokio::test]
async fn an_unknown_code_consumes_no_dpop_proof() {
    let env = env();
    let wallet = TestWallet::new();
    let proof = wallet.dpop_proof(&format!("{ISSUER}/token"), None, env_now(&env));
    let unknown = token(
        &env,
        "no-such-code",
        VERIFIER,
        REDIRECT,
        &[("dpop", &proof)],
    )
    .await;
    assert_eq!(unknown.error(), "invalid_grant");
    // The same proof still works for a real code: its jti was not recorded.
    let done = approve(&env, &[("scope", "age")], &[]).await;
    let ok = token(
        &env,
        &done.redirect_params()["code"],
        VERIFIER,
        REDIRECT,
        &[("dpop", &proof)],
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

/// Issue #20 finding 3 (consent phishing): the page shows where the authorization goes (the
/// redirect URI's origin) whatever the client calls itself, and marks a client that is neither
/// attested nor on the operator's redirect allow-list as unverified.
#[tokio::test]
async fn the_consent_page_shows_the_destination_and_unverified_clients() {
    let env = env();
    let pushed = par(
        &env,
        &par_params(&[
            ("client_id", "EU Digital Identity Wallet (official)"),
            ("redirect_uri", "https://evil.example/steal"),
            ("scope", "age"),
        ]),
        &[],
    )
    .await;
    assert_eq!(pushed.status, StatusCode::CREATED, "{}", pushed.text);
    let uri = pushed.json()["request_uri"]
        .as_str()
        .expect("uri")
        .to_owned();
    let shown = page(&env, "EU Digital Identity Wallet (official)", &uri).await;
    assert_eq!(shown.status, StatusCode::OK);
    let origin = shown
        .text
        .split("id=\"redirect-origin\"")
        .nth(1)
        .expect("the destination is shown");
    assert!(origin.contains("https://evil.example"), "{origin}");
    assert!(
        shown.text.contains("id=\"client-unverified\""),
        "unverified is marked"
    );

    let listed = env_with(AuthorizationPolicy {
        redirect: RedirectRules {
            allow_list: Some(vec![REDIRECT.into()]),
        },
        ..AuthorizationPolicy::default()
    });
    let pushed = par(&listed, &par_params(&[("scope", "age")]), &[]).await;
    let uri = pushed.json()["request_uri"]
        .as_str()
        .expect("uri")
        .to_owned();
    let shown = page(&listed, "wallet-1", &uri).await;
    assert!(
        !shown.text.contains("id=\"client-unverified\""),
        "allow-listed redirect: verified"
    );
    assert!(
        shown.text.contains("https://wallet.example"),
        "{}",
        shown.text
    );
}
