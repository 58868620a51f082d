//! Built-in DID methods whose key is inside the identifier: `did:key` and `did:jwk`.
//!
//! `did:key:z<base58btc(varint(multicodec) || key)>`, with multicodec `0x1200` (P-256,
//! 33-byte compressed SEC1), `0xed` (Ed25519, 32 bytes) or `0xeb51` (`jwk_jcs-pub`, a UTF-8
//! JSON public JWK as EBSI wallets use). `did:jwk:<base64url(JSON JWK)>`, key fragment `#0`.
//! Nothing here performs I/O.

use std::fmt;

use crate::json;
use crate::jws::b64url_decode;
use crate::key::{KeyError, PublicKey};

/// Maximum length of a DID URL we try to decode.
pub const MAX_DID_URL_LEN: usize = 2048;

const MC_ED25519: u64 = 0xed;
const MC_P256: u64 = 0x1200;
const MC_JWK_JCS: u64 = 0xeb51;

/// Why a `did:key` / `did:jwk` DID URL could not be decoded to a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DidKeyError {
    /// Longer than [`MAX_DID_URL_LEN`].
    TooLong(usize),
    /// Not `did:key:…` / `did:jwk:…`.
    NotBuiltIn,
    /// The method-specific identifier is not multibase base58btc (`z…`).
    Multibase(String),
    /// Bad unsigned varint.
    Varint,
    /// A multicodec we do not support (with its name if known).
    UnsupportedCodec(u64, &'static str),
    /// The key bytes are invalid for the codec.
    Key(KeyError),
    /// The DID URL has a fragment that does not name the DID's key.
    FragmentMismatch {
        /// What the fragment should be.
        expected: String,
        /// What it was.
        found: String,
    },
    /// The DID URL has a path or query, which does not identify a key.
    PathOrQuery,
    /// `did:jwk` payload is not base64url JSON.
    JwkEncoding(String),
}

impl fmt::Display for DidKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DidKeyError::TooLong(n) => write!(f, "the DID URL is {n} characters; the limit is {MAX_DID_URL_LEN}"),
            DidKeyError::NotBuiltIn => write!(f, "not a did:key or did:jwk DID"),
            DidKeyError::Multibase(m) => write!(f, "the did:key identifier is not multibase base58btc (it must start with z): {m}"),
            DidKeyError::Varint => write!(f, "the did:key multicodec prefix is not a valid unsigned varint"),
            DidKeyError::UnsupportedCodec(c, name) => write!(
                f,
                "the did:key multicodec is 0x{c:x} ({name}); supported are 0x1200 (P-256), 0xed (Ed25519) and 0xeb51 (jwk_jcs-pub)"
            ),
            DidKeyError::Key(e) => write!(f, "the key inside the DID is invalid: {e}"),
            DidKeyError::FragmentMismatch { expected, found } => write!(
                f,
                "the DID URL fragment #{found} does not identify the DID's key (expected #{expected})"
            ),
            DidKeyError::PathOrQuery => write!(f, "the DID URL has a path or query; only a fragment may follow the DID"),
            DidKeyError::JwkEncoding(m) => write!(f, "the did:jwk identifier is not base64url JSON: {m}"),
        }
    }
}

/// Decodes a `did:key` or `did:jwk` DID (or DID URL with the key's fragment) to its key.
///
/// A bare DID (no fragment) is accepted unless `require_fragment` is set: a `did:key` or
/// `did:jwk` DID has exactly one key, so a bare DID is unambiguous.
pub fn resolve_builtin(did_url: &str, require_fragment: bool) -> Result<PublicKey, DidKeyError> {
    if did_url.len() > MAX_DID_URL_LEN {
        return Err(DidKeyError::TooLong(did_url.len()));
    }
    let (did, fragment) = match did_url.split_once('#') {
        Some((d, f)) => (d, Some(f)),
        None => (did_url, None),
    };
    if did.contains(['/', '?']) {
        return Err(DidKeyError::PathOrQuery);
    }
    if let Some(id) = did.strip_prefix("did:key:") {
        check_fragment(fragment, id, require_fragment)?;
        decode_did_key_id(id)
    } else if let Some(id) = did.strip_prefix("did:jwk:") {
        check_fragment(fragment, "0", require_fragment)?;
        let bytes = b64url_decode(id)
            .ok_or_else(|| DidKeyError::JwkEncoding("not base64url without padding".into()))?;
        let jwk =
            json::parse_object(&bytes).map_err(|e| DidKeyError::JwkEncoding(e.to_string()))?;
        PublicKey::from_jwk(&jwk).map_err(DidKeyError::Key)
    } else {
        Err(DidKeyError::NotBuiltIn)
    }
}

fn check_fragment(
    fragment: Option<&str>,
    expected: &str,
    required: bool,
) -> Result<(), DidKeyError> {
    match fragment {
        Some(f) if f == expected => Ok(()),
        None if !required => Ok(()),
        other => Err(DidKeyError::FragmentMismatch {
            expected: crate::error::clip(expected, 80),
            found: crate::error::clip(other.unwrap_or(""), 80),
        }),
    }
}

/// Decodes the method-specific id of a `did:key` (`z…`).
pub fn decode_did_key_id(id: &str) -> Result<PublicKey, DidKeyError> {
    if !id.starts_with('z') {
        return Err(DidKeyError::Multibase(format!(
            "prefix {:?}",
            id.chars().next().unwrap_or(' ')
        )));
    }
    let (base, bytes) = multibase::decode(id).map_err(|e| DidKeyError::Multibase(e.to_string()))?;
    if base != multibase::Base::Base58Btc {
        return Err(DidKeyError::Multibase(format!("{base:?}")));
    }
    decode_multicodec(&bytes)
}

