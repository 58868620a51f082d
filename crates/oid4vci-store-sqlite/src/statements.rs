//! The SQL of each store operation, run on a connection inside the writer's transaction (or a
//! reader's): insert, compare-and-swap update, commit, nonce consumption, sweep and lookups.

use crate::entries;
use crate::row::Row;
use crate::schema::sql_error;
use oid4vci_issuer::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

pub(crate) fn is_constraint_violation(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
}

/// Writes lookup keys of session `id`. A key owned by another session fails with
/// [`StoreError::LookupTaken`]; the writer then rolls the operation back.
pub(crate) fn insert_lookups<'a>(
    conn: &Connection,
    id: &str,
    keys: impl Iterator<Item = &'a (&'static str, String)>,
) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare_cached("INSERT INTO session_lookups (kind, hash, session_id) VALUES (?1, ?2, ?3)")
        .map_err(sql_error("preparing the lookup insert"))?;
    for (kind, hash) in keys {
        match stmt.execute(params![kind, hash, id]) {
            Ok(_) => {}
            Err(e) if is_constraint_violation(&e) => return Err(StoreError::LookupTaken),
            Err(e) => return Err(sql_error("indexing the session's lookups")(e)),
        }
    }
    Ok(())
}

pub(crate) fn session_exists(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    conn.prepare_cached("SELECT 1 FROM sessions WHERE id = ?1")
        .and_then(|mut s| s.exists([id]))
        .map_err(sql_error("checking whether the session exists"))
}

pub(crate) fn insert_on(conn: &Connection, row: &Row) -> Result<(), StoreError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO sessions (id, version, expires_at, data) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| s.execute(params![row.id, row.version, row.expires_at, row.data]));
    match inserted {
        Ok(_) => {}
        Err(e) if is_constraint_violation(&e) => return Err(StoreError::Duplicate),
        Err(e) => return Err(sql_error("inserting the session")(e)),
    }
    insert_lookups(conn, &row.id, row.lookups.iter())
}

pub(crate) fn update_on(conn: &Connection, row: &Row, expected: i64) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE sessions SET version = ?1, expires_at = ?2, data = ?3 \
             WHERE id = ?4 AND version = ?5",
        )
        .and_then(|mut s| {
            s.execute(params![
                row.version,
                row.expires_at,
                row.data,
                row.id,
                expected
            ])
        })
        .map_err(sql_error("updating the session"))?;
    if changed == 0 {
        return if session_exists(conn, &row.id)? {
            Err(StoreError::VersionConflict)
        } else {
            Err(StoreError::NotFound)
        };
    }
    replace_lookups(conn, row)
}

/// Brings the session's lookup rows to `row.lookups`, touching only those that changed (an
/// update usually adds one key, or none): each row written is three B-tree entries.
pub(crate) fn replace_lookups(conn: &Connection, row: &Row) -> Result<(), StoreError> {
    // A session has a handful of keys: linear searches beat building sets.
    let stored: Vec<(String, String)> = conn
        .prepare_cached("SELECT kind, hash FROM session_lookups WHERE session_id = ?1")
        .and_then(|mut s| {
            s.query_map([&row.id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(sql_error("reading the session's lookups"))?;
    let mut delete = conn
        .prepare_cached(
            "DELETE FROM session_lookups WHERE kind = ?1 AND hash = ?2 AND session_id = ?3",
        )
        .map_err(sql_error("preparing the lookup delete"))?;
    for (kind, hash) in &stored {
        if !row.lookups.iter().any(|(k, h)| k == kind && h == hash) {
            delete
                .execute(params![kind, hash, row.id])
                .map_err(sql_error("removing one of the session's old lookups"))?;
        }
    }
    let new = row
        .lookups
        .iter()
        .filter(|(kind, hash)| !stored.iter().any(|(k, h)| k == kind && h == hash));
    insert_lookups(conn, &row.id, new)
}

/// A [`Commit`] as one write (one savepoint: any refusal rolls all of it back).
pub(crate) fn commit_on(
    conn: &Connection,
    row: &Row,
    expected: Option<i64>,
    nonces: &[(String, i64)],
    statuses: &[(u32, u32)],
) -> Result<(), StoreError> {
    for (index, (hash, expires_at)) in nonces.iter().enumerate() {
        if !consume_nonce_on(conn, hash, *expires_at)? {
            return Err(StoreError::NonceUsed { index });
        }
    }
    for &(list, idx) in statuses {
        if entries::reserve_on(conn, list, &[idx], &row.id)?.is_empty() {
            return Err(StoreError::StatusTaken { list, idx });
        }
    }
    match expected {
        None => insert_on(conn, row),
        Some(expected) => update_on(conn, row, expected),
    }
}

pub(crate) fn consume_nonce_on(
    conn: &Connection,
    hash: &str,
    expires_at: i64,
) -> Result<bool, StoreError> {
    let inserted = conn
        .prepare_cached("INSERT OR IGNORE INTO consumed_nonces (hash, expires_at) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![hash, expires_at]))
        .map_err(sql_error("recording the consumed nonce"))?;
    Ok(inserted == 1)
}

pub(crate) fn sweep_on(conn: &Connection, now: i64) -> Result<u64, StoreError> {
    // Lookups go with their session (ON DELETE CASCADE).
    let sessions = conn
        .prepare_cached("DELETE FROM sessions WHERE expires_at < ?1")
        .and_then(|mut s| s.execute([now]))
        .map_err(sql_error("sweeping expired sessions"))?;
    conn.prepare_cached("DELETE FROM consumed_nonces WHERE expires_at < ?1")
        .and_then(|mut s| s.execute([now]))
        .map_err(sql_error("sweeping expired nonces"))?;
    Ok(sessions as u64)
}

/// `(version, data)` of a session by id.
pub(crate) fn get_on(conn: &Connection, id: &str) -> Result<Option<(i64, String)>, StoreError> {
    conn.prepare_cached("SELECT version, data FROM sessions WHERE id = ?1")
        .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(sql_error("loading the session"))
}

/// `(id, version, data)` of the session a lookup secret belongs to.
pub(crate) fn find_on(
    conn: &Connection,
    kind: &str,
    hash: &str,
) -> Result<Option<(String, i64, String)>, StoreError> {
    conn.prepare_cached(
        "SELECT s.id, s.version, s.data FROM session_lookups l \
         JOIN sessions s ON s.id = l.session_id \
         WHERE l.kind = ?1 AND l.hash = ?2",
    )
    .and_then(|mut s| {
        s.query_row(params![kind, hash], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()
    })
    .map_err(sql_error("looking the session up"))
}
