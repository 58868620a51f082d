//! Revocation with the IETF Token Status List (draft-ietf-oauth-status-list; section numbers of
//! draft 12 and later): every credential carries a `status` claim naming an index into a status
//! list, and the issuer serves each list as a signed Status List Token.
//!
//! - [`StatusReference`] is what a credential carries (§6.1 for JWTs, `status` in the mdoc MSO):
//!   `{"status_list": {"idx": …, "uri": …}}`.
//! - [`StatusListConfig`] says where lists live, how big they are and how long a token is valid.
//! - [`StatusBits`] is one list: one bit per credential here (`bits: 1`; VALID `0`, INVALID `1`,
//!   §7.1), ZLIB-compressed and base64url-encoded as `lst` (§4.1), signed as a
//!   `statuslist+jwt` with `sub`, `iat`, `exp` and `ttl` (§5.1).
//!
//! Indices are drawn at random from the whole list (never in issuance order, §12.5: the order
//! would link credentials to the time they were issued) and reserved in the
//! [`StatusListStore`](crate::StatusListStore), which keeps each index for one credential
//! and a revoked index revoked, across restarts and instances.

use crate::clock::UnixTime;
use crate::error::IssuerError;
use crate::signing::{MetadataSigner, SigningError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::io::Write;
use std::sync::Arc;

/// The `typ` of a Status List Token in JWT form (§5.1).
pub const STATUS_LIST_TYP: &str = "statuslist+jwt";
/// The media type a Status List Token in JWT form is served as (§8.2).
pub const STATUS_LIST_MEDIA_TYPE: &str = "application/statuslist+jwt";
/// Status of a valid credential (§7.1).
pub const VALID: u8 = 0;
/// Status of a revoked credential (§7.1); it never returns to VALID.
pub const INVALID: u8 = 1;
/// Most entries one list may have: 2^24 (a 2 MiB bit string before compression).
pub const MAX_CAPACITY: u32 = 1 << 24;
/// Fewest entries one list may have: 2^10 (fewer would give no herd privacy).
pub const MIN_CAPACITY: u32 = 1 << 10;

/// Where a credential's status is kept: list number, index, and the list's URI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReference {
    /// The list's number (1, 2, …); the URI ends with it.
    pub list: u32,
    /// The index into the list (`idx`).
    pub idx: u32,
    /// The Status List Token's URI (`uri`, and the token's `sub`).
    pub uri: String,
}

impl StatusReference {
    /// The `status` claim of a credential (§6.1): `{"status_list": {"idx": …, "uri": …}}`.
    pub fn claim(&self) -> Value {
        json!({"status_list": {"idx": self.idx, "uri": self.uri}})
    }
}

/// How the issuer keeps status lists.
#[derive(Clone)]
pub struct StatusListConfig {
    /// The lists' URIs are this with `/{list}` appended, e.g.
    /// `https://issuer.example.com/status-lists` → `…/status-lists/1`.
    pub base_uri: String,
    /// Entries per list (a power of two is customary; [`MIN_CAPACITY`]..=[`MAX_CAPACITY`]).
    pub capacity: u32,
    /// Once this many entries of a list are taken, new credentials go to the next list, so a
    /// random pick rarely collides and every list keeps a crowd of unused (valid) entries.
    pub fill_limit: u32,
    /// Seconds a relying party may cache a token (`ttl`, §5.1; also `Cache-Control: max-age`).
    pub ttl: u64,
    /// Seconds a token is valid (`exp - iat`); at least `ttl`.
    pub lifetime: u64,
    /// Signs the tokens with the issuer key (the same signer as the metadata's).
    pub signer: Arc<dyn MetadataSigner>,
}

impl std::fmt::Debug for StatusListConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusListConfig")
            .field("base_uri", &self.base_uri)
            .field("capacity", &self.capacity)
            .field("fill_limit", &self.fill_limit)
            .field("ttl", &self.ttl)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl StatusListConfig {
    /// Lists under `{credential_issuer}/status-lists`, 2^17 entries each (16 KiB before
    /// compression), filled to half, cached for 5 minutes, tokens valid for a day.
    pub fn new(credential_issuer: &str, signer: Arc<dyn MetadataSigner>) -> Self {
        StatusListConfig {
            base_uri: format!("{}/status-lists", credential_issuer.trim_end_matches('/')),
            capacity: 1 << 17,
            fill_limit: 1 << 16,
            ttl: 300,
            lifetime: 24 * 3600,
            signer,
        }
    }

    /// The URI of list `list`.
    pub fn uri(&self, list: u32) -> String {
        format!("{}/{list}", self.base_uri.trim_end_matches('/'))
    }

    /// Checks the numbers: capacity in range and divisible by 8, fill limit within it, a
    /// lifetime no shorter than the ttl.
    pub fn validate(&self) -> Result<(), IssuerError> {
        let three_quarters = self.capacity / 4 * 3;
        let why = if !(MIN_CAPACITY..=MAX_CAPACITY).contains(&self.capacity)
            || !self.capacity.is_multiple_of(8)
        {
            format!(
                "status list capacity {} must be a multiple of 8 in {MIN_CAPACITY}..={MAX_CAPACITY}",
                self.capacity
            )
        } else if self.fill_limit == 0 || self.fill_limit > three_quarters {
            format!(
                "status list fill limit {} must be 1..={three_quarters} (three quarters of the capacity)",
                self.fill_limit
            )
        } else if self.ttl == 0 || self.lifetime < self.ttl {
            "status list ttl must be positive and the lifetime at least the ttl".to_owned()
        } else {
            return Ok(());
        };
        Err(IssuerError::InvalidConfiguration(why))
    }
}

