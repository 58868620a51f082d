//! The offer by reference (Section 4.1.3) as a step: served until the offer expires, and logged.

use super::{Admission, Step, StepKind};
use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::refusal::Refusal;
use crate::session::Session;
use oid4vci_types::CredentialOffer;

/// A wallet fetches the offer by reference.
pub(crate) struct RetrieveOffer<'a> {
    /// The pre-authorized code (derived from the offer id, never stored).
    pub code: &'a str,
    /// The refusal for an unknown or expired offer.
    pub not_found: fn() -> Refusal,
}

impl Step for RetrieveOffer<'_> {
    type Output = CredentialOffer;

    fn kind(&self) -> StepKind {
        StepKind::RetrieveOffer
    }

    fn run(
        &mut self,
        session: &mut Session,
        _: Admission,
        now: UnixTime,
    ) -> Result<CredentialOffer, Refusal> {
        if now > session.offer_expires_at {
            return Err((self.not_found)());
        }
        session.record(EventKind::OfferRetrieved, now, serde_json::json!({}));
        let mut offer = CredentialOffer::new(
            session.credential_issuer.clone(),
            session.configuration_ids.clone(),
        );
        if let Some(p) = &session.pre_authorized {
            offer = offer.with_pre_authorized_code(self.code.to_owned(), p.tx_code.clone());
        }
        if let Some(state) = &session.issuer_state {
            offer = offer.with_authorization_code(Some(state.clone()));
        }
        Ok(offer)
    }
}

/// A session for another client's authorization request on `offer`, which an earlier request
/// already took past [`SessionState::Offered`](crate::SessionState::Offered): the offer's
/// configurations, claims, subject, flags and lifetime, none of its single-use values (the
/// pre-authorized code, the `issuer_state` and offer id lookups stay with the offer), and a log
/// of its own. It waits for its pushed request until `pending_until`.
pub(crate) fn copy_for_authorization(
    offer: &Session,
    id: String,
    now: UnixTime,
    pending_until: UnixTime,
) -> Session {
    Session {
        id,
        version: 0,
        credential_issuer: offer.credential_issuer.clone(),
        configuration_ids: offer.configuration_ids.clone(),
        pre_authorized: None,
        issuer_state: None,
        offer_id_hash: None,
        claims: offer.claims.clone(),
        subject_id: offer.subject_id.clone(),
        flags: offer.flags.clone(),
        state: crate::SessionState::Offered,
        created_at: now,
        offer_expires_at: offer.offer_expires_at,
        expires_at: pending_until,
        access: None,
        deferred: Vec::new(),
        notification_hashes: Vec::new(),
        events: Vec::new(),
        events_dropped: 0,
        refresh: None,
        authorization: None,
    }
}
