//! One or more tests per error code, each with real keys and signatures.

mod common;

use std::sync::Arc;

use common::*;
use oid4vci_proof::{
    is_valid_error_description, ClientIdentity, DidResolutionError, DidResolver,
    KeyAttestationRequirement, KeySource, NonceCheck, NonceRejection, NonceVerifier, ProofContext,
    ProofError, ProofPolicy, ProofValidator, PublicKey,
};
use serde_json::{json, Value};

fn v() -> ProofValidator {
    ProofValidator::new(ProofPolicy::default())
}

/// Validates and returns the error, checking the diagnostic is well-formed on the way.
fn err(validator: &ProofValidator, jwt: &str, ctx: &ProofContext<'_>) -> ProofError {
    let e = validator
        .validate(jwt, ctx)
        .expect_err("proof unexpectedly accepted");
    let d = e.diagnostic();
    assert_eq!(d.code, e.code());
    assert_eq!(d.error, e.oauth_error());
    assert!(
        !d.reason.is_empty() && !d.help.is_empty() && !d.expected.is_empty(),
        "{d:?}"
    );
    assert!(
        d.spec_ref.contains("OID4VCI") || d.spec_ref.starts_with("RFC"),
        "{d:?}"
    );
    assert!(is_valid_error_description(&d.error_description()));
    let json = serde_json::to_value(&d).unwrap();
    for f in [
        "error", "code", "reason", "help", "expected", "found", "spec_ref",
    ] {
        assert!(json[f].is_string(), "diagnostic JSON lacks {f}");
    }
    e
}

fn code(validator: &ProofValidator, jwt: &str) -> &'static str {
    err(validator, jwt, &ctx()).code()
}

#[test]
fn valid_proofs_with_both_algs() {
    for key in [TestKey::p256(), TestKey::ed25519()] {
        let p = v().validate(&proof(&key), &ctx()).unwrap();
        assert_eq!(p.key_source(), KeySource::Jwk);
        assert_eq!(p.holder_keys(), &[key.public()]);
        assert_eq!(p.signing_key(), Some(&key.public()));
        assert_eq!(p.nonce(), Some(NONCE));
        assert_eq!(p.claims().iat, IAT);
        assert_eq!(p.claims().aud.as_deref(), Some(AUD));
        assert_eq!(p.header().alg.as_str(), key.alg());
        assert!(p.header().jwk.is_some());
    }
}

#[test]
fn malformed_jwt() {
    let key = TestKey::p256();
    let good = proof(&key);
    let (input, sig) = good.rsplit_once('.').unwrap();
    for bad in [
        String::new(),
        "abc".into(),
        format!("{good}.extra.x"),
        format!("{input}.{sig}="),
        format!("{}.{}.{sig}", b64("[1]"), b64(claims().to_string())),
        format!(
            "{}.{}.{sig}",
            b64("{\"typ\":\"a\",\"typ\":\"b\"}"),
            b64(claims().to_string())
        ),
        format!(
            "{}.{}.{sig}",
            b64(jwk_header(&key).to_string()),
            b64("not json")
        ),
        "x".repeat(70_000),
    ] {
        assert_eq!(code(&v(), &bad), "malformed_jwt", "{bad:.80}");
    }
    let dup = format!(
        "{}.{}.{sig}",
        b64("{\"typ\":\"a\",\"typ\":\"b\"}"),
        b64("{}")
    );
    assert!(err(&v(), &dup, &ctx())
        .diagnostic()
        .reason
        .contains("more than once"));
}

#[test]
fn invalid_typ() {
    let key = TestKey::p256();
    for typ in [
        json!("JWT"),
        json!("dpop+jwt"),
        json!("key-attestation+jwt"),
        json!(1),
        Value::Null,
    ] {
        let mut h = jwk_header(&key);
        if typ.is_null() {
            h.as_object_mut().unwrap().remove("typ");
        } else {
            h["typ"] = typ;
        }
        assert_eq!(code(&v(), &sign_jwt(&h, &claims(), &key)), "invalid_typ");
    }
    // RFC 7515 §4.1.9: application/ prefix and case-insensitivity are equivalent.
    for typ in [
        "application/openid4vci-proof+jwt",
        "OpenID4VCI-Proof+JWT",
        "Application/openid4vci-proof+jwt",
    ] {
        let mut h = jwk_header(&key);
        h["typ"] = json!(typ);
        assert!(
            v().validate(&sign_jwt(&h, &claims(), &key), &ctx()).is_ok(),
            "{typ}"
        );
    }
}

