//! Decodes what `MdocMinter` issues (with the crate's `DecodedMdoc`) and checks it against
//! ISO/IEC 18013-5: the MSO signature with the issuer key, every digest, the device key,
//! validity.
#![cfg(feature = "minter")]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value as Cbor;
use coset::{CborSerializable, CoseKey};
use oid4vci_issuer::{CredentialMinter, MintOutcome, MintRequest};
use oid4vci_mdoc::{DecodedMdoc, MdocError, MdocLimits, MdocMinter};
use oid4vci_proof::{Alg, PublicKey};
use oid4vci_types::CredentialConfiguration;
use p256::ecdsa::SigningKey;
use serde_json::{json, Value};

const NOW: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const CERT: &[u8] = b"stand-in DER certificate";

fn jwk(key: &SigningKey) -> Value {
    let p = key.verifying_key().to_encoded_point(false);
    json!({"kty": "EC", "crv": "P-256",
        "x": URL_SAFE_NO_PAD.encode(p.x().expect("x")), "y": URL_SAFE_NO_PAD.encode(p.y().expect("y"))})
}

fn get<'a>(map: &'a Cbor, key: &str) -> &'a Cbor {
    map.as_map()
        .expect("map")
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {key}"))
}

fn encode(v: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).expect("encode");
    out
}

/// Checks the mdoc with the crate's decoder (`DecodedMdoc`): the MSO signature with the issuer
/// key, every digest, the x5chain; returns the MSO and the elements by namespace.
fn verify(mdoc: &str, issuer: &SigningKey) -> (Cbor, Vec<(String, String, Cbor)>) {
    let decoded = DecodedMdoc::decode(mdoc).expect("the mdoc decodes");
    assert_eq!(decoded.alg(), Alg::Es256);
    assert_eq!(decoded.x5chain, [CERT.to_vec()], "x5chain unprotected");
    let key = PublicKey::p256_from_sec1(issuer.verifying_key().to_encoded_point(false).as_bytes())
        .expect("issuer key");
    decoded
        .verify_signature(&key)
        .expect("MSO signature verifies with the issuer key");
    decoded.verify_digests().expect("a digest for every item");
    let mut elements = Vec::new();
    for (ns, items) in &decoded.namespaces {
        for item in items {
            assert!(item.random.len() >= 16, "salt of at least 16 bytes");
            elements.push((ns.clone(), item.identifier.clone(), item.value.clone()));
        }
    }
    (decoded.mso, elements)
}

#[test]
fn an_issued_mdoc_verifies_and_binds_the_holder_key() {
    let issuer = SigningKey::random(&mut rand_core::OsRng);
    let holder = SigningKey::random(&mut rand_core::OsRng);
    let minter = MdocMinter::new(issuer.clone(), vec![CERT.to_vec()]).expect("minter");
    let claims = json!({"age_over_18": true, "issuing_country": "DE", "expiry_date": "2027-01-01"});
    let mdoc = pollster::block_on(minter.issue("eu.europa.ec.av.1", &claims, &jwk(&holder), NOW))
        .expect("issued");
    let (mso, elements) = verify(&mdoc, &issuer);
    assert_eq!(get(&mso, "version").as_text(), Some("1.0"));
    assert_eq!(get(&mso, "digestAlgorithm").as_text(), Some("SHA-256"));
    assert_eq!(get(&mso, "docType").as_text(), Some("eu.europa.ec.av.1"));
    let validity = get(&mso, "validityInfo");
    assert_eq!(
        get(validity, "signed"),
        &Cbor::Tag(0, Box::new(Cbor::Text("2026-01-01T00:00:00Z".into())))
    );
    assert_eq!(get(validity, "validFrom"), get(validity, "signed"));
    assert_eq!(
        get(validity, "validUntil"),
        &Cbor::Tag(0, Box::new(Cbor::Text("2027-01-01T00:00:00Z".into())))
    );
    let device_key = get(get(&mso, "deviceKeyInfo"), "deviceKey").clone();
    let device_key = CoseKey::from_slice(&encode(&device_key)).expect("COSE_Key");
    let expected = oid4vci_mdoc::device_key(&jwk(&holder)).expect("key");
    assert_eq!(device_key, expected);
    assert_eq!(
        device_key.kty,
        coset::KeyType::Assigned(coset::iana::KeyType::EC2)
    );
    let mut names: Vec<(String, String)> = elements
        .iter()
        .map(|(n, e, _)| (n.clone(), e.clone()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("eu.europa.ec.av.1".into(), "age_over_18".into()),
            ("eu.europa.ec.av.1".into(), "expiry_date".into()),
            ("eu.europa.ec.av.1".into(), "issuing_country".into())
        ]
    );
    let expiry = elements
        .iter()
        .find(|(_, e, _)| e == "expiry_date")
        .expect("expiry");
    assert_eq!(
        expiry.2,
        Cbor::Tag(1004, Box::new(Cbor::Text("2027-01-01".into())))
    );
    let again = pollster::block_on(minter.issue("eu.europa.ec.av.1", &claims, &jwk(&holder), NOW))
        .expect("issued");
    assert_ne!(mdoc, again, "fresh salts every time");
}

fn request<'a>(
    configuration: &'a CredentialConfiguration,
    claims: &'a Value,
    keys: &'a [Value],
) -> MintRequest<'a> {
    MintRequest {
        issuer: "https://issuer.example.com",
        configuration_id: "mdl",
        configuration,
        claims,
        holder_keys: keys,
        statuses: &[],
        subject_id: None,
        now: NOW,
    }
}

