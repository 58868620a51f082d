//! Session claims (JSON) to mdoc data elements (CBOR), grouped by namespace.

use crate::error::MdocError;
use crate::limits::MdocLimits;
use ciborium::Value as Cbor;
use serde_json::{Map, Value};

/// CBOR tag of an RFC 8943 `full-date` string (`YYYY-MM-DD`).
const TAG_FULL_DATE: u64 = 1004;
/// Deepest nesting of an element value.
const MAX_DEPTH: usize = 16;

/// One namespace and its data elements, in the order given.
pub type Namespace = (String, Vec<(String, Cbor)>);

/// Splits `claims` into namespaces: a JSON object whose values are all objects is
/// `{namespace: {element: value}}`; any other object is flat and goes into `doctype`'s
/// namespace (the convention for single-namespace doctypes such as `eu.europa.ec.av.1`).
pub fn namespaces(
    claims: &Value,
    doctype: &str,
    limits: &MdocLimits,
) -> Result<Vec<Namespace>, MdocError> {
    let object = claims.as_object().ok_or(MdocError::ClaimsNotObject)?;
    let nested = !object.is_empty() && object.values().all(Value::is_object);
    let grouped: Vec<(&str, &Map<String, Value>)> = if nested {
        object
            .iter()
            .filter_map(|(ns, v)| v.as_object().map(|m| (ns.as_str(), m)))
            .collect()
    } else {
        vec![(doctype, object)]
    };
    check(
        "the number of namespaces",
        grouped.len(),
        limits.max_namespaces,
    )?;
    let mut out = Vec::with_capacity(grouped.len());
    let mut total = 0usize;
    for (ns, elements) in grouped {
        check("a namespace name", ns.len(), limits.max_identifier_len)?;
        usable_identifier(ns)?;
        total = total.saturating_add(elements.len());
        check("the number of data elements", total, limits.max_elements)?;
        let mut items = Vec::with_capacity(elements.len());
        for (name, value) in elements {
            check(
                "a data element identifier",
                name.len(),
                limits.max_identifier_len,
            )?;
            usable_identifier(name)?;
            items.push((name.clone(), element_value(name, value)?));
        }
        if !items.is_empty() {
            out.push((ns.to_owned(), items));
        }
    }
    if out.is_empty() {
        return Err(MdocError::NoElements);
    }
    Ok(out)
}

/// A namespace or data element identifier a verifier can show and match: non-empty, without
/// control characters or bidirectional formatting (which could make one name look like another).
fn usable_identifier(name: &str) -> Result<(), MdocError> {
    let bidi = |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if name.trim().is_empty() || name.chars().any(|c| c.is_control() || bidi(c)) {
        let shown: String = name.escape_debug().take(60).collect();
        return Err(MdocError::BadIdentifier(format!("{shown:?}")));
    }
    Ok(())
}

fn check(what: &'static str, found: usize, limit: usize) -> Result<(), MdocError> {
    if found > limit {
        return Err(MdocError::TooLarge { what, found, limit });
    }
    Ok(())
}

/// A data element's value; `*_date` elements given as `YYYY-MM-DD` become `full-date`
/// (tag 1004), as ISO 18013-5 and the EU blueprints encode dates.
fn element_value(name: &str, value: &Value) -> Result<Cbor, MdocError> {
    if let Value::String(s) = value {
        if name.ends_with("_date") && is_full_date(s) {
            return Ok(Cbor::Tag(TAG_FULL_DATE, Box::new(Cbor::Text(s.clone()))));
        }
    }
    to_cbor(value, 0)
}

fn is_full_date(s: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    s.len() == 10 && time::Date::parse(s, format).is_ok()
}

/// JSON to CBOR, value by value: integers stay integers, other numbers become floats.
fn to_cbor(value: &Value, depth: usize) -> Result<Cbor, MdocError> {
    check("the nesting depth of a data element", depth, MAX_DEPTH)?;
    Ok(match value {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Cbor::Integer(i.into())
            } else if let Some(u) = n.as_u64() {
                Cbor::Integer(u.into())
            } else {
                Cbor::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => Cbor::Text(s.clone()),
        Value::Array(items) => Cbor::Array(
            items
                .iter()
                .map(|v| to_cbor(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Cbor::Map(
            map.iter()
                .map(|(k, v)| Ok((Cbor::Text(k.clone()), to_cbor(v, depth + 1)?)))
                .collect::<Result<_, MdocError>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flat_claims_go_into_the_doctype_namespace_and_nested_ones_keep_theirs() {
        let limits = MdocLimits::default();
        let flat = namespaces(
            &json!({"age_over_18": true, "issuing_country": "DE"}),
            "d",
            &limits,
        )
        .expect("flat");
        assert_eq!(flat.len(), 1);
        assert_eq!(flat[0].0, "d");
        assert_eq!(flat[0].1[0], ("age_over_18".to_owned(), Cbor::Bool(true)));
        let nested = namespaces(
            &json!({"a": {"x": 1}, "b": {"y": "2024-01-31_", "expiry_date": "2030-01-31"}}),
            "d",
            &limits,
        )
        .expect("nested");
        let names: Vec<&str> = nested.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        // Element order follows the JSON object's (serde_json may or may not preserve it).
        let element = |name: &str| {
            nested[1]
                .1
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            element("expiry_date"),
            Some(Cbor::Tag(
                TAG_FULL_DATE,
                Box::new(Cbor::Text("2030-01-31".into()))
            ))
        );
        assert_eq!(element("y"), Some(Cbor::Text("2024-01-31_".into())));
    }

    #[test]
    fn bad_or_oversized_claims_are_typed_errors() {
        let limits = MdocLimits {
            max_elements: 2,
            ..MdocLimits::default()
        };
        assert_eq!(
            namespaces(&json!([1]), "d", &limits),
            Err(MdocError::ClaimsNotObject)
        );
        assert_eq!(
            namespaces(&json!({}), "d", &limits),
            Err(MdocError::NoElements)
        );
        assert!(matches!(
            namespaces(&json!({"a": 1, "b": 2, "c": 3}), "d", &limits),
            Err(MdocError::TooLarge {
                found: 3,
                limit: 2,
                ..
            })
        ));
        let mut deep = json!(1);
        for _ in 0..40 {
            deep = json!([deep]);
        }
        assert!(matches!(
            namespaces(&json!({"deep": deep}), "d", &limits),
            Err(MdocError::TooLarge { .. })
        ));
    }
}