#[test]
fn unsupported_alg() {
    let key = TestKey::p256();
    for alg in [
        json!("none"),
        json!("HS256"),
        json!("RS256"),
        json!("ES384"),
        json!(7),
    ] {
        let mut h = jwk_header(&key);
        h["alg"] = alg;
        assert_eq!(
            code(&v(), &sign_jwt(&h, &claims(), &key)),
            "unsupported_alg"
        );
    }
    // Policy narrowed from proof_signing_alg_values_supported = ["EdDSA"].
    let narrowed = ProofValidator::new(ProofPolicy::default().narrow_algs(&["EdDSA"]));
    let e = err(&narrowed, &proof(&key), &ctx());
    assert_eq!(e.code(), "unsupported_alg");
    assert!(e
        .detail()
        .reason
        .contains("proof_signing_alg_values_supported"));
    assert!(narrowed
        .validate(&proof(&TestKey::ed25519()), &ctx())
        .is_ok());
}

#[test]
fn unsupported_crit() {
    let key = TestKey::p256();
    for crit in [
        json!(["x-unknown"]),
        json!(["b64"]),
        json!([]),
        json!("b64"),
    ] {
        let mut h = jwk_header(&key);
        h["crit"] = crit;
        h["x-unknown"] = json!(true);
        assert_eq!(
            code(&v(), &sign_jwt(&h, &claims(), &key)),
            "unsupported_crit"
        );
    }
}

/// The `typ` diagnostic says what the wallet sent instead, for the types wallets mix up.
#[test]
fn invalid_typ_says_what_was_sent_instead() {
    let key = TestKey::p256();
    for (typ, says) in [
        ("JWT", Some("a generic JWT")),
        ("application/jwt", Some("a generic JWT")),
        ("dpop+jwt", Some("DPoP proof")),
        ("kb+jwt", Some("SD-JWT key binding JWT")),
        ("key-attestation+jwt", Some("the other OID4VCI JWT type")),
        ("example+jwt", None),
    ] {
        let mut h = jwk_header(&key);
        h["typ"] = json!(typ);
        let e = err(&v(), &sign_jwt(&h, &claims(), &key), &ctx());
        let reason = &e.detail().reason;
        match says {
            Some(hint) => assert!(reason.contains(hint), "{typ}: {reason}"),
            None => assert!(!reason.contains('('), "{typ}: no hint expected: {reason}"),
        }
    }
}

/// A malformed `crit` and a `crit` naming extensions get different diagnostics.
#[test]
fn unsupported_crit_says_malformed_or_unknown() {
    let key = TestKey::p256();
    for (crit, says) in [
        (json!([]), "must be a non-empty array"),
        (json!("b64"), "must be a non-empty array"),
        (json!([1]), "must be a non-empty array"),
        (json!(["x-unknown", 2]), "must be a non-empty array"),
        (json!(["x-unknown"]), "lists x-unknown which"),
        (json!(["b64"]), "RFC 7797"),
    ] {
        let mut h = jwk_header(&key);
        h["crit"] = crit.clone();
        let e = err(&v(), &sign_jwt(&h, &claims(), &key), &ctx());
        assert_eq!(e.code(), "unsupported_crit");
        assert!(
            e.detail().reason.contains(says),
            "{crit}: {}",
            e.detail().reason
        );
    }
}

#[test]
fn missing_and_conflicting_holder_keys() {
    let key = TestKey::p256();
    let h = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256"});
    let e = err(&v(), &sign_jwt(&h, &claims(), &key), &ctx());
    assert_eq!(e.code(), "missing_holder_key");
    assert!(
        e.detail().reason.contains("header has typ, alg")
            || e.detail().reason.contains("header has alg, typ")
    );

    let mut both = jwk_header(&key);
    both["kid"] = json!(key.did_key_url());
    let e = err(&v(), &sign_jwt(&both, &claims(), &key), &ctx());
    assert_eq!(e.code(), "conflicting_holder_keys");
    assert!(e.detail().reason.contains("kid and jwk"));

    let mut jwk_x5c = jwk_header(&key);
    jwk_x5c["x5c"] = json!(["MIIBdummy"]);
    assert_eq!(
        code(&v(), &sign_jwt(&jwk_x5c, &claims(), &key)),
        "conflicting_holder_keys"
    );
}

#[test]
fn invalid_jwk() {
    let key = TestKey::p256();
    let TestKey::P256(sk) = &key else {
        unreachable!()
    };
    let mut private = key.jwk();
    private["d"] = json!(b64(sk.to_bytes()));
    let mut off_curve = key.jwk();
    off_curve["y"] = json!(b64([9u8; 32]));
    for jwk in [
        private,
        off_curve,
        json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
        json!("key"),
    ] {
        let mut h = jwk_header(&key);
        h["jwk"] = jwk;
        assert_eq!(code(&v(), &sign_jwt(&h, &claims(), &key)), "invalid_jwk");
    }
}

