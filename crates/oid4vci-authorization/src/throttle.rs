//! [`LoginThrottle`]: exponential back-off for failed sign-ins, per account and per client
//! address (OWASP ASVS V2.2.1, CWE-307).
//!
//! A few wrong passwords are free; after that each further failure makes the account (or the
//! address) wait before the next attempt is even checked: `first_delay`, then twice that, and so
//! on up to `max_delay`. The wait is capped so an attacker who keeps failing on purpose can hold
//! a real user off for at most `max_delay` after they stop; a quiet `forget_after` clears the
//! record. A right password clears the account's record (not the address's: one good account
//! must not reset the count of an address guessing at others).
//!
//! Accounts are keyed by a hash of the user name as typed (trimmed, lower-cased), known or not,
//! so the answer does not say whether a user exists. Addresses are keyed per IPv4 address and
//! per IPv6 `/64` (one subscriber's allocation). The ledger lives in memory, bounded by
//! `max_tracked` entries per kind: when full, records whose wait is over go first, then the
//! oldest. It takes `now` from the caller and keeps no clock.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// How one kind of key (accounts, or addresses) backs off. Times are in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackOff {
    /// Failures allowed before any wait.
    pub free_failures: u32,
    /// The wait after the first failure beyond the free ones; each further failure doubles it.
    pub first_delay: u64,
    /// The longest single wait (bounds how long a deliberate lock-out can last).
    pub max_delay: u64,
    /// Failures are forgotten after this long without one.
    pub forget_after: u64,
}

impl BackOff {
    /// The wait after `failures` failures in a row (0 while they are free).
    pub fn delay_after(&self, failures: u32) -> u64 {
        let Some(beyond) = failures.checked_sub(self.free_failures) else {
            return 0;
        };
        if beyond == 0 {
            return 0;
        }
        let doublings = beyond.saturating_sub(1).min(63);
        self.first_delay
            .saturating_mul(1u64 << doublings)
            .min(self.max_delay)
    }
}

/// The throttling rules of the login page (part of [`crate::AuthorizationPolicy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleRules {
    /// Per account (default: 5 free, then 1 s doubling to 5 minutes, forgotten after an hour).
    pub per_account: BackOff,
    /// Per client address (default: 20 free, then 1 s doubling to 5 minutes, forgotten after
    /// an hour): generous, since many users can share one address.
    pub per_address: BackOff,
    /// Records kept per kind (default 100 000).
    pub max_tracked: usize,
}

impl Default for ThrottleRules {
    fn default() -> Self {
        ThrottleRules {
            per_account: BackOff {
                free_failures: 5,
                first_delay: 1,
                max_delay: 300,
                forget_after: 3600,
            },
            per_address: BackOff {
                free_failures: 20,
                first_delay: 1,
                max_delay: 300,
                forget_after: 3600,
            },
            max_tracked: 100_000,
        }
    }
}

/// Why a sign-in must wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThrottledBy {
    /// Too many recent failures for this account.
    Account,
    /// Too many recent failures from this client address.
    Address,
}

/// A sign-in that must wait: nothing was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled {
    /// Seconds until the next attempt will be checked (at least 1).
    pub retry_after: u64,
    /// Which record made it wait (the longer wait when both do).
    pub by: ThrottledBy,
}

/// Counters of a [`LoginThrottle`], for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThrottleStats {
    /// Sign-ins refused because their account had to wait.
    pub refused_by_account: u64,
    /// Sign-ins refused because their address had to wait.
    pub refused_by_address: u64,
    /// Failures recorded.
    pub failures: u64,
    /// Accounts with a record.
    pub tracked_accounts: usize,
    /// Addresses with a record.
    pub tracked_addresses: usize,
}

#[derive(Clone, Copy, Debug)]
struct Record {
    failures: u32,
    last_failure: u64,
    wait_until: u64,
}

impl Record {
    fn stale(&self, rule: &BackOff, now: u64) -> bool {
        now.saturating_sub(self.last_failure) > rule.forget_after
    }
}

