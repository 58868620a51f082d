//! Status lists in the service: index reservation at issuance, revocation by the operator, and
//! the signed Status List Tokens relying parties fetch (see [`crate::status_list`]).

use super::commit::Effects;
use super::*;
use crate::clock::UnixTime;
use crate::status_list::{StatusBits, StatusListConfig, StatusReference, INVALID, VALID};
use crate::store::status::DynStatusListStore;
use crate::store::{StatusEntry, StatusListStore};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

/// Reservations between two reads of the current list's fill from the store (it is also read
/// after a collision, and when this issuer's own count reaches the limit). Only other
/// instances' reservations go unseen in between: at most this many per instance, far below the
/// half-empty list the fill limit keeps, and a count is a scan in SQL stores.
const FILL_CHECK_EVERY: u32 = 256;
/// Longest operator-given revocation reason kept in the log.
pub const MAX_REASON_LEN: usize = 256;

/// A signed Status List Token ready to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusListToken {
    /// The compact JWS (`application/statuslist+jwt`).
    pub jwt: String,
    /// A strong entity tag for it (quoted, for `ETag` and `If-None-Match`).
    pub etag: String,
    /// Seconds a client may cache it (`Cache-Control: max-age`): the token's `ttl`.
    pub max_age: u64,
}

/// What a revocation did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// The session.
    pub session_id: String,
    /// Entries this call revoked.
    pub revoked: Vec<StatusReference>,
    /// Entries that were revoked already (revocation is idempotent).
    pub already_revoked: Vec<StatusReference>,
    /// False when the session itself was swept meanwhile, so the revocation is not in its log
    /// (the entries are revoked all the same).
    pub logged: bool,
}

struct Cached {
    built_at: UnixTime,
    token: StatusListToken,
}

/// The issuer's status lists: the configuration, the store, the list new credentials go to,
/// and the last token built per list.
pub(crate) struct StatusLists {
    config: StatusListConfig,
    store: Arc<dyn DynStatusListStore>,
    /// The list new credentials go to; 0 until the store was asked.
    current: AtomicU32,
    /// Reservations since the current list's fill was last read from the store.
    since_check: AtomicU32,
    /// The current list's fill as last read, plus what this issuer reserved in it since (other
    /// instances' reservations show at the next read).
    known_fill: AtomicU64,
    tokens: Mutex<HashMap<u32, Cached>>,
}

impl StatusLists {
    fn reference(&self, list: u32, idx: u32) -> StatusReference {
        StatusReference {
            list,
            idx,
            uri: self.config.uri(list),
        }
    }

