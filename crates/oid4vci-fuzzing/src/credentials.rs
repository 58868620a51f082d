//! The credential decoders behind the browser proof checker and `oid4vci credential decode`,
//! which read whatever a wallet developer pastes: any text decodes or is refused with a typed
//! error, the report is always a JSON object, and nothing decodes into a credential whose
//! signature verifies under a key that never signed anything.

use oid4vci_mdoc::DecodedMdoc;
use oid4vci_proof::PublicKey;
use oid4vci_sd_jwt::DecodedSdJwt;
use std::sync::OnceLock;

/// A P-256 key made for this process and never used to sign: no input may verify under it.
fn unused_key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let point = key.verifying_key().to_encoded_point(false);
        match PublicKey::p256_from_sec1(point.as_bytes()) {
            Ok(key) => key,
            Err(e) => panic!("a fresh P-256 key: {e}"),
        }
    })
}

/// Any text as an SD-JWT (VC).
pub fn sd_jwt_decode(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let report = oid4vci_sd_jwt::decode::report(&text, None, crate::http::T0);
    assert!(report.is_object(), "the report is an object: {report}");
    let Ok(decoded) = DecodedSdJwt::decode(&text) else {
        return;
    };
    assert!(decoded.to_json().is_object());
    assert!(
        decoded.verify_signature(unused_key()).is_err(),
        "an SD-JWT verified under a key that never signed"
    );
    for disclosure in &decoded.disclosures {
        if let Some(name) = &disclosure.name {
            assert!(
                !["_sd", "_sd_alg", "..."].contains(&name.as_str()),
                "a reserved claim name was disclosed: {name}"
            );
        }
    }
}

/// Any text as a base64url mdoc (`IssuerSigned`).
pub fn mdoc_decode(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let report = oid4vci_mdoc::decode::report(&text, None, crate::http::T0);
    assert!(report.is_object(), "the report is an object: {report}");
    let Ok(decoded) = DecodedMdoc::decode(&text) else {
        return;
    };
    assert!(decoded.to_json().is_object());
    assert!(
        decoded.verify_signature(unused_key()).is_err(),
        "an mdoc verified under a key that never signed"
    );
    let all_digests_valid = decoded
        .namespaces
        .iter()
        .all(|(_, elements)| elements.iter().all(|e| e.digest_valid));
    assert_eq!(
        decoded.verify_digests().is_ok(),
        all_digests_valid,
        "verify_digests agrees with the elements' own verdicts"
    );
}
