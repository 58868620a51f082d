//! `DecodedSdJwt`: what `SdJwtVcMinter` issues decodes, every disclosure matched to its digest,
//! and its issuer signature verifies against the issuer's certificate or the CA that issued it;
//! nested and array disclosures and a Key Binding JWT (built here, as a wallet would) decode
//! too; another certificate, a tampered signature and a tampered disclosure are typed errors.
#![cfg(feature = "minter")]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_issuer::MintRequest;
use oid4vci_issuer_testkit::WalletProvider;
use oid4vci_proof::crypto::{sha256, SigningKey};
use oid4vci_proof::issuer_signature::{CertificateMatch, IssuerSignatureError, VerifiedWith};
use oid4vci_proof::{Alg, SignatureError};
use oid4vci_sd_jwt::decode::report;
use oid4vci_sd_jwt::{DecodeError, DecodedSdJwt, SdJwtLimits, SdJwtVcMinter};
use oid4vci_types::CredentialConfiguration;
use serde_json::{json, Value};

const NOW: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const ISSUER: &str = "https://issuer.example.com";

/// A CA and an issuer certificate it issued (the test kit's two-level PKI).
fn new_pki(name: &str) -> WalletProvider {
    WalletProvider::new(name)
}

fn mint(minter: &SdJwtVcMinter, claims: &Value, holder: Option<&Value>) -> String {
    let configuration = CredentialConfiguration::sd_jwt_vc("urn:eudi:pid:1");
    let request = MintRequest {
        issuer: ISSUER,
        configuration_id: "pid",
        configuration: &configuration,
        claims,
        holder_keys: &[],
        statuses: &[],
        subject_id: None,
        now: NOW,
    };
    pollster::block_on(minter.issue(&request, holder, None)).expect("issued")
}

fn minter(pki: &WalletProvider) -> SdJwtVcMinter {
    SdJwtVcMinter::new(pki.signer.signing_key().clone(), "issuer-key")
        .with_x5c(vec![pki.leaf_der.clone()])
}

#[test]
fn a_minted_sd_jwt_vc_decodes_and_verifies_against_its_certificates() {
    let pki = new_pki("Test");
    let holder = Value::Object(
        SigningKey::generate(Alg::Es256)
            .expect("holder")
            .public_jwk(),
    );
    let claims = json!({"given_name": "Erika", "age": 40, "address": {"locality": "Berlin"}});
    let credential = mint(&minter(&pki), &claims, Some(&holder));
    let decoded = DecodedSdJwt::decode(&credential).expect("decodes");
    assert_eq!(decoded.header["typ"], "dc+sd-jwt");
    assert_eq!(decoded.alg(), Alg::Es256);
    assert_eq!(decoded.x5c, std::slice::from_ref(&pki.leaf_der));
    assert_eq!(decoded.payload["iss"], ISSUER);
    assert_eq!(decoded.payload["_sd"].as_array().map(Vec::len), Some(3));
    assert_eq!(decoded.claims["given_name"], "Erika");
    assert_eq!(decoded.claims["address"], json!({"locality": "Berlin"}));
    assert_eq!(decoded.claims["cnf"]["jwk"], holder);
    assert!(!decoded.claims.contains_key("_sd") && !decoded.claims.contains_key("_sd_alg"));
    assert_eq!(decoded.disclosures.len(), 3);
    let digests = decoded.payload["_sd"].as_array().expect("_sd");
    for d in &decoded.disclosures {
        assert!(
            digests.contains(&json!(d.digest)),
            "{} listed in _sd",
            d.digest
        );
        assert_eq!(d.digest_at, "");
        let name = d.name.as_deref().expect("an object property");
        assert_eq!(d.path, format!("/{name}"));
        assert_eq!(d.value, claims[name]);
        assert_eq!(URL_SAFE_NO_PAD.decode(&d.salt).map(|s| s.len()), Ok(16));
    }
    assert!(decoded.key_binding.is_none());
    decoded
        .verify_signature(pki.signer.signing_key().public_key())
        .expect("signed by the issuer key");
    let stranger = SigningKey::generate(Alg::Es256).expect("key");
    assert_eq!(
        decoded.verify_signature(stranger.public_key()),
        Err(DecodeError::Signature(SignatureError::Mismatch))
    );

    let by_leaf = decoded.verify_with_certificate(Some(&pki.leaf_der), NOW);
    assert_eq!(by_leaf.result, Ok(VerifiedWith::Certificate));
    assert_eq!(
        by_leaf.certificate_match,
        Some(CertificateMatch::SameCertificate)
    );
    let by_root = decoded.verify_with_certificate(Some(&pki.root_der), NOW);
    assert_eq!(by_root.result, Ok(VerifiedWith::ChainToCertificate));
    let other = new_pki("Other");
    let refused = decoded.verify_with_certificate(Some(&other.leaf_der), NOW);
    assert!(matches!(
        refused.result,
        Err(IssuerSignatureError::NotByCertificate { .. })
    ));
    assert_eq!(
        refused.result.as_ref().map_err(|e| e.code()),
        Err("not_signed_by_certificate")
    );

    let report = report(&credential, Some(&pki.leaf_der), NOW);
    assert_eq!(report["valid"], true);
    assert_eq!(report["format"], "dc+sd-jwt");
    assert_eq!(report["signature"]["certificate_match"], "same_certificate");
    assert_eq!(report["claims"]["age"], 40);
    assert_eq!(report["disclosures"].as_array().map(Vec::len), Some(3));
    let untrusted = oid4vci_sd_jwt::decode::report(&credential, None, NOW);
    assert_eq!(untrusted["valid"], false, "no certificate, no trust");
    assert_eq!(
        untrusted["signature"]["verified_with"],
        "credential_certificate"
    );
}

