//! [`Diagnostic`]: the JSON explanation of a rejected proof, and its `error_description` form.

use serde::{Deserialize, Serialize};

/// Maximum length of [`Diagnostic::error_description`], in bytes.
pub const MAX_ERROR_DESCRIPTION_LEN: usize = 400;

/// Why a proof was rejected, for humans and machines. Carried as the `diagnostic` extension
/// member of the Credential Error Response and printed by `oid4vci proof check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The OAuth error code: `invalid_proof` or `invalid_nonce` (OID4VCI 1.0 Section 8.3.1.2).
    pub error: String,
    /// The stable snake_case code (see [`crate::ProofError::code`]).
    pub code: String,
    /// What was found.
    pub reason: String,
    /// How to fix it.
    pub help: String,
    /// What the issuer expected.
    pub expected: String,
    /// What the proof contained.
    pub found: String,
    /// The rule that applies, e.g. `"OID4VCI 1.0 Appendix F.1"`.
    pub spec_ref: String,
    /// Position of the failing proof in `proofs.jwt`, for batch requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

impl Diagnostic {
    /// A one-line `error_description` (RFC 6749 Section 5.2): only `%x20-21 / %x23-5B / %x5D-7E`
    /// (printable ASCII without `"` and `\`), at most [`MAX_ERROR_DESCRIPTION_LEN`] bytes.
    /// Disallowed characters are replaced (`"` by `'`, `\` by `/`, anything else by `?`).
    pub fn error_description(&self) -> String {
        let mut text = String::new();
        if let Some(i) = self.index {
            text.push_str(&format!("proof {i}: "));
        }
        text.push_str(&self.reason);
        if !self.spec_ref.is_empty() {
            text.push_str(" (");
            text.push_str(&self.spec_ref);
            text.push(')');
        }
        sanitize_error_description(&text, MAX_ERROR_DESCRIPTION_LEN)
    }
}

/// Maps `text` into the RFC 6749 §5.2 `error_description` character set and bounds its length.
pub fn sanitize_error_description(text: &str, max_len: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_len));
    for c in text.chars() {
        let mapped = match c {
            '"' => '\'',
            '\\' => '/',
            '\n' | '\r' | '\t' => ' ',
            '\u{2026}' => '.',
            ' '..='~' => c,
            _ => '?',
        };
        out.push(mapped);
    }
    if out.len() > max_len {
        // All characters are ASCII now, so any byte index is a char boundary.
        out.truncate(max_len.saturating_sub(3));
        out.push_str("...");
    }
    out
}

/// True if `s` is a valid RFC 6749 `error_description`.
pub fn is_valid_error_description(s: &str) -> bool {
    s.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_charset_and_length() {
        let d = Diagnostic {
            error: "invalid_proof".into(),
            code: "invalid_typ".into(),
            reason: "typ is \"JWT\" \\ caf\u{e9}\n".repeat(40),
            help: String::new(),
            expected: String::new(),
            found: String::new(),
            spec_ref: "OID4VCI 1.0 Appendix F.1".into(),
            index: Some(2),
        };
        let s = d.error_description();
        assert!(is_valid_error_description(&s), "{s}");
        assert!(s.len() <= MAX_ERROR_DESCRIPTION_LEN);
        assert!(s.starts_with("proof 2: typ is 'JWT' / caf? "));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["index"], 2);
    }
}
