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
