//! The metadata modules: issuer and authorization server metadata, plain and signed.

use super::*;

fn is_https(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with("https://"))
}

/// `oid4vci-1_0-issuer-metadata-test`.
pub fn metadata_test(env: &Env, _: Variant) -> Outcome {
    let answer = env
        .https
        .request("GET", "/.well-known/openid-credential-issuer", &[], b"");
    expect_eq(answer.status, 200, "issuer metadata status")?;
    if !answer
        .header("Content-Type")
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return Err("issuer metadata is not application/json".into());
    }
    let meta = answer.json();
    for field in [
        "credential_issuer",
        "credential_endpoint",
        "credential_configurations_supported",
    ] {
        if meta.get(field).is_none() {
            return Err(format!("issuer metadata lacks {field}"));
        }
    }
    expect_eq(
        meta["credential_issuer"].as_str(),
        Some(env.issuer.as_str()),
        "credential_issuer",
    )?;
    for field in [
        "credential_endpoint",
        "nonce_endpoint",
        "notification_endpoint",
        "deferred_credential_endpoint",
    ] {
        if meta.get(field).is_some() && !is_https(&meta[field]) {
            return Err(format!("{field} is not https"));
        }
    }
    if !is_https(&meta["nonce_endpoint"]) {
        return Err("no nonce_endpoint (HAIP)".into());
    }
    for server in meta["authorization_servers"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if !is_https(server) {
            return Err("an authorization server is not https".into());
        }
    }
    let configs = meta["credential_configurations_supported"]
        .as_object()
        .ok_or("credential_configurations_supported is not an object")?;
    for (id, c) in configs {
        if !c["scope"].is_string() {
            return Err(format!("{id} has no scope (HAIP)"));
        }
        let algs = &c["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"];
        if !algs.as_array().is_some_and(|a| a.contains(&json!("ES256"))) {
            return Err(format!("{id}: ES256 proofs not supported"));
        }
    }
    let batch = meta["batch_credential_issuance"]["batch_size"]
        .as_u64()
        .unwrap_or(0);
    if batch < 2 {
        return Err("batch_credential_issuance.batch_size below 2".into());
    }
    let answer = env
        .https
        .request("GET", "/.well-known/oauth-authorization-server", &[], b"");
    expect_eq(answer.status, 200, "AS metadata status")?;
    let as_meta = answer.json();
    expect_eq(
        as_meta["issuer"].as_str(),
        Some(env.issuer.as_str()),
        "AS issuer",
    )?;
    for field in [
        "token_endpoint",
        "pushed_authorization_request_endpoint",
        "authorization_endpoint",
    ] {
        if !is_https(&as_meta[field]) {
            return Err(format!("AS metadata {field} missing or not https"));
        }
    }
    let has = |field: &str, value: &str| {
        as_meta[field]
            .as_array()
            .is_some_and(|a| a.contains(&json!(value)))
    };
    if !has("code_challenge_methods_supported", "S256") {
        return Err("PKCE S256 not advertised".into());
    }
    if !has("dpop_signing_alg_values_supported", "ES256") {
        return Err("DPoP ES256 not advertised".into());
    }
    if as_meta["authorization_response_iss_parameter_supported"] != true {
        return Err("RFC 9207 iss not advertised".into());
    }
    for field in [
        "client_attestation_signing_alg_values_supported",
        "client_attestation_pop_signing_alg_values_supported",
    ] {
        if !has(field, "ES256") {
            return Err(format!("{field} lacks ES256"));
        }
    }
    Ok(())
}

/// `oid4vci-1_0-issuer-metadata-test-signed`.
pub fn metadata_test_signed(env: &Env, _: Variant) -> Outcome {
    let answer = env.https.request(
        "GET",
        "/.well-known/openid-credential-issuer",
        &[("Accept", "application/jwt")],
        b"",
    );
    expect_eq(answer.status, 200, "status")?;
    if !answer
        .header("Content-Type")
        .is_some_and(|c| c.starts_with("application/jwt"))
    {
        return Err(format!("content type {:?}", answer.header("Content-Type")));
    }
    let jwt = answer.text();
    let parts: Vec<&str> = jwt.trim().split('.').collect();
    let [h, p, s] = parts.as_slice() else {
        return Err("not a compact JWS".into());
    };
    let decode = |x: &str| -> Result<Value, String> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(x).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())
    };
    let header = decode(h)?;
    expect_eq(
        header["typ"].as_str(),
        Some("openidvci-issuer-metadata+jwt"),
        "typ",
    )?;
    let leaf = header["x5c"][0].as_str().ok_or("neither jwk nor x5c")?;
    let der = base64::engine::general_purpose::STANDARD
        .decode(leaf)
        .map_err(|e| e.to_string())?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).map_err(|e| e.to_string())?;
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(
        cert.public_key().subject_public_key.data.as_ref(),
    )
    .map_err(|e| e.to_string())?;
    let sig =
        p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(s).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    p256::ecdsa::signature::Verifier::verify(&key, format!("{h}.{p}").as_bytes(), &sig)
        .map_err(|_| "the signature does not verify with the x5c key".to_owned())?;
    let payload = decode(p)?;
    expect_eq(
        payload["credential_issuer"].as_str(),
        Some(env.issuer.as_str()),
        "credential_issuer",
    )?;
    expect_eq(payload["iss"].as_str(), Some(env.issuer.as_str()), "iss")
}