/// Decodes `varint(multicodec) || key bytes`.
pub fn decode_multicodec(bytes: &[u8]) -> Result<PublicKey, DidKeyError> {
    let (code, rest) = read_varint(bytes).ok_or(DidKeyError::Varint)?;
    match code {
        MC_ED25519 => PublicKey::ed25519_from_bytes(rest).map_err(DidKeyError::Key),
        MC_P256 => {
            if rest.len() != 33 || !matches!(rest.first(), Some(2 | 3)) {
                return Err(DidKeyError::Key(KeyError::Malformed(format!(
                    "a did:key P-256 key is a 33-byte compressed point (02/03 prefix), found {} bytes",
                    rest.len()
                ))));
            }
            PublicKey::p256_from_sec1(rest).map_err(DidKeyError::Key)
        }
        MC_JWK_JCS => {
            let jwk = json::parse_object(rest).map_err(|e| {
                DidKeyError::Key(KeyError::Malformed(format!("jwk_jcs-pub payload: {e}")))
            })?;
            PublicKey::from_jwk(&jwk).map_err(DidKeyError::Key)
        }
        0x1201 => Err(DidKeyError::UnsupportedCodec(code, "p384-pub")),
        0x1202 => Err(DidKeyError::UnsupportedCodec(code, "p521-pub")),
        0xe7 => Err(DidKeyError::UnsupportedCodec(code, "secp256k1-pub")),
        0xec => Err(DidKeyError::UnsupportedCodec(
            code,
            "x25519-pub, not a signing key",
        )),
        0x1205 => Err(DidKeyError::UnsupportedCodec(code, "rsa-pub")),
        _ => Err(DidKeyError::UnsupportedCodec(code, "unknown")),
    }
}

// Defined here rather than in `key`: multicodec decoding is this module's, and `key` stays below
// it (this module builds on `PublicKey`, not the other way round).
impl PublicKey {
    /// Parses a multicodec-prefixed public key: `0x1200` (P-256, compressed SEC1), `0xed`
    /// (Ed25519) or `0xeb51` (JCS-serialised public JWK).
    pub fn from_multicodec(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        decode_multicodec(bytes).map_err(|e| KeyError::Malformed(e.to_string()))
    }
}

/// Reads a minimal unsigned LEB128 varint of at most 9 bytes (multiformats unsigned-varint).
fn read_varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value: u64 = 0;
    for (i, b) in bytes.iter().copied().enumerate().take(9) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            // Minimal encoding: no trailing zero byte except for the value 0 itself.
            if b == 0 && i > 0 {
                return None;
            }
            return Some((value, bytes.get(i + 1..)?));
        }
    }
    None
}

/// Encodes a key as a `did:key` (P-256 compressed 0x1200 or Ed25519 0xed).
pub fn encode_did_key(key: &PublicKey) -> String {
    let mut bytes = Vec::with_capacity(35);
    match key.to_sec1_compressed() {
        Some(compressed) => {
            bytes.extend_from_slice(&[0x80, 0x24]);
            bytes.extend_from_slice(&compressed);
        }
        None => {
            bytes.push(0xed);
            bytes.push(0x01);
            bytes.extend_from_slice(&key.to_bytes());
        }
    }
    format!(
        "did:key:{}",
        multibase::encode(multibase::Base::Base58Btc, bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint() {
        assert_eq!(read_varint(&[0xed, 0x01, 9]), Some((0xed, &[9u8][..])));
        assert_eq!(read_varint(&[0x80, 0x24]), Some((0x1200, &[][..])));
        assert_eq!(read_varint(&[0xd1, 0xd6, 0x03]), Some((0xeb51, &[][..])));
        assert_eq!(read_varint(&[0x80, 0x00]), None);
        assert_eq!(read_varint(&[0x80; 12]), None);
        assert_eq!(read_varint(&[]), None);
    }

    #[test]
    fn encode_decode_roundtrip() {
        let p = crate::crypto::SigningKey::generate(crate::Alg::Es256)
            .unwrap()
            .public_key()
            .clone();
        let did = encode_did_key(&p);
        assert!(did.starts_with("did:key:zDn"));
        let id = did.trim_start_matches("did:key:");
        assert_eq!(resolve_builtin(&format!("{did}#{id}"), true).unwrap(), p);
        assert_eq!(resolve_builtin(&did, false).unwrap(), p);
        assert!(matches!(
            resolve_builtin(&did, true),
            Err(DidKeyError::FragmentMismatch { .. })
        ));
        assert!(matches!(
            resolve_builtin(&format!("{did}#key-1"), false),
            Err(DidKeyError::FragmentMismatch { .. })
        ));
        let e = crate::crypto::SigningKey::generate(crate::Alg::EdDsa)
            .unwrap()
            .public_key()
            .clone();
        let did = encode_did_key(&e);
        assert!(did.starts_with("did:key:z6Mk"));
        assert_eq!(resolve_builtin(&did, false).unwrap(), e);
    }

    #[test]
    fn did_jwk() {
        let e = crate::crypto::SigningKey::generate(crate::Alg::EdDsa)
            .unwrap()
            .public_key()
            .clone();
        let id =
            crate::jws::b64url_encode(serde_json::Value::Object(e.to_jwk()).to_string().as_bytes());
        assert_eq!(
            resolve_builtin(&format!("did:jwk:{id}#0"), true).unwrap(),
            e
        );
        assert!(resolve_builtin(&format!("did:jwk:{id}#1"), true).is_err());
        assert_eq!(
            resolve_builtin("did:web:example.com#k", false),
            Err(DidKeyError::NotBuiltIn)
        );
        assert_eq!(
            resolve_builtin("did:key:z6Mk/path", false),
            Err(DidKeyError::PathOrQuery)
        );
    }
}
