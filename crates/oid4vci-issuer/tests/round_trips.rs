//! Store round trips per wallet request: each wallet endpoint makes at most one read (the
//! session, by the secret the request presents) and one write (the request's whole effect in
//! one `SessionStore::commit`: session, consumed `c_nonce` and DPoP `jti`, status entries).
//! Counted on a DPoP-bound flow with status lists on, batch issuance, deferred issuance and a
//! notification.

use oid4vci_issuer::{
    Commit, HttpFacts, Issuer, LookupKind, MemoryStore, OfferSpec, SecretHash, SecretSource,
    Session, SessionStore, StatusEntry, StatusListConfig, StatusListStore, StoreError, UnixTime,
};
use oid4vci_issuer_testkit::{flows, TestWallet};
use oid4vci_types::{
    CredentialRequest, DeferredCredentialRequest, NotificationEvent, NotificationRequest,
    TokenRequest,
};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A [`MemoryStore`] that counts calls: reads and writes.
#[derive(Clone, Default)]
struct CountingStore {
    inner: MemoryStore,
    reads: Arc<AtomicUsize>,
    writes: Arc<AtomicUsize>,
}

impl CountingStore {
    fn read(&self) {
        self.reads.fetch_add(1, Ordering::SeqCst);
    }
    fn write(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }
    /// (reads, writes) since the last call.
    fn take(&self) -> (usize, usize) {
        (
            self.reads.swap(0, Ordering::SeqCst),
            self.writes.swap(0, Ordering::SeqCst),
        )
    }
}

impl SessionStore for CountingStore {
    async fn insert(&self, session: &Session) -> Result<(), StoreError> {
        self.write();
        self.inner.insert(session).await
    }
    async fn get(&self, id: &str) -> Result<Option<Session>, StoreError> {
        self.read();
        self.inner.get(id).await
    }
    async fn find(
        &self,
        kind: LookupKind,
        hash: &SecretHash,
    ) -> Result<Option<Session>, StoreError> {
        self.read();
        self.inner.find(kind, hash).await
    }
    async fn update(&self, session: &Session, expected: u64) -> Result<(), StoreError> {
        self.write();
        self.inner.update(session, expected).await
    }
    async fn commit(&self, commit: &Commit<'_>) -> Result<(), StoreError> {
        self.write();
        self.inner.commit(commit).await
    }
    async fn consume_nonce(&self, hash: &SecretHash, exp: UnixTime) -> Result<bool, StoreError> {
        self.write();
        self.inner.consume_nonce(hash, exp).await
    }
    async fn sweep_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        self.write();
        self.inner.sweep_expired(now).await
    }
}

impl StatusListStore for CountingStore {
    async fn reserve_statuses(
        &self,
        list: u32,
        candidates: &[u32],
        session_id: &str,
    ) -> Result<Vec<u32>, StoreError> {
        self.write();
        self.inner
            .reserve_statuses(list, candidates, session_id)
            .await
    }
    async fn reserved_count(&self, list: u32) -> Result<u64, StoreError> {
        self.read();
        self.inner.reserved_count(list).await
    }
    async fn last_list(&self) -> Result<u32, StoreError> {
        self.read();
        self.inner.last_list().await
    }
    async fn set_status(&self, list: u32, idx: u32, status: u8) -> Result<Option<u8>, StoreError> {
        self.write();
        self.inner.set_status(list, idx, status).await
    }
    async fn non_valid_statuses(&self, list: u32) -> Result<Vec<StatusEntry>, StoreError> {
        self.read();
        self.inner.non_valid_statuses(list).await
    }
    async fn session_statuses(&self, session_id: &str) -> Result<Vec<StatusEntry>, StoreError> {
        self.read();
        self.inner.session_statuses(session_id).await
    }
}

/// Bytes from SHA-256 of a counter: distinct, and the same on every run.
#[derive(Default)]
struct Counter(AtomicUsize);

