//! Abuse of the authorization server's free requests (issue #20):
//! - brute force on the login page (finding 2): a new pushed request is free, so the
//!   per-request limit alone let 100 wrong passwords through in 0.2 s. Failed sign-ins now back
//!   off per account and per client address, answered with `429` and `Retry-After`, with the
//!   same page whether the user exists or not, and logged;
//! - storage filled through PAR (finding 10): 300 PARs in 0.2 s wrote 3 MB, an unused 60 KB
//!   `authorization_details` member stored as sent. PARs are now rate-limited per address and
//!   store only what the issuer uses.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use oid4vci_authorization::{
    AddressRateLimit, AuthorizationPolicy, CodeChallenge, DemoUser, LoginThrottle, RateLimiter,
    SignInThrottle,
};
use oid4vci_axum::ClientAddress;
use oid4vci_issuer::{
    Issuer, IssuerConfig, LookupKind, ManualClock, MemoryStore, SecretHash, SessionStore,
};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{CredentialConfiguration, CredentialIssuerMetadata};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use tower::ServiceExt;

const CONFIG: &str = "eu.europa.ec.av.1";

struct Env {
    app: Router,
    clock: ManualClock,
    issuer: Arc<TestIssuer>,
}

fn env() -> Env {
    env_with_router(|router| router)
}

fn env_with_router(wrap: impl FnOnce(Router) -> Router) -> Env {
    env_with(wrap, |issuer| issuer)
}

type TestIssuer = Issuer<MemoryStore, SdJwtVcMinter>;

fn env_with(
    wrap: impl FnOnce(Router) -> Router,
    customize: impl FnOnce(TestIssuer) -> TestIssuer,
) -> Env {
    let clock = ManualClock::new(1_800_000_000);
    let mut metadata = CredentialIssuerMetadata::new("https://issuer.example.com");
    let mut config = CredentialConfiguration::sd_jwt_vc(CONFIG);
    config.scope = Some("age".into());
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), config);
    let claims = BTreeMap::from([(CONFIG.to_owned(), serde_json::json!({"age_over_18": true}))]);
    let issuer = Arc::new(customize(
        Issuer::new(
            IssuerConfig::new(metadata),
            MemoryStore::new(),
            SdJwtVcMinter::generate(),
        )
        .with_clock(Arc::new(clock.clone()))
        .with_authorization_server(
            AuthorizationPolicy::default(),
            Arc::new(DemoUser::new("erika", "pw", claims)),
        ),
    ));
    Env {
        app: wrap(oid4vci_axum::router(issuer.clone(), None)),
        clock,
        issuer,
    }
}

struct Reply {
    status: StatusCode,
    retry_after: Option<String>,
    text: String,
}

async fn call(env: &Env, method: &str, uri: &str, body: String, from: Option<&str>) -> Reply {
    call_with(env, method, uri, body, from, &[]).await
}

async fn call_with(
    env: &Env,
    method: &str,
    uri: &str,
    body: String,
    from: Option<&str>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/x-www-form-urlencoded");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::from(body)).expect("request");
    if let Some(address) = from {
        let ip: IpAddr = address.parse().expect("address");
        req.extensions_mut().insert(ClientAddress(ip));
    }
    let resp = env.app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    Reply {
        status,
        retry_after,
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

fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).expect("field") + marker.len();
    let len = page[start..].find('"').expect("quote");
    page[start..start + len].to_owned()
}

fn par_body(extra: &[(&str, &str)]) -> String {
    let challenge = CodeChallenge::of_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "wallet-1"),
        ("redirect_uri", "https://wallet.example/cb"),
        ("code_challenge_method", "S256"),
        ("code_challenge", challenge.as_str()),
    ];
    pairs.extend_from_slice(extra);
    form(&pairs)
}

