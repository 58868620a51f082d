//! Helpers for the crate's own unit tests (the testkit crate serves everyone else; a unit test
//! cannot use it, as it would link a second copy of this crate).

use crate::session::{Session, SessionFlags, SessionState};

/// A session in state `offered` with no secrets.
pub(crate) fn sample_session(id: &str, now: u64) -> Session {
    Session {
        id: id.to_owned(),
        version: 0,
        credential_issuer: "https://issuer.example.com".into(),
        configuration_ids: vec!["eu.europa.ec.av.1".into()],
        pre_authorized: None,
        issuer_state: None,
        offer_id_hash: None,
        claims: Default::default(),
        subject_id: None,
        flags: SessionFlags::default(),
        state: SessionState::Offered,
        created_at: now,
        offer_expires_at: now + 600,
        expires_at: now + 3600,
        access: None,
        deferred: Vec::new(),
        notification_hashes: Vec::new(),
        events: Vec::new(),
        events_dropped: 0,
        refresh: None,
        authorization: None,
    }
}
