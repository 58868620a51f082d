//! Mapping driver and pool errors onto [`StoreError`]: a server that cannot be reached is
//! [`StoreError::Unavailable`] (retry later), anything else [`StoreError::Backend`].

use deadpool_postgres::PoolError;
use oid4vci_issuer::StoreError;
use std::error::Error as _;

/// SQLSTATE classes and codes that mean "the server is not there right now" (or cannot answer
/// in time): retry later.
fn is_unavailable_code(code: &str) -> bool {
    code.starts_with("08") // connection exception
        || code == "57P01" // admin_shutdown
        || code == "57P02" // crash_shutdown
        || code == "57P03" // cannot_connect_now (starting up, shutting down, recovering)
        || code == "53300" // too_many_connections
        || code == "57014" // query_canceled: statement_timeout fired (an overloaded server)
        || code == "55P03" // lock_not_available: lock_timeout fired
}

/// Whether a driver error means the server could not be reached (as opposed to a bad statement
/// or bad data).
pub(crate) fn is_unavailable(e: &tokio_postgres::Error) -> bool {
    match e.as_db_error() {
        Some(db) => is_unavailable_code(db.code().code()),
        None => e.is_closed() || e.source().is_some_and(|s| s.is::<std::io::Error>()),
    }
}

/// The error's SQLSTATE, when the server sent one.
pub(crate) fn sqlstate(e: &tokio_postgres::Error) -> Option<&str> {
    e.as_db_error().map(|db| db.code().code())
}

/// A driver error in `context`.
pub(crate) fn classify(context: &str, e: &tokio_postgres::Error) -> StoreError {
    // `{e:#}`-style detail: the driver's top-level message is often just "db error".
    let detail = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => match e.source() {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    };
    if is_unavailable(e) {
        StoreError::Unavailable(format!("postgres: {context}: {detail}"))
    } else {
        StoreError::Backend(format!("postgres: {context}: {detail}"))
    }
}

/// `map_err` helper for driver errors.
pub(crate) fn pg_error(context: &str) -> impl FnOnce(tokio_postgres::Error) -> StoreError + '_ {
    move |e| classify(context, &e)
}

/// A pool checkout error: timeouts and unreachable servers are [`StoreError::Unavailable`].
pub(crate) fn pool_error(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => classify("connecting to the database", &e),
        PoolError::Timeout(kind) => StoreError::Unavailable(format!(
            "postgres: no database connection within the pool timeout ({kind:?})"
        )),
        PoolError::Closed => StoreError::Unavailable("postgres: the pool is closed".into()),
        other => StoreError::Backend(format!("postgres: connection pool: {other}")),
    }
}

/// SQLSTATE unique_violation: a lookup key already belongs to another session.
pub(crate) fn write_error(
    context: &'static str,
) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| {
        if sqlstate(&e) == Some("23505") {
            StoreError::LookupTaken
        } else {
            pg_error(context)(e)
        }
    }
}

/// A failed `oid4vci_commit`: the statement was rolled back whole. A spent nonce or a taken
/// status entry is named by the function's own SQLSTATE; deadlocks and serialization failures
/// are retried as version conflicts; a lookup clash is `LookupTaken`.
pub(crate) fn commit_error(e: tokio_postgres::Error) -> StoreError {
    let message = e.as_db_error().map(|db| db.message().to_owned());
    let numbers =
        |text: &str| -> Vec<u32> { text.split(' ').filter_map(|n| n.parse().ok()).collect() };
    match (sqlstate(&e), message.as_deref().map(numbers).as_deref()) {
        (Some("OI001"), Some(&[index])) => StoreError::NonceUsed {
            index: index as usize,
        },
        (Some("OI002"), Some(&[list, idx])) => StoreError::StatusTaken { list, idx },
        (Some("40P01" | "40001"), _) => StoreError::VersionConflict,
        _ => write_error("committing the request")(e),
    }
}
