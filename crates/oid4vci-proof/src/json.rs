//! Strict JSON parsing: duplicate member names and deep nesting are rejected.
//!
//! RFC 7515 §4 and RFC 7519 §4 say a JOSE header or claims set with duplicate member names MUST be
//! rejected (or parsed with a lexically-last policy); we reject, because two parsers that disagree on
//! which duplicate wins are a classic signature-bypass vector. Detection is done by a serde
//! [`Visitor`] that builds a [`serde_json::Value`] and refuses a key it has already seen.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Maximum nesting depth of objects and arrays accepted in any JSON we parse.
pub const MAX_DEPTH: usize = 16;

/// Why a JSON text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// Not syntactically valid JSON (or trailing data), with serde_json's message.
    Syntax(String),
    /// The same member name appears twice in one object.
    DuplicateMember(String),
    /// Objects/arrays nested deeper than 16 levels.
    TooDeep,
    /// Valid JSON, but not an object.
    NotAnObject,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax(m) => write!(f, "not valid JSON ({m})"),
            JsonError::DuplicateMember(k) => write!(f, "member name {k:?} appears more than once"),
            JsonError::TooDeep => write!(f, "JSON nested deeper than {MAX_DEPTH} levels"),
            JsonError::NotAnObject => write!(f, "JSON value is not an object"),
        }
    }
}

const DUP_MARKER: &str = "\u{0}duplicate member:";
const DEPTH_MARKER: &str = "\u{0}too deep";

/// Parses `bytes` as a JSON object, rejecting duplicate member names at any depth.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    match parse_value(bytes)? {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::NotAnObject),
    }
}

/// Parses `bytes` as any JSON value, rejecting duplicate member names at any depth.
pub fn parse_value(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictSeed { depth: 0 }
        .deserialize(&mut de)
        .map_err(classify)?;
    de.end().map_err(classify)?;
    Ok(value)
}

fn classify(e: serde_json::Error) -> JsonError {
    let msg = e.to_string();
    if let Some(rest) = msg.strip_prefix(DUP_MARKER) {
        // serde_json appends " at line X column Y"; keep only the member name.
        let name = rest.rsplit_once(" at line ").map_or(rest, |(n, _)| n);
        JsonError::DuplicateMember(name.to_owned())
    } else if msg.starts_with(DEPTH_MARKER) || e.to_string().contains("recursion limit") {
        JsonError::TooDeep
    } else {
        JsonError::Syntax(msg)
    }
}

#[derive(Clone, Copy)]
struct StrictSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.nested::<A::Error>()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.nested::<A::Error>()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(A::Error::custom(format_args!("{DUP_MARKER}{key}")));
            }
            let value = map.next_value_seed(inner)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

impl StrictSeed {
    fn nested<E: serde::de::Error>(self) -> Result<StrictSeed, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(DEPTH_MARKER));
        }
        Ok(StrictSeed {
            depth: self.depth + 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_duplicates_at_any_depth() {
        assert_eq!(
            parse_object(br#"{"a":1,"a":2}"#),
            Err(JsonError::DuplicateMember("a".into()))
        );
        assert_eq!(
            parse_object(br#"{"jwk":{"x":"1","x":"2"}}"#),
            Err(JsonError::DuplicateMember("x".into()))
        );
        // Escaped spelling of the same name is still the same name.
        assert_eq!(
            parse_object(br#"{"alg":1,"\u0061lg":2}"#),
            Err(JsonError::DuplicateMember("alg".into()))
        );
    }

    #[test]
    fn rejects_non_objects_trailing_data_and_depth() {
        assert_eq!(parse_object(b"[1]"), Err(JsonError::NotAnObject));
        assert!(matches!(parse_object(b"{} x"), Err(JsonError::Syntax(_))));
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert_eq!(parse_value(deep.as_bytes()), Err(JsonError::TooDeep));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse_value(ok.as_bytes()).is_ok());
    }

    #[test]
    fn keeps_values() {
        let m = parse_object(br#"{"a":[1,-2,3.5,true,null,"s"],"b":{}}"#).unwrap();
        assert_eq!(m["a"][1], Value::from(-2));
        assert_eq!(m["a"][2], Value::from(3.5));
        assert_eq!(m["b"], Value::Object(Map::new()));
    }
}
