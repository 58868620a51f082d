//! # oid4vci
//!
//! Facade over the oid4vci-rs workspace: an OpenID for Verifiable Credential Issuance 1.0 issuer
//! toolkit. Each module re-exports one focused crate; depend on those directly if you need only one.
//!
//! | module | crate | what |
//! |---|---|---|
//! | [`types`] | `oid4vci-types` | wire messages, draft-13 tolerant |
//! | [`proof`] | `oid4vci-proof` | key proof validation with diagnostics |
//! | [`issuer`] | `oid4vci-issuer` | sessions, the `Issuer` service, ports, `MemoryStore` |
//! | [`sd_jwt`] | `oid4vci-sd-jwt` | the SD-JWT VC minter (`SdJwtVcMinter`) |
//! | [`authorization`] | `oid4vci-authorization` | authorization-code flow rules |
//! | `store_sqlite` (feature `sqlite`) | `oid4vci-store-sqlite` | durable `SqliteStore` |
//! | `axum` (feature `axum`) | `oid4vci-axum` | HTTP routers |
//! | `jwe` (feature `jwe`) | `oid4vci-jwe` | encrypted credential requests and responses |
//! | `mdoc` (feature `mdoc`) | `oid4vci-mdoc` | the mso_mdoc minter |
//! | `store_postgres` (feature `postgres`) | `oid4vci-store-postgres` | PostgreSQL `PostgresStore` |
//!
//! ```
//! use oid4vci::types::{CredentialOffer, CredentialOfferRequest};
//!
//! let offer = CredentialOffer::new("https://issuer.example.com", ["eu.europa.ec.av.1"])
//!     .with_pre_authorized_code("SplxlOBeZQQYbYS6WxSbIA", None);
//! let uri = CredentialOfferRequest::ByValue(offer).to_uri();
//! assert!(uri.starts_with("openid-credential-offer://?credential_offer="));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Wire messages of OID4VCI 1.0 (offer, metadata, token, nonce, credential, deferred, notification, errors).
pub use oid4vci_types as types;

/// JWT proof-of-possession validation with diagnostics.
pub use oid4vci_proof as proof;

/// Issuance sessions: state machine, service, ports (the whole `oid4vci-issuer` crate).
pub mod issuer {
    #[doc(inline)]
    pub use oid4vci_issuer::*;

    // The SD-JWT VC minter lived in the issuer crate until it became `oid4vci-sd-jwt`
    // (`oid4vci::sd_jwt`); its old paths under `oid4vci::issuer` keep compiling.
    #[doc(hidden)]
    pub use oid4vci_sd_jwt as sd_jwt;
    #[doc(hidden)]
    pub use oid4vci_sd_jwt::SdJwtVcMinter;
}

/// SD-JWT VC minting (`oid4vci-sd-jwt`).
pub use oid4vci_sd_jwt as sd_jwt;

/// Authorization-code flow rules: PAR, PKCE, redirect URIs, scope mapping, user directory.
pub use oid4vci_authorization as authorization;

/// The SQLite session store.
#[cfg(feature = "sqlite")]
pub use oid4vci_store_sqlite as store_sqlite;

/// The axum adapter.
#[cfg(feature = "axum")]
pub use oid4vci_axum as axum;

/// Encrypted credential requests and responses (JWE).
#[cfg(feature = "jwe")]
pub use oid4vci_jwe as jwe;

/// The mso_mdoc (ISO/IEC 18013-5) minter.
#[cfg(feature = "mdoc")]
pub use oid4vci_mdoc as mdoc;

/// The PostgreSQL session store.
#[cfg(feature = "postgres")]
pub use oid4vci_store_postgres as store_postgres;

/// Issuer keys in a PKCS#11 token (HSM): the `oid4vci-pkcs11` crate.
#[cfg(feature = "pkcs11")]
pub use oid4vci_pkcs11 as pkcs11;

#[cfg(test)]
mod tests {
    /// `oid4vci::issuer::SdJwtVcMinter` and `oid4vci::issuer::sd_jwt::SdJwtVcMinter` (public
    /// before the minter left the issuer crate) name the type `oid4vci::sd_jwt` exports.
    #[test]
    fn the_old_issuer_paths_of_the_sd_jwt_minter_still_resolve() {
        let minter: crate::issuer::SdJwtVcMinter = crate::sd_jwt::SdJwtVcMinter::generate();
        let minter: crate::issuer::sd_jwt::SdJwtVcMinter = minter;
        assert!(minter.public_jwk().is_object());
    }
}
