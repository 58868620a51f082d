//! The stored form of a session, for stores that keep it as JSON text beside integer columns
//! (its version for compare-and-swap, its expiry for the sweep), as the SQLite and PostgreSQL
//! stores do. Every failure is a [`StoreError::Backend`] whose message starts with the store's
//! name (`backend`).

use super::StoreError;
use crate::clock::UnixTime;
use crate::session::Session;

/// The session as JSON text.
pub fn to_json(backend: &str, session: &Session) -> Result<String, StoreError> {
    serde_json::to_string(session).map_err(|e| {
        StoreError::Backend(format!(
            "{backend}: session {:?} could not be serialised: {e}",
            session.id()
        ))
    })
}

/// The session read back from its JSON text and its version column, which is authoritative
/// for the session's version. `id_hint` names the row in errors.
pub fn from_json(
    backend: &str,
    id_hint: &str,
    version: i64,
    json: &str,
) -> Result<Session, StoreError> {
    let mut session: Session = serde_json::from_str(json).map_err(|e| {
        StoreError::Backend(format!(
            "{backend}: stored session {id_hint:?} is not valid session JSON: {e}"
        ))
    })?;
    let version = u64::try_from(version).map_err(|_| {
        StoreError::Backend(format!(
            "{backend}: stored session {id_hint:?} has a negative version {version}"
        ))
    })?;
    session.set_stored_version(version);
    Ok(session)
}

/// A session version as a signed 64-bit column.
pub fn version_column(backend: &str, version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| {
        StoreError::Backend(format!(
            "{backend}: session version {version} does not fit the version column"
        ))
    })
}

/// A time as a signed 64-bit column. Later than `i64::MAX` seconds means "never" in practice,
/// and clamping keeps the order a sweep relies on.
pub fn time_column(t: UnixTime) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_session;

    fn backend_message(e: StoreError) -> String {
        match e {
            StoreError::Backend(message) => message,
            other => panic!("not a backend error: {other:?}"),
        }
    }

    #[test]
    fn a_session_comes_back_with_the_version_of_its_column() {
        let session = sample_session("s1", 1_780_000_000);
        let json = to_json("test", &session).expect("encoded");
        let back = from_json("test", "s1", 7, &json).expect("decoded");
        assert_eq!(back.id(), "s1");
        assert_eq!(back.version(), 7);
        assert_eq!(back.expires_at(), session.expires_at());
        assert_eq!(back.state(), session.state());
    }

    #[test]
    fn bad_rows_are_backend_errors_naming_the_store_and_the_row() {
        let broken = backend_message(from_json("sqlite", "s1", 0, "{").unwrap_err());
        assert!(
            broken.starts_with("sqlite: stored session \"s1\""),
            "{broken}"
        );
        let json = to_json("x", &sample_session("s1", 0)).expect("encoded");
        let negative = backend_message(from_json("postgres", "s1", -1, &json).unwrap_err());
        assert!(negative.contains("negative version -1"), "{negative}");
        let huge = backend_message(version_column("sqlite", u64::MAX).unwrap_err());
        assert!(huge.starts_with("sqlite: session version"), "{huge}");
    }

    #[test]
    fn columns_keep_their_order_at_the_edges() {
        assert_eq!(version_column("x", 42).expect("fits"), 42);
        assert_eq!(time_column(5), 5);
        assert_eq!(time_column(u64::MAX), i64::MAX);
        assert!(time_column(u64::MAX - 1) >= time_column(i64::MAX as u64));
    }
}
