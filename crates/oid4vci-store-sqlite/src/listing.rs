//! The operator's session list: [`SessionQuery`] in SQL over the stored session JSON. It walks
//! the `sessions_newest_first` index and stops once it has `limit` rows, so a list without
//! filters reads only those; a filter reads sessions newest first until enough match.

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
    ORDER BY created_at DESC, id
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

#[cfg(test)]
mod tests {
    use super::LIST;
    use crate::schema::{migrate, MIGRATIONS};
    use rusqlite::{params, Connection};

    /// SQLite's plan for the list with these parameters, one line per step.
    fn plan(state: Option<&str>, configuration: Option<&str>) -> String {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn, MIGRATIONS).expect("schema");
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {LIST}"))
            .expect("explain");
        let lines = stmt
            .query_map(params![state, configuration, None::<&str>, 50], |r| {
                r.get::<_, String>(3)
            })
            .expect("plan")
            .collect::<Result<Vec<_>, _>>()
            .expect("rows");
        lines.join("\n")
    }

    #[test]
    fn the_list_walks_the_index_newest_first_and_sorts_nothing() {
        for (state, configuration) in [
            (None, None),
            (Some("issued"), None),
            (None, Some("eu.europa.ec.av.1")),
        ] {
            let plan = plan(state, configuration);
            assert!(
                plan.contains("SCAN sessions USING INDEX sessions_newest_first"),
                "{plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "no sort step: {plan}");
        }
    }
}