#[test]
fn a_tampered_signature_or_disclosure_is_a_typed_error() {
    let pki = new_pki("Test");
    let credential = mint(&minter(&pki), &json!({"given_name": "Erika"}), None);
    let (jwt, rest) = credential.split_once('~').expect("disclosures");

    let mut bad_sig = jwt.as_bytes().to_vec();
    if let Some(last) = bad_sig.last_mut() {
        *last = if *last == b'A' { b'Q' } else { b'A' };
    }
    let bad_sig = format!("{}~{rest}", String::from_utf8(bad_sig).expect("ascii"));
    let decoded = DecodedSdJwt::decode(&bad_sig).expect("still decodes");
    assert_eq!(
        decoded
            .verify_with_certificate(Some(&pki.leaf_der), NOW)
            .result,
        Err(IssuerSignatureError::Signature(SignatureError::Mismatch))
    );
    assert_eq!(
        report(&bad_sig, Some(&pki.root_der), NOW)["signature"]["error"],
        "invalid_signature"
    );

    // Same salt and name, another value: its digest is in no _sd.
    let original = DecodedSdJwt::decode(&credential).expect("decodes");
    let d = &original.disclosures[0];
    let forged = URL_SAFE_NO_PAD.encode(json!([d.salt, "given_name", "Mallory"]).to_string());
    let tampered = format!("{jwt}~{forged}~");
    let err = DecodedSdJwt::decode(&tampered).expect_err("refused");
    assert!(
        matches!(err, DecodeError::UnreferencedDisclosure { index: 0, .. }),
        "{err}"
    );
    assert_eq!(err.code(), "disclosure_not_referenced");
    let report = report(&tampered, Some(&pki.leaf_der), NOW);
    assert_eq!(report["valid"], false);
    assert_eq!(report["error"], "disclosure_not_referenced");

    // The same disclosure twice.
    let twice = format!("{jwt}~{}~{}~", d.encoded, d.encoded);
    assert!(matches!(
        DecodedSdJwt::decode(&twice),
        Err(DecodeError::DuplicateDigest(_))
    ));
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn disclose(value: Value) -> (String, String) {
    let encoded = b64(&value);
    let digest = URL_SAFE_NO_PAD.encode(sha256(encoded.as_bytes()));
    (encoded, digest)
}

fn sign(key: &SigningKey, header: &Value, payload: &Value) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let signature = key.sign(input.as_bytes()).expect("sign");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// RFC 9901 §4.2: a nested object with its own `_sd`, array elements, a disclosure inside a
/// disclosure, a decoy digest; EdDSA; and a Key Binding JWT by the holder.
#[test]
fn nested_and_array_disclosures_and_a_key_binding_jwt_decode() {
    let issuer = SigningKey::generate(Alg::EdDsa).expect("Ed25519");
    let holder = SigningKey::generate(Alg::Es256).expect("P-256");
    let (street, street_digest) = disclose(json!(["s1", "street", "Heidestraße 17"]));
    let (address, address_digest) =
        disclose(json!(["s2", "address", {"_sd": [street_digest], "country": "DE"}]));
    let (fr, fr_digest) = disclose(json!(["s3", "FR"]));
    let decoy = URL_SAFE_NO_PAD.encode(sha256(b"decoy"));
    let payload = json!({
        "iss": ISSUER, "vct": "urn:x", "_sd_alg": "sha-256",
        "cnf": {"jwk": holder.public_jwk()},
        "_sd": [address_digest, decoy],
        "nationalities": [{"...": fr_digest}, "DE", {"...": URL_SAFE_NO_PAD.encode(sha256(b"x"))}],
    });
    let jwt = sign(
        &issuer,
        &json!({"alg": "EdDSA", "typ": "dc+sd-jwt"}),
        &payload,
    );
    let presented = format!("{jwt}~{fr}~{address}~{street}~");
    let sd_hash = URL_SAFE_NO_PAD.encode(sha256(presented.as_bytes()));
    let kb = sign(
        &holder,
        &json!({"alg": "ES256", "typ": "kb+jwt"}),
        &json!({"iat": NOW, "aud": "https://verifier.example", "nonce": "n", "sd_hash": sd_hash}),
    );
    let decoded = DecodedSdJwt::decode(&format!("{presented}{kb}")).expect("decodes");
    decoded
        .verify_signature(issuer.public_key())
        .expect("EdDSA issuer signature");
    assert_eq!(
        decoded.claims["address"],
        json!({"country": "DE", "street": "Heidestraße 17"})
    );
    assert_eq!(decoded.claims["nationalities"], json!(["FR", "DE"]));
    let at: Vec<(&str, &str)> = decoded
        .disclosures
        .iter()
        .map(|d| (d.digest_at.as_str(), d.path.as_str()))
        .collect();
    assert_eq!(
        at,
        [
            ("/nationalities/0", "/nationalities/0"),
            ("", "/address"),
            ("/address", "/address/street")
        ]
    );
    assert_eq!(decoded.disclosures[0].name, None);
    let kb = decoded.key_binding.as_ref().expect("a KB-JWT");
    assert!(kb.sd_hash_matches);
    assert_eq!(kb.signature, Ok(()));
    assert_eq!(kb.payload["aud"], "https://verifier.example");
    let json = decoded.to_json();
    assert_eq!(json["key_binding_jwt"]["signature_valid"], true);
    assert_eq!(json["disclosures"][0]["value"], "FR");
    assert!(json["disclosures"][0].get("name").is_none());

    // A KB-JWT for another presentation: sd_hash does not match.
    let other = format!("{jwt}~{fr}~{}", key_binding_for(&presented));
    let decoded = DecodedSdJwt::decode(&other).expect("decodes");
    let kb = decoded.key_binding.expect("kb");
    assert!(!kb.sd_hash_matches);
    assert!(kb.signature.is_err(), "not signed by cnf.jwk");
}

/// A KB-JWT for `presented`, signed by a fresh key (not the holder's).
fn key_binding_for(presented: &str) -> String {
    let key = SigningKey::generate(Alg::Es256).expect("key");
    let sd_hash = URL_SAFE_NO_PAD.encode(sha256(presented.as_bytes()));
    sign(
        &key,
        &json!({"alg": "ES256", "typ": "kb+jwt"}),
        &json!({"iat": NOW, "sd_hash": sd_hash}),
    )
}

#[test]
fn malformed_and_oversized_input_is_refused() {
    let key = SigningKey::generate(Alg::Es256).expect("key");
    assert_eq!(DecodedSdJwt::decode(" ").err(), Some(DecodeError::Empty));
    assert!(matches!(
        DecodedSdJwt::decode("a.b~"),
        Err(DecodeError::Jwt(_))
    ));
    let none = sign(&key, &json!({"alg": "none"}), &json!({}));
    assert!(matches!(
        DecodedSdJwt::decode(&format!("{none}~")),
        Err(DecodeError::UnsupportedAlg(_))
    ));
    let sha512 = sign(
        &key,
        &json!({"alg": "ES256"}),
        &json!({"_sd_alg": "sha-512"}),
    );
    assert!(matches!(
        DecodedSdJwt::decode(&format!("{sha512}~")),
        Err(DecodeError::UnsupportedSdAlg(_))
    ));
    let dup_header = format!(
        "{}.{}.AA~",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","alg":"EdDSA"}"#),
        b64(&json!({}))
    );
    assert!(matches!(
        DecodedSdJwt::decode(&dup_header),
        Err(DecodeError::Jwt(_))
    ));
    let (d, digest) = disclose(json!(["s", "_sd", 1]));
    let reserved = sign(&key, &json!({"alg": "ES256"}), &json!({"_sd": [digest]}));
    assert!(matches!(
        DecodedSdJwt::decode(&format!("{reserved}~{d}~")),
        Err(DecodeError::Misplaced { index: 0, .. })
    ));
    let plain = sign(&key, &json!({"alg": "ES256"}), &json!({}));
    let many = format!("{plain}~{}", "e30~".repeat(5));
    let limits = SdJwtLimits {
        max_disclosures: 4,
        ..SdJwtLimits::default()
    };
    assert!(matches!(
        DecodedSdJwt::decode_with(&many, &limits),
        Err(DecodeError::TooLarge { found: 5, .. })
    ));
    assert!(matches!(
        DecodedSdJwt::decode(&"x".repeat(300 * 1024)),
        Err(DecodeError::TooLarge { .. })
    ));
}
