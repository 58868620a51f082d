//! Nonce Endpoint response (OID4VCI 1.0 Section 7.2). The request is an empty `POST` (7.1).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `{"c_nonce": "…"}`, sent with `Cache-Control: no-store`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NonceResponse {
    /// A fresh, unpredictable challenge for key proofs.
    pub c_nonce: String,
    /// Extension members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NonceResponse {
    /// A response carrying `c_nonce`.
    pub fn new(c_nonce: impl Into<String>) -> Self {
        NonceResponse {
            c_nonce: c_nonce.into(),
            extra: Map::new(),
        }
    }
}
