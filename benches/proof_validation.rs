//! Full validation of one ES256 and one EdDSA `jwt` proof (key from the `jwk` header) next to bare
//! verification of the same signature by each library, and a peer (`jsonwebtoken` on aws-lc-rs)
//! decoding and verifying an ES256 token from a JWK — all in the same run.
//!
//! Measured, per algorithm:
//! - `full_validation`: `ProofValidator::validate` on the active backend (`crypto::BACKEND`).
//! - `aws_lc_verify`: aws-lc-rs with the key already parsed (`ParsedPublicKey::verify_sig`).
//! - `aws_lc_decode_and_verify`: aws-lc-rs parsing the raw key, then verifying.
//! - `p256_verify` / `dalek_verify_strict`: RustCrypto with the key already decoded.
//! - `p256_decode_and_verify` / `dalek_decode_and_verify_strict`: the same, decoding the key.
//! - `jsonwebtoken_from_jwk` (ES256): `DecodingKey::from_jwk` + `decode` with `aud` checked.
//! - `josekit_from_jwk` (ES256, EdDSA): `josekit` 0.10 (OpenSSL) `verifier_from_jwk` +
//!   `jwt::decode_with_verifier` + an `aud` check.
//!
//! Run: `cargo bench --bench proof_validation` (aws-lc-rs backend) and
//! `cargo bench --bench proof_validation --no-default-features --features rustcrypto`.
//! After criterion's report, a summary prints interleaved means and the target ratios.

/// The `oid4vci` binary's allocator, unless the `bench-system-allocator` feature asks for the
/// system's.
#[cfg(not(feature = "bench-system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ParsedPublicKey, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ED25519};
use criterion::{criterion_group, Criterion};
use oid4vci_proof::crypto::{SigningKey, BACKEND};
use oid4vci_proof::jws::b64url_encode;
use oid4vci_proof::{Alg, ClientIdentity, NonceCheck, ProofContext, ProofPolicy, ProofValidator};
use p256::ecdsa::signature::Verifier as _;

const AUD: &str = "https://credential-issuer.example.com";
const NONCE: &str = "LarRGSbmUPYtRYO6BQ4yn8";
const NOW: u64 = 1_701_960_500;

struct Case {
    alg: Alg,
    jwt: String,
    signing_input: String,
    signature: Vec<u8>,
    /// SEC1 uncompressed (P-256) or the 32-byte Ed25519 key.
    public: Vec<u8>,
    jwk: serde_json::Value,
}

fn case(alg: Alg, seed: u8) -> Case {
    let key = SigningKey::from_raw(alg, &[seed; 32]).expect("valid private key");
    let jwk = serde_json::Value::Object(key.public_jwk());
    let header =
        serde_json::json!({"typ": "openid4vci-proof+jwt", "alg": alg.as_str(), "jwk": jwk});
    let claims = serde_json::json!({"aud": AUD, "iat": NOW - 30, "nonce": NONCE});
    let signing_input = format!(
        "{}.{}",
        b64url_encode(header.to_string().as_bytes()),
        b64url_encode(claims.to_string().as_bytes())
    );
    let signature = key.sign(signing_input.as_bytes()).expect("sign");
    Case {
        alg,
        jwt: format!("{signing_input}.{}", b64url_encode(&signature)),
        signing_input,
        signature,
        public: key.public_key().to_bytes(),
        jwk,
    }
}

fn ctx() -> ProofContext<'static> {
    ProofContext {
        audience: AUD,
        nonce: NonceCheck::Equals(NONCE),
        client: ClientIdentity::Anonymous,
        now: NOW,
    }
}

/// One measured function: name and a closure returning whether it accepted.
type Measured<'a> = (&'static str, Box<dyn Fn() -> bool + 'a>);

