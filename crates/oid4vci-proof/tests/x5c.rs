//! x5c holder keys and x5c-signed key attestations, with certificate chains built by rcgen.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::*;
use oid4vci_proof::{KeySource, ProofPolicy, ProofValidator};
use p256::pkcs8::DecodePrivateKey as _;
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_ED25519,
};
use serde_json::{json, Value};

struct Ca {
    key: KeyPair,
    params: CertificateParams,
    der: Vec<u8>,
}

fn params(cn: &str, ca: Option<BasicConstraints>, until: (i32, u8, u8)) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.not_before = date_time_ymd(2023, 1, 1);
    p.not_after = date_time_ymd(until.0, until.1, until.2);
    match ca {
        Some(bc) => {
            p.is_ca = IsCa::Ca(bc);
            p.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::DigitalSignature,
            ];
        }
        None => {
            p.is_ca = IsCa::ExplicitNoCa;
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        }
    }
    p
}

fn make_root(cn: &str, bc: BasicConstraints) -> Ca {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let params = params(cn, Some(bc), (2030, 1, 1));
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca { key, params, der }
}

fn sub_ca(cn: &str, parent: &Ca, ca: bool) -> Ca {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let params = params(
        cn,
        ca.then_some(BasicConstraints::Unconstrained),
        (2030, 1, 1),
    );
    let issuer = Issuer::from_params(&parent.params, &parent.key);
    let der = params.signed_by(&key, &issuer).unwrap().der().to_vec();
    Ca { key, params, der }
}

/// A leaf certificate for a fresh wallet key (P-256 or Ed25519) and the matching TestKey.
fn leaf(parent: Option<&Ca>, ed25519: bool, until: (i32, u8, u8)) -> (TestKey, Vec<u8>) {
    let alg = if ed25519 {
        &PKCS_ED25519
    } else {
        &PKCS_ECDSA_P256_SHA256
    };
    let key = KeyPair::generate_for(alg).unwrap();
    let pkcs8 = key.serialize_der();
    let test_key = if ed25519 {
        // PKCS#8 v1/v2 Ed25519: the 32-byte seed sits at offset 16.
        let seed: [u8; 32] = pkcs8[16..48].try_into().unwrap();
        TestKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
    } else {
        TestKey::P256(p256::ecdsa::SigningKey::from_pkcs8_der(&pkcs8).unwrap())
    };
    let p = params("wallet key", None, until);
    let der = match parent {
        Some(ca) => p
            .signed_by(&key, &Issuer::from_params(&ca.params, &ca.key))
            .unwrap(),
        None => p.self_signed(&key).unwrap(),
    }
    .der()
    .to_vec();
    (test_key, der)
}

fn x5c_proof(key: &TestKey, chain: &[&[u8]]) -> String {
    let x5c: Vec<String> = chain.iter().map(|c| STANDARD.encode(c)).collect();
    let h = json!({"typ": "openid4vci-proof+jwt", "alg": key.alg(), "x5c": x5c});
    sign_jwt(&h, &claims(), key)
}

fn anchored(anchors: Vec<Vec<u8>>) -> ProofValidator {
    ProofValidator::new(ProofPolicy {
        x5c_trust_anchors: anchors,
        ..ProofPolicy::default()
    })
}

fn code(v: &ProofValidator, jwt: &str) -> &'static str {
    v.validate(jwt, &ctx()).expect_err("accepted").code()
}

