//! Operator claims into the minters: whatever `check_claims` accepts at offer creation must
//! mint at the credential request (the promise that a credential refused there is refused
//! with a reason up front, never at the wallet's request), and what is minted must decode
//! again, signed by the minter's key, with the operator's claims in it.

use oid4vci_issuer::{CredentialMinter, MintOutcome, MintRequest};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_mdoc::{DecodedMdoc, MdocMinter};
use oid4vci_proof::PublicKey;
use oid4vci_sd_jwt::{DecodedSdJwt, SdJwtVcMinter};
use oid4vci_types::CredentialConfiguration;
use serde_json::Value;
use std::sync::OnceLock;

const DOCTYPE: &str = "org.iso.18013.5.1.mDL";

struct Minters {
    sd_jwt: SdJwtVcMinter,
    mdoc: MdocMinter,
    mdoc_key: PublicKey,
    holder: Value,
}

fn minters() -> &'static Minters {
    static MINTERS: OnceLock<Minters> = OnceLock::new();
    MINTERS.get_or_init(|| {
        let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let point = key.verifying_key().to_encoded_point(false);
        let mdoc_key = match PublicKey::p256_from_sec1(point.as_bytes()) {
            Ok(k) => k,
            Err(e) => panic!("mdoc key: {e}"),
        };
        let mdoc = match MdocMinter::new(key, vec![b"stand-in DER certificate".to_vec()]) {
            Ok(m) => m,
            Err(e) => panic!("mdoc minter: {e}"),
        };
        Minters {
            sd_jwt: SdJwtVcMinter::generate(),
            mdoc,
            mdoc_key,
            holder: TestWallet::new().public_jwk(),
        }
    })
}

/// The claims in `data` and the credentials minted from them, when `check_claims` accepts them
/// (minting must then succeed).
fn check_then_mint<M: CredentialMinter>(
    minter: &M,
    id: &str,
    configuration: &CredentialConfiguration,
    data: &[u8],
) -> Option<(Value, Vec<String>)> {
    let claims = serde_json::from_slice::<Value>(data).ok()?;
    minter.check_claims(id, configuration, &claims).ok()?;
    let holder_keys = [minters().holder.clone()];
    let request = MintRequest {
        issuer: crate::http::ISSUER,
        configuration_id: id,
        configuration,
        claims: &claims,
        holder_keys: &holder_keys,
        statuses: &[],
        subject_id: None,
        now: crate::http::T0,
    };
    let minted = match pollster_block(minter.mint(request)) {
        Ok(MintOutcome::Issued(credentials)) => credentials,
        Ok(MintOutcome::Pending) => return None,
        Err(e) => panic!("claims accepted at offer creation failed to mint: {e}"),
    };
    let credentials = minted
        .iter()
        .map(|c| match c.as_str() {
            Some(text) => text.to_owned(),
            None => panic!("a credential that is not a string: {c}"),
        })
        .collect();
    Some((claims, credentials))
}

fn pollster_block<F: std::future::Future>(future: F) -> F::Output {
    match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime.block_on(future),
        Err(e) => panic!("runtime: {e}"),
    }
}

/// Operator claims into the SD-JWT VC minter; the credential decodes with every claim as given.
pub fn sd_jwt_claims(data: &[u8]) {
    let configuration = CredentialConfiguration::sd_jwt_vc(crate::http::CONFIG);
    let minter = &minters().sd_jwt;
    let Some((claims, credentials)) =
        check_then_mint(minter, crate::http::CONFIG, &configuration, data)
    else {
        return;
    };
    for credential in credentials {
        let decoded = match DecodedSdJwt::decode(&credential) {
            Ok(decoded) => decoded,
            Err(e) => panic!("a minted SD-JWT VC does not decode: {e}"),
        };
        assert!(decoded.verify_signature(minter.public_key()).is_ok());
        for (name, value) in claims.as_object().into_iter().flatten() {
            assert_eq!(
                decoded.claims.get(name),
                Some(value),
                "claim {name} comes back as given"
            );
        }
    }
}

