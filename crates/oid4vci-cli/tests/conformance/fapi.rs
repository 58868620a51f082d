//! The FAPI 2.0 Security Profile modules the HAIP plan runs (`vciFapi2SPFinalTestModules`:
//! the FAPI2 SP Final plan without the signed-request, OpenID Connect, `private_key_jwt` and
//! ecosystem-specific modules), one function each, asserting what the module asserts. The
//! credential endpoint is the protected resource.

use super::flows::{expect_error, grant, request, Granted};
use super::https::Response;
use super::wallet::{expect_eq, now, Wallet, CHALLENGE, REDIRECT, VERIFIER};
use super::{Env, Variant};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};

type Outcome = Result<(), String>;

/// PAR (with `params` over the defaults) and the login page: the authorization code.
fn code(env: &Env, wallet: &Wallet, params: &[(&str, &str)]) -> Result<String, String> {
    let uri = request_uri(env, wallet, params)?;
    wallet.authorize(&uri)
}

fn request_uri(env: &Env, wallet: &Wallet, params: &[(&str, &str)]) -> Result<String, String> {
    let mut all = vec![("scope", env.config_id(super::Format::SdJwtVc))];
    all.extend_from_slice(params);
    let pushed = wallet.par(&all, Some(&wallet.attestation()));
    if pushed.status != 201 {
        return Err(format!("PAR: {} {}", pushed.status, pushed.text()));
    }
    pushed.json()["request_uri"]
        .as_str()
        .map(str::to_owned)
        .ok_or("no request_uri".into())
}

fn token_granted(token: &Response) -> Result<Granted, String> {
    if token.status != 200 {
        return Err(format!("token: {} {}", token.status, token.text()));
    }
    Ok(Granted {
        token: token.json()["access_token"]
            .as_str()
            .ok_or("no access_token")?
            .to_owned(),
        response: token.json(),
    })
}

/// One credential request under `granted`; its status.
fn credential_status(env: &Env, wallet: &Wallet, granted: &Granted, v: Variant) -> u16 {
    request(env, wallet, granted, v, None, |_| {}).map_or(0, |r| r.status)
}

fn expect_oauth_error(answer: &Response, statuses: &[u16], errors: &[&str]) -> Outcome {
    expect_error(answer.status, &answer.json(), statuses, errors)
}

