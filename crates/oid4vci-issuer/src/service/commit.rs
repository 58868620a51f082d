//! The one commit loop: every endpoint and operator call that changes a session goes through
//! [`Issuer::commit`], which applies one step of the state machine and writes the step's
//! session together with the request's [`Effects`] in one [`SessionStore::commit`].

use super::*;
use crate::store::{Commit, SessionWrite};
use std::borrow::Cow;

/// A request whose access token (and DPoP proof) passed: its session as loaded, the token's
/// hash, and the single-use values to consume with the request's commit.
pub(super) type Authorized = (Session, SecretHash, Effects);

/// How [`Issuer::commit`] finds the session.
#[derive(Clone, Copy)]
pub(super) enum Load<'a> {
    /// By the hash of a secret.
    Lookup(LookupKind, &'a SecretHash),
    /// By id.
    Id(&'a str),
}

/// A single-use value a request presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SingleUse {
    /// The `c_nonce` of its key proofs.
    CNonce,
    /// Its DPoP proof's `jti`.
    DpopProof,
    /// Its wallet attestation PoP's `jti`.
    AttestationPop,
}

impl SingleUse {
    /// The refusal of a request that presents this value a second time (built only then).
    fn replayed(self) -> Refusal {
        match self {
            SingleUse::CNonce => Refusal::new(Cause::ProofNonceReplayed,
                "the c_nonce in the proof has already been used; fetch a new one from the nonce endpoint (OID4VCI 1.0 Section 8.3.1.2)",
            ),
            SingleUse::DpopProof => Refusal::new(Cause::DpopProofReplayed,
                "this DPoP proof (jti) was already used; make a new one for each request",
            ),
            SingleUse::AttestationPop => Refusal::new(Cause::WalletAttestationReplayed,
                "wallet attestation refused: this PoP (jti) was already used",
            ),
        }
    }
}

/// What a request consumes and reserves besides its session change, written in the same
/// commit: single-use values (its `c_nonce`, its DPoP proof's and wallet attestation PoP's
/// `jti`) and status-list entries.
#[derive(Default)]
pub(super) struct Effects {
    nonces: Vec<(SecretHash, u64)>,
    kinds: Vec<SingleUse>,
    /// Status-list entries `(list, idx)` for the credentials the request issues.
    pub statuses: Vec<(u32, u32)>,
}

impl Effects {
    /// Consumes `hash` (kept until `expires_at`), a value of kind `kind`.
    pub fn consume(&mut self, hash: SecretHash, expires_at: u64, kind: SingleUse) {
        self.nonces.push((hash, expires_at));
        self.kinds.push(kind);
    }

    /// The refusal for the value at `index`, which was already consumed.
    fn replayed(&self, index: usize) -> Refusal {
        self.kinds
            .get(index)
            .map_or_else(|| SingleUse::DpopProof.replayed(), |kind| kind.replayed())
    }

    /// The single-use values only (a refusal consumes them, and reserves nothing).
    fn consumed_only(&self) -> Effects {
        Effects {
            nonces: self.nonces.clone(),
            kinds: self.kinds.clone(),
            statuses: Vec::new(),
        }
    }
}

/// Why the commit loop stored nothing.
#[derive(Debug)]
pub(super) enum CommitFailure {
    /// The store failed.
    Store(StoreError),
    /// The session kept changing under us ([`MAX_CAS_RETRIES`] conflicts in a row).
    Busy,
    /// A single-use value of the effects was consumed before: its replay refusal.
    Replayed(Refusal),
    /// A status-list entry of the effects is taken: draw again.
    StatusTaken,
}

impl CommitFailure {
    pub(super) fn into_response(self) -> Refusal {
        match self {
            CommitFailure::Store(e) => server_error(e),
            CommitFailure::Busy => Refusal::new(Cause::Busy, "the session is busy; retry"),
            CommitFailure::Replayed(refusal) => refusal,
            CommitFailure::StatusTaken => Refusal::new(
                Cause::StatusListFull,
                "no free status-list entry was found; retry later",
            ),
        }
    }
}

