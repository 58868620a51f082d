//! The case that motivated this crate: an ES256 proof whose header is `{kid, typ, alg}` with `kid`
//! a `did:key` of multicodec `jwk_jcs-pub` (0xeb51, a JCS-serialised JWK, as EBSI wallets send).
//! The key is inside the identifier, so the proof is accepted, with no resolver configured.

mod common;

use common::{claims, ctx, sign_jwt, TestKey};
use oid4vci_proof::{KeySource, ProofPolicy, ProofValidator};
use serde_json::{json, Value};

/// `did:key` for a key, EBSI style: base58btc of varint(0xeb51) ‖ JCS(JWK with crv, kty, x, y).
fn jwk_jcs_did(jwk: &Value) -> String {
    // JCS for these members is the members sorted by name, no white space.
    let jcs = format!(
        r#"{{"crv":"{}","kty":"{}","x":"{}","y":"{}"}}"#,
        jwk["crv"].as_str().expect("crv"),
        jwk["kty"].as_str().expect("kty"),
        jwk["x"].as_str().expect("x"),
        jwk["y"].as_str().expect("y")
    );
    let mut bytes = vec![0xd1, 0xd6, 0x03];
    bytes.extend_from_slice(jcs.as_bytes());
    format!(
        "did:key:{}",
        multibase::encode(multibase::Base::Base58Btc, bytes)
    )
}

#[test]
fn an_ebsi_jwk_jcs_pub_did_key_kid_is_resolved_locally_and_accepted() {
    let key = TestKey::p256();
    let did = jwk_jcs_did(&key.jwk());
    assert!(did.starts_with("did:key:z2dmzD81cgPx8Vki7"), "{did}");
    let fragment = did.trim_start_matches("did:key:");
    let header =
        json!({"kid": format!("{did}#{fragment}"), "typ": "openid4vci-proof+jwt", "alg": "ES256"});
    let jwt = sign_jwt(&header, &claims(), &key);
    let validator = ProofValidator::new(ProofPolicy::default());
    let proof = validator
        .validate(&jwt, &ctx())
        .expect("a did:key is not an external key reference");
    assert_eq!(proof.key_source(), KeySource::DidKey);
    assert_eq!(proof.holder_keys(), &[key.public()]);

    // Signed by another key than the one in the DID: refused, and the diagnostic says why.
    let other = TestKey::p256();
    let forged = sign_jwt(&header, &claims(), &other);
    let err = validator.validate(&forged, &ctx()).unwrap_err();
    assert_eq!(err.code(), "invalid_signature");
    let diagnostic = err.diagnostic();
    assert!(
        diagnostic.reason.contains("did:key"),
        "the reason names the key source: {diagnostic:?}"
    );
}