/// `fapi2-security-profile-final-discovery-end-point-verification`.
pub fn discovery(env: &Env, _: Variant) -> Outcome {
    let meta = env
        .https
        .request("GET", "/.well-known/oauth-authorization-server", &[], b"")
        .json();
    expect_eq(meta["issuer"].as_str(), Some(env.issuer.as_str()), "issuer")?;
    let list = |field: &str| -> Vec<String> {
        meta[field]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    if list("response_types_supported") != ["code"] {
        return Err(format!(
            "response_types_supported: {:?}",
            list("response_types_supported")
        ));
    }
    if !list("grant_types_supported").contains(&"authorization_code".to_owned()) {
        return Err("grant_types_supported lacks authorization_code".into());
    }
    if list("code_challenge_methods_supported") != ["S256"] {
        return Err("code_challenge_methods_supported must be S256 only".into());
    }
    if meta["require_pushed_authorization_requests"] != true {
        return Err("require_pushed_authorization_requests is not true".into());
    }
    if meta["authorization_response_iss_parameter_supported"] != true {
        return Err("authorization_response_iss_parameter_supported is not true".into());
    }
    if !list("dpop_signing_alg_values_supported").contains(&"ES256".to_owned()) {
        return Err("dpop_signing_alg_values_supported lacks ES256".into());
    }
    Ok(())
}

/// `fapi2-security-profile-final-happy-flow`: two clients; their DPoP tokens work with a
/// proof and not as Bearer tokens.
pub fn happy_flow(env: &Env, v: Variant) -> Outcome {
    for client in [
        "https://wallet.example.com/fapi-1",
        "https://wallet.example.com/fapi-2",
    ] {
        let wallet = env.wallet(client);
        let granted = grant(env, &wallet, v)?;
        expect_eq(
            credential_status(env, &wallet, &granted, v),
            200,
            "credential",
        )?;
        let bearer = format!("Bearer {}", granted.token);
        let body = json!({"credential_configuration_id": env.config_id(v.format)}).to_string();
        let answer = env.https.request(
            "POST",
            "/credential",
            &[
                ("Authorization", &bearer),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        );
        expect_eq(answer.status, 401, "a DPoP token used as a Bearer token")?;
    }
    Ok(())
}

/// `fapi2-security-profile-final-user-rejects-authentication`.
pub fn user_rejects_authentication(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/rejects");
    let uri = request_uri(env, &wallet, &[])?;
    let params = wallet.decide(&uri, "deny")?;
    expect_eq(
        params.get("error").map(String::as_str),
        Some("access_denied"),
        "error",
    )?;
    expect_eq(
        params.get("state").map(String::as_str),
        Some("conformance-state"),
        "state",
    )
}

/// `fapi2-security-profile-final-ensure-authorization-request-without-state-success`.
pub fn without_state_success(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/no-state");
    let uri = request_uri(env, &wallet, &[("state", "")])?;
    let params = wallet.decide(&uri, "approve")?;
    if params.contains_key("state") || !params.contains_key("code") {
        return Err(format!("expected a code and no state: {params:?}"));
    }
    Ok(())
}

/// `fapi2-security-profile-final-ensure-authorization-request-with-long-state`.
pub fn long_state(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/long-state");
    let state = "s".repeat(384);
    let uri = request_uri(env, &wallet, &[("state", &state)])?;
    let params = wallet.decide(&uri, "approve")?;
    expect_eq(params.get("state"), Some(&state), "the long state echoed")
}

fn dpop_skew(env: &Env, v: Variant, seconds: i64) -> Outcome {
    let wallet = env.wallet(&format!("https://wallet.example.com/skew{seconds}"));
    wallet.dpop_iat_offset.set(seconds);
    let granted = grant(env, &wallet, v)?;
    expect_eq(
        credential_status(env, &wallet, &granted, v),
        200,
        "credential",
    )
}

/// `fapi2-security-profile-final-ensure-dpopproof-with-iat-10seconds-before-succeeds`.
pub fn dpop_iat_10_seconds_before(env: &Env, v: Variant) -> Outcome {
    dpop_skew(env, v, -10)
}

/// `fapi2-security-profile-final-ensure-dpopproof-with-iat-10seconds-after-succeeds`.
pub fn dpop_iat_10_seconds_after(env: &Env, v: Variant) -> Outcome {
    dpop_skew(env, v, 10)
}

/// `fapi2-security-profile-final-check-dpop-proof-nbf-exp`: a DPoP proof with `nbf` and `exp`
/// claims is accepted at the token endpoint.
pub fn dpop_proof_nbf_exp(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/nbf-exp");
    let code = code(env, &wallet, &[])?;
    let attestation = wallet.attestation();
    let body = super::wallet::form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("code_verifier", VERIFIER),
        ("redirect_uri", REDIRECT),
        ("client_id", &wallet.client_id),
    ]);
    let (header, mut claims) = wallet.dpop_parts("/token", None);
    claims["nbf"] = json!(now() - 5);
    claims["exp"] = json!(now() + 60);
    let proof = wallet.dpop.sign(&header, &claims);
    let answer = env.https.request(
        "POST",
        "/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("OAuth-Client-Attestation", &attestation.jwt),
            ("OAuth-Client-Attestation-PoP", &attestation.pop),
            ("DPoP", &proof),
        ],
        body.as_bytes(),
    );
    token_granted(&answer).map(|_| ())
}

fn thumbprint(key: &TestWallet) -> String {
    oid4vci_proof::PublicKey::from_jwk_value(&key.public_jwk())
        .map(|k| k.thumbprint())
        .unwrap_or_default()
}

/// `fapi2-security-profile-final-ensure-mismatched-dpop-jkt-fails`: `dpop_jkt` of another key
/// than the PAR's DPoP proof.
pub fn mismatched_dpop_jkt_fails(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/mismatched-jkt");
    let other = thumbprint(&TestWallet::new());
    let scope = env.config_id(super::Format::SdJwtVc);
    let answer = wallet.par(
        &[("scope", scope), ("dpop_jkt", &other)],
        Some(&wallet.attestation()),
    );
    expect_oauth_error(&answer, &[400], &["invalid_request", "invalid_dpop_proof"])
}

