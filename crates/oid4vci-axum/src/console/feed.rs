//! [`ConsoleFeed`]: how live console pages learn that the issuer stored an event.

use oid4vci_issuer::{Event, EventObserver};
use tokio::sync::watch;

/// Tells live console pages that something changed: register it as (one of) the issuer's
/// event observers (`Issuer::with_event_observer`) and give it to
/// [`ConsoleConfig::new`](super::ConsoleConfig::new).
#[derive(Debug)]
pub struct ConsoleFeed {
    changes: watch::Sender<u64>,
}

impl Default for ConsoleFeed {
    fn default() -> Self {
        ConsoleFeed {
            changes: watch::Sender::new(0),
        }
    }
}

impl ConsoleFeed {
    /// A feed no page listens to yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Wakes every live page.
    pub fn notify(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}

impl EventObserver for ConsoleFeed {
    fn observe(&self, _session_id: &str, _event: &Event) {
        self.notify();
    }
}
