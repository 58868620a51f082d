//! [`JweError`]: why an encrypted request could not be opened or a response key cannot be used,
//! one variant per reason, described in this crate's words.

use std::fmt;

use crate::params::{ENC_VALUES, MAX_JWE_LEN, RESPONSE_ALG_VALUES};
use oid4vci_issuer::EncryptionError;

/// Longest library text kept in a [`LibraryDetail`].
const MAX_DETAIL_LEN: usize = 1024;

/// The crypto library's own account of a failure (josekit's text, with OpenSSL's error stack:
/// function names and source paths). It is for the operator's log only: [`JweError`]'s
/// `Display`, which becomes the wallet's `error_description`, never includes it (CWE-209). It
/// is the error's [`source`](std::error::Error::source), so do not print a `JweError`'s source
/// chain where a wallet can read it.
#[derive(Clone, PartialEq, Eq)]
pub struct LibraryDetail(String);

impl LibraryDetail {
    pub(crate) fn of(error: &josekit::JoseError) -> Self {
        LibraryDetail(error.to_string().chars().take(MAX_DETAIL_LEN).collect())
    }

    /// The library's text (at most 1024 characters).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LibraryDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LibraryDetail").field(&self.0).finish()
    }
}

impl fmt::Display for LibraryDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LibraryDetail {}

/// A part of a compact JWE (RFC 7516 Section 7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwePart {
    /// The protected header.
    Header,
    /// The encrypted key (empty with ECDH-ES direct key agreement).
    EncryptedKey,
    /// The initialization vector.
    Iv,
    /// The ciphertext.
    Ciphertext,
    /// The authentication tag.
    Tag,
}

impl fmt::Display for JwePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JwePart::Header => "header",
            JwePart::EncryptedKey => "encrypted key",
            JwePart::Iv => "IV",
            JwePart::Ciphertext => "ciphertext",
            JwePart::Tag => "authentication tag",
        })
    }
}