#[test]
fn alg_key_mismatch() {
    // alg ES256 but the jwk is Ed25519 (and the signature is Ed25519).
    let ed = TestKey::ed25519();
    let mut h = jwk_header(&ed);
    h["alg"] = json!("ES256");
    let e = err(&v(), &sign_jwt(&h, &claims(), &ed), &ctx());
    assert_eq!(e.code(), "alg_key_mismatch");
    assert!(e.detail().help.contains("EdDSA"));
    // jwk's own alg member disagrees with the header.
    let p = TestKey::p256();
    let mut h = jwk_header(&p);
    h["jwk"]["alg"] = json!("ES384");
    assert_eq!(code(&v(), &sign_jwt(&h, &claims(), &p)), "alg_key_mismatch");
}

#[test]
fn invalid_signature() {
    let key = TestKey::p256();
    let other = TestKey::p256();
    // Signed by another key.
    assert_eq!(
        code(&v(), &sign_jwt(&jwk_header(&key), &claims(), &other)),
        "invalid_signature"
    );
    // Tampered payload.
    let good = proof(&key);
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(json!({"aud": AUD, "iat": IAT + 1, "nonce": NONCE}).to_string()),
        parts[2]
    );
    assert_eq!(code(&v(), &tampered), "invalid_signature");
    // DER-encoded ES256 signature.
    let TestKey::P256(sk) = &key else {
        unreachable!()
    };
    let input = format!("{}.{}", parts[0], parts[1]);
    let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(sk, input.as_bytes());
    let der = format!("{input}.{}", b64(sig.to_der().as_bytes()));
    let e = err(&v(), &der, &ctx());
    assert_eq!(e.code(), "invalid_signature");
    assert!(e.detail().help.contains("not DER"));
    // Ed25519 with a flipped bit.
    let ed = TestKey::ed25519();
    let mut p = proof(&ed).into_bytes();
    let n = p.len();
    p[n - 3] = if p[n - 3] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        code(&v(), std::str::from_utf8(&p).unwrap()),
        "invalid_signature"
    );
}

#[test]
fn invalid_audience() {
    let key = TestKey::p256();
    for aud in [
        json!("https://evil.example.com"),
        json!(format!("{AUD}/")),
        json!([AUD]),
        Value::Null,
    ] {
        let mut c = claims();
        if aud.is_null() {
            c.as_object_mut().unwrap().remove("aud");
        } else {
            c["aud"] = aud;
        }
        assert_eq!(
            code(&v(), &sign_jwt(&jwk_header(&key), &c, &key)),
            "invalid_audience"
        );
    }
    let mut c = claims();
    c["aud"] = json!(format!("{AUD}/"));
    let e = err(&v(), &sign_jwt(&jwk_header(&key), &c, &key), &ctx());
    assert!(e.detail().reason.contains("trailing slash"));
}

#[test]
fn iat_codes() {
    let key = TestKey::p256();
    let with_iat = |iat: Value| {
        let mut c = claims();
        if iat.is_null() {
            c.as_object_mut().unwrap().remove("iat");
        } else {
            c["iat"] = iat;
        }
        sign_jwt(&jwk_header(&key), &c, &key)
    };
    assert_eq!(code(&v(), &with_iat(Value::Null)), "missing_iat");
    assert_eq!(code(&v(), &with_iat(json!("1701960444"))), "missing_iat");
    assert_eq!(code(&v(), &with_iat(json!(-5))), "missing_iat");
    assert_eq!(code(&v(), &with_iat(json!(NOW + 61))), "iat_in_future");
    assert!(v().validate(&with_iat(json!(NOW + 60)), &ctx()).is_ok());
    assert_eq!(code(&v(), &with_iat(json!(NOW - 301))), "proof_expired");
    assert!(v().validate(&with_iat(json!(NOW - 300)), &ctx()).is_ok());
    // Milliseconds by mistake: far in the future.
    assert_eq!(code(&v(), &with_iat(json!(NOW * 1000))), "iat_in_future");
    // Fractional NumericDate is fine.
    assert!(v()
        .validate(&with_iat(json!(IAT as f64 + 0.5)), &ctx())
        .is_ok());
    // Policy window.
    let strict = ProofValidator::new(ProofPolicy {
        max_iat_age: 10,
        ..ProofPolicy::default()
    });
    assert_eq!(code(&strict, &with_iat(json!(NOW - 11))), "proof_expired");
}