    fn forget_token(&self, list: u32) {
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.remove(&list);
        }
    }

    /// The list to reserve in: the first not yet filled to the limit. The store is asked when
    /// this issuer's own count reaches the limit, after a collision (`force_check`), and every
    /// [`FILL_CHECK_EVERY`] reservations (for other instances' reservations).
    async fn current_list(&self, force_check: bool) -> Result<u32, StoreError> {
        let mut list = self.current.load(Ordering::Acquire);
        let checks_due = self.since_check.fetch_add(1, Ordering::AcqRel) >= FILL_CHECK_EVERY;
        let full = self.known_fill.load(Ordering::Acquire) >= u64::from(self.config.fill_limit);
        if list != 0 && !force_check && !checks_due && !full {
            return Ok(list);
        }
        self.since_check.store(0, Ordering::Release);
        if list == 0 {
            list = self.store.last().await?.max(1);
        }
        let mut fill = self.store.count(list).await?;
        while fill >= u64::from(self.config.fill_limit) {
            list = list
                .checked_add(1)
                .ok_or_else(|| StoreError::Backend("every status list number is in use".into()))?;
            fill = self.store.count(list).await?;
        }
        self.known_fill.store(fill, Ordering::Release);
        self.current.fetch_max(list, Ordering::AcqRel);
        Ok(list)
    }
}

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    /// Gives every credential a status-list entry (a `status` claim, or the mdoc MSO's `status`),
    /// serves the lists as signed Status List Tokens ([`status_list_token`](Self::status_list_token))
    /// and lets the operator revoke ([`revoke`](Self::revoke)). The session store keeps the
    /// entries too (every store of this workspace is both): a credential's entry is reserved in
    /// the same commit that records the credential.
    pub fn with_status_lists(mut self, config: StatusListConfig) -> Result<Self, IssuerError>
    where
        S: StatusListStore + Clone,
    {
        config.validate()?;
        self.status_lists = Some(Arc::new(StatusLists {
            config,
            store: Arc::new(self.store.clone()),
            current: AtomicU32::new(0),
            since_check: AtomicU32::new(0),
            known_fill: AtomicU64::new(0),
            tokens: Mutex::new(HashMap::new()),
        }));
        Ok(self)
    }

    /// The status-list configuration, when status lists are on.
    pub fn status_list_config(&self) -> Option<&StatusListConfig> {
        self.status_lists.as_ref().map(|s| &s.config)
    }

    /// Draws `count` distinct random indices of the current list for credentials about to be
    /// minted (none when status lists are off). Nothing is reserved here: the request's commit
    /// reserves them, and a collision there makes the request draw again, with
    /// `after_collision` set so that the list's fill is read afresh first.
    pub(super) async fn draw_statuses(
        &self,
        count: usize,
        after_collision: bool,
    ) -> Outcome<Vec<StatusReference>> {
        let Some(lists) = &self.status_lists else {
            return Ok(Vec::new());
        };
        let capacity = u64::from(lists.config.capacity);
        let list = lists
            .current_list(after_collision)
            .await
            .map_err(server_error)?;
        let mut drawn: Vec<StatusReference> = Vec::with_capacity(count);
        while drawn.len() < count {
            let mut bytes = [0u8; 8];
            self.secrets.fill(&mut bytes);
            // capacity <= 2^24, so the remainder fits and its bias is below 2^-40.
            let idx = u32::try_from(u64::from_le_bytes(bytes) % capacity).unwrap_or(0);
            if !drawn.iter().any(|r| r.idx == idx) {
                drawn.push(lists.reference(list, idx));
            }
        }
        Ok(drawn)
    }

    /// Counts entries a commit reserved towards the current list's fill.
    pub(super) fn note_reserved(&self, count: usize) {
        if let Some(lists) = &self.status_lists {
            lists.known_fill.fetch_add(count as u64, Ordering::AcqRel);
        }
    }

    /// The signed Status List Token of list `list` (`None` for a list that does not exist).
    /// Tokens are rebuilt at most every `min(ttl, 60)` seconds, and at once after a revocation
    /// through this issuer.
    pub async fn status_list_token(
        &self,
        list: u32,
    ) -> Result<Option<StatusListToken>, IssuerError> {
        let Some(lists) = &self.status_lists else {
            return Ok(None);
        };
        let now = self.clock.now();
        let refresh = lists.config.ttl.min(60);
        if let Ok(tokens) = lists.tokens.lock() {
            if let Some(c) = tokens.get(&list) {
                if now < c.built_at.saturating_add(refresh) && now >= c.built_at {
                    return Ok(Some(c.token.clone()));
                }
            }
        }
        if list == 0
            || list
                > lists
                    .store
                    .last()
                    .await?
                    .max(lists.current.load(Ordering::Acquire))
        {
            return Ok(None);
        }
        let mut bits = StatusBits::new(lists.config.capacity);
        for entry in lists.store.non_valid(list).await? {
            bits.set(entry.idx, entry.status);
        }
        let config = &lists.config;
        let jwt = crate::status_list::sign_token(
            config.signer.as_ref(),
            &config.uri(list),
            &bits,
            now,
            config.ttl,
            config.lifetime,
        )
        .await
        .map_err(IssuerError::Signing)?;
        let etag = format!(
            "\"{}\"",
            SecretHash::of(&jwt).to_hex().get(..32).unwrap_or("")
        );
        let token = StatusListToken {
            jwt,
            etag,
            max_age: config.ttl,
        };
        if let Ok(mut tokens) = lists.tokens.lock() {
            tokens.insert(
                list,
                Cached {
                    built_at: now,
                    token: token.clone(),
                },
            );
        }
        Ok(Some(token))
    }

    /// Revokes the credentials of a session: all of them, or only the one at `only`
    /// (`(list, idx)`). Works after the session was swept (credentials outlive sessions); the
    /// session's log records it while the session exists. Idempotent.
    pub async fn revoke(
        &self,
        session_id: &str,
        only: Option<(u32, u32)>,
        reason: Option<&str>,
    ) -> Result<Revocation, IssuerError> {
        let Some(lists) = &self.status_lists else {
            return Err(IssuerError::Unsupported(
                "revocation needs status lists (Issuer::with_status_lists)".into(),
            ));
        };
        if reason.is_some_and(|r| r.chars().count() > MAX_REASON_LEN) {
            return Err(IssuerError::InvalidRevocation(format!(
                "the reason must be at most {MAX_REASON_LEN} characters"
            )));
        }
        let mut entries = lists.store.of_session(session_id).await?;
        if let Some((list, idx)) = only {
            entries.retain(|e| e.list == list && e.idx == idx);
            if entries.is_empty() {
                return Err(IssuerError::UnknownCredential(format!(
                    "session {session_id} has no credential at status list {list}, index {idx}"
                )));
            }
        }
        let session_exists = self.store.get(session_id).await?.is_some();
        if entries.is_empty() && !session_exists {
            return Err(IssuerError::NotFound);
        }
        let mut revoked = Vec::new();
        let mut already_revoked = Vec::new();
        for StatusEntry { list, idx, .. } in entries {
            match lists.store.set(list, idx, INVALID).await? {
                Some(VALID) => revoked.push(lists.reference(list, idx)),
                Some(_) => already_revoked.push(lists.reference(list, idx)),
                None => {}
            }
            lists.forget_token(list);
        }
        let mut logged = session_exists;
        if !revoked.is_empty() {
            let now = self.clock.now();
            let details = json!({
                "status_list": revoked.iter().map(|r| json!({"uri": r.uri, "idx": r.idx})).collect::<Vec<_>>(),
                "reason": reason,
            });
            let entry = crate::machine::Log {
                kind: EventKind::CredentialRevoked,
                details,
            };
            let none = Effects::default();
            let stored = self.log(None, session_id, entry, &none, now).await;
            // The entries are revoked either way; say whether the log has it.
            logged &= stored.is_ok();
        }
        Ok(Revocation {
            session_id: session_id.to_owned(),
            revoked,
            already_revoked,
            logged,
        })
    }

    /// The status of every credential issued in a session (empty when status lists are off).
    pub async fn credential_statuses(
        &self,
        session_id: &str,
    ) -> Result<Vec<CredentialStatus>, IssuerError> {
        let Some(lists) = &self.status_lists else {
            return Ok(Vec::new());
        };
        Ok(lists
            .store
            .of_session(session_id)
            .await?
            .into_iter()
            .map(|e| CredentialStatus {
                status_list: lists.reference(e.list, e.idx),
                status: if e.status == VALID {
                    "valid"
                } else {
                    "revoked"
                }
                .into(),
            })
            .collect())
    }
}