fn measured<'a>(c: &'a Case, validator: &'a ProofValidator) -> Vec<Measured<'a>> {
    let input = c.signing_input.as_bytes();
    let sig = c.signature.as_slice();
    let mut out: Vec<Measured<'a>> = vec![(
        "full_validation",
        Box::new(move || validator.validate(black_box(&c.jwt), &ctx()).is_ok()),
    )];
    out.push((
        "josekit_from_jwk",
        Box::new(move || josekit_from_jwk(black_box(&c.jwt), &c.jwk, c.alg)),
    ));
    match c.alg {
        Alg::Es256 => {
            let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &c.public).expect("key");
            let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&c.public).expect("key");
            let p256_sig = p256::ecdsa::Signature::from_slice(sig).expect("sig");
            out.push((
                "aws_lc_verify",
                Box::new(move || parsed.verify_sig(black_box(input), sig).is_ok()),
            ));
            out.push((
                "aws_lc_decode_and_verify",
                Box::new(move || {
                    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, black_box(&c.public))
                        .verify(black_box(input), sig)
                        .is_ok()
                }),
            ));
            out.push((
                "p256_verify",
                Box::new(move || vk.verify(black_box(input), &p256_sig).is_ok()),
            ));
            out.push((
                "p256_decode_and_verify",
                Box::new(move || {
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(black_box(&c.public))
                        .ok()
                        .zip(p256::ecdsa::Signature::from_slice(sig).ok())
                        .is_some_and(|(k, s)| k.verify(black_box(input), &s).is_ok())
                }),
            ));
            let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(c.jwk.clone()).expect("jwk");
            let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
            validation.set_audience(&[AUD]);
            validation.required_spec_claims.clear();
            validation.validate_exp = false;
            out.push((
                "jsonwebtoken_from_jwk",
                Box::new(move || {
                    jsonwebtoken::DecodingKey::from_jwk(black_box(&jwk))
                        .ok()
                        .is_some_and(|key| {
                            jsonwebtoken::decode::<serde_json::Value>(
                                black_box(&c.jwt),
                                &key,
                                &validation,
                            )
                            .is_ok()
                        })
                }),
            ));
        }
        Alg::EdDsa => {
            let parsed = ParsedPublicKey::new(&ED25519, &c.public).expect("key");
            let bytes: [u8; 32] = c.public.as_slice().try_into().expect("32 bytes");
            let vk = ed25519_dalek::VerifyingKey::from_bytes(&bytes).expect("key");
            let dalek_sig = ed25519_dalek::Signature::from_slice(sig).expect("sig");
            out.push((
                "aws_lc_verify",
                Box::new(move || parsed.verify_sig(black_box(input), sig).is_ok()),
            ));
            out.push((
                "aws_lc_decode_and_verify",
                Box::new(move || {
                    UnparsedPublicKey::new(&ED25519, black_box(&c.public))
                        .verify(black_box(input), sig)
                        .is_ok()
                }),
            ));
            out.push((
                "dalek_verify_strict",
                Box::new(move || vk.verify_strict(black_box(input), &dalek_sig).is_ok()),
            ));
            out.push((
                "dalek_decode_and_verify_strict",
                Box::new(move || {
                    ed25519_dalek::VerifyingKey::from_bytes(black_box(&bytes))
                        .ok()
                        .zip(ed25519_dalek::Signature::from_slice(sig).ok())
                        .is_some_and(|(k, s)| k.verify_strict(black_box(input), &s).is_ok())
                }),
            ));
        }
    }
    out
}

/// josekit (OpenSSL): the key from the JWK, then decode + verify + `aud`.
fn josekit_from_jwk(jwt: &str, jwk: &serde_json::Value, alg: Alg) -> bool {
    let Some(map) = jwk.as_object().cloned() else {
        return false;
    };
    let Ok(jwk) = josekit::jwk::Jwk::from_map(map) else {
        return false;
    };
    let verifier: Box<dyn josekit::jws::JwsVerifier> = match alg {
        Alg::Es256 => match josekit::jws::ES256.verifier_from_jwk(&jwk) {
            Ok(v) => Box::new(v),
            Err(_) => return false,
        },
        Alg::EdDsa => match josekit::jws::EdDSA.verifier_from_jwk(&jwk) {
            Ok(v) => Box::new(v),
            Err(_) => return false,
        },
    };
    match josekit::jwt::decode_with_verifier(jwt, verifier.as_ref()) {
        Ok((payload, _header)) => {
            let mut validator = josekit::jwt::JwtPayloadValidator::new();
            validator.set_audience(AUD);
            validator.validate(&payload).is_ok()
        }
        Err(_) => false,
    }
}

fn bench(c: &mut Criterion) {
    let validator = ProofValidator::new(ProofPolicy::default());
    for case in [case(Alg::Es256, 0x11), case(Alg::EdDsa, 0x22)] {
        let fns = measured(&case, &validator);
        let mut g = c.benchmark_group(format!("{}_{BACKEND}", case.alg));
        for (name, f) in &fns {
            assert!(f(), "{} {name} must accept the proof", case.alg);
            g.bench_function(*name, |b| b.iter(f));
        }
        g.finish();
    }
}

/// Mean time per call over `n` calls after a short warm-up.
fn mean(n: u32, f: &dyn Fn() -> bool) -> Duration {
    for _ in 0..n / 10 {
        black_box(f());
    }
    let start = Instant::now();
    for _ in 0..n {
        black_box(f());
    }
    start.elapsed() / n
}

