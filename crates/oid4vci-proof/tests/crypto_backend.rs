//! The crypto backend seam (`oid4vci_proof::crypto`), held to published vectors and to the
//! RustCrypto crates (dev-dependencies) so that both backends behave identically. The
//! Wycheproof, RFC 7515/8037 and constructed proof vectors are in `vectors.rs`; they run against
//! whichever backend is active (`cargo test -p oid4vci-proof` for aws-lc-rs,
//! `--no-default-features --features rustcrypto` for RustCrypto).

mod common;

use common::*;
use curve25519_dalek::{EdwardsPoint, Scalar};
use oid4vci_proof::crypto::{self, SigningKey};
use oid4vci_proof::{Alg, PublicKey, SignatureError};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use sha2::Digest as _;

#[test]
fn backend_name_is_the_enabled_feature() {
    let expected = if cfg!(feature = "rustcrypto") {
        "rustcrypto"
    } else {
        "aws-lc-rs"
    };
    assert_eq!(crypto::BACKEND, expected);
}

#[test]
fn sha256_and_hmac_match_fips_180_and_rfc_4231() {
    let doc = load_json("digest_mac_vectors.json");
    for t in doc["sha256"].as_array().expect("array") {
        let digest = crypto::sha256(&hex(t["msg_hex"].as_str().expect("hex")));
        assert_eq!(digest.to_vec(), hex(t["digest_hex"].as_str().expect("hex")));
    }
    for t in doc["hmac_sha256"].as_array().expect("array") {
        let key = hex(t["key_hex"].as_str().expect("hex"));
        let msg = hex(t["msg_hex"].as_str().expect("hex"));
        let mac = hex(t["mac_hex"].as_str().expect("hex"));
        assert_eq!(crypto::hmac_sha256(&key, &msg).to_vec(), mac);
        assert!(crypto::hmac_sha256_verify(&key, &msg, &mac));
        assert!(crypto::hmac_sha256_verify(&key, &msg, &mac[..16]));
        assert!(!crypto::hmac_sha256_verify(&key, &msg, &mac[..15]));
        let mut wrong = mac.clone();
        wrong[31] ^= 1;
        assert!(!crypto::hmac_sha256_verify(&key, &msg, &wrong));
    }
}

#[test]
fn signing_keys_derive_the_rfc_public_keys() {
    let doc = load_json("rfc_jws_examples.json");
    let a3 = &doc["rfc7515_A3_ES256"];
    let private = a3["jwk_private"].as_object().expect("object");
    let es = SigningKey::from_jwk(private).expect("RFC 7515 A.3 private JWK");
    assert_eq!(
        es.public_key(),
        &PublicKey::from_jwk(a3["jwk_public"].as_object().expect("object")).expect("jwk")
    );
    let sig = es.sign(b"m").expect("sign");
    assert!(es.public_key().verify(Alg::Es256, b"m", &sig).is_ok());

    let ed = &doc["rfc8037_A_Ed25519"];
    let key = SigningKey::from_raw(Alg::EdDsa, &hex(ed["secret_hex_A1"].as_str().expect("hex")))
        .expect("seed");
    assert_eq!(
        key.public_key().to_bytes(),
        hex(ed["public_hex_A1"].as_str().expect("hex"))
    );
    // Ed25519 is deterministic: the RFC 8037 A.4 signature is reproduced byte for byte.
    let input = ed["signing_input_A4"].as_str().expect("string");
    assert_eq!(
        key.sign(input.as_bytes()).expect("sign"),
        hex(ed["signature_hex_A4"].as_str().expect("hex"))
    );
}

#[test]
fn pkcs8_is_interchangeable_with_rustcrypto() {
    // A key written by the p256 crate is read by the active backend, and vice versa.
    let theirs = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let der = theirs.to_pkcs8_der().expect("pkcs8");
    let ours = SigningKey::from_pkcs8(der.as_bytes()).expect("read p256 pkcs8");
    assert_eq!(
        ours.public_key().to_bytes(),
        theirs.verifying_key().to_encoded_point(false).as_bytes()
    );
    let back = p256::ecdsa::SigningKey::from_pkcs8_der(&ours.to_pkcs8().expect("pkcs8"))
        .expect("p256 reads ours");
    assert_eq!(back, theirs);
    assert_eq!(ours.to_raw().expect("raw"), theirs.to_bytes().to_vec());

    let theirs = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
    let der = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&theirs).expect("pkcs8");
    let ours = SigningKey::from_pkcs8(der.as_bytes()).expect("read dalek pkcs8");
    assert_eq!(
        ours.public_key().to_bytes(),
        theirs.verifying_key().as_bytes()
    );
    let back =
        <ed25519_dalek::SigningKey as ed25519_dalek::pkcs8::DecodePrivateKey>::from_pkcs8_der(
            &ours.to_pkcs8().expect("pkcs8"),
        )
        .expect("dalek reads ours");
    assert_eq!(back.to_bytes(), theirs.to_bytes());
}

