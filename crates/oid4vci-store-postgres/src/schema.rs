//! The database schema and its migrations.
//!
//! Applied versions are rows of `oid4vci_schema_migrations`. [`MIGRATIONS`] is an ordered list:
//! migration `i` (0-based) takes a database from version `i` to version `i + 1`. Connecting applies
//! every missing migration in one transaction that first takes a transaction-scoped advisory lock,
//! so instances starting at once migrate one after the other (the later ones find nothing to do),
//! and a failed migration leaves the database as it was. A database from a newer build is refused
//! rather than misread.
//!
//! Append new migrations to the list; never edit or reorder a released one.
//!
//! Sessions are stored as opaque JSON and lookup kinds as their serde names, so new session
//! states and new lookup kinds need no migration.

use crate::error::pg_error;
use oid4vci_issuer::StoreError;
use tokio_postgres::{Client, GenericClient};

/// Version 1: sessions as JSON text with `version` and `expires_at` columns, the lookup index of
/// hashed secrets (primary key `(kind, hash)`: one secret never points at two sessions), consumed
/// nonces, and the two write functions that make insert and compare-and-swap one statement each.
const V1: &str = r#"
CREATE TABLE oid4vci_sessions (
    id          TEXT   PRIMARY KEY,
    version     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    data        TEXT   NOT NULL
);
CREATE INDEX oid4vci_sessions_by_expiry ON oid4vci_sessions (expires_at);

CREATE TABLE oid4vci_session_lookups (
    kind        TEXT NOT NULL,
    hash        TEXT NOT NULL,
    session_id  TEXT NOT NULL REFERENCES oid4vci_sessions (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, hash)
);
CREATE INDEX oid4vci_session_lookups_by_session ON oid4vci_session_lookups (session_id);

