//! Notification endpoint step (Section 11).

use super::credential::{authorize, TokenUse};
use super::{Admission, Step, StepKind};
use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::refusal::{Cause, Refusal};
use crate::secrets::SecretHash;
use crate::session::{details, Session, SessionState};
use oid4vci_types::NotificationRequest;
use serde_json::json;

/// A notification as a step: the access token is checked on the session as it stands.
pub(crate) struct Notify<'a> {
    /// Hash of the access token presented.
    pub token_hash: SecretHash,
    /// Hash of the `notification_id`.
    pub id_hash: SecretHash,
    /// The request.
    pub request: &'a NotificationRequest,
}

impl Step for Notify<'_> {
    type Output = ();
    fn kind(&self) -> StepKind {
        StepKind::Notify
    }
    fn run(&mut self, session: &mut Session, _: Admission, now: UnixTime) -> Result<(), Refusal> {
        authorize(session, &self.token_hash, now, TokenUse::FollowUp)?;
        receive(session, &self.id_hash, self.request, now)
    }
}

/// Records a notification. The id must be one this session handed out (`invalid_notification_id`,
/// logged as `notification_rejected`). Repeated identical notifications succeed (Section 11:
/// idempotent).
fn receive(
    session: &mut Session,
    id_hash: &SecretHash,
    request: &NotificationRequest,
    now: UnixTime,
) -> Result<(), Refusal> {
    if !session.notification_hashes.iter().any(|h| h.ct_eq(id_hash)) {
        let error = Refusal::new(Cause::NotificationIdUnknown, "unknown notification_id");
        return Err(super::refuse(
            session,
            EventKind::NotificationRejected,
            error,
            now,
        ));
    }
    session.state = SessionState::Notified;
    session.record(
        EventKind::NotificationReceived,
        now,
        details([
            ("event", json!(request.event.as_str())),
            ("event_description", json!(request.event_description)),
        ]),
    );
    Ok(())
}
