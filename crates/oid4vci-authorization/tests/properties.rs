//! Property tests: nothing off the wire panics, and PKCE round-trips for every valid verifier.

use oid4vci_authorization::{request_uri, AuthorizationRequest, CodeChallenge, RedirectRules};
use proptest::prelude::*;

proptest! {
    #[test]
    fn arbitrary_par_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = AuthorizationRequest::from_form(&body, &RedirectRules::default());
    }

    #[test]
    fn form_shaped_par_bodies_never_panic(
        pairs in proptest::collection::vec(
            (prop_oneof![
                Just("response_type"), Just("client_id"), Just("redirect_uri"), Just("scope"),
                Just("state"), Just("code_challenge"), Just("code_challenge_method"),
                Just("authorization_details"), Just("issuer_state"), Just("dpop_jkt"),
            ], ".{0,80}"),
            0..12,
        )
    ) {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &pairs {
            form.append_pair(k, v);
        }
        let _ = AuthorizationRequest::from_form(form.finish().as_bytes(), &RedirectRules::default());
    }

    #[test]
    fn redirect_rules_and_request_uris_never_panic(s in ".{0,300}") {
        let _ = RedirectRules::default().check(&s);
        let _ = request_uri::secret_of(&s);
        let _ = CodeChallenge::from_request(Some(&s), Some("S256"));
    }

    #[test]
    fn every_valid_verifier_matches_its_own_challenge(v in "[A-Za-z0-9._~-]{43,128}") {
        let challenge = CodeChallenge::from_request(
            Some(CodeChallenge::of_verifier(&v).as_str()),
            Some("S256"),
        );
        prop_assert!(challenge.is_ok());
        prop_assert_eq!(challenge.map(|c| c.verify(&v)).ok(), Some(Ok(())));
    }
}
