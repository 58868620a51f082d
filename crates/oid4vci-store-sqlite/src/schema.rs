//! The database schema and its migrations.
//!
//! The schema version is SQLite's `PRAGMA user_version`. [`MIGRATIONS`] is an ordered list:
//! migration `i` (0-based) takes a database from version `i` to version `i + 1`. Opening a store
//! applies every missing migration in one `IMMEDIATE` transaction, so a database is either fully
//! migrated or left as it was. A database from a newer build (a higher `user_version`) is
//! refused rather than misread.
//!
//! Append new migrations to the list; never edit or reorder a released one.

use oid4vci_issuer::StoreError;
use rusqlite::{Connection, TransactionBehavior};

/// Version 1: sessions as JSON with `version` and `expires_at` columns, the lookup index of
/// hashed secrets, and consumed nonces.
const V1: &str = "
CREATE TABLE sessions (
    id          TEXT    PRIMARY KEY NOT NULL,
    version     INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    data        TEXT    NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE session_lookups (
    kind        TEXT NOT NULL,
    hash        TEXT NOT NULL,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    UNIQUE (kind, hash)
);
CREATE INDEX session_lookups_by_session ON session_lookups (session_id);

CREATE TABLE consumed_nonces (
    hash        TEXT    PRIMARY KEY NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX consumed_nonces_by_expiry ON consumed_nonces (expires_at);
";

/// Version 2: status-list entries (revocation), one row per reserved index, found by list and
/// by the session whose credential holds it. Not tied to `sessions`: credentials (and so their
/// entries) outlive the sessions that issued them.
const V2: &str = "
CREATE TABLE status_entries (
    list        INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    session_id  TEXT    NOT NULL,
    PRIMARY KEY (list, idx)
) WITHOUT ROWID;
CREATE INDEX status_entries_by_session ON status_entries (session_id);
CREATE INDEX status_entries_not_valid ON status_entries (list, idx) WHERE status <> 0;
";

/// Version 3: the operator's session list reads sessions newest first through an index, and
/// stops at its limit, instead of sorting every session; a list of one state reads only that
/// state's sessions, and the sessions are counted by state from the index alone (the metrics).
/// `created_at` and `state` are computed from the stored JSON (virtual columns: the writes are
/// unchanged), and the indexes store them.
const V3: &str = "
ALTER TABLE sessions ADD COLUMN created_at INTEGER
    GENERATED ALWAYS AS (json_extract(data, '$.created_at')) VIRTUAL;
ALTER TABLE sessions ADD COLUMN state TEXT
    GENERATED ALWAYS AS (json_extract(data, '$.state')) VIRTUAL;
CREATE INDEX sessions_newest_first ON sessions (created_at DESC, id);
CREATE INDEX sessions_by_state ON sessions (state, created_at DESC, id);
";

/// Every migration, in order; the schema version of this build is its length.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2, V3];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// A SQLite error in `context`. A full disk (or a full database, see
/// [`SqliteOptions::max_size`](crate::SqliteOptions::max_size)), a read-only file, a lock held
/// too long and an I/O failure are [`StoreError::Unavailable`]: the operator can fix them and
/// the request can be retried (503 with `Retry-After`); the transaction wrote nothing. Anything
/// else is [`StoreError::Backend`].
pub(crate) fn sql_error(context: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |e| {
        use rusqlite::ErrorCode as C;
        let transient = matches!(
            e.sqlite_error_code(),
            Some(
                C::DiskFull
                    | C::ReadOnly
                    | C::DatabaseBusy
                    | C::DatabaseLocked
                    | C::SystemIoFailure
                    | C::CannotOpen
            )
        );
        if transient {
            StoreError::Unavailable(format!("sqlite: {context}: {e}"))
        } else {
            StoreError::Backend(format!("sqlite: {context}: {e}"))
        }
    }
}

/// Reads `PRAGMA user_version`.
pub(crate) fn user_version(conn: &Connection) -> Result<u32, StoreError> {
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(sql_error("reading the schema version"))?;
    u32::try_from(v).map_err(|_| {
        StoreError::Backend(format!(
            "sqlite: the database's schema version (PRAGMA user_version = {v}) is not a valid version"
        ))
    })
}

fn refuse_newer(found: u32, supported: u32) -> StoreError {
    StoreError::Backend(format!(
        "sqlite: the database has schema version {found}, newer than the version {supported} this \
         build of oid4vci-store-sqlite understands; refusing to open it (upgrade the issuer, or \
         restore a backup made for this version)"
    ))
}

/// Brings the database to the latest version of `migrations`. A no-op (no write, no lock held
/// past one read) when it is already there.
pub(crate) fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<u32, StoreError> {
    let latest = u32::try_from(migrations.len())
        .map_err(|_| StoreError::Backend("sqlite: too many migrations".into()))?;
    let found = user_version(conn)?;
    if found == latest {
        return Ok(found);
    }
    if found > latest {
        return Err(refuse_newer(found, latest));
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_error("starting the migration transaction"))?;
    // Another process may have migrated between the read above and taking the write lock.
    let found = user_version(&tx)?;
    if found > latest {
        return Err(refuse_newer(found, latest));
    }
    for (index, sql) in migrations.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql).map_err(|e| {
            StoreError::Backend(format!(
                "sqlite: migration to schema version {} failed (nothing was changed): {e}",
                index + 1
            ))
        })?;
    }
    tx.pragma_update(None, "user_version", latest)
        .map_err(sql_error("recording the schema version"))?;
    tx.commit()
        .map_err(sql_error("committing the schema migration"))?;
    Ok(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_exists(conn: &Connection, name: &str) -> bool {
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n == 1)
        .unwrap_or(false)
    }

    #[test]
    fn migrations_apply_in_order_and_only_once() {
        let mut conn = Connection::open_in_memory().expect("open");
        let steps = ["CREATE TABLE a (x)", "CREATE TABLE b (y)"];
        assert_eq!(migrate(&mut conn, &steps[..1]).expect("v1"), 1);
        assert!(table_exists(&conn, "a") && !table_exists(&conn, "b"));
        assert_eq!(migrate(&mut conn, &steps).expect("v2"), 2);
        assert!(table_exists(&conn, "b"));
        // Re-running would fail on CREATE TABLE if it re-applied anything.
        assert_eq!(migrate(&mut conn, &steps).expect("no-op"), 2);
    }

    #[test]
    fn a_failing_migration_leaves_the_database_unchanged() {
        let mut conn = Connection::open_in_memory().expect("open");
        let steps = ["CREATE TABLE a (x)", "THIS IS NOT SQL"];
        let err = migrate(&mut conn, &steps).expect_err("must fail");
        assert!(
            err.to_string()
                .contains("migration to schema version 2 failed"),
            "{err}"
        );
        assert_eq!(user_version(&conn).expect("version"), 0);
        assert!(
            !table_exists(&conn, "a"),
            "all migrations run in one transaction"
        );
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "user_version", 9).expect("set");
        let err = migrate(&mut conn, MIGRATIONS).expect_err("refused");
        assert!(err.to_string().contains("schema version 9, newer"), "{err}");
    }
}
