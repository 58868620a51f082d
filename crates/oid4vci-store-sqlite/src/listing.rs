//! The operator's session list: [`SessionQuery`] in SQL over the stored session JSON. It scans
//! the sessions table (the list is an operator's page, not a wallet's hot path).

use crate::schema::sql_error;
use oid4vci_issuer::{SessionQuery, StoreError};
use rusqlite::{params, Connection};

/// The filters of [`SessionQuery::matches`], in SQL: the same rules over the session's JSON.
const LIST: &str = "SELECT id, version, data FROM sessions
    WHERE (?1 IS NULL OR json_extract(data, '$.state') = ?1)
      AND (?2 IS NULL OR EXISTS
            (SELECT 1 FROM json_each(data, '$.configuration_ids') WHERE value = ?2))
      AND (?3 IS NULL
           OR (?3 = 'pre_authorized_code' AND json_extract(data, '$.pre_authorized') IS NOT NULL)
           OR (?3 = 'authorization_code' AND (json_extract(data, '$.issuer_state') IS NOT NULL
                                               OR json_extract(data, '$.authorization') IS NOT NULL)))
    ORDER BY json_extract(data, '$.created_at') DESC, id
    LIMIT ?4";

/// The rows `(id, version, data)` of the sessions `query` selects, newest first.
pub(crate) fn list_on(
    conn: &Connection,
    query: &SessionQuery,
) -> Result<Vec<(String, i64, String)>, StoreError> {
    let mut stmt = conn
        .prepare_cached(LIST)
        .map_err(sql_error("preparing the session list"))?;
    let state = query.state.map(|s| s.as_str());
    let grant = query.grant.map(|g| g.as_str());
    let limit = i64::try_from(query.limit()).unwrap_or(i64::MAX);
    let rows = stmt
        .query_map(
            params![state, query.configuration_id.as_deref(), grant, limit],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .map_err(sql_error("listing sessions"))?;
    rows.map(|row| row.map_err(sql_error("listing sessions")))
        .collect()
}
