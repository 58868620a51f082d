//! What this crate accepts: the request size and the algorithms (a module of its own, so the
//! errors that name them depend on it and not on the crate root).

/// Largest compact JWE request accepted (the HTTP adapters cap bodies at 64 KiB as well).
pub const MAX_JWE_LEN: usize = 64 * 1024;

/// Content encryption algorithms accepted and offered.
pub const ENC_VALUES: [&str; 2] = ["A128GCM", "A256GCM"];

/// Key management algorithms a wallet may ask for in `credential_response_encryption`.
pub const RESPONSE_ALG_VALUES: [&str; 3] = ["ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A256KW"];

/// Compression a wallet may ask for in `credential_response_encryption.zip`: DEFLATE (RFC 7516
/// Section 4.1.3, RFC 1951), applied to the response before it is encrypted. Requests stay
/// uncompressed (the request metadata names no `zip_values_supported`), so the issuer never
/// inflates what a wallet sent.
pub const RESPONSE_ZIP_VALUES: [&str; 1] = ["DEF"];
