//! Complete issuance flows per second on each store, next to the bare signature work of one flow.
//!
//! One flow is what an issuer does for one wallet: `create_offer` → `token` (pre-authorized code)
//! → `nonce` → `credential` with one ES256 `jwt` proof, minted as an SD-JWT VC (ES256) by
//! `SdJwtVcMinter`. Only the issuer's side is timed: the wallet signing its proof
//! (`TestWallet::proof`) runs between the timed sections.
//!
//! - `issuance_flow/memory_store`: `MemoryStore`.
//! - `issuance_flow/sqlite_in_memory`: `SqliteStore::open_in_memory()`: the SQL and JSON work
//!   without file I/O.
//! - `issuance_flow/sqlite_wal_full`: `SqliteStore` on a file in a temp dir, WAL, the default
//!   `synchronous = FULL` (each commit synced).
//! - `issuance_flow/sqlite_wal_normal`: the same with `synchronous = NORMAL`.
//! - `issuance_flow/memory_store_status_lists`, `issuance_flow/sqlite_wal_normal_status_lists`:
//!   the same with revocation on (`Issuer::with_status_lists`, default list size): every
//!   credential reserves a random status-list entry (in the credential's own commit) and carries
//!   `status`.
//! - `issuance_flow/postgres_sync_commit_on` / `_off`: `PostgresStore` on a throw-away PostgreSQL
//!   on loopback (started by `oid4vci_store_postgres::test_server`, `fsync` on), with the
//!   session's `synchronous_commit` on (each commit waits for its WAL flush) or off. Skipped, with
//!   a message, where no PostgreSQL can be had.
//! - `signature_baseline/verify_proof_plus_sign_sd_jwt`: one P-256 ECDSA verify of a real proof
//!   plus one P-256 ECDSA sign of a real SD-JWT signing input, on the same crypto backend as the
//!   issuer (`oid4vci_proof::crypto::BACKEND`): the signature work inside a flow.
//!
//! - concurrency sweep (after criterion, not a criterion benchmark): `T` threads (1, 2, 4, 8, 16)
//!   run complete flows at once on one issuer per store, proofs prepared beforehand (nonces are
//!   stateless, so a wallet can sign before the flow starts); flows/s is wall-clock throughput.
//!   This is where group commit shows: concurrent flows share the SQLite fsyncs.
//!
//! Run: `cargo bench --bench issuance_flow`. After criterion's report a summary prints flows/s per
//! store and the share of a flow's time that is signature work (means over every timed iteration,
//! warm-up included), then the concurrency sweep; the sweep is also written as CSV to
//! `target/bench-results/issuance_concurrency.csv` (input of `scripts/plot_concurrency.py`).

/// The `oid4vci` binary's allocator, unless the `bench-system-allocator` feature asks for the
/// system's.
#[cfg(not(feature = "bench-system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use oid4vci_issuer::{
    HttpFacts, Issuer, MemoryStore, OfferSpec, SessionStore, StatusListConfig, StatusListStore,
};
use oid4vci_issuer_testkit::flows::{scenario_issuer, CONFIG, ISSUER, T0};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_proof::PublicKey;
use oid4vci_sd_jwt::SdJwtVcMinter;
use oid4vci_store_postgres::test_server::TestServer;
use oid4vci_store_postgres::{PostgresOptions, PostgresStore};
use oid4vci_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use oid4vci_types::{CredentialRequest, TokenRequest};
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// Total time and iterations per benchmark, for the closing summary.
static TOTALS: Mutex<Vec<(&'static str, Duration, u64)>> = Mutex::new(Vec::new());

fn record(name: &'static str, elapsed: Duration, iters: u64) {
    if let Ok(mut totals) = TOTALS.lock() {
        match totals.iter_mut().find(|t| t.0 == name) {
            Some(t) => {
                t.1 += elapsed;
                t.2 += iters;
            }
            None => totals.push((name, elapsed, iters)),
        }
    }
}

fn mean(name: &str) -> Option<Duration> {
    let totals = TOTALS.lock().ok()?;
    let (_, total, iters) = totals.iter().find(|t| t.0 == name)?;
    let iters = u32::try_from(*iters).ok().filter(|n| *n > 0)?;
    Some(*total / iters)
}

fn offer() -> OfferSpec {
    OfferSpec {
        credential_configuration_ids: vec![CONFIG.into()],
        pre_authorized: true,
        claims: Some(serde_json::json!({
            "given_name": "Erika",
            "family_name": "Mustermann",
            "birthdate": "1964-08-12",
            "age_over_18": true
        })),
        subject_id: Some("subject-1".into()),
        ..OfferSpec::default()
    }
}

/// One complete flow; returns the issuer-side time and the credential.
fn one_flow<S: SessionStore>(
    issuer: &Issuer<S, SdJwtVcMinter>,
    wallet: &TestWallet,
) -> (Duration, String) {
    let start = Instant::now();
    let created = block(issuer.create_offer(offer())).expect("offer");
    let code = created
        .credential_offer
        .pre_authorized_code_grant()
        .map(|g| g.pre_authorized_code.clone())
        .expect("pre-authorized code");
    let token = block(issuer.token(
        TokenRequest::pre_authorized(code, None),
        HttpFacts::default(),
    ))
    .expect("token");
    let nonce = issuer.nonce().c_nonce;
    let mut issuer_time = start.elapsed();

    let proof = wallet.proof(ISSUER, Some(&nonce), T0);

    let start = Instant::now();
    let response = block(issuer.credential(
        CredentialRequest::for_configuration(CONFIG, vec![proof]),
        HttpFacts::bearer(token.access_token.expose()),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .expect("credential");
    issuer_time += start.elapsed();
    let credential = response
        .credentials
        .and_then(|c| c.into_iter().next())
        .and_then(|c| c.credential.as_str().map(str::to_owned))
        .expect("one SD-JWT VC");
    (issuer_time, credential)
}

fn bench_store<S: SessionStore>(
    c: &mut Criterion,
    name: &'static str,
    issuer: &Issuer<S, SdJwtVcMinter>,
) {
    let wallet = TestWallet::new();
    let mut group = c.benchmark_group("issuance_flow");
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (t, credential) = one_flow(issuer, &wallet);
                black_box(credential);
                total += t;
            }
            record(name, total, iters);
            total
        })
    });
    group.finish();
}

