//! `oid4vci serve` offers `eu.europa.ec.av.1` as `mso_mdoc` beside the identity SD-JWT VC:
//! metadata per Appendix A.2, the startup offer carries both, the mdoc's `x5chain` is the DS
//! certificate of `<db>.chain.pem`, and a proof key that cannot be an mdoc device key is refused.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value as Cbor;
use ed25519_dalek::Signer;
use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};
use support::{map_get, pem_certificates, temp_dir, Server};

const AV: &str = "eu.europa.ec.av.1";

#[test]
fn the_demo_serves_the_age_verification_mdoc_with_its_ds_certificate() {
    let dir = temp_dir();
    let server = Server::start(dir.path(), &[]);
    let meta = server.get("/.well-known/openid-credential-issuer");
    let av = &meta["credential_configurations_supported"][AV];
    assert_eq!(av["format"], "mso_mdoc");
    assert_eq!(av["doctype"], AV);
    assert_eq!(
        av["cryptographic_binding_methods_supported"],
        json!(["cose_key"])
    );
    assert_eq!(
        av["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"],
        json!(["ES256"])
    );
    let paths: Vec<Value> = av["credential_metadata"]["claims"]
        .as_array()
        .expect("claims")
        .iter()
        .map(|c| c["path"].clone())
        .collect();
    for element in [
        "age_over_18",
        "issuing_country",
        "issuance_date",
        "expiry_date",
    ] {
        assert!(
            paths.contains(&json!([AV, element])),
            "{element}: {paths:?}"
        );
    }
    let identity = &meta["credential_configurations_supported"]["identity_credential"];
    assert_eq!(identity["format"], "dc+sd-jwt");

    let offer_line = server
        .banner
        .iter()
        .find(|l| l.starts_with("openid-credential-offer://"))
        .expect("startup offer printed");
    let decoded = percent_decode(offer_line);
    let path = decoded
        .split_once("/credential-offer/")
        .map(|(_, id)| format!("/credential-offer/{id}"))
        .expect("offer by reference");
    let offer = server.get(&path);
    assert_eq!(
        offer["credential_configuration_ids"],
        json!([AV, "identity_credential"])
    );

    let (status, body) = server.obtain(AV, &json!({"age_over_18": true}), &TestWallet::new());
    assert_eq!(status, 200, "{body}");
    let credential = body["credentials"][0]["credential"]
        .as_str()
        .expect("string");
    let bytes = URL_SAFE_NO_PAD.decode(credential).expect("base64url");
    let issuer_signed: Cbor = ciborium::from_reader(bytes.as_slice()).expect("CBOR");
    let auth = map_get(&issuer_signed, "issuerAuth")
        .and_then(Cbor::as_array)
        .expect("COSE_Sign1 array");
    let x5chain = auth
        .get(1)
        .and_then(Cbor::as_map)
        .and_then(|h| h.iter().find(|(k, _)| *k == Cbor::Integer(33.into())))
        .map(|(_, v)| v.clone())
        .expect("x5chain");
    let chain = pem_certificates(&dir.path().join("issuer.chain.pem"));
    assert_eq!(
        x5chain,
        Cbor::Bytes(chain[0].clone()),
        "the DS certificate, no root"
    );
}

fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => {
                let hex = std::str::from_utf8(hex).expect("ascii");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn an_ed25519_proof_for_the_mdoc_is_an_invalid_proof() {
    let dir = temp_dir();
    let server = Server::start(dir.path(), &[]);
    let code = server.offer(AV, &json!({"age_over_18": true}));
    let form = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}"
    );
    let (status, token) = server.json(
        "POST",
        "/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(status, 200, "{token}");
    let (_, nonce) = server.json("POST", "/nonce", &[], "");
    let key = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
    let header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA",
        "jwk": {"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())}});
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = json!({"aud": server.url(), "iat": now, "nonce": nonce["c_nonce"]});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let proof = format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).to_bytes())
    );
    let body = json!({"credential_configuration_id": AV, "proofs": {"jwt": [proof]}});
    let bearer = format!("Bearer {}", token["access_token"].as_str().expect("token"));
    let (status, err) = server.json(
        "POST",
        "/credential",
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        &body.to_string(),
    );
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_proof")),
        "{err}"
    );
}
