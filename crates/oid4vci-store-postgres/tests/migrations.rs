//! Schema migrations: applied once, safe when several instances start at once, older databases
//! migrated with their sessions, a newer schema refused; and the session list's plan.

mod common;

use common::{block, connect, server};
use oid4vci_issuer::{SessionQuery, SessionStore};
use oid4vci_issuer_testkit::sample_session;
use oid4vci_store_postgres::test_server::{
    COUNT_BY_STATE_SQL, LIST_SESSIONS_IN_STATE_SQL, LIST_SESSIONS_SQL,
};
use oid4vci_store_postgres::{PostgresStore, SCHEMA_VERSION};

#[test]
fn instances_starting_at_once_migrate_exactly_once() {
    let Some(pg) = server("instances_starting_at_once_migrate_exactly_once") else {
        return;
    };
    let url = pg.create_database().expect("database");
    let versions: Vec<u32> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| block(connect(&url).schema_version()).expect("version")))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("join"))
            .collect()
    });
    assert!(
        versions.iter().all(|v| *v == SCHEMA_VERSION),
        "{versions:?}"
    );
    let rows = pg
        .psql(
            &url,
            "SELECT string_agg(version::text, ',') FROM oid4vci_schema_migrations",
        )
        .expect("ledger");
    let expected: Vec<String> = (1..=SCHEMA_VERSION).map(|v| v.to_string()).collect();
    assert_eq!(rows, expected.join(","), "each migration recorded once");
    // Connecting again is a no-op.
    assert_eq!(
        block(connect(&url).schema_version()).expect("v"),
        SCHEMA_VERSION
    );
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let Some(pg) = server("a_database_from_a_newer_build_is_refused") else {
        return;
    };
    let url = pg.create_database().expect("database");
    drop(connect(&url));
    pg.psql(
        &url,
        &format!(
            "INSERT INTO oid4vci_schema_migrations (version) VALUES ({})",
            SCHEMA_VERSION + 1
        ),
    )
    .expect("pretend a newer build migrated");
    let err = block(PostgresStore::connect(&url)).expect_err("refused");
    assert!(err.to_string().contains("newer than the version"), "{err}");
}

#[test]
fn an_unreachable_server_is_unavailable_not_a_backend_failure() {
    // Nothing listens on this port: a free one, just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let url = format!("postgres://postgres@127.0.0.1:{port}/none?connect_timeout=2");
    let err = block(PostgresStore::connect(&url)).expect_err("nothing there");
    assert!(
        matches!(err, oid4vci_issuer::StoreError::Unavailable(_)),
        "{err:?}"
    );
}

#[test]
fn a_bad_url_is_a_clear_error_without_the_password() {
    let err = block(PostgresStore::connect(
        "postgres://u:s3cret@host:notaport/db",
    ))
    .expect_err("bad url");
    let text = err.to_string();
    assert!(text.contains("URL is not valid"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
}

#[test]
fn a_version_3_database_lists_its_sessions_newest_first_through_the_new_index() {
    let Some(pg) =
        server("a_version_3_database_lists_its_sessions_newest_first_through_the_new_index")
    else {
        return;
    };
    let url = pg.create_database().expect("database");
    let store = connect(&url);
    for (id, created) in [("old", 1_000), ("new", 3_000), ("mid", 2_000)] {
        block(store.insert(&sample_session(id, created))).expect("insert");
    }
    drop(store);
    // Take the database back to what version 3 wrote.
    pg.psql(
        &url,
        "DROP INDEX oid4vci_sessions_newest_first; DROP INDEX oid4vci_sessions_by_state; \
         ALTER TABLE oid4vci_sessions DROP COLUMN created_at, DROP COLUMN state; \
         DELETE FROM oid4vci_schema_migrations WHERE version >= 4",
    )
    .expect("downgrade");

    let store = connect(&url);
    assert_eq!(block(store.schema_version()).expect("v"), SCHEMA_VERSION);
    let listed = block(store.list(&SessionQuery::default()))
        .expect("list")
        .expect("listing supported");
    let ids: Vec<&str> = listed.iter().map(|s| s.id()).collect();
    assert_eq!(ids, ["new", "mid", "old"], "the old rows are indexed too");
}

#[test]
fn the_session_list_walks_an_index_newest_first_and_sorts_nothing() {
    let Some(pg) = server("the_session_list_walks_an_index_newest_first_and_sorts_nothing") else {
        return;
    };
    let url = pg.create_database().expect("database");
    drop(connect(&url));
    // The planner prefers a sequential or bitmap scan of a small table; with those ruled out it
    // must still find an order-providing index rather than sort.
    let cases = [
        (
            LIST_SESSIONS_SQL,
            "NULL",
            "NULL",
            "oid4vci_sessions_newest_first",
        ),
        (
            LIST_SESSIONS_SQL,
            "NULL",
            "'a'",
            "oid4vci_sessions_newest_first",
        ),
        (
            LIST_SESSIONS_IN_STATE_SQL,
            "'issued'",
            "NULL",
            "oid4vci_sessions_by_state",
        ),
    ];
    for (sql, state, configuration, index) in cases {
        let plan = pg
            .psql(
                &url,
                &format!(
                    "SET enable_seqscan = off; SET enable_bitmapscan = off; \
                     PREPARE list (text, text, text, bigint) AS {sql}; \
                     EXPLAIN (COSTS OFF) EXECUTE list ({state}, {configuration}, NULL, 50)"
                ),
            )
            .expect("plan");
        assert!(
            plan.contains(&format!("Index Scan using {index}")),
            "{plan}"
        );
        assert!(!plan.contains("Sort"), "no sort step: {plan}");
    }
    let plan = pg
        .psql(
            &url,
            &format!("SET enable_seqscan = off; EXPLAIN (COSTS OFF) {COUNT_BY_STATE_SQL}"),
        )
        .expect("plan");
    assert!(plan.contains("oid4vci_sessions_by_state"), "{plan}");
    assert!(!plan.contains("Sort"), "{plan}");
}
