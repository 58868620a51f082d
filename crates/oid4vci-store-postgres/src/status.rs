//! [`StatusListStore`] on PostgreSQL: the `oid4vci_status_entries` table (schema version 2).

use crate::error::{pg_error, pool_error};
use crate::PostgresStore;
use oid4vci_issuer::{StatusEntry, StatusListStore, StoreError};
use std::collections::BTreeSet;

fn column(value: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| {
        StoreError::Backend(format!("postgres: stored {what} {value} is out of range"))
    })
}

fn status_column(status: i16) -> Result<u8, StoreError> {
    u8::try_from(status).map_err(|_| {
        StoreError::Backend(format!("postgres: stored status {status} is not a status"))
    })
}

fn entry(row: &tokio_postgres::Row) -> Result<StatusEntry, StoreError> {
    let list: i64 = row.try_get(0).map_err(pg_error("reading the list"))?;
    let idx: i64 = row.try_get(1).map_err(pg_error("reading the index"))?;
    let status: i16 = row.try_get(2).map_err(pg_error("reading the status"))?;
    Ok(StatusEntry {
        list: column(list, "list")?,
        idx: column(idx, "index")?,
        status: status_column(status)?,
    })
}

impl PostgresStore {
    /// Runs one status query selecting by `key`.
    async fn status_entries(
        &self,
        sql: &'static str,
        key: StatusKey,
    ) -> Result<Vec<StatusEntry>, StoreError> {
        self.run(|pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let stmt = client
                .prepare_cached(sql)
                .await
                .map_err(pg_error("preparing the status query"))?;
            let rows = match &key {
                StatusKey::List(list) => client.query(&stmt, &[list]).await,
                StatusKey::Session(session) => client.query(&stmt, &[session]).await,
            }
            .map_err(pg_error("reading status entries"))?;
            rows.iter().map(entry).collect()
        })
        .await
    }
}

/// What a status query selects by.
enum StatusKey {
    List(i64),
    Session(String),
}

impl StatusListStore for PostgresStore {
    async fn reserve_statuses(
        &self,
        list: u32,
        candidates: &[u32],
        session_id: &str,
    ) -> Result<Vec<u32>, StoreError> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<i64> = candidates.iter().map(|&c| i64::from(c)).collect();
        let session = session_id.to_owned();
        let list = i64::from(list);
        let inserted: BTreeSet<i64> = self
            .run(|pool| async move {
                let client = pool.get().await.map_err(pool_error)?;
                let stmt = client
                    .prepare_cached(
                        "INSERT INTO oid4vci_status_entries (list, idx, status, session_id) \
                         SELECT $1, c, 0, $3 FROM unnest($2::BIGINT[]) AS u (c) \
                         ON CONFLICT (list, idx) DO NOTHING RETURNING idx",
                    )
                    .await
                    .map_err(pg_error("preparing the status reservation"))?;
                let rows = client
                    .query(&stmt, &[&list, &wanted, &session])
                    .await
                    .map_err(pg_error("reserving status entries"))?;
                rows.iter()
                    .map(|r| r.try_get::<_, i64>(0).map_err(pg_error("reading an index")))
                    .collect()
            })
            .await?;
        // In the order of the candidates, each once.
        let mut seen = BTreeSet::new();
        Ok(candidates
            .iter()
            .copied()
            .filter(|&c| inserted.contains(&i64::from(c)) && seen.insert(c))
            .collect())
    }

    async fn reserved_count(&self, list: u32) -> Result<u64, StoreError> {
        let list = i64::from(list);
        let count: i64 = self
            .run(|pool| async move {
                let client = pool.get().await.map_err(pool_error)?;
                client
                    .query_one(
                        "SELECT count(*) FROM oid4vci_status_entries WHERE list = $1",
                        &[&list],
                    )
                    .await
                    .map_err(pg_error("counting status entries"))?
                    .try_get(0)
                    .map_err(pg_error("reading the count"))
            })
            .await?;
        u64::try_from(count).map_err(|_| StoreError::Backend("postgres: negative count".into()))
    }

    async fn last_list(&self) -> Result<u32, StoreError> {
        let last: Option<i64> = self
            .run(|pool| async move {
                let client = pool.get().await.map_err(pool_error)?;
                client
                    .query_one("SELECT max(list) FROM oid4vci_status_entries", &[])
                    .await
                    .map_err(pg_error("finding the last status list"))?
                    .try_get(0)
                    .map_err(pg_error("reading the last status list"))
            })
            .await?;
        last.map_or(Ok(0), |l| column(l, "list"))
    }

    async fn set_status(&self, list: u32, idx: u32, status: u8) -> Result<Option<u8>, StoreError> {
        let (list, idx, status) = (i64::from(list), i64::from(idx), i16::from(status));
        let previous: Option<i16> = self
            .run(|pool| async move {
                let client = pool.get().await.map_err(pool_error)?;
                let stmt = client
                    .prepare_cached("SELECT oid4vci_set_status($1, $2, $3)")
                    .await
                    .map_err(pg_error("preparing the status change"))?;
                client
                    .query_one(&stmt, &[&list, &idx, &status])
                    .await
                    .map_err(pg_error("changing the status"))?
                    .try_get(0)
                    .map_err(pg_error("reading the previous status"))
            })
            .await?;
        previous.map(status_column).transpose()
    }

    async fn non_valid_statuses(&self, list: u32) -> Result<Vec<StatusEntry>, StoreError> {
        self.status_entries(
            "SELECT list, idx, status FROM oid4vci_status_entries \
             WHERE list = $1 AND status <> 0 ORDER BY idx",
            StatusKey::List(i64::from(list)),
        )
        .await
    }

    async fn session_statuses(&self, session_id: &str) -> Result<Vec<StatusEntry>, StoreError> {
        self.status_entries(
            "SELECT list, idx, status FROM oid4vci_status_entries \
             WHERE session_id = $1 ORDER BY list, idx",
            StatusKey::Session(session_id.to_owned()),
        )
        .await
    }
}
