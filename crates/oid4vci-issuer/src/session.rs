//! [`Session`]: one issuance, as plain data. The steps of the state machine take a session and
//! change it; nothing here does I/O or reads the clock.

use crate::clock::UnixTime;
use crate::event::{Event, EventKind, MAX_EVENTS};
use crate::secrets::SecretHash;
use oid4vci_types::TxCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Where a session stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Offer created; no token yet.
    Offered,
    /// An access token was issued.
    TokenIssued,
    /// At least one credential request was deferred and is not yet delivered.
    Deferred,
    /// Credentials were issued (and no deferred issuance is outstanding).
    Issued,
    /// The wallet sent a notification.
    Notified,
    /// Too many wrong transaction codes: the pre-authorized code is invalidated (13.6.3).
    Locked,
    /// A wallet pushed an authorization request (RFC 9126); the user has not decided yet.
    AuthorizationRequested,
    /// The user approved: an authorization code is out, not yet exchanged.
    Authorized,
    /// The user denied the authorization request.
    AuthorizationDenied,
    /// An authorization code was redeemed twice: the tokens it issued are revoked (RFC 6749 §4.1.2).
    Revoked,
}

impl SessionState {
    /// The snake_case name, as the session's serde form and the event log spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Offered => "offered",
            SessionState::TokenIssued => "token_issued",
            SessionState::Deferred => "deferred",
            SessionState::Issued => "issued",
            SessionState::Notified => "notified",
            SessionState::Locked => "locked",
            SessionState::AuthorizationRequested => "authorization_requested",
            SessionState::Authorized => "authorized",
            SessionState::AuthorizationDenied => "authorization_denied",
            SessionState::Revoked => "revoked",
        }
    }

    /// Every state, in the order of the type.
    pub const ALL: [SessionState; 10] = [
        SessionState::Offered,
        SessionState::TokenIssued,
        SessionState::Deferred,
        SessionState::Issued,
        SessionState::Notified,
        SessionState::Locked,
        SessionState::AuthorizationRequested,
        SessionState::Authorized,
        SessionState::AuthorizationDenied,
        SessionState::Revoked,
    ];
}

/// Kinds of secret a session can be found by. Stores index each as a separate lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LookupKind {
    /// The pre-authorized code of the offer.
    PreAuthorizedCode,
    /// The id in the offer's `credential_offer_uri`.
    OfferId,
    /// The access token.
    AccessToken,
    /// A deferred issuance's `transaction_id`.
    TransactionId,
    /// A credential response's `notification_id`.
    NotificationId,
    /// The `request_uri` of a pushed authorization request (RFC 9126).
    RequestUri,
    /// An authorization code (kept after redemption, so a second one is detected).
    AuthorizationCode,
    /// The `issuer_state` of an offer's authorization code grant.
    IssuerState,
    /// A refresh token (the current one and those rotated out, so a replay is detected).
    RefreshToken,
}

impl LookupKind {
    /// Every kind.
    pub const ALL: [LookupKind; 9] = [
        LookupKind::PreAuthorizedCode,
        LookupKind::OfferId,
        LookupKind::AccessToken,
        LookupKind::TransactionId,
        LookupKind::NotificationId,
        LookupKind::RequestUri,
        LookupKind::AuthorizationCode,
        LookupKind::IssuerState,
        LookupKind::RefreshToken,
    ];

    /// A stable snake_case name for stores to index by (its serde name). Stores keep it in
    /// their rows: never change one.
    pub fn as_str(self) -> &'static str {
        match self {
            LookupKind::PreAuthorizedCode => "pre_authorized_code",
            LookupKind::OfferId => "offer_id",
            LookupKind::AccessToken => "access_token",
            LookupKind::TransactionId => "transaction_id",
            LookupKind::NotificationId => "notification_id",
            LookupKind::RequestUri => "request_uri",
            LookupKind::AuthorizationCode => "authorization_code",
            LookupKind::IssuerState => "issuer_state",
            LookupKind::RefreshToken => "refresh_token",
        }
    }
}

