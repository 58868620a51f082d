//! The token endpoint refuses hopeless requests before it does expensive or durable work: a
//! made-up (or spent) pre-authorized code sent with a fresh DPoP proof costs no signature check
//! and records no `jti` in the store's ledger (security review finding: 300 bogus requests used
//! to add 300 durable rows). DPoP proofs past their `exp` are refused like every other JWT.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use oid4vci_issuer::{
    Commit, HttpFacts, LookupKind, MemoryStore, OfferSpec, SecretHash, Session, SessionStore,
    StoreError, UnixTime,
};
use oid4vci_issuer_testkit::{flows, TestWallet};
use oid4vci_types::{ErrorCode, SecretString, TokenRequest};
use serde_json::json;

/// A [`MemoryStore`] that counts the entries written to its nonce / `jti` ledger.
#[derive(Clone, Default)]
struct LedgerCountingStore {
    inner: MemoryStore,
    ledger_writes: Arc<AtomicUsize>,
}

impl SessionStore for LedgerCountingStore {
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
        self.inner.update(session, expected_version).await
    }
    async fn commit(&self, commit: &Commit<'_>) -> Result<(), StoreError> {
        self.ledger_writes
            .fetch_add(commit.nonces.len(), Ordering::SeqCst);
        self.inner.commit(commit).await
    }
    async fn consume_nonce(
        &self,
        nonce_hash: &SecretHash,
        expires_at: UnixTime,
    ) -> Result<bool, StoreError> {
        self.ledger_writes.fetch_add(1, Ordering::SeqCst);
        self.inner.consume_nonce(nonce_hash, expires_at).await
    }
    async fn sweep_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        self.inner.sweep_expired(now).await
    }
}

fn token_url() -> String {
    format!("{}/token", flows::ISSUER)
}

fn dpop_facts(wallet: &TestWallet) -> HttpFacts {
    HttpFacts {
        dpop: Some(wallet.dpop_proof(&token_url(), None, flows::T0)),
        ..HttpFacts::default()
    }
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// A fresh offer with claims, and its pre-authorized code.
fn new_offer<S: SessionStore>(
    issuer: &oid4vci_issuer::Issuer<S, oid4vci_sd_jwt::SdJwtVcMinter>,
) -> (oid4vci_issuer::OfferCreated, SecretString) {
    let created = block(issuer.create_offer(OfferSpec {
        credential_configuration_ids: vec![flows::CONFIG.into()],
        claims: Some(json!({"age_over_18": true})),
        ..OfferSpec::default()
    }))
    .expect("offer");
    let code = created.pre_authorized_code().cloned().expect("code");
    (created, code)
}

#[test]
fn a_made_up_code_costs_no_dpop_check_and_no_ledger_entry() {
    let store = LedgerCountingStore::default();
    let writes = Arc::clone(&store.ledger_writes);
    let (issuer, _clock) = flows::scenario_issuer(store);
    let wallet = TestWallet::new();
    for i in 0..30 {
        let request = TokenRequest::pre_authorized(SecretString::new(format!("made-up-{i}")), None);
        let err = block(issuer.token(request, dpop_facts(&wallet))).unwrap_err();
        assert_eq!(err.error_code(), ErrorCode::InvalidGrant);
    }
    // A DPoP header that is not even a JWS: the code is refused first.
    let garbage = HttpFacts {
        dpop: Some("not-a-jws".into()),
        ..HttpFacts::default()
    };
    let request = TokenRequest::pre_authorized(SecretString::new("made-up"), None);
    let err = block(issuer.token(request, garbage)).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidGrant, "{err:?}");
    assert_eq!(writes.load(Ordering::SeqCst), 0, "no jti was recorded");
}

#[test]
fn a_spent_code_is_refused_and_logged_without_recording_the_jti() {
    let store = LedgerCountingStore::default();
    let writes = Arc::clone(&store.ledger_writes);
    let (issuer, _clock) = flows::scenario_issuer(store);
    let (created, code) = new_offer(&issuer);
    let wallet = TestWallet::new();
    let token = block(issuer.token(
        TokenRequest::pre_authorized(code.clone(), None),
        dpop_facts(&wallet),
    ))
    .expect("first redemption");
    assert_eq!(token.token_type, "DPoP");
    assert_eq!(
        writes.load(Ordering::SeqCst),
        1,
        "a request that can succeed records its jti"
    );

    let err = block(issuer.token(
        TokenRequest::pre_authorized(code, None),
        dpop_facts(&wallet),
    ))
    .unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidGrant);
    assert!(err
        .to_error_response()
        .error_description
        .as_deref()
        .unwrap_or_default()
        .contains("already used"));
    assert_eq!(
        writes.load(Ordering::SeqCst),
        1,
        "the reuse recorded no jti"
    );
    let summary = block(issuer.inspect(&created.session_id)).expect("session");
    let last = summary.events.last().expect("events");
    assert_eq!(
        serde_json::to_value(last.kind).expect("kind"),
        json!("token_rejected")
    );
}

#[test]
fn an_expired_dpop_proof_is_refused() {
    let (issuer, _clock) = flows::scenario_issuer(MemoryStore::new());
    let (_, code) = new_offer(&issuer);
    let wallet = TestWallet::new();
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": wallet.public_jwk()});
    let claims = |exp: u64| json!({"htm": "POST", "htu": token_url(), "iat": flows::T0, "exp": exp, "jti": format!("j-{exp}")});
    for exp in [1, flows::T0] {
        let facts = HttpFacts {
            dpop: Some(wallet.sign(&header, &claims(exp))),
            ..HttpFacts::default()
        };
        let err = block(issuer.token(TokenRequest::pre_authorized(code.clone(), None), facts))
            .unwrap_err();
        assert_eq!(err.error_code(), ErrorCode::InvalidDpopProof, "exp {exp}");
        assert!(err
            .to_error_response()
            .error_description
            .as_deref()
            .unwrap_or_default()
            .contains("expired"));
    }
    let facts = HttpFacts {
        dpop: Some(wallet.sign(&header, &claims(flows::T0 + 60))),
        ..HttpFacts::default()
    };
    let token = block(issuer.token(TokenRequest::pre_authorized(code, None), facts))
        .expect("a DPoP proof with exp in the future is accepted");
    assert_eq!(token.token_type, "DPoP");
}
