//! Regression tests for two bugs of the closure-based commit loop (issue 17):
//!
//! 1. A revocation that lands between a credential request's load and its commit was
//!    overwritten: only the recording closure was re-applied on the compare-and-swap retry, not
//!    the authorization checks, so the wallet got its credential and the session went from
//!    `revoked` back to `issued`.
//! 2. `submit_claims` had a commit loop of its own that never told the event observer.
//!
//! Both failed on the code before the state machine; every step now re-runs whole (the
//! (state, step) table and its guards included) on the freshly loaded session, through the one
//! commit loop that also feeds the observer.

use oid4vci_issuer::{
    Commit, Event, EventKind, EventObserver, HttpFacts, LookupKind, MemoryStore, OfferSpec,
    SecretHash, Session, SessionState, SessionStore, StoreError, UnixTime,
};
use oid4vci_issuer_testkit::{flows, TestWallet};
use oid4vci_types::{CredentialRequest, TokenRequest};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A [`MemoryStore`] that, once armed, lets a concurrent writer revoke the session (as
/// authorization-code reuse detection does: access removed, state `revoked`) just before the
/// next update reaches the store, so that update meets a version conflict and must retry.
#[derive(Clone, Default)]
struct RevokingStore {
    inner: Arc<MemoryStore>,
    armed: Arc<AtomicBool>,
}

impl RevokingStore {
    async fn revoke_concurrently(&self, id: &str) {
        let mut session = self
            .inner
            .get(id)
            .await
            .expect("store")
            .expect("session exists");
        let expected = session.version;
        session.access = None;
        session.state = SessionState::Revoked;
        session.record(
            EventKind::CodeReuseDetected,
            flows::T0,
            serde_json::json!({"tokens_revoked": true}),
        );
        session.version = expected + 1;
        self.inner
            .update(&session, expected)
            .await
            .expect("the concurrent revocation commits first");
    }
}

impl SessionStore for RevokingStore {
    async fn insert(&self, session: &Session) -> Result<(), StoreError> {
        self.inner.insert(session).await
    }
    async fn get(&self, id: &str) -> Result<Option<Session>, StoreError> {
        self.inner.get(id).await
    }
    async fn find(
        &self,
        kind: LookupKind,
        hash: &SecretHash,
    ) -> Result<Option<Session>, StoreError> {
        self.inner.find(kind, hash).await
    }
    async fn update(&self, session: &Session, expected_version: u64) -> Result<(), StoreError> {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.revoke_concurrently(&session.id).await;
        }
        self.inner.update(session, expected_version).await
    }
    async fn commit(&self, commit: &Commit<'_>) -> Result<(), StoreError> {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.revoke_concurrently(&commit.write.session().id).await;
        }
        self.inner.commit(commit).await
    }
    async fn consume_nonce(
        &self,
        nonce_hash: &SecretHash,
        expires_at: UnixTime,
    ) -> Result<bool, StoreError> {
        self.inner.consume_nonce(nonce_hash, expires_at).await
    }
    async fn sweep_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        self.inner.sweep_expired(now).await
    }
}

fn offer(claims: Option<serde_json::Value>) -> OfferSpec {
    OfferSpec {
        credential_configuration_ids: vec![flows::CONFIG.into()],
        pre_authorized: true,
        claims,
        ..OfferSpec::default()
    }
}

#[test]
fn a_revocation_between_load_and_commit_refuses_the_credential_and_stays_revoked() {
    pollster::block_on(async {
        let store = RevokingStore::default();
        let (issuer, _clock) = flows::scenario_issuer(store.clone());
        let created = issuer
            .create_offer(offer(Some(serde_json::json!({"age_over_18": true}))))
            .await
            .expect("offer");
        let code = created.pre_authorized_code().expect("grant").clone();
        let token = issuer
            .token(
                TokenRequest::pre_authorized(code, None),
                HttpFacts::default(),
            )
            .await
            .expect("token");
        let nonce = issuer.nonce().c_nonce;
        let proof = TestWallet::new().proof(flows::ISSUER, Some(&nonce), flows::T0);
        let request = CredentialRequest::for_configuration(flows::CONFIG, vec![proof]);

        store.armed.store(true, Ordering::SeqCst);
        let answer = issuer
            .credential(request, HttpFacts::bearer(token.access_token.expose()))
            .await
            .map(|r| r.into_json().expect("a plain response"));

        let error = answer.expect_err("a revoked session issues no credential");
        assert_eq!(error.error_code().as_str(), "invalid_token");
        assert!(!store.armed.load(Ordering::SeqCst), "the race was staged");
        let stored = store
            .inner
            .get(&created.session_id)
            .await
            .expect("store")
            .expect("session");
        assert_eq!(stored.state, SessionState::Revoked, "the revocation stands");
        assert!(stored.access.is_none(), "the token stays revoked");
        assert!(
            stored.notification_hashes.is_empty(),
            "no notification id was handed out"
        );
        let kinds: Vec<EventKind> = stored.events.iter().map(|e| e.kind).collect();
        assert!(!kinds.contains(&EventKind::CredentialIssued), "{kinds:?}");
        assert_eq!(kinds.last(), Some(&EventKind::CredentialRejected));
    });
}

#[derive(Default)]
struct Collect(Mutex<Vec<Event>>);

impl EventObserver for Collect {
    fn observe(&self, _session_id: &str, event: &Event) {
        if let Ok(mut v) = self.0.lock() {
            v.push(event.clone());
        }
    }
}

#[test]
fn the_observer_sees_claims_submitted() {
    pollster::block_on(async {
        let observed = Arc::new(Collect::default());
        let (issuer, _clock) = flows::scenario_issuer(MemoryStore::new());
        let issuer = issuer.with_event_observer(observed.clone());
        let created = issuer.create_offer(offer(None)).await.expect("offer");
        issuer
            .submit_claims(
                &created.session_id,
                flows::CONFIG,
                serde_json::json!({"age_over_18": true}),
            )
            .await
            .expect("claims");
        let log = issuer
            .inspect(&created.session_id)
            .await
            .expect("inspect")
            .events;
        let seen = observed.0.lock().expect("lock").clone();
        assert_eq!(seen, log, "observed events equal the stored log");
        assert_eq!(
            seen.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [EventKind::OfferCreated, EventKind::ClaimsSubmitted]
        );
    });
}
