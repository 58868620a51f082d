//! Hostile encrypted requests and response keys (security review of issue #20, findings 1, 5, 6
//! and 7): every JWE part is checked before the cipher sees it (an empty IV used to panic inside
//! AES-GCM), refusals say what was wrong in our words (no crypto-library text with source
//! paths), an unknown `crit` is refused (RFC 7516 §4.1.13), and an unusable response key —
//! off its curve, or an X25519 point of low order (RFC 7748 §6.1) — is refused before anything
//! is issued.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use josekit::jwe::{JweHeader, ECDH_ES};
use josekit::jwk::Jwk;
use oid4vci_issuer::{
    Cause, CredentialBody, EventKind, HttpFacts, Issuer, MemoryStore, MessageEncryption, OfferSpec,
};
use oid4vci_issuer_testkit::{flows, TestWallet};
use oid4vci_jwe::JweEncryption;
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_types::TokenRequest;
use serde_json::{json, Value};

type TestIssuer = Issuer<MemoryStore, SdJwtVcMinter>;

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

fn issuer() -> TestIssuer {
    let (issuer, _clock) = flows::scenario_issuer(MemoryStore::new());
    issuer.with_encryption(Arc::new(JweEncryption::generate().expect("keys")))
}

fn token_for(issuer: &TestIssuer) -> (String, String) {
    let created = block(issuer.create_offer(OfferSpec {
        credential_configuration_ids: vec![flows::CONFIG.into()],
        claims: Some(json!({"age_over_18": true})),
        ..OfferSpec::default()
    }))
    .expect("offer");
    let code = created.pre_authorized_code().cloned().expect("code");
    let token = block(issuer.token(
        TokenRequest::pre_authorized(code, None),
        HttpFacts::default(),
    ))
    .expect("token");
    (token.access_token.expose().to_owned(), created.session_id)
}

fn body(issuer: &TestIssuer, encryption: Option<Value>) -> Value {
    let nonce = issuer.nonce().c_nonce;
    let mut body = json!({
        "credential_configuration_id": flows::CONFIG,
        "proofs": {"jwt": [TestWallet::new().proof(flows::ISSUER, Some(&nonce), flows::T0)]},
    });
    if let (Some(e), Value::Object(map)) = (encryption, &mut body) {
        map.insert("credential_response_encryption".into(), e);
    }
    body
}

/// `body` encrypted to the issuer's request key, with extra protected header members.
fn encrypted(issuer: &TestIssuer, body: &Value, extra: &[(&str, Value)]) -> String {
    let jwks = issuer
        .metadata()
        .credential_request_encryption
        .clone()
        .expect("advertised");
    let key = Jwk::from_bytes(jwks["jwks"]["keys"][0].to_string()).expect("issuer key");
    let mut header = JweHeader::new();
    header.set_content_encryption("A128GCM");
    header.set_key_id(key.key_id().expect("kid"));
    for (name, value) in extra {
        header.set_claim(name, Some(value.clone())).expect("claim");
    }
    let encrypter = ECDH_ES.encrypter_from_jwk(&key).expect("encrypter");
    josekit::jwe::serialize_compact(body.to_string().as_bytes(), &header, &encrypter)
        .expect("encrypt")
}

/// `jwe` with part `index` (0 header … 4 tag) replaced.
fn with_part(jwe: &str, index: usize, part: &str) -> String {
    let mut parts: Vec<&str> = jwe.split('.').collect();
    parts[index] = part;
    parts.join(".")
}

/// The refusal of an encrypted request, which must be typed and free of library internals.
fn refused(issuer: &TestIssuer, token: &str, jwe: &str) -> (Cause, String) {
    let refusal = block(issuer.credential(
        CredentialBody::Jwe(jwe.as_bytes()),
        HttpFacts::bearer(token),
    ))
    .expect_err("refused");
    let text = refusal.description().to_owned();
    for internal in [".c:", "ossl", "crypto/", "error:", "OpenSSL", "openssl"] {
        assert!(!text.contains(internal), "library internals in {text:?}");
    }
    (refusal.cause(), text)
}

