//! The session list of [`SessionStore::list`]: newest first, every filter of
//! [`SessionQuery::matches`], the limit. Part of [`run_store_contract`](crate::run_store_contract),
//! which a store that cannot list (`Ok(None)`) passes; [`run_listing_contract`] requires the
//! list.

use crate::samples::{sample_authorization_session, sample_session};
use crate::scenario::block;
use oid4vci_issuer::{GrantKind, SessionQuery, SessionState, SessionStore};

/// Checks the session list on a fresh store from `make_store`, which must be able to list.
pub fn run_listing_contract<S: SessionStore, F: Fn() -> S>(make_store: F) {
    sessions_are_listed_newest_first(make_store(), true);
}

/// Stores six sessions of different ages, states, configurations and grants, and checks what
/// each query returns, in order. A store that cannot list passes unless `required`.
pub(crate) fn sessions_are_listed_newest_first<S: SessionStore>(store: S, required: bool) {
    let mut offered = sample_session("a-offered", 1_000);
    offered.configuration_ids = vec!["pid".into(), "mdl".into()];
    let mut issued = sample_session("b-issued", 3_000);
    issued.state = SessionState::Issued;
    let mut offered_later = sample_session("c-offered", 5_000);
    offered_later.issuer_state = Some("state-c".into());
    offered_later.configuration_ids = vec!["mdl".into()];
    // Same creation time as `offered_later`: ties are ordered by id.
    let same_time = sample_session("d-offered", 5_000);
    let wallet =
        sample_authorization_session("e-wallet", "urn:ietf:params:oauth:request_uri:e", 4_000);
    let mut by_code = sample_session("f-code-only", 2_000);
    by_code.pre_authorized = None;
    by_code.offer_id_hash = Some(oid4vci_issuer::SecretHash::of("offer-f"));
    by_code.issuer_state = Some("state-f".into());
    for s in [
        &offered,
        &issued,
        &offered_later,
        &same_time,
        &wallet,
        &by_code,
    ] {
        block(store.insert(s)).expect("insert");
    }
    let ids = |query: SessionQuery| -> Option<Vec<String>> {
        block(store.list(&query))
            .expect("list")
            .map(|sessions| sessions.into_iter().map(|s| s.id).collect())
    };
    let Some(all) = ids(SessionQuery::default()) else {
        assert!(!required, "the store cannot list sessions");
        return;
    };
    assert_eq!(
        all,
        [
            "c-offered",
            "d-offered",
            "e-wallet",
            "b-issued",
            "f-code-only",
            "a-offered"
        ],
        "newest first, ties by id"
    );
    let by_state = SessionQuery {
        state: Some(SessionState::Offered),
        ..SessionQuery::default()
    };
    assert_eq!(
        ids(by_state).unwrap_or_default(),
        ["c-offered", "d-offered", "f-code-only", "a-offered"],
        "by state"
    );
    let by_configuration = SessionQuery {
        configuration_id: Some("mdl".into()),
        ..SessionQuery::default()
    };
    assert_eq!(
        ids(by_configuration).unwrap_or_default(),
        ["c-offered", "a-offered"],
        "by configuration: one of the session's configurations"
    );
    let pre_authorized = SessionQuery {
        grant: Some(GrantKind::PreAuthorizedCode),
        ..SessionQuery::default()
    };
    assert_eq!(
        ids(pre_authorized).unwrap_or_default(),
        ["c-offered", "d-offered", "b-issued", "a-offered"],
        "by the pre-authorized grant"
    );
    let code = SessionQuery {
        grant: Some(GrantKind::AuthorizationCode),
        ..SessionQuery::default()
    };
    assert_eq!(
        ids(code).unwrap_or_default(),
        ["c-offered", "e-wallet", "f-code-only"],
        "by the authorization code grant: offered with an issuer_state, or started by a wallet"
    );
    let combined = SessionQuery {
        state: Some(SessionState::Offered),
        configuration_id: Some("mdl".into()),
        grant: Some(GrantKind::AuthorizationCode),
        limit: 10,
    };
    assert_eq!(
        ids(combined).unwrap_or_default(),
        ["c-offered"],
        "every filter at once"
    );
    let limited = SessionQuery {
        limit: 2,
        ..SessionQuery::default()
    };
    assert_eq!(
        ids(limited).unwrap_or_default(),
        ["c-offered", "d-offered"],
        "the limit keeps the newest"
    );
    let none = SessionQuery {
        configuration_id: Some("unknown".into()),
        ..SessionQuery::default()
    };
    assert_eq!(ids(none).unwrap_or_default(), Vec::<String>::new());
    // What the list returns are the stored sessions, versions included.
    let listed = block(store.list(&SessionQuery::default()))
        .expect("list")
        .unwrap_or_default();
    let first = listed.first().expect("a session");
    assert_eq!(first, &offered_later, "listed sessions load back unchanged");
}