/// Why an encrypted request could not be opened, or why the wallet's response encryption
/// parameters cannot be used. `Display` says what was wrong in this crate's words and is what
/// the wallet reads (the issuer sends it as the `error_description` of
/// `invalid_encryption_parameters`); where the crypto library refused, its own text is only in
/// [`detail`](JweError::detail), for the log.
///
/// Values the wallet sent (an `alg`, a `kid`) appear shortened to 40 printable characters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JweError {
    /// The request is larger than [`MAX_JWE_LEN`].
    #[error("the JWE is {len} bytes; at most {MAX_JWE_LEN} are accepted")]
    TooLarge {
        /// Its length in bytes.
        len: usize,
    },
    /// Not five dot-separated parts.
    #[error("a compact JWE has 5 dot-separated parts; this has {parts}")]
    PartCount {
        /// How many there are.
        parts: usize,
    },
    /// The protected header is over 4096 base64url characters.
    #[error("the JWE header is too large (at most 4096 characters)")]
    HeaderTooLarge,
    /// A part is not unpadded base64url.
    #[error("the JWE {part} is not base64url")]
    NotBase64url {
        /// Which part.
        part: JwePart,
    },
    /// The protected header is not a JSON object.
    #[error("the JWE header is not a JSON object")]
    HeaderNotObject,
    /// A required header parameter is missing or not a string.
    #[error("the JWE header has no {name}")]
    MissingHeader {
        /// The parameter (`alg`, `enc`).
        name: &'static str,
    },
    /// A request `alg` other than `ECDH-ES`.
    #[error("alg {alg} is not supported for requests; use ECDH-ES")]
    RequestAlgUnsupported {
        /// The `alg` sent.
        alg: String,
    },
    /// An `enc` other than those of [`ENC_VALUES`] (request or response).
    #[error("enc {enc} is not supported; use one of {}", ENC_VALUES.join(", "))]
    EncUnsupported {
        /// The `enc` sent.
        enc: String,
    },
    /// A compressed (`zip`) request.
    #[error("compressed (zip) requests are not accepted; zip_values_supported is empty")]
    Compressed,
    /// A `crit` that is not a non-empty array of strings (RFC 7516 Section 4.1.13).
    #[error("crit must be a non-empty array of header parameter names (RFC 7516 Section 4.1.13)")]
    CritMalformed,
    /// A `crit` listing extensions: this issuer understands none, so it must refuse the JWE
    /// (RFC 7516 Section 4.1.13).
    #[error("the JWE header lists crit extensions ({names}); this issuer understands none (RFC 7516 Section 4.1.13)")]
    CritUnsupported {
        /// The names listed.
        names: String,
    },
    /// No `epk` object in the header.
    #[error("the JWE header has no epk (the ephemeral public key of ECDH-ES)")]
    EpkMissing,
    /// An `epk` that is not a P-256 public key on its curve.
    #[error(
        "the epk must be a P-256 public key on its curve (kty EC, crv P-256, x and y of 32 bytes)"
    )]
    EpkInvalid,
    /// An encrypted key with ECDH-ES (direct key agreement has none).
    #[error("with ECDH-ES (direct key agreement) the encrypted key part must be empty")]
    EncryptedKeyPresent,
    /// An IV of the wrong length for the `enc` (96 bits for AES-GCM).
    #[error("the JWE IV must be {} bits ({expected} bytes) for {enc}; it has {len} bytes", .expected * 8)]
    IvLength {
        /// The `enc`.
        enc: String,
        /// The length it needs, in bytes.
        expected: usize,
        /// The length sent, in bytes.
        len: usize,
    },
    /// An authentication tag of the wrong length for the `enc` (128 bits for AES-GCM).
    #[error("the JWE authentication tag must be {} bits ({expected} bytes) for {enc}; it has {len} bytes", .expected * 8)]
    TagLength {
        /// The `enc`.
        enc: String,
        /// The length it needs, in bytes.
        expected: usize,
        /// The length sent, in bytes.
        len: usize,
    },
    /// A `kid` naming none of the issuer's request keys.
    #[error("kid {kid} is not one of this issuer's credential_request_encryption keys")]
    UnknownKid {
        /// The `kid` sent.
        kid: String,
    },
    /// No `kid`, and the issuer has more than one request key.
    #[error(
        "the JWE header has no kid; name the credential_request_encryption key it is encrypted to"
    )]
    KidRequired,
    /// Well formed, but it does not decrypt: altered, or encrypted to another key.
    #[error("it does not decrypt with key {kid}: the ciphertext or its authentication tag was altered, or it was encrypted to another key")]
    Undecryptable {
        /// The issuer key tried.
        kid: String,
        /// What the library said.
        #[source]
        detail: LibraryDetail,
    },
    /// A response `zip` other than those of [`RESPONSE_ZIP_VALUES`](crate::RESPONSE_ZIP_VALUES).
    #[error("zip {zip} is not supported; use DEF or omit zip")]
    ZipUnsupported {
        /// The `zip` sent.
        zip: String,
    },
    /// The response `jwk` is not a JSON object.
    #[error("jwk must be a JSON object (the wallet's public key)")]
    JwkNotObject,
    /// The response `jwk` carries a private key.
    #[error("jwk contains a private key (d); send only the public key")]
    PrivateJwk,
    /// The `jwk`'s `alg` and the request's `alg` differ.
    #[error("the jwk's alg and the request's alg differ")]
    AlgMismatch,
    /// Neither the `jwk` nor the request names an `alg`.
    #[error("the jwk has no alg; set it to ECDH-ES (OID4VCI 1.0 Section 10)")]
    AlgMissing,
    /// A response `alg` other than those of [`RESPONSE_ALG_VALUES`].
    #[error("alg {alg} is not supported; use one of {}", RESPONSE_ALG_VALUES.join(", "))]
    ResponseAlgUnsupported {
        /// The `alg` sent.
        alg: String,
    },
    /// The response key cannot be used for the `alg`: not a key of a supported curve, off its
    /// curve, or an X25519 point of low order (RFC 7748 Section 6.1), found by a trial key
    /// agreement.
    #[error("jwk is not a usable public key for this alg: an EC key on its curve (kty EC, crv P-256, P-384 or P-521, x, y) or an X25519 key (kty OKP, crv X25519, x) that is not of low order")]
    UnusableKey {
        /// What the library said.
        #[source]
        detail: LibraryDetail,
    },
}

impl JweError {
    /// The crypto library's text, when the library refused (for the log, never for the wallet).
    pub fn detail(&self) -> Option<&LibraryDetail> {
        match self {
            JweError::Undecryptable { detail, .. } | JweError::UnusableKey { detail } => {
                Some(detail)
            }
            _ => None,
        }
    }
}

impl From<JweError> for EncryptionError {
    /// The description for the wallet; the library's text is left out.
    fn from(error: JweError) -> Self {
        EncryptionError(error.to_string())
    }
}
