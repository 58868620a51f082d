//! Issuer signing inside a PKCS#11 token (SoftHSM2) beside in-process keys, in one run.
//!
//! - `issuer_signing/in_process` and `issuer_signing/softhsm`: one ES256 signature of an SD-JWT
//!   signing input through the issuer's signing port (`IssuerSigner::sign`): the crypto backend's
//!   key, or `oid4vci_pkcs11::Pkcs11Signer` (C_Sign in a pooled session on a blocking thread).
//! - After criterion, credential-endpoint throughput (not a criterion benchmark): access tokens,
//!   nonces and proofs are prepared beforehand, then `HSM_CONCURRENCY` (default 16) tasks on a
//!   multi-threaded runtime call `Issuer::credential` (bearer lookup, proof check, nonce spent,
//!   SD-JWT VC minted and signed, session stored; `MemoryStore`) until `HSM_REQUESTS` (default
//!   2000) are served, for: the in-process key, and SoftHSM with session pools of 1, 2 and 4.
//!   Requests/s and the ratio to the in-process key in the same run are printed.
//!
//! SoftHSM2 is installed and a token initialised by `oid4vci_pkcs11::test_token` (the Debian
//! package; needs root where it is missing). Run: `cargo bench --bench hsm_signing`.

#[cfg(not(feature = "bench-system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, Criterion, Throughput};
use oid4vci::issuer::{
    HttpFacts, Issuer, IssuerConfig, IssuerKey, IssuerKeys, IssuerSigner, KeyRing, ManualClock,
    MemoryStore, OfferSpec,
};
use oid4vci::sd_jwt::SdJwtVcMinter;
use oid4vci::types::TokenRequest;
use oid4vci::types::{CredentialConfiguration, CredentialIssuerMetadata, CredentialRequest};
use oid4vci_issuer_testkit::TestWallet;
use oid4vci_pkcs11::{generate_p256_key, test_token, Pkcs11Signer};
use oid4vci_proof::{Alg, SigningKey};
use serde_json::json;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

const ISSUER: &str = "https://issuer.example.com";
const CONFIG: &str = "pid";
const T0: u64 = 1_780_000_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The shared SoftHSM token (made once; `None` where SoftHSM cannot be had).
fn token() -> Option<&'static test_token::TestToken> {
    static TOKEN: OnceLock<Option<&'static test_token::TestToken>> = OnceLock::new();
    *TOKEN.get_or_init(|| test_token::shared_or_skip("hsm_signing bench").expect("SoftHSM"))
}

fn hsm_signer(label: &str, sessions: usize) -> Option<Pkcs11Signer> {
    let token = token()?;
    let mut config = token.config(label);
    config.sessions = sessions;
    match generate_p256_key(&config, &token.pin()) {
        Ok(_) | Err(oid4vci_pkcs11::Pkcs11Error::KeyExists(_)) => {}
        Err(e) => panic!("key generation: {e}"),
    }
    Some(Pkcs11Signer::open(&config, &token.pin()).expect("open"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn signing(c: &mut Criterion) {
    let rt = runtime();
    let message = vec![0x42u8; 600]; // about an SD-JWT VC's signing input
    let local = SigningKey::generate(Alg::Es256).expect("key");
    let mut group = c.benchmark_group("issuer_signing");
    group.throughput(Throughput::Elements(1));
    group.bench_function("in_process", |b| {
        b.iter(|| rt.block_on(IssuerSigner::sign(&local, black_box(&message))))
    });
    if let Some(hsm) = hsm_signer("bench-sign", 4) {
        group.bench_function("softhsm", |b| {
            b.iter(|| rt.block_on(IssuerSigner::sign(&hsm, black_box(&message))))
        });
    }
    group.finish();
}

fn issuer(signer: Arc<dyn IssuerSigner>) -> Arc<Issuer<MemoryStore, SdJwtVcMinter>> {
    let mut metadata = CredentialIssuerMetadata::new(ISSUER);
    metadata
        .credential_configurations_supported
        .insert(CONFIG.into(), CredentialConfiguration::sd_jwt_vc(CONFIG));
    let keys = IssuerKeys::new(KeyRing::single(IssuerKey::new(signer, "k")));
    let minter = SdJwtVcMinter::from_keys(keys);
    let issuer = Issuer::new(IssuerConfig::new(metadata), MemoryStore::new(), minter)
        .with_clock(Arc::new(ManualClock::new(T0)));
    Arc::new(issuer)
}

/// Credential requests served per second by `concurrency` tasks, `requests` in all.
fn throughput(signer: Arc<dyn IssuerSigner>, requests: usize, concurrency: usize) -> f64 {
    let rt = runtime();
    let issuer = issuer(signer);
    let wallet = TestWallet::new();
    let mut jobs = Vec::with_capacity(requests);
    for _ in 0..requests {
        let spec = OfferSpec {
            credential_configuration_ids: vec![CONFIG.into()],
            claims: Some(json!({"given_name": "Erika"})),
            ..OfferSpec::default()
        };
        let created = rt.block_on(issuer.create_offer(spec)).expect("offer");
        let code = (created.credential_offer.pre_authorized_code_grant())
            .map(|g| g.pre_authorized_code.clone())
            .expect("code");
        let token = rt
            .block_on(issuer.token(
                TokenRequest::pre_authorized(code, None),
                HttpFacts::default(),
            ))
            .expect("token");
        let nonce = issuer.nonce().c_nonce;
        let proof = wallet.proof(ISSUER, Some(&nonce), T0);
        jobs.push((token.access_token.expose().to_owned(), proof));
    }
    let jobs = Arc::new(Mutex::new(jobs));
    let served = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let (issuer, jobs, served) = (issuer.clone(), jobs.clone(), served.clone());
                tokio::spawn(async move {
                    loop {
                        let job = jobs.lock().ok().and_then(|mut j| j.pop());
                        let Some((token, proof)) = job else { break };
                        let request = CredentialRequest::for_configuration(CONFIG, vec![proof]);
                        let reply = issuer.credential(request, HttpFacts::bearer(&token)).await;
                        assert!(reply.is_ok(), "credential: {:?}", reply.err());
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
    });
    served.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn summary() {
    let requests = env_usize("HSM_REQUESTS", 2000);
    let concurrency = env_usize("HSM_CONCURRENCY", 16);
    let local: Arc<dyn IssuerSigner> = Arc::new(SigningKey::generate(Alg::Es256).expect("key"));
    let baseline = throughput(local, requests, concurrency);
    println!("\ncredential endpoint, {requests} requests, {concurrency} at once (MemoryStore):");
    println!("  {:<22} {:>9.0} req/s  1.00x", "in-process key", baseline);
    for sessions in [1, 2, 4] {
        let Some(hsm) = hsm_signer(&format!("bench-pool-{sessions}"), sessions) else {
            return;
        };
        let rate = throughput(Arc::new(hsm), requests, concurrency);
        let label = format!("SoftHSM, {sessions} session(s)");
        println!("  {label:<22} {rate:>9.0} req/s  {:.2}x", rate / baseline);
    }
}

criterion_group!(benches, signing);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
