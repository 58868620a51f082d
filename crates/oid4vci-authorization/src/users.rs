//! Who may approve an authorization request: the [`UserDirectory`] port and a [`DemoUser`].

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use subtle::ConstantTimeEq;

/// A user the directory authenticated.
#[derive(Clone, PartialEq)]
pub struct AuthenticatedUser {
    /// The subject identifier (becomes the session's `subject_id`).
    pub subject: String,
    /// Claims per credential configuration id, for requests not bound to an offer with claims.
    pub claims: BTreeMap<String, Value>,
}

impl fmt::Debug for AuthenticatedUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticatedUser")
            .field("subject", &self.subject)
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// What the login form shows before the user types (a demo convenience).
#[derive(Clone, PartialEq, Eq)]
pub struct LoginPrefill {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for LoginPrefill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginPrefill")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Checks user names and passwords. Implement it over your identity provider.
pub trait UserDirectory: Send + Sync + 'static {
    /// The user with these credentials, if they are right.
    fn authenticate(&self, username: &str, password: &str) -> Option<AuthenticatedUser>;

    /// Values to prefill the login form with (none by default).
    fn prefill(&self) -> Option<LoginPrefill> {
        None
    }

    /// The claims (per configuration id) of a user an external authorization server
    /// authenticated as `subject` (none by default).
    fn claims_of(&self, subject: &str) -> Option<BTreeMap<String, Value>> {
        let _ = subject;
        None
    }
}

/// One configured user whose credentials are prefilled in the login form, so that submitting the
/// page as served approves the request (a demo issuer's user, never a production one).
#[derive(Clone)]
pub struct DemoUser {
    username: String,
    password: String,
    claims: BTreeMap<String, Value>,
}

impl fmt::Debug for DemoUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoUser")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl DemoUser {
    /// A user with these credentials and claims per configuration id.
    pub fn new(
        username: impl Into<String>,
        password: impl Into<String>,
        claims: BTreeMap<String, Value>,
    ) -> Self {
        DemoUser {
            username: username.into(),
            password: password.into(),
            claims,
        }
    }
}

fn same(a: &str, b: &str) -> bool {
    bool::from(Sha256::digest(a.as_bytes()).ct_eq(&Sha256::digest(b.as_bytes())))
}

impl UserDirectory for DemoUser {
    fn authenticate(&self, username: &str, password: &str) -> Option<AuthenticatedUser> {
        // Both compared, in constant time, whatever the first says.
        let ok = same(username, &self.username) & same(password, &self.password);
        ok.then(|| AuthenticatedUser {
            subject: self.username.clone(),
            claims: self.claims.clone(),
        })
    }

    fn claims_of(&self, subject: &str) -> Option<BTreeMap<String, Value>> {
        (subject == self.username).then(|| self.claims.clone())
    }

    fn prefill(&self) -> Option<LoginPrefill> {
        Some(LoginPrefill {
            username: self.username.clone(),
            password: self.password.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_user_needs_both_right_and_hides_its_password() {
        let user = DemoUser::new("erika", "s3cret", BTreeMap::new());
        assert!(user.authenticate("erika", "s3cret").is_some());
        assert!(user.authenticate("erika", "wrong").is_none());
        assert!(user.authenticate("max", "s3cret").is_none());
        assert!(!format!("{user:?} {:?}", user.prefill()).contains("s3cret"));
    }
}
