//! The validity window of a JWT: `exp` (RFC 7519 §4.1.4) and `nbf` (§4.1.5). One rule for every
//! JWT an issuer reads — key proofs, key attestations, DPoP proofs, wallet attestations and
//! their PoPs — so none of them can be accepted after it expired.
//!
//! `exp` is exact: a JWT "MUST NOT be accepted for processing on or after" it. The configured
//! clock skew (the `max_future_skew` of the policies: how far a wallet's clock may run ahead of
//! ours) applies to claims that lie in our future, `nbf` here and `iat` elsewhere; a wallet whose
//! clock runs ahead sets a *later* `exp`, so no leeway is needed there.
//!
//! ```
//! use oid4vci_proof::jwt_time::{check_validity, TimeClaimError};
//! let claims = serde_json::json!({"iat": 1_700_000_000, "exp": 1}).as_object().cloned().unwrap();
//! let err = check_validity(&claims, 1_700_000_000, 60).unwrap_err();
//! assert!(matches!(err, TimeClaimError::Expired { exp: 1, .. }));
//! ```

use serde_json::{Map, Value};

/// Why a JWT is outside its validity window.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeClaimError {
    /// `exp` or `nbf` is present but not a NumericDate (a non-negative JSON number).
    #[error("{claim} is {found}, not a NumericDate (seconds since 1970 as a JSON number)")]
    NotNumeric {
        /// `"exp"` or `"nbf"`.
        claim: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// `now` is on or after `exp`.
    #[error("it expired at {exp} (exp), {}s before now ({now})", now.saturating_sub(*exp))]
    Expired {
        /// The `exp` claim.
        exp: u64,
        /// The verifier's time.
        now: u64,
    },
    /// `nbf` is later than `now` plus the leeway.
    #[error("it is not valid before {nbf} (nbf), {}s after now ({now}); accepted clock skew is {leeway}s", nbf.saturating_sub(*now))]
    NotYetValid {
        /// The `nbf` claim.
        nbf: u64,
        /// The verifier's time.
        now: u64,
        /// The accepted clock skew.
        leeway: u64,
    },
}

/// Reads a NumericDate (RFC 7519 §2): a non-negative JSON number, fractions truncated.
pub fn numeric_date(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1e15)
            .map(|f| f as u64)
    })
}

fn read(claims: &Map<String, Value>, claim: &'static str) -> Result<Option<u64>, TimeClaimError> {
    match claims.get(claim) {
        None => Ok(None),
        Some(v) => numeric_date(v).map(Some).ok_or(TimeClaimError::NotNumeric {
            claim,
            found: json_type(v),
        }),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a negative or out-of-range number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks `exp` and `nbf` when present: the JWT is refused on or after `exp` and before
/// `nbf - leeway` (`leeway`: the accepted clock skew). Returns the `exp` value, if any.
pub fn check_validity(
    claims: &Map<String, Value>,
    now: u64,
    leeway: u64,
) -> Result<Option<u64>, TimeClaimError> {
    let exp = read(claims, "exp")?;
    if let Some(exp) = exp {
        if now >= exp {
            return Err(TimeClaimError::Expired { exp, now });
        }
    }
    if let Some(nbf) = read(claims, "nbf")? {
        if nbf > now.saturating_add(leeway) {
            return Err(TimeClaimError::NotYetValid { nbf, now, leeway });
        }
    }
    Ok(exp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn exp_is_refused_from_exp_on() {
        let c = claims(json!({"exp": 1000}));
        assert_eq!(check_validity(&c, 999, 60), Ok(Some(1000)));
        assert_eq!(
            check_validity(&c, 1000, 60),
            Err(TimeClaimError::Expired {
                exp: 1000,
                now: 1000
            })
        );
        assert!(matches!(
            check_validity(&c, 5000, 0),
            Err(TimeClaimError::Expired { .. })
        ));
    }

    #[test]
    fn nbf_is_refused_until_nbf_minus_leeway() {
        let c = claims(json!({"nbf": 1000}));
        assert_eq!(check_validity(&c, 940, 60), Ok(None));
        assert!(matches!(
            check_validity(&c, 939, 60),
            Err(TimeClaimError::NotYetValid { nbf: 1000, .. })
        ));
    }

    #[test]
    fn non_numeric_dates_are_refused() {
        for bad in [json!("1000"), json!(-5), json!(null), json!([1])] {
            let c = claims(json!({ "exp": bad }));
            assert!(matches!(
                check_validity(&c, 0, 60),
                Err(TimeClaimError::NotNumeric { claim: "exp", .. })
            ));
        }
        let c = claims(json!({"nbf": "soon"}));
        assert!(matches!(
            check_validity(&c, 0, 60),
            Err(TimeClaimError::NotNumeric { claim: "nbf", .. })
        ));
    }

    #[test]
    fn absent_claims_and_huge_values_pass() {
        assert_eq!(check_validity(&Map::new(), u64::MAX, 60), Ok(None));
        let c = claims(json!({"exp": u64::MAX}));
        assert_eq!(check_validity(&c, u64::MAX - 1, 60), Ok(Some(u64::MAX)));
    }
}