/// RFC 7519 §4.1.4/4.1.5: a proof is refused on or after `exp` and before `nbf` minus the
/// 60 s skew; the security review's `exp: 1` proof was accepted before.
#[test]
fn exp_and_nbf_codes() {
    let key = TestKey::p256();
    let with = |name: &str, value: Value| {
        let mut c = claims();
        c[name] = value;
        sign_jwt(&jwk_header(&key), &c, &key)
    };
    assert_eq!(code(&v(), &with("exp", json!(1))), "proof_expired");
    let e = err(&v(), &with("exp", json!(1)), &ctx());
    assert!(e.detail().reason.contains("expired at 1"), "{e:?}");
    assert!(e.detail().spec_ref.contains("RFC 7519 Section 4.1.4"));
    assert_eq!(code(&v(), &with("exp", json!(NOW))), "proof_expired");
    let ok = v().validate(&with("exp", json!(NOW + 1)), &ctx()).unwrap();
    assert_eq!(ok.claims().exp, Some(NOW + 1));
    assert!(v().validate(&with("exp", json!(NOW + 300)), &ctx()).is_ok());
    assert_eq!(code(&v(), &with("exp", json!("2030"))), "malformed_jwt");
    assert_eq!(code(&v(), &with("nbf", json!(NOW + 61))), "not_yet_valid");
    assert!(v().validate(&with("nbf", json!(NOW + 60)), &ctx()).is_ok());
    assert_eq!(code(&v(), &with("nbf", json!(false))), "malformed_jwt");
    // The same rule for an EdDSA proof.
    let ed = TestKey::ed25519();
    let mut c = claims();
    c["exp"] = json!(NOW - 1000);
    assert_eq!(
        code(&v(), &sign_jwt(&jwk_header(&ed), &c, &ed)),
        "proof_expired"
    );
}

#[test]
fn invalid_iss() {
    let key = TestKey::p256();
    let mut c = claims();
    c["iss"] = json!("s6BhdRkqt3");
    let jwt = sign_jwt(&jwk_header(&key), &c, &key);
    // Anonymous pre-authorized access: iss MUST be absent.
    assert_eq!(err(&v(), &jwt, &ctx()).code(), "invalid_iss");
    let known = ProofContext {
        client: ClientIdentity::Known("s6BhdRkqt3"),
        ..ctx()
    };
    assert_eq!(
        v().validate(&jwt, &known).unwrap().claims().iss.as_deref(),
        Some("s6BhdRkqt3")
    );
    let other = ProofContext {
        client: ClientIdentity::Known("other-client"),
        ..ctx()
    };
    assert_eq!(err(&v(), &jwt, &other).code(), "invalid_iss");
    let unknown = ProofContext {
        client: ClientIdentity::Unknown,
        ..ctx()
    };
    assert!(v().validate(&jwt, &unknown).is_ok());
    // Known client, iss absent: fine.
    assert!(v().validate(&proof(&key), &known).is_ok());
    let mut c = claims();
    c["iss"] = json!(42);
    assert_eq!(
        err(&v(), &sign_jwt(&jwk_header(&key), &c, &key), &known).code(),
        "invalid_iss"
    );
}

struct Verifier;
impl NonceVerifier for Verifier {
    fn verify(&self, nonce: &str) -> Result<(), NonceRejection> {
        match nonce {
            NONCE => Ok(()),
            "expired" => Err(NonceRejection::Expired),
            _ => Err(NonceRejection::Unknown),
        }
    }
}

#[test]
fn nonce_codes() {
    let key = TestKey::p256();
    let with_nonce = |n: Value| {
        let mut c = claims();
        if n.is_null() {
            c.as_object_mut().unwrap().remove("nonce");
        } else {
            c["nonce"] = n;
        }
        sign_jwt(&jwk_header(&key), &c, &key)
    };
    let missing = with_nonce(Value::Null);
    let e = err(&v(), &missing, &ctx());
    assert_eq!(
        (e.code(), e.oauth_error()),
        ("missing_nonce", "invalid_proof")
    );
    let e = err(&v(), &with_nonce(json!(12345)), &ctx());
    assert_eq!(
        (e.code(), e.oauth_error()),
        ("missing_nonce", "invalid_proof")
    );
    let e = err(&v(), &with_nonce(json!("stale")), &ctx());
    assert_eq!(
        (e.code(), e.oauth_error()),
        ("invalid_nonce", "invalid_nonce")
    );

    let verifier = Verifier;
    let vctx = ProofContext {
        nonce: NonceCheck::Verify(&verifier),
        ..ctx()
    };
    assert!(v().validate(&proof(&key), &vctx).is_ok());
    let e = err(&v(), &with_nonce(json!("expired")), &vctx);
    assert_eq!(e.code(), "invalid_nonce");
    assert!(e.detail().reason.contains("expired"));
    assert_eq!(err(&v(), &missing, &vctx).code(), "missing_nonce");

    // No nonce endpoint: optional, unchecked. Skip: unchecked.
    for n in [NonceCheck::NotRequired, NonceCheck::Skip] {
        let c = ProofContext { nonce: n, ..ctx() };
        assert!(v().validate(&missing, &c).is_ok());
        assert!(v().validate(&with_nonce(json!("anything")), &c).is_ok());
    }
    // The nonce is checked last: a bad signature wins over a bad nonce.
    let other = TestKey::p256();
    let mut c = claims();
    c["nonce"] = json!("stale");
    assert_eq!(
        code(&v(), &sign_jwt(&jwk_header(&key), &c, &other)),
        "invalid_signature"
    );
}