/// `fapi2-security-profile-final-ensure-token-endpoint-fails-with-mismatched-dpop-proof-jkt`:
/// the code is bound to the PAR's DPoP key; the token request is signed by another.
pub fn token_fails_with_mismatched_dpop_proof_jkt(env: &Env, _: Variant) -> Outcome {
    let mut wallet = env.wallet("https://wallet.example.com/token-other-key");
    let code = code(env, &wallet, &[])?;
    wallet.dpop = TestWallet::new();
    let answer = wallet.redeem_code(&code);
    expect_oauth_error(
        &answer,
        &[400, 401],
        &["invalid_grant", "invalid_dpop_proof"],
    )
}

/// `fapi2-security-profile-final-ensure-token-endpoint-fails-with-mismatched-dpop-jkt`: the
/// PAR's `dpop_jkt` names a key the token request does not use.
pub fn token_fails_with_mismatched_dpop_jkt(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/token-other-jkt");
    let bound = TestWallet::new();
    let scope = env.config_id(super::Format::SdJwtVc);
    // The PAR carries no DPoP proof here, only the binding.
    let pushed = {
        let body = super::wallet::form(&[
            ("response_type", "code"),
            ("client_id", &wallet.client_id),
            ("redirect_uri", REDIRECT),
            ("state", "conformance-state"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("scope", scope),
            ("dpop_jkt", &thumbprint(&bound)),
        ]);
        let a = wallet.attestation();
        env.https.request(
            "POST",
            "/par",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("OAuth-Client-Attestation", &a.jwt),
                ("OAuth-Client-Attestation-PoP", &a.pop),
            ],
            body.as_bytes(),
        )
    };
    expect_eq(
        pushed.status,
        201,
        &format!("PAR with dpop_jkt ({})", pushed.text()),
    )?;
    let uri = pushed.json()["request_uri"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let code = wallet.authorize(&uri)?;
    let answer = wallet.redeem_code(&code);
    expect_oauth_error(
        &answer,
        &[400, 401],
        &["invalid_grant", "invalid_dpop_proof"],
    )
}

/// `fapi2-security-profile-final-ensure-dpopproof-at-par-endpoint-binding-success`.
pub fn dpop_proof_at_par_binding_success(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/par-binding");
    let code = code(env, &wallet, &[])?;
    token_granted(&wallet.redeem_code(&code)).map(|_| ())
}

/// `fapi2-security-profile-final-ensure-dpop-auth-code-binding-success`.
pub fn dpop_auth_code_binding_success(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/jkt-binding");
    let jkt = thumbprint(&wallet.dpop);
    let code = code(env, &wallet, &[("dpop_jkt", &jkt)])?;
    token_granted(&wallet.redeem_code(&code)).map(|_| ())
}

/// `fapi2-security-profile-final-ensure-unsigned-authorization-request-without-using-par-fails`.
pub fn authorization_request_without_par_fails(env: &Env, _: Variant) -> Outcome {
    let query = super::wallet::form(&[
        ("response_type", "code"),
        ("client_id", "https://wallet.example.com/no-par"),
        ("redirect_uri", REDIRECT),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("scope", env.config_id(super::Format::SdJwtVc)),
    ]);
    let answer = env
        .https
        .request("GET", &format!("/authorize?{query}"), &[], b"");
    if answer.status == 200
        || answer
            .header("Location")
            .is_some_and(|l| l.contains("code="))
    {
        return Err("an authorization request without PAR was served".into());
    }
    Ok(())
}

/// `fapi2-security-profile-final-ensure-redirect-uri-in-authorization-request` and
/// `fapi2-security-profile-final-ensure-request-object-without-redirect-uri-fails` (unsigned: the
/// pushed parameters are the request): a PAR without `redirect_uri` is refused.
pub fn redirect_uri_in_authorization_request(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/no-redirect");
    let scope = env.config_id(super::Format::SdJwtVc);
    let answer = wallet.par(
        &[("scope", scope), ("redirect_uri", "")],
        Some(&wallet.attestation()),
    );
    expect_oauth_error(
        &answer,
        &[400],
        &["invalid_request", "invalid_request_object"],
    )
}

/// `fapi2-security-profile-final-ensure-different-state-inside-and-outside-request-object`: a
/// `state` on the authorization endpoint URL is not the pushed one; the pushed one counts.
pub fn different_state_inside_and_outside_request(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/two-states");
    let uri = request_uri(env, &wallet, &[])?;
    let params = wallet.decide_with(&uri, "approve", &[("state", "outside-state")])?;
    if params.contains_key("error") {
        return expect_eq(
            params.get("error").map(String::as_str),
            Some("invalid_request"),
            "error",
        );
    }
    expect_eq(
        params.get("state").map(String::as_str),
        Some("conformance-state"),
        "the pushed state",
    )
}

/// `fapi2-security-profile-final-state-only-outside-request-object-not-used`: no `state` was
/// pushed; one on the URL is not used.
pub fn state_only_outside_request_not_used(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/outside-state");
    let uri = request_uri(env, &wallet, &[("state", "")])?;
    let params = wallet.decide_with(&uri, "approve", &[("state", "outside-state")])?;
    if params.contains_key("state") {
        return Err(format!("a state not pushed came back: {params:?}"));
    }
    Ok(())
}

fn response_type_fails(env: &Env, response_type: &str) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/response-type");
    let scope = env.config_id(super::Format::SdJwtVc);
    let answer = wallet.par(
        &[("scope", scope), ("response_type", response_type)],
        Some(&wallet.attestation()),
    );
    expect_oauth_error(
        &answer,
        &[400],
        &[
            "invalid_request",
            "unsupported_response_type",
            "unauthorized_client",
        ],
    )
}