fn ratio_line(label: &str, num: f64, den: f64, target: &str, met: bool) {
    println!(
        "  {label:<58} {:.3}  target {target:<8} {}",
        num / den,
        if met { "met" } else { "NOT met" }
    );
}

fn summary() {
    let validator = ProofValidator::new(ProofPolicy::default());
    println!(
        "\nproof_validation summary, backend {BACKEND} (interleaved means, 8 rounds x 300 calls):"
    );
    for case in [case(Alg::Es256, 0x11), case(Alg::EdDsa, 0x22)] {
        let fns = measured(&case, &validator);
        let mut totals = vec![Duration::ZERO; fns.len()];
        for _ in 0..8 {
            for (t, (_, f)) in totals.iter_mut().zip(&fns) {
                *t += mean(300, f.as_ref());
            }
        }
        let us = |name: &str| {
            fns.iter()
                .position(|(n, _)| *n == name)
                .map(|i| totals[i].as_secs_f64() * 1e6 / 8.0)
                .unwrap_or(f64::NAN)
        };
        for (name, _) in &fns {
            println!("  {:<6} {name:<32} {:>8.1} us", case.alg, us(name));
        }
        // Where full validation spends beyond the signature: JWS parsing and the JWK.
        let parse = mean(2000, &|| oid4vci_proof::jws::parse(&case.jwt).is_ok());
        let jwk = case.jwk.as_object().cloned().unwrap_or_default();
        let key = mean(2000, &|| oid4vci_proof::PublicKey::from_jwk(&jwk).is_ok());
        println!(
            "  {:<6} parts: jws parse {:.1} us, key from jwk {:.1} us",
            case.alg,
            parse.as_secs_f64() * 1e6,
            key.as_secs_f64() * 1e6
        );
        let full = us("full_validation");
        match case.alg {
            Alg::Es256 if BACKEND == "aws-lc-rs" => {
                let bare = us("aws_lc_verify");
                ratio_line(
                    "ES256 full / bare aws-lc-rs verify",
                    full,
                    bare,
                    "<= 1.05",
                    full <= 1.05 * bare,
                );
                ratio_line(
                    "ES256 full / aws-lc-rs decode key + verify",
                    full,
                    us("aws_lc_decode_and_verify"),
                    "(info)",
                    true,
                );
                let peer = us("jsonwebtoken_from_jwk");
                ratio_line(
                    "ES256 full / jsonwebtoken from jwk",
                    full,
                    peer,
                    "< 1",
                    full < peer,
                );
            }
            Alg::Es256 => {
                let bare = us("p256_verify");
                ratio_line(
                    "ES256 full / bare p256 verify",
                    full,
                    bare,
                    "<= 1.02",
                    full <= 1.02 * bare,
                );
                ratio_line(
                    "ES256 full / p256 decode key + verify",
                    full,
                    us("p256_decode_and_verify"),
                    "(info)",
                    true,
                );
                ratio_line(
                    "ES256 full / jsonwebtoken (aws-lc) from jwk",
                    full,
                    us("jsonwebtoken_from_jwk"),
                    "(info)",
                    true,
                );
            }
            Alg::EdDsa if BACKEND == "aws-lc-rs" => {
                let base = us("aws_lc_decode_and_verify");
                ratio_line(
                    "EdDSA full / aws-lc-rs decode key + verify",
                    full,
                    base,
                    "<= 1.05",
                    full <= 1.05 * base,
                );
                ratio_line(
                    "EdDSA full / bare aws-lc-rs verify",
                    full,
                    us("aws_lc_verify"),
                    "(info)",
                    true,
                );
                ratio_line(
                    "EdDSA full / dalek decode key + verify_strict",
                    full,
                    us("dalek_decode_and_verify_strict"),
                    "(info)",
                    true,
                );
            }
            Alg::EdDsa => {
                let base = us("dalek_decode_and_verify_strict");
                ratio_line(
                    "EdDSA full / dalek decode key + verify_strict",
                    full,
                    base,
                    "<= 1.05",
                    full <= 1.05 * base,
                );
                ratio_line(
                    "EdDSA full / bare dalek verify_strict",
                    full,
                    us("dalek_verify_strict"),
                    "(info)",
                    true,
                );
            }
        }
        ratio_line(
            &format!("{} full / josekit (OpenSSL) from jwk", case.alg),
            full,
            us("josekit_from_jwk"),
            "(info)",
            true,
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500));
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
