//! `DecodedMdoc`: what `MdocMinter` issues decodes, its digests match, and its issuer signature
//! verifies against the document-signer certificate or the IACA root that issued it; another
//! certificate, a tampered signature and a tampered element are typed errors.
#![cfg(feature = "minter")]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value as Cbor;
use oid4vci_issuer_testkit::WalletProvider;
use oid4vci_mdoc::decode::{cbor_to_json, report};
use oid4vci_mdoc::{DecodeError, DecodedMdoc, MdocMinter};
use oid4vci_proof::issuer_signature::{CertificateMatch, IssuerSignatureError, VerifiedWith};
use oid4vci_proof::SignatureError;
use serde_json::{json, Value};

const NOW: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const AV: &str = "eu.europa.ec.av.1";

/// An IACA-style root and a document signer it issued (the test kit's two-level PKI).
fn new_pki(name: &str) -> WalletProvider {
    WalletProvider::new(name)
}

fn holder() -> (p256::ecdsa::SigningKey, Value) {
    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let p = key.verifying_key().to_encoded_point(false);
    let b64 = |b: Option<&p256::FieldBytes>| URL_SAFE_NO_PAD.encode(b.expect("coordinate"));
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(p.x()), "y": b64(p.y())});
    (key, jwk)
}

fn mint(pki: &WalletProvider, claims: &Value, holder: &Value) -> String {
    let raw = pki.signer.signing_key().to_raw().expect("raw key");
    let key = p256::ecdsa::SigningKey::from_slice(&raw).expect("the leaf key");
    let minter = MdocMinter::new(key, vec![pki.leaf_der.clone()]).expect("minter");
    pollster::block_on(minter.issue(AV, claims, holder, NOW)).expect("issued")
}

#[test]
fn a_minted_mdoc_decodes_and_verifies_against_its_certificates() {
    let pki = new_pki("Test");
    let (_, holder) = holder();
    let claims = json!({"age_over_18": true, "issuing_country": "DE", "expiry_date": "2027-01-01"});
    let mdoc = mint(&pki, &claims, &holder);
    let decoded = DecodedMdoc::decode(&mdoc).expect("decodes");
    assert_eq!(decoded.doc_type, AV);
    assert_eq!(decoded.digest_algorithm, "SHA-256");
    assert_eq!(decoded.x5chain, std::slice::from_ref(&pki.leaf_der));
    assert_eq!(
        decoded
            .device_key
            .as_ref()
            .map(|k| Value::Object(k.to_jwk())),
        Some(holder.clone()),
        "the device key is the holder's"
    );
    assert_eq!(decoded.namespaces.len(), 1);
    let age = decoded.element(AV, "age_over_18").expect("age_over_18");
    assert_eq!(age.value, Cbor::Bool(true));
    assert!(age.digest_valid && age.random.len() == 32);
    assert_eq!(
        decoded.element(AV, "expiry_date").map(|e| &e.value),
        Some(&Cbor::Tag(1004, Box::new(Cbor::Text("2027-01-01".into()))))
    );
    decoded.verify_digests().expect("every digest matches");
    let validity = decoded.mso_field("validityInfo").expect("validityInfo");
    assert_eq!(
        cbor_to_json(validity)["validFrom"],
        json!({"tag": 0, "value": "2026-01-01T00:00:00Z"})
    );

    // The document signer itself, or the IACA root that issued it.
    let by_leaf = decoded.verify_with_certificate(Some(&pki.leaf_der), NOW);
    assert_eq!(by_leaf.result, Ok(VerifiedWith::Certificate));
    assert_eq!(
        by_leaf.certificate_match,
        Some(CertificateMatch::SameCertificate)
    );
    let by_root = decoded.verify_with_certificate(Some(&pki.root_der), NOW);
    assert_eq!(by_root.result, Ok(VerifiedWith::ChainToCertificate));
    assert_eq!(
        by_root.certificate_match,
        Some(CertificateMatch::IssuedByCertificate)
    );
    assert!(by_root.certificate.expect("info").subject.contains("Test"));
    // Without a certificate: the x5chain leaf, and the report says it is not a trust decision.
    let own = decoded.verify_with_certificate(None, NOW);
    assert_eq!(own.result, Ok(VerifiedWith::CredentialCertificate));

    let other = new_pki("Other");
    for cert in [&other.leaf_der, &other.root_der] {
        let verdict = decoded.verify_with_certificate(Some(cert), NOW);
        assert!(
            matches!(
                verdict.result,
                Err(IssuerSignatureError::NotByCertificate { .. })
            ),
            "{:?}",
            verdict.result
        );
        assert!(matches!(
            verdict.certificate_match,
            Some(CertificateMatch::Unrelated(_))
        ));
    }

    let report = report(&mdoc, Some(&pki.root_der), NOW);
    assert_eq!(report["valid"], true);
    assert_eq!(report["signature"]["verified_with"], "chain_to_certificate");
    assert_eq!(report["namespaces"][AV].as_array().map(Vec::len), Some(3));
    assert_eq!(report["mso"]["docType"], AV);
    assert_eq!(report["device_key"], holder);
    let refused = report_with(&mdoc, &other.leaf_der);
    assert_eq!(refused["valid"], false);
    assert_eq!(refused["signature"]["error"], "not_signed_by_certificate");
}