impl From<CommitFailure> for IssuerError {
    fn from(failure: CommitFailure) -> Self {
        match failure {
            CommitFailure::Store(e) => IssuerError::Store(e),
            CommitFailure::Busy | CommitFailure::StatusTaken => IssuerError::Contention,
            CommitFailure::Replayed(_) => IssuerError::Contention,
        }
    }
}

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    /// The one commit loop. Loads the session (or starts from `loaded`, as the request just
    /// loaded it), applies `step` to a working copy through the state machine, and writes the
    /// copy with `effects` in one store commit (compare-and-swap on the version). On a version
    /// conflict the session is loaded again and the whole step re-runs on it, the (state, step)
    /// table and the step's guards included. The step's own refusal is written too (refusals
    /// are logged), with the effects' single-use values but no status entries; a step that
    /// changed nothing writes nothing. The observer sees the events once the store accepted
    /// them. `Ok(None)`: no such session.
    pub(super) async fn commit<St: Step>(
        &self,
        mut loaded: Option<&Session>,
        load: Load<'_>,
        step: &mut St,
        effects: &Effects,
        now: u64,
    ) -> Result<Option<Outcome<St::Output>>, CommitFailure> {
        // What a refused step writes: the single-use values, no status entries (made when first
        // needed: most requests succeed).
        let mut refused: Option<Effects> = None;
        for _ in 0..MAX_CAS_RETRIES {
            let original = match loaded.take() {
                Some(session) => Cow::Borrowed(session),
                None => {
                    let found = match load {
                        Load::Lookup(kind, hash) => self.store.find(kind, hash).await,
                        Load::Id(id) => self.store.get(id).await,
                    };
                    match found.map_err(CommitFailure::Store)? {
                        Some(session) => Cow::Owned(session),
                        None => return Ok(None),
                    }
                }
            };
            let mut working = Session::clone(&original);
            let outcome = machine::apply(&mut working, step, now);
            let effects = if outcome.is_ok() || effects.statuses.is_empty() {
                effects
            } else {
                refused.get_or_insert_with(|| effects.consumed_only())
            };
            // Most steps log an event: a longer log is a change without comparing the rest.
            let logged = working.events.len() != original.events.len()
                || working.events_dropped != original.events_dropped;
            if !logged && working == *original && effects.nonces.is_empty() {
                return Ok(Some(outcome));
            }
            working.version = original.version + 1;
            let write = SessionWrite::Update {
                session: &working,
                expected_version: original.version,
            };
            match self.write(write, effects).await {
                Ok(()) => {
                    self.observe(Some(&original), &working);
                    return Ok(Some(outcome));
                }
                Err(CommitFailure::Store(StoreError::VersionConflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(CommitFailure::Busy)
    }

    /// One store commit of `write` with `effects`.
    async fn write(&self, write: SessionWrite<'_>, effects: &Effects) -> Result<(), CommitFailure> {
        let commit = Commit {
            write,
            nonces: &effects.nonces,
            statuses: &effects.statuses,
        };
        match self.store.commit(&commit).await {
            Ok(()) => Ok(()),
            Err(StoreError::NonceUsed { index }) => {
                Err(CommitFailure::Replayed(effects.replayed(index)))
            }
            Err(StoreError::StatusTaken { .. }) => Err(CommitFailure::StatusTaken),
            Err(e) => Err(CommitFailure::Store(e)),
        }
    }

    /// [`commit`](Self::commit) for a wallet endpoint: a missing session is `not_found()`,
    /// store failures, contention and replays their wire errors.
    pub(super) async fn step<St: Step>(
        &self,
        loaded: Option<&Session>,
        load: Load<'_>,
        not_found: impl FnOnce() -> Refusal,
        step: &mut St,
        effects: &Effects,
        now: u64,
    ) -> Outcome<St::Output> {
        match self.commit(loaded, load, step, effects, now).await {
            Ok(Some(outcome)) => outcome,
            Ok(None) => Err(not_found()),
            Err(failure) => Err(failure.into_response()),
        }
    }

    /// Stores a new session with `effects` (its first events are reported to the observer).
    pub(super) async fn commit_new(
        &self,
        session: &Session,
        effects: &Effects,
    ) -> Result<(), CommitFailure> {
        self.write(SessionWrite::Insert(session), effects).await?;
        self.observe(None, session);
        Ok(())
    }

    /// Logs an event on a session, consuming the effects' single-use values (a vanished
    /// session is not an error).
    pub(super) async fn log(
        &self,
        loaded: Option<&Session>,
        session_id: &str,
        entry: machine::Log,
        effects: &Effects,
        now: u64,
    ) -> Outcome<()> {
        self.log_entry(loaded, session_id, entry, effects, now)
            .await
            .map_err(CommitFailure::into_response)
    }

    async fn log_entry(
        &self,
        loaded: Option<&Session>,
        session_id: &str,
        mut entry: machine::Log,
        effects: &Effects,
        now: u64,
    ) -> Result<(), CommitFailure> {
        let owned;
        let effects = if effects.statuses.is_empty() {
            effects
        } else {
            owned = effects.consumed_only();
            &owned
        };
        self.commit(loaded, Load::Id(session_id), &mut entry, effects, now)
            .await
            .map(|_| ())
    }

    /// Logs a refusal on the session and returns it for the wallet. A request whose DPoP
    /// proof (or attestation PoP) turns out to be a replay gets that refusal instead, logged
    /// in its place.
    pub(super) async fn refuse(
        &self,
        session: &Session,
        kind: EventKind,
        error: Refusal,
        extra: Value,
        effects: &Effects,
        now: u64,
    ) -> Refusal {
        let id = session.id.clone();
        let entry = machine::refusal_log(kind, &error, extra.clone());
        match self
            .log_entry(Some(session), &id, entry, effects, now)
            .await
        {
            Ok(()) => error,
            Err(CommitFailure::Replayed(replay)) => {
                let entry = machine::refusal_log(kind, &replay, extra);
                match self.log(None, &id, entry, &Effects::default(), now).await {
                    Ok(()) => replay,
                    Err(store_error) => store_error,
                }
            }
            Err(failure) => failure.into_response(),
        }
    }
}
