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
//! - `issuance_flow/postgres_sync_commit_on` / `_off`: `PostgresStore` on a throw-away PostgreSQL
//!   on loopback (started by `oid4vci_store_postgres::test_server`, `fsync` on), with the
//!   session's `synchronous_commit` on (each commit waits for its WAL flush) or off. Skipped, with
//!   a message, where no PostgreSQL can be had.
//! - `signature_baseline/verify_proof_plus_sign_sd_jwt`: one P-256 ECDSA verify of a real proof
//!   plus one P-256 ECDSA sign of a real SD-JWT signing input: the signature work inside a flow.
//!
//! Run: `cargo bench --bench issuance_flow`. After criterion's report a summary prints flows/s per
//! store and the share of a flow's time that is signature work (means over every timed iteration,
//! warm-up included).

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use oid4vci_issuer::testing::flows::{scenario_issuer, CONFIG, ISSUER, T0};
use oid4vci_issuer::testing::TestWallet;
use oid4vci_issuer::{HttpFacts, Issuer, MemoryStore, OfferSpec, SdJwtVcMinter, SessionStore};
use oid4vci_store_postgres::test_server::TestServer;
use oid4vci_store_postgres::{PostgresOptions, PostgresStore};
use oid4vci_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use oid4vci_types::{CredentialRequest, TokenRequest};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, VerifyingKey};
use std::hint::black_box;
use std::sync::Mutex;
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

fn issuance_flows(c: &mut Criterion) {
    let (memory, _clock) = scenario_issuer(MemoryStore::new());
    bench_store(c, "memory_store", &memory);

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

fn split_jws(jws: &str) -> (String, Signature) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let jws = jws.split('~').next().expect("jws");
    let (input, sig) = jws.rsplit_once('.').expect("three segments");
    let sig = URL_SAFE_NO_PAD.decode(sig).expect("base64url signature");
    (
        input.to_owned(),
        Signature::from_slice(&sig).expect("64-byte signature"),
    )
}

fn signature_baseline(c: &mut Criterion) {
    // The same inputs a flow signs and verifies: a real proof and a real SD-JWT VC.
    let (issuer, _clock) = scenario_issuer(MemoryStore::new());
    let wallet = TestWallet::new();
    let (_, credential) = one_flow(&issuer, &wallet);
    let (sd_jwt_input, _) = split_jws(&credential);
    let (proof_input, proof_sig) = split_jws(&wallet.proof(ISSUER, Some("nonce"), T0));
    let holder = p256::PublicKey::from_jwk_str(&wallet.public_jwk().to_string()).expect("jwk");
    let holder = VerifyingKey::from(&holder);
    let issuer_key = issuer.minter().signing_key().clone();

    let mut group = c.benchmark_group("signature_baseline");
    group.throughput(Throughput::Elements(1));
    let name = "verify_proof_plus_sign_sd_jwt";
    group.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                holder
                    .verify(black_box(proof_input.as_bytes()), black_box(&proof_sig))
                    .expect("proof signature verifies");
                let sig: Signature = issuer_key.sign(black_box(sd_jwt_input.as_bytes()));
                black_box(sig);
            }
            let total = start.elapsed();
            record(name, total, iters);
            total
        })
    });
    group.finish();
}

fn print_summary() {
    let Some(baseline) = mean("verify_proof_plus_sign_sd_jwt") else {
        return;
    };
    println!("\nissuance_flow summary (means over all timed iterations)");
    println!(
        "  signature work of one flow (1 ES256 verify + 1 ES256 sign): {:>9.1} µs",
        baseline.as_secs_f64() * 1e6
    );
    for store in [
        "memory_store",
        "sqlite_in_memory",
        "sqlite_wal_full",
        "sqlite_wal_normal",
        "postgres_sync_commit_on",
        "postgres_sync_commit_off",
    ] {
        if let Some(flow) = mean(store) {
            let secs = flow.as_secs_f64();
            println!(
                "  {store:<24} {:>9.1} µs/flow  {:>8.0} flows/s  signature share {:>5.1} %",
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
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = signature_baseline, issuance_flows
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_summary();
}