#[test]
fn public_key_encodings_round_trip() {
    for alg in Alg::ALL {
        let key = SigningKey::generate(alg).expect("generate");
        let pk = key.public_key();
        assert_eq!(
            &PublicKey::from_spki_der(&pk.to_spki_der()).expect("spki"),
            pk
        );
        assert_eq!(&PublicKey::from_jwk(&pk.to_jwk()).expect("jwk"), pk);
        let did = oid4vci_proof::did_key::encode_did_key(pk);
        assert_eq!(
            &oid4vci_proof::did_key::resolve_builtin(&did, false).expect("did"),
            pk
        );
        match pk.to_sec1_compressed() {
            Some(c) => {
                assert_eq!(alg, Alg::Es256);
                assert_eq!(&PublicKey::p256_from_sec1(&c).expect("compressed"), pk);
                // The compressed form decodes to the same point as the p256 crate's.
                let theirs = p256::PublicKey::from_sec1_bytes(&c).expect("p256");
                let theirs =
                    p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&theirs, false);
                assert_eq!(pk.to_bytes(), theirs.as_bytes());
            }
            None => assert_eq!(alg, Alg::EdDsa),
        }
    }
}

/// An Ed25519 "signature" whose `R` is the identity point: it satisfies the cofactorless
/// equation `[s]B = R + [k]A` (so a lenient verifier accepts it), but `verify_strict` refuses a
/// small-order `R`; both backends must refuse it.
#[test]
fn ed25519_small_order_r_is_refused() {
    let mut seed = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut seed);
    let a = Scalar::from_bytes_mod_order(seed);
    let public = EdwardsPoint::mul_base(&a).compress();
    let r = EdwardsPoint::default().compress();
    let msg = b"small-order R";
    let mut h = sha2::Sha512::new();
    h.update(r.as_bytes());
    h.update(public.as_bytes());
    h.update(msg);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let s = k * a;
    // The equation holds:
    assert_eq!(
        EdwardsPoint::mul_base(&s),
        EdwardsPoint::default() + k * EdwardsPoint::mul_base(&a)
    );
    let sig = [r.as_bytes().as_slice(), s.as_bytes().as_slice()].concat();
    let key = PublicKey::ed25519_from_bytes(public.as_bytes()).expect("large-order key");
    assert_eq!(
        key.verify(Alg::EdDsa, msg, &sig),
        Err(SignatureError::Mismatch)
    );
    // ed25519-dalek agrees.
    let dalek = ed25519_dalek::VerifyingKey::from_bytes(public.as_bytes()).expect("key");
    let dalek_sig = ed25519_dalek::Signature::from_slice(&sig).expect("64 bytes");
    assert!(dalek.verify_strict(msg, &dalek_sig).is_err());
}

#[test]
fn every_small_order_encoding_is_refused_as_a_key() {
    // The 8 torsion points, each with the other sign bit too, and the non-canonical y + p
    // encodings of y = 0 and y = 1.
    let mut encodings: Vec<[u8; 32]> = Vec::new();
    for p in curve25519_dalek::constants::EIGHT_TORSION {
        let b = p.compress().to_bytes();
        let mut flipped = b;
        flipped[31] ^= 0x80;
        encodings.extend([b, flipped]);
    }
    for y in [0u8, 1] {
        // p = 2^255 - 19, little-endian: ed ff .. ff 7f; y + p for y < 19.
        let mut e = [0xffu8; 32];
        e[0] = 0xed + y;
        e[31] = 0x7f;
        let mut neg = e;
        neg[31] |= 0x80;
        encodings.extend([e, neg]);
    }
    for e in encodings {
        let dalek_refuses = ed25519_dalek::VerifyingKey::from_bytes(&e)
            .map(|k| k.is_weak())
            .unwrap_or(true);
        assert!(dalek_refuses, "{e:02x?}");
        assert!(PublicKey::ed25519_from_bytes(&e).is_err(), "{e:02x?}");
    }
}
