//! One function per OIDF module (`net.openid.conformance.vci10issuer`), named after it, asserting
//! what the module's conditions assert. Each returns `Err` with what failed.

use super::flows::{self, check_issued, expect_error, grant, obtain, request};
use super::wallet::{expect_eq, now, Attestation, Wallet};
use super::{Encryption, Env, Format, Variant};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};
use std::collections::HashSet;

type Outcome = Result<(), String>;

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

/// `oid4vci-1_0-issuer-happy-flow`: the flow, with unknown fields sprinkled in, a notification,
/// and (encrypted) a second request asking for `zip` `DEF`.
pub fn happy_flow(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/happy");
    let granted = grant(env, &wallet, v)?;
    let key = TestWallet::new();
    let proofs = json!({"jwt": [wallet.proof(&key, &wallet.c_nonce())]});
    let answer = request(env, &wallet, &granted, v, Some(proofs), |b| {
        b["conformance_unknown_field"] = json!("ignored");
    })?;
    expect_eq(
        answer.status,
        200,
        &format!("credential status ({})", answer.body),
    )?;
    check_issued(env, v, &answer.body, &[key.public_jwk()])?;
    let notification = answer.body["notification_id"]
        .as_str()
        .ok_or("no notification_id")?;
    let note = wallet.notify(
        &granted.token,
        &json!({"notification_id": notification, "event": "credential_accepted", "x_unknown": 1}),
    );
    expect_eq(note.status, 204, &format!("notification ({})", note.text()))?;
    if v.encryption == Encryption::Encrypted {
        let key = TestWallet::new();
        let proofs = json!({"jwt": [wallet.proof(&key, &wallet.c_nonce())]});
        let zipped = request(env, &wallet, &granted, v, Some(proofs), |b| {
            b["credential_response_encryption"]["zip"] = json!("DEF");
        })?;
        expect_eq(
            zipped.status,
            200,
            &format!("compressed request ({})", zipped.body),
        )?;
        check_issued(env, v, &zipped.body, &[key.public_jwk()])?;
        let header = zipped.jwe_header.unwrap_or_default();
        let advertised = env.metadata["credential_response_encryption"]["zip_values_supported"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("DEF")));
        if advertised && header["zip"] != "DEF" {
            return Err("DEF advertised but the response was not compressed".into());
        }
    }
    Ok(())
}

/// `oid4vci-1_0-issuer-happy-flow-additional-requests`: more credential requests with FAPI
/// headers and permissive Accept headers; TLS 1.2 only with AEAD ECDHE suites, TLS 1.3 preferred.
pub fn happy_flow_additional_requests(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/additional");
    let (granted, _) = obtain(env, &wallet, v)?;
    for headers in [
        vec![
            ("x-fapi-customer-ip-address", "2001:db8::1"),
            ("Accept", "application/json; charset=utf-8"),
        ],
        vec![("Accept", "*/*")],
    ] {
        *wallet.extra_headers.borrow_mut() = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let key = TestWallet::new();
        let proofs = json!({"jwt": [wallet.proof(&key, &wallet.c_nonce())]});
        let answer = request(env, &wallet, &granted, v, Some(proofs), |_| {})?;
        if ![200, 202].contains(&answer.status) {
            return Err(format!(
                "additional request: {} {}",
                answer.status, answer.body
            ));
        }
    }
    let (version, _) = env.https.handshake(None)?;
    expect_eq(version.as_str(), "TLSv1_3", "negotiated TLS version")?;
    let (version, suite) = env.https.handshake(Some(&rustls::version::TLS12))?;
    expect_eq(version.as_str(), "TLSv1_2", "TLS 1.2 handshake")?;
    if !(suite.contains("ECDHE") && (suite.contains("GCM") || suite.contains("CHACHA20"))) {
        return Err(format!("TLS 1.2 suite {suite} is not an ECDHE AEAD suite"));
    }
    Ok(())
}