/// A scenario issuer keeping status lists (default sizes) in `store`.
fn with_status_lists<S: SessionStore + StatusListStore + Clone>(
    store: S,
) -> Issuer<S, SdJwtVcMinter> {
    let (issuer, _clock) = scenario_issuer(store);
    let config = StatusListConfig::new(ISSUER, Arc::new(SdJwtVcMinter::generate()));
    issuer
        .with_status_lists(config)
        .expect("status-list configuration")
}

fn issuance_flows(c: &mut Criterion) {
    let (memory, _clock) = scenario_issuer(MemoryStore::new());
    bench_store(c, "memory_store", &memory);
    let memory_status = with_status_lists(MemoryStore::new());
    bench_store(c, "memory_store_status_lists", &memory_status);

    let in_memory = SqliteStore::open_in_memory().expect("open sqlite in memory");
    let (sqlite_memory, _clock) = scenario_issuer(in_memory);
    bench_store(c, "sqlite_in_memory", &sqlite_memory);

    let dir = tempfile::tempdir().expect("tempdir");
    for (name, synchronous) in [
        ("sqlite_wal_full", Synchronous::Full),
        ("sqlite_wal_normal", Synchronous::Normal),
    ] {
        let store = SqliteStore::open_with(
            dir.path().join(format!("{name}.db")),
            SqliteOptions::default().synchronous(synchronous),
        )
        .expect("open sqlite");
        let (issuer, _clock) = scenario_issuer(store);
        bench_store(c, name, &issuer);
    }
    let store = SqliteStore::open_with(
        dir.path().join("status_lists.db"),
        SqliteOptions::default().synchronous(Synchronous::Normal),
    )
    .expect("open sqlite");
    bench_store(
        c,
        "sqlite_wal_normal_status_lists",
        &with_status_lists(store),
    );

    // A durable server (fsync on), unlike the test suites' fast one.
    let server = match TestServer::start(&[]) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("issuance_flow/postgres_*: skipped: {e}");
            return;
        }
    };
    for (name, on) in [
        ("postgres_sync_commit_on", true),
        ("postgres_sync_commit_off", false),
    ] {
        let url = server.create_database().expect("create database");
        let options = PostgresOptions::default().synchronous_commit(Some(on));
        let store = block(PostgresStore::connect_with(&url, options)).expect("connect");
        let (issuer, _clock) = scenario_issuer(store);
        bench_store(c, name, &issuer);
    }
}

fn split_jws(jws: &str) -> (String, Vec<u8>) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let jws = jws.split('~').next().expect("jws");
    let (input, sig) = jws.rsplit_once('.').expect("three segments");
    let sig = URL_SAFE_NO_PAD.decode(sig).expect("base64url signature");
    (input.to_owned(), sig)
}

fn signature_baseline(c: &mut Criterion) {
    // The same inputs a flow signs and verifies: a real proof and a real SD-JWT VC.
    let (issuer, _clock) = scenario_issuer(MemoryStore::new());
    let wallet = TestWallet::new();
    let (_, credential) = one_flow(&issuer, &wallet);
    let (sd_jwt_input, _) = split_jws(&credential);
    let (proof_input, proof_sig) = split_jws(&wallet.proof(ISSUER, Some("nonce"), T0));
    let holder = PublicKey::from_jwk_value(&wallet.public_jwk()).expect("jwk");
    let issuer_key = issuer.minter().keys().default_ring().current(T0).clone();

    let mut group = c.benchmark_group("signature_baseline");
    group.throughput(Throughput::Elements(1));
    let name = "verify_proof_plus_sign_sd_jwt";
    group.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                holder
                    .verify(
                        holder.alg(),
                        black_box(proof_input.as_bytes()),
                        black_box(&proof_sig),
                    )
                    .expect("proof signature verifies");
                let sig = pollster::block_on(issuer_key.sign(black_box(sd_jwt_input.as_bytes())))
                    .expect("sign");
                black_box(sig);
            }
            let total = start.elapsed();
            record(name, total, iters);
            total
        })
    });
    group.finish();
}

