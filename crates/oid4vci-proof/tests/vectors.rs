//! External vectors from the repository's testdata/, read as data: Wycheproof, did:key, RFC 7515
//! A.3 / RFC 8037, the constructed proof vectors, the spec's F.1 example and the seed proof.

mod common;

use common::*;
use oid4vci_proof::{
    did_key, Alg, ClientIdentity, NonceCheck, ProofContext, ProofError, ProofPolicy,
    ProofValidator, PublicKey,
};
use serde_json::{Map, Value};

fn obj(v: &Value) -> &Map<String, Value> {
    v.as_object().expect("JSON object")
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} is not a string in {v}"))
}

/// Runs a Wycheproof file; returns (valid accepted, invalid rejected) and asserts no mismatch.
fn wycheproof(file: &str, alg: Alg) -> (usize, usize) {
    let doc = load_json(file);
    let (mut valid, mut invalid, mut mismatches) = (0, 0, Vec::new());
    for group in doc["testGroups"].as_array().unwrap() {
        let key = if alg == Alg::Es256 {
            // SEC1 is always present; the JWK and SPKI encodings decode to the same key.
            let sec1 = PublicKey::p256_from_sec1(&hex(s(&group["publicKey"], "uncompressed")));
            if let Some(jwk) = group["publicKeyJwk"].as_object() {
                assert_eq!(PublicKey::from_jwk(jwk), sec1);
            }
            assert_eq!(
                PublicKey::from_spki_der(&hex(s(group, "publicKeyDer"))),
                sec1
            );
            sec1
        } else {
            let raw = PublicKey::ed25519_from_bytes(&hex(s(&group["publicKey"], "pk")));
            assert_eq!(PublicKey::from_jwk(obj(&group["publicKeyJwk"])), raw);
            raw
        };
        for t in group["tests"].as_array().unwrap() {
            let accepted = match &key {
                Ok(k) => k.verify(alg, &hex(s(t, "msg")), &hex(s(t, "sig"))).is_ok(),
                Err(_) => false,
            };
            match (s(t, "result"), accepted) {
                ("valid", true) => valid += 1,
                ("invalid", false) => invalid += 1,
                (r, a) => mismatches.push(format!(
                    "tcId {} expected {r}, accepted={a} ({})",
                    t["tcId"], t["comment"]
                )),
            }
        }
    }
    assert!(mismatches.is_empty(), "{file}: {mismatches:#?}");
    let total = doc["numberOfTests"].as_u64().unwrap() as usize;
    assert_eq!(valid + invalid, total);
    eprintln!("{file}: {valid} valid accepted, {invalid} invalid rejected");
    (valid, invalid)
}

#[test]
fn wycheproof_p256_p1363() {
    let (valid, invalid) = wycheproof(
        "wycheproof/ecdsa_secp256r1_sha256_p1363_test.json",
        Alg::Es256,
    );
    assert_eq!((valid, invalid), (173, 89));
}

#[test]
fn wycheproof_ed25519() {
    let (valid, invalid) = wycheproof("wycheproof/ed25519_test.json", Alg::EdDsa);
    assert_eq!((valid, invalid), (88, 63));
}

#[test]
fn wycheproof_p256_tc1_high_s_is_valid() {
    let doc = load_json("wycheproof/ecdsa_secp256r1_sha256_p1363_test.json");
    let group = &doc["testGroups"][0];
    let t = &group["tests"][0];
    assert_eq!(t["tcId"], 1);
    let key = PublicKey::from_jwk(obj(&group["publicKeyJwk"])).unwrap();
    assert!(key
        .verify(Alg::Es256, &hex(s(t, "msg")), &hex(s(t, "sig")))
        .is_ok());
}

