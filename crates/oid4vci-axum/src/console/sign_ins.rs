//! The console's sign-ins: a random cookie kept by its hash, the anti-CSRF token of each
//! sign-in, and the count of recent wrong tokens.

use axum::http::{header, HeaderMap};
use oid4vci_issuer::{random_token, OsSecretSource, SecretHash};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The sign-in cookie.
pub(crate) const COOKIE: &str = "oid4vci_console";
/// The sign-in form's double-submit cookie.
pub(crate) const FORM_COOKIE: &str = "oid4vci_console_form";
/// How long a sign-in lasts.
pub(crate) const SIGN_IN_TTL: Duration = Duration::from_secs(8 * 3600);
/// Most sign-ins kept at once (the oldest goes first).
const MAX_SIGN_INS: usize = 256;
/// Wrong tokens allowed per minute and client address before sign-in pauses for it.
const MAX_FAILURES_PER_MINUTE: u32 = 10;
/// Most addresses whose wrong tokens are counted at once (the stalest go first).
const MAX_COUNTED_ADDRESSES: usize = 4096;
/// The window wrong tokens are counted in.
const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// A signed-in operator: the token their forms must carry.
#[derive(Clone)]
pub(crate) struct SignedIn {
    pub(crate) csrf: String,
}

struct SignIn {
    csrf: String,
    expires: Instant,
}

/// The sign-ins of this process (by the hash of their cookie) and recent wrong tokens by
/// client address (`None`: the address is unknown).
#[derive(Default)]
pub(crate) struct SignIns {
    open: Mutex<HashMap<SecretHash, SignIn>>,
    failures: Mutex<HashMap<Option<IpAddr>, (Instant, u32)>>,
}

impl SignIns {
    /// A new sign-in: its cookie value and anti-CSRF token.
    pub(crate) fn open(&self) -> (String, String) {
        let cookie = random_token(&OsSecretSource, 32);
        let csrf = random_token(&OsSecretSource, 24);
        let now = Instant::now();
        if let Ok(mut open) = self.open.lock() {
            open.retain(|_, s| s.expires > now);
            if open.len() >= MAX_SIGN_INS {
                let oldest = open.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k);
                if let Some(oldest) = oldest {
                    open.remove(&oldest);
                }
            }
            let sign_in = SignIn {
                csrf: csrf.clone(),
                expires: now + SIGN_IN_TTL,
            };
            open.insert(SecretHash::of(&cookie), sign_in);
        }
        (cookie, csrf)
    }

    /// The sign-in the request's cookie names, if it is open.
    pub(crate) fn current(&self, headers: &HeaderMap) -> Option<SignedIn> {
        let hash = SecretHash::of(cookie(headers, COOKIE)?);
        let open = self.open.lock().ok()?;
        let sign_in = open.get(&hash).filter(|s| s.expires > Instant::now())?;
        Some(SignedIn {
            csrf: sign_in.csrf.clone(),
        })
    }

    pub(crate) fn close(&self, headers: &HeaderMap) {
        if let (Some(value), Ok(mut open)) = (cookie(headers, COOKIE), self.open.lock()) {
            open.remove(&SecretHash::of(value));
        }
    }

    /// `false` while sign-in is paused for `address` (too many wrong tokens from it lately).
    pub(crate) fn may_try(&self, address: Option<IpAddr>) -> bool {
        let Ok(failures) = self.failures.lock() else {
            return false;
        };
        failures.get(&address).is_none_or(|(since, n)| {
            since.elapsed() > FAILURE_WINDOW || *n < MAX_FAILURES_PER_MINUTE
        })
    }

    /// Counts a wrong token from `address`.
    pub(crate) fn failed(&self, address: Option<IpAddr>) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        failures.retain(|_, (since, _)| since.elapsed() <= FAILURE_WINDOW);
        if failures.len() >= MAX_COUNTED_ADDRESSES && !failures.contains_key(&address) {
            let stalest = failures
                .iter()
                .min_by_key(|(_, (since, _))| *since)
                .map(|(a, _)| *a);
            if let Some(stalest) = stalest {
                failures.remove(&stalest);
            }
        }
        let entry = failures.entry(address).or_insert((Instant::now(), 0));
        entry.1 += 1;
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Equal, in time independent of where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_tokens_pause_sign_in_for_their_address_only() {
        let sign_ins = SignIns::default();
        let attacker = Some(IpAddr::from([192, 0, 2, 1]));
        let operator = Some(IpAddr::from([192, 0, 2, 2]));
        for _ in 0..MAX_FAILURES_PER_MINUTE {
            assert!(sign_ins.may_try(attacker));
            sign_ins.failed(attacker);
        }
        assert!(
            !sign_ins.may_try(attacker),
            "paused after {MAX_FAILURES_PER_MINUTE}"
        );
        assert!(
            sign_ins.may_try(operator),
            "another address may still sign in"
        );
        assert!(sign_ins.may_try(None));
    }
}
