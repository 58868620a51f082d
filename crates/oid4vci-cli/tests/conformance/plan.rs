//! The plans: every mirrored module, named after the OIDF one, and the variants it runs in.

use super::{fapi, modules, Encryption, Env, Flow, Format, Variant};

type Run = fn(&Env, Variant) -> Result<(), String>;

/// A module of a plan and the variants it runs in.
pub struct Module {
    pub name: &'static str,
    pub test: &'static str,
    pub run: Run,
    pub variants: Vec<Variant>,
    /// Waits out a lifetime (a minute or so): run beside the others.
    pub slow: bool,
}

fn variants(formats: &[Format], flows: &[Flow], encryption: &[Encryption]) -> Vec<Variant> {
    let mut all = Vec::new();
    for &format in formats {
        for &flow in flows {
            for &encryption in encryption {
                all.push(Variant {
                    format,
                    flow,
                    encryption,
                });
            }
        }
    }
    all
}

pub const HAIP: &str = "oid4vci-1_0-issuer-haip-test-plan";
pub const BASE: &str = "oid4vci-1_0-issuer-test-plan";

macro_rules! module {
    ($name:literal, $f:ident, $variants:expr) => {
        Module {
            name: $name,
            test: stringify!($f),
            run: modules::$f,
            variants: $variants,
            slow: false,
        }
    };
}

macro_rules! fapi {
    ($name:literal, $f:ident) => {
        fapi!($name, $f, false)
    };
    ($name:literal, $f:ident, $slow:expr) => {
        Module {
            name: $name,
            test: concat!("fapi::", stringify!($f)),
            run: fapi::$f,
            variants: variants(
                &[Format::SdJwtVc],
                &[Flow::WalletInitiated],
                &[Encryption::Plain],
            ),
            slow: $slow,
        }
    };
}

