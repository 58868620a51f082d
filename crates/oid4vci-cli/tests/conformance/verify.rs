//! What the modules check in an issued credential: the SD-JWT VC's issuer signature by its x5c
//! leaf, `iss`, `vct`, `cnf`, `exp`/`status` and disclosures (RFC 9901, SD-JWT VC, HAIP §6.1);
//! the mdoc's MSO signature by its x5chain leaf, `docType` and device key (ISO/IEC 18013-5).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ciborium::Value as Cbor;
use p256::ecdsa::signature::Verifier;
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

fn b64(s: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|e| format!("not base64url: {e}"))
}

fn leaf_key(der: &[u8]) -> Result<p256::ecdsa::VerifyingKey, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| e.to_string())?;
    if cert.subject() == cert.issuer() {
        return Err(
            "the issuer's certificate is self-signed (HAIP: no trust anchor in x5c)".into(),
        );
    }
    p256::ecdsa::VerifyingKey::from_sec1_bytes(cert.public_key().subject_public_key.data.as_ref())
        .map_err(|e| format!("not a P-256 key: {e}"))
}

fn verify(key: &p256::ecdsa::VerifyingKey, message: &[u8], signature: &[u8]) -> Result<(), String> {
    let sig = p256::ecdsa::Signature::from_slice(signature).map_err(|e| e.to_string())?;
    key.verify(message, &sig)
        .map_err(|_| "the issuer signature does not verify".to_owned())
}

/// Checks an SD-JWT VC issued to `holder` (a public JWK) by `issuer`.
pub fn sd_jwt(credential: &str, issuer: &str, holder: &Value) -> Result<Facts, String> {
    let mut parts = credential.split('~');
    let jwt = parts.next().unwrap_or_default();
    let segments: Vec<&str> = jwt.split('.').collect();
    let [h, p, s] = segments.as_slice() else {
        return Err("the issuer-signed JWT is not three parts".into());
    };
    let header: Value = serde_json::from_slice(&b64(h)?).map_err(|e| e.to_string())?;
    let payload: Value = serde_json::from_slice(&b64(p)?).map_err(|e| e.to_string())?;
    if header["typ"] != "dc+sd-jwt" || header["alg"] != "ES256" {
        return Err(format!("header typ/alg: {header}"));
    }
    let x5c = header["x5c"][0].as_str().ok_or("no x5c (HAIP §6.1.1)")?;
    let leaf = STANDARD.decode(x5c).map_err(|e| e.to_string())?;
    verify(&leaf_key(&leaf)?, format!("{h}.{p}").as_bytes(), &b64(s)?)?;
    if payload["iss"] != issuer {
        return Err(format!("iss {} is not {issuer}", payload["iss"]));
    }
    if !payload["vct"].is_string() {
        return Err("no vct".into());
    }
    if payload["exp"].is_null() && payload["status"].is_null() {
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
    for disclosure in parts.filter(|d| !d.is_empty()) {
        let array: Value = serde_json::from_slice(&b64(disclosure)?).map_err(|e| e.to_string())?;
        let items = array.as_array().ok_or("a disclosure is not an array")?;
        facts.salts.push(
            items
                .first()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        );
        if let [_, Value::String(name), value] = items.as_slice() {
            dataset.insert(name.clone(), value.clone());
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

fn get_int(map: &Cbor, key: i64) -> Option<&Cbor> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(key))
        .map(|(_, v)| v)
}

fn untag(value: &Cbor) -> Result<Cbor, String> {
    let bytes = match value {
        Cbor::Tag(24, inner) => inner.as_bytes().ok_or("tag 24 without bytes")?,
        Cbor::Bytes(b) => b,
        _ => return Err("not embedded CBOR".into()),
    };
    let inner: Cbor = ciborium::from_reader(bytes.as_slice()).map_err(|e| e.to_string())?;
    match inner {
        Cbor::Tag(24, _) => untag(&inner),
        other => Ok(other),
    }
}

/// Checks an mdoc (`IssuerSigned`, base64url) of `doctype` issued to `holder`.
pub fn mdoc(credential: &str, doctype: &str, holder: &Value) -> Result<Facts, String> {
    let issuer_signed: Cbor =
        ciborium::from_reader(b64(credential)?.as_slice()).map_err(|e| e.to_string())?;
    let auth = get(&issuer_signed, "issuerAuth")
        .and_then(Cbor::as_array)
        .ok_or("no issuerAuth")?;
    let [protected, unprotected, payload, signature] = auth.as_slice() else {
        return Err("issuerAuth is not a COSE_Sign1".into());
    };
    let leaf = get_int(unprotected, 33)
        .and_then(|c| match c {
            Cbor::Bytes(b) => Some(b.clone()),
            Cbor::Array(a) => a.first().and_then(Cbor::as_bytes).cloned(),
            _ => None,
        })
        .ok_or("no x5chain")?;
    let mut to_sign = Vec::new();
    let structure = Cbor::Array(vec![
        Cbor::Text("Signature1".into()),
        protected.clone(),
        Cbor::Bytes(Vec::new()),
        payload.clone(),
    ]);
    ciborium::into_writer(&structure, &mut to_sign).map_err(|e| e.to_string())?;
    verify(
        &leaf_key(&leaf)?,
        &to_sign,
        signature.as_bytes().ok_or("signature")?,
    )?;
    let mso = untag(payload)?;
    if get(&mso, "docType").and_then(Cbor::as_text) != Some(doctype) {
        return Err(format!("docType is not {doctype}"));
    }
    let device = get(&mso, "deviceKeyInfo")
        .and_then(|d| get(d, "deviceKey"))
        .ok_or("no deviceKey")?;
    let x = get_int(device, -2)
        .and_then(Cbor::as_bytes)
        .ok_or("deviceKey x")?;
    let y = get_int(device, -3)
        .and_then(Cbor::as_bytes)
        .ok_or("deviceKey y")?;
    if holder["x"].as_str() != Some(&URL_SAFE_NO_PAD.encode(x))
        || holder["y"].as_str() != Some(&URL_SAFE_NO_PAD.encode(y))
    {
        return Err("the MSO's deviceKey is not the proof's key".into());
    }
    let validity = get(&mso, "validityInfo").ok_or("no validityInfo")?;
    let mut facts = Facts {
        holder_x: URL_SAFE_NO_PAD.encode(x),
        ..Facts::default()
    };
    for field in ["signed", "validFrom", "validUntil"] {
        facts.times.push(format!("{:?}", get(validity, field)));
    }
    let mut dataset = serde_json::Map::new();
    if let Some(namespaces) = get(&issuer_signed, "nameSpaces").and_then(Cbor::as_map) {
        for (_, items) in namespaces {
            for item in items.as_array().into_iter().flatten() {
                let item = untag(item)?;
                if let Some(salt) = get(&item, "random").and_then(Cbor::as_bytes) {
                    facts.salts.push(URL_SAFE_NO_PAD.encode(salt));
                }
                if let Some(name) = get(&item, "elementIdentifier").and_then(Cbor::as_text) {
                    let value = get(&item, "elementValue").map(|v| format!("{v:?}"));
                    dataset.insert(name.to_owned(), Value::from(value.unwrap_or_default()));
                }
            }
        }
    }
    facts.dataset = Value::Object(dataset);
    Ok(facts)
}
