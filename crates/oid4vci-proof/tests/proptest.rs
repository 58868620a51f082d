//! Property tests: arbitrary input never panics the parsers or the validator; any one-character
//! change to a valid proof is rejected.

mod common;

use common::*;
use oid4vci_proof::{fuzzing, is_valid_error_description, ProofPolicy, ProofValidator};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        fuzzing::jws(&data);
        fuzzing::jwk(&data);
        fuzzing::did_key(&data);
        fuzzing::x5c(&data);
        fuzzing::proof(&data);
    }

    #[test]
    fn jws_shaped_strings_never_panic(s in "[A-Za-z0-9_=+/-]{0,60}\\.[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,100}") {
        fuzzing::jws(s.as_bytes());
        fuzzing::proof(s.as_bytes());
    }

    #[test]
    fn arbitrary_json_headers_never_panic(header in any::<std::collections::BTreeMap<String, String>>(), alg in "(ES256|EdDSA|none|HS256)", kid in "(did:key:z[1-9A-HJ-NP-Za-km-z]{0,60}|did:jwk:[A-Za-z0-9_-]{0,60}|did:web:x)(#[a-z0-9]{0,4})?") {
        let mut h = serde_json::to_value(&header).unwrap();
        h["typ"] = "openid4vci-proof+jwt".into();
        h["alg"] = alg.into();
        h["kid"] = kid.into();
        let key = TestKey::p256();
        let jwt = sign_jwt(&h, &claims(), &key);
        if let Err(e) = ProofValidator::new(ProofPolicy::default()).validate(&jwt, &ctx()) {
            prop_assert!(is_valid_error_description(&e.diagnostic().error_description()));
        }
    }

    #[test]
    fn did_key_strings_never_panic(s in "did:key:z[1-9A-HJ-NP-Za-km-z]{0,120}(#.{0,20})?") {
        fuzzing::did_key(s.as_bytes());
    }

    #[test]
    fn one_character_changes_are_rejected(pos in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_.-]", ed in any::<bool>()) {
        let key = if ed { TestKey::ed25519() } else { TestKey::p256() };
        let jwt = proof(&key);
        let validator = ProofValidator::new(ProofPolicy::default());
        prop_assert!(validator.validate(&jwt, &ctx()).is_ok());
        let i = pos.index(jwt.len());
        let mut mutated = jwt.clone().into_bytes();
        mutated[i] = replacement.as_bytes()[0];
        let mutated = String::from_utf8(mutated).unwrap();
        if mutated != jwt {
            prop_assert!(validator.validate(&mutated, &ctx()).is_err(), "accepted mutation at {}", i);
        }
    }
}