/// `oid4vci-1_0-issuer-happy-flow-multiple-clients`: two clients one after the other (the
/// second with the same issuer_state when issuer-initiated); client 1's DPoP key cannot use
/// client 2's token.
pub fn happy_flow_multiple_clients(env: &Env, v: Variant) -> Outcome {
    let first = env.wallet("https://wallet.example.com/client-1");
    let second = env.wallet("https://wallet.example.com/client-2");
    match v.flow {
        super::Flow::IssuerInitiated => {
            let config = env.config_id(v.format);
            let offer = env.admin_offer(&json!({"credential_configuration_ids": [config],
                "pre_authorized": false, "authorization_code": {}, "claims": env.claims(v.format)}))?;
            let state = offer["credential_offer"]["grants"]["authorization_code"]["issuer_state"]
                .as_str()
                .ok_or("no issuer_state")?
                .to_owned();
            for wallet in [&first, &second] {
                let pushed = wallet.par(
                    &[("issuer_state", &state), ("scope", config)],
                    Some(&wallet.attestation()),
                );
                expect_eq(
                    pushed.status,
                    201,
                    &format!("PAR with the offer's issuer_state ({})", pushed.text()),
                )?;
                let uri = pushed.json()["request_uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let code = wallet.authorize(&uri)?;
                let token = wallet.redeem_code(&code);
                expect_eq(token.status, 200, &format!("token ({})", token.text()))?;
                let granted = flows::Granted {
                    token: token.json()["access_token"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    response: token.json(),
                };
                let key = TestWallet::new();
                let proofs = json!({"jwt": [wallet.proof(&key, &wallet.c_nonce())]});
                let answer = request(env, wallet, &granted, v, Some(proofs), |_| {})?;
                expect_eq(answer.status, 200, &format!("credential ({})", answer.body))?;
                check_issued(env, v, &answer.body, &[key.public_jwk()])?;
                if std::ptr::eq(wallet, &second) {
                    return token_of_another_client(env, &first, &granted, v);
                }
            }
            Ok(())
        }
        _ => {
            obtain(env, &first, v)?;
            let (granted, _) = obtain(env, &second, v)?;
            token_of_another_client(env, &first, &granted, v)
        }
    }
}

fn token_of_another_client(
    env: &Env,
    first: &Wallet,
    granted: &flows::Granted,
    v: Variant,
) -> Outcome {
    let key = TestWallet::new();
    let proofs = json!({"jwt": [first.proof(&key, &first.c_nonce())]});
    let answer = request(env, first, granted, v, Some(proofs), |_| {})?;
    if !(400..500).contains(&answer.status) {
        return Err(format!(
            "client 1's DPoP key used client 2's token: {}",
            answer.status
        ));
    }
    Ok(())
}

/// `oid4vci-1_0-issuer-happy-flow-skip-notification`.
pub fn happy_flow_skip_notification(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/skip");
    obtain(env, &wallet, v).map(|_| ())
}

/// `oid4vci-1_0-issuer-batch-issuance`: one proof per credential up to the batch size; distinct
/// keys, salts and status entries, the same dataset, time claims that do not link them.
pub fn batch_issuance(env: &Env, v: Variant) -> Outcome {
    let wallet = env.wallet("https://wallet.example.com/batch");
    let granted = grant(env, &wallet, v)?;
    let size = env.metadata["batch_credential_issuance"]["batch_size"]
        .as_u64()
        .ok_or("no batch_size")?
        .min(20) as usize;
    let keys: Vec<TestWallet> = (0..size).map(|_| TestWallet::new()).collect();
    let nonce = wallet.c_nonce();
    let proofs: Vec<String> = keys.iter().map(|k| wallet.proof(k, &nonce)).collect();
    let answer = request(
        env,
        &wallet,
        &granted,
        v,
        Some(json!({"jwt": proofs})),
        |_| {},
    )?;
    expect_eq(answer.status, 200, &format!("batch ({})", answer.body))?;
    let holders: Vec<Value> = keys.iter().map(TestWallet::public_jwk).collect();
    let facts = check_issued(env, v, &answer.body, &holders)?;
    if facts.len() < 2 {
        return Err("one credential only: batch behaviour cannot be evaluated".into());
    }
    let distinct = |f: &dyn Fn(&super::verify::Facts) -> String| {
        facts.iter().map(f).collect::<HashSet<_>>().len() == facts.len()
    };
    if !distinct(&|f| f.holder_x.clone()) {
        return Err("two credentials bound to the same key".into());
    }
    let salts: Vec<&String> = facts.iter().flat_map(|f| &f.salts).collect();
    if salts.iter().collect::<HashSet<_>>().len() != salts.len() {
        return Err("salts repeat across the batch".into());
    }
    if facts.iter().any(|f| f.dataset != facts[0].dataset) {
        return Err("the credentials carry different datasets".into());
    }
    if facts.iter().any(|f| f.status.is_some()) && !distinct(&|f| format!("{:?}", f.status)) {
        return Err("status entries repeat across the batch".into());
    }
    if v.format == Format::SdJwtVc {
        for f in &facts {
            for t in &f.times {
                let secs: u64 = t.parse().map_err(|_| format!("time claim {t}"))?;
                if !secs.is_multiple_of(3600) && secs % 3600 != 3599 {
                    return Err(format!(
                        "a precise time claim {secs} links the batch (RFC 9901 §10.1)"
                    ));
                }
            }
        }
    }
    Ok(())
}

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