impl SecretSource for Counter {
    fn fill(&self, out: &mut [u8]) {
        for chunk in out.chunks_mut(32) {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            let digest = Sha256::digest(n.to_le_bytes());
            chunk.copy_from_slice(&digest[..chunk.len()]);
        }
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

/// Redeems the offer's code with a DPoP proof; returns the DPoP-bound access token.
async fn dpop_token<M: oid4vci_issuer::CredentialMinter>(
    issuer: &Issuer<CountingStore, M>,
    code: oid4vci_types::SecretString,
    wallet: &TestWallet,
) -> String {
    let facts = HttpFacts {
        dpop: Some(wallet.dpop_proof(&format!("{}/token", flows::ISSUER), None, flows::T0)),
        ..HttpFacts::default()
    };
    let token = issuer
        .token(TokenRequest::pre_authorized(code, None), facts)
        .await
        .expect("token");
    assert_eq!(token.token_type, "DPoP");
    token.access_token.expose().to_owned()
}

fn dpop_facts(wallet: &TestWallet, url: &str, token: &str) -> HttpFacts {
    HttpFacts::dpop(token, &wallet.dpop_proof(url, Some(token), flows::T0))
}

#[test]
fn every_wallet_request_is_one_read_and_one_write() {
    pollster::block_on(async {
        let store = CountingStore::default();
        // A deterministic randomness source: the drawn status entries are the same on every
        // run (and none collides), so the counts below never include a re-draw.
        let (issuer, _clock) = flows::scenario_issuer(store.clone());
        let issuer = issuer.with_secret_source(Arc::new(Counter::default()));
        let signer = Arc::new(oid4vci_sd_jwt::SdJwtVcMinter::generate());
        let issuer = issuer
            .with_status_lists(StatusListConfig::new(flows::ISSUER, signer))
            .expect("status lists");
        let wallet = TestWallet::new();
        let credential_url = format!("{}/credential", flows::ISSUER);
        let batch = |issuer: &Issuer<CountingStore, _>| {
            let nonce = issuer.nonce().c_nonce;
            let proofs = (0..2)
                .map(|_| TestWallet::new().proof(flows::ISSUER, Some(&nonce), flows::T0))
                .collect();
            CredentialRequest::for_configuration(flows::CONFIG, proofs)
        };

        // Warm-up: the first credential of the process reads the status lists' fill once.
        let created = issuer
            .create_offer(offer(Some(serde_json::json!({"a": 1}))))
            .await
            .expect("offer");
        let access = dpop_token(
            &issuer,
            created.pre_authorized_code().expect("code").clone(),
            &wallet,
        )
        .await;
        issuer
            .credential(
                batch(&issuer),
                dpop_facts(&wallet, &credential_url, &access),
            )
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .expect("warm-up credential");

        let created = issuer
            .create_offer(offer(Some(serde_json::json!({"a": 1}))))
            .await
            .expect("offer");
        let offer_id = created.offer_id().expect("by reference");
        store.take();
        issuer
            .credential_offer(&offer_id)
            .await
            .expect("offer by reference");
        assert_eq!(store.take(), (1, 1), "offer by reference");
        let code = created.pre_authorized_code().expect("code").clone();
        let access = dpop_token(&issuer, code, &wallet).await;
        assert_eq!(store.take(), (1, 1), "token (DPoP)");
        let _ = issuer.nonce();
        assert_eq!(store.take(), (0, 0), "nonce");
        let response = issuer
            .credential(
                batch(&issuer),
                dpop_facts(&wallet, &credential_url, &access),
            )
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .expect("credential");
        assert_eq!(response.credentials.as_ref().map(Vec::len), Some(2));
        assert_eq!(
            store.take(),
            (1, 1),
            "batch credential with DPoP and status entries"
        );
        let notification = NotificationRequest {
            notification_id: response.notification_id.clone().expect("notification id"),
            event: NotificationEvent::CredentialAccepted,
            event_description: None,
            extra: Default::default(),
        };
        let url = format!("{}/notification", flows::ISSUER);
        issuer
            .notification(notification, dpop_facts(&wallet, &url, &access))
            .await
            .expect("notification");
        assert_eq!(store.take(), (1, 1), "notification");

        // Deferred: the credential request defers, the operator submits, the wallet collects.
        let created = issuer.create_offer(offer(None)).await.expect("offer");
        let code = created.pre_authorized_code().expect("code").clone();
        let access = dpop_token(&issuer, code, &wallet).await;
        store.take();
        let deferred = issuer
            .credential(
                batch(&issuer),
                dpop_facts(&wallet, &credential_url, &access),
            )
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .expect("deferred");
        assert_eq!(store.take(), (1, 1), "deferred credential request");
        issuer
            .submit_claims(
                &created.session_id,
                flows::CONFIG,
                serde_json::json!({"a": 2}),
            )
            .await
            .expect("claims");
        store.take();
        let url = format!("{}/deferred_credential", flows::ISSUER);
        let request = DeferredCredentialRequest {
            transaction_id: deferred.transaction_id.expect("transaction id"),
            credential_response_encryption: None,
            extra: Default::default(),
        };
        let collected = issuer
            .deferred_credential(request, dpop_facts(&wallet, &url, &access))
            .await
            .map(|r| r.into_json().expect("a plain response"))
            .expect("collected");
        assert_eq!(collected.credentials.as_ref().map(Vec::len), Some(2));
        assert_eq!(store.take(), (1, 1), "deferred credential collected");
    });
}

#[test]
fn a_refresh_is_one_read_and_one_write() {
    pollster::block_on(async {
        let store = CountingStore::default();
        let mut metadata = oid4vci_types::CredentialIssuerMetadata::new(flows::ISSUER);
        metadata.credential_configurations_supported.insert(
            flows::CONFIG.into(),
            oid4vci_types::CredentialConfiguration::sd_jwt_vc(flows::CONFIG),
        );
        let mut config = oid4vci_issuer::IssuerConfig::new(metadata);
        config.refresh_token_ttl = Some(3600);
        config.refresh_for_pre_authorized = true;
        let issuer = Issuer::new(
            config,
            store.clone(),
            oid4vci_sd_jwt::SdJwtVcMinter::generate(),
        )
        .with_clock(Arc::new(oid4vci_issuer::ManualClock::new(flows::T0)));
        let created = issuer
            .create_offer(offer(Some(serde_json::json!({"a": 1}))))
            .await
            .expect("offer");
        let code = created.pre_authorized_code().expect("code").clone();
        let wallet = TestWallet::new();
        let facts = || HttpFacts {
            dpop: Some(wallet.dpop_proof(&format!("{}/token", flows::ISSUER), None, flows::T0)),
            ..HttpFacts::default()
        };
        let token = issuer
            .token(TokenRequest::pre_authorized(code, None), facts())
            .await
            .expect("token");
        let refresh = token.refresh_token.expect("a refresh token");
        store.take();
        let next = issuer
            .token(TokenRequest::refresh(refresh), facts())
            .await
            .expect("refreshed");
        assert!(next.refresh_token.is_some());
        assert_eq!(store.take(), (1, 1), "refresh (DPoP)");
    });
}
