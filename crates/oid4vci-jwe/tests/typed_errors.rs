//! The typed refusals of [`JweEncryption`] (issue #20, findings 1, 5 and 6): every hostile part
//! of a request is its own [`JweError`] before the cipher runs; where the crypto library refuses,
//! its text (OpenSSL function names and source paths) is kept as the error's
//! [`detail`](JweError::detail) and logged, while the description the wallet reads says what was
//! wrong in our words (CWE-209); any `crit`, malformed or not, is refused (RFC 7516 §4.1.13).

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use josekit::jwe::{JweHeader, ECDH_ES};
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::Jwk;
use oid4vci_issuer::MessageEncryption;
use oid4vci_jwe::{JweEncryption, JweError, JwePart, MAX_JWE_LEN};
use oid4vci_types::CredentialResponseEncryption;
use serde_json::{json, Value};

/// The issuer's public request key, as a wallet reads it from the metadata.
fn request_key(issuer: &JweEncryption) -> Jwk {
    let metadata = issuer.request_metadata().expect("request encryption");
    Jwk::from_bytes(metadata["jwks"]["keys"][0].to_string()).expect("key")
}

/// `{"hello":"issuer"}` encrypted to the issuer with `enc` and extra header members.
fn sealed(issuer: &JweEncryption, kid: bool, extra: &[(&str, Value)]) -> String {
    let mut key = request_key(issuer);
    if !kid {
        // josekit copies a key's kid into the header: a key without one.
        let mut map = key.as_ref().clone();
        map.remove("kid");
        key = Jwk::from_map(map).expect("key");
    }
    let mut header = JweHeader::new();
    header.set_content_encryption("A256GCM");
    for (name, value) in extra {
        header.set_claim(name, Some(value.clone())).expect("claim");
    }
    let encrypter = ECDH_ES.encrypter_from_jwk(&key).expect("encrypter");
    josekit::jwe::serialize_compact(br#"{"hello":"issuer"}"#, &header, &encrypter).expect("jwe")
}

fn with_part(jwe: &str, index: usize, part: &str) -> String {
    jwe.split('.')
        .enumerate()
        .map(|(i, p)| if i == index { part } else { p })
        .collect::<Vec<_>>()
        .join(".")
}

fn with_header(jwe: &str, edit: impl FnOnce(&mut Value)) -> String {
    let first = jwe.split('.').next().expect("header");
    let mut header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(first).expect("b64")).expect("json");
    edit(&mut header);
    with_part(jwe, 0, &URL_SAFE_NO_PAD.encode(header.to_string()))
}

#[test]
fn every_damaged_part_is_its_own_error_before_the_cipher() {
    let issuer = JweEncryption::generate().expect("keys");
    let jwe = sealed(&issuer, true, &[]);
    assert_eq!(
        issuer.open_request(&jwe).expect("opens"),
        br#"{"hello":"issuer"}"#
    );
    let iv = |len: usize| JweError::IvLength {
        enc: "A256GCM".into(),
        expected: 12,
        len,
    };
    let tag = |len: usize| JweError::TagLength {
        enc: "A256GCM".into(),
        expected: 16,
        len,
    };
    let cases = [
        (with_part(&jwe, 2, ""), iv(0)),
        (with_part(&jwe, 2, "AAAA"), iv(3)),
        (with_part(&jwe, 2, &"A".repeat(400)), iv(300)),
        (with_part(&jwe, 4, ""), tag(0)),
        (with_part(&jwe, 4, "AAAAAAAAAAA"), tag(8)),
        (with_part(&jwe, 1, "AAAA"), JweError::EncryptedKeyPresent),
        (
            with_part(&jwe, 2, "!!!!"),
            JweError::NotBase64url { part: JwePart::Iv },
        ),
        (
            with_part(&jwe, 3, "A"),
            JweError::NotBase64url {
                part: JwePart::Ciphertext,
            },
        ),
        (
            with_part(&jwe, 4, "AAAAAAAAAAAAAAAAAAAAAA=="),
            JweError::NotBase64url { part: JwePart::Tag },
        ),
        (
            with_part(&jwe, 0, "e30="),
            JweError::NotBase64url {
                part: JwePart::Header,
            },
        ),
        (with_part(&jwe, 0, "W10"), JweError::HeaderNotObject),
        (
            with_part(&jwe, 0, &"A".repeat(5000)),
            JweError::HeaderTooLarge,
        ),
        (format!("{jwe}."), JweError::PartCount { parts: 6 }),
        ("a.b.c".to_owned(), JweError::PartCount { parts: 3 }),
        (
            "A".repeat(MAX_JWE_LEN + 1),
            JweError::TooLarge {
                len: MAX_JWE_LEN + 1,
            },
        ),
        (
            with_header(&jwe, |h| h["enc"] = json!("A128CBC-HS256")),
            JweError::EncUnsupported {
                enc: "A128CBC-HS256".into(),
            },
        ),
        (
            with_header(&jwe, |h| h["alg"] = json!("RSA-OAEP")),
            JweError::RequestAlgUnsupported {
                alg: "RSA-OAEP".into(),
            },
        ),
        (
            with_header(&jwe, |h| h["alg"] = json!(1)),
            JweError::MissingHeader { name: "alg" },
        ),
        (
            with_header(&jwe, |h| h["zip"] = json!("DEF")),
            JweError::Compressed,
        ),
        (
            with_header(&jwe, |h| h["epk"] = json!("key")),
            JweError::EpkMissing,
        ),
        (
            with_header(&jwe, |h| h["epk"]["crv"] = json!("P-384")),
            JweError::EpkInvalid,
        ),
        (
            with_header(&jwe, |h| h["kid"] = json!("enc-other")),
            JweError::UnknownKid {
                kid: "enc-other".into(),
            },
        ),
    ];
    for (hostile, expected) in cases {
        let error = issuer.open_request(&hostile).expect_err("refused");
        assert_eq!(error, expected, "{hostile:.80}");
    }
    // An IV of the right length but not the one used reaches the cipher, which refuses it.
    let error = issuer
        .open_request(&with_part(&jwe, 2, "AAAAAAAAAAAAAAAA"))
        .expect_err("wrong IV");
    assert!(matches!(error, JweError::Undecryptable { .. }), "{error:?}");
}

