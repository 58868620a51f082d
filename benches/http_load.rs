//! HTTP load test of a complete issuer on loopback: concurrent wallets run whole flows
//! (admin offer → token → nonce → credential with one ES256 proof and SD-JWT minting) against
//! the axum routers, and the run reports flows per second and p50/p99 latency per endpoint.
//!
//! Bounded in count and time, loopback only, not part of `cargo test`:
//! `cargo bench --bench http_load` (env: `LOAD_FLOWS` default 2000 per store, `LOAD_WALLETS` 8,
//! `LOAD_CREDENTIALS` default 16000 per store, `LOAD_CONNECTIONS` 32).
//!
//! A credential-endpoint-only scenario follows (MemoryStore, SqliteStore NORMAL): access tokens
//! and nonces are prepared beforehand (and the proofs signed), then `LOAD_CONNECTIONS` concurrent
//! connections send `POST /credential` — every check on: bearer token lookup, proof signature,
//! nonce consumed in the store, SD-JWT VC minted, session stored — reporting requests/s and
//! p50/p99.
//! Stores: MemoryStore, SqliteStore (file, WAL, synchronous=NORMAL) and (FULL), PostgresStore on
//! a throw-away loopback PostgreSQL (fsync on) with `synchronous_commit` on and off, and two
//! issuer instances on one PostgreSQL database and one server key, each wallet's requests spread
//! over both (the Postgres rows are skipped, with a message, where no PostgreSQL can be had).

/// The `oid4vci` binary's allocator, unless the `bench-system-allocator` feature asks for the
/// system's.
#[cfg(not(feature = "bench-system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use oid4vci::issuer::{HttpFacts, Issuer, IssuerConfig, MemoryStore, OfferSpec, SessionStore};
use oid4vci::sd_jwt::SdJwtVcMinter;
use oid4vci::store_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use oid4vci::types::{
    CredentialConfiguration, CredentialIssuerMetadata, TokenRequest, PRE_AUTHORIZED_CODE_GRANT_TYPE,
};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_store_postgres::test_server::TestServer;
use oid4vci_store_postgres::{PostgresOptions, PostgresStore};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CONFIG: &str = "eu.europa.ec.av.1";
const TIME_CAP: Duration = Duration::from_secs(60);

type Latencies = Arc<Mutex<BTreeMap<&'static str, Vec<Duration>>>>;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn serve<S: SessionStore>(store: S) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    serve_on(listener, store, &base, None);
    base
}

/// Serves an issuer with identifier `issuer_url` (and, for a group of instances acting as one,
/// a shared server key) on `listener`.
fn serve_on<S: SessionStore>(
    listener: tokio::net::TcpListener,
    store: S,
    issuer_url: &str,
    server_key: Option<[u8; 32]>,
) {
    let mut metadata = CredentialIssuerMetadata::new(issuer_url.to_owned());
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let mut issuer = Issuer::new(
        IssuerConfig::new(metadata),
        store,
        SdJwtVcMinter::generate(),
    );
    if let Some(key) = server_key {
        issuer = issuer.with_server_key(key);
    }
    let issuer = Arc::new(issuer);
    let app =
        oid4vci::axum::router(issuer.clone(), None).merge(oid4vci::axum::admin_router(issuer));
    tokio::spawn(async move { axum::serve(listener, app).await });
}

