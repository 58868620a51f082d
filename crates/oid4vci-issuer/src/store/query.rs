//! [`SessionQuery`]: which sessions [`SessionStore::list`](super::SessionStore::list) returns,
//! for the operator's session list.

use crate::session::{Session, SessionState};
use serde::{Deserialize, Serialize};

/// The most sessions one [`SessionQuery`] returns.
pub const MAX_LISTED_SESSIONS: usize = 500;

/// A grant a session offers or runs, as the session list filters by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    /// The pre-authorized code grant (the offer carries a pre-authorized code).
    PreAuthorizedCode,
    /// The authorization code grant: offered with an `issuer_state`, or started by a wallet's
    /// pushed authorization request.
    AuthorizationCode,
}

impl GrantKind {
    /// The snake_case name (as in the operator API's `grant` filter).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::PreAuthorizedCode => "pre_authorized_code",
            GrantKind::AuthorizationCode => "authorization_code",
        }
    }
}

/// Which sessions to list: the newest first (by creation time, then by id), at most
/// [`limit`](SessionQuery::limit) of them, each matching every filter that is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionQuery {
    /// Only sessions in this state.
    pub state: Option<SessionState>,
    /// Only sessions offering or running this credential configuration.
    pub configuration_id: Option<String>,
    /// Only sessions with this grant.
    pub grant: Option<GrantKind>,
    /// At most this many (at most [`MAX_LISTED_SESSIONS`]; see [`SessionQuery::limit`]).
    pub limit: usize,
}

impl Default for SessionQuery {
    fn default() -> Self {
        SessionQuery {
            state: None,
            configuration_id: None,
            grant: None,
            limit: 50,
        }
    }
}

impl SessionQuery {
    /// The number of sessions to return: [`limit`](SessionQuery::limit), at least 1 and at
    /// most [`MAX_LISTED_SESSIONS`].
    pub fn limit(&self) -> usize {
        self.limit.clamp(1, MAX_LISTED_SESSIONS)
    }

    /// Whether `session` passes every filter: the rule stores that filter in their own query
    /// language must keep.
    pub fn matches(&self, session: &Session) -> bool {
        self.state.is_none_or(|state| session.state == state)
            && self
                .configuration_id
                .as_ref()
                .is_none_or(|id| session.configuration_ids.contains(id))
            && self.grant.is_none_or(|grant| match grant {
                GrantKind::PreAuthorizedCode => session.pre_authorized.is_some(),
                GrantKind::AuthorizationCode => {
                    session.issuer_state.is_some() || session.authorization.is_some()
                }
            })
    }

    /// Keeps the sessions that match, newest first, at most [`SessionQuery::limit`]: the whole
    /// query for a store that filters in memory.
    pub fn select<'a>(&self, sessions: impl IntoIterator<Item = &'a Session>) -> Vec<Session> {
        let mut matching: Vec<&Session> =
            sessions.into_iter().filter(|s| self.matches(s)).collect();
        matching.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        matching.into_iter().take(self.limit()).cloned().collect()
    }
}
