//! The happy flows: one client, additional requests, two clients, no notification, a batch.

use super::*;

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
        crate::Flow::IssuerInitiated => {
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
    let distinct = |f: &dyn Fn(&crate::verify::Facts) -> String| {
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