/// Flows with a proof signed beforehand: create_offer → token → credential (the nonce in the
/// proof was minted before timing began).
fn prepared_flow<S: SessionStore>(issuer: &Issuer<S, SdJwtVcMinter>, proof: String) {
    let created = block(issuer.create_offer(offer())).expect("offer");
    let code = created
        .pre_authorized_code()
        .cloned()
        .expect("pre-authorized code");
    let token = block(issuer.token(
        TokenRequest::pre_authorized(code, None),
        HttpFacts::default(),
    ))
    .expect("token");
    let response = block(issuer.credential(
        CredentialRequest::for_configuration(CONFIG, vec![proof]),
        HttpFacts::bearer(token.access_token.expose()),
    ))
    .map(|r| r.into_json().expect("a plain response"))
    .expect("credential");
    black_box(response);
}

/// Wall-clock flows/s with `threads` concurrent flows for about `budget`.
fn sweep_point<S: SessionStore>(
    issuer: &Issuer<S, SdJwtVcMinter>,
    threads: usize,
    budget: Duration,
) -> f64 {
    let wallet = TestWallet::new();
    // Calibrate: prepare enough proofs for the budget at a generous rate.
    let per_thread = 40 + (budget.as_secs_f64() * 4000.0 / threads as f64) as usize;
    let proofs: Vec<Vec<String>> = (0..threads)
        .map(|_| {
            (0..per_thread)
                .map(|_| wallet.proof(ISSUER, Some(&issuer.nonce().c_nonce), T0))
                .collect()
        })
        .collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for batch in proofs {
            let done = &done;
            scope.spawn(move || {
                for proof in batch {
                    if start.elapsed() >= budget {
                        break;
                    }
                    prepared_flow(issuer, proof);
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    done.into_inner() as f64 / start.elapsed().as_secs_f64()
}

fn concurrency_sweep() {
    let threads = [1usize, 2, 4, 8, 16];
    let budget = Duration::from_millis(1500);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows = Vec::new();
    println!(
        "
concurrency sweep: flows/s (wall clock, proofs signed beforehand, {} ms per point)",
        budget.as_millis()
    );
    let mut report = |store: &str, t: usize, fps: f64| {
        println!("  {store:<36} {t:>2} concurrent flows {fps:>8.0} flows/s");
        rows.push(format!("{store},{t},{fps:.1}"));
    };
    let (memory, _clock) = scenario_issuer(MemoryStore::new());
    for t in threads {
        report("memory_store", t, sweep_point(&memory, t, budget));
    }
    // The last one commits every write alone (one fsync each): the write path before group
    // commit, measured in the same run.
    for (name, synchronous, group) in [
        ("sqlite_wal_normal", Synchronous::Normal, true),
        ("sqlite_wal_full", Synchronous::Full, true),
        (
            "sqlite_wal_full_one_fsync_per_write",
            Synchronous::Full,
            false,
        ),
    ] {
        let store = SqliteStore::open_with(
            dir.path().join(format!("sweep-{name}.db")),
            SqliteOptions::default()
                .synchronous(synchronous)
                .group_commit(group),
        )
        .expect("open sqlite");
        let commits_before = store.commit_count();
        let (issuer, _clock) = scenario_issuer(store);
        for t in threads {
            report(name, t, sweep_point(&issuer, t, budget));
        }
        // Group commit at work: commits over the whole sweep (3 commits per flow).
        let commits = issuer.store().commit_count() - commits_before;
        println!("  {name:<36} {commits} commits over the sweep");
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-results");
    if std::fs::create_dir_all(&out).is_ok() {
        let csv = format!("store,concurrency,flows_per_s\n{}\n", rows.join("\n"));
        let _ = std::fs::write(out.join("issuance_concurrency.csv"), csv);
    }
}

fn print_summary() {
    let Some(baseline) = mean("verify_proof_plus_sign_sd_jwt") else {
        return;
    };
    println!("\nissuance_flow summary (means over all timed iterations)");
    println!(
        "  signature work of one flow (1 ES256 verify + 1 ES256 sign, {}): {:>9.1} µs = bound {:.0} flows/s",
        oid4vci_proof::crypto::BACKEND,
        baseline.as_secs_f64() * 1e6,
        1.0 / baseline.as_secs_f64()
    );
    for store in [
        "memory_store",
        "memory_store_status_lists",
        "sqlite_in_memory",
        "sqlite_wal_full",
        "sqlite_wal_normal",
        "sqlite_wal_normal_status_lists",
        "postgres_sync_commit_on",
        "postgres_sync_commit_off",
    ] {
        if let Some(flow) = mean(store) {
            let secs = flow.as_secs_f64();
            println!(
                "  {store:<32} {:>9.1} µs/flow  {:>8.0} flows/s  = {:>5.1} % of the signature-only bound",
                secs * 1e6,
                1.0 / secs,
                100.0 * baseline.as_secs_f64() / secs
            );
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = signature_baseline, issuance_flows
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_summary();
    concurrency_sweep();
}
