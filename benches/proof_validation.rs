//! Full validation of one ES256 and one EdDSA `jwt` proof next to bare `p256` / `ed25519-dalek`
//! verification of the same signature, and the overhead ratio of parsing and checks.
//!
//! Run: `cargo bench --bench proof_validation` (target: full / bare <= 1.10).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use oid4vci_proof::ed25519_dalek::{self, Signer as _};
use oid4vci_proof::jws::b64url_encode;
use oid4vci_proof::p256::ecdsa::{Signature, SigningKey};
use oid4vci_proof::{
    ClientIdentity, NonceCheck, ProofContext, ProofPolicy, ProofValidator, PublicKey,
};

const AUD: &str = "https://credential-issuer.example.com";
const NONCE: &str = "LarRGSbmUPYtRYO6BQ4yn8";
const NOW: u64 = 1_701_960_500;

struct Case {
    name: &'static str,
    jwt: String,
    signing_input: String,
    signature: Vec<u8>,
    key: PublicKey,
}

fn proof(alg: &str, jwk: PublicKey, sign: impl Fn(&[u8]) -> Vec<u8>, name: &'static str) -> Case {
    let header =
        serde_json::json!({"typ": "openid4vci-proof+jwt", "alg": alg, "jwk": jwk.to_jwk()});
    let claims = serde_json::json!({"aud": AUD, "iat": NOW - 30, "nonce": NONCE});
    let signing_input = format!(
        "{}.{}",
        b64url_encode(header.to_string().as_bytes()),
        b64url_encode(claims.to_string().as_bytes())
    );
    let signature = sign(signing_input.as_bytes());
    let jwt = format!("{signing_input}.{}", b64url_encode(&signature));
    Case {
        name,
        jwt,
        signing_input,
        signature,
        key: jwk,
    }
}

fn cases() -> Vec<Case> {
    let es = SigningKey::from_slice(&[0x11; 32]).expect("valid scalar");
    let ed = ed25519_dalek::SigningKey::from_bytes(&[0x22; 32]);
    vec![
        proof(
            "ES256",
            PublicKey::P256(*es.verifying_key()),
            |m| {
                let s: Signature = es.sign(m);
                s.to_bytes().to_vec()
            },
            "ES256",
        ),
        proof(
            "EdDSA",
            PublicKey::Ed25519(ed.verifying_key()),
            |m| ed.sign(m).to_bytes().to_vec(),
            "EdDSA",
        ),
    ]
}

fn ctx() -> ProofContext<'static> {
    ProofContext {
        audience: AUD,
        nonce: NonceCheck::Equals(NONCE),
        client: ClientIdentity::Anonymous,
        now: NOW,
    }
}

/// Bare library verification of the same signature with an already-decoded key.
fn bare(case: &Case) -> bool {
    match &case.key {
        PublicKey::P256(vk) => {
            use oid4vci_proof::p256::ecdsa::signature::Verifier as _;
            Signature::from_slice(&case.signature)
                .map(|s| vk.verify(case.signing_input.as_bytes(), &s).is_ok())
                .unwrap_or(false)
        }
        PublicKey::Ed25519(vk) => ed25519_dalek::Signature::from_slice(&case.signature)
            .map(|s| vk.verify_strict(case.signing_input.as_bytes(), &s).is_ok())
            .unwrap_or(false),
    }
}

/// Bare verification including decoding the public key from its raw bytes (what any verifier
/// that receives the key in the proof must do as well).
fn bare_with_key_decoding(case: &Case) -> bool {
    match &case.key {
        PublicKey::P256(vk) => {
            let point = vk.to_encoded_point(false);
            PublicKey::p256_from_sec1(point.as_bytes()).is_ok() && bare(case)
        }
        PublicKey::Ed25519(vk) => {
            use oid4vci_proof::ed25519_dalek::VerifyingKey;
            VerifyingKey::from_bytes(vk.as_bytes())
                .ok()
                .zip(ed25519_dalek::Signature::from_slice(&case.signature).ok())
                .is_some_and(|(k, s)| k.verify_strict(case.signing_input.as_bytes(), &s).is_ok())
        }
    }
}

fn bench(c: &mut Criterion) {
    let validator = ProofValidator::new(ProofPolicy::default());
    for case in cases() {
        assert!(validator.validate(&case.jwt, &ctx()).is_ok() && bare(&case));
        let mut g = c.benchmark_group(case.name);
        g.bench_function("full_validation", |b| {
            b.iter(|| validator.validate(black_box(&case.jwt), &ctx()).is_ok())
        });
        g.bench_function("bare_verify", |b| b.iter(|| bare(black_box(&case))));
        g.bench_function("bare_decode_key_and_verify", |b| {
            b.iter(|| bare_with_key_decoding(black_box(&case)))
        });
        g.finish();
    }
}

/// Mean time per call over `n` calls after a warm-up.
fn mean(n: u32, mut f: impl FnMut() -> bool) -> Duration {
    for _ in 0..n / 10 {
        black_box(f());
    }
    let start = Instant::now();
    for _ in 0..n {
        black_box(f());
    }
    start.elapsed() / n
}

fn overhead_report() {
    let validator = ProofValidator::new(ProofPolicy::default());
    println!("\nproof_validation overhead (full validation / bare signature verification, target <= 1.10):");
    for case in cases() {
        // Interleave to even out frequency drift.
        let (mut full, mut bare_t, mut decode_t) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        for _ in 0..5 {
            full += mean(400, || validator.validate(&case.jwt, &ctx()).is_ok());
            bare_t += mean(400, || bare(&case));
            decode_t += mean(400, || bare_with_key_decoding(&case));
        }
        let ratio = full.as_secs_f64() / bare_t.as_secs_f64();
        let ratio_decode = full.as_secs_f64() / decode_t.as_secs_f64();
        // Where the difference goes: JWS parsing and decoding the header JWK.
        let parse = mean(2000, || oid4vci_proof::jws::parse(&case.jwt).is_ok());
        let jwk = case.key.to_jwk();
        let key = mean(2000, || PublicKey::from_jwk(&jwk).is_ok());
        println!(
            "  {:<6} full {:>6.1} us | bare verify {:>6.1} us: ratio {:.3} ({:+.1}%) | bare decode key + verify {:>6.1} us: ratio {:.3} | jws parse {:.1} us, key from jwk {:.1} us",
            case.name,
            full.as_secs_f64() * 1e6 / 5.0,
            bare_t.as_secs_f64() * 1e6 / 5.0,
            ratio,
            (ratio - 1.0) * 100.0,
            decode_t.as_secs_f64() * 1e6 / 5.0,
            ratio_decode,
            parse.as_secs_f64() * 1e6,
            key.as_secs_f64() * 1e6,
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    overhead_report();
}