async fn serve_issuer<S: SessionStore>(store: S) -> (String, Arc<Issuer<S, SdJwtVcMinter>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let mut metadata = CredentialIssuerMetadata::new(base.clone());
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let issuer = Arc::new(Issuer::new(
        IssuerConfig::new(metadata),
        store,
        SdJwtVcMinter::generate(),
    ));
    let app = oid4vci::axum::router(issuer.clone(), None)
        .merge(oid4vci::axum::admin_router(issuer.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, issuer)
}

/// One prepared credential request: a live access token and a request body with a fresh proof.
async fn prepare_credential_request<S: SessionStore>(
    issuer: &Issuer<S, SdJwtVcMinter>,
    base: &str,
    wallet: &TestWallet,
) -> (String, Value) {
    let created = issuer
        .create_offer(OfferSpec {
            credential_configuration_ids: vec![CONFIG.into()],
            pre_authorized: true,
            claims: Some(json!({"age_over_18": true})),
            ..OfferSpec::default()
        })
        .await
        .expect("offer");
    let code = created.pre_authorized_code().cloned().expect("code");
    let token = issuer
        .token(
            TokenRequest::pre_authorized(code, None),
            HttpFacts::default(),
        )
        .await
        .expect("token");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let proof = wallet.proof(base, Some(&issuer.nonce().c_nonce), now);
    (
        token.access_token.expose().to_owned(),
        json!({"credential_configuration_id": CONFIG, "proofs": {"jwt": [proof]}}),
    )
}

/// The credential endpoint alone under `connections` concurrent connections.
async fn credential_only<S: SessionStore>(
    label: &str,
    store: S,
    requests: usize,
    connections: usize,
) {
    let (base, issuer) = serve_issuer(store).await;
    let prepared: Vec<(String, Value)> = {
        let tasks: Vec<_> = (0..connections)
            .map(|i| {
                let (issuer, base) = (issuer.clone(), base.clone());
                let n = requests / connections + usize::from(i < requests % connections);
                tokio::spawn(async move {
                    let wallet = TestWallet::new();
                    let mut out = Vec::with_capacity(n);
                    for _ in 0..n {
                        out.push(prepare_credential_request(&issuer, &base, &wallet).await);
                    }
                    out
                })
            })
            .collect();
        let mut all = Vec::with_capacity(requests);
        for t in tasks {
            all.extend(t.await.expect("prepare"));
        }
        all
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
        .expect("client");
    let prepared = Arc::new(prepared);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (http, base, prepared, next) =
                (http.clone(), base.clone(), prepared.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while start.elapsed() < TIME_CAP {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((token, body)) = prepared.get(i) else {
                        break;
                    };
                    let sent = Instant::now();
                    let response = http
                        .post(format!("{base}/credential"))
                        .bearer_auth(token)
                        .json(body)
                        .send()
                        .await
                        .expect("request");
                    let status = response.status();
                    let reply: Value = response.json().await.unwrap_or(Value::Null);
                    latencies.push(sent.elapsed());
                    assert!(
                        status.is_success() && reply["credentials"][0]["credential"].is_string(),
                        "credential: {status} {reply}"
                    );
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    let elapsed = start.elapsed();
    all.sort();
    println!(
        "{label} credential endpoint only: {} requests in {:.2} s = {:.0} requests/s ({connections} connections), p50 {:.2} ms, p99 {:.2} ms",
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64(),
        percentile(&all, 0.50).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
    );
}

async fn timed(lat: &Latencies, name: &'static str, request: reqwest::RequestBuilder) -> Value {
    let start = Instant::now();
    let response = request.send().await.expect("request");
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let elapsed = start.elapsed();
    assert!(status.is_success(), "{name}: {status} {body}");
    if let Ok(mut l) = lat.lock() {
        l.entry(name).or_default().push(elapsed);
    }
    body
}

/// Where requests go: one base URL, or several instances of one issuer (step `k` of a flow goes to
/// `bases[(k + salt) % len]`, so every flow crosses instances).
struct Target {
    bases: Vec<String>,
    issuer: String,
}

impl Target {
    fn single(base: String) -> Self {
        Target {
            issuer: base.clone(),
            bases: vec![base],
        }
    }

    fn at(&self, step: usize, salt: usize) -> &str {
        let n = self.bases.len().max(1);
        self.bases
            .get((step + salt) % n)
            .map_or(self.issuer.as_str(), String::as_str)
    }
}

async fn flow(
    http: &reqwest::Client,
    target: &Target,
    salt: usize,
    wallet: &TestWallet,
    lat: &Latencies,
) {
    let offer = json!({"credential_configuration_ids": [CONFIG], "claims": {"age_over_18": true}});
    let created = timed(
        lat,
        "POST /admin/offers",
        http.post(format!("{}/admin/offers", target.at(0, salt)))
            .json(&offer),
    )
    .await;
    let code = created["credential_offer"]["grants"][PRE_AUTHORIZED_CODE_GRANT_TYPE]
        ["pre-authorized_code"]
        .as_str()
        .expect("code")
        .to_owned();
    let form = [
        ("grant_type", PRE_AUTHORIZED_CODE_GRANT_TYPE),
        ("pre-authorized_code", code.as_str()),
    ];
    let token = timed(
        lat,
        "POST /token",
        http.post(format!("{}/token", target.at(1, salt)))
            .form(&form),
    )
    .await;
    let access = token["access_token"].as_str().expect("token").to_owned();
    let nonce = timed(
        lat,
        "POST /nonce",
        http.post(format!("{}/nonce", target.at(2, salt))),
    )
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let proof = wallet.proof(&target.issuer, nonce["c_nonce"].as_str(), now);
    let request = json!({"credential_configuration_id": CONFIG, "proofs": {"jwt": [proof]}});
    let issued = timed(
        lat,
        "POST /credential",
        http.post(format!("{}/credential", target.at(3, salt)))
            .bearer_auth(&access)
            .json(&request),
    )
    .await;
    assert!(issued["credentials"][0]["credential"].is_string());
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(idx).copied().unwrap_or_default()
}

async fn run<S: SessionStore>(label: &str, store: S, flows: usize, wallets: usize) {
    let target = Target::single(serve(store).await);
    run_on(label, target, flows, wallets).await;
}

async fn run_on(label: &str, target: Target, flows: usize, wallets: usize) {
    let target = Arc::new(target);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(wallets)
        .build()
        .expect("client");
    let lat: Latencies = Arc::default();
    let remaining = Arc::new(std::sync::atomic::AtomicUsize::new(flows));
    let start = Instant::now();
    let tasks: Vec<_> = (0..wallets)
        .map(|w| {
            let (http, target, lat, remaining) =
                (http.clone(), target.clone(), lat.clone(), remaining.clone());
            tokio::spawn(async move {
                let wallet = TestWallet::new();
                let mut done = 0usize;
                while start.elapsed() < TIME_CAP
                    && remaining
                        .fetch_update(
                            std::sync::atomic::Ordering::SeqCst,
                            std::sync::atomic::Ordering::SeqCst,
                            |n| n.checked_sub(1),
                        )
                        .is_ok()
                {
                    flow(&http, &target, w + done, &wallet, &lat).await;
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut completed = 0;
    for t in tasks {
        completed += t.await.unwrap_or(0);
    }
    let elapsed = start.elapsed();
    println!(
        "{label}: {completed} flows in {:.2} s = {:.0} flows/s ({wallets} concurrent wallets)",
        elapsed.as_secs_f64(),
        completed as f64 / elapsed.as_secs_f64()
    );
    let mut guard = lat.lock().unwrap_or_else(|e| e.into_inner());
    {
        for (endpoint, samples) in guard.iter_mut() {
            samples.sort();
            println!(
                "  {endpoint:<20} p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests)",
                percentile(samples, 0.50).as_secs_f64() * 1e3,
                percentile(samples, 0.99).as_secs_f64() * 1e3,
                samples.len()
            );
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run a tiny smoke test then.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let flows = if smoke {
        4
    } else {
        env_usize("LOAD_FLOWS", 2000)
    };
    let wallets = if smoke {
        2
    } else {
        env_usize("LOAD_WALLETS", 8)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("oid4vci-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        run("MemoryStore", MemoryStore::new(), flows, wallets).await;
        let normal = SqliteOptions::default().synchronous(Synchronous::Normal);
        run(
            "SqliteStore WAL NORMAL",
            SqliteStore::open_with(dir.join("normal.db"), normal.clone()).expect("db"),
            flows,
            wallets,
        )
        .await;
        run(
            "SqliteStore WAL FULL",
            SqliteStore::open(dir.join("full.db")).expect("db"),
            flows / 4,
            wallets,
        )
        .await;
        let credentials = if smoke {
            8
        } else {
            env_usize("LOAD_CREDENTIALS", 16000)
        };
        let connections = if smoke {
            2
        } else {
            env_usize("LOAD_CONNECTIONS", 32)
        };
        credential_only("MemoryStore", MemoryStore::new(), credentials, connections).await;
        credential_only(
            "SqliteStore WAL NORMAL",
            SqliteStore::open_with(dir.join("credential-normal.db"), normal).expect("db"),
            credentials,
            connections,
        )
        .await;
        let _ = std::fs::remove_dir_all(&dir);
        postgres_rows(flows, wallets).await;
    });
}

async fn postgres_rows(flows: usize, wallets: usize) {
    // A durable server (fsync on), unlike the test suites' fast one.
    let server = match TestServer::start(&[]) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("http_load PostgresStore rows: skipped: {e}");
            return;
        }
    };
    let connect = |on: bool| {
        let url = server.create_database().expect("create database");
        let options = PostgresOptions::default().synchronous_commit(Some(on));
        async move {
            PostgresStore::connect_with(&url, options)
                .await
                .expect("connect")
        }
    };
    for (label, on) in [
        ("PostgresStore synchronous_commit=on", true),
        ("PostgresStore synchronous_commit=off", false),
    ] {
        run(label, connect(on).await, flows, wallets).await;
    }
    // Two instances, one database, one server key: every flow crosses instances.
    let url = server.create_database().expect("create database");
    let mut bases = Vec::new();
    let mut listeners = Vec::new();
    for _ in 0..2 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        bases.push(format!("http://{}", listener.local_addr().expect("addr")));
        listeners.push(listener);
    }
    let issuer = "https://issuer.example.com".to_owned();
    let key = [42u8; 32];
    for listener in listeners {
        let store = PostgresStore::connect(&url).await.expect("connect");
        serve_on(listener, store, &issuer, Some(key));
    }
    let target = Target { bases, issuer };
    run_on(
        "2 instances, PostgresStore synchronous_commit=on",
        target,
        flows,
        wallets,
    )
    .await;
}
