//! The token endpoint: holder of key, codes bound to their client, reused and expired codes,
//! an expired `request_uri`, refresh tokens.

use super::*;

/// `fapi2-security-profile-final-ensure-holder-of-key-required`: a token request without DPoP
/// is refused; TLS 1.2+ only.
pub fn holder_of_key_required(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/hok");
    let code = code(env, &wallet, &[])?;
    let a = wallet.attestation();
    let body = crate::wallet::form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("code_verifier", VERIFIER),
        ("redirect_uri", REDIRECT),
        ("client_id", &wallet.client_id),
    ]);
    let answer = wallet.post_form_raw("/token", &body, &a, None);
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
    let scope = env.config_id(crate::Format::SdJwtVc);
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