#[test]
fn any_crit_is_refused_and_a_malformed_one_says_so() {
    let issuer = JweEncryption::generate().expect("keys");
    for (crit, expected) in [
        (json!(["x-custom"]), "x-custom"),
        (json!(["alg"]), "alg"),
        (json!(["x-a", "x-b"]), "x-a,x-b"),
    ] {
        let jwe = sealed(&issuer, true, &[("crit", crit), ("x-custom", json!(1))]);
        assert_eq!(
            issuer.open_request(&jwe).expect_err("refused"),
            JweError::CritUnsupported {
                names: expected.into()
            }
        );
    }
    for crit in [
        json!([]),
        json!("x-custom"),
        json!([1]),
        json!(["x-custom", null]),
        json!({"x-custom": true}),
        json!(null),
        json!(true),
    ] {
        // (josekit would not write these: the header is edited after sealing)
        let jwe = with_header(&sealed(&issuer, true, &[]), |h| h["crit"] = crit.clone());
        let error = issuer.open_request(&jwe).expect_err("refused");
        assert_eq!(error, JweError::CritMalformed, "{crit}");
        assert!(error.to_string().contains("non-empty array"), "{error}");
    }
}

#[test]
fn a_single_key_needs_no_kid_and_several_do() {
    let issuer = JweEncryption::generate().expect("keys");
    let jwe = sealed(&issuer, false, &[]);
    let header = jwe.split('.').next().expect("header");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("json");
    assert!(header.get("kid").is_none(), "{header}");
    assert_eq!(
        issuer.open_request(&jwe).expect("the only key"),
        br#"{"hello":"issuer"}"#
    );
    let other = JweEncryption::generate().expect("keys");
    let mut keys = issuer.private_jwks();
    let more = other.private_jwks()["keys"][0].clone();
    keys["keys"].as_array_mut().expect("keys").push(more);
    let two = JweEncryption::from_private_jwks(&keys).expect("two keys");
    assert_eq!(
        two.open_request(&jwe).expect_err("which key?"),
        JweError::KidRequired
    );
}

/// The library's text: present for the log, absent from what the wallet reads.
fn library_text_stays_off_the_wire(error: &JweError) -> String {
    let detail = error.detail().expect("the library's text is kept").as_str();
    assert!(!detail.is_empty());
    let wire = oid4vci_issuer::EncryptionError::from(error.clone()).to_string();
    assert_eq!(wire, error.to_string());
    assert!(!wire.contains(detail), "{wire}");
    for internal in [".c:", "ossl", "crypto/", "error:", "OpenSSL", "openssl"] {
        assert!(!wire.contains(internal), "library internals in {wire:?}");
    }
    detail.to_owned()
}

