//! [`AuthorizationPolicy`]: how the embedded authorization server behaves.

use crate::rate::RateLimit;
use crate::redirect::RedirectRules;
use crate::throttle::ThrottleRules;

/// Lifetimes are in seconds. Authorization requests must always be pushed first (RFC 9126 §5,
/// HAIP): the metadata says `require_pushed_authorization_requests: true`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationPolicy {
    /// How long a `request_uri` may be used (default 60).
    pub request_uri_ttl: u64,
    /// How long an authorization code may be redeemed (default 60, RFC 6749 §4.1.2: at most 10 minutes).
    pub code_ttl: u64,
    /// How long the user has to approve once the page is shown (default 600).
    pub login_ttl: u64,
    /// Wrong passwords allowed per request before it is denied (default 5).
    pub max_login_attempts: u32,
    /// Which redirect URIs are accepted.
    pub redirect: RedirectRules,
    /// How failed sign-ins back off, per account and per client address.
    pub throttle: ThrottleRules,
    /// Pushed authorization requests per client address (default: 60 at once, then 60 a
    /// minute; each stores a session until it expires). Beyond it: `429` with `Retry-After`.
    pub par_rate: RateLimit,
}

impl Default for AuthorizationPolicy {
    fn default() -> Self {
        AuthorizationPolicy {
            request_uri_ttl: 60,
            code_ttl: 60,
            login_ttl: 600,
            max_login_attempts: 5,
            redirect: RedirectRules::default(),
            throttle: ThrottleRules::default(),
            par_rate: RateLimit {
                burst: 60,
                per_minute: 60,
                max_tracked: 100_000,
            },
        }
    }
}