CREATE TABLE oid4vci_consumed_nonces (
    hash        TEXT   PRIMARY KEY,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX oid4vci_consumed_nonces_by_expiry ON oid4vci_consumed_nonces (expires_at);

-- 'ok' or 'duplicate'; a lookup owned by another session raises unique_violation, and the
-- statement (so the session row too) is rolled back.
CREATE FUNCTION oid4vci_insert_session(
    p_id TEXT, p_version BIGINT, p_expires_at BIGINT, p_data TEXT,
    p_kinds TEXT[], p_hashes TEXT[]
) RETURNS TEXT LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO oid4vci_sessions (id, version, expires_at, data)
        VALUES (p_id, p_version, p_expires_at, p_data)
        ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN 'duplicate';
    END IF;
    INSERT INTO oid4vci_session_lookups (kind, hash, session_id)
        SELECT k, h, p_id FROM unnest(p_kinds, p_hashes) AS u (k, h);
    RETURN 'ok';
END
$$;

-- Compare-and-swap: 'ok', 'version_conflict' or 'not_found'. The UPDATE's row lock orders
-- concurrent writers; a writer that waited re-checks `version` and finds it changed. The lookups
-- are replaced in the same statement; a clash raises unique_violation and rolls all of it back.
CREATE FUNCTION oid4vci_update_session(
    p_id TEXT, p_expected BIGINT, p_version BIGINT, p_expires_at BIGINT, p_data TEXT,
    p_kinds TEXT[], p_hashes TEXT[]
) RETURNS TEXT LANGUAGE plpgsql AS $$
BEGIN
    UPDATE oid4vci_sessions
        SET version = p_version, expires_at = p_expires_at, data = p_data
        WHERE id = p_id AND version = p_expected;
    IF NOT FOUND THEN
        IF EXISTS (SELECT 1 FROM oid4vci_sessions WHERE id = p_id) THEN
            RETURN 'version_conflict';
        END IF;
        RETURN 'not_found';
    END IF;
    DELETE FROM oid4vci_session_lookups WHERE session_id = p_id;
    INSERT INTO oid4vci_session_lookups (kind, hash, session_id)
        SELECT k, h, p_id FROM unnest(p_kinds, p_hashes) AS u (k, h);
    RETURN 'ok';
END
$$;
"#;

/// Version 2: status-list entries (revocation), one row per reserved index, keyed by
/// `(list, idx)` so an index goes to one credential only, found by session too. Not tied to
/// `oid4vci_sessions`: credentials (and their entries) outlive the sessions that issued them.
/// `oid4vci_set_status` changes a status under the row lock and returns the previous one.
const V2: &str = r#"
CREATE TABLE oid4vci_status_entries (
    list        BIGINT   NOT NULL,
    idx         BIGINT   NOT NULL,
    status      SMALLINT NOT NULL,
    session_id  TEXT     NOT NULL,
    PRIMARY KEY (list, idx)
);
CREATE INDEX oid4vci_status_entries_by_session ON oid4vci_status_entries (session_id);
CREATE INDEX oid4vci_status_entries_not_valid ON oid4vci_status_entries (list, idx)
    WHERE status <> 0;

CREATE FUNCTION oid4vci_set_status(p_list BIGINT, p_idx BIGINT, p_status SMALLINT)
RETURNS SMALLINT LANGUAGE plpgsql AS $$
DECLARE
    previous SMALLINT;
BEGIN
    SELECT status INTO previous FROM oid4vci_status_entries
        WHERE list = p_list AND idx = p_idx FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF previous <> p_status THEN
        UPDATE oid4vci_status_entries SET status = p_status
            WHERE list = p_list AND idx = p_idx;
    END IF;
    RETURN previous;
END
$$;
"#;

/// Version 3: `oid4vci_commit`, a wallet request's whole effect as one statement — the session
/// (insert, or compare-and-swap as `oid4vci_update_session`), the single-use values it consumed
/// and the status entries it reserved. Outcomes that write nothing are returned ('duplicate',
/// 'version_conflict', 'not_found'); a spent nonce or a taken entry raises (SQLSTATE `OI001`
/// with the nonce's 0-based position, `OI002` with the list and index), which rolls the whole
/// statement back, as a lookup clash (unique_violation) does.
const V3: &str = r#"
CREATE FUNCTION oid4vci_commit(
    p_id TEXT, p_expected BIGINT, p_version BIGINT, p_expires_at BIGINT, p_data TEXT,
    p_kinds TEXT[], p_hashes TEXT[], p_nonces TEXT[], p_nonce_expiries BIGINT[],
    p_lists BIGINT[], p_idxs BIGINT[]
) RETURNS TEXT LANGUAGE plpgsql AS $$
BEGIN
    IF p_expected IS NULL THEN
        INSERT INTO oid4vci_sessions (id, version, expires_at, data)
            VALUES (p_id, p_version, p_expires_at, p_data)
            ON CONFLICT (id) DO NOTHING;
        IF NOT FOUND THEN
            RETURN 'duplicate';
        END IF;
    ELSE
        UPDATE oid4vci_sessions
            SET version = p_version, expires_at = p_expires_at, data = p_data
            WHERE id = p_id AND version = p_expected;
        IF NOT FOUND THEN
            IF EXISTS (SELECT 1 FROM oid4vci_sessions WHERE id = p_id) THEN
                RETURN 'version_conflict';
            END IF;
            RETURN 'not_found';
        END IF;
        DELETE FROM oid4vci_session_lookups WHERE session_id = p_id;
    END IF;
    INSERT INTO oid4vci_session_lookups (kind, hash, session_id)
        SELECT k, h, p_id FROM unnest(p_kinds, p_hashes) AS u (k, h);
    FOR i IN 1 .. coalesce(array_length(p_nonces, 1), 0) LOOP
        INSERT INTO oid4vci_consumed_nonces (hash, expires_at)
            VALUES (p_nonces[i], p_nonce_expiries[i])
            ON CONFLICT (hash) DO NOTHING;
        IF NOT FOUND THEN
            RAISE EXCEPTION '%', i - 1 USING ERRCODE = 'OI001';
        END IF;
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(p_lists, 1), 0) LOOP
        INSERT INTO oid4vci_status_entries (list, idx, status, session_id)
            VALUES (p_lists[i], p_idxs[i], 0, p_id)
            ON CONFLICT (list, idx) DO NOTHING;
        IF NOT FOUND THEN
            RAISE EXCEPTION '% %', p_lists[i], p_idxs[i] USING ERRCODE = 'OI002';
        END IF;
    END LOOP;
    RETURN 'ok';
