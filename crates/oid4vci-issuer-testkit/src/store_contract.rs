//! The [`SessionStore`] contract: insert-once, lookups by every secret kind, compare-and-swap
//! updates with exactly one winner among 50 concurrent writers, re-indexing on update,
//! single-use nonces under 50 concurrent consumers, a `request_uri` and an authorization code
//! each redeemed once under 50 concurrent redeemers, sweeping of expired sessions, counting
//! by state and the operator's session list.

use oid4vci_issuer::SecretHash;
use oid4vci_issuer::{AccessGrant, AuthorizationStep, LookupKind, SessionState};
use oid4vci_issuer::{SessionStore, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How many concurrent callers the concurrency checks use.
pub const CONCURRENT_CALLERS: usize = 50;

/// Runs `call(i)` for `i` in `0..CONCURRENT_CALLERS` on as many OS threads at once and counts the
/// calls that returned `true` (a panicking call counts as `false`).
pub fn count_successes(call: impl Fn(usize) -> bool + Sync) -> usize {
    std::thread::scope(|scope| {
        let call = &call;
        let handles: Vec<_> = (0..CONCURRENT_CALLERS)
            .map(|i| scope.spawn(move || call(i)))
            .collect();
        handles
            .into_iter()
            .map(|h| usize::from(h.join().unwrap_or(false)))
            .sum()
    })
}

use crate::samples::{sample_authorization_session, sample_session};
use crate::scenario::block;

/// Runs every contract check against fresh stores from `make_store`. Panics on the first
/// violation, naming the rule.
pub fn run_store_contract<S, F>(make_store: F)
where
    S: SessionStore,
    F: Fn() -> S,
{
    insert_is_once_and_get_round_trips(make_store());
    lookups_find_by_each_secret(make_store());
    updates_compare_and_swap(make_store());
    exactly_one_concurrent_writer_wins(Arc::new(make_store()));
    nonces_are_consumed_once(Arc::new(make_store()));
    request_uris_and_codes_are_redeemed_once(Arc::new(make_store()));
    expired_sessions_are_swept(make_store());
    sessions_are_counted_by_state(make_store());
    crate::listing_contract::sessions_are_listed_newest_first(make_store(), false);
}

fn sessions_are_counted_by_state<S: SessionStore>(store: S) {
    for (i, state) in [
        SessionState::Offered,
        SessionState::Offered,
        SessionState::Issued,
        SessionState::Revoked,
    ]
    .into_iter()
    .enumerate()
    {
        let mut s = sample_session(&format!("count-{i}"), 1_000);
        s.state = state;
        block(store.insert(&s)).expect("insert");
    }
    let Some(counts) = block(store.count_by_state()).expect("count") else {
        return; // a store may not be able to tell
    };
    let expected: BTreeMap<String, u64> = [
        ("issued".into(), 1),
        ("offered".into(), 2),
        ("revoked".into(), 1),
    ]
    .into();
    assert_eq!(counts, expected, "sessions by state");
}

fn insert_is_once_and_get_round_trips<S: SessionStore>(store: S) {
    let s = sample_session("s1", 1_000);
    block(store.insert(&s)).expect("insert");
    let loaded = block(store.get("s1")).expect("get").expect("present");
    assert_eq!(loaded, s, "a stored session loads back unchanged");
    assert!(
        matches!(block(store.insert(&s)), Err(StoreError::Duplicate)),
        "insert twice must fail"
    );
    assert!(block(store.get("nope")).expect("get").is_none());
    let mut clash = sample_session("s2", 1_000);
    clash.pre_authorized = s.pre_authorized.clone();
    assert!(
        matches!(block(store.insert(&clash)), Err(StoreError::LookupTaken)),
        "two sessions must not share a lookup secret"
    );
}

fn lookups_find_by_each_secret<S: SessionStore>(store: S) {
    let s = sample_session("s1", 1_000);
    block(store.insert(&s)).expect("insert");
    let code = SecretHash::of("code-s1");
    let found = block(store.find(LookupKind::PreAuthorizedCode, &code)).expect("find");
    assert_eq!(found.map(|f| f.id), Some("s1".into()));
    let offer = SecretHash::of("offer-s1");
    assert!(block(store.find(LookupKind::OfferId, &offer))
        .expect("find")
        .is_some());
    assert!(
        block(store.find(LookupKind::AccessToken, &code))
            .expect("find")
            .is_none(),
        "a hash is only found under its own kind"
    );
    assert!(
        block(store.find(LookupKind::PreAuthorizedCode, &SecretHash::of("other")))
            .expect("find")
            .is_none()
    );
}

fn updates_compare_and_swap<S: SessionStore>(store: S) {
    let s = sample_session("s1", 1_000);
    block(store.insert(&s)).expect("insert");
    let mut next = s.clone();
    next.version = 1;
    next.state = SessionState::TokenIssued;
    next.access = Some(AccessGrant {
        token_hash: SecretHash::of("token-s1"),
        expires_at: 2_000,
        client_id: None,
        granted: Vec::new(),
        uses_credential_identifiers: false,
        dpop_jkt: None,
    });
    next.pre_authorized = None;
    block(store.update(&next, 0)).expect("update at the expected version");
    let stale = block(store.update(&next, 0));
    assert!(
        matches!(stale, Err(StoreError::VersionConflict)),
        "a stale version must conflict"
    );
    let loaded = block(store.get("s1")).expect("get").expect("present");
    assert_eq!(loaded.version, 1);
    let token = SecretHash::of("token-s1");
    assert!(
        block(store.find(LookupKind::AccessToken, &token))
            .expect("find")
            .is_some(),
        "new keys are indexed"
    );
    let code = SecretHash::of("code-s1");
    assert!(
        block(store.find(LookupKind::PreAuthorizedCode, &code))
            .expect("find")
            .is_none(),
        "keys a session no longer has are unindexed"
    );
    let mut skip = loaded.clone();
    skip.version = 5;
    assert!(
        matches!(
            block(store.update(&skip, 1)),
            Err(StoreError::VersionConflict)
        ),
        "version must step by one"
    );
    // An update that would take another session's key changes nothing, its own keys included.
    let other = sample_session("s2", 1_000);
    block(store.insert(&other)).expect("insert s2");
    let mut thief = other.clone();
    thief.version = 1;
    thief.offer_id_hash = None;
    thief.access = loaded.access.clone();
    assert!(
        matches!(block(store.update(&thief, 0)), Err(StoreError::LookupTaken)),
        "an update must not take a key another session holds"
    );
    let kept = block(store.get("s2")).expect("get").expect("present");
    assert_eq!(kept, other, "a refused update leaves the session as it was");
    let owner =
        |kind, hash: &SecretHash| block(store.find(kind, hash)).expect("find").map(|s| s.id);
    assert_eq!(
        owner(LookupKind::OfferId, &SecretHash::of("offer-s2")).as_deref(),
        Some("s2"),
        "a refused update leaves the session's keys indexed"
    );
    assert_eq!(
        owner(LookupKind::AccessToken, &token).as_deref(),
        Some("s1"),
        "the key stays with its owner"
    );
    let mut ghost = sample_session("ghost", 1_000);
    ghost.version = 1;
    ghost.pre_authorized = None;
    ghost.offer_id_hash = None;
    assert!(matches!(
        block(store.update(&ghost, 0)),
        Err(StoreError::NotFound)
    ));
    // A key replaced by another of the same kind (a rotated access token): the old one is
    // unindexed, though the session still has a key of that kind.
    let mut rotated = loaded.clone();
    rotated.version = 2;
    if let Some(access) = rotated.access.as_mut() {
        access.token_hash = SecretHash::of("token-s1-rotated");
    }
    block(store.update(&rotated, 1)).expect("rotate the access token");
    assert_eq!(
        owner(LookupKind::AccessToken, &SecretHash::of("token-s1-rotated")).as_deref(),
        Some("s1")
    );
    assert_eq!(
        owner(LookupKind::AccessToken, &token),
        None,
        "the replaced key of the same kind is unindexed"
    );
}

fn exactly_one_concurrent_writer_wins<S: SessionStore>(store: Arc<S>) {
    let s = sample_session("s1", 1_000);
    block(store.insert(&s)).expect("insert");
    let winners = count_successes(|i| {
        let mut next = s.clone();
        next.version = 1;
        next.subject_id = Some(format!("writer-{i}"));
        block(store.update(&next, 0)).is_ok()
    });
    assert_eq!(
        winners, 1,
        "exactly one of {CONCURRENT_CALLERS} concurrent updates may win"
    );
    let loaded = block(store.get("s1")).expect("get").expect("present");
    assert_eq!(loaded.version, 1);
    assert!(loaded.subject_id.is_some_and(|w| w.starts_with("writer-")));
}

/// One step of a redemption race: load by `kind`/`hash`, and if `step` accepts the stored
/// step, store the step it returns (compare-and-swap). True for the winner.
fn redeem_once<S: SessionStore>(
    store: &S,
    kind: LookupKind,
    hash: &SecretHash,
    step: impl Fn(&AuthorizationStep) -> Option<AuthorizationStep>,
) -> bool {
    let Ok(Some(found)) = block(store.find(kind, hash)) else {
        return false;
    };
    let Some(next_step) = found.authorization.as_ref().and_then(|a| step(&a.step)) else {
        return false;
    };
    let mut next = found.clone();
    next.version = found.version + 1;
    if let Some(a) = next.authorization.as_mut() {
        a.step = next_step;
    }
    block(store.update(&next, found.version)).is_ok()
}

fn request_uris_and_codes_are_redeemed_once<S: SessionStore>(store: Arc<S>) {
    let uri = "urn:ietf:params:oauth:request_uri:contract-test-uri";
    block(store.insert(&sample_authorization_session("a1", uri, 1_000))).expect("insert");
    let uri_hash = SecretHash::of(uri);
    let code_hash = SecretHash::of("contract-test-code");
    let approvals = count_successes(|_| {
        redeem_once(store.as_ref(), LookupKind::RequestUri, &uri_hash, |s| {
            matches!(s, AuthorizationStep::Requested { .. }).then_some(
                AuthorizationStep::Authorized {
                    code_hash,
                    code_expires_at: 1_060,
                },
            )
        })
    });
    assert_eq!(
        approvals, 1,
        "a request_uri is redeemed exactly once among {CONCURRENT_CALLERS} callers"
    );
    assert!(
        block(store.find(LookupKind::RequestUri, &uri_hash))
            .expect("find")
            .is_none(),
        "a redeemed request_uri is no longer found"
    );
    let exchanges = count_successes(|_| {
        redeem_once(
            store.as_ref(),
            LookupKind::AuthorizationCode,
            &code_hash,
            |s| {
                matches!(s, AuthorizationStep::Authorized { .. })
                    .then_some(AuthorizationStep::Exchanged { code_hash })
            },
        )
    });
    assert_eq!(
        exchanges, 1,
        "an authorization code is exchanged exactly once among {CONCURRENT_CALLERS} callers"
    );
    let after = block(store.find(LookupKind::AuthorizationCode, &code_hash))
        .expect("find")
        .expect("an exchanged code still finds its session, so a second redemption is detected");
    assert!(matches!(
        after.authorization.map(|a| a.step),
        Some(AuthorizationStep::Exchanged { .. })
    ));
}

fn nonces_are_consumed_once<S: SessionStore>(store: Arc<S>) {
    let nonce = SecretHash::of("nonce-1");
    let firsts = count_successes(|_| block(store.consume_nonce(&nonce, 2_000)).unwrap_or(false));
    assert_eq!(
        firsts, 1,
        "a nonce is consumed exactly once among {CONCURRENT_CALLERS} callers"
    );
    assert!(
        !block(store.consume_nonce(&nonce, 2_000)).expect("consume"),
        "and never again"
    );
    assert!(block(store.consume_nonce(&SecretHash::of("nonce-2"), 2_000)).expect("consume"));
}

fn expired_sessions_are_swept<S: SessionStore>(store: S) {
    let mut old = sample_session("old", 1_000);
    old.expires_at = 1_500;
    let fresh = sample_session("fresh", 1_000);
    block(store.insert(&old)).expect("insert");
    block(store.insert(&fresh)).expect("insert");
    block(store.consume_nonce(&SecretHash::of("n-old"), 1_500)).expect("nonce");
    let swept = block(store.sweep_expired(2_000)).expect("sweep");
    assert_eq!(swept, 1, "only the expired session is swept");
    assert!(block(store.get("old")).expect("get").is_none());
    assert!(
        block(store.find(LookupKind::PreAuthorizedCode, &SecretHash::of("code-old")))
            .expect("find")
            .is_none()
    );
    assert!(block(store.get("fresh")).expect("get").is_some());
    assert!(
        block(store.consume_nonce(&SecretHash::of("n-old"), 3_000)).expect("nonce"),
        "expired nonce records are swept"
    );
}
