//! [`StatusListStore`] on SQLite: the `status_entries` table (schema version 2). A reservation
//! is one write of `INSERT OR IGNORE`s (a taken index changes no row), a status change one
//! read-then-update; each runs as one write of the store thread, inside its `IMMEDIATE`
//! transaction, so both are atomic against every other write of this and other processes.

use crate::entries::reserve_on;
use crate::schema::sql_error;
use crate::SqliteStore;
use oid4vci_issuer::{StatusEntry, StatusListStore, StoreError};
use rusqlite::{params, Connection, OptionalExtension};

fn status_column(status: i64) -> Result<u8, StoreError> {
    u8::try_from(status)
        .map_err(|_| StoreError::Backend(format!("sqlite: stored status {status} is not a status")))
}

fn index_column(value: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value)
        .map_err(|_| StoreError::Backend(format!("sqlite: stored {what} {value} is out of range")))
}

fn entries(
    conn: &Connection,
    sql: &str,
    param: &dyn rusqlite::ToSql,
) -> Result<Vec<StatusEntry>, StoreError> {
    let mut stmt = conn
        .prepare_cached(sql)
        .map_err(sql_error("preparing the status query"))?;
    let rows = stmt
        .query_map([param], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(sql_error("reading status entries"))?;
    let mut out = Vec::new();
    for row in rows {
        let (list, idx, status) = row.map_err(sql_error("reading a status entry"))?;
        out.push(StatusEntry {
            list: index_column(list, "list")?,
            idx: index_column(idx, "index")?,
            status: status_column(status)?,
        });
    }
    Ok(out)
}

fn set_on(conn: &Connection, list: u32, idx: u32, status: u8) -> Result<Option<u8>, StoreError> {
    let previous: Option<i64> = conn
        .prepare_cached("SELECT status FROM status_entries WHERE list = ?1 AND idx = ?2")
        .and_then(|mut s| s.query_row(params![list, idx], |r| r.get(0)).optional())
        .map_err(sql_error("reading the status"))?;
    let Some(previous) = previous else {
        return Ok(None);
    };
    if previous != i64::from(status) {
        conn.prepare_cached("UPDATE status_entries SET status = ?3 WHERE list = ?1 AND idx = ?2")
            .and_then(|mut s| s.execute(params![list, idx, status]))
            .map_err(sql_error("changing the status"))?;
    }
    status_column(previous).map(Some)
}

impl StatusListStore for SqliteStore {
    async fn reserve_statuses(
        &self,
        list: u32,
        candidates: &[u32],
        session_id: &str,
    ) -> Result<Vec<u32>, StoreError> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let (candidates, session) = (candidates.to_vec(), session_id.to_owned());
        // Followed by the credential's synced write before the credential is handed out; a
        // reservation lost before that belonged to no credential.
        self.write_unsynced(move |conn| reserve_on(conn, list, &candidates, &session))
            .await
    }

    async fn reserved_count(&self, list: u32) -> Result<u64, StoreError> {
        let count: i64 = self
            .read(move |conn| {
                conn.prepare_cached("SELECT count(*) FROM status_entries WHERE list = ?1")
                    .and_then(|mut s| s.query_row([list], |r| r.get(0)))
                    .map_err(sql_error("counting status entries"))
            })
            .await?;
        u64::try_from(count).map_err(|_| StoreError::Backend("sqlite: negative count".into()))
    }

    async fn last_list(&self) -> Result<u32, StoreError> {
        let last: Option<i64> = self
            .read(|conn| {
                conn.prepare_cached("SELECT max(list) FROM status_entries")
                    .and_then(|mut s| s.query_row([], |r| r.get(0)))
                    .map_err(sql_error("finding the last status list"))
            })
            .await?;
        last.map_or(Ok(0), |l| index_column(l, "list"))
    }

    async fn set_status(&self, list: u32, idx: u32, status: u8) -> Result<Option<u8>, StoreError> {
        self.write(move |conn| set_on(conn, list, idx, status))
            .await
    }

    async fn non_valid_statuses(&self, list: u32) -> Result<Vec<StatusEntry>, StoreError> {
        self.read(move |conn| {
            entries(
                conn,
                "SELECT list, idx, status FROM status_entries \
                 WHERE list = ?1 AND status <> 0 ORDER BY idx",
                &list,
            )
        })
        .await
    }

    async fn session_statuses(&self, session_id: &str) -> Result<Vec<StatusEntry>, StoreError> {
        let session = session_id.to_owned();
        self.read(move |conn| {
            entries(
                conn,
                "SELECT list, idx, status FROM status_entries \
                 WHERE session_id = ?1 ORDER BY list, idx",
                &session,
            )
        })
        .await
    }
}
