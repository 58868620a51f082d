//! Disclosures (RFC 9901 §4.2): each decoded, matched to exactly one digest of the payload
//! (`_sd` members of objects at any depth, `{"...": digest}` array elements), and the claims
//! processed with them.

use super::error::DecodeError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oid4vci_proof::{crypto, json};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// One disclosure, decoded and matched to its digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    /// The disclosure as it was (base64url).
    pub encoded: String,
    /// Its digest: base64url SHA-256 of `encoded`, as listed in the payload.
    pub digest: String,
    /// The salt.
    pub salt: String,
    /// The claim name; `None` for an array element.
    pub name: Option<String>,
    /// The disclosed value (as disclosed: digests inside it are resolved in
    /// [`DecodedSdJwt::claims`](crate::DecodedSdJwt::claims)).
    pub value: Value,
    /// Where its digest was found, a JSON Pointer into the payload: the object holding the
    /// `_sd` array, or the array element holding `{"...": digest}`.
    pub digest_at: String,
    /// Where the disclosed claim or element is in [`DecodedSdJwt::claims`](crate::DecodedSdJwt::claims) (JSON Pointer).
    pub path: String,
}

impl Disclosure {
    /// `{"digest", "salt", "name" (absent for array elements), "value", "digest_at", "path"}`.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("digest".into(), self.digest.clone().into());
        out.insert("salt".into(), self.salt.clone().into());
        if let Some(name) = &self.name {
            out.insert("name".into(), name.clone().into());
        }
        out.insert("value".into(), self.value.clone());
        out.insert("digest_at".into(), self.digest_at.clone().into());
        out.insert("path".into(), self.path.clone().into());
        Value::Object(out)
    }
}

pub(crate) fn b64_json(part: &str, what: &str) -> Result<Value, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| format!("the {what} is not base64url without padding"))?;
    json::parse_value(&bytes).map_err(|e| format!("the {what}: {e}"))
}

pub(crate) fn digest_of(encoded: &str) -> String {
    URL_SAFE_NO_PAD.encode(crypto::sha256(encoded.as_bytes()))
}

/// Reserved names a disclosure cannot disclose (RFC 9901 §4.2.1).
const RESERVED: [&str; 3] = ["_sd", "_sd_alg", "..."];
/// Deepest nesting of the processed claims.
const MAX_DEPTH: usize = 32;

/// Appends a JSON Pointer reference token (RFC 6901 escaping).
fn pointer(base: &str, token: &str) -> String {
    format!("{base}/{}", token.replace('~', "~0").replace('/', "~1"))
}

pub(crate) struct Resolver {
    /// Digest → index of its disclosure.
    by_digest: HashMap<String, usize>,
    disclosures: Vec<Disclosure>,
    seen: std::collections::HashSet<String>,
}

impl Resolver {
    /// Processes `payload` with the `disclosures` (their indexes by digest): the claims, and
    /// the disclosures with where each digest and claim was found.
    pub(crate) fn resolve(
        payload: Map<String, Value>,
        by_digest: HashMap<String, usize>,
        disclosures: Vec<Disclosure>,
    ) -> Result<(Map<String, Value>, Vec<Disclosure>), DecodeError> {
        let mut resolver = Resolver {
            by_digest,
            disclosures,
            seen: Default::default(),
        };
        let claims = resolver.object(payload, "", 0)?;
        Ok((claims, resolver.disclosures))
    }

    /// Takes the disclosure of `digest`, once: `None` when no disclosure has it (a decoy, or
    /// an undisclosed claim).
    fn take(&mut self, digest: &str) -> Result<Option<usize>, DecodeError> {
        if !self.seen.insert(digest.to_owned()) {
            return Err(DecodeError::DuplicateDigest(digest.to_owned()));
        }
        Ok(self.by_digest.get(digest).copied())
    }

