//! WAL checkpoints run on the store's checkpoint thread: once the log passes 1000 pages it is
//! copied into the database file without the store thread doing it, the log starts over instead
//! of growing (from 1000 pages with `FULL`, 4000 with `NORMAL`, once the thread has nearly
//! caught up; at the latest at 16,000), and every acknowledged write is still there for the
//! next process.

use oid4vci_issuer::SessionStore;
use oid4vci_issuer_testkit::sample_session;
use oid4vci_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use std::path::Path;
use std::time::{Duration, Instant};

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// Sessions written; each commit adds a few pages to the log. Enough that a log that never
/// started over (at least 3 pages a commit) would outgrow even the store's inline-checkpoint
/// cap of 16,000 pages, so the bound below holds however far the checkpoint thread lags.
const SESSIONS: usize = 8_000;

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn wal_of(db: &Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

fn writes_are_checkpointed_in_the_background(synchronous: Synchronous) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("checkpoints.db");
    let store = SqliteStore::open_with(&path, SqliteOptions::default().synchronous(synchronous))
        .expect("open");
    assert_eq!(store.checkpoint_count(), 0, "nothing to copy yet");
    let empty_db = file_len(&path);
    for i in 0..SESSIONS {
        block(store.insert(&sample_session(&format!("s-{i}"), 1_000))).expect("insert");
    }
    // The thread is woken by commits; give it time to finish the copy it was woken for.
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.checkpoint_count() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        store.checkpoint_count() > 0,
        "{SESSIONS} commits and no background checkpoint"
    );
    assert!(
        file_len(&path) > empty_db,
        "the checkpoint copied pages into the database file"
    );
    // What the log would hold had it never started over: every commit appends each page it
    // changed, and an insert changes at least three (the sessions table, its primary-key
    // index, the lookups table).
    let appended = store.commit_count() * 3 * 4096;
    let wal = file_len(&wal_of(&path));
    assert!(
        wal < appended,
        "the log ({wal} bytes) grew by every commit ({appended} bytes): it never started over"
    );
    drop(store);

    let store = SqliteStore::open(&path).expect("reopen");
    for i in [0, SESSIONS / 2, SESSIONS - 1] {
        assert!(
            block(store.get(&format!("s-{i}"))).expect("get").is_some(),
            "session s-{i} survived"
        );
    }
}

#[test]
fn full_durability_checkpoints_in_the_background() {
    writes_are_checkpointed_in_the_background(Synchronous::Full);
}

#[test]
fn normal_durability_checkpoints_in_the_background() {
    writes_are_checkpointed_in_the_background(Synchronous::Normal);
}

#[test]
fn in_memory_stores_have_no_checkpoints() {
    let store = SqliteStore::open_in_memory().expect("open");
    for i in 0..100 {
        block(store.insert(&sample_session(&format!("m-{i}"), 1_000))).expect("insert");
    }
    assert_eq!(store.checkpoint_count(), 0);
}
