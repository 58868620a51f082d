//! Wallet debugging mode: every refused wallet request, kept in memory for the console even
//! when it cannot be tied to a session (an unknown token, a malformed body). Each entry shows
//! what arrived, with secrets redacted (codes, tokens, PINs, nonces, transaction and
//! notification ids; JWTs as their decoded header and claims without signature or single-use
//! values), and why it was refused (the JSON error the wallet got).

use crate::reply::MAX_BODY_BYTES;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use oid4vci_issuer::{describe_jwt, REDACTED};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// How many refused requests the log keeps (the oldest go first).
pub const MAX_REFUSED_REQUESTS: usize = 200;
/// The longest error body read back from a refusal.
const MAX_ERROR_BODY: usize = 16 * 1024;
/// Form fields and JSON members whose values are secrets.
const SECRET_FIELDS: &[&str] = &[
    "pre-authorized_code",
    "tx_code",
    "code",
    "code_verifier",
    "refresh_token",
    "client_secret",
    "client_assertion",
    "password",
    "form_token",
    "request_uri",
    "issuer_state",
    "transaction_id",
    "notification_id",
    "nonce",
    "c_nonce",
    "access_token",
];
/// Headers shown, and how.
const JWT_HEADERS: &[&str] = &[
    "dpop",
    "oauth-client-attestation",
    "oauth-client-attestation-pop",
];
const PLAIN_HEADERS: &[&str] = &["content-type", "user-agent", "accept", "content-length"];

/// One refused wallet request.
#[derive(Clone, Debug, Serialize)]
pub struct RefusedRequest {
    /// Its number in this process (counting from 1).
    pub id: u64,
    /// When it arrived (Unix seconds).
    pub at: u64,
    /// The HTTP method.
    pub method: String,
    /// The path (without the query).
    pub path: String,
    /// The status the wallet got.
    pub status: u16,
    /// The `error` of the reply, when it was a JSON error.
    pub error: Option<String>,
    /// Its `error_description`.
    pub error_description: Option<String>,
    /// The key proof diagnostic's `code`, when there was one.
    pub diagnostic_code: Option<String>,
    /// The headers that matter, redacted.
    pub headers: Map<String, Value>,
    /// The body, redacted (form fields or JSON members; JWTs decoded).
    pub body: Value,
}

/// The refused wallet requests of this process, newest last.
#[derive(Debug)]
pub struct WalletDebugLog {
    entries: Mutex<(u64, VecDeque<RefusedRequest>)>,
    changes: watch::Sender<u64>,
}

impl Default for WalletDebugLog {
    fn default() -> Self {
        WalletDebugLog {
            entries: Mutex::new((0, VecDeque::new())),
            changes: watch::Sender::new(0),
        }
    }
}

impl WalletDebugLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The kept entries, newest first.
    pub fn entries(&self) -> Vec<RefusedRequest> {
        self.entries
            .lock()
            .map(|e| e.1.iter().rev().cloned().collect())
            .unwrap_or_default()
    }

    fn push(&self, mut entry: RefusedRequest) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.0 += 1;
            entry.id = entries.0;
            if entries.1.len() >= MAX_REFUSED_REQUESTS {
                entries.1.pop_front();
            }
            entries.1.push_back(entry);
        }
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}

/// Middleware for the wallet router: records each request answered with a 4xx or 5xx status
/// in `log`. Bodies up to the wallet endpoints' limit are read once and passed on unchanged;
/// longer (or unsized) ones pass untouched and are noted as not captured.
pub async fn record_refused_requests(
    State(log): State<Arc<WalletDebugLog>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let (body, captured) = match declared {
        Some(n) if n <= MAX_BODY_BYTES && parts.method != Method::GET => {
            match to_bytes(body, MAX_BODY_BYTES).await {
                Ok(bytes) => (Body::from(bytes.clone()), Some(bytes)),
                Err(_) => (Body::empty(), None),
            }
        }
        _ => (body, None),
    };
    let method = parts.method.to_string();
    let path = parts.uri.path().to_owned();
    let headers = redacted_headers(&parts.headers);
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let response = next.run(Request::from_parts(parts, body)).await;
    if !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let (response_parts, response_body) = response.into_parts();
    let reply = to_bytes(response_body, MAX_ERROR_BODY)
        .await
        .unwrap_or_default();
    let error: Value = serde_json::from_slice(&reply).unwrap_or(Value::Null);
    let text = |v: &Value| v.as_str().map(str::to_owned);
    log.push(RefusedRequest {
        id: 0,
        at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        method,
        path,
        status: response_parts.status.as_u16(),
        error: text(&error["error"]),
        error_description: text(&error["error_description"]),
        diagnostic_code: text(&error["diagnostic"]["code"]),
        headers,
        body: match captured {
            Some(bytes) => redacted_body(&content_type, &bytes),
            None if declared == Some(0) => Value::Null,
            None => json!({"not_captured": "no Content-Length, or longer than the wallet endpoints accept"}),
        },
    });
    Response::from_parts(response_parts, Body::from(reply))
}

