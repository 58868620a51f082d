//! Where `oid4vci serve` keeps sessions: SQLite (`--db FILE`, the default) or PostgreSQL
//! (`--store postgres://…`, for several instances behind one database), with the status-list
//! entries (revocation) beside them.

use oid4vci_issuer::{
    Commit, LookupKind, SecretHash, Session, SessionStore, StatusEntry, StatusListStore,
    StoreError, UnixTime,
};
use oid4vci_store_postgres::PostgresStore;
use oid4vci_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use std::path::{Path, PathBuf};

/// The store `serve` runs on.
#[derive(Clone, Debug)]
pub enum ServeStore {
    /// One SQLite file (one machine; processes on it may share the file).
    Sqlite(SqliteStore),
    /// A PostgreSQL database (any number of instances).
    Postgres(PostgresStore),
}

/// Which store the flags and the config file ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// `--db FILE` (or the default file).
    Sqlite(PathBuf),
    /// `--store postgres://…`.
    Postgres(String),
}

/// True for the URL forms PostgreSQL understands (`postgres://`, `postgresql://`).
pub fn is_postgres_url(s: &str) -> bool {
    let lower = s.trim().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

impl StoreChoice {
    /// Flags win over the file; `--store` and `--db` on the command line exclude each other
    /// (clap checks), and so do `store` and `db` in the file.
    pub fn resolve(
        flag_store: Option<&str>,
        flag_db: Option<&Path>,
        file_store: Option<&str>,
        file_db: Option<&Path>,
    ) -> Result<StoreChoice, String> {
        if file_store.is_some() && file_db.is_some() {
            return Err("the config file sets both `store` and `db`; choose one".into());
        }
        let url = match (flag_store, flag_db) {
            (Some(url), _) => Some(url),
            (None, Some(db)) => return Ok(StoreChoice::Sqlite(db.to_path_buf())),
            (None, None) => file_store,
        };
        match (url, file_db) {
            (Some(url), _) if is_postgres_url(url) => Ok(StoreChoice::Postgres(url.trim().into())),
            (Some(_), _) => Err(
                "--store takes a PostgreSQL URL (postgres://user@host:port/database); \
                 use --db FILE for SQLite"
                    .into(),
            ),
            (None, Some(db)) => Ok(StoreChoice::Sqlite(db.to_path_buf())),
            (None, None) => Ok(StoreChoice::Sqlite(PathBuf::from("oid4vci-demo.db"))),
        }
    }

    /// The keys file when none is given: `<db>.keys` beside an SQLite file, else
    /// `oid4vci-demo.keys` (give every instance the same `--keys FILE`).
    pub fn default_keys_file(&self) -> PathBuf {
        match self {
            StoreChoice::Sqlite(db) => db.with_extension("keys"),
            StoreChoice::Postgres(_) => PathBuf::from("oid4vci-demo.keys"),
        }
    }

    /// A description for the start-up banner (no password).
    pub fn describe(&self) -> String {
        match self {
            StoreChoice::Sqlite(db) => format!("{} (SQLite)", db.display()),
            StoreChoice::Postgres(url) => match url.parse::<tokio_postgres::Config>() {
                Ok(c) => format!(
                    "database {} on {} (PostgreSQL)",
                    c.get_dbname().unwrap_or("(default)"),
                    c.get_hosts()
                        .iter()
                        .map(|h| match h {
                            tokio_postgres::config::Host::Tcp(h) => h.clone(),
                            #[cfg(unix)]
                            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                Err(_) => "PostgreSQL".into(),
            },
        }
    }

    /// Opens (and migrates) the store.
    pub async fn open(&self, sqlite_sync: Synchronous) -> Result<ServeStore, String> {
        match self {
            StoreChoice::Sqlite(db) => {
                SqliteStore::open_with(db, SqliteOptions::default().synchronous(sqlite_sync))
                    .map(ServeStore::Sqlite)
                    .map_err(|e| format!("cannot open the database {}: {e}", db.display()))
            }
            StoreChoice::Postgres(url) => PostgresStore::connect(url)
                .await
                .map(ServeStore::Postgres)
                .map_err(|e| format!("cannot open the PostgreSQL store: {e}")),
        }
    }
}

impl SessionStore for ServeStore {
    async fn insert(&self, session: &Session) -> Result<(), StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.insert(session).await,
            ServeStore::Postgres(s) => s.insert(session).await,
        }
    }

    async fn get(&self, id: &str) -> Result<Option<Session>, StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.get(id).await,
            ServeStore::Postgres(s) => s.get(id).await,
        }
    }

    async fn find(
        &self,
        kind: LookupKind,
        hash: &SecretHash,
    ) -> Result<Option<Session>, StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.find(kind, hash).await,
            ServeStore::Postgres(s) => s.find(kind, hash).await,
        }
    }

    async fn update(&self, session: &Session, expected_version: u64) -> Result<(), StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.update(session, expected_version).await,
            ServeStore::Postgres(s) => s.update(session, expected_version).await,
        }
    }

    async fn commit(&self, commit: &Commit<'_>) -> Result<(), StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.commit(commit).await,
            ServeStore::Postgres(s) => s.commit(commit).await,
        }
    }

    async fn consume_nonce(
        &self,
        nonce_hash: &SecretHash,
        expires_at: UnixTime,
    ) -> Result<bool, StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.consume_nonce(nonce_hash, expires_at).await,
            ServeStore::Postgres(s) => s.consume_nonce(nonce_hash, expires_at).await,
        }
    }

    async fn sweep_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.sweep_expired(now).await,
            ServeStore::Postgres(s) => s.sweep_expired(now).await,
        }
    }

    async fn count_by_state(
        &self,
    ) -> Result<Option<std::collections::BTreeMap<String, u64>>, StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.count_by_state().await,
            ServeStore::Postgres(s) => s.count_by_state().await,
        }
    }

    async fn list(
        &self,
        query: &oid4vci_issuer::SessionQuery,
    ) -> Result<Option<Vec<Session>>, StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.list(query).await,
            ServeStore::Postgres(s) => s.list(query).await,
        }
    }
}