#[test]
fn chain_to_anchor_accepted() {
    let root = make_root("Test Root", BasicConstraints::Unconstrained);
    let inter = sub_ca("Test Intermediate", &root, true);
    for ed in [false, true] {
        let (key, leaf_der) = leaf(Some(&inter), ed, (2025, 1, 1));
        let v = anchored(vec![root.der.clone()]);
        let p = v
            .validate(&x5c_proof(&key, &[&leaf_der, &inter.der]), &ctx())
            .unwrap();
        assert_eq!(p.key_source(), KeySource::X5c);
        assert_eq!(p.holder_keys(), &[key.public()]);
        assert_eq!(p.header().x5c.as_ref().map(Vec::len), Some(2));
        // Root included in the chain: fine too.
        assert!(v
            .validate(
                &x5c_proof(&key, &[&leaf_der, &inter.der, &root.der]),
                &ctx()
            )
            .is_ok());
        // Pinned intermediate as the anchor.
        assert!(anchored(vec![inter.der.clone()])
            .validate(&x5c_proof(&key, &[&leaf_der]), &ctx())
            .is_ok());
        // Proof signed by a key other than the leaf's.
        let other = TestKey::p256();
        let h = json!({"typ": "openid4vci-proof+jwt", "alg": key.alg(), "x5c": [STANDARD.encode(&leaf_der)]});
        let wrong = sign_jwt(&h, &claims(), &other);
        assert_eq!(
            code(&anchored(vec![inter.der.clone()]), &wrong),
            "invalid_signature"
        );
    }
}

#[test]
fn untrusted_x5c() {
    let root = make_root("Test Root", BasicConstraints::Unconstrained);
    let inter = sub_ca("Test Intermediate", &root, true);
    let (key, leaf_der) = leaf(Some(&inter), false, (2025, 1, 1));
    let jwt = x5c_proof(&key, &[&leaf_der, &inter.der]);
    assert_eq!(code(&anchored(vec![]), &jwt), "untrusted_x5c");
    let other_root = make_root("Other Root", BasicConstraints::Unconstrained);
    let e = anchored(vec![other_root.der.clone()])
        .validate(&jwt, &ctx())
        .unwrap_err();
    assert_eq!(e.code(), "untrusted_x5c");
    assert!(
        e.detail().reason.contains("Test Intermediate"),
        "{}",
        e.detail().reason
    );
    // A root whose pathLenConstraint forbids the intermediate is not a valid anchor here.
    let strict_root = make_root("Strict Root", BasicConstraints::Constrained(0));
    let inter2 = sub_ca("Intermediate 2", &strict_root, true);
    let (key2, leaf2) = leaf(Some(&inter2), false, (2025, 1, 1));
    assert_eq!(
        code(
            &anchored(vec![strict_root.der.clone()]),
            &x5c_proof(&key2, &[&leaf2, &inter2.der])
        ),
        "untrusted_x5c"
    );
}

#[test]
fn self_signed_only_when_allowed() {
    let (key, der) = leaf(None, false, (2025, 1, 1));
    let jwt = x5c_proof(&key, &[&der]);
    assert_eq!(code(&anchored(vec![]), &jwt), "untrusted_x5c");
    let lenient = ProofValidator::new(ProofPolicy {
        allow_self_signed_x5c: true,
        ..ProofPolicy::default()
    });
    assert_eq!(
        lenient.validate(&jwt, &ctx()).unwrap().key_source(),
        KeySource::X5c
    );
}