/// `fapi2-security-profile-final-ensure-response-type-code-idtoken-fails`.
pub fn response_type_code_id_token_fails(env: &Env, _: Variant) -> Outcome {
    response_type_fails(env, "code id_token")
}

/// `fapi2-security-profile-final-ensure-response-type-token-fails`.
pub fn response_type_token_fails(env: &Env, _: Variant) -> Outcome {
    response_type_fails(env, "token")
}

/// `fapi2-security-profile-final-ensure-holder-of-key-required`: a token request without DPoP
/// is refused; TLS 1.2+ only.
pub fn holder_of_key_required(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/hok");
    let code = code(env, &wallet, &[])?;
    let a = wallet.attestation();
    let body = super::wallet::form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("code_verifier", VERIFIER),
        ("redirect_uri", REDIRECT),
        ("client_id", &wallet.client_id),
    ]);
    let answer = env.https.request(
        "POST",
        "/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("OAuth-Client-Attestation", &a.jwt),
            ("OAuth-Client-Attestation-PoP", &a.pop),
        ],
        body.as_bytes(),
    );
    expect_oauth_error(
        &answer,
        &[400, 401],
        &["invalid_request", "invalid_grant", "invalid_dpop_proof"],
    )?;
    let (version, _) = env.https.handshake(Some(&rustls::version::TLS12))?;
    expect_eq(
        version.as_str(),
        "TLSv1_2",
        "TLS 1.2 offered alone is accepted",
    )
}

/// `fapi2-security-profile-final-ensure-authorization-code-is-bound-to-client`: client 2
/// cannot redeem client 1's code.
pub fn authorization_code_bound_to_client(env: &Env, _: Variant) -> Outcome {
    let first = env.wallet("https://wallet.example.com/code-owner");
    let second = env.wallet("https://wallet.example.com/code-thief");
    let code = code(env, &first, &[])?;
    let answer = second.redeem_code(&code);
    expect_oauth_error(&answer, &[400, 401], &["invalid_grant", "invalid_client"])
}

/// `fapi2-security-profile-final-ensure-client-id-in-token-endpoint`: client 1's code with
/// client 2's `client_id` (and client 1's attestation) is refused.
pub fn client_id_in_token_endpoint(env: &Env, _: Variant) -> Outcome {
    let mut wallet = env.wallet("https://wallet.example.com/client-id-1");
    let code = code(env, &wallet, &[])?;
    let attestation = wallet.attestation();
    wallet.client_id = "https://wallet.example.com/client-id-2".into();
    let answer = wallet.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", REDIRECT),
        ],
        Some(&attestation),
    );
    expect_oauth_error(&answer, &[400, 401], &["invalid_client", "invalid_grant"])
}

/// `fapi2-security-profile-final-attempt-reuse-authorization-code-after-one-second`: the
/// second redemption is `invalid_grant`, and the first token stops working.
pub fn reuse_authorization_code_after_one_second(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/reuse-code");
    let code = code(env, &wallet, &[])?;
    let first = token_granted(&wallet.redeem_code(&code))?;
    std::thread::sleep(std::time::Duration::from_secs(1));
    expect_oauth_error(&wallet.redeem_code(&code), &[400], &["invalid_grant"])?;
    let status = credential_status(env, &wallet, &first, v);
    if status == 200 {
        return Err("the token of a reused code still works (RFC 6749 §4.1.2)".into());
    }
    Ok(())
}