impl StatusListStore for ServeStore {
    async fn reserve_statuses(
        &self,
        list: u32,
        candidates: &[u32],
        session_id: &str,
    ) -> Result<Vec<u32>, StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.reserve_statuses(list, candidates, session_id).await,
            ServeStore::Postgres(s) => s.reserve_statuses(list, candidates, session_id).await,
        }
    }

    async fn reserved_count(&self, list: u32) -> Result<u64, StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.reserved_count(list).await,
            ServeStore::Postgres(s) => s.reserved_count(list).await,
        }
    }

    async fn last_list(&self) -> Result<u32, StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.last_list().await,
            ServeStore::Postgres(s) => s.last_list().await,
        }
    }

    async fn set_status(&self, list: u32, idx: u32, status: u8) -> Result<Option<u8>, StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.set_status(list, idx, status).await,
            ServeStore::Postgres(s) => s.set_status(list, idx, status).await,
        }
    }

    async fn non_valid_statuses(&self, list: u32) -> Result<Vec<StatusEntry>, StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.non_valid_statuses(list).await,
            ServeStore::Postgres(s) => s.non_valid_statuses(list).await,
        }
    }

    async fn session_statuses(&self, session_id: &str) -> Result<Vec<StatusEntry>, StoreError> {
        match self {
            ServeStore::Sqlite(s) => s.session_statuses(session_id).await,
            ServeStore::Postgres(s) => s.session_statuses(session_id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_and_urls_are_checked() {
        let pg = "postgres://u@h/db";
        assert_eq!(
            StoreChoice::resolve(Some(pg), None, None, Some(Path::new("f.db"))),
            Ok(StoreChoice::Postgres(pg.into()))
        );
        assert_eq!(
            StoreChoice::resolve(None, Some(Path::new("a.db")), Some(pg), None),
            Ok(StoreChoice::Sqlite("a.db".into()))
        );
        assert_eq!(
            StoreChoice::resolve(None, None, Some(pg), None),
            Ok(StoreChoice::Postgres(pg.into()))
        );
        assert_eq!(
            StoreChoice::resolve(None, None, None, None),
            Ok(StoreChoice::Sqlite("oid4vci-demo.db".into()))
        );
        assert!(StoreChoice::resolve(Some("mysql://x"), None, None, None).is_err());
        assert!(StoreChoice::resolve(None, None, Some(pg), Some(Path::new("f.db"))).is_err());
    }

    #[test]
    fn the_banner_shows_no_password() {
        let c = StoreChoice::Postgres("postgres://u:s3cret@db.internal:5432/issuer".into());
        let text = c.describe();
        assert!(
            text.contains("issuer") && text.contains("db.internal"),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
    }
}
