//! The URL rules the spec places on identifiers (Section 12.2.1) and references (Section 4.1.3).
//!
//! Only what the spec requires is checked: scheme, a non-empty host, no query or fragment where
//! forbidden. Plain `http` is accepted for loopback hosts so a development issuer on
//! `http://127.0.0.1:8080` works; anything else must be `https`.

/// True for `localhost`, `127.0.0.0/8` and `[::1]` (with or without a port).
pub fn is_loopback_authority(authority: &str) -> bool {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    host.eq_ignore_ascii_case("localhost") || host == "::1" || host.starts_with("127.")
}

fn split_scheme(url: &str) -> Result<(&str, &str), String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("https://") {
        Ok(("https", url.get(8..).unwrap_or_default()))
    } else if lower.starts_with("http://") {
        Ok(("http", url.get(7..).unwrap_or_default()))
    } else {
        Err(format!("`{}` is not an https URL", truncate(url)))
    }
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

fn authority_of(rest: &str) -> &str {
    rest.split(['/', '?', '#']).next().unwrap_or_default()
}

/// Checks a Credential Issuer Identifier (Section 12.2.1): https (http on loopback), a host, no
/// query and no fragment.
pub fn check_https_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = split_scheme(url)?;
    let authority = authority_of(rest);
    if authority.is_empty() || authority.contains('@') {
        return Err(format!("`{}` has no valid host", truncate(url)));
    }
    if scheme == "http" && !is_loopback_authority(authority) {
        return Err(format!(
            "`{}` must use https (OID4VCI 1.0 Section 12.2.1)",
            truncate(url)
        ));
    }
    if rest.contains('?') || rest.contains('#') {
        return Err(format!(
            "`{}` must not have a query or fragment (OID4VCI 1.0 Section 12.2.1)",
            truncate(url)
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("URL contains white space or control characters".into());
    }
    Ok(())
}

/// Checks a URL that may carry a query (offer references, endpoints): https (http on loopback)
/// and a host.
pub fn check_http_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = split_scheme(url)?;
    let authority = authority_of(rest);
    if authority.is_empty() || authority.contains('@') {
        return Err(format!("`{}` has no valid host", truncate(url)));
    }
    if scheme == "http" && !is_loopback_authority(authority) {
        return Err(format!("`{}` must use https", truncate(url)));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("URL contains white space or control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_identifier_rules() {
        assert!(check_https_url("https://issuer.example.com").is_ok());
        assert!(check_https_url("https://issuer.example.com/tenant").is_ok());
        assert!(check_https_url("http://127.0.0.1:8080").is_ok());
        assert!(check_https_url("http://localhost:8080/x").is_ok());
        assert!(check_https_url("http://[::1]:8080").is_ok());
        assert!(check_https_url("http://issuer.example.com").is_err());
        assert!(check_https_url("https://issuer.example.com?x=1").is_err());
        assert!(check_https_url("https://issuer.example.com/#f").is_err());
        assert!(check_https_url("https://").is_err());
        assert!(check_https_url("ftp://issuer.example.com").is_err());
        assert!(check_https_url("https://user@evil.example").is_err());
        assert!(check_http_url("https://server.example.com/offer?id=1").is_ok());
    }
}