/// `fapi2-security-profile-final-ensure-token-endpoint-fails-with-expired-auth-code` (waits out
/// the code's 60 s).
pub fn expired_auth_code(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/expired-code");
    let code = code(env, &wallet, &[])?;
    std::thread::sleep(std::time::Duration::from_secs(62));
    expect_oauth_error(&wallet.redeem_code(&code), &[400], &["invalid_grant"])
}

/// `fapi2-security-profile-final-par-attempt-to-use-expired-request_uri` (waits out the
/// `expires_in` of the PAR response).
pub fn par_expired_request_uri(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/expired-request-uri");
    let scope = env.config_id(super::Format::SdJwtVc);
    let pushed = wallet.par(&[("scope", scope)], Some(&wallet.attestation()));
    expect_eq(pushed.status, 201, "PAR")?;
    let expires = pushed.json()["expires_in"]
        .as_u64()
        .ok_or("no expires_in")?;
    std::thread::sleep(std::time::Duration::from_secs(expires + 2));
    let uri = pushed.json()["request_uri"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    match wallet.authorize(&uri) {
        Ok(_) => Err("an expired request_uri was served".into()),
        Err(_) => Ok(()),
    }
}

/// `fapi2-security-profile-final-refresh-token`: a refresh works with the client's DPoP key
/// and attestation; another client instance key, no attestation, and no DPoP proof are refused.
pub fn refresh_token(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/refresh");
    let granted = grant(env, &wallet, v)?;
    let refresh = granted.response["refresh_token"]
        .as_str()
        .ok_or("no refresh_token")?
        .to_owned();
    if !refresh.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err("the refresh token has characters outside VSCHAR".into());
    }
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    // Another client instance key (a new attestation for the same client id).
    let mut other = env.wallet(&wallet.client_id);
    other.dpop = TestWallet::new();
    let foreign = other.token(&refresh_form, Some(&other.attestation()));
    expect_oauth_error(
        &foreign,
        &[400, 401],
        &[
            "invalid_client",
            "invalid_grant",
            "invalid_request",
            "invalid_client_attestation",
            "invalid_dpop_proof",
        ],
    )?;
    // No client authentication.
    let unauthenticated = wallet.token(&refresh_form, None);
    expect_oauth_error(
        &unauthenticated,
        &[400, 401],
        &["invalid_client", "invalid_grant", "invalid_request"],
    )?;
    // The refresh itself.
    let refreshed = token_granted(&wallet.token(&refresh_form, Some(&wallet.attestation())))?;
    expect_eq(
        credential_status(env, &wallet, &refreshed, v),
        200,
        "credential with the refreshed token",
    )
}

/// `fapi2-security-profile-final-par-attempt-to-use-request_uri-for-different-client`.
pub fn par_request_uri_bound_to_client(env: &Env, _: Variant) -> Outcome {
    let first = env.wallet("https://wallet.example.com/uri-owner");
    let uri = request_uri(env, &first, &[])?;
    let query = super::wallet::form(&[
        ("client_id", "https://wallet.example.com/uri-thief"),
        ("request_uri", &uri),
    ]);
    let answer = env
        .https
        .request("GET", &format!("/authorize?{query}"), &[], b"");
    if answer.status == 200 {
        return Err("a request_uri was served to another client".into());
    }
    Ok(())
}

/// `fapi2-security-profile-final-par-authorization-request-containing-request_uri-form-param`.
pub fn par_rejects_request_uri_param(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/request-uri-param");
    let scope = env.config_id(super::Format::SdJwtVc);
    let answer = wallet.par(
        &[
            ("scope", scope),
            (
                "request_uri",
                "urn:ietf:params:oauth:request_uri:conformance",
            ),
        ],
        Some(&wallet.attestation()),
    );
    expect_oauth_error(&answer, &[400], &["invalid_request"])
}

/// `fapi2-security-profile-final-par-attempt-invalid-http-method`.
pub fn par_rejects_invalid_http_verb(env: &Env, _: Variant) -> Outcome {
    let answer = env.https.request("GET", "/par", &[], b"");
    if (200..300).contains(&answer.status) {
        return Err(format!("GET /par answered {}", answer.status));
    }
    expect_eq(answer.status, 405, "GET /par")
}

