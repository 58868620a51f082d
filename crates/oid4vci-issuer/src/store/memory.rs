//! [`MemoryStore`]: a [`SessionStore`] in process memory, for tests and single-process services.

use super::status::{StatusEntry, StatusListStore};
use super::{Commit, SessionQuery, SessionStore, SessionWrite, StoreError};
use crate::clock::UnixTime;
use crate::secrets::SecretHash;
use crate::session::{LookupKind, Session};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, Session>,
    index: HashMap<(LookupKind, SecretHash), String>,
    nonces: HashMap<SecretHash, UnixTime>,
    /// Status-list entries by (list, idx): status and owning session.
    statuses: BTreeMap<(u32, u32), (u8, String)>,
    /// Reserved entries per list (so the issuer's fill checks are not a scan).
    reserved_per_list: HashMap<u32, u64>,
    /// The entries of each session's credentials.
    statuses_by_session: HashMap<String, Vec<(u32, u32)>>,
}

impl Inner {
    fn index_is_free(&self, session: &Session) -> bool {
        session
            .lookup_keys()
            .iter()
            .all(|k| self.index.get(k).is_none_or(|owner| *owner == session.id))
    }

    /// Drops `keys` (a session's [`Session::lookup_keys`]) from the index.
    fn unindex(&mut self, keys: Vec<(LookupKind, SecretHash)>) {
        for key in keys {
            self.index.remove(&key);
        }
    }

    fn reindex(&mut self, session: &Session) {
        for key in session.lookup_keys() {
            self.index.insert(key, session.id.clone());
        }
    }

    /// The session write of a commit, checked but not applied: `Some(old keys)` for an update.
    fn check_write(
        &self,
        write: &SessionWrite<'_>,
    ) -> Result<Option<Vec<(LookupKind, SecretHash)>>, StoreError> {
        let session = write.session();
        let old_keys = match write {
            SessionWrite::Insert(_) => {
                if self.sessions.contains_key(&session.id) {
                    return Err(StoreError::Duplicate);
                }
                None
            }
            SessionWrite::Update {
                expected_version, ..
            } => {
                let current = self.sessions.get(&session.id).ok_or(StoreError::NotFound)?;
                if current.version != *expected_version || session.version != expected_version + 1 {
                    return Err(StoreError::VersionConflict);
                }
                Some(current.lookup_keys())
            }
        };
        if !self.index_is_free(session) {
            return Err(StoreError::LookupTaken);
        }
        Ok(old_keys)
    }

    fn write(&mut self, session: &Session, old_keys: Option<Vec<(LookupKind, SecretHash)>>) {
        if let Some(keys) = old_keys {
            self.unindex(keys);
        }
        self.reindex(session);
        self.sessions.insert(session.id.clone(), session.clone());
    }

    fn reserve(&mut self, list: u32, idx: u32, session_id: &str) {
        self.statuses.insert(
            (list, idx),
            (crate::status_list::VALID, session_id.to_owned()),
        );
        *self.reserved_per_list.entry(list).or_default() += 1;
        self.statuses_by_session
            .entry(session_id.to_owned())
            .or_default()
            .push((list, idx));
    }
}

/// Sessions (and status-list entries) in a mutex-guarded map. Clones share the same sessions.
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))
    }
}

impl SessionStore for MemoryStore {
    async fn insert(&self, session: &Session) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        let old_keys = inner.check_write(&SessionWrite::Insert(session))?;
        inner.write(session, old_keys);
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Session>, StoreError> {
        Ok(self.lock()?.sessions.get(id).cloned())
    }