/// The operator's flags for a session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionFlags {
    /// Proofs must carry a key attestation.
    pub require_key_attestation: bool,
    /// The token request must carry a wallet attestation (client authentication, Appendix E).
    pub require_wallet_attestation: bool,
    /// The access token must be DPoP-bound (RFC 9449).
    pub dpop_required: bool,
}

/// The pre-authorized code grant as the issuer keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreAuthorizedGrantState {
    /// Hash of the code.
    pub code_hash: SecretHash,
    /// The offer's `tx_code` object, when one is required.
    pub tx_code: Option<TxCode>,
    /// Hash of the expected transaction code.
    pub tx_code_hash: Option<SecretHash>,
    /// Wrong transaction codes so far.
    pub failed_tx_attempts: u32,
    /// Wrong transaction codes allowed before the code is invalidated.
    pub max_tx_attempts: u32,
    /// Set once the code has been exchanged.
    pub redeemed: bool,
}

/// The access token and what it grants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessGrant {
    /// Hash of the access token.
    pub token_hash: SecretHash,
    /// When the token expires.
    pub expires_at: UnixTime,
    /// The client id from the token request (absent: anonymous access).
    pub client_id: Option<String>,
    /// Granted configurations and the credential identifiers issued for them.
    pub granted: Vec<GrantedCredential>,
    /// True when the token response carried `authorization_details`, so requests must use
    /// `credential_identifier` (Section 8.2).
    pub uses_credential_identifiers: bool,
    /// RFC 7638 thumbprint of the DPoP key the token is bound to (RFC 9449), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
}

/// The refresh token family of a session (RFC 6749 §6, RFC 9700 §4.14): rotated on every use;
/// a rotated-out token presented again revokes the family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefreshState {
    /// Hash of the current refresh token.
    pub token_hash: SecretHash,
    /// The family ends at this time (fixed when the first one was issued).
    pub expires_at: UnixTime,
    /// RFC 7638 thumbprint of the DPoP key the tokens are bound to (RFC 9449 §5), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// The client the family was issued to.
    pub client_id: Option<String>,
    /// The client authenticated with a wallet attestation; a refresh must too.
    pub attested: bool,
    /// Hashes of rotated-out tokens (the latest [`MAX_ROTATED`](RefreshState::MAX_ROTATED)).
    pub rotated: Vec<SecretHash>,
}

impl RefreshState {
    /// How many rotated-out tokens are remembered for replay detection.
    pub const MAX_ROTATED: usize = 32;
}

/// A configuration the token grants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrantedCredential {
    /// The configuration id.
    pub configuration_id: String,
    /// Identifiers returned in the token response (one dataset per configuration here).
    pub credential_identifiers: Vec<String>,
}

/// An authorization-code flow in progress (the embedded authorization server).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationState {
    /// The checked request, as pushed.
    pub request: oid4vci_authorization::AuthorizationRequest,
    /// The configurations it authorizes.
    pub configuration_ids: Vec<String>,
    /// The request is bound to an operator-created offer (through `issuer_state`): the offer's
    /// claims are issued, not the user directory's.
    pub from_offer: bool,
    /// The client authenticated with a wallet attestation at PAR; the token request must too.
    pub wallet_attested: bool,
    /// Where it stands.
    pub step: AuthorizationStep,
}

/// The steps of an authorization request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum AuthorizationStep {
    /// Pushed; waiting for the browser and then the user.
    Requested {
        /// Hash of the `request_uri`.
        request_uri_hash: SecretHash,
        /// The `request_uri` is void after this.
        request_uri_expires_at: UnixTime,
        /// Hash of the anti-CSRF token of the login form last served (serving the page again
        /// before the user decides replaces it; the decision uses the request up).
        form_token_hash: Option<SecretHash>,
        /// The user must decide before this (set when the page is served).
        login_expires_at: UnixTime,
        /// Wrong passwords so far.
        failed_logins: u32,
    },
    /// Approved: a code is out.
    Authorized {
        /// Hash of the code.
        code_hash: SecretHash,
        /// The code is void after this.
        code_expires_at: UnixTime,
    },
    /// The code was exchanged for a token.
    Exchanged {
        /// Hash of the code (kept to detect a second redemption).
        code_hash: SecretHash,
    },
    /// The user denied, or the request was given up.
    Denied,
}