/// `fapi2-security-profile-final-par-ensure-pkce-required`.
pub fn par_pkce_required(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/no-pkce");
    let scope = env.config_id(super::Format::SdJwtVc);
    let answer = wallet.par(
        &[
            ("scope", scope),
            ("code_challenge", ""),
            ("code_challenge_method", ""),
        ],
        Some(&wallet.attestation()),
    );
    expect_oauth_error(&answer, &[400], &["invalid_request"])
}

/// `fapi2-security-profile-final-par-plain-pkce-rejected`.
pub fn par_plain_pkce_rejected(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/plain-pkce");
    let scope = env.config_id(super::Format::SdJwtVc);
    let answer = wallet.par(
        &[
            ("scope", scope),
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ],
        Some(&wallet.attestation()),
    );
    expect_oauth_error(&answer, &[400], &["invalid_request"])
}

fn redeem_with_verifier(wallet: &Wallet, code: &str, verifier: &str) -> Response {
    wallet.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", REDIRECT),
        ],
        Some(&wallet.attestation()),
    )
}

/// `fapi2-security-profile-final-ensure-pkce-code-verifier-required`.
pub fn pkce_code_verifier_required(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/no-verifier");
    let code = code(env, &wallet, &[])?;
    let answer = wallet.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
        Some(&wallet.attestation()),
    );
    expect_oauth_error(&answer, &[400], &["invalid_grant"])
}

/// `fapi2-security-profile-final-incorrect-pkce-code-verifier-rejected`.
pub fn incorrect_pkce_code_verifier_rejected(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/wrong-verifier");
    let code = code(env, &wallet, &[])?;
    let wrong = URL_SAFE_NO_PAD.encode([9u8; 32]);
    expect_oauth_error(
        &redeem_with_verifier(&wallet, &code, &wrong),
        &[400],
        &["invalid_grant"],
    )
}

/// `fapi2-security-profile-final-par-without-duplicate-parameters`: the authorization
/// endpoint with only `client_id` and `request_uri` (what [`Wallet::authorize`] sends).
pub fn par_without_duplicate_parameters(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/no-duplicates");
    code(env, &wallet, &[]).map(|_| ())
}

/// `fapi2-security-profile-final-par-attempt-reuse-request_uri`: after the authorization, the
/// same `request_uri` is refused.
pub fn par_attempt_reuse_request_uri(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/reuse-request-uri");
    let uri = request_uri(env, &wallet, &[])?;
    wallet.authorize(&uri)?;
    match wallet.authorize(&uri) {
        Ok(_) => Err("a used request_uri was served again".into()),
        Err(_) => Ok(()),
    }
}

/// `fapi2-security-profile-final-par-ensure-reused-request-uri-prior-to-auth-completion-succeeds`:
/// the login page loaded twice, then the sign-in succeeds (one-time use enforced at the
/// authorization, FAPI 2.0 SP §5.3.2.2 note 3).
pub fn par_reused_request_uri_before_authentication(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/reload");
    let uri = request_uri(env, &wallet, &[])?;
    let query = super::wallet::form(&[("client_id", &wallet.client_id), ("request_uri", &uri)]);
    let first = env
        .https
        .request("GET", &format!("/authorize?{query}"), &[], b"");
    expect_eq(first.status, 200, "first visit")?;
    wallet.authorize(&uri).map(|_| ())
}

/// `fapi2-security-profile-final-access-token-type-header-case-sensitivity`: `dPoP` works as
/// the scheme (RFC 9110 §11.1).
pub fn access_token_type_case_sensitivity(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/scheme-case");
    let granted = grant(env, &wallet, v)?;
    let key = TestWallet::new();
    let body = json!({"credential_configuration_id": env.config_id(v.format),
        "proofs": {"jwt": [wallet.proof(&key, &wallet.c_nonce())]}});
    let (header, claims) = wallet.dpop_parts("/credential", Some(&granted.token));
    let proof = wallet.dpop.sign(&header, &claims);
    let auth = format!("dPoP {}", granted.token);
    let answer = env.https.request(
        "POST",
        "/credential",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("DPoP", &proof),
        ],
        body.to_string().as_bytes(),
    );
    expect_eq(
        answer.status,
        200,
        &format!("scheme dPoP ({})", answer.text()),
    )
}

