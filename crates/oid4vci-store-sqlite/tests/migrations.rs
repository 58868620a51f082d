//! Schema versioning: a fresh file is created at `SCHEMA_VERSION` in WAL mode; older databases
//! are migrated with their sessions; reopening a database at the latest version changes nothing;
//! a database from a newer build is refused.

use oid4vci_issuer::{SessionStore, StoreError};
use oid4vci_issuer_testkit::sample_session;
use oid4vci_store_sqlite::{SqliteStore, SCHEMA_VERSION};
use rusqlite::Connection;

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

fn pragma_i64(conn: &Connection, name: &str) -> i64 {
    conn.pragma_query_value(None, name, |r| r.get(0))
        .expect("pragma")
}

#[test]
fn a_new_file_is_created_at_the_latest_version_in_wal_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("new.db");
    let store = SqliteStore::open(&path).expect("open");
    assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
    assert_eq!(store.path(), Some(path.as_path()));
    let raw = Connection::open(&path).expect("raw");
    let mode: String = raw
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .expect("journal_mode");
    assert_eq!(mode, "wal");
    assert_eq!(pragma_i64(&raw, "user_version"), i64::from(SCHEMA_VERSION));
    let tables: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| {
            s.query_map([], |r| r.get(0))
                .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
        })
        .expect("tables");
    assert_eq!(
        tables,
        [
            "consumed_nonces",
            "session_lookups",
            "sessions",
            "status_entries"
        ]
    );
}

/// Takes the file at `path` back to what schema version `version` wrote.
fn downgrade(path: &std::path::Path, version: u32) {
    let raw = Connection::open(path).expect("raw");
    if version < 3 {
        raw.execute_batch(
            "DROP INDEX sessions_newest_first; DROP INDEX sessions_by_state;
             ALTER TABLE sessions DROP COLUMN created_at; ALTER TABLE sessions DROP COLUMN state;",
        )
        .expect("back to version 2");
    }
    if version < 2 {
        raw.execute_batch("DROP TABLE status_entries;")
            .expect("back to version 1");
    }
    raw.pragma_update(None, "user_version", version)
        .expect("version");
}

#[test]
fn a_version_2_database_lists_its_sessions_newest_first_through_the_new_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v2.db");
    let store = SqliteStore::open(&path).expect("open");
    for (id, created) in [("old", 1_000), ("new", 3_000), ("mid", 2_000)] {
        block(store.insert(&sample_session(id, created))).expect("insert");
    }
    drop(store);
    downgrade(&path, 2);
    let raw = Connection::open(&path).expect("raw");
    let indexes: i64 = raw
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sessions_newest_first'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(indexes, 0, "the downgrade removed the index");
    drop(raw);

    let store = SqliteStore::open(&path).expect("reopen migrates");
    assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
    let listed = block(store.list(&oid4vci_issuer::SessionQuery::default()))
        .expect("list")
        .expect("listing supported");
    let ids: Vec<&str> = listed.iter().map(|s| s.id()).collect();
    assert_eq!(ids, ["new", "mid", "old"], "the old rows are indexed too");
}

#[test]
fn a_version_1_database_gains_status_entries_and_keeps_its_sessions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v1.db");
    let store = SqliteStore::open(&path).expect("open");
    let session = sample_session("s1", 1_000);
    block(store.insert(&session)).expect("insert");
    drop(store);
    downgrade(&path, 1);

    let store = SqliteStore::open(&path).expect("reopen migrates");
    assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
    assert_eq!(block(store.get("s1")).expect("get"), Some(session));
    let reserved = block(oid4vci_issuer::StatusListStore::reserve_statuses(
        &store,
        1,
        &[4],
        "s1",
    ))
    .expect("the new table works");
    assert_eq!(reserved, [4]);
}

#[test]
fn opening_a_database_at_the_latest_version_is_a_no_op() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("issuer.db");
    let store = SqliteStore::open(&path).expect("open");
    let session = sample_session("s1", 1_000);
    block(store.insert(&session)).expect("insert");
    drop(store);

    let raw = Connection::open(&path).expect("raw");
    // The schema cookie changes with every schema change (CREATE, ALTER, DROP).
    let cookie = pragma_i64(&raw, "schema_version");
    let store = SqliteStore::open(&path).expect("reopen");
    assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
    assert_eq!(
        pragma_i64(&raw, "schema_version"),
        cookie,
        "no migration ran on reopen"
    );
    assert_eq!(
        block(store.get("s1")).expect("get"),
        Some(session),
        "data is kept"
    );
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("future.db");
    drop(SqliteStore::open(&path).expect("create"));
    let future = SCHEMA_VERSION + 1;
    let raw = Connection::open(&path).expect("raw");
    raw.pragma_update(None, "user_version", future)
        .expect("set version");

    let err = SqliteStore::open(&path).expect_err("must refuse");
    let StoreError::Backend(message) = &err else {
        panic!("expected a backend error, got {err:?}")
    };
    assert!(
        message.contains(&format!(
            "schema version {future}, newer than the version {SCHEMA_VERSION}"
        )),
        "clear message: {message}"
    );
    assert_eq!(
        pragma_i64(&raw, "user_version"),
        i64::from(future),
        "the refused database is left as it was"
    );
}

#[test]
fn a_file_that_is_not_a_database_gives_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("not-a.db");
    std::fs::write(&path, vec![b'x'; 4096]).expect("write");
    let err = SqliteStore::open(&path).expect_err("must fail");
    let text = err.to_string();
    assert!(text.starts_with("storage backend error: sqlite:"), "{text}");
    assert!(text.contains("not a database"), "{text}");
}

#[test]
fn a_missing_directory_gives_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("no-such-dir").join("issuer.db");
    let err = SqliteStore::open(&path).expect_err("must fail");
    assert!(err.to_string().contains("cannot open database"), "{err}");
}
