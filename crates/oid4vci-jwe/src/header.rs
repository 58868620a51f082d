//! Reading a compact JWE's protected header before decrypting, so a refusal can say why.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use oid4vci_issuer::EncryptionError;
use serde_json::{Map, Value};

/// Largest protected header accepted.
const MAX_HEADER_LEN: usize = 4096;

/// The protected header of a compact JWE (five base64url segments).
pub(crate) fn protected_header(jwe: &str) -> Result<Map<String, Value>, EncryptionError> {
    let segments: Vec<&str> = jwe.split('.').collect();
    if segments.len() != 5 {
        return Err(EncryptionError(format!(
            "a compact JWE has 5 dot-separated parts; this has {}",
            segments.len()
        )));
    }
    let first = segments.first().copied().unwrap_or_default();
    if first.len() > MAX_HEADER_LEN {
        return Err(EncryptionError("the JWE header is too large".into()));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(first)
        .map_err(|_| EncryptionError("the JWE header is not base64url".into()))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(EncryptionError(
            "the JWE header is not a JSON object".into(),
        )),
    }
}

/// A string member of the header.
pub(crate) fn text<'a>(
    header: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a str, EncryptionError> {
    header
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| EncryptionError(format!("the JWE header has no {name}")))
}

/// A wallet-supplied value, shortened for an error description.
pub(crate) fn clip(value: &str) -> String {
    let short: String = value
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .take(40)
        .collect();
    short
}
