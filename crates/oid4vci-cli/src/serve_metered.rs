//! [`Metered`]: the session store with every call timed and every failure counted
//! (`oid4vci_store_operation_duration_seconds`, `oid4vci_store_errors_total`).

use oid4vci_axum::IssuerMetrics;
use oid4vci_issuer::{
    Commit, LookupKind, SecretHash, Session, SessionStore, StatusEntry, StatusListStore,
    StoreError, UnixTime,
};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// A store whose calls are measured.
#[derive(Clone, Debug)]
pub struct Metered<S> {
    inner: S,
    metrics: Arc<IssuerMetrics>,
}

impl<S> Metered<S> {
    /// `inner`, measured into `metrics`.
    pub fn new(inner: S, metrics: Arc<IssuerMetrics>) -> Self {
        Metered { inner, metrics }
    }

    async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let span = tracing::info_span!("store", operation);
        let result = tracing::Instrument::instrument(call, span).await;
        let failure = result.as_ref().err().map(kind);
        self.metrics
            .record_store(operation, started.elapsed(), failure);
        result
    }
}

/// The `kind` label of a store failure.
fn kind(e: &StoreError) -> &'static str {
    match e {
        StoreError::Unavailable(_) => "unavailable",
        StoreError::VersionConflict => "version_conflict",
        StoreError::Duplicate => "duplicate",
        StoreError::LookupTaken => "lookup_taken",
        StoreError::NotFound => "not_found",
        StoreError::NonceUsed { .. } => "nonce_used",
        StoreError::StatusTaken { .. } => "status_taken",
        StoreError::Backend(_) => "backend",
        _ => "other",
    }
}

impl<S: SessionStore> SessionStore for Metered<S> {
    async fn insert(&self, session: &Session) -> Result<(), StoreError> {
        self.timed("insert", self.inner.insert(session)).await
    }

    async fn get(&self, id: &str) -> Result<Option<Session>, StoreError> {
        self.timed("get", self.inner.get(id)).await
    }

    async fn find(
        &self,
        kind: LookupKind,
        hash: &SecretHash,
    ) -> Result<Option<Session>, StoreError> {
        self.timed("find", self.inner.find(kind, hash)).await
    }

    async fn update(&self, session: &Session, expected_version: u64) -> Result<(), StoreError> {
        self.timed("update", self.inner.update(session, expected_version))
            .await
    }

    async fn consume_nonce(
        &self,
        nonce_hash: &SecretHash,
        expires_at: UnixTime,
    ) -> Result<bool, StoreError> {
        self.timed(
            "consume_nonce",
            self.inner.consume_nonce(nonce_hash, expires_at),
        )
        .await
    }

    async fn commit(&self, commit: &Commit<'_>) -> Result<(), StoreError> {
        self.timed("commit", self.inner.commit(commit)).await
    }

    async fn sweep_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        self.timed("sweep_expired", self.inner.sweep_expired(now))
            .await
    }

    async fn count_by_state(&self) -> Result<Option<BTreeMap<String, u64>>, StoreError> {
        self.timed("count_by_state", self.inner.count_by_state())
            .await
    }

    async fn list(
        &self,
        query: &oid4vci_issuer::SessionQuery,
    ) -> Result<Option<Vec<Session>>, StoreError> {
        self.timed("list", self.inner.list(query)).await
    }
}

impl<S: StatusListStore> StatusListStore for Metered<S> {
    async fn reserve_statuses(
        &self,
        list: u32,
        candidates: &[u32],
        session_id: &str,
    ) -> Result<Vec<u32>, StoreError> {
        let call = self.inner.reserve_statuses(list, candidates, session_id);
        self.timed("reserve_statuses", call).await
    }

    async fn reserved_count(&self, list: u32) -> Result<u64, StoreError> {
        self.timed("reserved_count", self.inner.reserved_count(list))
            .await
    }

    async fn last_list(&self) -> Result<u32, StoreError> {
        self.timed("last_list", self.inner.last_list()).await
    }

    async fn set_status(&self, list: u32, idx: u32, status: u8) -> Result<Option<u8>, StoreError> {
        self.timed("set_status", self.inner.set_status(list, idx, status))
            .await
    }

    async fn non_valid_statuses(&self, list: u32) -> Result<Vec<StatusEntry>, StoreError> {
        self.timed("non_valid_statuses", self.inner.non_valid_statuses(list))
            .await
    }

    async fn session_statuses(&self, session_id: &str) -> Result<Vec<StatusEntry>, StoreError> {
        self.timed("session_statuses", self.inner.session_statuses(session_id))
            .await
    }
}
