//! Every example message of the spec text and every message in `testdata/messages/` parses,
//! round-trips, and re-serialises to the normalised 1.0 form.

mod common;

use base64::Engine;
use common::{inline_examples, json_body, read, vectors_dir};
use oid4vci_types::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Parses `body` as `T`, serialises it, and checks the serialised form parses back to an equal value.
fn round_trip<T>(body: &str) -> (T, Value)
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let value: T =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("parse failed: {e}\n{body}"));
    let out = serde_json::to_value(&value).expect("serialises");
    let again: T = serde_json::from_value(out.clone()).expect("re-parses");
    assert_eq!(value, again, "round trip changed the value");
    (value, out)
}

fn original(body: &str) -> Value {
    serde_json::from_str(body).expect("vector is JSON")
}

/// Asserts the serialised request is in the 1.0 form.
fn assert_request_is_1_0(out: &Value) {
    assert!(
        out.get("proof").is_none(),
        "singular proof must be normalised away: {out}"
    );
    if let Some(proofs) = out.get("proofs") {
        assert_eq!(proofs.as_object().map(|m| m.len()), Some(1), "{out}");
    }
}

fn check_file(kind: &str, name: &str, body: &str) -> usize {
    let orig = original(body);
    let final_1_0 = kind == "1.0-final";
    match name {
        n if n.starts_with("authorization_details") => {
            let list = AuthorizationDetail::parse_list(body).unwrap_or_else(|e| panic!("{n}: {e}"));
            let (_, out) = round_trip::<Vec<AuthorizationDetail>>(body);
            assert_eq!(
                out, orig,
                "{n}: authorization details must round-trip losslessly"
            );
            list.len()
        }
        n if n.starts_with("credential_issuer_metadata") && n.ends_with(".json") => {
            let meta = CredentialIssuerMetadata::from_json(body.as_bytes())
                .unwrap_or_else(|e| panic!("{n}: {e}"));
            let (_, out) = round_trip::<CredentialIssuerMetadata>(body);
            if final_1_0 {
                assert_eq!(out, orig, "{n}: 1.0 metadata must round-trip losslessly");
            }
            assert_configs_normalised(&out["credential_configurations_supported"]);
            meta.credential_configurations_supported.len()
        }
        n if n.starts_with("credential_metadata") => {
            let (configs, out) = round_trip::<BTreeMap<String, CredentialConfiguration>>(
                &orig["credential_configurations_supported"].to_string(),
            );
            for (id, c) in &configs {
                c.validate(id).unwrap_or_else(|e| panic!("{n}: {e}"));
            }
            if final_1_0 {
                assert_eq!(
                    out, orig["credential_configurations_supported"],
                    "{n}: lossless"
                );
            }
            assert_configs_normalised(&out);
            configs.len()
        }
        n if n.starts_with("credential_offer") => {
            let offer =
                CredentialOffer::from_json(body.as_bytes()).unwrap_or_else(|e| panic!("{n}: {e}"));
            let (_, out) = round_trip::<CredentialOffer>(body);
            assert_eq!(out, orig, "{n}: offers round-trip losslessly");
            offer.credential_configuration_ids.len()
        }
        n if n.starts_with("credential_request") => {
            let request = CredentialRequest::from_json(body.as_bytes())
                .unwrap_or_else(|e| panic!("{n}: {e}"));
            let (_, out) = round_trip::<CredentialRequest>(body);
            assert_request_is_1_0(&out);
            if orig.get("proof").is_none() {
                assert_eq!(
                    out, orig,
                    "{n}: requests without draft-13 members round-trip losslessly"
                );
            }
            request.proofs.map_or(0, |p| p.len())
        }
        n if n.starts_with("credential_response") => {
            let (resp, out) = round_trip::<CredentialResponse>(body);
            resp.validate().unwrap_or_else(|e| panic!("{n}: {e}"));
            assert!(
                out.get("credential").is_none(),
                "{n}: singular credential normalised"
            );
            assert!(out["credentials"].is_array(), "{n}");
            if final_1_0 {
                assert_eq!(out, orig, "{n}: lossless");
            }
            resp.credentials.map_or(0, |c| c.len())
        }
        other => panic!("no parser for vector {kind}/{other}: add it to this test"),
    }
}