#[test]
fn did_key_sources() {
    for key in [TestKey::p256(), TestKey::ed25519()] {
        let h = json!({"typ": "openid4vci-proof+jwt", "alg": key.alg(), "kid": key.did_key_url()});
        let p = v()
            .validate(&sign_jwt(&h, &claims(), &key), &ctx())
            .unwrap();
        assert_eq!(p.key_source(), KeySource::DidKey);
        assert_eq!(p.holder_keys(), &[key.public()]);
        // Bare DID: accepted by default, refused when the policy wants a DID URL fragment.
        let bare = json!({"typ": "openid4vci-proof+jwt", "alg": key.alg(), "kid": key.did_key()});
        let jwt = sign_jwt(&bare, &claims(), &key);
        assert!(v().validate(&jwt, &ctx()).is_ok());
        let strict = ProofValidator::new(ProofPolicy {
            require_did_url_fragment: true,
            ..ProofPolicy::default()
        });
        assert_eq!(code(&strict, &jwt), "unresolvable_kid");
    }
    // did:jwk, built in.
    let key = TestKey::ed25519();
    let did = format!("did:jwk:{}#0", b64(key.jwk().to_string()));
    let h = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": did});
    assert_eq!(
        v().validate(&sign_jwt(&h, &claims(), &key), &ctx())
            .unwrap()
            .key_source(),
        KeySource::Did
    );
}

#[test]
fn unresolvable_kid() {
    let key = TestKey::p256();
    let other = TestKey::p256();
    let id = other.did_key().trim_start_matches("did:key:").to_owned();
    for kid in [
        json!("wallet-key-1"),
        json!("did:web:wallet.example#key-1"),
        json!(format!("{}#{id}", key.did_key())),
        json!("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"),
        json!(5),
    ] {
        let h = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "kid": kid});
        let e = err(&v(), &sign_jwt(&h, &claims(), &key), &ctx());
        assert_eq!(e.code(), "unresolvable_kid", "{kid}");
    }
    let h = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "kid": "did:web:wallet.example#key-1"});
    let e = err(&v(), &sign_jwt(&h, &claims(), &key), &ctx());
    assert!(
        e.detail().reason.contains("did:web is not supported"),
        "{}",
        e.detail().reason
    );
}

struct WebResolver(PublicKey);
impl DidResolver for WebResolver {
    fn resolve(&self, did_url: &str) -> Result<PublicKey, DidResolutionError> {
        match did_url {
            "did:web:wallet.example#key-1" => Ok(self.0.clone()),
            "did:web:wallet.example#key-2" => Err(DidResolutionError::KeyNotFound),
            _ => Err(DidResolutionError::UnsupportedMethod),
        }
    }
}

#[test]
fn did_resolver_and_binding_methods() {
    let key = TestKey::p256();
    let policy = ProofPolicy {
        did_resolver: Some(Arc::new(WebResolver(key.public()))),
        ..ProofPolicy::default()
    };
    let validator = ProofValidator::new(policy);
    let h = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "kid": "did:web:wallet.example#key-1"});
    let jwt = sign_jwt(&h, &claims(), &key);
    let p = validator.validate(&jwt, &ctx()).unwrap();
    assert_eq!(p.key_source(), KeySource::Did);
    let h2 = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "kid": "did:web:wallet.example#key-2"});
    assert_eq!(
        code(&validator, &sign_jwt(&h2, &claims(), &key)),
        "unresolvable_kid"
    );

    // cryptographic_binding_methods_supported = ["did:key"]: jwk and did:web refused.
    let only_did_key = ProofValidator::new(ProofPolicy {
        binding_methods: Some(vec!["did:key".into()]),
        did_resolver: Some(Arc::new(WebResolver(key.public()))),
        ..ProofPolicy::default()
    });
    assert_eq!(
        code(&only_did_key, &proof(&key)),
        "unsupported_binding_method"
    );
    assert_eq!(code(&only_did_key, &jwt), "unsupported_binding_method");
    let h = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "kid": key.did_key_url()});
    assert!(only_did_key
        .validate(&sign_jwt(&h, &claims(), &key), &ctx())
        .is_ok());
}