#[test]
fn did_key_vectors_resolve_to_listed_keys() {
    let doc = load_json("did-key/did_key_jwk_vectors.json");
    let mut n = 0;
    for v in doc["vectors"].as_array().unwrap() {
        let did = s(v, "did");
        let key = did_key::resolve_builtin(did, false).unwrap_or_else(|e| panic!("{did}: {e}"));
        let expected = PublicKey::from_jwk(obj(&v["expected_jwk"])).unwrap();
        assert_eq!(key, expected, "{did}");
        // The JWK we render has exactly the published members and values.
        let jwk = key.to_jwk();
        for (k, val) in obj(&v["expected_jwk"]) {
            assert_eq!(jwk.get(k), Some(val), "{did} member {k}");
        }
        // DID URL with the key fragment.
        let id = did.trim_start_matches("did:key:");
        assert_eq!(
            did_key::resolve_builtin(&format!("{did}#{id}"), true).unwrap(),
            expected
        );
        for other in [
            "derived_jwk_jcs_pub_did_for_same_key",
            "derived_compressed_p256_did_for_same_key",
        ] {
            if let Some(d) = v[other].as_str() {
                assert_eq!(
                    did_key::resolve_builtin(d, false).unwrap(),
                    expected,
                    "{other} of {did}"
                );
            }
        }
        n += 1;
    }
    assert_eq!(n, doc["vectors"].as_array().unwrap().len());
    for neg in doc["negative_vectors_constructed_here"].as_array().unwrap() {
        let did = s(neg, "did");
        assert!(
            did_key::resolve_builtin(did, false).is_err(),
            "{did} ({}) accepted",
            neg["why"]
        );
    }
}

#[test]
fn w3c_ccg_did_key_files() {
    let nist = load_json("did-key/w3c-ccg_nist-curves.json");
    let mut p256 = 0;
    for (did, entry) in obj(&nist) {
        let res = did_key::resolve_builtin(did, false);
        let vm = &entry["verificationMethod"];
        if did.starts_with("did:key:zDn") {
            let expected = match vm["publicKeyJwk"].as_object() {
                Some(jwk) => PublicKey::from_jwk(jwk).unwrap(),
                None => {
                    let raw = multibase::decode(format!("z{}", s(vm, "publicKeyBase58")))
                        .unwrap()
                        .1;
                    PublicKey::p256_from_sec1(&raw).unwrap()
                }
            };
            assert_eq!(res.unwrap(), expected, "{did}");
            p256 += 1;
        } else {
            // P-384 / P-521: decoded, but reported as unsupported key types.
            let e = res.unwrap_err().to_string();
            assert!(
                e.contains("p384-pub") || e.contains("p521-pub"),
                "{did}: {e}"
            );
        }
    }
    assert_eq!(p256, 3);
    let ed = load_json("did-key/w3c-ccg_ed25519-x25519.json");
    for (did, entry) in obj(&ed) {
        let vm = &entry["verificationKeyPair"];
        let expected = match vm["publicKeyJwk"].as_object() {
            Some(jwk) => PublicKey::from_jwk(jwk).unwrap(),
            None => {
                let raw = multibase::decode(format!("z{}", s(vm, "publicKeyBase58")))
                    .unwrap()
                    .1;
                PublicKey::ed25519_from_bytes(&raw).unwrap()
            }
        };
        assert_eq!(
            did_key::resolve_builtin(did, false).unwrap(),
            expected,
            "{did}"
        );
    }
    let ebsi = load_json("did-key/sphereon_ebsi_jwk_jcs_did_doc.json");
    let doc = &ebsi["didDocument"];
    let vm = &doc["verificationMethod"][0];
    assert_eq!(
        did_key::resolve_builtin(s(vm, "id"), true).unwrap(),
        PublicKey::from_jwk(obj(&vm["publicKeyJwk"])).unwrap()
    );
}

