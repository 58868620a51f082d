//! The operator console over HTTP: sign-in (cookie attributes, wrong tokens, the sign-in form's
//! double-submit token), anti-CSRF tokens on every form (nothing changes without one, nor from
//! another site), the security headers, an offer made in the console and redeemed by a wallet,
//! a refused proof on the session page with its diagnostic, revocation from the page, the live
//! stream, wallet debugging mode with secrets redacted, and sign-out.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use oid4vci_issuer::status_list::StatusListConfig;
use oid4vci_issuer::{Issuer, IssuerConfig, MemoryStore};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{
    CredentialConfiguration, CredentialIssuerMetadata, CredentialOfferRequest, TokenRequest,
    PRE_AUTHORIZED_CODE_GRANT_TYPE,
};
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

const ISSUER: &str = "https://issuer.example.com";
const TOKEN: &str = "the-admin-token";

fn app() -> Router {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert("pid".into(), CredentialConfiguration::sd_jwt_vc("pid"));
    let feed = Arc::new(oid4vci_axum::ConsoleFeed::new());
    let minter = SdJwtVcMinter::generate();
    let issuer = Issuer::new(IssuerConfig::new(metadata), MemoryStore::new(), minter)
        .with_event_observer(feed.clone())
        .with_status_lists(StatusListConfig::new(
            ISSUER,
            Arc::new(SdJwtVcMinter::generate()),
        ))
        .expect("status lists");
    let issuer = Arc::new(issuer);
    let log = Arc::new(oid4vci_axum::WalletDebugLog::new());
    let config = oid4vci_axum::ConsoleConfig::new(TOKEN, feed)
        .secure_cookies(true)
        .with_wallet_debug(log.clone());
    let wallet = oid4vci_axum::router(issuer.clone(), None).layer(
        axum::middleware::from_fn_with_state(log, oid4vci_axum::console::record_refused_requests),
    );
    wallet
        .merge(oid4vci_axum::admin_router(issuer.clone()))
        .merge(oid4vci_axum::console_router(issuer, config))
}

/// A browser: a cookie jar over the app.
struct Browser {
    app: Router,
    cookies: Vec<(String, String)>,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Page {
    /// The path of the session link of a created-offer page.
    fn session_path(&self) -> String {
        let marker = "id=\"session-link\" href=\"";
        let start = self.text.find(marker).expect("link") + marker.len();
        self.text[start..start + self.text[start..].find('"').expect("end")].to_owned()
    }

    /// The value of the first `name="…" value="…"` input.
    fn input(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.text.find(&marker).expect(name) + marker.len();
        let rest = &self.text[start..];
        rest[..rest.find('"').expect("end")].to_owned()
    }

    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

impl Browser {
    fn new(app: Router) -> Self {
        Browser {
            app,
            cookies: Vec::new(),
        }
    }

    async fn send(&mut self, request: axum::http::request::Builder, body: Body) -> Page {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let request = request.header(header::COOKIE, cookie.join("; "));
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).expect("request"))
            .await
            .expect("response");
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().expect("cookie");
            let (pair, _) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Page {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), Body::empty()).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)], extra: &[(&str, &str)]) -> Page {
        let mut request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        let body = serde_urlencoded::to_string(fields).expect("form");
        self.send(request, Body::from(body)).await
    }

    /// Makes an offer of `pid` by value on the New offer page, with `claims` (empty: deferred).
    async fn offer(&mut self, claims: &str) -> Page {
        let csrf = self.get("/console/offers/new").await.input("csrf");
        let fields = [
            ("csrf", csrf.as_str()),
            ("configuration", "pid"),
            ("claims", claims),
            ("by", "value"),
        ];
        let created = self.post("/console/offers", &fields, &[]).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        created
    }

    async fn sign_in(&mut self, token: &str) -> Page {
        let form = self.get("/console/sign-in").await;
        let form_token = form.input("form_token");
        self.post(
            "/console/sign-in",
            &[("form_token", &form_token), ("token", token)],
            &[],
        )
        .await
    }
}