#[test]
fn an_altered_ciphertext_keeps_the_library_text_for_the_log_only() {
    let issuer = JweEncryption::generate().expect("keys");
    let jwe = sealed(&issuer, true, &[]);
    let mut tag = URL_SAFE_NO_PAD
        .decode(jwe.split('.').nth(4).expect("tag"))
        .expect("b64");
    tag[0] ^= 1;
    let error = issuer
        .open_request(&with_part(&jwe, 4, &URL_SAFE_NO_PAD.encode(tag)))
        .expect_err("altered");
    assert!(matches!(error, JweError::Undecryptable { .. }), "{error:?}");
    assert!(error.to_string().contains("does not decrypt"), "{error}");
    library_text_stays_off_the_wire(&error);
    assert!(std::error::Error::source(&error).is_some());
}

fn parameters(jwk: Value) -> CredentialResponseEncryption {
    CredentialResponseEncryption {
        jwk,
        enc: "A128GCM".into(),
        zip: None,
        alg: None,
        extra: Default::default(),
    }
}

/// A public P-256 JWK whose `y` is no longer on the curve.
fn off_curve_jwk() -> Value {
    let key = Jwk::generate_ec_key(EcCurve::P256).expect("key");
    let mut jwk: Value =
        serde_json::from_str(&key.to_public_key().expect("public").to_string()).expect("json");
    let mut y = URL_SAFE_NO_PAD
        .decode(jwk["y"].as_str().expect("y"))
        .expect("b64");
    y[31] ^= 1;
    jwk["y"] = json!(URL_SAFE_NO_PAD.encode(y));
    jwk["alg"] = json!("ECDH-ES");
    jwk
}

#[test]
fn response_parameters_are_refused_by_type() {
    let issuer = JweEncryption::generate().expect("keys");
    let good = Jwk::generate_ec_key(EcCurve::P256).expect("key");
    let mut good: Value =
        serde_json::from_str(&good.to_public_key().expect("public").to_string()).expect("json");
    good["alg"] = json!("ECDH-ES");
    issuer
        .check_response_key(&parameters(good.clone()))
        .expect("a usable key");
    for curve in [EcCurve::P384, EcCurve::P521] {
        let key = Jwk::generate_ec_key(curve).expect("key");
        let mut public: Value =
            serde_json::from_str(&key.to_public_key().expect("public").to_string()).expect("json");
        public["alg"] = json!("ECDH-ES+A256KW");
        issuer
            .check_response_key(&parameters(public))
            .expect("the message names these curves: they work");
    }
    let mut private = good.clone();
    private["d"] = json!("AAAA");
    let mut no_alg = good.clone();
    no_alg.as_object_mut().expect("object").remove("alg");
    let mut rsa = good.clone();
    rsa["alg"] = json!("RSA-OAEP");
    let mut zip = parameters(good.clone());
    zip.zip = Some("GZIP".into());
    let mut enc = parameters(good.clone());
    enc.enc = "A128CBC-HS256".into();
    let mut mismatch = parameters(good);
    mismatch.alg = Some("ECDH-ES+A128KW".into());
    for (p, expected) in [
        (parameters(json!("key")), JweError::JwkNotObject),
        (parameters(private), JweError::PrivateJwk),
        (parameters(no_alg), JweError::AlgMissing),
        (
            parameters(rsa),
            JweError::ResponseAlgUnsupported {
                alg: "RSA-OAEP".into(),
            },
        ),
        (zip, JweError::ZipUnsupported { zip: "GZIP".into() }),
        (
            enc,
            JweError::EncUnsupported {
                enc: "A128CBC-HS256".into(),
            },
        ),
        (mismatch, JweError::AlgMismatch),
    ] {
        assert_eq!(
            issuer.check_response_key(&p).expect_err("refused"),
            expected
        );
    }
    let error = issuer
        .check_response_key(&parameters(off_curve_jwk()))
        .expect_err("off its curve");
    assert!(matches!(error, JweError::UnusableKey { .. }), "{error:?}");
    library_text_stays_off_the_wire(&error);
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_library_text_goes_to_the_log_and_the_port_error_is_in_our_words() {
    let issuer = JweEncryption::generate().expect("keys");
    let p = parameters(off_curve_jwk());
    let detail = issuer
        .check_response_key(&p)
        .expect_err("off its curve")
        .detail()
        .expect("library text")
        .as_str()
        .to_owned();
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let wire = tracing::subscriber::with_default(subscriber, || {
        issuer.check_response_parameters(&p).expect_err("refused")
    });
    let log = String::from_utf8(log.0.lock().expect("lock").clone()).expect("utf-8");
    assert!(log.contains(&detail), "the log keeps it: {log}");
    assert!(log.contains("not a usable public key"), "{log}");
    assert!(!wire.0.contains(&detail), "{wire}");
    assert!(wire.0.contains("not a usable public key"), "{wire}");
}