/// A client address as counted: IPv4, or the `/64` of an IPv6 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum AddressKey {
    V4([u8; 4]),
    V6Prefix([u8; 8]),
}

impl AddressKey {
    pub(crate) fn of(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => AddressKey::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => AddressKey::V4(v4.octets()),
                None => {
                    let mut prefix = [0u8; 8];
                    for (to, from) in prefix.iter_mut().zip(v6.octets()) {
                        *to = from;
                    }
                    AddressKey::V6Prefix(prefix)
                }
            },
        }
    }
}

fn account_key(username: &str) -> [u8; 32] {
    Sha256::digest(username.trim().to_lowercase().as_bytes()).into()
}

struct Ledger<K> {
    records: HashMap<K, Record>,
}

impl<K: std::hash::Hash + Eq + Copy> Ledger<K> {
    fn new() -> Self {
        Ledger {
            records: HashMap::new(),
        }
    }

    /// The wait still owed by `key`, forgetting a stale record.
    fn wait(&mut self, key: &K, rule: &BackOff, now: u64) -> u64 {
        match self.records.get(key) {
            Some(r) if r.stale(rule, now) => {
                self.records.remove(key);
                0
            }
            Some(r) => r.wait_until.saturating_sub(now),
            None => 0,
        }
    }

    fn fail(&mut self, key: K, rule: &BackOff, now: u64, max: usize) {
        if !self.records.contains_key(&key) && self.records.len() >= max {
            self.make_room(rule, now, max);
        }
        let record = self.records.entry(key).or_insert(Record {
            failures: 0,
            last_failure: now,
            wait_until: now,
        });
        if record.stale(rule, now) {
            record.failures = 0;
        }
        record.failures = record.failures.saturating_add(1);
        record.last_failure = now;
        record.wait_until = now.saturating_add(rule.delay_after(record.failures));
    }

    fn make_room(&mut self, rule: &BackOff, now: u64, max: usize) {
        // Records that no longer make anyone wait and are past their wait go first.
        self.records
            .retain(|_, r| !r.stale(rule, now) && r.wait_until > now);
        while self.records.len() >= max.max(1) {
            let oldest = self
                .records
                .iter()
                .min_by_key(|(_, r)| r.last_failure)
                .map(|(k, _)| *k);
            match oldest {
                Some(k) => {
                    self.records.remove(&k);
                }
                None => break,
            }
        }
    }
}

/// The in-memory ledger of failed sign-ins (one per issuer instance; share it between the
/// threads of a server, it locks inside): the default [`SignInThrottle`]. `Debug` shows only
/// counters.
pub struct LoginThrottle {
    rules: ThrottleRules,
    accounts: Mutex<Ledger<[u8; 32]>>,
    addresses: Mutex<Ledger<AddressKey>>,
    refused_by_account: AtomicU64,
    refused_by_address: AtomicU64,
    failures: AtomicU64,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginThrottle")
            .field("rules", &self.rules)
            .field("stats", &self.stats())
            .finish()
    }
}

impl LoginThrottle {
    /// An empty ledger with these rules.
    pub fn new(rules: ThrottleRules) -> Self {
        LoginThrottle {
            rules,
            accounts: Mutex::new(Ledger::new()),
            addresses: Mutex::new(Ledger::new()),
            refused_by_account: AtomicU64::new(0),
            refused_by_address: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        }
    }

    /// The rules it applies.
    pub fn rules(&self) -> &ThrottleRules {
        &self.rules
    }

    /// May a sign-in as `username` from `address` be checked now? Call it before checking the
    /// password; a refusal is counted.
    pub fn check(
        &self,
        username: &str,
        address: Option<IpAddr>,
        now: u64,
    ) -> Result<(), Throttled> {
        let account_wait =
            lock(&self.accounts).wait(&account_key(username), &self.rules.per_account, now);
        let address_wait = address.map_or(0, |a| {
            lock(&self.addresses).wait(&AddressKey::of(a), &self.rules.per_address, now)
        });
        let (retry_after, by, counter) = if address_wait > account_wait {
            (address_wait, ThrottledBy::Address, &self.refused_by_address)
        } else {
            (account_wait, ThrottledBy::Account, &self.refused_by_account)
        };
        if retry_after == 0 {
            return Ok(());
        }
        counter.fetch_add(1, Ordering::Relaxed);
        Err(Throttled { retry_after, by })
    }