/// A fresh pushed request and its login page: (request_uri, form_token).
async fn fresh_page(env: &Env) -> (String, String) {
    let pushed = call(env, "POST", "/par", par_body(&[("scope", "age")]), None).await;
    assert_eq!(pushed.status, StatusCode::CREATED, "{}", pushed.text);
    let json: serde_json::Value = serde_json::from_str(&pushed.text).expect("json");
    let uri = json["request_uri"]
        .as_str()
        .expect("request_uri")
        .to_owned();
    let q = form(&[("client_id", "wallet-1"), ("request_uri", &uri)]);
    let page = call(env, "GET", &format!("/authorize?{q}"), String::new(), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let token = hidden(&page.text, "form_token");
    (uri, token)
}

/// One sign-in on a fresh request (new requests are free: the attack of the finding).
async fn sign_in(env: &Env, user: &str, password: &str, from: Option<&str>) -> (Reply, String) {
    let (uri, token) = fresh_page(env).await;
    let body = form(&[
        ("request_uri", &uri),
        ("form_token", &token),
        ("username", user),
        ("password", password),
        ("action", "approve"),
    ]);
    (call(env, "POST", "/authorize", body, from).await, uri)
}

async fn last_event(env: &Env, request_uri: &str) -> serde_json::Value {
    let session = env
        .issuer
        .store()
        .find(LookupKind::RequestUri, &SecretHash::of(request_uri))
        .await
        .expect("store")
        .expect("session");
    serde_json::to_value(session.events().last().expect("an event")).expect("event")
}

/// The statuses of wrong passwords for `user`, one per fresh request, until the first 429.
async fn statuses_until_throttled(env: &Env, user: &str) -> Vec<u16> {
    let mut seen = Vec::new();
    for _ in 0..20 {
        let (reply, _) = sign_in(env, user, "wrong", None).await;
        seen.push(reply.status.as_u16());
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    seen
}

#[tokio::test]
async fn an_account_backs_off_after_five_free_failures_and_the_wait_is_bounded() {
    let env = env();
    // Six wrong passwords are checked (five free, the sixth starts the wait), the seventh waits.
    assert_eq!(
        statuses_until_throttled(&env, "erika").await,
        [200, 200, 200, 200, 200, 200, 429]
    );
    // While the account waits even the right password is not checked.
    let (held, uri) = sign_in(&env, "erika", "pw", None).await;
    assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(held.retry_after.as_deref(), Some("1"));
    assert!(
        held.text.contains("Too many failed sign-ins"),
        "{}",
        held.text
    );
    assert!(
        held.text.contains("role=\"alert\""),
        "the page is shown again"
    );
    let logged = last_event(&env, &uri).await;
    assert_eq!(logged["type"], "login_throttled");
    assert_eq!(logged["details"]["retry_after"], 1);
    // The page held back still works once the wait is over...
    env.clock.advance(1);
    let (ok, _) = sign_in(&env, "erika", "pw", None).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    // ... and the success cleared the account's failures.
    assert_eq!(
        statuses_until_throttled(&env, "erika").await,
        [200, 200, 200, 200, 200, 200, 429]
    );
    // Each further failure doubles the wait.
    env.clock.advance(1);
    let (_, _) = sign_in(&env, "erika", "wrong", None).await;
    let (held, _) = sign_in(&env, "erika", "pw", None).await;
    assert_eq!(held.retry_after.as_deref(), Some("2"));
    let stats = env.issuer.login_throttle_stats().expect("stats");
    assert_eq!(stats.failures, 13);
    assert_eq!(stats.refused_by_account, 4);
}

#[tokio::test]
async fn an_unknown_user_gets_the_same_answers() {
    let env = env();
    let known = statuses_until_throttled(&env, "erika").await;
    let unknown = statuses_until_throttled(&env, "nobody").await;
    assert_eq!(known, unknown);
    let (a, _) = sign_in(&env, "erika", "wrong", None).await;
    let (b, _) = sign_in(&env, "nobody", "wrong", None).await;
    assert_eq!((a.status, a.retry_after), (b.status, b.retry_after));
}

#[tokio::test]
async fn an_address_guessing_at_many_accounts_backs_off_and_others_are_unaffected() {
    let env = env();
    let attacker = Some("203.0.113.9");
    for n in 0..21 {
        let (reply, _) = sign_in(&env, &format!("user{n}"), "wrong", attacker).await;
        assert_eq!(reply.status, StatusCode::OK, "guess {n}");
    }
    let (held, _) = sign_in(&env, "erika", "pw", attacker).await;
    assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(held.retry_after.as_deref(), Some("1"));
    // The real user, elsewhere, signs in.
    let (ok, _) = sign_in(&env, "erika", "pw", Some("198.51.100.2")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let stats = env.issuer.login_throttle_stats().expect("stats");
    assert_eq!(stats.refused_by_address, 1);
    assert_eq!(stats.tracked_addresses, 1);
}

#[tokio::test]
async fn a_forged_form_does_not_count_against_the_account() {
    let env = env();
    for _ in 0..10 {
        let (uri, _) = fresh_page(&env).await;
        let body = form(&[
            ("request_uri", &uri),
            ("form_token", "forged"),
            ("username", "erika"),
            ("password", "wrong"),
        ]);
        let forged = call(&env, "POST", "/authorize", body, None).await;
        assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    }
    let (ok, _) = sign_in(&env, "erika", "pw", None).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert_eq!(
        env.issuer.login_throttle_stats().expect("stats").failures,
        0
    );
}

#[tokio::test]
async fn pushed_requests_are_rate_limited_per_address() {
    let env = env();
    let from = Some("203.0.113.5");
    let push = |from| call(&env, "POST", "/par", par_body(&[("scope", "age")]), from);
    for n in 0..60 {
        assert_eq!(push(from).await.status, StatusCode::CREATED, "request {n}");
    }
    let refused = push(from).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    assert_eq!(refused.retry_after.as_deref(), Some("1"));
    let body: serde_json::Value = serde_json::from_str(&refused.text).expect("json");
    assert_eq!(body["error"], "invalid_request");
    // Other addresses are not affected, and the address gets one a second (60 a minute).
    assert_eq!(push(Some("198.51.100.7")).await.status, StatusCode::CREATED);
    env.clock.advance(1);
    assert_eq!(push(from).await.status, StatusCode::CREATED);
    assert_eq!(push(from).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(env.issuer.par_rate_refusals(), Some(2));
}

#[tokio::test]
async fn behind_a_proxy_the_address_comes_from_its_header() {
    let env = env_with_router(|router| {
        router.layer(axum::middleware::from_fn_with_state(
            header::HeaderName::from_static("x-forwarded-for"),
            oid4vci_axum::client_address_from_header,
        ))
    });
    // The proxy appends the peer it saw: that last entry counts, not what the client wrote.
    let forwarded = [("x-forwarded-for", "10.9.9.9, 203.0.113.77")];
    for _ in 0..60 {
        let r = call_with(
            &env,
            "POST",
            "/par",
            par_body(&[("scope", "age")]),
            None,
            &forwarded,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let r = call_with(
        &env,
        "POST",
        "/par",
        par_body(&[("scope", "age")]),
        None,
        &forwarded,
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let other = [("x-forwarded-for", "203.0.113.77, 198.51.100.8")];
    let r = call_with(
        &env,
        "POST",
        "/par",
        par_body(&[("scope", "age")]),
        None,
        &other,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_pushed_request_stores_only_what_the_issuer_uses() {
    let env = env();
    let padding = "x".repeat(60 * 1024);
    let details = serde_json::json!([{
        "type": "openid_credential",
        "credential_configuration_id": CONFIG,
        "unused": padding,
        "claims": [{"path": ["given_name"]}],
    }])
    .to_string();
    let pushed = call(
        &env,
        "POST",
        "/par",
        par_body(&[("authorization_details", &details)]),
        None,
    )
    .await;
    assert_eq!(pushed.status, StatusCode::CREATED, "{}", pushed.text);
    let json: serde_json::Value = serde_json::from_str(&pushed.text).expect("json");
    let uri = json["request_uri"].as_str().expect("request_uri");
    let session = env
        .issuer
        .store()
        .find(LookupKind::RequestUri, &SecretHash::of(uri))
        .await
        .expect("store")
        .expect("session");
    let stored = serde_json::to_value(&session).expect("json");
    let size = stored.to_string().len();
    assert!(size < 4096, "the stored session is {size} bytes");
    assert_eq!(
        stored["authorization"]["request"]["authorization_details"],
        serde_json::json!([{"type": "openid_credential", "credential_configuration_id": CONFIG}])
    );
}

/// Instances that share one throttle and one rate limit count together: the limits sit behind
/// ports (`SignInThrottle`, `AddressRateLimit`), and here two issuers, each with its own store
/// and router, are handed the same in-memory ledgers as a shared store would be.
#[tokio::test]
async fn instances_sharing_the_limits_count_together() {
    let rules = AuthorizationPolicy::default();
    let throttle: Arc<dyn SignInThrottle> = Arc::new(LoginThrottle::new(rules.throttle));
    let rate: Arc<dyn AddressRateLimit> = Arc::new(RateLimiter::new(rules.par_rate));
    let share = |issuer: TestIssuer| {
        issuer
            .with_sign_in_throttle(throttle.clone())
            .with_par_rate_limit(rate.clone())
    };
    let (a, b) = (env_with(|r| r, share), env_with(|r| r, share));
    // Six wrong passwords on one instance (five free, the sixth starts the wait)...
    for n in 0..6 {
        let (reply, _) = sign_in(&a, "erika", "wrong", None).await;
        assert_eq!(reply.status, StatusCode::OK, "guess {n}");
    }
    // ... hold the account on the other: even the right password waits there.
    let (held, _) = sign_in(&b, "erika", "pw", None).await;
    assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS, "{}", held.text);
    assert_eq!(
        b.issuer.login_throttle_stats(),
        a.issuer.login_throttle_stats()
    );
    // One address's pushed requests count on both instances.
    let from = Some("203.0.113.5");
    for (n, env) in [&a, &b].iter().cycle().take(60).enumerate() {
        let pushed = call(env, "POST", "/par", par_body(&[("scope", "age")]), from).await;
        assert_eq!(pushed.status, StatusCode::CREATED, "request {n}");
    }
    let refused = call(&b, "POST", "/par", par_body(&[("scope", "age")]), from).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.issuer.par_rate_refusals(), Some(1));
}