#[test]
fn rfc7515_a3_and_rfc8037() {
    let doc = load_json("rfc_jws_examples.json");
    let a3 = &doc["rfc7515_A3_ES256"];
    let key = PublicKey::from_jwk(obj(&a3["jwk_public"])).unwrap();
    // The private JWK is refused as a header key, and derives the public key.
    assert!(PublicKey::from_jwk(obj(&a3["jwk_private"])).is_err());
    let d = oid4vci_proof::jws::b64url_decode(s(&a3["jwk_private"], "d")).unwrap();
    let sk = p256::ecdsa::SigningKey::from_slice(&d).unwrap();
    assert_eq!(
        PublicKey::p256_from_sec1(sk.verifying_key().to_encoded_point(false).as_bytes()).unwrap(),
        key
    );

    let verify = |jws: &str| {
        let parsed_sig = jws.rsplit_once('.').unwrap();
        let sig = oid4vci_proof::jws::b64url_decode(parsed_sig.1).unwrap();
        key.verify(Alg::Es256, parsed_sig.0.as_bytes(), &sig)
    };
    assert_eq!(
        s(a3, "jws_compact").rsplit_once('.').unwrap().0,
        s(a3, "signing_input")
    );
    assert!(
        verify(s(a3, "jws_compact")).is_ok(),
        "RFC 7515 A.3 (high-S) must verify"
    );
    assert!(verify(s(&doc["derived_rfc7515_A3_low_s_twin"], "jws_compact")).is_ok());
    assert!(verify(s(&doc["derived_rfc7515_A3_tampered"], "jws_compact")).is_err());
    assert_eq!(
        key.thumbprint(),
        s(&doc, "derived_rfc7515_A3_jwk_thumbprint_rfc7638")
    );
    // The A.3 payload has CRLFs: our parser handles it (it is a JSON object).
    let parsed = oid4vci_proof::jws::parse(s(a3, "jws_compact")).unwrap();
    assert_eq!(parsed.payload()["iss"], "joe");

    let ed = &doc["rfc8037_A_Ed25519"];
    let pk = PublicKey::from_jwk(obj(&ed["jwk_public_A2"])).unwrap();
    assert_eq!(
        pk,
        PublicKey::ed25519_from_bytes(&hex(s(ed, "public_hex_A1"))).unwrap()
    );
    assert_eq!(pk.thumbprint(), s(ed, "thumbprint_b64u_A3"));
    let sig = hex(s(ed, "signature_hex_A4"));
    assert!(pk
        .verify(Alg::EdDsa, s(ed, "signing_input_A4").as_bytes(), &sig)
        .is_ok());
    let secret: [u8; 32] = hex(s(ed, "secret_hex_A1")).try_into().unwrap();
    let sk = ed25519_dalek::SigningKey::from_bytes(&secret);
    let resigned = ed25519_dalek::Signer::sign(&sk, s(ed, "signing_input_A4").as_bytes());
    assert_eq!(
        resigned.to_bytes().to_vec(),
        sig,
        "Ed25519 is deterministic"
    );
    let tampered = s(&doc["derived_rfc8037_A4_tampered"], "jws_compact")
        .rsplit_once('.')
        .unwrap();
    let tsig = oid4vci_proof::jws::b64url_decode(tampered.1).unwrap();
    assert!(pk.verify(Alg::EdDsa, tampered.0.as_bytes(), &tsig).is_err());
}

/// The code we give for each constructed vector (the file itself only names the OAuth error).
fn our_code(id: &str) -> Option<&'static str> {
    Some(match id {
        "invalid-iss-mismatch" | "invalid-iss-present-anonymous" => "invalid_iss",
        "invalid-typ-JWT" | "invalid-typ-missing" | "invalid-typ-other" => "invalid_typ",
        "invalid-alg-none" | "invalid-alg-hs256" | "invalid-alg-not-in-metadata" => {
            "unsupported_alg"
        }
        "invalid-alg-key-mismatch" => "alg_key_mismatch",
        "invalid-jwk-and-kid" | "invalid-jwk-and-x5c" => "conflicting_holder_keys",
        "invalid-no-key" => "missing_holder_key",
        "invalid-kid-unresolvable" => "unresolvable_kid",
        "invalid-jwk-private" => "invalid_jwk",
        "invalid-aud-mismatch"
        | "invalid-aud-trailing-slash"
        | "invalid-aud-missing"
        | "policy-aud-array" => "invalid_audience",
        "invalid-iat-missing" | "invalid-iat-string" => "missing_iat",
        "invalid-iat-future" => "iat_in_future",
        "invalid-iat-old" => "proof_expired",
        "invalid-nonce-missing" | "invalid-nonce-number" => "missing_nonce",
        "invalid-nonce-unknown"
        | "invalid-key-attestation-nonce"
        | "invalid-attestation-proof-nonce" => "invalid_nonce",
        "invalid-signature-tampered" | "invalid-signature-wrong-key" | "invalid-signature-der" => {
            "invalid_signature"
        }
        "invalid-crit-unknown" | "invalid-b64-false" => "unsupported_crit",
        "invalid-not-three-parts" => "malformed_jwt",
        "invalid-key-attestation-signer-not-attested"
        | "invalid-key-attestation-no-exp"
        | "invalid-key-attestation-typ"
        | "invalid-key-attestation-untrusted" => "invalid_key_attestation",
        "invalid-attestation-proof-two-jwts" => "invalid_batch",
        _ => return None,
    })
}

