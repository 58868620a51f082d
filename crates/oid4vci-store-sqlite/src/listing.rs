//! The operator's session list and the count of sessions by state, in SQL over the stored
//! session JSON and the columns computed from it. A list walks an index newest first and stops
//! once it has `limit` rows: `sessions_by_state` for one state, else `sessions_newest_first`. A
//! configuration or grant filter reads sessions in that order until enough match. The count
//! walks `sessions_by_state`, so it needs no grouping step.

use crate::schema::sql_error;
use oid4vci_issuer::{SessionQuery, StoreError};
use rusqlite::{params, Connection};

/// The list's SQL with `$state` as its state condition: the filters of
/// [`SessionQuery::matches`] over the session's JSON, newest first.
macro_rules! list_sql {
    ($state:literal) => {
        concat!(
            "SELECT id, version, data FROM sessions WHERE ",
            $state,
            " AND (?2 IS NULL OR EXISTS
                (SELECT 1 FROM json_each(data, '$.configuration_ids') WHERE value = ?2))
              AND (?3 IS NULL
               OR (?3 = 'pre_authorized_code' AND json_extract(data, '$.pre_authorized') IS NOT NULL)
               OR (?3 = 'authorization_code' AND (json_extract(data, '$.issuer_state') IS NOT NULL
                                                   OR json_extract(data, '$.authorization') IS NOT NULL)))
            ORDER BY created_at DESC, id
            LIMIT ?4"
        )
    };
}

/// Any state (`?1` is then NULL).
const LIST: &str = list_sql!("?1 IS NULL");
/// One state.
const LIST_IN_STATE: &str = list_sql!("state = ?1");

/// Sessions by state.
pub(crate) const COUNT_BY_STATE: &str = "SELECT state, count(*) FROM sessions GROUP BY state";

/// The rows `(id, version, data)` of the sessions `query` selects, newest first.
pub(crate) fn list_on(
    conn: &Connection,
    query: &SessionQuery,
) -> Result<Vec<(String, i64, String)>, StoreError> {
    let sql = if query.state.is_some() {
        LIST_IN_STATE
    } else {
        LIST
    };
    let mut stmt = conn
        .prepare_cached(sql)
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
    use super::{COUNT_BY_STATE, LIST, LIST_IN_STATE};
    use crate::schema::{migrate, MIGRATIONS};
    use rusqlite::{params_from_iter, Connection};

    /// SQLite's plan for `sql` with `params`, one line per step.
    fn plan(sql: &str, params: &[Option<&str>]) -> String {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn, MIGRATIONS).expect("schema");
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let lines = stmt
            .query_map(params_from_iter(params), |r| r.get::<_, String>(3))
            .expect("plan")
            .collect::<Result<Vec<_>, _>>()
            .expect("rows");
        lines.join("\n")
    }

    #[test]
    fn a_list_walks_an_index_newest_first_and_sorts_nothing() {
        let cases = [
            (LIST, [None, None], "sessions_newest_first"),
            (
                LIST,
                [None, Some("eu.europa.ec.av.1")],
                "sessions_newest_first",
            ),
            (
                LIST_IN_STATE,
                [Some("issued"), None],
                "sessions_by_state (state=?)",
            ),
        ];
        for (sql, [state, configuration], index) in cases {
            let plan = plan(sql, &[state, configuration, None, Some("50")]);
            assert!(plan.contains(&format!("USING INDEX {index}")), "{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "no sort step: {plan}");
        }
    }

    #[test]
    fn sessions_are_counted_in_the_order_of_the_state_index() {
        let plan = plan(COUNT_BY_STATE, &[]);
        assert!(
            plan.contains("SCAN sessions USING INDEX sessions_by_state"),
            "{plan}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "no grouping step: {plan}");
    }
}