fn attestation_policy(attester: &TestKey) -> ProofPolicy {
    ProofPolicy {
        key_attestation_trusted_keys: vec![attester.public()],
        ..ProofPolicy::default()
    }
}

#[test]
fn key_attestation_in_jwt_proof() {
    let attester = TestKey::p256();
    let (k1, k2) = (TestKey::p256(), TestKey::p256());
    let validator = ProofValidator::new(attestation_policy(&attester));
    let ka = key_attestation(&attester, json!({}), attestation_claims(&[&k1, &k2]));

    // jwk = attested key 1, signed by it.
    let mut h = jwk_header(&k1);
    h["key_attestation"] = json!(ka);
    let p = validator
        .validate(&sign_jwt(&h, &claims(), &k1), &ctx())
        .unwrap();
    assert_eq!(p.key_source(), KeySource::KeyAttestation);
    assert_eq!(p.holder_keys(), &[k1.public(), k2.public()]);
    assert_eq!(p.signing_key(), Some(&k1.public()));

    // kid as a hint ("0" as in the spec example), signed by attested key 2.
    let h =
        json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "kid": "0", "key_attestation": ka});
    let p = validator
        .validate(&sign_jwt(&h, &claims(), &k2), &ctx())
        .unwrap();
    assert_eq!(p.signing_key(), Some(&k2.public()));

    // Only key_attestation, signed by a key that is not attested: invalid_signature.
    let stranger = TestKey::p256();
    let h = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "key_attestation": ka});
    assert_eq!(
        code(&validator, &sign_jwt(&h, &claims(), &stranger)),
        "invalid_signature"
    );

    // jwk not among attested keys: invalid_key_attestation.
    let mut h = jwk_header(&stranger);
    h["key_attestation"] = json!(ka);
    assert_eq!(
        code(&validator, &sign_jwt(&h, &claims(), &stranger)),
        "invalid_key_attestation"
    );
}

#[test]
fn invalid_key_attestation_cases() {
    let attester = TestKey::p256();
    let k1 = TestKey::p256();
    let validator = ProofValidator::new(attestation_policy(&attester));
    let with_ka = |ka: &str| {
        let mut h = jwk_header(&k1);
        h["key_attestation"] = json!(ka);
        sign_jwt(&h, &claims(), &k1)
    };
    let base = attestation_claims(&[&k1]);
    let mut no_exp = base.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let mut expired = base.clone();
    expired["exp"] = json!(NOW - 1);
    let mut empty_keys = base.clone();
    empty_keys["attested_keys"] = json!([]);
    let mut no_iat = base.clone();
    no_iat.as_object_mut().unwrap().remove("iat");
    let untrusted = TestKey::p256();
    let cases = [
        key_attestation(&attester, json!({"typ": "JWT"}), base.clone()),
        key_attestation(&attester, json!({"alg": "HS256"}), base.clone()),
        key_attestation(&untrusted, json!({}), base.clone()),
        key_attestation(&attester, json!({}), no_exp),
        key_attestation(&attester, json!({}), expired),
        key_attestation(&attester, json!({}), empty_keys),
        key_attestation(&attester, json!({}), no_iat),
        key_attestation(&attester, json!({"x5c": ["not base64!"]}), base.clone()),
        "garbage".to_owned(),
    ];
    for (i, ka) in cases.iter().enumerate() {
        assert_eq!(
            code(&validator, &with_ka(ka)),
            "invalid_key_attestation",
            "case {i}"
        );
    }
    // key_attestation not a string.
    let mut h = jwk_header(&k1);
    h["key_attestation"] = json!({"a": 1});
    assert_eq!(
        code(&validator, &sign_jwt(&h, &claims(), &k1)),
        "invalid_key_attestation"
    );

    // Required but absent; requirement values not met.
    let required = ProofValidator::new(ProofPolicy {
        key_attestations_required: Some(KeyAttestationRequirement {
            key_storage: vec!["iso_18045_high".into()],
            user_authentication: vec![],
        }),
        ..attestation_policy(&attester)
    });
    let e = err(&required, &proof(&k1), &ctx());
    assert_eq!(e.code(), "invalid_key_attestation");
    assert!(e.detail().reason.contains("requires a key attestation"));
    let ka = key_attestation(&attester, json!({}), base.clone());
    let e = err(&required, &with_ka(&ka), &ctx());
    assert_eq!(e.code(), "invalid_key_attestation");
    assert!(e.detail().reason.contains("key_storage"));
    let mut high = base.clone();
    high["key_storage"] = json!(["iso_18045_high"]);
    assert!(required
        .validate(
            &with_ka(&key_attestation(&attester, json!({}), high)),
            &ctx()
        )
        .is_ok());

    // Attestation nonce wrong: invalid_nonce; absent: missing_nonce.
    let mut stale = base.clone();
    stale["nonce"] = json!("stale");
    let e = err(
        &validator,
        &with_ka(&key_attestation(&attester, json!({}), stale)),
        &ctx(),
    );
    assert_eq!(
        (e.code(), e.oauth_error()),
        ("invalid_nonce", "invalid_nonce")
    );
    let mut none = base;
    none.as_object_mut().unwrap().remove("nonce");
    assert_eq!(
        code(
            &validator,
            &with_ka(&key_attestation(&attester, json!({}), none))
        ),
        "missing_nonce"
    );
}

