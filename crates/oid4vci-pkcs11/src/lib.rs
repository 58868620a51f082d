//! Issuer keys in a PKCS#11 token (an HSM, a cloud HSM's PKCS#11 library, SoftHSM2): the
//! private key never leaves the token; the issuer asks the token to sign.
//!
//! [`Pkcs11Signer`] implements the issuer's signing port
//! ([`IssuerSigner`](oid4vci_issuer::IssuerSigner)) with ES256 (`CKM_ECDSA` over a SHA-256
//! digest, the signature in JOSE/COSE `r || s` form), so SD-JWT VCs, mdoc MSOs, status-list
//! tokens and signed metadata can all be signed by the token. Requests share a pool of logged-in
//! sessions (one signature per session at a time, as PKCS#11 requires); signing runs on tokio's
//! blocking threads, so a slow token never stalls the async workers, and the pool's size bounds
//! how many signatures are in the token at once. [`Pkcs11Signer::check`] backs a readiness probe.
//!
//! The PIN comes from the environment or a file ([`PinSource`]), never from a command line, and
//! is never printed. [`generate_p256_key`] creates a key pair inside the token, private key
//! sensitive and not extractable.
//!
//! ```no_run
//! use oid4vci_issuer::{IssuerKey, IssuerSigner};
//! use oid4vci_pkcs11::{Pkcs11Config, Pkcs11Signer, PinSource};
//! use std::sync::Arc;
//!
//! let config = Pkcs11Config::new("/usr/lib/softhsm/libsofthsm2.so", "issuer", "ds-2026");
//! let pin = PinSource::Env("OID4VCI_HSM_PIN".into()).read()?;
//! let signer = Pkcs11Signer::open(&config, &pin)?;
//! assert!(!signer.key_facts().extractable.unwrap_or(true), "the key cannot leave the token");
//! let key = IssuerKey::new(Arc::new(signer), "ds-2026");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod context;
mod error;
mod pin;
mod pool;
mod signer;
#[cfg(feature = "test-token")]
pub mod test_token;

pub use error::Pkcs11Error;
pub use pin::{Pin, PinSource};
pub use signer::{generate_p256_key, KeyFacts, Pkcs11Signer};

use std::path::PathBuf;

/// Where the key is: the PKCS#11 module, the token and the key's label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pkcs11Config {
    /// The PKCS#11 module (shared library) path.
    pub module: PathBuf,
    /// The token's label (`CKA_LABEL` of the token, as `softhsm2-util --init-token --label`).
    pub token_label: String,
    /// The label of the key pair (`CKA_LABEL` of the private and the public key objects).
    pub key_label: String,
    /// How many sessions sign at once (the pool's size); at least 1.
    pub sessions: usize,
}

impl Pkcs11Config {
    /// The key `key_label` in token `token_label` of `module`, with 4 sessions.
    pub fn new(
        module: impl Into<PathBuf>,
        token_label: impl Into<String>,
        key_label: impl Into<String>,
    ) -> Self {
        Pkcs11Config {
            module: module.into(),
            token_label: token_label.into(),
            key_label: key_label.into(),
            sessions: 4,
        }
    }
}
