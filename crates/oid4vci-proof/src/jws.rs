//! Compact JWS (RFC 7515 §7.1) splitting and decoding with hard limits.
//!
//! Only the JWS Compact Serialization is accepted: exactly three segments, each strict
//! base64url without padding (RFC 7515 §2), header and payload JSON objects without duplicate
//! member names. Nothing here verifies a signature; see [`crate::PublicKey::verify`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::json::{self, JsonError};

/// Maximum length of a whole compact JWS, in bytes (a proof with an x5c chain or an embedded key
/// attestation stays well below this).
pub const MAX_JWS_LEN: usize = 64 * 1024;
/// Maximum length of the decoded protected header.
pub const MAX_HEADER_LEN: usize = 40 * 1024;
/// Maximum length of the decoded payload.
pub const MAX_PAYLOAD_LEN: usize = 16 * 1024;
/// Maximum length of the decoded signature (ES256 and EdDSA signatures are 64 bytes).
pub const MAX_SIGNATURE_LEN: usize = 512;

/// Which part of a compact JWS a [`JwsError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// The protected header (first segment).
    Header,
    /// The payload (second segment).
    Payload,
    /// The signature (third segment).
    Signature,
}

impl Segment {
    /// Name used in diagnostics.
    pub fn name(self) -> &'static str {
        match self {
            Segment::Header => "header",
            Segment::Payload => "payload",
            Segment::Signature => "signature",
        }
    }
}

/// Why a string is not an acceptable compact JWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwsError {
    /// Empty input.
    Empty,
    /// Longer than [`MAX_JWS_LEN`].
    TooLong(usize),
    /// Not exactly three dot-separated segments (five means a JWE).
    SegmentCount(usize),
    /// A segment that must not be empty is empty.
    EmptySegment(Segment),
    /// A segment is not strict unpadded base64url.
    Base64(Segment),
    /// A decoded segment exceeds its limit.
    SegmentTooLong(Segment, usize),
    /// Header or payload is not a JSON object or has duplicate member names.
    Json(Segment, JsonError),
}

impl std::fmt::Display for JwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwsError::Empty => write!(f, "the proof is an empty string"),
            JwsError::TooLong(n) => {
                write!(f, "the proof is {n} bytes long; the limit is {MAX_JWS_LEN}")
            }
            JwsError::SegmentCount(5) => write!(
                f,
                "the proof has 5 dot-separated segments, i.e. it is a JWE; a key proof is a signed JWT (JWS) with 3"
            ),
            JwsError::SegmentCount(n) => write!(
                f,
                "the proof has {n} dot-separated segment(s); a compact JWS has exactly 3"
            ),
            JwsError::EmptySegment(s) => write!(f, "the {} segment is empty", s.name()),
            JwsError::Base64(s) => write!(
                f,
                "the {} segment is not base64url without padding (RFC 7515 Section 2)",
                s.name()
            ),
            JwsError::SegmentTooLong(s, n) => {
                write!(f, "the decoded {} is {n} bytes, over the limit", s.name())
            }
            JwsError::Json(s, e) => write!(f, "the {}: {e}", s.name()),
        }
    }
}

/// A decoded compact JWS. The signature is *not* verified.
#[derive(Debug, Clone)]
pub struct CompactJws<'a> {
    signing_input: &'a str,
    header: Map<String, Value>,
    payload: Map<String, Value>,
    signature: Vec<u8>,
}

impl<'a> CompactJws<'a> {
    /// The JWS Signing Input: `BASE64URL(header) '.' BASE64URL(payload)`, as received.
    pub fn signing_input(&self) -> &'a str {
        self.signing_input
    }

    /// The decoded protected header.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The decoded payload (claims set).
    pub fn payload(&self) -> &Map<String, Value> {
        &self.payload
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    pub(crate) fn into_parts(self) -> (Map<String, Value>, Map<String, Value>, Vec<u8>) {
        (self.header, self.payload, self.signature)
    }
}