/// Our decision on the vectors marked "policy".
fn policy_verdict(id: &str) -> &'static str {
    match id {
        // A did:key has one key; a bare DID is unambiguous (require_did_url_fragment = false).
        "lenient-kid-bare-did" => "accept",
        // OID4VCI says aud is a string.
        "policy-aud-array" => "reject",
        other => panic!("no policy decision recorded for {other}"),
    }
}

fn setup(
    doc: &Value,
    v: &Value,
) -> (
    ProofValidator,
    String,
    NonceCheck<'static>,
    Option<String>,
    bool,
    u64,
) {
    let mut c = obj(&doc["default_context"]).clone();
    if let Some(o) = v["context_overrides"].as_object() {
        c.extend(o.clone());
    }
    let algs: Vec<&str> = c["proof_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let mut policy = ProofPolicy {
        max_iat_age: c["policy_max_iat_age_s"].as_u64().unwrap(),
        max_future_skew: c["policy_max_iat_future_skew_s"].as_u64().unwrap(),
        ..ProofPolicy::default()
    }
    .narrow_algs(&algs);
    if let Some(jwk) = c.get("trusted_key_attestation_issuer_jwk") {
        policy.key_attestation_trusted_keys = vec![PublicKey::from_jwk(obj(jwk)).unwrap()];
    }
    let nonces = c["valid_c_nonces"].as_array().unwrap();
    assert_eq!(nonces.len(), 1);
    let nonce: &'static str = Box::leak(nonces[0].as_str().unwrap().to_owned().into_boxed_str());
    let check = if c["issuer_has_nonce_endpoint"] == true {
        NonceCheck::Equals(nonce)
    } else {
        NonceCheck::NotRequired
    };
    (
        ProofValidator::new(policy),
        s(&Value::Object(c.clone()), "credential_issuer").to_owned(),
        check,
        c["client_id"].as_str().map(str::to_owned),
        c["anonymous_pre_auth"] == true,
        c["verification_time"].as_u64().unwrap(),
    )
}

fn run_vector(doc: &Value, v: &Value, result: Result<(), ProofError>) -> String {
    let id = s(v, "id");
    let expected = match s(v, "expected") {
        "policy" => policy_verdict(id),
        e => e,
    };
    match (expected, result) {
        ("accept", Ok(())) => format!("{id}: accepted"),
        ("reject", Err(e)) => {
            if let Some(oauth) = v["expected_error"].as_str() {
                assert_eq!(e.oauth_error(), oauth, "{id}: {e}");
            }
            assert_eq!(Some(e.code()), our_code(id), "{id}: {e}");
            let _ = doc;
            format!("{id}: rejected {} / {}", e.oauth_error(), e.code())
        }
        (exp, got) => panic!("{id}: expected {exp}, got {got:?}"),
    }
}

#[test]
fn constructed_proof_vectors() {
    let doc = load_json("constructed_proof_vectors.json");
    let mut n = 0;
    for v in doc["jwt_proof_vectors"].as_array().unwrap() {
        let (validator, aud, nonce, client_id, anonymous, now) = setup(&doc, v);
        let client = match (&client_id, anonymous) {
            (Some(id), _) => ClientIdentity::Known(id),
            (None, true) => ClientIdentity::Anonymous,
            (None, false) => ClientIdentity::Unknown,
        };
        let ctx = ProofContext {
            audience: &aud,
            nonce,
            client,
            now,
        };
        let r = validator.validate(s(v, "jwt"), &ctx).map(|_| ());
        eprintln!("{}", run_vector(&doc, v, r));
        n += 1;
    }
    for v in doc["attestation_proof_vectors"].as_array().unwrap() {
        let (validator, aud, nonce, _, _, now) = setup(&doc, v);
        let ctx = ProofContext {
            audience: &aud,
            nonce,
            client: ClientIdentity::Anonymous,
            now,
        };
        let jwts: Vec<String> = v["proofs"]["attestation"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j.as_str().unwrap().to_owned())
            .collect();
        let r = validator
            .validate_attestation_proofs(&jwts, &ctx)
            .map(|ps| {
                assert!(!ps.holder_keys().is_empty());
            });
        eprintln!("{}", run_vector(&doc, v, r));
        n += 1;
    }
    assert_eq!(n, 50);
}

