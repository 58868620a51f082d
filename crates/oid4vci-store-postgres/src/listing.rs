//! The operator's session list and the count of sessions by state, in SQL over the stored
//! session JSON and the columns computed from it. A list walks an index newest first and stops
//! at its limit: `oid4vci_sessions_by_state` for one state, else
//! `oid4vci_sessions_newest_first`. A configuration or grant filter reads sessions in that
//! order until enough match. The count reads `oid4vci_sessions_by_state`.

/// The list's SQL with `$state` as its state condition: the filters of
/// `SessionQuery::matches` over the session's JSON, newest first. Parameters: state,
/// configuration id, grant, limit.
macro_rules! list_sql {
    ($state:literal) => {
        concat!(
            "SELECT id, version, data FROM \
             (SELECT id, version, data, created_at, state, data::jsonb AS j FROM oid4vci_sessions) s \
             WHERE ",
            $state,
            " AND ($2::text IS NULL OR (j->'configuration_ids') ? $2) \
               AND ($3::text IS NULL \
                    OR ($3 = 'pre_authorized_code' AND j->>'pre_authorized' IS NOT NULL) \
                    OR ($3 = 'authorization_code' \
                        AND (j->>'issuer_state' IS NOT NULL OR j->>'authorization' IS NOT NULL))) \
             ORDER BY created_at DESC, id \
             LIMIT $4"
        )
    };
}

/// Any state (`$1` is then NULL).
pub(crate) const LIST_SESSIONS: &str = list_sql!("$1::text IS NULL");
/// One state.
pub(crate) const LIST_SESSIONS_IN_STATE: &str = list_sql!("state = $1::text");

/// Sessions by state.
pub(crate) const COUNT_BY_STATE: &str =
    "SELECT state, count(*) FROM oid4vci_sessions GROUP BY state";