END
$$;
"#;

/// Version 4: the operator's session list reads sessions newest first through an index, and
/// stops at its limit, instead of sorting every session; a list of one state reads only that
/// state's sessions, and the count by state (the metrics) reads an index. `created_at` and
/// `state` are computed from the stored JSON (generated columns: the write functions are
/// unchanged). Adding them rewrites the sessions table once, under an exclusive lock.
const V4: &str = r#"
ALTER TABLE oid4vci_sessions
    ADD COLUMN created_at BIGINT
        GENERATED ALWAYS AS (((data::jsonb) ->> 'created_at')::bigint) STORED,
    ADD COLUMN state TEXT GENERATED ALWAYS AS ((data::jsonb) ->> 'state') STORED;
CREATE INDEX oid4vci_sessions_newest_first ON oid4vci_sessions (created_at DESC, id);
CREATE INDEX oid4vci_sessions_by_state ON oid4vci_sessions (state, created_at DESC, id);
"#;

/// Every migration, in order; the schema version of this build is its length.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The advisory lock key migrations hold (`pg_advisory_xact_lock`): "oid4vci\x01" as an i64.
const MIGRATION_LOCK: i64 = 0x6f69_6434_7663_6901;

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS oid4vci_schema_migrations (
    version     INTEGER     PRIMARY KEY,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
)";

/// Reads the applied schema version (0 for an empty database).
pub(crate) async fn schema_version<C: GenericClient>(client: &C) -> Result<u32, StoreError> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('oid4vci_schema_migrations') IS NOT NULL",
            &[],
        )
        .await
        .map_err(pg_error("looking for the migrations table"))?
        .try_get(0)
        .map_err(pg_error("reading the migrations table check"))?;
    if !exists {
        return Ok(0);
    }
    let v: i32 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM oid4vci_schema_migrations",
            &[],
        )
        .await
        .map_err(pg_error("reading the schema version"))?
        .try_get(0)
        .map_err(pg_error("reading the schema version"))?;
    u32::try_from(v).map_err(|_| {
        StoreError::Backend(format!(
            "postgres: the recorded schema version {v} is not a valid version"
        ))
    })
}

fn refuse_newer(found: u32, supported: u32) -> StoreError {
    StoreError::Backend(format!(
        "postgres: the database has schema version {found}, newer than the version {supported} \
         this build of oid4vci-store-postgres understands; refusing to use it (upgrade the \
         issuer, or restore a backup made for this version)"
    ))
}

/// Brings the database to the latest version of `migrations`, under the advisory lock, in one
/// transaction. Returns the version reached.
pub(crate) async fn migrate(client: &mut Client, migrations: &[&str]) -> Result<u32, StoreError> {
    let latest = u32::try_from(migrations.len())
        .map_err(|_| StoreError::Backend("postgres: too many migrations".into()))?;
    let found = schema_version(client).await?;
    if found == latest {
        return Ok(found);
    }
    if found > latest {
        return Err(refuse_newer(found, latest));
    }
    let tx = client
        .transaction()
        .await
        .map_err(pg_error("starting the migration transaction"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg_error("taking the migration lock"))?;
    tx.batch_execute(CREATE_LEDGER)
        .await
        .map_err(pg_error("creating the migrations table"))?;
    // Another instance may have migrated while we waited for the lock.
    let found = schema_version(&tx).await?;
    if found > latest {
        return Err(refuse_newer(found, latest));
    }
    for (index, sql) in migrations.iter().enumerate().skip(found as usize) {
        let version = i32::try_from(index + 1)
            .map_err(|_| StoreError::Backend("postgres: too many migrations".into()))?;
        tx.batch_execute(sql).await.map_err(|e| {
            StoreError::Backend(format!(
                "postgres: migration to schema version {version} failed (nothing was changed): {e}"
            ))
        })?;
        tx.execute(
            "INSERT INTO oid4vci_schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(pg_error("recording the schema version"))?;
    }
    tx.commit()
        .await
        .map_err(pg_error("committing the schema migration"))?;
    Ok(latest)
}