#[test]
fn constructed_key_attestation_binds_all_attested_keys() {
    let doc = load_json("constructed_proof_vectors.json");
    let v = doc["jwt_proof_vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "valid-jwt-with-key-attestation")
        .unwrap();
    let (validator, aud, nonce, _, _, now) = setup(&doc, v);
    let ctx = ProofContext {
        audience: &aud,
        nonce,
        client: ClientIdentity::Anonymous,
        now,
    };
    let p = validator.validate(s(v, "jwt"), &ctx).unwrap();
    let keys = &doc["keys"];
    assert_eq!(
        p.holder_keys(),
        &[
            PublicKey::from_jwk(&public_only(&keys["es256_rfc7515_A3"])).unwrap(),
            PublicKey::from_jwk(&public_only(&keys["attested_key_2_p256"])).unwrap()
        ]
    );
}

fn public_only(jwk: &Value) -> Map<String, Value> {
    let mut m = obj(jwk).clone();
    m.remove("d");
    m
}

#[test]
fn spec_f1_example_verifies() {
    let doc = load_json("messages/spec/oid4vci_inline_examples.json");
    let jwt = s(&doc["v1_0_final"]["jwt_proof_example_F1"], "jws_compact");
    let claims = oid4vci_proof::jws::parse(jwt).unwrap().payload().clone();
    let iat = claims["iat"].as_u64().unwrap();
    let ctx = ProofContext {
        audience: claims["aud"].as_str().unwrap(),
        nonce: NonceCheck::Equals(claims["nonce"].as_str().unwrap()),
        client: ClientIdentity::Anonymous,
        now: iat + 5,
    };
    let p = ProofValidator::new(ProofPolicy::default())
        .validate(jwt, &ctx)
        .unwrap();
    assert_eq!(p.alg(), Alg::Es256);
    // A minute later with a 30 s window it is too old.
    let strict = ProofValidator::new(ProofPolicy {
        max_iat_age: 30,
        ..ProofPolicy::default()
    });
    assert_eq!(
        strict
            .validate(
                jwt,
                &ProofContext {
                    now: iat + 60,
                    ..ctx
                }
            )
            .unwrap_err()
            .code(),
        "proof_expired"
    );
}

#[test]
fn seed_credential_request_proof_verifies() {
    for file in [
        "messages/seed_credential_request.json",
        "messages/draft13_credential_request.json",
    ] {
        let req = load_json(file);
        let jwt = req["proofs"]["jwt"][0]
            .as_str()
            .or(req["proof"]["jwt"].as_str())
            .unwrap()
            .to_owned();
        let claims = oid4vci_proof::jws::parse(&jwt).unwrap().payload().clone();
        let iat = claims["iat"].as_u64().unwrap();
        let ctx = ProofContext {
            audience: claims["aud"].as_str().unwrap(),
            nonce: NonceCheck::Equals(claims["nonce"].as_str().unwrap()),
            client: ClientIdentity::Anonymous,
            now: iat + 2,
        };
        let validator = ProofValidator::new(ProofPolicy::default());
        let p = validator.validate(&jwt, &ctx).unwrap();
        assert_eq!(p.key_source().as_str(), "jwk");
        // Same proof against another issuer: invalid_audience.
        let other = ProofContext {
            audience: "https://issuer.example",
            ..ctx
        };
        assert_eq!(
            validator.validate(&jwt, &other).unwrap_err().code(),
            "invalid_audience"
        );
        assert_eq!(
            validator
                .validate_jwt_proofs(std::slice::from_ref(&jwt), &ctx)
                .unwrap()
                .holder_keys(),
            vec![&p.holder_keys()[0]]
        );
    }
}