/// The modules in plan order.
pub fn plan() -> Vec<Module> {
    use Encryption::*;
    use Flow::*;
    use Format::*;
    let both = [SdJwtVc, Mdoc];
    let auth = [WalletInitiated, IssuerInitiated];
    let one = || variants(&[SdJwtVc], &[WalletInitiated], &[Plain]);
    let main = || variants(&both, &auth, &[Plain]);
    let pre = || variants(&both, &[PreAuthorized], &[Plain]);
    let with_pre = |v: Vec<Variant>| v.into_iter().chain(pre()).collect::<Vec<_>>();
    vec![
        module!("oid4vci-1_0-issuer-metadata-test", metadata_test, one()),
        module!(
            "oid4vci-1_0-issuer-metadata-test-signed",
            metadata_test_signed,
            one()
        ),
        module!(
            "oid4vci-1_0-issuer-happy-flow",
            happy_flow,
            with_pre(variants(&both, &auth, &[Plain, Encrypted]))
        ),
        module!(
            "oid4vci-1_0-issuer-happy-flow-additional-requests",
            happy_flow_additional_requests,
            with_pre(main())
        ),
        module!(
            "oid4vci-1_0-issuer-happy-flow-multiple-clients",
            happy_flow_multiple_clients,
            with_pre(main())
        ),
        module!(
            "oid4vci-1_0-issuer-happy-flow-skip-notification",
            happy_flow_skip_notification,
            with_pre(main())
        ),
        module!(
            "oid4vci-1_0-issuer-batch-issuance",
            batch_issuance,
            with_pre(main())
        ),
        module!(
            "oid4vci-1_0-issuer-fail-invalid-nonce",
            fail_invalid_nonce,
            with_pre(main())
        ),
        module!(
            "oid4vci-1_0-issuer-fail-invalid-jwt-proof-signature",
            fail_invalid_jwt_proof_signature,
            with_pre(main())
        ),
        module!(
            "oid4vci-1_0-issuer-fail-invalid-key-attestation-signature",
            fail_invalid_key_attestation_signature,
            with_pre(main())
        ),
        module!(
            "oid4vci-1_0-issuer-fail-invalid-client-attestation-signature",
            fail_invalid_client_attestation_signature,
            one()
        ),
        module!(
            "oid4vci-1_0-issuer-fail-invalid-client-attestation-pop-signature",
            fail_invalid_client_attestation_pop_signature,
            one()
        ),
        module!(
            "oid4vci-1_0-issuer-fail-client-attestation-exp-in-past",
            fail_client_attestation_exp_in_past,
            one()
        ),
        module!(
            "oid4vci-1_0-issuer-fail-client-attestation-no-sub",
            fail_client_attestation_no_sub,
            one()
        ),
        module!(
            "oid4vci-1_0-issuer-fail-client-attestation-pop-wrong-aud",
            fail_client_attestation_pop_wrong_aud,
            one()
        ),
        module!(
            "oid4vci-1_0-issuer-fail-mismatched-client-attestation-pop-key",
            fail_mismatched_client_attestation_pop_key,
            one()
        ),
        module!(
            "oid4vci-1_0-issuer-fail-missing-proof",
            fail_missing_proof,
            with_pre(main())
        ),
        module!(
            "oid4vci-1_0-issuer-fail-unknown-credential-configuration",
            fail_unknown_credential_configuration,
            with_pre(variants(&both, &auth, &[Plain, Encrypted]))
        ),
        module!(
            "oid4vci-1_0-issuer-fail-unknown-credential-identifier",
            fail_unknown_credential_identifier,
            variants(&both, &[WalletInitiated], &[Plain])
        ),
        module!(
            "oid4vci-1_0-issuer-fail-unsupported-encryption-algorithm",
            fail_unsupported_encryption_algorithm,
            variants(&both, &auth, &[Encrypted])
                .into_iter()
                .chain(variants(&both, &[PreAuthorized], &[Encrypted]))
                .collect()
        ),
        module!(
            "oid4vci-1_0-issuer-fail-on-access-token-in-query",
            fail_on_access_token_in_query,
            main()
        ),
        fapi!("fapi2-security-profile-final-discovery-end-point-verification", discovery),
        fapi!("fapi2-security-profile-final-happy-flow", happy_flow),
        fapi!("fapi2-security-profile-final-user-rejects-authentication", user_rejects_authentication),
        fapi!("fapi2-security-profile-final-ensure-authorization-request-without-state-success", without_state_success),
        fapi!("fapi2-security-profile-final-ensure-authorization-request-with-long-state", long_state),
        fapi!("fapi2-security-profile-final-access-token-type-header-case-sensitivity", access_token_type_case_sensitivity),
        fapi!("fapi2-security-profile-final-check-dpop-proof-nbf-exp", dpop_proof_nbf_exp),
        fapi!("fapi2-security-profile-final-ensure-dpopproof-with-iat-10seconds-before-succeeds", dpop_iat_10_seconds_before),
        fapi!("fapi2-security-profile-final-ensure-dpopproof-with-iat-10seconds-after-succeeds", dpop_iat_10_seconds_after),
        fapi!("fapi2-security-profile-final-ensure-mismatched-dpop-jkt-fails", mismatched_dpop_jkt_fails),
        fapi!("fapi2-security-profile-final-ensure-token-endpoint-fails-with-mismatched-dpop-proof-jkt", token_fails_with_mismatched_dpop_proof_jkt),
        fapi!("fapi2-security-profile-final-ensure-token-endpoint-fails-with-mismatched-dpop-jkt", token_fails_with_mismatched_dpop_jkt),
        fapi!("fapi2-security-profile-final-ensure-dpopproof-at-par-endpoint-binding-success", dpop_proof_at_par_binding_success),
        fapi!("fapi2-security-profile-final-ensure-dpop-auth-code-binding-success", dpop_auth_code_binding_success),
        fapi!("fapi2-security-profile-final-ensure-unsigned-authorization-request-without-using-par-fails", authorization_request_without_par_fails),
        fapi!("fapi2-security-profile-final-ensure-redirect-uri-in-authorization-request", redirect_uri_in_authorization_request),
        fapi!("fapi2-security-profile-final-ensure-request-object-without-redirect-uri-fails", redirect_uri_in_authorization_request),
        fapi!("fapi2-security-profile-final-ensure-different-state-inside-and-outside-request-object", different_state_inside_and_outside_request),
        fapi!("fapi2-security-profile-final-state-only-outside-request-object-not-used", state_only_outside_request_not_used),
        fapi!("fapi2-security-profile-final-ensure-response-type-code-idtoken-fails", response_type_code_id_token_fails),
        fapi!("fapi2-security-profile-final-ensure-response-type-token-fails", response_type_token_fails),
        fapi!("fapi2-security-profile-final-ensure-client-id-in-token-endpoint", client_id_in_token_endpoint),
        fapi!("fapi2-security-profile-final-ensure-holder-of-key-required", holder_of_key_required),
        fapi!("fapi2-security-profile-final-ensure-authorization-code-is-bound-to-client", authorization_code_bound_to_client),
        fapi!("fapi2-security-profile-final-attempt-reuse-authorization-code-after-one-second", reuse_authorization_code_after_one_second),
        fapi!("fapi2-security-profile-final-ensure-token-endpoint-fails-with-expired-auth-code", expired_auth_code, true),
        fapi!("fapi2-security-profile-final-dpop-negative-tests", dpop_negative_tests),
        fapi!("fapi2-security-profile-final-refresh-token", refresh_token),
        fapi!("fapi2-security-profile-final-par-ensure-reused-request-uri-prior-to-auth-completion-succeeds", par_reused_request_uri_before_authentication),
        fapi!("fapi2-security-profile-final-par-attempt-reuse-request_uri", par_attempt_reuse_request_uri),
        fapi!("fapi2-security-profile-final-par-attempt-to-use-expired-request_uri", par_expired_request_uri, true),
        fapi!("fapi2-security-profile-final-par-attempt-to-use-request_uri-for-different-client", par_request_uri_bound_to_client),
        fapi!("fapi2-security-profile-final-par-authorization-request-containing-request_uri-form-param", par_rejects_request_uri_param),
        fapi!("fapi2-security-profile-final-par-attempt-invalid-http-method", par_rejects_invalid_http_verb),
        fapi!("fapi2-security-profile-final-par-ensure-pkce-required", par_pkce_required),
        fapi!("fapi2-security-profile-final-ensure-pkce-code-verifier-required", pkce_code_verifier_required),
        fapi!("fapi2-security-profile-final-incorrect-pkce-code-verifier-rejected", incorrect_pkce_code_verifier_rejected),
        fapi!("fapi2-security-profile-final-par-plain-pkce-rejected", par_plain_pkce_rejected),
        fapi!("fapi2-security-profile-final-par-without-duplicate-parameters", par_without_duplicate_parameters),
    ]
}
