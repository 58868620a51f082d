//! Which `redirect_uri` a wallet may use (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §2.1, HAIP).
//!
//! Wallets are public clients, usually without registration. Without an allow-list, a
//! `redirect_uri` is accepted when it is an absolute `https` URL, a private-use URI scheme
//! (RFC 8252 §7.1, e.g. `eu.europa.ec.eudi.wallet://authorized`), or a loopback `http` URL
//! (RFC 8252 §7.3); never with a fragment, user info, or a scheme that runs code in the browser.
//! With an allow-list, it must equal one of the listed URIs exactly (RFC 9700 §4.1.3).

use serde::{Deserialize, Serialize};

/// Longest `redirect_uri` accepted.
pub const MAX_LEN: usize = 2048;

/// Schemes that are never a private-use redirect target.
const FORBIDDEN_SCHEMES: &[&str] = &[
    "javascript",
    "data",
    "vbscript",
    "file",
    "blob",
    "about",
    "ftp",
    "ws",
    "wss",
    "filesystem",
    "view-source",
];

/// Parameters the authorization response adds to the redirect URI.
const RESPONSE_PARAMETERS: &[&str] = &[
    "code",
    "state",
    "iss",
    "error",
    "error_description",
    "error_uri",
];

/// The redirect rules of an authorization server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectRules {
    /// When set, the only accepted redirect URIs (exact string match).
    #[serde(default)]
    pub allow_list: Option<Vec<String>>,
}

impl RedirectRules {
    /// Checks a `redirect_uri` from an authorization request; the error says why it is refused.
    pub fn check(&self, redirect_uri: &str) -> Result<(), String> {
        if redirect_uri.len() > MAX_LEN {
            return Err(format!("redirect_uri is longer than {MAX_LEN} characters"));
        }
        if let Some(list) = &self.allow_list {
            return if list.iter().any(|u| u == redirect_uri) {
                Ok(())
            } else {
                Err(
                    "redirect_uri is not one of the redirect URIs this authorization server allows"
                        .into(),
                )
            };
        }
        let url = url::Url::parse(redirect_uri)
            .map_err(|e| format!("redirect_uri is not an absolute URI: {e}"))?;
        // The authorization response adds these: a redirect_uri carrying its own would send the
        // wallet two of each, the attacker's first (RFC 6749 Section 4.1.2, RFC 9207).
        if let Some((name, _)) = url
            .query_pairs()
            .find(|(name, _)| RESPONSE_PARAMETERS.contains(&name.as_ref()))
        {
            return Err(format!(
                "redirect_uri must not carry the response parameter {name} (the authorization response adds it)"
            ));
        }
        if url.fragment().is_some() {
            return Err("redirect_uri must not contain a fragment (RFC 6749 Section 3.1.2)".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("redirect_uri must not contain user information".into());
        }
        match url.scheme() {
            "https" if url.host().is_some() => Ok(()),
            "http" if is_loopback(&url) => Ok(()),
            "http" | "https" => Err(
                "redirect_uri must use https (plain http only on a loopback address, RFC 8252 Section 7.3)"
                    .into(),
            ),
            scheme if FORBIDDEN_SCHEMES.contains(&scheme) => {
                Err(format!("the {scheme}: scheme is not allowed in redirect_uri"))
            }
            // RFC 8252 Section 7.1: a private-use scheme is a reverse domain name the wallet
            // controls (com.example.wallet:), never a bare word another app may also claim.
            scheme if scheme.contains('.') => Ok(()),
            scheme => Err(format!(
                "the {scheme}: scheme is not a private-use URI scheme; use a reverse domain name you control (RFC 8252 Section 7.1), e.g. com.example.wallet:/cb"
            )),
        }
    }
}

/// Where a redirect URI sends the user, as the consent page should show it: the origin
/// (`https://host[:port]`) with an internationalised host in its ASCII (punycode) form, so a
/// look-alike such as `wället.example` reads `xn--wllet-gra.example` and cannot pass for
/// `wallet.example`; for a private-use URI its scheme (`com.example.wallet:`).
pub fn origin_of(redirect_uri: &str) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(url) if url.scheme() == "https" || url.scheme() == "http" => {
            let host = url.host_str().unwrap_or_default();
            match url.port() {
                Some(port) => format!("{}://{host}:{port}", url.scheme()),
                None => format!("{}://{host}", url.scheme()),
            }
        }
        Ok(url) => format!("{}:", url.scheme()),
        Err(_) => {
            let scheme = redirect_uri.split(':').next().unwrap_or_default();
            format!("{scheme}:")
        }
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_rules_accept_wallet_forms_and_refuse_dangerous_ones() {
        let open = RedirectRules::default();
        for ok in [
            "https://wallet.example/cb",
            "eu.europa.ec.eudi.wallet://authorized",
            "com.example.wallet:/cb?x=1",
            "http://127.0.0.1:4000/cb",
            "http://localhost/cb",
        ] {
            assert_eq!(open.check(ok), Ok(()), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "http://wallet.example/cb",
            "https://wallet.example/cb#frag",
            "https://user:pw@wallet.example/cb",
            "/relative",
            "",
            // Not private-use schemes (RFC 8252 Section 7.1): bare words and well-known ones.
            "openid-credential://cb",
            "jar:https://x/y!/z",
            "chrome://settings",
            "mailto:a@b.example",
            "tel:+1",
            "evil:steal",
            // Response parameters of its own (issue #20 finding 9).
            "https://wallet.example/cb?code=attacker",
            "https://wallet.example/cb?state=x",
            "https://wallet.example/cb?iss=https://evil.example",
            "com.example.wallet:/cb?error=access_denied",
        ] {
            assert!(open.check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_allow_list_is_exact() {
        let rules = RedirectRules {
            allow_list: Some(vec!["https://wallet.example/cb".into()]),
        };
        assert_eq!(rules.check("https://wallet.example/cb"), Ok(()));
        assert!(rules.check("https://wallet.example/cb/").is_err());
        assert!(rules.check("https://wallet.example/cb?x").is_err());
    }
}
