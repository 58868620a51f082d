//! [`SessionSummary`]: what the operator API shows of a session — everything but its secrets.

use crate::clock::UnixTime;
use crate::event::Event;
use crate::session::{Session, SessionFlags, SessionState};
use crate::status_list::StatusReference;
use serde::{Deserialize, Serialize};

fn grants(session: &Session) -> GrantsSummary {
    GrantsSummary {
        pre_authorized_code: session.pre_authorized.is_some(),
        tx_code_required: session
            .pre_authorized
            .as_ref()
            .is_some_and(|p| p.tx_code.is_some()),
        authorization_code: session.issuer_state.is_some(),
    }
}

/// A line of the operator's session list.
pub(crate) fn listing(session: &Session) -> SessionListing {
    SessionListing {
        session_id: session.id.clone(),
        state: session.state,
        credential_configuration_ids: session.configuration_ids.clone(),
        grants: grants(session),
        wallet_initiated: session.issuer_state.is_none()
            && session.pre_authorized.is_none()
            && session.authorization.is_some(),
        subject_id: session.subject_id.clone(),
        created_at: session.created_at,
        expires_at: session.expires_at,
        event_count: session.events.len() as u64 + session.events_dropped,
        last_event: session.events.last().cloned(),
    }
}

/// The operator's view of a session: everything but secrets.
pub(crate) fn summary(session: &Session) -> SessionSummary {
    SessionSummary {
        session_id: session.id.clone(),
        state: session.state,
        credential_issuer: session.credential_issuer.clone(),
        credential_configuration_ids: session.configuration_ids.clone(),
        grants: grants(session),
        claims_present: session.claims.keys().cloned().collect(),
        subject_id: session.subject_id.clone(),
        flags: session.flags.clone(),
        created_at: session.created_at,
        offer_expires_at: session.offer_expires_at,
        expires_at: session.expires_at,
        version: session.version,
        events: session.events.clone(),
        events_dropped: session.events_dropped,
        credentials: Vec::new(),
    }
}

/// Which grants an offer carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantsSummary {
    /// The pre-authorized code grant is offered.
    pub pre_authorized_code: bool,
    /// A transaction code is required with it.
    pub tx_code_required: bool,
    /// The authorization code grant is offered.
    pub authorization_code: bool,
}

/// A session as [`Issuer::sessions`](crate::Issuer::sessions) lists it: where it stands and
/// its last event, without secrets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionListing {
    /// The session id.
    pub session_id: String,
    /// Where it stands.
    pub state: SessionState,
    /// Offered (or requested) configurations.
    pub credential_configuration_ids: Vec<String>,
    /// Offered grants.
    pub grants: GrantsSummary,
    /// Started by a wallet's pushed authorization request, without an offer.
    pub wallet_initiated: bool,
    /// The subject.
    pub subject_id: Option<String>,
    /// Creation time.
    pub created_at: UnixTime,
    /// Session expiry.
    pub expires_at: UnixTime,
    /// Events logged so far (including those dropped from the front of the log).
    pub event_count: u64,
    /// The newest event.
    pub last_event: Option<Event>,
}

/// What [`Issuer::inspect`](crate::Issuer::inspect) returns: a session without its secrets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// The session id.
    pub session_id: String,
    /// Where it stands.
    pub state: SessionState,
    /// The issuer identifier.
    pub credential_issuer: String,
    /// Offered configurations.
    pub credential_configuration_ids: Vec<String>,
    /// Offered grants.
    pub grants: GrantsSummary,
    /// Configurations that have claims.
    pub claims_present: Vec<String>,
    /// The subject.
    pub subject_id: Option<String>,
    /// Flags.
    pub flags: SessionFlags,
    /// Creation time.
    pub created_at: UnixTime,
    /// Offer expiry.
    pub offer_expires_at: UnixTime,
    /// Session expiry.
    pub expires_at: UnixTime,
    /// Stored version.
    pub version: u64,
    /// The event log.
    pub events: Vec<Event>,
    /// Events dropped from the front of the log.
    pub events_dropped: u64,
    /// The credentials issued in the session and their status, when the issuer keeps status
    /// lists (filled by [`Issuer::inspect`](crate::Issuer::inspect)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<CredentialStatus>,
}

/// A credential of a session and its status, for
/// [`Issuer::credential_statuses`](crate::Issuer::credential_statuses).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialStatus {
    /// Where its status is kept.
    pub status_list: StatusReference,
    /// `valid` or `revoked`.
    pub status: String,
}
