//! Rows of the `status_entries` table, as both the status-list store and a request's commit
//! write them.

use crate::schema::sql_error;
use oid4vci_issuer::StoreError;
use rusqlite::{params, Connection};

/// Reserves, as VALID and for `session`, each candidate index of `list` that is free; returns
/// the reserved ones in candidate order.
pub(crate) fn reserve_on(
    conn: &Connection,
    list: u32,
    candidates: &[u32],
    session: &str,
) -> Result<Vec<u32>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO status_entries (list, idx, status, session_id) \
             VALUES (?1, ?2, 0, ?3)",
        )
        .map_err(sql_error("preparing the status reservation"))?;
    let mut reserved = Vec::with_capacity(candidates.len());
    for &idx in candidates {
        let inserted = stmt
            .execute(params![list, idx, session])
            .map_err(sql_error("reserving a status entry"))?;
        if inserted == 1 {
            reserved.push(idx);
        }
    }
    Ok(reserved)
}