#[test]
fn malformed_parts_are_refused_before_the_cipher() {
    let issuer = issuer();
    let (token, _) = token_for(&issuer);
    let jwe = encrypted(&issuer, &body(&issuer, None), &[]);
    let cases = [
        (with_part(&jwe, 2, ""), "IV must be 96 bits"),
        (with_part(&jwe, 2, "AAAA"), "IV must be 96 bits"),
        (with_part(&jwe, 2, "!!!!"), "IV is not base64url"),
        (with_part(&jwe, 4, ""), "tag must be 128 bits"),
        (with_part(&jwe, 4, "AAAAAAAA"), "tag must be 128 bits"),
        (
            with_part(&jwe, 1, "AAAA"),
            "encrypted key part must be empty",
        ),
        (with_part(&jwe, 3, "@@"), "ciphertext is not base64url"),
    ];
    for (hostile, expected) in cases {
        let (cause, text) = refused(&issuer, &token, &hostile);
        assert_eq!(cause, Cause::RequestUndecryptable, "{text}");
        assert!(text.contains(expected), "{expected:?} in {text:?}");
    }
    // An altered tag of the right size: a decryption failure, in our words.
    let mut tag = URL_SAFE_NO_PAD
        .decode(jwe.split('.').nth(4).expect("tag"))
        .expect("b64");
    tag[0] ^= 1;
    let (cause, text) = refused(
        &issuer,
        &token,
        &with_part(&jwe, 4, &URL_SAFE_NO_PAD.encode(tag)),
    );
    assert_eq!(cause, Cause::RequestUndecryptable);
    assert!(text.contains("does not decrypt"), "{text}");
}

#[test]
fn an_off_curve_epk_is_refused_in_our_words() {
    let issuer = issuer();
    let (token, _) = token_for(&issuer);
    let jwe = encrypted(&issuer, &body(&issuer, None), &[]);
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwe.split('.').next().expect("h"))
            .expect("b64"),
    )
    .expect("json");
    let mut bad = header.clone();
    let mut y = URL_SAFE_NO_PAD
        .decode(bad["epk"]["y"].as_str().expect("y"))
        .expect("b64");
    y[31] ^= 1;
    bad["epk"]["y"] = json!(URL_SAFE_NO_PAD.encode(y));
    let hostile = with_part(&jwe, 0, &URL_SAFE_NO_PAD.encode(bad.to_string()));
    let (cause, text) = refused(&issuer, &token, &hostile);
    assert_eq!(cause, Cause::RequestUndecryptable);
    assert!(text.contains("epk must be a P-256 public key"), "{text}");
}

#[test]
fn an_unknown_crit_header_is_refused() {
    let issuer = issuer();
    let (token, session) = token_for(&issuer);
    let jwe = encrypted(
        &issuer,
        &body(&issuer, None),
        &[("crit", json!(["x-custom"])), ("x-custom", json!(1))],
    );
    let (cause, text) = refused(&issuer, &token, &jwe);
    assert_eq!(cause, Cause::RequestUndecryptable);
    assert!(text.contains("crit"), "{text}");
    let log = block(issuer.inspect(&session)).expect("inspect").events;
    assert!(
        !log.iter().any(|e| e.kind == EventKind::CredentialIssued),
        "nothing was issued"
    );
}