fn assert_configs_normalised(configs: &Value) {
    for (id, c) in configs.as_object().expect("configurations are an object") {
        assert!(
            c.get("display").is_none(),
            "{id}: display belongs in credential_metadata"
        );
        assert!(
            c.get("claims").is_none(),
            "{id}: claims belong in credential_metadata"
        );
        assert!(
            c.pointer("/credential_definition/credentialSubject")
                .is_none(),
            "{id}"
        );
    }
}

#[test]
fn every_spec_example_file_parses_and_normalises() {
    let mut checked = 0;
    for kind in ["1.0-final", "draft-13"] {
        let dir = vectors_dir().join("messages/spec").join(kind);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("vector dir exists")
            .map(|e| {
                e.expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        for name in names {
            let text = read(&format!("messages/spec/{kind}/{name}"));
            match name.as_str() {
                // Not OID4VCI messages: a JWKS and a wallet attestation JWT (client authentication).
                "issuer_jwks.json" => {
                    let jwks: Value =
                        serde_json::from_str(&json_body(&text)).expect("JWKS is JSON");
                    assert!(
                        jwks["jwks"].is_array(),
                        "the jwks of credential_request_encryption"
                    );
                    continue;
                }
                "wallet_attestation.jwt.txt" => continue,
                "credential_issuer_metadata_sd_jwt_jwt.txt" => {
                    // Signed metadata (12.2.3): the payload carries the metadata parameters as claims.
                    let compact: String = text.split_whitespace().collect();
                    let payload = compact.split('.').nth(1).expect("JWT has a payload");
                    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(payload)
                        .expect("base64url payload");
                    let meta = CredentialIssuerMetadata::from_json(&bytes)
                        .expect("signed metadata payload parses");
                    assert!(
                        meta.extra.contains_key("iat"),
                        "JWT claims are kept in extra"
                    );
                    assert!(!meta.credential_configurations_supported.is_empty());
                }
                _ => {
                    let body = json_body(&text);
                    check_file(kind, &name, &body);
                }
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 40,
        "expected every example file to be checked, got {checked}"
    );
}

#[test]
fn seed_messages_from_a_production_flow_parse() {
    let offer = CredentialOffer::from_json(read("messages/seed_credential_offer.json").as_bytes())
        .expect("offer");
    let grant = offer
        .pre_authorized_code_grant()
        .expect("pre-authorized grant");
    assert!(grant.tx_code.is_none());

    let token = TokenRequest::from_form(read("messages/seed_token_request.form").trim().as_bytes())
        .expect("form");
    match &token.grant {
        TokenGrant::PreAuthorizedCode {
            pre_authorized_code,
            tx_code,
        } => {
            assert_eq!(pre_authorized_code, &grant.pre_authorized_code);
            assert!(tx_code.is_none());
        }
        other => panic!("wrong grant {other:?}"),
    }
    assert_eq!(token.client_id.as_deref(), Some("wallet-dev"));
    let details = token
        .authorization_details
        .as_ref()
        .expect("authorization_details");
    assert_eq!(
        details[0].credential_configuration_id.as_deref(),
        Some("eu.europa.ec.av.1")
    );
    let reparsed = TokenRequest::from_form(token.to_form().as_bytes()).expect("to_form parses");
    assert_eq!(reparsed, token);

    let (resp, out) = round_trip::<TokenResponse>(&read("messages/seed_token_response.json"));
    assert_eq!(out, original(&read("messages/seed_token_response.json")));
    let ids = resp
        .authorization_details
        .as_ref()
        .and_then(|d| d[0].credential_identifiers.clone());
    assert_eq!(ids, Some(vec!["sv4TVkBG1sdXi-PDfIxwlg".to_owned()]));

    let request =
        CredentialRequest::from_json(read("messages/seed_credential_request.json").as_bytes())
            .expect("request");
    assert_eq!(
        request.credential,
        CredentialSelector::Identifier("sv4TVkBG1sdXi-PDfIxwlg".into())
    );

    let (_, form) = CredentialRequest::from_json_with_form(
        read("messages/seed_credential_request.json").as_bytes(),
    )
    .expect("1.0");
    assert_eq!(form, RequestForm::V1);
    let (draft13, form) = CredentialRequest::from_json_with_form(
        read("messages/draft13_credential_request.json").as_bytes(),
    )
    .expect("draft 13");
    assert_eq!(form, RequestForm::Draft13);
    assert_eq!(
        draft13.proofs, request.proofs,
        "the same proof, normalised from the singular form"
    );
    let CredentialSelector::Format(sel) = &draft13.credential else {
        panic!("format selector")
    };
    assert_eq!(sel.format, CredentialFormat::VcSdJwt);
    assert_eq!(sel.vct.as_deref(), Some("eu.europa.ec.av.1"));
    let mut meta = CredentialIssuerMetadata::new("https://issuer.example.com");
    meta.credential_configurations_supported.insert(
        "eu.europa.ec.av.1".into(),
        CredentialConfiguration::sd_jwt_vc("eu.europa.ec.av.1"),
    );
    assert_eq!(meta.find_by_format(sel), Some("eu.europa.ec.av.1"));
}

#[test]
fn every_inline_example_of_the_spec_text_parses() {
    let examples = inline_examples();
    let v1 = &examples["v1_0_final"];
    let body = |k: &str| -> Value {
        let e = &v1[k];
        e.get("body").cloned().unwrap_or_else(|| e.clone())
    };

    // 4.1.2 / 4.1.3 offers as URIs.
    for key in [
        "credential_offer_by_value_4_1_2",
        "credential_offer_by_reference_4_1_3",
    ] {
        let uri = v1[key].as_str().expect("uri string");
        let parsed = CredentialOfferRequest::from_uri(uri).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(
            CredentialOfferRequest::from_uri(&parsed.to_uri()).expect("re-encode"),
            parsed
        );
    }
    let get = v1["credential_offer_by_value_get_4_1_2"]
        .as_str()
        .expect("GET line");
    let target = get.split_whitespace().nth(1).expect("request target");
    let CredentialOfferRequest::ByValue(offer) =
        CredentialOfferRequest::from_uri(target).expect("GET offer")
    else {
        panic!("by value")
    };
    assert_eq!(offer.credential_configuration_ids.len(), 2);

    // 6.1.1 token request (form body after the blank line).
    let http = v1["token_request_pre_authorized_6_1_1"]
        .as_str()
        .expect("http text");
    let form = http
        .split_once("\n\n")
        .map(|(_, b)| b.trim())
        .expect("form body");
    let token = TokenRequest::from_form(form.as_bytes()).expect("token request");
    assert!(
        matches!(&token.grant, TokenGrant::PreAuthorizedCode { tx_code: Some(t), .. } if t.expose() == "493536")
    );
    assert!(token.authorization_details.is_some());

    let (_, out) = round_trip::<TokenResponse>(&body("token_response_6_2").to_string());
    assert_eq!(out, body("token_response_6_2"));
    for key in [
        "token_error_6_3",
        "credential_error_8_3_1_2",
        "deferred_error_9_3",
        "notification_error_11_3",
    ] {
        // Their HTTP statuses are checked against the adapter's table in oid4vci-axum's
        // tests/status_table.rs.
        let (err, out) = round_trip::<ErrorResponse>(&body(key).to_string());
        assert_eq!(out, body(key));
        assert!(
            !matches!(err.error, ErrorCode::Other(_)),
            "{key}: known code"
        );
    }
    let (nonce, _) = round_trip::<NonceResponse>(&body("nonce_response_7_2").to_string());
    assert_eq!(nonce.c_nonce, "wKI4LT17ac15ES9bw8ac4");
    for key in [
        "credential_response_immediate_8_3",
        "credential_response_batch_8_3",
        "credential_response_deferred_8_3",
        "deferred_response_pending_9_2",
    ] {
        let (resp, out) = round_trip::<CredentialResponse>(&body(key).to_string());
        resp.validate().unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(out, body(key));
    }
    let deferred =
        DeferredCredentialRequest::from_json(v1["deferred_request_9_1"].to_string().as_bytes())
            .expect("deferred");
    assert_eq!(deferred.transaction_id, "8xLOxBtZp8");
    for n in v1["notification_requests_11_1"].as_array().expect("list") {
        let req = NotificationRequest::from_json(n.to_string().as_bytes()).expect("notification");
        assert_eq!(serde_json::to_value(&req).expect("ser"), *n);
    }
    for r in v1["credential_request_examples_8_2"]
        .as_array()
        .expect("list")
    {
        if r.get("body").is_none() {
            continue; // a shape sketch with a placeholder, not a message
        }
        let req =
            CredentialRequest::from_json(r["body"].to_string().as_bytes()).expect("8.2 example");
        assert_eq!(serde_json::to_value(&req).expect("ser"), r["body"]);
    }

    // Draft 13 inline examples.
    let d13 = &examples["draft_13"];
    for key in [
        "credential_request_proof_singular_7_2",
        "credential_request_format_based_A_3_4",
        "credential_request_mdoc_cwt_7_2",
    ] {
        let req = CredentialRequest::from_json(d13[key].to_string().as_bytes())
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        let out = serde_json::to_value(&req).expect("ser");
        assert_request_is_1_0(&out);
        assert_eq!(out["proofs"].as_object().map(|m| m.len()), Some(1));
    }
    let (resp, out) =
        round_trip::<TokenResponse>(&d13["token_response_with_c_nonce_6_2"].to_string());
    assert_eq!(resp.c_nonce.as_deref(), Some("tZignsnFbp"));
    assert_eq!(out, d13["token_response_with_c_nonce_6_2"]);
    let (resp, _) = round_trip::<CredentialResponse>(
        &d13["credential_response_singular_7_3"]["body"].to_string(),
    );
    assert_eq!(resp.credentials.as_ref().map(Vec::len), Some(1));
    let (resp, _) = round_trip::<CredentialResponse>(
        &d13["credential_response_deferred_7_3"]["body"].to_string(),
    );
    assert_eq!(resp.transaction_id.as_deref(), Some("8xLOxBtZp8"));
    let (err, _) =
        round_trip::<ErrorResponse>(&d13["invalid_proof_with_c_nonce_7_3_2"]["body"].to_string());
    assert_eq!(
        (err.error, err.c_nonce.as_deref()),
        (ErrorCode::InvalidProof, Some("8YE9hCnyV2"))
    );
    let (err, _) =
        round_trip::<ErrorResponse>(&d13["deferred_issuance_pending_9_3"]["body"].to_string());
    assert_eq!(
        (err.error, err.interval),
        (ErrorCode::IssuancePending, Some(5))
    );
    // Draft 13's batch endpoint: each entry is a draft-13 credential request.
    for r in d13["batch_request_8_1_shape"]["credential_requests"]
        .as_array()
        .expect("list")
    {
        CredentialRequest::from_json(r.to_string().as_bytes()).expect("batch entry parses");
    }
}

#[test]
fn constructed_request_shape_vectors_get_the_expected_error() {
    let data: Value = serde_json::from_str(&read("constructed_proof_vectors.json")).expect("json");
    let mut checked = 0;
    for v in data["credential_request_vectors"].as_array().expect("list") {
        let Some(body) = v.get("body") else { continue };
        let id = v["id"].as_str().unwrap_or_default();
        let result = CredentialRequest::from_json(body.to_string().as_bytes());
        let expected_error = v
            .get("expected_error")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match (v["expected"].as_str(), &result) {
            (Some("accept"), Ok(_)) => {}
            (Some("reject"), Err(e)) => {
                assert!(expected_error.contains(e.code.as_str()), "{id}: got {e}")
            }
            // Rejections that need issuer context (metadata, token) must parse here.
            (Some(_), Ok(_))
                if !id.contains("both") && !id.contains("empty") && !id.contains("two-types") => {}
            (_, r) => panic!("{id}: unexpected {r:?}, expected {expected_error}"),
        }
        checked += 1;
    }
    assert!(checked >= 10, "{checked}");
    let _ = json!(null);
}