    /// Records a wrong user name or password.
    pub fn failed(&self, username: &str, address: Option<IpAddr>, now: u64) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let max = self.rules.max_tracked;
        lock(&self.accounts).fail(account_key(username), &self.rules.per_account, now, max);
        if let Some(a) = address {
            lock(&self.addresses).fail(AddressKey::of(a), &self.rules.per_address, now, max);
        }
    }

    /// Records a successful sign-in: the account's failures are cleared.
    pub fn succeeded(&self, username: &str) {
        lock(&self.accounts).records.remove(&account_key(username));
    }

    /// Counters, for metrics.
    pub fn stats(&self) -> ThrottleStats {
        ThrottleStats {
            refused_by_account: self.refused_by_account.load(Ordering::Relaxed),
            refused_by_address: self.refused_by_address.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            tracked_accounts: lock(&self.accounts).records.len(),
            tracked_addresses: lock(&self.addresses).records.len(),
        }
    }
}

/// Where failed sign-ins are counted: the port behind the login page's throttling.
///
/// [`LoginThrottle`] keeps the ledger in this process's memory, so issuer instances behind a
/// load balancer each count on their own (an attacker spread over `n` instances gets `n` times
/// the attempts). Implement this trait over a store the instances share to count together,
/// keeping the rules above: accounts keyed whether or not they exist, a bounded wait, `now`
/// from the caller. A store that cannot answer should let the sign-in be checked (and log)
/// rather than lock every user out.
pub trait SignInThrottle: Send + Sync + 'static {
    /// May a sign-in as `username` from `address` be checked now? Asked before the password
    /// is checked; a refusal is counted.
    fn check(&self, username: &str, address: Option<IpAddr>, now: u64) -> Result<(), Throttled>;

    /// Records a wrong user name or password (of a genuine form).
    fn failed(&self, username: &str, address: Option<IpAddr>, now: u64);

    /// Records a successful sign-in: the account's failures are cleared (not the address's).
    fn succeeded(&self, username: &str);

    /// Counters, for metrics (none unless the implementation keeps them).
    fn stats(&self) -> ThrottleStats {
        ThrottleStats::default()
    }
}

impl SignInThrottle for LoginThrottle {
    fn check(&self, username: &str, address: Option<IpAddr>, now: u64) -> Result<(), Throttled> {
        LoginThrottle::check(self, username, address, now)
    }

    fn failed(&self, username: &str, address: Option<IpAddr>, now: u64) {
        LoginThrottle::failed(self, username, address, now);
    }

    fn succeeded(&self, username: &str) {
        LoginThrottle::succeeded(self, username);
    }