#[test]
fn unusable_response_keys_are_refused_before_anything_is_issued() {
    let issuer = issuer();
    let zero = URL_SAFE_NO_PAD.encode([0u8; 32]);
    let mut one = [0u8; 32];
    one[0] = 1;
    let p256 = Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256).expect("key");
    let mut off_curve: Value =
        serde_json::from_str(&p256.to_public_key().expect("public").to_string()).expect("json");
    let mut y = URL_SAFE_NO_PAD
        .decode(off_curve["y"].as_str().expect("y"))
        .expect("b64");
    y[31] ^= 1;
    off_curve["y"] = json!(URL_SAFE_NO_PAD.encode(y));
    off_curve["alg"] = json!("ECDH-ES");
    for jwk in [
        json!({"kty": "OKP", "crv": "X25519", "x": zero, "alg": "ECDH-ES"}),
        json!({"kty": "OKP", "crv": "X25519", "x": URL_SAFE_NO_PAD.encode(one), "alg": "ECDH-ES"}),
        off_curve,
    ] {
        let (token, session) = token_for(&issuer);
        let request = body(&issuer, Some(json!({"jwk": jwk, "enc": "A128GCM"})));
        let jwe = encrypted(&issuer, &request, &[]);
        let (cause, text) = refused(&issuer, &token, &jwe);
        assert_eq!(cause, Cause::ResponseEncryptionInvalid, "{jwk}: {text}");
        assert!(text.contains("not a usable public key"), "{text}");
        let log = block(issuer.inspect(&session)).expect("inspect").events;
        assert!(
            !log.iter().any(|e| e.kind == EventKind::CredentialIssued),
            "{jwk}: refused before issuing"
        );
    }
}

/// Issue #20 finding 4: the access token is checked before anything is decrypted (RFC 6750
/// §3.1) — garbage without a token is `invalid_token`, not a decryption error, and a valid JWE
/// without a token costs no key agreement.
#[test]
fn the_token_is_checked_before_decryption() {
    let issuer = issuer();
    for body in [
        b"garbage".to_vec(),
        encrypted(&issuer, &body(&issuer, None), &[]).into_bytes(),
    ] {
        let refusal = block(issuer.credential(CredentialBody::Jwe(&body), HttpFacts::default()))
            .expect_err("no token");
        assert_eq!(refusal.cause(), Cause::AccessTokenMissing);
        let wrong = block(issuer.credential(CredentialBody::Jwe(&body), HttpFacts::bearer("nope")))
            .expect_err("unknown token");
        assert_eq!(wrong.cause(), Cause::AccessTokenUnknown);
    }
}

/// RFC 7516 §4.1.13: a `crit` that is not a non-empty array of names is malformed and refused,
/// like one naming an extension (even with the member present); nothing is issued either way.
#[test]
fn a_malformed_crit_is_refused_too() {
    let issuer = issuer();
    for crit in [
        json!([]),
        json!("x-custom"),
        json!([1]),
        json!({"x-custom": true}),
        json!(null),
        json!(["alg"]),
    ] {
        let (token, session) = token_for(&issuer);
        let jwe = encrypted(&issuer, &body(&issuer, None), &[]);
        // Edited after sealing (josekit writes only arrays): the check comes before decryption.
        let first = jwe.split('.').next().expect("header");
        let mut header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(first).expect("b64")).expect("json");
        header["crit"] = crit.clone();
        let hostile = with_part(&jwe, 0, &URL_SAFE_NO_PAD.encode(header.to_string()));
        let (cause, text) = refused(&issuer, &token, &hostile);
        assert_eq!(cause, Cause::RequestUndecryptable, "{crit}: {text}");
        assert!(text.contains("crit"), "{crit}: {text}");
        let log = block(issuer.inspect(&session)).expect("inspect").events;
        assert!(!log.iter().any(|e| e.kind == EventKind::CredentialIssued));
    }
}