/// Operator claims into the mdoc minter (CBOR data elements per namespace); the credential
/// decodes, its digests and signature verify, and every element given is in it.
pub fn mdoc_claims(data: &[u8]) {
    let configuration = CredentialConfiguration::mso_mdoc(DOCTYPE);
    let Some((claims, credentials)) =
        check_then_mint(&minters().mdoc, DOCTYPE, &configuration, data)
    else {
        return;
    };
    for credential in credentials {
        let decoded = match DecodedMdoc::decode(&credential) {
            Ok(decoded) => decoded,
            Err(e) => panic!("a minted mdoc does not decode: {e}"),
        };
        assert_eq!(decoded.doc_type, DOCTYPE);
        assert!(decoded.verify_digests().is_ok());
        assert!(decoded.verify_signature(&minters().mdoc_key).is_ok());
        for (namespace, identifier) in given_elements(&claims) {
            assert!(
                decoded.element(&namespace, &identifier).is_some(),
                "element {namespace}/{identifier} is in the mdoc"
            );
        }
    }
}

/// The `(namespace, identifier)` of every data element in operator claims, by the documented
/// convention: an object whose values are all objects is `{namespace: {element: value}}`, any
/// other object is flat, in the doctype's namespace.
fn given_elements(claims: &Value) -> Vec<(String, String)> {
    let Some(object) = claims.as_object() else {
        return Vec::new();
    };
    let nested = !object.is_empty() && object.values().all(Value::is_object);
    if !nested {
        return object.keys().map(|k| (DOCTYPE.into(), k.clone())).collect();
    }
    object
        .iter()
        .flat_map(|(ns, elements)| {
            let names = elements.as_object().into_iter().flat_map(|m| m.keys());
            names.map(move |k| (ns.clone(), k.clone()))
        })
        .collect()
}

/// Credentials minted from sample claims, seeds of the decoder targets: SD-JWT VCs (nested and
/// array claims; one with a key-binding JWT appended) and mdocs (one namespace given flat, two
/// given nested).
pub fn minted_samples() -> (Vec<String>, Vec<String>) {
    let sd_jwt_claims = serde_json::json!({"given_name": "Erika",
        "address": {"street_address": "Heidestr. 17", "locality": "Köln"},
        "nationalities": ["DE", "FR"], "age_over_18": true});
    let sd_jwt = CredentialConfiguration::sd_jwt_vc(crate::http::CONFIG);
    let mut sd_jwts = Vec::new();
    if let Some((_, minted)) = check_then_mint(
        &minters().sd_jwt,
        crate::http::CONFIG,
        &sd_jwt,
        sd_jwt_claims.to_string().as_bytes(),
    ) {
        for credential in minted {
            let kb = TestWallet::new().sign(
                &serde_json::json!({"typ": "kb+jwt", "alg": "ES256"}),
                &serde_json::json!({"iat": crate::http::T0, "aud": crate::http::ISSUER,
                    "nonce": "n", "sd_hash": "not-the-hash"}),
            );
            sd_jwts.push(format!("{credential}{kb}"));
            sd_jwts.push(credential);
        }
    }
    let mdoc = CredentialConfiguration::mso_mdoc(DOCTYPE);
    let mut mdocs = Vec::new();
    for claims in [
        serde_json::json!({"family_name": "Mustermann", "age_over_18": true, "portrait": [1, 2]}),
        serde_json::json!({"org.iso.18013.5.1": {"given_name": "Erika"},
            "org.iso.18013.5.1.aamva": {"DHS_compliance": "F"}}),
    ] {
        if let Some((_, minted)) = check_then_mint(
            &minters().mdoc,
            DOCTYPE,
            &mdoc,
            claims.to_string().as_bytes(),
        ) {
            mdocs.extend(minted);
        }
    }
    (sd_jwts, mdocs)
}