    fn value(&mut self, value: Value, path: &str, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep(MAX_DEPTH));
        }
        match value {
            Value::Object(map) => Ok(Value::Object(self.object(map, path, depth)?)),
            Value::Array(items) => self.array(items, path, depth),
            other => Ok(other),
        }
    }

    fn object(
        &mut self,
        mut map: Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Result<Map<String, Value>, DecodeError> {
        let digests = match map.remove("_sd") {
            None => Vec::new(),
            Some(Value::Array(d)) => d,
            Some(_) => {
                return Err(DecodeError::BadDigests(format!(
                    "_sd at {path:?} is not an array"
                )))
            }
        };
        if depth == 0 {
            map.remove("_sd_alg");
        }
        let mut out = Map::new();
        for (name, value) in map {
            let at = pointer(path, &name);
            out.insert(name, self.value(value, &at, depth + 1)?);
        }
        for digest in digests {
            let Value::String(digest) = digest else {
                return Err(DecodeError::BadDigests(format!(
                    "_sd at {path:?} has an element that is not a digest string"
                )));
            };
            let Some(index) = self.take(&digest)? else {
                continue;
            };
            let Some(d) = self.disclosures.get_mut(index) else {
                continue;
            };
            let Some(name) = d.name.clone() else {
                return Err(DecodeError::Misplaced {
                    index,
                    reason: "an array-element disclosure's digest is in an _sd array".into(),
                });
            };
            if RESERVED.contains(&name.as_str()) {
                return Err(DecodeError::Misplaced {
                    index,
                    reason: format!("it discloses the reserved name {name:?}"),
                });
            }
            if out.contains_key(&name) {
                return Err(DecodeError::Misplaced {
                    index,
                    reason: format!("the claim {name:?} already exists at {path:?}"),
                });
            }
            let at = pointer(path, &name);
            d.digest_at = path.to_owned();
            d.path = at.clone();
            let value = d.value.clone();
            out.insert(name, self.value(value, &at, depth + 1)?);
        }
        Ok(out)
    }

    fn array(&mut self, items: Vec<Value>, path: &str, depth: usize) -> Result<Value, DecodeError> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let digest = match &item {
                Value::Object(m) if m.len() == 1 => m.get("...").cloned(),
                _ => None,
            };
            let Some(digest) = digest else {
                let at = pointer(path, &out.len().to_string());
                out.push(self.value(item, &at, depth + 1)?);
                continue;
            };
            let Value::String(digest) = digest else {
                return Err(DecodeError::BadDigests(format!(
                    "the \"...\" of the array element {path}/{i} is not a digest string"
                )));
            };
            let Some(index) = self.take(&digest)? else {
                continue;
            };
            let Some(d) = self.disclosures.get_mut(index) else {
                continue;
            };
            if d.name.is_some() {
                return Err(DecodeError::Misplaced {
                    index,
                    reason: "an object-property disclosure's digest is an array element".into(),
                });
            }
            let at = pointer(path, &out.len().to_string());
            d.digest_at = pointer(path, &i.to_string());
            d.path = at.clone();
            let value = d.value.clone();
            out.push(self.value(value, &at, depth + 1)?);
        }
        Ok(Value::Array(out))
    }
}

pub(crate) fn disclosure(index: usize, encoded: &str) -> Result<Disclosure, DecodeError> {
    let bad = |reason: String| DecodeError::Disclosure { index, reason };
    let items = match b64_json(encoded, "disclosure").map_err(bad)? {
        Value::Array(items) => items,
        _ => return Err(bad("not a JSON array".into())),
    };
    let (salt, name, value) = match items.as_slice() {
        [Value::String(salt), Value::String(name), value] => {
            (salt.clone(), Some(name.clone()), value.clone())
        }
        [Value::String(salt), value] => (salt.clone(), None, value.clone()),
        [_, Value::String(_), _] | [_, _] => return Err(bad("the salt is not a string".into())),
        [_, _, _] => return Err(bad("the claim name is not a string".into())),
        other => {
            return Err(bad(format!(
                "{} elements; [salt, name, value] or [salt, value] expected",
                other.len()
            )))
        }
    };
    Ok(Disclosure {
        encoded: encoded.to_owned(),
        digest: digest_of(encoded),
        salt,
        name,
        value,
        digest_at: String::new(),
        path: String::new(),
    })
}