/// One credential request with a DPoP proof altered by `edit` (header, claims), or a raw
/// header value from `raw`; its status.
fn resource_with(
    env: &Env,
    wallet: &Wallet,
    granted: &Granted,
    v: Variant,
    scheme: &str,
    proof: DpopHeader,
) -> u16 {
    let key = TestWallet::new();
    let body = json!({"credential_configuration_id": env.config_id(v.format),
        "proofs": {"jwt": [wallet.proof(&key, &wallet.c_nonce())]}});
    let (header, claims) = wallet.dpop_parts("/credential", Some(&granted.token));
    let auth = format!("{scheme} {}", granted.token);
    let mut headers: Vec<(String, String)> = vec![
        ("Authorization".into(), auth),
        ("Content-Type".into(), "application/json".into()),
    ];
    match proof {
        DpopHeader::None => {}
        DpopHeader::Edited(edit) => {
            let (mut h, mut c) = (header, claims);
            edit(&mut h, &mut c);
            headers.push(("DPoP".into(), wallet.dpop.sign(&h, &c)));
        }
        DpopHeader::Raw(f) => {
            for (name, value) in f(wallet, &header, &claims) {
                headers.push((name, value));
            }
        }
    }
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.https
        .request("POST", "/credential", &refs, body.to_string().as_bytes())
        .status
}

type Edit = Box<dyn Fn(&mut Value, &mut Value)>;
type Raw = Box<dyn Fn(&Wallet, &Value, &Value) -> Vec<(String, String)>>;

enum DpopHeader {
    None,
    Edited(Edit),
    Raw(Raw),
}

fn edited(f: impl Fn(&mut Value, &mut Value) + 'static) -> DpopHeader {
    DpopHeader::Edited(Box::new(f))
}

fn remove(name: &'static str, in_header: bool) -> DpopHeader {
    edited(move |h, c| {
        let target = if in_header { h } else { c };
        target.as_object_mut().map(|m| m.remove(name));
    })
}

fn signed_with(
    edit: impl Fn(&mut Value, &mut Value) + 'static,
    sign: fn(&Wallet, &Value, &Value) -> String,
) -> DpopHeader {
    DpopHeader::Raw(Box::new(move |w, h, c| {
        let (mut h, mut c) = (h.clone(), c.clone());
        edit(&mut h, &mut c);
        vec![("DPoP".into(), sign(w, &h, &c))]
    }))
}

/// An unsigned JWS (`alg` `none`).
fn unsigned(_: &Wallet, h: &Value, c: &Value) -> String {
    let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", enc(h), enc(c))
}

