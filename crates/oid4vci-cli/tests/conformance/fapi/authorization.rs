//! Discovery, the authorization request (PAR, PKCE, state, redirect URI, response type) and
//! the `request_uri`.

use super::*;

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

/// `fapi2-security-profile-final-ensure-unsigned-authorization-request-without-using-par-fails`.
pub fn authorization_request_without_par_fails(env: &Env, _: Variant) -> Outcome {
    let query = crate::wallet::form(&[
        ("response_type", "code"),
        ("client_id", "https://wallet.example.com/no-par"),
        ("redirect_uri", REDIRECT),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("scope", env.config_id(crate::Format::SdJwtVc)),
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
    let scope = env.config_id(crate::Format::SdJwtVc);
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
    let scope = env.config_id(crate::Format::SdJwtVc);
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

/// `fapi2-security-profile-final-par-attempt-to-use-request_uri-for-different-client`.
pub fn par_request_uri_bound_to_client(env: &Env, _: Variant) -> Outcome {
    let first = env.wallet("https://wallet.example.com/uri-owner");
    let uri = request_uri(env, &first, &[])?;
    let query = crate::wallet::form(&[
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
    let scope = env.config_id(crate::Format::SdJwtVc);
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
    let scope = env.config_id(crate::Format::SdJwtVc);
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
    let scope = env.config_id(crate::Format::SdJwtVc);
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
    let query = crate::wallet::form(&[("client_id", &wallet.client_id), ("request_uri", &uri)]);
    let first = env
        .https
        .request("GET", &format!("/authorize?{query}"), &[], b"");
    expect_eq(first.status, 200, "first visit")?;
    wallet.authorize(&uri).map(|_| ())
}
