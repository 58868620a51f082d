//! CBOR and COSE reading for the mdoc decoder, on `ciborium` and `coset`: map lookups with
//! typed errors, tag-24 embedded items, the `issuerAuth` algorithm, `x5chain` and COSE_Key,
//! and CBOR shown as JSON.

use super::error::DecodeError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value as Cbor;
use coset::{CoseSign1, Label, RegisteredLabelWithPrivate};
use oid4vci_proof::{Alg, PublicKey};
use serde_json::{json, Map, Value};

/// CBOR tag 24: encoded CBOR data item.
const TAG_ENCODED_CBOR: u64 = 24;
/// COSE header parameter `x5chain` (RFC 9360).
const X5CHAIN: i64 = 33;
/// Deepest CBOR nesting shown as JSON.
const MAX_DEPTH: usize = 32;

pub(crate) fn malformed(what: impl Into<String>) -> DecodeError {
    DecodeError::Malformed(what.into())
}

pub(crate) fn get<'v>(map: &'v Cbor, key: &str) -> Option<&'v Cbor> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

pub(crate) fn require<'v>(map: &'v Cbor, key: &str, within: &str) -> Result<&'v Cbor, DecodeError> {
    get(map, key).ok_or_else(|| malformed(format!("{within} has no {key}")))
}

pub(crate) fn text(value: &Cbor, what: &str) -> Result<String, DecodeError> {
    value
        .as_text()
        .map(str::to_owned)
        .ok_or_else(|| malformed(format!("{what} is not text")))
}

pub(crate) fn encode(value: &Cbor) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(|e| malformed(format!("CBOR: {e}")))?;
    Ok(out)
}

pub(crate) fn decode_cbor(bytes: &[u8], what: &str) -> Result<Cbor, DecodeError> {
    ciborium::from_reader(bytes).map_err(|e| malformed(format!("{what} is not CBOR: {e}")))
}

/// The CBOR inside `#6.24(bstr)`; also accepts a plain `bstr` of CBOR.
pub(crate) fn embedded(value: &Cbor, what: &str) -> Result<Cbor, DecodeError> {
    match value {
        Cbor::Tag(TAG_ENCODED_CBOR, inner) => match inner.as_ref() {
            Cbor::Bytes(b) => decode_cbor(b, what),
            _ => Err(malformed(format!("{what}: tag 24 without a byte string"))),
        },
        Cbor::Bytes(b) => decode_cbor(b, what),
        _ => Err(malformed(format!("{what} is not embedded CBOR (tag 24)"))),
    }
}

pub(crate) fn x5chain(sign1: &CoseSign1) -> Result<Vec<Vec<u8>>, DecodeError> {
    let headers = sign1
        .unprotected
        .rest
        .iter()
        .chain(&sign1.protected.header.rest);
    let Some((_, value)) = headers.into_iter().find(|(l, _)| *l == Label::Int(X5CHAIN)) else {
        return Ok(Vec::new());
    };
    let chain = match value {
        Cbor::Bytes(b) => vec![b.clone()],
        Cbor::Array(items) => items
            .iter()
            .map(|c| c.as_bytes().cloned())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| malformed("x5chain has an element that is not a byte string"))?,
        _ => return Err(malformed("x5chain is not a byte string or an array")),
    };
    let limit = oid4vci_proof::x5c::MAX_CHAIN_LEN;
    if chain.len() > limit {
        return Err(DecodeError::TooLarge {
            what: "the number of x5chain certificates",
            found: chain.len(),
            limit,
        });
    }
    Ok(chain)
}

pub(crate) fn cose_alg(sign1: &CoseSign1) -> Result<Alg, DecodeError> {
    use coset::iana::Algorithm;
    match &sign1.protected.header.alg {
        Some(RegisteredLabelWithPrivate::Assigned(Algorithm::ES256)) => Ok(Alg::Es256),
        Some(RegisteredLabelWithPrivate::Assigned(Algorithm::EdDSA)) => Ok(Alg::EdDsa),
        Some(other) => Err(DecodeError::UnsupportedAlg(format!("{other:?}"))),
        None => Err(DecodeError::UnsupportedAlg(
            "absent from the protected header".into(),
        )),
    }
}

/// A COSE_Key (EC2 P-256 or OKP Ed25519) as a [`PublicKey`].
pub(crate) fn cose_key(key: &Cbor) -> Option<PublicKey> {
    let int = |label: i64| {
        key.as_map()?
            .iter()
            .find(|(k, _)| k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(label))
            .map(|(_, v)| v)
    };
    let as_int = |v: &Cbor| v.as_integer().and_then(|i| i64::try_from(i).ok());
    match (int(1).and_then(as_int), int(-1).and_then(as_int)) {
        (Some(2), Some(1)) => {
            let x = int(-2)?.as_bytes()?;
            let y = int(-3)?.as_bytes()?;
            let point = [&[4u8][..], x, y].concat();
            PublicKey::p256_from_sec1(&point).ok()
        }
        (Some(1), Some(6)) => PublicKey::ed25519_from_bytes(int(-2)?.as_bytes()?).ok(),
        _ => None,
    }
}

/// CBOR as JSON for reading: byte strings as base64url text, tags as `{"tag", "value"}`,
/// map keys that are not text as their JSON text.
pub fn cbor_to_json(value: &Cbor) -> Value {
    to_json(value, 0)
}

fn to_json(value: &Cbor, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::String("(nested too deeply)".into());
    }
    match value {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(*b),
        Cbor::Integer(i) => {
            let n = i128::from(*i);
            i64::try_from(n).map_or_else(|_| Value::String(n.to_string()), Value::from)
        }
        Cbor::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Cbor::Text(s) => Value::String(s.clone()),
        Cbor::Bytes(b) => Value::String(URL_SAFE_NO_PAD.encode(b)),
        Cbor::Array(items) => items.iter().map(|v| to_json(v, depth + 1)).collect(),
        Cbor::Map(entries) => {
            let mut out = Map::new();
            for (k, v) in entries {
                let key = match k {
                    Cbor::Text(s) => s.clone(),
                    other => to_json(other, depth + 1).to_string(),
                };
                out.insert(key, to_json(v, depth + 1));
            }
            Value::Object(out)
        }
        Cbor::Tag(tag, inner) => json!({"tag": tag, "value": to_json(inner, depth + 1)}),
        _ => Value::String(format!("{value:?}")),
    }
}