/// Every X25519 public key of low order (RFC 7748 §6.1; the points of order 1, 2, 4 and 8 and
/// their non-canonical encodings, with and without the top bit that RFC 7748 §5 masks) makes an
/// all-zero shared secret: refused as `invalid_encryption_parameters` before anything is issued,
/// for direct key agreement and with key wrapping.
#[test]
fn every_low_order_x25519_key_is_refused_before_issuing() {
    let hex = |h: &str| -> Vec<u8> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
            .collect()
    };
    let low_order: Vec<Vec<u8>> = [
        "0000000000000000000000000000000000000000000000000000000000000000", // 0
        "0100000000000000000000000000000000000000000000000000000000000000", // 1
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", // order 8
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", // order 8
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p - 1
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p + 1
    ]
    .iter()
    .flat_map(|h| {
        let canonical = hex(h);
        let mut top_bit = canonical.clone();
        top_bit[31] |= 0x80;
        [canonical, top_bit]
    })
    .collect();
    let issuer = issuer();
    for point in low_order {
        for alg in ["ECDH-ES", "ECDH-ES+A128KW"] {
            let jwk = json!({"kty": "OKP", "crv": "X25519", "x": URL_SAFE_NO_PAD.encode(&point), "alg": alg});
            let (token, session) = token_for(&issuer);
            let request = body(&issuer, Some(json!({"jwk": jwk, "enc": "A256GCM"})));
            let jwe = encrypted(&issuer, &request, &[]);
            let (cause, text) = refused(&issuer, &token, &jwe);
            assert_eq!(cause, Cause::ResponseEncryptionInvalid, "{jwk}: {text}");
            assert_eq!(cause.error_code().as_str(), "invalid_encryption_parameters");
            let log = block(issuer.inspect(&session)).expect("inspect").events;
            assert!(
                !log.iter().any(|e| e.kind == EventKind::CredentialIssued),
                "{jwk}: refused before issuing"
            );
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 256, ..Default::default() })]

    /// No input panics the decrypt path (issue #20 finding 1: an empty IV did, inside AES-GCM):
    /// a valid request with any part replaced (by nothing, arbitrary text, or base64url of any
    /// length), and with a header member replaced by any JSON value, is opened or refused,
    /// never a panic.
    #[test]
    fn damaged_requests_never_panic(
        part in 0usize..5,
        replacement in replacements(),
        member in proptest::sample::select(MEMBERS.to_vec()),
        value in proptest::sample::select(values()),
    ) {
        let encryption = JweEncryption::generate().expect("keys");
        let jwe = sealed_to(&encryption);
        let _ = encryption.decrypt_request(&with_part(&jwe, part, &replacement));
        let mut header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD.decode(jwe.split('.').next().expect("header")).expect("b64"),
        )
        .expect("json");
        header[member] = value;
        let edited = with_part(&jwe, 0, &URL_SAFE_NO_PAD.encode(header.to_string()));
        let _ = encryption.decrypt_request(&edited);
        for part in 1..5 {
            let _ = encryption.decrypt_request(&with_part(&edited, part, &replacement));
        }
    }
}

/// Header members a damaged request may carry.
const MEMBERS: [&str; 11] = [
    "alg", "enc", "epk", "kid", "crit", "zip", "apu", "apv", "cty", "typ", "x5c",
];

/// Values for them, right and wrong.
fn values() -> Vec<Value> {
    vec![
        json!(null),
        json!(1),
        json!(""),
        json!([]),
        json!({}),
        json!("ECDH-ES"),
        json!("A128GCM"),
        json!(["x"]),
        json!("!!"),
        json!({"kty": "EC", "crv": "P-256", "x": "", "y": ""}),
    ]
}

/// A part's replacement: nothing, text, or base64url of 0 to 40 bytes.
fn replacements() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        Just(String::new()),
        "[A-Za-z0-9_=.!-]{0,24}",
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
    ]
}

/// `{}` encrypted to the only request key of `encryption`.
fn sealed_to(encryption: &JweEncryption) -> String {
    let jwks = encryption.request_metadata().expect("request keys");
    let key = Jwk::from_bytes(jwks["jwks"]["keys"][0].to_string()).expect("key");
    let mut header = JweHeader::new();
    header.set_content_encryption("A128GCM");
    let encrypter = ECDH_ES.encrypter_from_jwk(&key).expect("encrypter");
    josekit::jwe::serialize_compact(b"{}", &header, &encrypter).expect("jwe")
}