fn redacted_headers(headers: &HeaderMap) -> Map<String, Value> {
    let mut shown = Map::new();
    for (name, value) in headers {
        let name = name.as_str();
        let value = String::from_utf8_lossy(value.as_bytes());
        let shown_value = if name == "authorization" {
            let scheme = value.split_whitespace().next().unwrap_or_default();
            json!(format!("{scheme} {REDACTED}"))
        } else if JWT_HEADERS.contains(&name) {
            describe_jwt(value.trim())
        } else if PLAIN_HEADERS.contains(&name) {
            json!(shorten(&value))
        } else {
            continue;
        };
        shown.insert(name.to_owned(), shown_value);
    }
    shown
}

/// A request body, redacted: form fields or JSON members; an encrypted request is only
/// measured.
pub(crate) fn redacted_body(content_type: &str, body: &[u8]) -> Value {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    match media {
        "application/x-www-form-urlencoded" => {
            let fields: Vec<(String, String)> =
                serde_urlencoded::from_bytes(body).unwrap_or_default();
            let mut shown = Map::new();
            for (name, value) in fields {
                let value = if SECRET_FIELDS.contains(&name.as_str()) {
                    json!(REDACTED)
                } else if is_jwt_field(&name) {
                    describe_jwt(&value)
                } else {
                    json!(shorten(&value))
                };
                shown.insert(name, value);
            }
            Value::Object(shown)
        }
        "application/json" => match serde_json::from_slice::<Value>(body) {
            Ok(value) => redact_json(value, None, 0),
            Err(e) => json!({"malformed_json": e.to_string(), "bytes": body.len()}),
        },
        "application/jwt" => {
            json!({"encrypted_request": format!("{} bytes, not decrypted", body.len())})
        }
        _ => json!({"bytes": body.len(), "content_type": shorten(content_type)}),
    }
}

fn is_jwt_field(name: &str) -> bool {
    matches!(name, "client_assertion_jwt" | "request")
}

/// JSON with secret members redacted and key proofs (`proofs.jwt[]`, `proof.jwt`,
/// `proofs.attestation[]`) decoded.
fn redact_json(value: Value, key: Option<&str>, depth: usize) -> Value {
    if depth > 8 {
        return json!("…");
    }
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let shown = if SECRET_FIELDS.contains(&k.as_str()) {
                        json!(REDACTED)
                    } else {
                        redact_json(v, Some(&k), depth + 1)
                    };
                    (k, shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .take(16)
                .map(|v| redact_json(v, key, depth + 1))
                .collect(),
        ),
        Value::String(s) if matches!(key, Some("jwt" | "attestation")) => describe_jwt(&s),
        Value::String(s) => json!(shorten(&s)),
        other => other,
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= 200 {
        return text.to_owned();
    }
    let start: String = text.chars().take(80).collect();
    format!("{start}… ({} characters)", text.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_forms_keep_their_shape_but_not_their_secrets() {
        let body = b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code\
&pre-authorized_code=SECRET-CODE&tx_code=493536";
        let shown = redacted_body("application/x-www-form-urlencoded; charset=utf-8", body);
        assert_eq!(
            shown["grant_type"],
            "urn:ietf:params:oauth:grant-type:pre-authorized_code"
        );
        assert_eq!(shown["pre-authorized_code"], REDACTED);
        assert_eq!(shown["tx_code"], REDACTED);
        let text = shown.to_string();
        assert!(
            !text.contains("SECRET-CODE") && !text.contains("493536"),
            "{text}"
        );
    }

    #[test]
    fn credential_requests_show_decoded_proofs_without_nonce_or_signature() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let segment = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let jwt = format!(
            "{}.{}.U0lHTkFUVVJF",
            segment(json!({"typ": "openid4vci-proof+jwt", "alg": "ES256"})),
            segment(json!({"aud": "https://issuer.example", "nonce": "LIVE-NONCE"}))
        );
        let body = json!({"credential_configuration_id": "pid", "proofs": {"jwt": [jwt]},
            "transaction_id": "TX-SECRET"});
        let shown = redacted_body("application/json", body.to_string().as_bytes());
        assert_eq!(
            shown["proofs"]["jwt"][0]["header"]["typ"],
            "openid4vci-proof+jwt"
        );
        assert_eq!(shown["proofs"]["jwt"][0]["claims"]["nonce"], REDACTED);
        assert_eq!(shown["transaction_id"], REDACTED);
        let text = shown.to_string();
        for secret in ["LIVE-NONCE", "U0lHTkFUVVJF", "TX-SECRET"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        let malformed = redacted_body("application/json", b"{\"credential_configuration_id\":");
        assert!(malformed["malformed_json"].is_string());
    }

    #[test]
    fn authorization_headers_keep_only_their_scheme() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            "DPoP ACCESS-TOKEN".parse().expect("header"),
        );
        headers.insert("cookie", "a=b".parse().expect("header"));
        let shown = redacted_headers(&headers);
        assert_eq!(shown["authorization"], format!("DPoP {REDACTED}"));
        assert!(
            shown.get("cookie").is_none(),
            "headers not listed are left out"
        );
    }
}