fn report_with(mdoc: &str, cert: &[u8]) -> Value {
    report(mdoc, Some(cert), NOW)
}

/// Re-encodes the `IssuerSigned` after `change` edits it.
fn tampered(mdoc: &str, change: impl FnOnce(&mut Vec<(Cbor, Cbor)>)) -> String {
    let bytes = URL_SAFE_NO_PAD.decode(mdoc).expect("b64");
    let mut value: Cbor = ciborium::from_reader(bytes.as_slice()).expect("cbor");
    let Cbor::Map(map) = &mut value else {
        panic!("a map")
    };
    change(map);
    let mut out = Vec::new();
    ciborium::into_writer(&value, &mut out).expect("encode");
    URL_SAFE_NO_PAD.encode(out)
}

fn field<'a>(map: &'a mut [(Cbor, Cbor)], name: &str) -> &'a mut Cbor {
    map.iter_mut()
        .find(|(k, _)| k.as_text() == Some(name))
        .map(|(_, v)| v)
        .expect("field")
}

#[test]
fn a_tampered_signature_or_element_is_a_typed_error() {
    let pki = new_pki("Test");
    let (_, holder) = holder();
    let mdoc = mint(&pki, &json!({"age_over_18": false}), &holder);

    let bad_signature = tampered(&mdoc, |map| {
        if let Cbor::Array(auth) = field(map, "issuerAuth") {
            if let Some(Cbor::Bytes(sig)) = auth.get_mut(3) {
                sig[10] ^= 1;
            }
        }
    });
    let decoded = DecodedMdoc::decode(&bad_signature).expect("still decodes");
    let verdict = decoded.verify_with_certificate(Some(&pki.leaf_der), NOW);
    assert_eq!(
        verdict.result,
        Err(IssuerSignatureError::Signature(SignatureError::Mismatch))
    );
    assert_eq!(
        report_with(&bad_signature, &pki.root_der)["signature"]["error"],
        "invalid_signature"
    );

    // The element says true; its digest (signed in the MSO) was computed for false.
    let bad_element = tampered(&mdoc, |map| {
        let Cbor::Map(namespaces) = field(map, "nameSpaces") else {
            panic!("nameSpaces")
        };
        let Some((_, Cbor::Array(items))) = namespaces.first_mut() else {
            panic!("items")
        };
        let Some(Cbor::Tag(24, inner)) = items.first_mut() else {
            panic!("tag 24")
        };
        let Cbor::Bytes(b) = inner.as_mut() else {
            panic!("bytes")
        };
        let mut item: Cbor = ciborium::from_reader(b.as_slice()).expect("item");
        let Cbor::Map(entries) = &mut item else {
            panic!("item map")
        };
        *field(entries, "elementValue") = Cbor::Bool(true);
        b.clear();
        ciborium::into_writer(&item, &mut *b).expect("encode");
    });
    let decoded = DecodedMdoc::decode(&bad_element).expect("still decodes");
    assert_eq!(
        decoded.verify_digests(),
        Err(DecodeError::DigestMismatch {
            namespace: AV.into(),
            element: "age_over_18".into(),
            digest_id: decoded.namespaces[0].1[0].digest_id,
        })
    );
    assert!(decoded
        .verify_with_certificate(Some(&pki.leaf_der), NOW)
        .is_valid());
    let report = report_with(&bad_element, &pki.leaf_der);
    assert_eq!(report["valid"], false);
    assert_eq!(report["digests_valid"], false);
    assert_eq!(report["namespaces"][AV][0]["digest_valid"], false);
}

#[test]
fn malformed_and_oversized_input_is_refused() {
    assert_eq!(DecodedMdoc::decode("  ").err(), Some(DecodeError::Empty));
    assert_eq!(
        DecodedMdoc::decode("*not base64*").err(),
        Some(DecodeError::Base64)
    );
    let not_issuer_signed = URL_SAFE_NO_PAD.encode([0xa0]); // {}
    assert!(matches!(
        DecodedMdoc::decode(&not_issuer_signed),
        Err(DecodeError::Malformed(_))
    ));
    let huge = "A".repeat(400 * 1024);
    assert!(matches!(
        DecodedMdoc::decode(&huge),
        Err(DecodeError::TooLarge { .. })
    ));
    assert_eq!(report("", None, NOW)["error"], "malformed");
}
