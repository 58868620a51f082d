//! Authorization-code scenarios any store runs (through [`crate::flows::run_issuer_flows`]):
//! the whole flow through the service, and the single-use rules under 50 concurrent callers.

use super::count_successes;
use crate::scenario::{block, scenario_issuer, CONFIG};
use crate::store_contract::CONCURRENT_CALLERS;
use oid4vci_authorization::{AuthorizationPolicy, CodeChallenge, DemoUser};
use oid4vci_issuer::SessionState;
use oid4vci_issuer::SessionStore;
use oid4vci_issuer::{AuthorizationOutcome, LoginAction, LoginForm};
use oid4vci_issuer::{HttpFacts, Issuer};
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::{ErrorCode, TokenGrant, TokenRequest};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "https://wallet.example/cb";

fn issuer<S: SessionStore>(store: S) -> Issuer<S, SdJwtVcMinter> {
    let (issuer, _clock) = scenario_issuer(store);
    let claims = BTreeMap::from([(CONFIG.to_owned(), json!({"age_over_18": true}))]);
    issuer.with_authorization_server(
        AuthorizationPolicy::default(),
        Arc::new(DemoUser::new("erika", "pw", claims)),
    )
}

fn push<S: SessionStore>(issuer: &Issuer<S, SdJwtVcMinter>) -> String {
    push_with(issuer, HttpFacts::default())
}

fn push_with<S: SessionStore, M: oid4vci_issuer::CredentialMinter>(
    issuer: &Issuer<S, M>,
    facts: HttpFacts,
) -> String {
    let body = format!(
        "response_type=code&client_id=w&redirect_uri={}&authorization_details={}&code_challenge_method=S256&code_challenge={}",
        form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(
            json!([{"type": "openid_credential", "credential_configuration_id": CONFIG}])
                .to_string()
                .as_bytes()
        )
        .collect::<String>(),
        CodeChallenge::of_verifier(VERIFIER).as_str()
    );
    block(issuer.pushed_authorization_request(body.as_bytes(), facts))
        .expect("pushed")
        .request_uri
}

/// Pushes the scenario's authorization request (client `w`, PKCE `S256`, the scenario
/// configuration, with `facts` — a DPoP proof binds the code), serves its login page, approves
/// as `erika`/`pw` (the issuer's user directory must know her) and returns the authorization
/// code. Redeem it with [`code_token_request`].
pub fn authorization_code<S: SessionStore, M: oid4vci_issuer::CredentialMinter>(
    issuer: &Issuer<S, M>,
    facts: HttpFacts,
) -> String {
    let uri = push_with(issuer, facts);
    let page = block(issuer.authorization_page(Some("w"), Some(&uri))).expect("page");
    let outcome = block(issuer.authorization_decision(
        LoginForm {
            request_uri: uri,
            form_token: page.form_token.clone().into(),
            action: LoginAction::Approve {
                username: "erika".into(),
                password: "pw".into(),
            },
        },
        None,
    ))
    .expect("decision");
    let AuthorizationOutcome::Redirect(location) = outcome else {
        panic!("approval redirects");
    };
    url_param(&location, "code").expect("a code in the redirect")
}

/// The token request that redeems an [`authorization_code`] (client `w`, its PKCE verifier and
/// redirect URI).
pub fn code_token_request(code: &str) -> TokenRequest {
    let mut request = TokenRequest::pre_authorized("unused", None);
    request.client_id = Some("w".into());
    request.grant = TokenGrant::AuthorizationCode {
        code: code.into(),
        redirect_uri: Some(REDIRECT.into()),
        code_verifier: Some(VERIFIER.into()),
    };
    request
}

/// PAR → the page, loaded by 50 concurrent callers (each load before the decision replaces the
/// form, FAPI 2.0 Security Profile 5.3.2.2 note 3) → 50 concurrent approvals with those forms,
/// of which exactly one redirects with a code (the decision uses the request up) → the code,
/// redeemed by exactly one of 50 concurrent token requests; the others are second redemptions,
/// so the token is revoked and the session says so (RFC 6749 §4.1.2).
pub fn authorization_code_redeemed_once<S: SessionStore>(store: S) {
    let issuer = issuer(store);
    let uri = push(&issuer);
    let pages = std::sync::Mutex::new(Vec::new());
    let served =
        count_successes(
            |_| match block(issuer.authorization_page(Some("w"), Some(&uri))) {
                Ok(page) => pages.lock().map(|mut p| p.push(page)).is_ok(),
                Err(_) => false,
            },
        );
    assert_eq!(
        served, CONCURRENT_CALLERS,
        "every load before the decision serves the page"
    );
    let pages = pages.into_inner().expect("lock");
    assert!(pages
        .iter()
        .all(|p| p.credentials.first().map(|c| c.id.as_str()) == Some(CONFIG)));
    let redirects = std::sync::Mutex::new(Vec::new());
    let decided = count_successes(|i| {
        let Some(page) = pages.get(i) else {
            return false;
        };
        let outcome = block(issuer.authorization_decision(
            LoginForm {
                request_uri: uri.clone(),
                form_token: page.form_token.clone().into(),
                action: LoginAction::Approve {
                    username: "erika".into(),
                    password: "pw".into(),
                },
            },
            None,
        ));
        match outcome {
            Ok(AuthorizationOutcome::Redirect(location)) if location.contains("code=") => {
                redirects.lock().map(|mut r| r.push(location)).is_ok()
            }
            _ => false,
        }
    });
    assert_eq!(decided, 1, "one approval among 50 forms of one request");
    let location = redirects
        .into_inner()
        .expect("lock")
        .pop()
        .expect("the redirect");
    let code = url_param(&location, "code").expect("a code in the redirect");
    let shown = format!("{:?}", AuthorizationOutcome::Redirect(location.clone()));
    assert!(!shown.contains(&code), "Debug never shows the code");
    assert_eq!(
        url_param(&location, "iss").as_deref(),
        Some(crate::scenario::ISSUER)
    );

    let granted = count_successes(|_| {
        block(issuer.token(code_token_request(&code), HttpFacts::default()))
            .is_ok_and(|t| t.authorization_details.is_some())
    });
    assert_eq!(
        granted, 1,
        "an authorization code is redeemed once among 50 callers"
    );
    let again = block(issuer.token(code_token_request(&code), HttpFacts::default()));
    assert_eq!(
        again.map(|_| ()).unwrap_err().error_code(),
        ErrorCode::InvalidGrant
    );
    let session = block(issuer.store().find(
        oid4vci_issuer::LookupKind::AuthorizationCode,
        &oid4vci_issuer::SecretHash::of(&code),
    ))
    .expect("store")
    .expect("session");
    assert_eq!(session.state, SessionState::Revoked);
    assert!(
        session.access.is_none(),
        "the token the code issued is revoked"
    );
}

fn url_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
