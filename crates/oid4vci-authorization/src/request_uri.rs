//! `request_uri` values of pushed authorization requests (RFC 9126 §2.2).

/// The prefix RFC 9126 §2.2 gives for request URIs.
pub const PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Longest `request_uri` accepted from a client.
pub const MAX_LEN: usize = 128;

/// The `request_uri` for a secret reference (base64url characters).
pub fn from_secret(secret: &str) -> String {
    format!("{PREFIX}{secret}")
}

/// The secret part of a `request_uri`, if it has this server's form: the prefix, then 16 to 86
/// base64url characters, at most [`MAX_LEN`] in all.
pub fn secret_of(request_uri: &str) -> Option<&str> {
    if request_uri.len() > MAX_LEN {
        return None;
    }
    let secret = request_uri.strip_prefix(PREFIX)?;
    let ok = (16..=86).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_foreign_forms() {
        let uri = from_secret("abcdefghijklmnopqrstuv");
        assert_eq!(secret_of(&uri), Some("abcdefghijklmnopqrstuv"));
        assert_eq!(
            secret_of("https://as.example/req/abcdefghijklmnopqrstuv"),
            None
        );
        assert_eq!(secret_of(&from_secret("short")), None);
        assert_eq!(secret_of(&from_secret("has space in it......")), None);
        assert_eq!(secret_of(&from_secret(&"a".repeat(200))), None);
    }
}