    async fn find(
        &self,
        kind: LookupKind,
        hash: &SecretHash,
    ) -> Result<Option<Session>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .index
            .get(&(kind, *hash))
            .and_then(|id| inner.sessions.get(id))
            .cloned())
    }

    async fn update(&self, session: &Session, expected_version: u64) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        let write = SessionWrite::Update {
            session,
            expected_version,
        };
        let old_keys = inner.check_write(&write)?;
        inner.write(session, old_keys);
        Ok(())
    }

    async fn commit(&self, commit: &Commit<'_>) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        // Every check first, under the one lock: a refused commit changes nothing.
        let old_keys = inner.check_write(&commit.write)?;
        for (index, (hash, _)) in commit.nonces.iter().enumerate() {
            let repeated = commit.nonces.iter().take(index).any(|(h, _)| h == hash);
            if repeated || inner.nonces.contains_key(hash) {
                return Err(StoreError::NonceUsed { index });
            }
        }
        for (n, &(list, idx)) in commit.statuses.iter().enumerate() {
            if commit.statuses.iter().take(n).any(|s| *s == (list, idx))
                || inner.statuses.contains_key(&(list, idx))
            {
                return Err(StoreError::StatusTaken { list, idx });
            }
        }
        let session = commit.write.session();
        for &(hash, expires_at) in commit.nonces {
            inner.nonces.insert(hash, expires_at);
        }
        for &(list, idx) in commit.statuses {
            inner.reserve(list, idx, &session.id);
        }
        inner.write(session, old_keys);
        Ok(())
    }

    async fn consume_nonce(
        &self,
        nonce_hash: &SecretHash,
        expires_at: UnixTime,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        if inner.nonces.contains_key(nonce_hash) {
            return Ok(false);
        }
        inner.nonces.insert(*nonce_hash, expires_at);
        Ok(true)
    }

    async fn count_by_state(
        &self,
    ) -> Result<Option<std::collections::BTreeMap<String, u64>>, StoreError> {
        let mut counts = std::collections::BTreeMap::new();
        for session in self.lock()?.sessions.values() {
            *counts
                .entry(session.state().as_str().to_owned())
                .or_insert(0) += 1;
        }
        Ok(Some(counts))
    }

    async fn list(&self, query: &SessionQuery) -> Result<Option<Vec<Session>>, StoreError> {
        Ok(Some(query.select(self.lock()?.sessions.values())))
    }

    async fn sweep_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        let mut inner = self.lock()?;
        let expired: Vec<Session> = inner
            .sessions
            .values()
            .filter(|s| s.expires_at < now)
            .cloned()
            .collect();
        for s in &expired {
            inner.unindex(s.lookup_keys());
            inner.sessions.remove(&s.id);
        }
        inner.nonces.retain(|_, exp| *exp >= now);
        Ok(expired.len() as u64)
    }
}

impl StatusListStore for MemoryStore {
    async fn reserve_statuses(
        &self,
        list: u32,
        candidates: &[u32],
        session_id: &str,
    ) -> Result<Vec<u32>, StoreError> {
        let mut inner = self.lock()?;
        let mut reserved = Vec::with_capacity(candidates.len());
        for &idx in candidates {
            if !inner.statuses.contains_key(&(list, idx)) {
                inner.reserve(list, idx, session_id);
                reserved.push(idx);
            }
        }
        Ok(reserved)
    }

    async fn reserved_count(&self, list: u32) -> Result<u64, StoreError> {
        let inner = self.lock()?;
        Ok(inner.reserved_per_list.get(&list).copied().unwrap_or(0))
    }

    async fn last_list(&self) -> Result<u32, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .statuses
            .keys()
            .next_back()
            .map_or(0, |(list, _)| *list))
    }

    async fn set_status(&self, list: u32, idx: u32, status: u8) -> Result<Option<u8>, StoreError> {
        let mut inner = self.lock()?;
        Ok(inner
            .statuses
            .get_mut(&(list, idx))
            .map(|(current, _)| std::mem::replace(current, status)))
    }

    async fn non_valid_statuses(&self, list: u32) -> Result<Vec<StatusEntry>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .statuses
            .range((list, 0)..=(list, u32::MAX))
            .filter(|(_, (status, _))| *status != crate::status_list::VALID)
            .map(|(&(list, idx), &(status, _))| StatusEntry { list, idx, status })
            .collect())
    }

    async fn session_statuses(&self, session_id: &str) -> Result<Vec<StatusEntry>, StoreError> {
        let inner = self.lock()?;
        let mut entries: Vec<StatusEntry> = inner
            .statuses_by_session
            .get(session_id)
            .into_iter()
            .flatten()
            .filter_map(|&(list, idx)| {
                let (status, _) = inner.statuses.get(&(list, idx))?;
                Some(StatusEntry {
                    list,
                    idx,
                    status: *status,
                })
            })
            .collect();
        entries.sort_unstable();
        Ok(entries)
    }
}
