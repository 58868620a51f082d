//! [`SecretString`]: a string whose value never shows in `Debug` output.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A bearer secret on the wire (pre-authorized code, transaction code, access token, authorization
/// code). Serialises as a plain string; `Debug` prints only its length.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(value.into())
    }

    /// The secret itself. Call only where the value is needed (hashing, sending it to its owner).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretString(<redacted, {} bytes>)", self.0.len())
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        SecretString(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        SecretString(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let s = SecretString::new("SplxlOBeZQQYbYS6WxSbIA");
        let shown = format!("{s:?}");
        assert!(!shown.contains("Splx"));
        assert!(shown.contains("22 bytes"));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            "\"SplxlOBeZQQYbYS6WxSbIA\""
        );
    }
}
