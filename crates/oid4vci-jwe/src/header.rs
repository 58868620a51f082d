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

/// Checks the `epk` of an ECDH-ES request: a P-256 public key on its curve (the issuer's request
/// keys are P-256).
pub(crate) fn check_epk(header: &Map<String, Value>) -> Result<(), EncryptionError> {
    let epk = header
        .get("epk")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            EncryptionError(
                "the JWE header has no epk (the ephemeral public key of ECDH-ES)".into(),
            )
        })?;
    let mut public = epk.clone();
    public.remove("use");
    public.remove("alg");
    match oid4vci_proof::PublicKey::from_jwk(&public) {
        Ok(key) if key.alg() == oid4vci_proof::Alg::Es256 => Ok(()),
        _ => Err(EncryptionError(
            "the epk must be a P-256 public key on its curve (kty EC, crv P-256, x and y of 32 bytes)"
                .into(),
        )),
    }
}

/// Checks the parts of a compact JWE for ECDH-ES with AES-GCM: no encrypted key, a 96-bit IV, a
/// ciphertext, a 128-bit tag, all base64url.
pub(crate) fn check_parts(jwe: &str) -> Result<(), EncryptionError> {
    let parts: Vec<&str> = jwe.split('.').collect();
    let [_, encrypted_key, iv, ciphertext, tag] = parts.as_slice() else {
        return Err(EncryptionError(
            "a compact JWE has 5 dot-separated parts".into(),
        ));
    };
    if !encrypted_key.is_empty() {
        return Err(EncryptionError(
            "with ECDH-ES (direct key agreement) the encrypted key part must be empty".into(),
        ));
    }
    let decoded = |part: &str, name: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| EncryptionError(format!("the JWE {name} is not base64url")))
    };
    if decoded(iv, "IV")?.len() != 12 {
        return Err(EncryptionError(
            "the JWE IV must be 96 bits (12 bytes) for AES-GCM".into(),
        ));
    }
    decoded(ciphertext, "ciphertext")?;
    if decoded(tag, "authentication tag")?.len() != 16 {
        return Err(EncryptionError(
            "the JWE authentication tag must be 128 bits (16 bytes) for AES-GCM".into(),
        ));
    }
    Ok(())
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