async fn json_call(
    app: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: String,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn session_count(app: &Router) -> usize {
    let (_, list) = json_call(app, "GET", "/admin/sessions", &[], String::new()).await;
    list["sessions"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn signing_in_needs_the_admin_token_and_the_form_s_own_token() {
    let app = app();
    let mut browser = Browser::new(app.clone());
    let page = browser.get("/console").await;
    assert_eq!(
        (page.status, page.location()),
        (StatusCode::SEE_OTHER, "/console/sign-in")
    );
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(page.headers[header::X_FRAME_OPTIONS], "DENY");

    let wrong = browser.sign_in("not-the-token").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.text.contains("not this issuer&#39;s admin token")
            || wrong.text.contains("not this issuer's admin token"),
        "{}",
        wrong.text
    );

    // A sign-in form posted without its cookie (another site's form) is refused.
    let mut stranger = Browser::new(app.clone());
    let forged = stranger
        .post(
            "/console/sign-in",
            &[("form_token", "guess"), ("token", TOKEN)],
            &[],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(stranger.cookies.iter().all(|(k, _)| k != "oid4vci_console"));

    let signed = browser.sign_in(TOKEN).await;
    assert_eq!(
        (signed.status, signed.location()),
        (StatusCode::SEE_OTHER, "/console")
    );
    let cookie = signed
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("oid4vci_console="))
        .expect("sign-in cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console", "Secure"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let list = browser.get("/console").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.headers[header::CONTENT_TYPE]
        .to_str()
        .expect("type")
        .starts_with("text/html"));
    assert!(list.text.contains("id=\"session-rows\""), "{}", list.text);

    // Sign-out needs the form token too, then the console is closed again.
    let csrf = list.input("csrf");
    assert_eq!(
        browser.post("/console/sign-out", &[], &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let out = browser
        .post("/console/sign-out", &[("csrf", &csrf)], &[])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/console").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_without_this_sign_in_s_token_or_from_another_site_change_nothing() {
    let app = app();
    let mut browser = Browser::new(app.clone());
    browser.sign_in(TOKEN).await;
    let csrf = browser.get("/console/offers/new").await.input("csrf");
    let offer = [("configuration", "pid"), ("claims", "{}"), ("by", "value")];
    let mut without = offer.to_vec();
    without.push(("csrf", "forged"));
    assert_eq!(
        browser.post("/console/offers", &without, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let mut with = offer.to_vec();
    with.push(("csrf", &csrf));
    let cross = [("sec-fetch-site", "cross-site")];
    assert_eq!(
        browser.post("/console/offers", &with, &cross).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(session_count(&app).await, 0, "no offer was made");
    // Another browser's sign-in cannot use this one's token.
    let mut other = Browser::new(app.clone());
    other.sign_in(TOKEN).await;
    assert_eq!(
        other.post("/console/offers", &with, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        browser.post("/console/offers", &with, &[]).await.status,
        StatusCode::CREATED
    );
    assert_eq!(session_count(&app).await, 1);
    // By reference, with a transaction code: the page shows the code to hand over.
    let by_reference = [
        ("csrf", csrf.as_str()),
        ("configuration", "pid"),
        ("claims", "{}"),
        ("tx_code", "on"),
        ("tx_code_length", "6"),
        ("by", "reference"),
    ];
    let page = browser.post("/console/offers", &by_reference, &[]).await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.text);
    assert!(page.text.contains("credential_offer_uri="), "{}", page.text);
    let marker = "<strong id=\"tx-code\">";
    let start = page.text.find(marker).expect("tx code") + marker.len();
    let code = &page.text[start..start + 6];
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    // A bad claims value comes back on the form, with the error and what was typed.
    let bad = [
        ("csrf", csrf.as_str()),
        ("configuration", "pid"),
        ("claims", "[1, 2]"),
        ("by", "value"),
    ];
    let page = browser.post("/console/offers", &bad, &[]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.text.contains("the claims must be a JSON object") && page.text.contains("[1, 2]"),
        "{}",
        page.text
    );
    assert_eq!(session_count(&app).await, 2);
}

/// The pre-authorized code of the by-value offer URI on a created-offer page.
fn pre_authorized_code(page: &Page) -> String {
    let start = page
        .text
        .find("openid-credential-offer://")
        .expect("offer uri");
    let uri = &page.text[start..];
    let uri = &uri[..uri.find("</textarea>").expect("end")];
    let CredentialOfferRequest::ByValue(offer) =
        CredentialOfferRequest::from_uri(uri).expect("uri")
    else {
        panic!("by value")
    };
    let grants = serde_json::to_value(offer).expect("offer");
    grants["grants"][PRE_AUTHORIZED_CODE_GRANT_TYPE]["pre-authorized_code"]
        .as_str()
        .expect("code")
        .to_owned()
}

#[tokio::test]
async fn an_offer_made_in_the_console_is_redeemed_and_its_session_page_tells_the_story() {
    let app = app();
    let mut browser = Browser::new(app.clone());
    browser.sign_in(TOKEN).await;
    let created = browser.offer(r#"{"given_name": "Erika"}"#).await;
    assert!(created.text.contains("<svg role=\"img\""), "a QR code");
    let code = pre_authorized_code(&created);
    let session_path = created.session_path();
    let session = session_path
        .trim_start_matches("/console/sessions/")
        .to_owned();

    // The wallet redeems the offer, fails a proof (wrong audience), then succeeds.
    let form = TokenRequest::pre_authorized(code.as_str(), None).to_form();
    let (status, token) = json_call(
        &app,
        "POST",
        "/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        form,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let bearer = format!("Bearer {}", token["access_token"].as_str().expect("token"));
    let (_, nonce) = json_call(&app, "POST", "/nonce", &[], String::new()).await;
    let nonce = nonce["c_nonce"].as_str().expect("nonce").to_owned();
    let wallet = TestWallet::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("now")
        .as_secs();
    let headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    let bad = json!({"credential_configuration_id": "pid", "proofs": {"jwt": [wallet.proof("https://elsewhere.example", Some(&nonce), now)]}});
    let (status, refused) = json_call(&app, "POST", "/credential", &headers, bad.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let code_refused = refused["diagnostic"]["code"]
        .as_str()
        .expect("diagnostic code")
        .to_owned();

    let page = browser.get(&format!("/console/sessions/{session}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("data-event=\"proof_rejected\""),
        "{}",
        page.text
    );
    assert!(
        page.text.contains(&format!(
            "<code class=\"diagnostic-code\">{code_refused}</code>"
        )),
        "{}",
        page.text
    );
    assert!(
        page.text.contains("https://elsewhere.example"),
        "the decoded proof's aud"
    );
    assert!(!page.text.contains(&nonce), "the proof's nonce is redacted");

    let (_, nonce) = json_call(&app, "POST", "/nonce", &[], String::new()).await;
    let good = json!({"credential_configuration_id": "pid", "proofs": {"jwt": [wallet.proof(ISSUER, nonce["c_nonce"].as_str(), now)]}});
    let (status, issued) = json_call(&app, "POST", "/credential", &headers, good.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{issued}");

    // The live stream's first update is the page's live part, now with the credential.
    let response = app
        .clone()
        .oneshot(
            Request::get(format!("/console/live/sessions/{session}"))
                .header(
                    header::COOKIE,
                    browser
                        .cookies
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut body = response.into_body();
    let frame = body.frame().await.expect("a frame").expect("data");
    let first = String::from_utf8_lossy(frame.data_ref().expect("data")).into_owned();
    assert!(first.starts_with("event: update"), "{first}");
    assert!(
        first.contains("credential_issued") && first.contains("Revoke"),
        "{first}"
    );

    // Revoke from the page: the credential's status flips.
    let page = browser.get(&format!("/console/sessions/{session}")).await;
    let marker = format!("action=\"/console/sessions/{session}/credentials/");
    let start = page.text.find(&marker).expect("revoke form") + "action=\"".len();
    let action = page.text[start..start + page.text[start..].find('"').expect("end")].to_owned();
    let csrf = page.input("csrf");
    let revoked = browser
        .post(&action, &[("csrf", &csrf), ("reason", "lost phone")], &[])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.text);
    let (_, summary) = json_call(
        &app,
        "GET",
        &format!("/admin/sessions/{session}"),
        &[],
        String::new(),
    )
    .await;
    assert_eq!(summary["credentials"][0]["status"], "revoked", "{summary}");
    let page = browser.get(revoked.location()).await;
    assert!(page.text.contains("id=\"notice\""), "{}", page.text);
    assert!(page.text.contains("data-event=\"credential_revoked\""));
}

#[tokio::test]
async fn wallet_debugging_mode_shows_refused_requests_without_their_secrets() {
    let app = app();
    let headers = [
        ("authorization", "Bearer NOT-A-REAL-TOKEN-123"),
        ("content-type", "application/json"),
    ];
    let (status, _) = json_call(
        &app,
        "POST",
        "/credential",
        &headers,
        json!({"credential_configuration_id": "pid"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=GUESSED-CODE-456";
    let (status, _) = json_call(
        &app,
        "POST",
        "/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        form.into(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let mut browser = Browser::new(app.clone());
    browser.sign_in(TOKEN).await;
    let page = browser.get("/console/refused").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("<code>/credential</code>") && page.text.contains("<code>/token</code>"),
        "{}",
        page.text
    );
    assert!(
        page.text.contains("invalid_token") && page.text.contains("invalid_grant"),
        "{}",
        page.text
    );
    for secret in ["NOT-A-REAL-TOKEN-123", "GUESSED-CODE-456"] {
        assert!(!page.text.contains(secret), "{secret} on the page");
    }
    assert!(page.text.contains("Bearer [redacted]"), "{}", page.text);
}

#[tokio::test]
async fn claims_submitted_on_the_session_page_let_the_deferred_request_through() {
    let app = app();
    let mut browser = Browser::new(app.clone());
    browser.sign_in(TOKEN).await;
    // No claims: the credential is deferred until they are submitted.
    let created = browser.offer("").await;
    let code = pre_authorized_code(&created);
    let session_path = created.session_path();

    let page = browser.get(&session_path).await;
    assert!(
        page.text.contains("Submit claims (deferred issuance)"),
        "{}",
        page.text
    );
    let csrf = page.input("csrf");
    let claims_path = format!("{session_path}/claims");
    let not_json = browser
        .post(
            &claims_path,
            &[
                ("csrf", &csrf),
                ("credential_configuration_id", "pid"),
                ("claims", "{given_name"),
            ],
            &[],
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert!(
        not_json.text.contains("the claims are not JSON"),
        "{}",
        not_json.text
    );
    let forged = browser
        .post(
            &claims_path,
            &[
                ("csrf", "x"),
                ("credential_configuration_id", "pid"),
                ("claims", "{}"),
            ],
            &[],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let (_, summary) = json_call(
        &app,
        "GET",
        &format!("/admin{}", session_path.trim_start_matches("/console")),
        &[],
        String::new(),
    )
    .await;
    assert_eq!(
        summary["claims_present"],
        json!([]),
        "nothing was submitted yet"
    );

    let submitted = browser
        .post(
            &claims_path,
            &[
                ("csrf", &csrf),
                ("credential_configuration_id", "pid"),
                ("claims", r#"{"given_name": "Erika"}"#),
            ],
            &[],
        )
        .await;
    assert_eq!(
        (submitted.status, submitted.location()),
        (
            StatusCode::SEE_OTHER,
            format!("{session_path}?done=claims").as_str()
        )
    );
    let (_, summary) = json_call(
        &app,
        "GET",
        &format!("/admin{}", session_path.trim_start_matches("/console")),
        &[],
        String::new(),
    )
    .await;
    assert_eq!(summary["claims_present"], json!(["pid"]));
    let page = browser.get(submitted.location()).await;
    assert!(
        page.text.contains("data-event=\"claims_submitted\"")
            && page.text.contains("id=\"notice\""),
        "{}",
        page.text
    );
    assert!(
        !page.text.contains("Submit claims (deferred issuance)"),
        "no configuration waits for claims any more"
    );
    // The pre-authorized code still works after the claims arrived.
    let form = TokenRequest::pre_authorized(code.as_str(), None).to_form();
    let (status, _) = json_call(
        &app,
        "POST",
        "/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        form,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}
