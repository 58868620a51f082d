//! [`RateLimiter`]: how many requests one client address may make (a token bucket per
//! address), for endpoints that store something per request, such as pushed authorization
//! requests (RFC 9126 §2.3: `429 Too Many Requests`).
//!
//! Each address may send `burst` requests at once, and `per_minute` more every minute after
//! that. Addresses are keyed per IPv4 address and per IPv6 `/64`. The ledger lives in memory,
//! bounded by `max_tracked` addresses (when full, the addresses whose bucket is full again go
//! first, then the longest idle). It takes `now` from the caller and keeps no clock.

use crate::throttle::AddressKey;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// A request rate per client address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed at once (the bucket's size); 0 turns the limit off.
    pub burst: u32,
    /// Requests allowed per minute once the burst is spent.
    pub per_minute: u32,
    /// Addresses tracked at most.
    pub max_tracked: usize,
}

impl RateLimit {
    /// No limit.
    pub const OFF: RateLimit = RateLimit {
        burst: 0,
        per_minute: 0,
        max_tracked: 0,
    };
}

/// Thousandths of a request: the bucket refills `per_minute` requests per 60 s in whole seconds.
const MILLI: u64 = 1000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// What is left, in thousandths of a request.
    left: u64,
    /// When it was last topped up.
    at: u64,
}

/// Counts requests per client address, in memory: the default [`AddressRateLimit`]. `Debug`
/// shows only counters.
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<AddressKey, Bucket>>,
    refused: AtomicU64,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limit", &self.limit)
            .field("refused", &self.refused())
            .finish()
    }
}

impl RateLimiter {
    /// An empty ledger for this limit.
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
        }
    }

    /// The limit it applies.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes one request for `address` at `now`; `Err(seconds)` when it must wait that long
    /// (counted). An unknown address, or a limit that is off, always passes.
    pub fn take(&self, address: Option<IpAddr>, now: u64) -> Result<(), u64> {
        let (Some(address), true) = (address, self.limit.burst > 0) else {
            return Ok(());
        };
        let full = u64::from(self.limit.burst) * MILLI;
        let per_second = u64::from(self.limit.per_minute) * MILLI / 60;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let key = AddressKey::of(address);
        if !buckets.contains_key(&key) && buckets.len() >= self.limit.max_tracked.max(1) {
            make_room(&mut buckets, full, per_second, now, self.limit.max_tracked);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            left: full,
            at: now,
        });
        let elapsed = now.saturating_sub(bucket.at);
        bucket.left = bucket
            .left
            .saturating_add(elapsed.saturating_mul(per_second))
            .min(full);
        bucket.at = now.max(bucket.at);
        if bucket.left >= MILLI {
            bucket.left -= MILLI;
            return Ok(());
        }
        self.refused.fetch_add(1, Ordering::Relaxed);
        let missing = MILLI - bucket.left;
        Err(match per_second {
            0 => 60,
            rate => missing.div_ceil(rate).max(1),
        })
    }

    /// Requests refused so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Addresses tracked now.
    pub fn tracked(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Where requests per client address are counted: the port behind the rate limit of pushed
/// authorization requests.
///
/// [`RateLimiter`] keeps its buckets in this process's memory, so issuer instances behind a
/// load balancer each allow the full rate; implement this trait over a store the instances
/// share to count together (`now` comes from the caller).
pub trait AddressRateLimit: Send + Sync + 'static {
    /// Takes one request for `address` at `now`; `Err(seconds)` when it must wait that long
    /// (counted). An unknown address passes.
    fn take(&self, address: Option<IpAddr>, now: u64) -> Result<(), u64>;

    /// Requests refused so far (none unless the implementation counts them).
    fn refused(&self) -> u64 {
        0
    }
}

impl AddressRateLimit for RateLimiter {
    fn take(&self, address: Option<IpAddr>, now: u64) -> Result<(), u64> {
        RateLimiter::take(self, address, now)
    }

    fn refused(&self) -> u64 {
        RateLimiter::refused(self)
    }
}

fn make_room(
    buckets: &mut HashMap<AddressKey, Bucket>,
    full: u64,
    per_second: u64,
    now: u64,
    max: usize,
) {
    buckets.retain(|_, b| {
        let refilled = b
            .left
            .saturating_add(now.saturating_sub(b.at).saturating_mul(per_second));
        refilled < full
    });
    while buckets.len() >= max.max(1) {
        let idle = buckets.iter().min_by_key(|(_, b)| b.at).map(|(k, _)| *k);
        match idle {
            Some(k) => {
                buckets.remove(&k);
            }
            None => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(burst: u32, per_minute: u32) -> RateLimiter {
        RateLimiter::new(RateLimit {
            burst,
            per_minute,
            max_tracked: 1000,
        })
    }

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn a_burst_then_the_steady_rate() {
        let r = limiter(3, 60);
        let a = ip("192.0.2.1");
        for _ in 0..3 {
            assert_eq!(r.take(a, 100), Ok(()));
        }
        assert_eq!(r.take(a, 100), Err(1));
        // One a second at 60 per minute.
        assert_eq!(r.take(a, 101), Ok(()));
        assert_eq!(r.take(a, 101), Err(1));
        // A long pause refills the burst, never more.
        for _ in 0..3 {
            assert_eq!(r.take(a, 1000), Ok(()));
        }
        assert_eq!(r.take(a, 1000), Err(1));
        assert_eq!(r.refused(), 3);
    }

    #[test]
    fn a_slow_rate_asks_for_a_longer_wait() {
        let r = limiter(1, 6);
        let a = ip("192.0.2.1");
        assert_eq!(r.take(a, 0), Ok(()));
        assert_eq!(r.take(a, 0), Err(10));
        assert_eq!(r.take(a, 5), Err(5));
        assert_eq!(r.take(a, 10), Ok(()));
    }

    #[test]
    fn addresses_are_counted_apart_and_unknown_ones_pass() {
        let r = limiter(1, 1);
        assert_eq!(r.take(ip("192.0.2.1"), 0), Ok(()));
        assert!(r.take(ip("192.0.2.1"), 0).is_err());
        assert_eq!(r.take(ip("192.0.2.2"), 0), Ok(()));
        assert!(r.take(ip("2001:db8::1"), 0).is_ok());
        assert!(r.take(ip("2001:db8::ffff"), 0).is_err(), "same /64");
        for _ in 0..10 {
            assert_eq!(r.take(None, 0), Ok(()));
        }
        let off = RateLimiter::new(RateLimit::OFF);
        for _ in 0..10 {
            assert_eq!(off.take(ip("192.0.2.1"), 0), Ok(()));
        }
    }

    #[test]
    fn the_ledger_stays_within_its_bound() {
        let r = RateLimiter::new(RateLimit {
            burst: 2,
            per_minute: 1,
            max_tracked: 50,
        });
        for n in 0..500u32 {
            let _ = r.take(Some(IpAddr::V4(n.into())), u64::from(n));
        }
        assert!(r.tracked() <= 50, "{}", r.tracked());
    }
}
