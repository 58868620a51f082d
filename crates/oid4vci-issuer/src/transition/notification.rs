//! Notification endpoint transition (Section 11).

use super::reject;
use crate::clock::UnixTime;
use crate::event::EventKind;
use crate::secrets::SecretHash;
use crate::session::{details, Session, SessionState};
use oid4vci_types::{ErrorCode, ErrorResponse, NotificationRequest};
use serde_json::json;

/// Records a notification. The id must be one this session handed out (`invalid_notification_id`,
/// logged as `notification_rejected`). Repeated identical notifications succeed (Section 11:
/// idempotent).
pub fn receive(
    session: &mut Session,
    id_hash: &SecretHash,
    request: &NotificationRequest,
    now: UnixTime,
) -> Result<(), ErrorResponse> {
    if !session.notification_hashes.iter().any(|h| h.ct_eq(id_hash)) {
        let error = reject(ErrorCode::InvalidNotificationId, "unknown notification_id");
        super::credential::record_rejection(
            session,
            EventKind::NotificationRejected,
            &error,
            json!({}),
            now,
        );
        return Err(error);
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
