//! [`Pkcs11Error`]: why the token could not be used.

/// Why a PKCS#11 key could not be opened, generated or used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The module could not be loaded or initialised.
    #[error("PKCS#11 module {module}: {reason}")]
    Module {
        /// The module's path.
        module: String,
        /// What went wrong.
        reason: String,
    },
    /// No token has this label.
    #[error("no PKCS#11 token is labelled {0:?}")]
    TokenNotFound(String),
    /// The PIN was refused, or logging in failed.
    #[error("logging in to the token failed: {0}")]
    Login(String),
    /// The PIN could not be read from its source.
    #[error("the PIN could not be read: {0}")]
    Pin(String),
    /// No key pair has this label.
    #[error("the token has no {what} labelled {label:?}")]
    KeyNotFound {
        /// `private key` or `public key`.
        what: &'static str,
        /// The label looked for.
        label: String,
    },
    /// More than one object has this label.
    #[error("the token has {count} {what}s labelled {label:?}; labels must be unique")]
    KeyAmbiguous {
        /// `private key` or `public key`.
        what: &'static str,
        /// The label.
        label: String,
        /// How many were found.
        count: usize,
    },
    /// A key with this label exists already (generation never replaces one).
    #[error("the token already has a key labelled {0:?}")]
    KeyExists(String),
    /// The key is not a P-256 key, or its public point cannot be read.
    #[error("the key is not usable for ES256: {0}")]
    KeyUnsupported(String),
    /// The token refused an operation.
    #[error("PKCS#11 {operation}: {reason}")]
    Token {
        /// The operation (`C_Sign`, `C_OpenSession`, …).
        operation: &'static str,
        /// The token's answer.
        reason: String,
    },
}

impl Pkcs11Error {
    pub(crate) fn token(operation: &'static str, e: impl std::fmt::Display) -> Self {
        Pkcs11Error::Token {
            operation,
            reason: e.to_string(),
        }
    }
}