#[test]
fn attestation_proof_type() {
    let attester = TestKey::ed25519();
    let (k1, k2) = (TestKey::p256(), TestKey::ed25519());
    let validator = ProofValidator::new(attestation_policy(&attester));
    let mut c = attestation_claims(&[&k1, &k2]);
    c.as_object_mut().unwrap().remove("exp");
    let ka = key_attestation(&attester, json!({}), c.clone());
    let ps = validator.validate_attestation_proof(&ka, &ctx()).unwrap();
    assert_eq!(ps.holder_keys(), vec![&k1.public(), &k2.public()]);
    assert_eq!(ps.nonce(), Some(NONCE));
    assert_eq!(ps.proofs()[0].key_source(), KeySource::KeyAttestation);
    assert!(ps.proofs()[0].signing_key().is_none());

    let mut stale = c.clone();
    stale["nonce"] = json!("stale");
    let e = validator
        .validate_attestation_proof(&key_attestation(&attester, json!({}), stale), &ctx())
        .unwrap_err();
    assert_eq!(e.code(), "invalid_nonce");
    let mut old = c.clone();
    old["iat"] = json!(NOW - 1000);
    let e = validator
        .validate_attestation_proof(&key_attestation(&attester, json!({}), old), &ctx())
        .unwrap_err();
    assert_eq!(e.code(), "proof_expired");
    let e = validator
        .validate_attestation_proof(
            &key_attestation(&attester, json!({"typ": "openid4vci-proof+jwt"}), c.clone()),
            &ctx(),
        )
        .unwrap_err();
    assert_eq!(e.code(), "invalid_typ");
    let e = validator
        .validate_attestation_proof(&key_attestation(&TestKey::ed25519(), json!({}), c), &ctx())
        .unwrap_err();
    assert_eq!(e.code(), "invalid_key_attestation");
}

#[test]
fn batches() {
    let keys: Vec<TestKey> = (0..3)
        .map(|i| {
            if i % 2 == 0 {
                TestKey::p256()
            } else {
                TestKey::ed25519()
            }
        })
        .collect();
    let proofs: Vec<String> = keys.iter().map(proof).collect();
    let validator = ProofValidator::new(ProofPolicy {
        batch_size: 3,
        ..ProofPolicy::default()
    });
    let ok = validator.validate_jwt_proofs(&proofs, &ctx()).unwrap();
    assert_eq!(ok.len(), 3);
    assert_eq!(
        ok.holder_keys(),
        keys.iter()
            .map(TestKey::public)
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>()
    );
    assert_eq!(ok.nonce(), Some(NONCE));

    // Too many / empty.
    let e = v().validate_jwt_proofs(&proofs, &ctx()).unwrap_err();
    assert_eq!(e.code(), "invalid_batch");
    assert_eq!(
        validator
            .validate_jwt_proofs(&[], &ctx())
            .unwrap_err()
            .code(),
        "invalid_batch"
    );

    // One bad proof: its index.
    let mut bad = proofs.clone();
    bad[2] = sign_jwt(&jwk_header(&keys[2]), &claims(), &keys[0]);
    let e = validator.validate_jwt_proofs(&bad, &ctx()).unwrap_err();
    assert_eq!((e.code(), e.index()), ("invalid_signature", Some(2)));
    assert_eq!(e.diagnostic().index, Some(2));
    assert!(e.diagnostic().error_description().starts_with("proof 2: "));

    // Same key twice.
    let dup = vec![proofs[0].clone(), proofs[1].clone(), proof(&keys[0])];
    let e = validator.validate_jwt_proofs(&dup, &ctx()).unwrap_err();
    assert_eq!((e.code(), e.index()), ("duplicate_holder_key", Some(2)));

    // Different nonces in one batch, each accepted on its own by a stateless verifier.
    struct Any;
    impl NonceVerifier for Any {
        fn verify(&self, _: &str) -> Result<(), NonceRejection> {
            Ok(())
        }
    }
    let any = Any;
    let vctx = ProofContext {
        nonce: NonceCheck::Verify(&any),
        ..ctx()
    };
    let mut c = claims();
    c["nonce"] = json!("other-valid-nonce");
    let mixed = vec![
        proofs[0].clone(),
        sign_jwt(&jwk_header(&keys[1]), &c, &keys[1]),
    ];
    let e = validator.validate_jwt_proofs(&mixed, &vctx).unwrap_err();
    assert_eq!(
        (e.code(), e.oauth_error(), e.index()),
        ("invalid_nonce", "invalid_nonce", Some(1))
    );
}