    fn stats(&self) -> ThrottleStats {
        LoginThrottle::stats(self)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves counters, never a broken invariant.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn the_wait_doubles_after_the_free_failures_and_is_capped() {
        let rule = ThrottleRules::default().per_account;
        let waits: Vec<u64> = (0..=16).map(|n| rule.delay_after(n)).collect();
        assert_eq!(
            waits,
            [0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
        );
        assert_eq!(rule.delay_after(u32::MAX), 300);
    }

    #[test]
    fn an_account_waits_after_five_failures_and_a_success_clears_it() {
        let t = LoginThrottle::new(ThrottleRules::default());
        for i in 0..5 {
            assert_eq!(t.check("erika", None, 100), Ok(()), "attempt {i}");
            t.failed("erika", None, 100);
        }
        // The fifth failure is still free; the sixth makes the account wait.
        assert_eq!(t.check("erika", None, 100), Ok(()));
        t.failed("erika", None, 100);
        let refused = t.check("Erika ", None, 100).unwrap_err();
        assert_eq!(refused.retry_after, 1);
        assert_eq!(refused.by, ThrottledBy::Account);
        assert_eq!(t.check("erika", None, 101), Ok(()));
        t.failed("erika", None, 101);
        assert_eq!(t.check("erika", None, 101).unwrap_err().retry_after, 2);
        // Other accounts are not affected.
        assert_eq!(t.check("max", None, 101), Ok(()));
        t.succeeded("erika");
        assert_eq!(t.check("erika", None, 101), Ok(()));
        let stats = t.stats();
        assert_eq!(stats.refused_by_account, 2);
        assert_eq!(stats.failures, 7);
    }

    #[test]
    fn an_address_guessing_at_many_accounts_waits() {
        let t = LoginThrottle::new(ThrottleRules::default());
        let from = ip("203.0.113.7");
        for n in 0..21 {
            assert_eq!(t.check(&format!("user{n}"), from, 50), Ok(()));
            t.failed(&format!("user{n}"), from, 50);
        }
        let refused = t.check("someone-else", from, 50).unwrap_err();
        assert_eq!(refused.by, ThrottledBy::Address);
        assert_eq!(refused.retry_after, 1);
        // Another address is not affected; nor is the same user from elsewhere.
        assert_eq!(t.check("someone-else", ip("198.51.100.1"), 50), Ok(()));
        assert_eq!(t.stats().refused_by_address, 1);
    }

    #[test]
    fn ipv6_addresses_of_one_slash_64_share_a_record() {
        let t = LoginThrottle::new(ThrottleRules {
            per_address: BackOff {
                free_failures: 0,
                ..ThrottleRules::default().per_address
            },
            ..ThrottleRules::default()
        });
        let a = Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, 1);
        let b = Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0xffff, 1, 2, 3);
        let c = Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1);
        t.failed("x", Some(IpAddr::V6(a)), 10);
        assert!(t.check("y", Some(IpAddr::V6(b)), 10).is_err());
        assert_eq!(t.check("y", Some(IpAddr::V6(c)), 10), Ok(()));
        // An IPv4-mapped address is the IPv4 address.
        t.failed("x", ip("192.0.2.1"), 10);
        let mapped = Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped();
        assert!(t.check("y", Some(IpAddr::V6(mapped)), 10).is_err());
    }

    #[test]
    fn a_lock_out_is_bounded_and_failures_are_forgotten() {
        let t = LoginThrottle::new(ThrottleRules::default());
        // An attacker fails on purpose, as fast as the waits allow, for a long time.
        let mut now = 0;
        for _ in 0..100 {
            if let Err(w) = t.check("erika", None, now) {
                now += w.retry_after;
            }
            t.failed("erika", None, now);
        }
        // The real user waits at most max_delay after the attacker stops...
        let wait = t.check("erika", None, now).unwrap_err().retry_after;
        assert!(wait <= 300, "{wait}");
        assert_eq!(t.check("erika", None, now + 300), Ok(()));
        // ... and an hour of quiet forgets the failures (one failure no longer makes them wait).
        t.failed("erika", None, now + 300);
        assert!(t.check("erika", None, now + 301).is_err());
        let later = now + 300 + 3601;
        t.failed("erika", None, later);
        assert_eq!(t.check("erika", None, later), Ok(()));
    }

    #[test]
    fn the_ledger_stays_within_its_bound() {
        let t = LoginThrottle::new(ThrottleRules {
            max_tracked: 100,
            ..ThrottleRules::default()
        });
        for n in 0..1000u32 {
            let addr = IpAddr::V4(Ipv4Addr::from(n));
            t.failed(&format!("user{n}"), Some(addr), u64::from(n));
        }
        let stats = t.stats();
        assert!(stats.tracked_accounts <= 100, "{stats:?}");
        assert!(stats.tracked_addresses <= 100, "{stats:?}");
        assert_eq!(stats.failures, 1000);
    }

    #[test]
    fn debug_shows_counters_only() {
        let t = LoginThrottle::new(ThrottleRules::default());
        t.failed("secret-user-name", ip("192.0.2.9"), 1);
        let text = format!("{t:?}");
        assert!(!text.contains("secret-user-name"), "{text}");
        assert!(!text.contains("192.0.2.9"), "{text}");
        assert!(text.contains("failures: 1"), "{text}");
    }
}