/// One status list as bits: entry `i` is bit `i % 8` (least significant first) of byte `i / 8`
/// (§4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusBits {
    bytes: Vec<u8>,
}

impl StatusBits {
    /// A list of `capacity` valid entries (`capacity` is rounded up to whole bytes).
    pub fn new(capacity: u32) -> Self {
        StatusBits {
            bytes: vec![0; capacity.div_ceil(8) as usize],
        }
    }

    /// Entries in the list.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// True for a list of no entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Sets entry `idx` to `status` (only its lowest bit counts with `bits: 1`). Returns false,
    /// changing nothing, when `idx` is outside the list.
    pub fn set(&mut self, idx: u32, status: u8) -> bool {
        let Some(byte) = self.bytes.get_mut((idx / 8) as usize) else {
            return false;
        };
        let mask = 1u8 << (idx % 8);
        if status & 1 == 1 {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
        true
    }

    /// The status of entry `idx`, `None` outside the list.
    pub fn get(&self, idx: u32) -> Option<u8> {
        let byte = self.bytes.get((idx / 8) as usize)?;
        Some((byte >> (idx % 8)) & 1)
    }

    /// The `status_list` object (§4.1): `bits` and the ZLIB-compressed, base64url-encoded `lst`.
    pub fn to_json(&self) -> Result<Value, SigningError> {
        let failed =
            |e: std::io::Error| SigningError::Encoding(format!("compressing the status list: {e}"));
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&self.bytes).map_err(failed)?;
        let compressed = encoder.finish().map_err(failed)?;
        Ok(json!({"bits": 1, "lst": URL_SAFE_NO_PAD.encode(compressed)}))
    }
}

/// The claims of a Status List Token (§5.1) for list `uri` at `now`.
pub fn token_claims(
    uri: &str,
    bits: &StatusBits,
    now: UnixTime,
    ttl: u64,
    lifetime: u64,
) -> Result<Map<String, Value>, SigningError> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(uri));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now.saturating_add(lifetime)));
    claims.insert("ttl".into(), json!(ttl));
    claims.insert("status_list".into(), bits.to_json()?);
    Ok(claims)
}

/// Signs the Status List Token of list `uri` (header `typ` `statuslist+jwt`; the signer adds
/// `alg`, `kid` and `x5c`).
pub async fn sign_token(
    signer: &dyn MetadataSigner,
    uri: &str,
    bits: &StatusBits,
    now: UnixTime,
    ttl: u64,
    lifetime: u64,
) -> Result<String, SigningError> {
    let mut header = Map::new();
    header.insert("typ".into(), json!(STATUS_LIST_TYP));
    signer
        .sign_jwt(header, token_claims(uri, bits, now, ttl, lifetime)?, now)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn decompress(lst: &str) -> Vec<u8> {
        let compressed = URL_SAFE_NO_PAD.decode(lst).expect("base64url");
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(compressed.as_slice())
            .read_to_end(&mut out)
            .expect("zlib");
        out
    }

    #[test]
    fn bits_are_counted_from_the_least_significant_bit() {
        // The draft's §4.1 example: the statuses [1,0,0,1,1,1,0,1, 1,1,0,0,0,1,0,1] are the
        // bytes B9 A3.
        let set = [0u32, 3, 4, 5, 7, 8, 9, 13, 15];
        let mut bits = StatusBits::new(16);
        for i in set {
            assert!(bits.set(i, INVALID));
        }
        let lst = bits.to_json().expect("json");
        assert_eq!(lst["bits"], 1);
        assert_eq!(
            decompress(lst["lst"].as_str().expect("lst")),
            vec![0xB9, 0xA3]
        );
        for i in 0..16 {
            assert_eq!(bits.get(i), Some(u8::from(set.contains(&i))), "entry {i}");
        }
    }

    #[test]
    fn outside_the_list_nothing_changes() {
        let mut bits = StatusBits::new(1024);
        assert!(!bits.set(1024, INVALID));
        assert_eq!(bits.get(1024), None);
        assert_eq!(bits, StatusBits::new(1024));
        assert!(bits.set(1023, INVALID));
        assert!(bits.set(1023, VALID));
        assert_eq!(bits, StatusBits::new(1024));
    }

    #[test]
    fn a_mostly_valid_list_compresses_to_little() {
        let mut bits = StatusBits::new(1 << 17);
        bits.set(77_777, INVALID);
        let lst = bits.to_json().expect("json");
        let encoded = lst["lst"].as_str().expect("lst");
        assert!(encoded.len() < 200, "{} bytes", encoded.len());
        let raw = decompress(encoded);
        assert_eq!(raw.len(), (1 << 17) / 8);
        assert_eq!(raw.iter().map(|b| b.count_ones()).sum::<u32>(), 1);
    }

    #[test]
    fn config_numbers_are_checked() {
        struct NoSigner;
        impl MetadataSigner for NoSigner {
            fn sign_jwt(
                &self,
                _: Map<String, Value>,
                _: Map<String, Value>,
                _: UnixTime,
            ) -> crate::Signing<'_, String> {
                Box::pin(async { Err(SigningError::Key("none".into())) })
            }
        }
        let good = StatusListConfig::new("https://i.example/", Arc::new(NoSigner));
        assert_eq!(good.uri(3), "https://i.example/status-lists/3");
        assert!(good.validate().is_ok());
        let mut bad = good.clone();
        bad.capacity = 1001;
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("multiple of 8"));
        let mut bad = good.clone();
        bad.fill_limit = bad.capacity;
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("fill limit"));
        let mut bad = good;
        bad.lifetime = 1;
        assert!(bad.validate().is_err());
    }
}
