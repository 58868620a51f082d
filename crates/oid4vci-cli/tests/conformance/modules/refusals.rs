//! The negative modules: bad nonces, proofs, key and client attestations, unknown
//! configurations and identifiers, encryption, a token in the query.

use super::*;

/// `oid4vci-1_0-issuer-fail-invalid-nonce`.
pub fn fail_invalid_nonce(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/nonce");
    let granted = grant(env, &wallet, v)?;
    let key = TestWallet::new();
    let forged = URL_SAFE_NO_PAD.encode([7u8; 32]);
    let proofs = json!({"jwt": [wallet.proof(&key, &forged)]});
    let answer = request(env, &wallet, &granted, v, Some(proofs), |_| {})?;
    expect_error(answer.status, &answer.body, &[400], &["invalid_nonce"])
}

/// `oid4vci-1_0-issuer-fail-invalid-jwt-proof-signature`.
pub fn fail_invalid_jwt_proof_signature(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/signature");
    let granted = grant(env, &wallet, v)?;
    let key = TestWallet::new();
    let proof = wallet.proof(&key, &wallet.c_nonce());
    let proofs = json!({"jwt": [tamper(&proof)]});
    let answer = request(env, &wallet, &granted, v, Some(proofs), |_| {})?;
    expect_error(answer.status, &answer.body, &[400], &["invalid_proof"])
}

/// Flips a bit of a JWS's signature.
fn tamper(jws: &str) -> String {
    let (input, sig) = jws.rsplit_once('.').unwrap_or((jws, ""));
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap_or_default();
    if let Some(b) = bytes.get_mut(10) {
        *b ^= 0x01;
    }
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `oid4vci-1_0-issuer-fail-invalid-key-attestation-signature`.
pub fn fail_invalid_key_attestation_signature(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/key-attestation");
    let granted = grant(env, &wallet, v)?;
    let key = TestWallet::new();
    let nonce = wallet.c_nonce();
    let attestation = tamper(&wallet.key_attestation(&[&key], &nonce));
    let header = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": key.public_jwk(),
        "key_attestation": attestation});
    let proof = key.sign(
        &header,
        &json!({"iss": wallet.client_id, "aud": env.issuer, "iat": now(), "nonce": nonce}),
    );
    let answer = request(
        env,
        &wallet,
        &granted,
        v,
        Some(json!({"jwt": [proof]})),
        |_| {},
    )?;
    expect_error(answer.status, &answer.body, &[400], &["invalid_proof"])
}

/// `oid4vci-1_0-issuer-fail-missing-proof`.
pub fn fail_missing_proof(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/missing-proof");
    let granted = grant(env, &wallet, v)?;
    let answer = request(env, &wallet, &granted, v, None, |b| {
        b.as_object_mut().map(|m| m.remove("proofs"));
    })?;
    expect_error(answer.status, &answer.body, &[400], &["invalid_proof"])
}

/// `oid4vci-1_0-issuer-fail-unknown-credential-configuration`.
pub fn fail_unknown_credential_configuration(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/unknown-config");
    let granted = grant(env, &wallet, v)?;
    let answer = request(env, &wallet, &granted, v, None, |b| {
        if let Some(m) = b.as_object_mut() {
            m.remove("credential_identifier");
            m.insert(
                "credential_configuration_id".into(),
                json!("conformance.unknown.configuration"),
            );
        }
    })?;
    expect_error(
        answer.status,
        &answer.body,
        &[400],
        &["unknown_credential_configuration"],
    )
}

/// `oid4vci-1_0-issuer-fail-unknown-credential-identifier`.
pub fn fail_unknown_credential_identifier(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/unknown-identifier");
    let granted = grant(env, &wallet, v)?;
    let answer = request(env, &wallet, &granted, v, None, |b| {
        if let Some(m) = b.as_object_mut() {
            m.remove("credential_configuration_id");
            m.insert(
                "credential_identifier".into(),
                json!("conformance-unknown-identifier"),
            );
        }
    })?;
    expect_error(
        answer.status,
        &answer.body,
        &[400],
        &["unknown_credential_identifier"],
    )
}

