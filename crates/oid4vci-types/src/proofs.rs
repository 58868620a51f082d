//! The `proofs` parameter of a credential request (OID4VCI 1.0 Section 8.2, Appendix F), and the
//! draft-13 singular `proof` it replaces.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Largest number of proofs accepted in one request before any issuer policy applies. The
/// issuer's `batch_size` is normally far smaller; this bounds work on hostile input.
pub const MAX_PROOFS: usize = 100;

/// Key proofs: exactly one proof type with a non-empty array (Section 8.2).
#[derive(Clone, Debug, PartialEq)]
pub enum Proofs {
    /// `jwt` proofs (Appendix F.1): compact JWS strings.
    Jwt(Vec<String>),
    /// `attestation` proof (Appendix F.3): exactly one key attestation JWT.
    Attestation(Vec<String>),
    /// `di_vp` proofs (Appendix F.2): Data Integrity verifiable presentations (draft 13's `ldp_vp`).
    DiVp(Vec<Value>),
    /// Another proof type (such as draft 13's `cwt`), kept as sent.
    Other {
        /// The proof type name.
        proof_type: String,
        /// The proofs.
        proofs: Vec<Value>,
    },
}

impl Proofs {
    /// The proof type name (`jwt`, `attestation`, `di_vp`, …).
    pub fn proof_type(&self) -> &str {
        match self {
            Proofs::Jwt(_) => "jwt",
            Proofs::Attestation(_) => "attestation",
            Proofs::DiVp(_) => "di_vp",
            Proofs::Other { proof_type, .. } => proof_type,
        }
    }

    /// How many proofs there are.
    pub fn len(&self) -> usize {
        match self {
            Proofs::Jwt(v) | Proofs::Attestation(v) => v.len(),
            Proofs::DiVp(v) | Proofs::Other { proofs: v, .. } => v.len(),
        }
    }

    /// Always false for a parsed value: the array must be non-empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn from_parts(proof_type: &str, values: Vec<Value>) -> Result<Self, String> {
        if values.is_empty() {
            return Err(format!(
                "proofs.{proof_type} must be a non-empty array (OID4VCI 1.0 Section 8.2)"
            ));
        }
        if values.len() > MAX_PROOFS {
            return Err(format!(
                "proofs.{proof_type} has {} entries; at most {MAX_PROOFS} are read",
                values.len()
            ));
        }
        let strings = |values: Vec<Value>| -> Result<Vec<String>, String> {
            values
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    other => Err(format!(
                        "proofs.{proof_type} entries must be JWT strings, found {}",
                        crate::json_kind(&other)
                    )),
                })
                .collect()
        };
        Ok(match proof_type {
            "jwt" => Proofs::Jwt(strings(values)?),
            "attestation" => {
                if values.len() != 1 {
                    return Err("proofs.attestation must contain exactly one key attestation (OID4VCI 1.0 Appendix F)".into());
                }
                Proofs::Attestation(strings(values)?)
            }
            "di_vp" | "ldp_vp" => Proofs::DiVp(values),
            other => Proofs::Other {
                proof_type: other.to_owned(),
                proofs: values,
            },
        })
    }

    /// Reads draft 13's singular `proof` object: `{"proof_type": "jwt", "jwt": "…"}`.
    pub fn from_draft13_proof(proof: &Value) -> Result<Self, String> {
        let obj = proof.as_object().ok_or("proof must be a JSON object")?;
        let proof_type = obj
            .get("proof_type")
            .and_then(Value::as_str)
            .ok_or("proof.proof_type is missing or not a string")?;
        let value = obj
            .get(proof_type)
            .ok_or_else(|| format!("proof.{proof_type} is missing"))?;
        Proofs::from_parts(proof_type, vec![value.clone()])
    }
}

impl Serialize for Proofs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = Map::new();
        let values: Vec<Value> = match self {
            Proofs::Jwt(v) | Proofs::Attestation(v) => {
                v.iter().cloned().map(Value::String).collect()
            }
            Proofs::DiVp(v) | Proofs::Other { proofs: v, .. } => v.clone(),
        };
        map.insert(self.proof_type().to_owned(), Value::Array(values));
        map.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Proofs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        if map.len() != 1 {
            let found: Vec<&str> = map.keys().map(String::as_str).collect();
            return Err(D::Error::custom(format!(
                "proofs must contain exactly one proof type, found [{}] (OID4VCI 1.0 Section 8.2)",
                found.join(", ")
            )));
        }
        let Some((proof_type, value)) = map.into_iter().next() else {
            return Err(D::Error::custom("proofs is empty"));
        };
        let Value::Array(values) = value else {
            return Err(D::Error::custom(format!(
                "proofs.{proof_type} must be an array"
            )));
        };
        Proofs::from_parts(&proof_type, values).map_err(D::Error::custom)
    }
}