#[test]
fn invalid_x5c() {
    let root = make_root("Test Root", BasicConstraints::Unconstrained);
    let inter = sub_ca("Test Intermediate", &root, true);
    let not_ca = sub_ca("Not A CA", &root, false);
    let v = anchored(vec![root.der.clone()]);

    // Expired leaf (2023-06-01 < NOW = 2023-12-07).
    let (key, expired) = leaf(Some(&inter), false, (2023, 6, 1));
    let e = v
        .validate(&x5c_proof(&key, &[&expired, &inter.der]), &ctx())
        .unwrap_err();
    assert_eq!(e.code(), "invalid_x5c");
    assert!(e.detail().reason.contains("not valid at"));

    // Issued by a non-CA.
    let (key, leaf_der) = leaf(Some(&not_ca), false, (2025, 1, 1));
    assert_eq!(
        code(&v, &x5c_proof(&key, &[&leaf_der, &not_ca.der])),
        "invalid_x5c"
    );

    // Wrong order / missing link.
    let (key, leaf_der) = leaf(Some(&inter), false, (2025, 1, 1));
    assert_eq!(
        code(&v, &x5c_proof(&key, &[&leaf_der, &root.der])),
        "invalid_x5c"
    );

    // Encodings: base64url instead of base64, garbage DER, empty, not an array, too long.
    let url = base64::engine::general_purpose::URL_SAFE.encode(&leaf_der);
    let std = STANDARD.encode(&leaf_der);
    for x5c in [
        json!([url]),
        json!([STANDARD.encode(b"not a certificate")]),
        json!([]),
        json!(std),
        Value::Array(vec![json!(std); 9]),
        json!([format!("{std}AAAA")]),
    ] {
        if x5c
            .as_array()
            .is_some_and(|a| a.first() == Some(&json!(url)))
            && !url.contains(['-', '_'])
        {
            continue; // this DER happens to encode identically in both alphabets
        }
        let h = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "x5c": x5c});
        assert_eq!(
            code(&v, &sign_jwt(&h, &claims(), &key)),
            "invalid_x5c",
            "{x5c:.60}"
        );
    }
}

#[test]
fn key_attestation_signed_with_x5c() {
    let root = make_root("Wallet Provider Root", BasicConstraints::Unconstrained);
    let (attester, attester_der) = leaf(Some(&root), false, (2025, 1, 1));
    let k1 = TestKey::ed25519();
    let ka_header = json!({"x5c": [STANDARD.encode(&attester_der)]});
    let ka = {
        let mut h = json!({"typ": "key-attestation+jwt", "alg": "ES256"});
        h["x5c"] = ka_header["x5c"].clone();
        sign_jwt(&h, &attestation_claims(&[&k1]), &attester)
    };
    let mut h = jwk_header(&k1);
    h["key_attestation"] = json!(ka);
    let jwt = sign_jwt(&h, &claims(), &k1);
    let trusted = ProofValidator::new(ProofPolicy {
        key_attestation_trust_anchors: vec![root.der.clone()],
        ..ProofPolicy::default()
    });
    let p = trusted.validate(&jwt, &ctx()).unwrap();
    assert_eq!(p.key_source(), KeySource::KeyAttestation);
    assert_eq!(p.holder_keys(), &[k1.public()]);
    // Same attestation, issuer trusts another provider.
    let other = root_der_only();
    let untrusted = ProofValidator::new(ProofPolicy {
        key_attestation_trust_anchors: vec![other],
        ..ProofPolicy::default()
    });
    assert_eq!(code(&untrusted, &jwt), "invalid_key_attestation");
    // And as an attestation proof type.
    let ps = trusted.validate_attestation_proof(&ka, &ctx()).unwrap();
    assert_eq!(ps.holder_keys(), vec![&k1.public()]);
}

fn root_der_only() -> Vec<u8> {
    make_root("Other Provider", BasicConstraints::Unconstrained).der
}

/// An x5c key is a `jwk` binding (Appendix F.1): an issuer whose
/// `cryptographic_binding_methods_supported` lacks `jwk` refuses it, even with a trusted chain.
#[test]
fn x5c_needs_the_jwk_binding_method() {
    let (key, der) = leaf(None, false, (2025, 1, 1));
    let jwt = x5c_proof(&key, &[&der]);
    let only_did = ProofValidator::new(ProofPolicy {
        allow_self_signed_x5c: true,
        binding_methods: Some(vec!["did:key".into()]),
        ..ProofPolicy::default()
    });
    assert_eq!(code(&only_did, &jwt), "unsupported_binding_method");
    let with_jwk = ProofValidator::new(ProofPolicy {
        allow_self_signed_x5c: true,
        binding_methods: Some(vec!["did:key".into(), "jwk".into()]),
        ..ProofPolicy::default()
    });
    assert!(with_jwk.validate(&jwt, &ctx()).is_ok());
}