/// A deferred issuance waiting for claims or for the wallet to collect it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeferredIssuance {
    /// Hash of the `transaction_id`.
    pub transaction_hash: SecretHash,
    /// The configuration to issue.
    pub configuration_id: String,
    /// Holder keys (public JWKs) the credentials are bound to.
    pub holder_keys: Vec<Value>,
    /// Set once the wallet collected the credential; the id is invalid afterwards (9.1).
    pub collected: bool,
}

macro_rules! session_struct {
    ($vis:vis) => {
        /// One issuance session: opaque to embedders. A store keeps it as a whole (its serde form),
        /// indexes it by [`lookup_keys`](Session::lookup_keys) and compare-and-swaps on its
        /// [`version`](Session::version); only the issuer's steps change it. (The `testkit` feature
        /// makes the fields public, for the contract suites of `oid4vci-issuer-testkit`.)
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub struct Session {
            /// Random public id (operators use it; it grants nothing).
            $vis id: String,
            /// Incremented by every stored change; stores compare-and-swap on it.
            $vis version: u64,
            /// The Credential Issuer Identifier of the offer.
            $vis credential_issuer: String,
            /// Offered configurations.
            $vis configuration_ids: Vec<String>,
            /// The pre-authorized code grant, if offered.
            $vis pre_authorized: Option<PreAuthorizedGrantState>,
            /// The authorization code grant's `issuer_state`, if offered.
            $vis issuer_state: Option<String>,
            /// Hash of the id in the offer's `credential_offer_uri`.
            $vis offer_id_hash: Option<SecretHash>,
            /// Claims per configuration; a configuration without claims is issued deferred.
            $vis claims: BTreeMap<String, Value>,
            /// The subject the claims describe (the operator's identifier).
            $vis subject_id: Option<String>,
            /// Flags.
            $vis flags: SessionFlags,
            /// Where the session stands.
            $vis state: SessionState,
            /// Creation time.
            $vis created_at: UnixTime,
            /// The offer (and its pre-authorized code) is void after this.
            $vis offer_expires_at: UnixTime,
            /// The session may be swept after this.
            $vis expires_at: UnixTime,
            /// The access token, once issued.
            $vis access: Option<AccessGrant>,
            /// Deferred issuances.
            $vis deferred: Vec<DeferredIssuance>,
            /// Hashes of `notification_id`s handed out.
            $vis notification_hashes: Vec<SecretHash>,
            /// The event log.
            $vis events: Vec<Event>,
            /// Events dropped from the front of the log (see [`MAX_EVENTS`]).
            $vis events_dropped: u64,
            /// The refresh token family, when one was issued.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            $vis refresh: Option<RefreshState>,
            /// The authorization-code flow, when a wallet started one.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            $vis authorization: Option<AuthorizationState>,
        }
    };
}

#[cfg(feature = "testkit")]
session_struct!(pub);
#[cfg(not(feature = "testkit"))]
session_struct!(pub(crate));

impl Session {
    /// The random public id (operators use it; it grants nothing).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Incremented by every stored change; stores compare-and-swap on it.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Sets the version to the one the store holds (a store whose version column is
    /// authoritative sets it after loading the serialised session).
    pub fn set_stored_version(&mut self, version: u64) {
        self.version = version;
    }

    /// Where the session stands.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// The session may be swept after this.
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }

    /// The event log, oldest first (the first event is always kept; see
    /// [`events_dropped`](Session::events_dropped)).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Events dropped from the front of the log (see [`MAX_EVENTS`]).
    pub fn events_dropped(&self) -> u64 {
        self.events_dropped
    }
}

impl Session {
    /// Appends an event, dropping the oldest beyond [`MAX_EVENTS`] (public with the `testkit`
    /// feature, for tests that play a concurrent writer).
    #[cfg(feature = "testkit")]
    pub fn record(&mut self, kind: EventKind, at: UnixTime, details: Value) {
        self.append_event(kind, at, details);
    }

    /// Appends an event, dropping the oldest beyond [`MAX_EVENTS`].
    #[cfg(not(feature = "testkit"))]
    pub(crate) fn record(&mut self, kind: EventKind, at: UnixTime, details: Value) {
        self.append_event(kind, at, details);
    }