/// Strict base64url without padding; `None` on any deviation (padding, `+`/`/`, whitespace,
/// non-zero trailing bits).
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// base64url without padding.
pub fn b64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Splits and decodes a compact JWS whose header and payload are JSON objects.
pub fn parse(token: &str) -> Result<CompactJws<'_>, JwsError> {
    if token.is_empty() {
        return Err(JwsError::Empty);
    }
    if token.len() > MAX_JWS_LEN {
        return Err(JwsError::TooLong(token.len()));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::SegmentCount(token.split('.').count()));
    };
    // `h.len() + 1 + p.len()` is within `token`, so this slice cannot fail; use get() anyway.
    let signing_input = token.get(..h.len() + 1 + p.len()).ok_or(JwsError::Empty)?;
    let header = decode_json_segment(h, Segment::Header, MAX_HEADER_LEN)?;
    let payload = decode_json_segment(p, Segment::Payload, MAX_PAYLOAD_LEN)?;
    // An empty signature is syntactically valid (unsecured JWS, `alg` none); it is refused
    // later by the alg check with a clearer diagnostic, and can never verify.
    if s.len() > MAX_SIGNATURE_LEN.div_ceil(3) * 4 {
        return Err(JwsError::SegmentTooLong(
            Segment::Signature,
            s.len() / 4 * 3,
        ));
    }
    let signature = b64url_decode(s).ok_or(JwsError::Base64(Segment::Signature))?;
    Ok(CompactJws {
        signing_input,
        header,
        payload,
        signature,
    })
}

fn decode_json_segment(
    seg: &str,
    which: Segment,
    limit: usize,
) -> Result<Map<String, Value>, JwsError> {
    if seg.is_empty() {
        return Err(JwsError::EmptySegment(which));
    }
    if seg.len() / 4 * 3 > limit {
        return Err(JwsError::SegmentTooLong(which, seg.len() / 4 * 3));
    }
    let bytes = b64url_decode(seg).ok_or(JwsError::Base64(which))?;
    json::parse_object(&bytes).map_err(|e| JwsError::Json(which, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        b64url_encode(s.as_bytes())
    }

    #[test]
    fn splits_three_segments() {
        let t = format!(
            "{}.{}.{}",
            enc(r#"{"alg":"ES256"}"#),
            enc(r#"{"a":1}"#),
            "AAAA"
        );
        let jws = parse(&t).unwrap();
        assert_eq!(jws.header()["alg"], "ES256");
        assert_eq!(jws.payload()["a"], 1);
        assert_eq!(jws.signature(), &[0, 0, 0]);
        assert_eq!(jws.signing_input(), &t[..t.rfind('.').unwrap()]);
    }

    #[test]
    fn rejects_structure_errors() {
        let h = enc(r#"{"alg":"ES256"}"#);
        let p = enc("{}");
        assert_eq!(parse("").unwrap_err(), JwsError::Empty);
        assert_eq!(parse("a.b").unwrap_err(), JwsError::SegmentCount(2));
        assert_eq!(parse("a.b.c.d.e").unwrap_err(), JwsError::SegmentCount(5));
        assert!(parse(&format!("{h}.{p}.")).unwrap().signature().is_empty());
        assert_eq!(
            parse(&format!(".{p}.AAAA")).unwrap_err(),
            JwsError::EmptySegment(Segment::Header)
        );
        // Padding, standard alphabet and whitespace are all refused.
        assert_eq!(
            parse(&format!("{h}=.{p}.AAAA")).unwrap_err(),
            JwsError::Base64(Segment::Header)
        );
        assert_eq!(
            parse(&format!("{h}.{p}.AA+/")).unwrap_err(),
            JwsError::Base64(Segment::Signature)
        );
        assert_eq!(
            parse(&format!("{h}.{p} .AAAA")).unwrap_err(),
            JwsError::Base64(Segment::Payload)
        );
        // Non-canonical trailing bits ("AB" has non-zero low bits; canonical is "AA").
        assert_eq!(
            parse(&format!("{h}.{p}.AB")).unwrap_err(),
            JwsError::Base64(Segment::Signature)
        );
        assert!(matches!(
            parse(&format!("{}.{p}.AAAA", enc("[1]"))).unwrap_err(),
            JwsError::Json(Segment::Header, JsonError::NotAnObject)
        ));
        assert!(matches!(
            parse(&format!("{}.{p}.AAAA", enc(r#"{"alg":"a","alg":"b"}"#))).unwrap_err(),
            JwsError::Json(Segment::Header, JsonError::DuplicateMember(_))
        ));
        let big = "A".repeat(MAX_JWS_LEN + 1);
        assert_eq!(parse(&big).unwrap_err(), JwsError::TooLong(MAX_JWS_LEN + 1));
        let big_payload = enc(&format!(r#"{{"a":"{}"}}"#, "x".repeat(MAX_PAYLOAD_LEN)));
        assert!(matches!(
            parse(&format!("{h}.{big_payload}.AAAA")).unwrap_err(),
            JwsError::SegmentTooLong(Segment::Payload, _)
        ));
    }
}