#[test]
fn nonce_verifier_called_once_per_request() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    struct Counting(AtomicUsize);
    impl NonceVerifier for Counting {
        fn verify(&self, _: &str) -> Result<(), NonceRejection> {
            if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                Ok(())
            } else {
                Err(NonceRejection::Used)
            }
        }
    }
    let counting = Counting(AtomicUsize::new(0));
    let vctx = ProofContext {
        nonce: NonceCheck::Verify(&counting),
        ..ctx()
    };
    let proofs: Vec<String> = (0..4).map(|_| proof(&TestKey::p256())).collect();
    let validator = ProofValidator::new(ProofPolicy {
        batch_size: 4,
        ..ProofPolicy::default()
    });
    assert!(validator.validate_jwt_proofs(&proofs, &vctx).is_ok());
    assert_eq!(counting.0.load(Ordering::SeqCst), 1);
    // Not consulted at all when a proof fails earlier.
    let fresh = Counting(AtomicUsize::new(0));
    let vctx = ProofContext {
        nonce: NonceCheck::Verify(&fresh),
        ..ctx()
    };
    let mut bad = proofs;
    bad[3] = "x.y.z".into();
    assert!(validator.validate_jwt_proofs(&bad, &vctx).is_err());
    assert_eq!(fresh.0.load(Ordering::SeqCst), 0);
}

#[test]
fn every_code_is_documented_and_reachable() {
    // The codes the issue lists must all exist.
    for c in [
        "malformed_jwt",
        "invalid_typ",
        "unsupported_alg",
        "missing_holder_key",
        "conflicting_holder_keys",
        "invalid_jwk",
        "unresolvable_kid",
        "invalid_x5c",
        "untrusted_x5c",
        "invalid_key_attestation",
        "invalid_signature",
        "invalid_audience",
        "missing_nonce",
        "invalid_nonce",
        "missing_iat",
        "iat_in_future",
        "proof_expired",
        "not_yet_valid",
        "invalid_iss",
        "alg_key_mismatch",
    ] {
        assert!(ProofError::CODES.contains(&c), "{c}");
    }
}

#[test]
fn key_attestation_alg_must_match_an_attested_key() {
    let attester = TestKey::p256();
    let k1 = TestKey::p256();
    let ed = TestKey::ed25519();
    let validator = ProofValidator::new(attestation_policy(&attester));
    let ka = key_attestation(&attester, json!({}), attestation_claims(&[&k1]));
    // alg EdDSA, signed with an Ed25519 key, but every attested key is P-256.
    let h = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "key_attestation": ka});
    let e = err(&validator, &sign_jwt(&h, &claims(), &ed), &ctx());
    assert_eq!(e.code(), "alg_key_mismatch");
}

#[test]
fn debug_output_redacts_nonces() {
    let c = ProofContext {
        nonce: NonceCheck::Equals("secret-nonce-value"),
        ..ctx()
    };
    let s = format!("{c:?}");
    assert!(!s.contains("secret-nonce-value"), "{s}");
    assert!(s.contains("redacted"));
    let p = format!("{:?}", ProofPolicy::default());
    assert!(
        p.contains("max_iat_age: 300") && p.contains("batch_size: 1"),
        "{p}"
    );
}

#[test]
fn typed_header_and_claims_of_a_did_key_proof() {
    let key = TestKey::ed25519();
    let h = json!({"typ": "application/openid4vci-proof+jwt", "alg": "EdDSA", "kid": key.did_key_url()});
    let mut c = claims();
    c["exp"] = json!(NOW + 100);
    c["custom"] = json!({"a": [1, 2]});
    let p = v().validate(&sign_jwt(&h, &c, &key), &ctx()).unwrap();
    assert_eq!(p.header().typ, "application/openid4vci-proof+jwt");
    assert_eq!(p.header().kid.as_deref(), Some(key.did_key_url().as_str()));
    assert!(
        p.header().jwk.is_none()
            && p.header().x5c.is_none()
            && p.header().key_attestation.is_none()
    );
    assert_eq!(p.claims().exp, Some(NOW + 100));
    assert_eq!(p.claims().raw["custom"]["a"][1], 2);
    assert_eq!(p.claims().nonce.as_deref(), Some(NONCE));
}
