//! [`MdocError`]: why an mdoc could not be minted.

/// Minting an mdoc failed. Every variant names what was wrong; none carries secrets.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MdocError {
    /// The configuration is not `mso_mdoc`.
    #[error("MdocMinter issues mso_mdoc only, not {0}")]
    WrongFormat(String),
    /// The configuration has no `doctype`.
    #[error("the mso_mdoc configuration has no doctype")]
    MissingDoctype,
    /// The claims are not a JSON object.
    #[error("mdoc claims must be a JSON object ({{namespace: {{element: value}}}} or flat)")]
    ClaimsNotObject,
    /// An identifier (namespace or data element) is empty or carries control or bidi characters.
    #[error("{0} is not a usable mdoc identifier: it must be non-empty text without control or bidirectional-formatting characters")]
    BadIdentifier(String),
    /// There are no claims to issue.
    #[error("an mdoc needs at least one data element")]
    NoElements,
    /// A limit was exceeded (`what`, the size found, the limit).
    #[error("{what} is {found}, more than the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The size found.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// An mdoc binds a device key; the request had no holder key.
    #[error("mso_mdoc needs a holder key (cryptographic_binding_methods_supported: cose_key)")]
    MissingHolderKey,
    /// The holder key cannot be a device key (only P-256 EC2 keys are supported).
    #[error("unsupported holder key for an mdoc device key: {0}")]
    HolderKey(String),
    /// The issuer has no certificate for the `x5chain` header.
    #[error("the issuer needs its document-signer certificate for x5chain")]
    NoCertificate,
    /// A time is out of range for a `tdate`.
    #[error("time out of range: {0}")]
    Time(String),
    /// CBOR or COSE encoding failed.
    #[error("CBOR/COSE encoding failed: {0}")]
    Encoding(String),
    /// The issuer key could not sign.
    #[error("signing failed: {0}")]
    Signing(String),
}

#[cfg(feature = "minter")]
impl From<MdocError> for oid4vci_issuer::MintError {
    fn from(e: MdocError) -> Self {
        oid4vci_issuer::MintError(e.to_string())
    }
}