/// `issuer_signature::verify_issuer_signature`: a credential's issuer signature against the
/// signing certificate, the CA that issued it (through the credential's chain), a certificate
/// with the same key, a foreign one, none; a bad signature and a bad certificate.
#[test]
fn issuer_signatures_against_a_certificate() {
    use oid4vci_proof::issuer_signature::{
        verify_issuer_signature, CertificateMatch as M, IssuerSignatureError as E,
        VerifiedWith as W,
    };
    use oid4vci_proof::{Alg, SignatureError};
    let root = make_root("issuing CA", BasicConstraints::Unconstrained);
    let (key, leaf_der) = leaf(Some(&root), false, (2030, 1, 1));
    let message = b"header.payload";
    let signature = key.sign(message);
    let now = 1_767_225_600;
    let chain = std::slice::from_ref(&leaf_der);
    let check = |chain: &[Vec<u8>], cert: Option<&[u8]>, signature: &[u8]| {
        verify_issuer_signature(Alg::Es256, message, signature, chain, cert, now)
    };

    let same = check(chain, Some(&leaf_der), &signature);
    assert_eq!(same.result, Ok(W::Certificate));
    assert_eq!(same.certificate_match, Some(M::SameCertificate));
    let by_ca = check(chain, Some(&root.der), &signature);
    assert_eq!(by_ca.result, Ok(W::ChainToCertificate));
    assert_eq!(by_ca.certificate_match, Some(M::IssuedByCertificate));
    let json = by_ca.to_json();
    assert_eq!(json["valid"], true);
    assert_eq!(json["certificate"]["subject"], "CN=issuing CA");
    assert_eq!(json["credential_certificate"]["issuer"], "CN=issuing CA");
    assert_eq!(json["credential_certificate"]["self_signed"], false);
    assert_eq!(
        json["credential_certificate"]["key_thumbprint"],
        key.public().thumbprint()
    );
    // The certificate alone, without a chain in the credential.
    assert_eq!(
        check(&[], Some(&leaf_der), &signature).result,
        Ok(W::Certificate)
    );
    // No certificate given: the credential's own leaf, not a trust decision.
    assert_eq!(
        check(chain, None, &signature).result,
        Ok(W::CredentialCertificate)
    );
    assert_eq!(check(&[], None, &signature).result, Err(E::NoCertificate));

    // Past the CA's validity, the chain no longer leads to it.
    let late = verify_issuer_signature(
        Alg::Es256,
        message,
        &signature,
        chain,
        Some(&root.der),
        2_000_000_000,
    );
    assert!(matches!(late.certificate_match, Some(M::Unrelated(_))));
    assert!(matches!(late.result, Err(E::NotByCertificate { .. })));

    let foreign = make_root("another CA", BasicConstraints::Unconstrained);
    let refused = check(chain, Some(&foreign.der), &signature);
    assert!(matches!(refused.certificate_match, Some(M::Unrelated(_))));
    let Err(e) = &refused.result else {
        panic!("refused")
    };
    assert_eq!(e.code(), "not_signed_by_certificate");
    assert!(e.to_string().contains("does not chain to it"), "{e}");

    let mut bad = signature.clone();
    bad[5] ^= 1;
    for cert in [&leaf_der, &root.der] {
        assert_eq!(
            check(chain, Some(cert), &bad).result,
            Err(E::Signature(SignatureError::Mismatch))
        );
    }
    let garbage = check(chain, Some(b"not a certificate"), &signature);
    assert!(matches!(garbage.result, Err(E::BadCertificate(_))));
    assert_eq!(garbage.to_json()["error"], "bad_certificate");
    let huge = vec![0u8; 9 * 1024];
    assert!(matches!(
        check(chain, Some(&huge), &signature).result,
        Err(E::BadCertificate(_))
    ));
}