/// A JWS with a damaged signature.
fn bad_signature(w: &Wallet, h: &Value, c: &Value) -> String {
    let jws = w.dpop.sign(h, c);
    let (input, sig) = jws.rsplit_once('.').unwrap_or((&jws, ""));
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap_or_default();
    if let Some(b) = bytes.get_mut(3) {
        *b ^= 1;
    }
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `fapi2-security-profile-final-dpop-negative-tests` at the credential endpoint.
pub fn dpop_negative_tests(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/dpop-negative");
    let granted = grant(env, &wallet, v)?;
    let issuer = env.issuer.clone();
    let upper = issuer.replacen("https://", "HTTPS://", 1);
    let fixed_jti = URL_SAFE_NO_PAD.encode([5u8; 12]);
    let jti_a = fixed_jti.clone();
    let jti_b = fixed_jti;
    // (what, the proof, the scheme, accepted?)
    let cases: Vec<(&str, DpopHeader, &str, bool)> = vec![
        ("a correct proof", edited(|_, _| {}), "DPoP", true),
        (
            "DPOP header name in capitals",
            DpopHeader::Raw(Box::new(|w, h, c| vec![("DPOP".into(), w.dpop.sign(h, c))])),
            "DPoP",
            true,
        ),
        (
            "two DPoP headers",
            DpopHeader::Raw(Box::new(|w, h, c| {
                let p = w.dpop.sign(h, c);
                vec![("DPoP".into(), p.clone()), ("DPoP".into(), p)]
            })),
            "DPoP",
            false,
        ),
        (
            "not a JWT",
            DpopHeader::Raw(Box::new(|_, _, _| {
                vec![("DPoP".into(), "not.a.jwt".into())]
            })),
            "DPoP",
            false,
        ),
        ("no typ", remove("typ", true), "DPoP", false),
        (
            "no alg",
            signed_with(
                |h, _| {
                    h.as_object_mut().map(|m| m.remove("alg"));
                },
                |w, h, c| w.dpop.sign(h, c),
            ),
            "DPoP",
            false,
        ),
        ("no jwk", remove("jwk", true), "DPoP", false),
        ("no jti", remove("jti", false), "DPoP", false),
        ("no htm", remove("htm", false), "DPoP", false),
        ("no htu", remove("htu", false), "DPoP", false),
        ("no iat", remove("iat", false), "DPoP", false),
        ("no ath", remove("ath", false), "DPoP", false),
        (
            "typ jwt",
            edited(|h, _| h["typ"] = json!("jwt")),
            "DPoP",
            false,
        ),
        (
            "alg RS256",
            edited(|h, _| h["alg"] = json!("RS256")),
            "DPoP",
            false,
        ),
        (
            "alg none",
            signed_with(|h, _| h["alg"] = json!("none"), unsigned),
            "DPoP",
            false,
        ),
        (
            "a damaged signature",
            signed_with(|_, _| {}, bad_signature),
            "DPoP",
            false,
        ),
        (
            "a private jwk",
            edited(|h, _| h["jwk"]["d"] = json!(URL_SAFE_NO_PAD.encode([1u8; 32]))),
            "DPoP",
            false,
        ),
        (
            "htm PUT",
            edited(|_, c| c["htm"] = json!("PUT")),
            "DPoP",
            false,
        ),
        (
            "htu with query and fragment",
            edited(|_, c| {
                let u = format!("{}?a=b#c", c["htu"].as_str().unwrap_or_default());
                c["htu"] = json!(u);
            }),
            "DPoP",
            true,
        ),
        (
            "htu of another URL",
            edited(|_, c| {
                let u = c["htu"]
                    .as_str()
                    .unwrap_or_default()
                    .replace("/credential", "/other");
                c["htu"] = json!(u);
            }),
            "DPoP",
            false,
        ),
        (
            "iat an hour ahead",
            edited(|_, c| c["iat"] = json!(now() + 3600)),
            "DPoP",
            false,
        ),
        (
            "iat an hour ago",
            edited(|_, c| c["iat"] = json!(now() - 3600)),
            "DPoP",
            false,
        ),
        (
            "a fixed jti, first use",
            edited(move |_, c| c["jti"] = json!(jti_a)),
            "DPoP",
            true,
        ),
        (
            "the same jti again",
            edited(move |_, c| c["jti"] = json!(jti_b)),
            "DPoP",
            false,
        ),
        (
            "a wrong ath",
            edited(|_, c| c["ath"] = json!(URL_SAFE_NO_PAD.encode([0u8; 32]))),
            "DPoP",
            false,
        ),
        (
            "signed by another key",
            DpopHeader::Raw(Box::new(|_, h, c| {
                let other = TestWallet::new();
                let mut h = h.clone();
                h["jwk"] = other.public_jwk();
                vec![("DPoP".into(), other.sign(&h, c))]
            })),
            "DPoP",
            false,
        ),
        (
            "extra header and claims",
            edited(|h, c| {
                h["x-extra"] = json!(1);
                c["x-extra"] = json!(2);
            }),
            "DPoP",
            true,
        ),
        (
            "htu scheme and host in capitals",
            edited(move |_, c| {
                let u = c["htu"]
                    .as_str()
                    .unwrap_or_default()
                    .replacen(&issuer, &upper, 1);
                c["htu"] = json!(u);
            }),
            "DPoP",
            true,
        ),
        ("no DPoP proof", DpopHeader::None, "DPoP", false),
        (
            "no DPoP proof, scheme Bearer",
            DpopHeader::None,
            "Bearer",
            false,
        ),
        (
            "a correct proof still works",
            edited(|_, _| {}),
            "DPoP",
            true,
        ),
    ];
    for (what, proof, scheme, accepted) in cases {
        let status = resource_with(env, &wallet, &granted, v, scheme, proof);
        let ok = if accepted {
            status == 200
        } else {
            status == 400 || status == 401
        };
        if !ok {
            return Err(format!(
                "{what}: {status} (expected {})",
                if accepted { "200" } else { "400 or 401" }
            ));
        }
    }
    Ok(())
}
