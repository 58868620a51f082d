//! What the modules check in an issued credential: the SD-JWT VC's issuer signature by its x5c
//! leaf, `iss`, `vct`, `cnf`, `exp`/`status` and disclosures (RFC 9901, SD-JWT VC, HAIP §6.1);
//! the mdoc's MSO signature by its x5chain leaf, digests, `docType` and device key (ISO/IEC
//! 18013-5). Decoding and signatures are the crates' (`DecodedSdJwt`, `DecodedMdoc`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value as Cbor;
use oid4vci_mdoc::DecodedMdoc;
use oid4vci_proof::issuer_signature::IssuerSignature;
use oid4vci_sd_jwt::DecodedSdJwt;
use serde_json::Value;

/// What a batch check compares across credentials.
#[derive(Debug, Default)]
pub struct Facts {
    /// The holder key's `x` coordinate (base64url).
    pub holder_x: String,
    /// Disclosure salts (SD-JWT) or digest-id random values (mdoc).
    pub salts: Vec<String>,
    /// `status.status_list` `(uri, idx)`, if any.
    pub status: Option<(String, u64)>,
    /// Time claims: `iat`/`exp` (SD-JWT) or `signed`/`validFrom`/`validUntil` (mdoc, text).
    pub times: Vec<String>,
    /// The claims, to compare datasets.
    pub dataset: Value,
}

/// The issuer signature by the credential's own leaf (`x5c[0]`, `x5chain[0]`), which must not
/// be self-signed (HAIP: no trust anchor in the chain).
fn by_leaf(signature: &IssuerSignature) -> Result<(), String> {
    match &signature.credential_certificate {
        None => return Err("no x5c/x5chain (HAIP §6.1.1)".into()),
        Some(Err(e)) => return Err(e.clone()),
        Some(Ok(leaf)) if leaf.self_signed => {
            return Err(
                "the issuer's certificate is self-signed (HAIP: no trust anchor in x5c)".into(),
            )
        }
        Some(Ok(_)) => {}
    }
    match &signature.result {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Checks an SD-JWT VC issued to `holder` (a public JWK) by `issuer`.
pub fn sd_jwt(credential: &str, issuer: &str, holder: &Value) -> Result<Facts, String> {
    let decoded = DecodedSdJwt::decode(credential).map_err(|e| e.to_string())?;
    let (header, payload) = (&decoded.header, &decoded.payload);
    if header["typ"] != "dc+sd-jwt" || header["alg"] != "ES256" {
        return Err(format!("header typ/alg: {header:?}"));
    }
    by_leaf(&decoded.verify_with_certificate(None, 0))?;
    if payload["iss"] != issuer {
        return Err(format!("iss {} is not {issuer}", payload["iss"]));
    }
    if !payload["vct"].is_string() {
        return Err("no vct".into());
    }
    if payload.get("exp").is_none() && payload.get("status").is_none() {
        return Err("neither exp nor status (HAIP §6.1)".into());
    }
    let cnf = &payload["cnf"]["jwk"];
    if cnf["x"] != holder["x"] || cnf["y"] != holder["y"] {
        return Err("cnf.jwk is not the proof's key".into());
    }
    let mut facts = Facts {
        holder_x: cnf["x"].as_str().unwrap_or_default().to_owned(),
        times: vec![payload["iat"].to_string(), payload["exp"].to_string()],
        ..Facts::default()
    };
    if let Some(list) = payload["status"]["status_list"].as_object() {
        let uri = list.get("uri").and_then(Value::as_str).unwrap_or_default();
        let idx = list
            .get("idx")
            .and_then(Value::as_u64)
            .ok_or("status idx")?;
        facts.status = Some((uri.to_owned(), idx));
    }
    let mut dataset = serde_json::Map::new();
    for d in &decoded.disclosures {
        facts.salts.push(d.salt.clone());
        if let Some(name) = &d.name {
            dataset.insert(name.clone(), d.value.clone());
        }
    }
    facts.dataset = Value::Object(dataset);
    Ok(facts)
}

fn get<'v>(map: &'v Cbor, key: &str) -> Option<&'v Cbor> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

/// Checks an mdoc (`IssuerSigned`, base64url) of `doctype` issued to `holder`.
pub fn mdoc(credential: &str, doctype: &str, holder: &Value) -> Result<Facts, String> {
    let decoded = DecodedMdoc::decode(credential).map_err(|e| e.to_string())?;
    by_leaf(&decoded.verify_with_certificate(None, 0))?;
    decoded.verify_digests().map_err(|e| e.to_string())?;
    if decoded.doc_type != doctype {
        return Err(format!("docType is not {doctype}"));
    }
    let device = decoded
        .device_key
        .as_ref()
        .ok_or("no P-256 deviceKey")?
        .to_jwk();
    if holder["x"] != device["x"] || holder["y"] != device["y"] {
        return Err("the MSO's deviceKey is not the proof's key".into());
    }
    let validity = decoded.mso_field("validityInfo").ok_or("no validityInfo")?;
    let mut facts = Facts {
        holder_x: device["x"].as_str().unwrap_or_default().to_owned(),
        ..Facts::default()
    };
    for field in ["signed", "validFrom", "validUntil"] {
        facts.times.push(format!("{:?}", get(validity, field)));
    }
    let mut dataset = serde_json::Map::new();
    for element in decoded.namespaces.iter().flat_map(|(_, e)| e) {
        facts.salts.push(URL_SAFE_NO_PAD.encode(&element.random));
        dataset.insert(
            element.identifier.clone(),
            Value::from(format!("{:?}", element.value)),
        );
    }
    facts.dataset = Value::Object(dataset);
    Ok(facts)
}