#[test]
fn the_minter_issues_one_mdoc_per_holder_key_in_nested_namespaces() {
    let issuer = SigningKey::random(&mut rand_core::OsRng);
    let minter = MdocMinter::new(issuer.clone(), vec![CERT.to_vec()]).expect("minter");
    let config = CredentialConfiguration::mso_mdoc("org.iso.18013.5.1.mDL");
    let claims = json!({"org.iso.18013.5.1": {"given_name": "Erika"}, "org.example.x": {"n": 7}});
    let keys: Vec<Value> = (0..2)
        .map(|_| jwk(&SigningKey::random(&mut rand_core::OsRng)))
        .collect();
    let outcome = pollster::block_on(minter.mint(request(&config, &claims, &keys))).expect("ok");
    let MintOutcome::Issued(creds) = outcome else {
        panic!("issued")
    };
    assert_eq!(creds.len(), 2);
    for (cred, key) in creds.iter().zip(&keys) {
        let (mso, elements) = verify(cred.as_str().expect("string"), &issuer);
        let device = CoseKey::from_slice(&encode(get(get(&mso, "deviceKeyInfo"), "deviceKey")))
            .expect("key");
        assert_eq!(device, oid4vci_mdoc::device_key(key).expect("key"));
        assert!(elements.contains(&("org.example.x".into(), "n".into(), Cbor::Integer(7.into()))));
        assert!(elements.contains(&(
            "org.iso.18013.5.1".into(),
            "given_name".into(),
            Cbor::Text("Erika".into())
        )));
    }
}

#[test]
fn bad_requests_are_typed_errors() {
    let issuer = SigningKey::random(&mut rand_core::OsRng);
    assert_eq!(
        MdocMinter::new(issuer.clone(), Vec::new()).err(),
        Some(MdocError::NoCertificate)
    );
    let mut minter = MdocMinter::new(issuer, vec![CERT.to_vec()]).expect("minter");
    let holder = jwk(&SigningKey::random(&mut rand_core::OsRng));
    let claims = json!({"age_over_18": true});
    let mdoc_config = CredentialConfiguration::mso_mdoc("eu.europa.ec.av.1");
    let mint = |m: &MdocMinter, c: &CredentialConfiguration, keys: &[Value]| {
        pollster::block_on(m.mint(request(c, &claims, keys)))
            .expect_err("refused")
            .0
    };
    let sd_jwt = CredentialConfiguration::sd_jwt_vc("x");
    assert!(mint(&minter, &sd_jwt, std::slice::from_ref(&holder)).contains("mso_mdoc only"));
    assert!(mint(&minter, &mdoc_config, &[]).contains("needs a holder key"));
    let mut no_doctype = mdoc_config.clone();
    no_doctype.doctype = None;
    assert!(mint(&minter, &no_doctype, std::slice::from_ref(&holder)).contains("no doctype"));
    let ed25519 = json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode([7u8; 32])});
    assert!(matches!(
        pollster::block_on(minter.issue("d", &claims, &ed25519, NOW)),
        Err(MdocError::HolderKey(_))
    ));
    assert!(matches!(
        pollster::block_on(minter.issue("d", &claims, &json!({"kty": "EC"}), NOW)),
        Err(MdocError::HolderKey(_))
    ));
    assert!(matches!(
        pollster::block_on(minter.issue("d", &claims, &holder, u64::MAX)),
        Err(MdocError::Time(_))
    ));
    minter.limits = MdocLimits {
        max_credential_bytes: 200,
        ..MdocLimits::default()
    };
    let big = json!({"portrait": "x".repeat(500)});
    assert!(matches!(
        pollster::block_on(minter.issue("d", &big, &holder, NOW)),
        Err(MdocError::TooLarge {
            what: "the encoded IssuerSigned",
            ..
        })
    ));
    minter.limits.max_item_bytes = 100;
    assert!(matches!(
        pollster::block_on(minter.issue("d", &big, &holder, NOW)),
        Err(MdocError::TooLarge {
            what: "an encoded IssuerSignedItem",
            ..
        })
    ));
}

/// Issue #20 finding 11: identifiers a verifier could not show or match (empty, control or
/// bidirectional-formatting characters) and claims over the limits are refused when the
/// operator hands them in (`check_claims`), not only when a wallet asks for the credential.
#[test]
fn unusable_claims_are_refused_when_they_arrive() {
    let minter = MdocMinter::new(
        SigningKey::random(&mut rand_core::OsRng),
        vec![CERT.to_vec()],
    )
    .expect("minter");
    let config = CredentialConfiguration::mso_mdoc("eu.europa.ec.av.1");
    let check = |claims: Value| minter.check_claims("av", &config, &claims);
    assert!(check(json!({"age_over_18": true})).is_ok());
    for bad in [
        json!({"": true}),
        json!({" ": true}),
        json!({"age\u{0}over": true}),
        json!({"age_\u{202e}81_revo": true}),
        json!({"ns\u{2066}": {"age_over_18": true}}),
        json!({"age_over_18": "x".repeat(2_000_000)}),
        json!("not an object"),
    ] {
        let shown: String = bad.to_string().chars().take(80).collect();
        assert!(check(bad).is_err(), "{shown}");
    }
    // Other formats are not the mdoc minter's to judge.
    let sd_jwt = CredentialConfiguration::sd_jwt_vc("x");
    assert!(minter.check_claims("x", &sd_jwt, &json!({"": 1})).is_ok());
}