    fn append_event(&mut self, kind: EventKind, at: UnixTime, details: Value) {
        if self.events.len() >= MAX_EVENTS {
            // Keep the first event (`offer_created`): drop the oldest after it.
            self.events.remove(1.min(self.events.len() - 1));
            self.events_dropped += 1;
        }
        self.events.push(Event {
            kind,
            timestamp: at,
            details,
        });
    }

    /// Every secret this session can be looked up by, for the store's indexes.
    pub fn lookup_keys(&self) -> Vec<(LookupKind, SecretHash)> {
        let mut keys = Vec::new();
        if let Some(p) = &self.pre_authorized {
            keys.push((LookupKind::PreAuthorizedCode, p.code_hash));
        }
        if let Some(h) = self.offer_id_hash {
            keys.push((LookupKind::OfferId, h));
        }
        if let Some(a) = &self.access {
            keys.push((LookupKind::AccessToken, a.token_hash));
        }
        if let Some(r) = &self.refresh {
            keys.push((LookupKind::RefreshToken, r.token_hash));
            keys.extend(r.rotated.iter().map(|h| (LookupKind::RefreshToken, *h)));
        }
        for d in &self.deferred {
            keys.push((LookupKind::TransactionId, d.transaction_hash));
        }
        for n in &self.notification_hashes {
            keys.push((LookupKind::NotificationId, *n));
        }
        if let Some(state) = &self.issuer_state {
            keys.push((LookupKind::IssuerState, SecretHash::of(state)));
        }
        match self.authorization.as_ref().map(|a| &a.step) {
            Some(AuthorizationStep::Requested {
                request_uri_hash, ..
            }) => keys.push((LookupKind::RequestUri, *request_uri_hash)),
            Some(
                AuthorizationStep::Authorized { code_hash, .. }
                | AuthorizationStep::Exchanged { code_hash },
            ) => keys.push((LookupKind::AuthorizationCode, *code_hash)),
            Some(AuthorizationStep::Denied) | None => {}
        }
        keys
    }
}

/// Events in `after` that `before` did not have (the log only grows at its end).
pub(crate) fn new_events<'a>(before: Option<&Session>, after: &'a Session) -> &'a [Event] {
    let (old_len, old_dropped) =
        before.map_or((0, 0), |b| (b.events.len() as u64, b.events_dropped));
    let added =
        (after.events.len() as u64 + after.events_dropped).saturating_sub(old_len + old_dropped);
    let start = after
        .events
        .len()
        .saturating_sub(usize::try_from(added).unwrap_or(usize::MAX));
    after.events.get(start..).unwrap_or_default()
}

/// Details for an event: a JSON object from key/value pairs.
pub(crate) fn details<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k.to_owned(), v);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use crate::event::{EventKind, MAX_EVENTS};
    use crate::test_support::sample_session;
    use serde_json::json;

    #[test]
    fn state_names_are_the_serde_names() {
        for state in super::SessionState::ALL {
            assert_eq!(json!(state), json!(state.as_str()));
        }
    }

    #[test]
    fn lookup_kind_names_are_the_serde_names_and_distinct() {
        let mut names = std::collections::BTreeSet::new();
        for kind in super::LookupKind::ALL {
            assert_eq!(json!(kind), json!(kind.as_str()));
            assert!(names.insert(kind.as_str()), "{kind:?} has its own name");
        }
    }

    #[test]
    fn a_full_log_keeps_its_first_event_and_counts_what_it_dropped() {
        let mut s = sample_session("s", 1);
        s.record(EventKind::OfferCreated, 1, json!({}));
        for i in 0..(MAX_EVENTS + 10) {
            s.record(EventKind::OfferRetrieved, 2 + i as u64, json!({}));
        }
        assert_eq!(s.events.len(), MAX_EVENTS);
        assert_eq!(s.events[0].kind, EventKind::OfferCreated);
        assert_eq!(s.events_dropped, 11);
        assert_eq!(
            s.events.last().map(|e| e.timestamp),
            Some(2 + (MAX_EVENTS + 9) as u64)
        );
    }
}
