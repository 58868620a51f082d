//! The crypto backend seam: every signature, digest and MAC in the workspace goes through here.
//!
//! Two implementations, picked by cargo features of this crate (exactly one must be enabled):
//!
//! * `aws-lc-rs` (default): AWS-LC through [`aws-lc-rs`](https://docs.rs/aws-lc-rs), the fastest
//!   on common servers; needs a C compiler at build time (no cmake).
//! * `rustcrypto`: pure Rust, `p256` + `ed25519-dalek` + `sha2` + `hmac`.
//!
//! Both give the same verdict on every input: ES256 signatures are exactly 64 bytes `r || s`
//! (high-S valid); Ed25519 is verified strictly (RFC 8032 §5.1.7 with canonical `S`, and
//! small-order keys and `R` values refused, as `ed25519-dalek`'s `verify_strict` does). Keys go
//! in and out as JWK, SEC1, SPKI, PKCS#8, raw scalars/seeds and multicodec bytes, never as a
//! backend's types; the backend crate itself is re-exported as [`backend`] for those who need it.
//!
//! ```
//! use oid4vci_proof::crypto::{self, SigningKey};
//! use oid4vci_proof::Alg;
//!
//! let key = SigningKey::generate(Alg::Es256).unwrap();
//! let signature = key.sign(b"payload").unwrap();
//! assert!(key.public_key().verify(Alg::Es256, b"payload", &signature).is_ok());
//! let again = SigningKey::from_pkcs8(&key.to_pkcs8().unwrap()).unwrap();
//! assert_eq!(again.public_key(), key.public_key());
//! assert_eq!(crypto::sha256(b"abc")[0], 0xba);
//! ```

#[cfg(all(feature = "aws-lc-rs", feature = "rustcrypto"))]
compile_error!(
    "oid4vci-proof: enable exactly one crypto backend, not both: the default `aws-lc-rs`, or \
     `rustcrypto` with `default-features = false` (forwarded by every workspace crate's own \
     `rustcrypto` feature; use `--no-default-features --features rustcrypto`)"
);
#[cfg(not(any(feature = "aws-lc-rs", feature = "rustcrypto")))]
compile_error!(
    "oid4vci-proof: no crypto backend enabled; enable the feature `aws-lc-rs` (default) or \
     `rustcrypto`"
);

#[cfg(feature = "aws-lc-rs")]
pub(crate) mod aws_lc;
#[cfg(feature = "aws-lc-rs")]
pub(crate) use aws_lc as imp;

#[cfg(all(feature = "rustcrypto", not(feature = "aws-lc-rs")))]
pub(crate) mod rust_crypto;
#[cfg(all(feature = "rustcrypto", not(feature = "aws-lc-rs")))]
pub(crate) use rust_crypto as imp;

mod signing;
pub use signing::{SignError, SigningKey};

/// Re-export of the active backend crate (`aws_lc_rs`), for callers that need its own API.
#[cfg(feature = "aws-lc-rs")]
pub use aws_lc_rs as backend;
/// Re-exports of the active backend crates (`p256`, `ed25519_dalek`), for callers that need them.
#[cfg(all(feature = "rustcrypto", not(feature = "aws-lc-rs")))]
pub mod backend {
    pub use ed25519_dalek;
    pub use p256;
}

/// The name of the active backend: `"aws-lc-rs"` or `"rustcrypto"`.
pub const BACKEND: &str = imp::NAME;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    imp::sha256(data)
}

/// HMAC-SHA-256 of `data` under `key` (any key length).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    imp::hmac_sha256(key, data)
}

/// True when `tag` (a full or truncated, at least 16-byte, HMAC-SHA-256) is the MAC of `data`
/// under `key`; the comparison takes constant time.
pub fn hmac_sha256_verify(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    let full = hmac_sha256(key, data);
    match full.get(..tag.len()) {
        Some(prefix) if tag.len() >= 16 => prefix.ct_eq(tag).into(),
        _ => false,
    }
}
