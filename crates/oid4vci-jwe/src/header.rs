//! Reading and checking a compact JWE's header and parts before decrypting, so a refusal can
//! say why and the cipher never sees a part of the wrong shape.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::{JweError, JwePart};

/// Largest protected header accepted, in base64url characters.
const MAX_HEADER_LEN: usize = 4096;

/// Bytes of the AES-GCM IV (96 bits) and authentication tag (128 bits), RFC 7518 Section 5.3.
const GCM_IV_LEN: usize = 12;
const GCM_TAG_LEN: usize = 16;

/// The IV and tag lengths of a content encryption algorithm this crate accepts.
fn lengths(enc: &str) -> Option<(usize, usize)> {
    match enc {
        "A128GCM" | "A256GCM" => Some((GCM_IV_LEN, GCM_TAG_LEN)),
        _ => None,
    }
}

/// `part` decoded from unpadded base64url.
fn decode(text: &str, part: JwePart) -> Result<Vec<u8>, JweError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| JweError::NotBase64url { part })
}

/// The protected header of a compact JWE (five base64url segments).
pub(crate) fn protected_header(jwe: &str) -> Result<Map<String, Value>, JweError> {
    let parts = jwe.split('.').count();
    if parts != 5 {
        return Err(JweError::PartCount { parts });
    }
    let first = jwe.split('.').next().unwrap_or_default();
    if first.len() > MAX_HEADER_LEN {
        return Err(JweError::HeaderTooLarge);
    }
    let bytes = decode(first, JwePart::Header)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JweError::HeaderNotObject),
    }
}

/// Refuses any `crit` (RFC 7516 Section 4.1.13): a malformed one (not a non-empty array of
/// strings), and a well-formed one too, since this issuer understands no extension and a
/// recipient must refuse a JWE whose critical extensions it does not understand.
pub(crate) fn check_crit(header: &Map<String, Value>) -> Result<(), JweError> {
    let Some(crit) = header.get("crit") else {
        return Ok(());
    };
    let names = crit
        .as_array()
        .filter(|names| !names.is_empty())
        .and_then(|names| {
            names
                .iter()
                .map(Value::as_str)
                .collect::<Option<Vec<&str>>>()
        })
        .ok_or(JweError::CritMalformed)?;
    Err(JweError::CritUnsupported {
        names: clip(&names.join(",")),
    })
}

/// Checks the `epk` of an ECDH-ES request: a P-256 public key on its curve (the issuer's request
/// keys are P-256).
pub(crate) fn check_epk(header: &Map<String, Value>) -> Result<(), JweError> {
    let epk = header
        .get("epk")
        .and_then(Value::as_object)
        .ok_or(JweError::EpkMissing)?;
    let mut public = epk.clone();
    public.remove("use");
    public.remove("alg");
    match oid4vci_proof::PublicKey::from_jwk(&public) {
        Ok(key) if key.alg() == oid4vci_proof::Alg::Es256 => Ok(()),
        _ => Err(JweError::EpkInvalid),
    }
}

/// Checks the parts of a compact JWE for ECDH-ES with `enc`: no encrypted key, an IV and a tag of
/// the lengths `enc` needs, a ciphertext, all base64url.
pub(crate) fn check_parts(jwe: &str, enc: &str) -> Result<(), JweError> {
    let parts: Vec<&str> = jwe.split('.').collect();
    let [_, encrypted_key, iv, ciphertext, tag] = parts.as_slice() else {
        return Err(JweError::PartCount { parts: parts.len() });
    };
    let Some((iv_len, tag_len)) = lengths(enc) else {
        return Err(JweError::EncUnsupported { enc: clip(enc) });
    };
    if !encrypted_key.is_empty() {
        return Err(JweError::EncryptedKeyPresent);
    }
    let len = decode(iv, JwePart::Iv)?.len();
    if len != iv_len {
        return Err(JweError::IvLength {
            enc: enc.to_owned(),
            expected: iv_len,
            len,
        });
    }
    decode(ciphertext, JwePart::Ciphertext)?;
    let len = decode(tag, JwePart::Tag)?.len();
    if len != tag_len {
        return Err(JweError::TagLength {
            enc: enc.to_owned(),
            expected: tag_len,
            len,
        });
    }
    Ok(())
}

/// A string member of the header.
pub(crate) fn text<'a>(
    header: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, JweError> {
    header
        .get(name)
        .and_then(Value::as_str)
        .ok_or(JweError::MissingHeader { name })
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
