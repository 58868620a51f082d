//! What the console's handlers share: its configuration and the issuer.

use super::feed::ConsoleFeed;
use super::sign_ins::SignIns;
use super::wallet_debug::WalletDebugLog;
use oid4vci_issuer::{CredentialMinter, Issuer, SessionStore};
use std::sync::Arc;

/// How the console runs: the admin token it signs in with, whether cookies are `Secure`, the
/// feed of session changes that drives live updates, and the wallet debugging log.
#[derive(Clone)]
pub struct ConsoleConfig {
    pub(crate) admin_token: String,
    pub(crate) secure_cookies: bool,
    pub(crate) feed: Arc<ConsoleFeed>,
    pub(crate) wallet_debug: Option<Arc<WalletDebugLog>>,
    pub(crate) proof_checker: Option<String>,
}

impl std::fmt::Debug for ConsoleConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleConfig")
            .field("admin_token", &"[redacted]")
            .field("secure_cookies", &self.secure_cookies)
            .field("wallet_debug", &self.wallet_debug.is_some())
            .field("proof_checker", &self.proof_checker)
            .finish()
    }
}

impl ConsoleConfig {
    /// Signs in with `admin_token`; `feed` must also be an event observer of the issuer (see
    /// [`ConsoleFeed`]) for session pages to update the moment something happens (else they
    /// refresh every two seconds).
    pub fn new(admin_token: impl Into<String>, feed: Arc<ConsoleFeed>) -> Self {
        ConsoleConfig {
            admin_token: admin_token.into(),
            secure_cookies: false,
            feed,
            wallet_debug: None,
            proof_checker: None,
        }
    }

    /// Marks the sign-in cookie `Secure` (set it when the console is served over TLS).
    pub fn secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }

    /// Wallet debugging mode: the console shows the refused wallet requests `log` keeps (mount
    /// [`record_refused_requests`](super::record_refused_requests) on the wallet router with
    /// the same log).
    pub fn with_wallet_debug(mut self, log: Arc<WalletDebugLog>) -> Self {
        self.wallet_debug = Some(log);
        self
    }

    /// Links the browser proof checker at `path` from the console's navigation.
    pub fn with_proof_checker(mut self, path: impl Into<String>) -> Self {
        self.proof_checker = Some(path.into());
        self
    }
}

/// What every console handler shares.
pub(crate) struct Console<S: SessionStore, M: CredentialMinter> {
    pub(crate) issuer: Arc<Issuer<S, M>>,
    pub(crate) config: ConsoleConfig,
    pub(crate) sign_ins: SignIns,
}
