//! [`MdocLimits`]: bounds on what the minter accepts and produces.

/// Size limits; the defaults suit identity documents and age attestations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MdocLimits {
    /// Namespaces per mdoc.
    pub max_namespaces: usize,
    /// Data elements per mdoc, over all namespaces.
    pub max_elements: usize,
    /// Bytes of a namespace name or element identifier.
    pub max_identifier_len: usize,
    /// Bytes of one encoded `IssuerSignedItem`.
    pub max_item_bytes: usize,
    /// Bytes of the encoded `IssuerSigned` (before base64url).
    pub max_credential_bytes: usize,
}

impl Default for MdocLimits {
    fn default() -> Self {
        MdocLimits {
            max_namespaces: 16,
            max_elements: 256,
            max_identifier_len: 256,
            max_item_bytes: 64 * 1024,
            max_credential_bytes: 256 * 1024,
        }
    }
}
