//! The operator's session list (`SessionStore::list`, what `GET /admin/sessions` and the console
//! show) on a store holding many sessions, beside one session read by id in the same run.
//!
//! Each store holds `LIST_SESSIONS` sessions (default 20,000; one in ten `issued`, the rest
//! `offered`), created one second apart:
//! - `session_list/<store>/get_by_id`: one `get` of a session by id: the baseline.
//! - `session_list/<store>/newest_50`: the 50 newest sessions, no filter.
//! - `session_list/<store>/issued_50`: the 50 newest `issued` sessions (a filter one session in
//!   ten passes).
//! - `session_list/<store>/count_by_state`: the sessions counted by state (the metrics' gauge).
//!
//! Stores: `sqlite` (a file, WAL, `synchronous = NORMAL`) and `postgres` (a throw-away server on
//! loopback, started by `oid4vci_store_postgres::test_server`; skipped with a message where none
//! can be had).
//!
//! Run: `cargo bench --bench session_list`. After criterion's report a summary prints each list
//! as a multiple of its store's `get_by_id`.

#[cfg(not(feature = "bench-system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, Criterion};
use oid4vci_issuer::{SessionQuery, SessionState, SessionStore};
use oid4vci_issuer_testkit::sample_session;
use oid4vci_store_postgres::test_server::TestServer;
use oid4vci_store_postgres::PostgresStore;
use oid4vci_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const T0: u64 = 1_780_000_000;

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

fn session_count() -> u64 {
    std::env::var("LIST_SESSIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000)
}

/// Mean time per call of each benchmark, for the summary.
static MEANS: Mutex<Vec<(String, String, Duration)>> = Mutex::new(Vec::new());

fn fill<S: SessionStore>(store: &S, count: u64) {
    let started = Instant::now();
    for i in 0..count {
        let mut session = sample_session(&format!("s{i:06}"), T0 + i);
        if i % 10 == 0 {
            session.state = SessionState::Issued;
        }
        block(store.insert(&session)).expect("insert");
    }
    eprintln!(
        "session_list: {count} sessions stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn timed<T>(name: &str, store: &str, c: &mut Criterion, mut call: impl FnMut() -> T) {
    let mut total = Duration::ZERO;
    let mut calls = 0u32;
    c.bench_function(&format!("session_list/{store}/{name}"), |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                black_box(call());
            }
            let elapsed = started.elapsed();
            total += elapsed;
            calls += u32::try_from(iters).unwrap_or(u32::MAX);
            elapsed
        })
    });
    if calls > 0 {
        MEANS
            .lock()
            .expect("means")
            .push((store.into(), name.into(), total / calls));
    }
}

fn bench_store<S: SessionStore>(c: &mut Criterion, name: &str, store: &S, count: u64) {
    fill(store, count);
    let middle = format!("s{:06}", count / 2);
    timed("get_by_id", name, c, || {
        block(store.get(&middle)).expect("get")
    });
    let newest = SessionQuery::default();
    let listed = block(store.list(&newest)).expect("list").expect("listing");
    assert_eq!(listed.len(), 50);
    assert_eq!(listed[0].id(), format!("s{:06}", count - 1), "newest first");
    timed("newest_50", name, c, || {
        block(store.list(&newest)).expect("list")
    });
    let issued = SessionQuery {
        state: Some(SessionState::Issued),
        ..SessionQuery::default()
    };
    timed("issued_50", name, c, || {
        block(store.list(&issued)).expect("list")
    });
    let counts = block(store.count_by_state())
        .expect("count")
        .expect("counting");
    assert_eq!(counts.get("issued"), Some(&count.div_ceil(10)));
    timed("count_by_state", name, c, || {
        block(store.count_by_state()).expect("count")
    });
}

fn session_lists(c: &mut Criterion) {
    let count = session_count();
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = SqliteStore::open_with(
        dir.path().join("list.db"),
        SqliteOptions::default().synchronous(Synchronous::Normal),
    )
    .expect("open sqlite");
    bench_store(c, "sqlite", &sqlite, count);

    let server = match TestServer::start(&[]) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("session_list/postgres: skipped: {e}");
            return;
        }
    };
    let url = server.create_database().expect("create database");
    let postgres = block(PostgresStore::connect(&url)).expect("connect");
    bench_store(c, "postgres", &postgres, count);
}

fn print_summary() {
    let means = MEANS.lock().expect("means");
    println!(
        "\nsession_list summary ({} sessions per store):",
        session_count()
    );
    for (store, name, mean) in means.iter() {
        let baseline = means
            .iter()
            .find(|(s, n, _)| s == store && n == "get_by_id")
            .map(|(_, _, d)| *d);
        let ratio = baseline.map_or(f64::NAN, |b| mean.as_secs_f64() / b.as_secs_f64());
        println!(
            "  {store:<8} {name:<10} {:>10.1} µs  = {ratio:>7.1} × get_by_id",
            mean.as_secs_f64() * 1e6
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = session_lists
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_summary();
}