/// `oid4vci-1_0-issuer-fail-unsupported-encryption-algorithm`.
pub fn fail_unsupported_encryption_algorithm(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/encryption");
    let granted = grant(env, &wallet, v)?;
    let answer = request(env, &wallet, &granted, v, None, |b| {
        b["credential_response_encryption"]["enc"] = json!("A999GCM");
    })?;
    expect_error(
        answer.status,
        &answer.body,
        &[400],
        &["invalid_encryption_parameters"],
    )
}

/// `oid4vci-1_0-issuer-fail-on-access-token-in-query`.
pub fn fail_on_access_token_in_query(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/query");
    let granted = grant(env, &wallet, v)?;
    let key = TestWallet::new();
    let body = json!({"credential_configuration_id": env.config_id(v.format),
        "proofs": {"jwt": [wallet.proof(&key, &wallet.c_nonce())]}});
    let url = format!("{}/credential", env.issuer);
    let proof = wallet.dpop.dpop_proof(&url, Some(&granted.token), now());
    let answer = env.https.request(
        "POST",
        &format!("/credential?access_token={}", granted.token),
        &[("Content-Type", "application/json"), ("DPoP", &proof)],
        body.to_string().as_bytes(),
    );
    if answer.status == 200 {
        return Err("a token in the query was accepted (FAPI 2.0 SP 5.3.4)".into());
    }
    Ok(())
}

/// The PAR of a client attestation negative module: refused with 400 or 401, JSON, and
/// `invalid_client`, `invalid_request` or `invalid_client_attestation`.
fn refused_at_par(env: &Env, wallet: &Wallet, attestation: Attestation) -> Outcome {
    let config = env.config_id(Format::SdJwtVc);
    let details =
        json!([{"type": "openid_credential", "credential_configuration_id": config}]).to_string();
    let answer = wallet.par(&[("authorization_details", &details)], Some(&attestation));
    if !answer
        .header("Content-Type")
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return Err("the refusal is not JSON".into());
    }
    expect_error(
        answer.status,
        &answer.json(),
        &[400, 401],
        &[
            "invalid_client",
            "invalid_request",
            "invalid_client_attestation",
        ],
    )
}

/// `oid4vci-1_0-issuer-fail-invalid-client-attestation-signature`.
pub fn fail_invalid_client_attestation_signature(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/attestation-signature");
    let mut a = wallet.attestation();
    a.jwt = tamper(&a.jwt);
    refused_at_par(env, &wallet, a)
}

/// `oid4vci-1_0-issuer-fail-invalid-client-attestation-pop-signature`.
pub fn fail_invalid_client_attestation_pop_signature(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/pop-signature");
    let mut a = wallet.attestation();
    a.pop = tamper(&a.pop);
    refused_at_par(env, &wallet, a)
}

/// `oid4vci-1_0-issuer-fail-client-attestation-exp-in-past`.
pub fn fail_client_attestation_exp_in_past(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/expired");
    let mut claims = wallet.attestation_claims();
    claims["exp"] = json!(now() - 600);
    let mut a = wallet.attestation();
    a.jwt = env.provider.attest(&claims);
    refused_at_par(env, &wallet, a)
}

/// `oid4vci-1_0-issuer-fail-client-attestation-no-sub`.
pub fn fail_client_attestation_no_sub(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/no-sub");
    let mut claims = wallet.attestation_claims();
    claims.as_object_mut().map(|m| m.remove("sub"));
    let mut a = wallet.attestation();
    a.jwt = env.provider.attest(&claims);
    refused_at_par(env, &wallet, a)
}

/// `oid4vci-1_0-issuer-fail-client-attestation-pop-wrong-aud`.
pub fn fail_client_attestation_pop_wrong_aud(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/wrong-aud");
    let mut a = wallet.attestation();
    a.pop = wallet.sign_pop(
        &wallet.instance,
        &wallet.pop_claims("https://other-as.example.com"),
    );
    refused_at_par(env, &wallet, a)
}

/// `oid4vci-1_0-issuer-fail-mismatched-client-attestation-pop-key`.
pub fn fail_mismatched_client_attestation_pop_key(env: &Env, _: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/mismatched");
    let mut a = wallet.attestation();
    a.pop = wallet.sign_pop(&TestWallet::new(), &wallet.pop_claims(&env.issuer));
    refused_at_par(env, &wallet, a)
}
