//! The `Accept` header as media ranges with their quality values (RFC 9110 §12.5.1).
//!
//! Qualities are kept in thousandths (0 to 1000), the precision of the `qvalue` grammar
//! (RFC 9110 §12.4.2), so they compare exactly.

use axum::http::{header, HeaderMap};

/// The quality of a range without `q`, and of any media type when there is no `Accept`.
pub(crate) const FULL: u16 = 1000;

/// Every media range of the request's `Accept` headers (lowercase `type/subtype`, other
/// parameters dropped) with its quality in thousandths: 1000 without `q`, the `qvalue` with a
/// `q` (or `Q`) parameter, and 0, refusing the range, for a value outside the grammar
/// (`inf`, `2`, `-1`, `0.0001`). Empty when there is no `Accept`.
pub(crate) fn ranges(headers: &HeaderMap) -> Vec<(String, u16)> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|range| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            if media.is_empty() {
                return None;
            }
            let q = parts
                .filter_map(|p| {
                    let (name, value) = p.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("q")
                        .then(|| qvalue(value.trim()).unwrap_or(0))
                })
                .next()
                .unwrap_or(FULL);
            Some((media, q))
        })
        .collect()
}

/// A `qvalue` (`0[.ddd]` or `1[.000]`) in thousandths; `None` outside that grammar.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(FULL),
        _ => None,
    }
}

/// The highest quality the request gives to exactly `media` (wildcards not counted), if named.
pub(crate) fn quality_of(ranges: &[(String, u16)], media: &str) -> Option<u16> {
    ranges
        .iter()
        .filter(|(m, _)| m.eq_ignore_ascii_case(media))
        .map(|(_, q)| *q)
        .max()
}

/// The quality of `media` (a `type/subtype`) as RFC 9110 §12.5.1 assigns it: from the most
/// specific range that matches (the type itself, then `type/*`, then `*/*`); 0 (not
/// acceptable) when none does, and [`FULL`] when there is no `Accept` at all.
pub(crate) fn quality(ranges: &[(String, u16)], media: &str) -> u16 {
    if ranges.is_empty() {
        return FULL;
    }
    let family = media
        .split_once('/')
        .map(|(kind, _)| format!("{kind}/*"))
        .unwrap_or_default();
    [media, family.as_str(), "*/*"]
        .iter()
        .find_map(|m| quality_of(ranges, m))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &'static str) -> Vec<(String, u16)> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        ranges(&headers)
    }

    #[test]
    fn ranges_carry_their_quality() {
        let r = accept("application/JWT;q=0.5, application/json, */*;q=0, text/html;q=x");
        assert_eq!(quality_of(&r, "application/jwt"), Some(500));
        assert_eq!(quality_of(&r, "application/json"), Some(1000));
        assert_eq!(quality_of(&r, "*/*"), Some(0));
        assert_eq!(
            quality_of(&r, "text/html"),
            Some(0),
            "an unparsable q refuses"
        );
        assert_eq!(quality_of(&r, "image/png"), None);
        assert!(ranges(&HeaderMap::new()).is_empty());
    }

    #[test]
    fn qvalues_follow_the_grammar() {
        for (text, q) in [
            ("0", Some(0)),
            ("0.", Some(0)),
            ("0.5", Some(500)),
            ("0.05", Some(50)),
            ("0.001", Some(1)),
            ("1", Some(1000)),
            ("1.000", Some(1000)),
            ("1.001", None),
            ("0.0001", None),
            ("2", None),
            ("-1", None),
            ("inf", None),
            ("NaN", None),
            ("1e0", None),
            ("", None),
            (".5", None),
            ("0.+1", None),
        ] {
            assert_eq!(qvalue(text), q, "{text:?}");
        }
        let r = accept("application/jwt;Q=0.25;level=1, text/plain; q = 0.5");
        assert_eq!(quality_of(&r, "application/jwt"), Some(250));
        assert_eq!(quality_of(&r, "text/plain"), Some(500));
    }

    #[test]
    fn the_most_specific_range_decides() {
        let r = accept("application/statuslist+jwt;q=0, */*");
        assert_eq!(quality(&r, "application/statuslist+jwt"), 0);
        assert_eq!(quality(&r, "application/json"), 1000);
        let r = accept("application/*;q=0.3, */*;q=0.9");
        assert_eq!(quality(&r, "application/json"), 300);
        assert_eq!(quality(&r, "text/html"), 900);
        let r = accept("text/html");
        assert_eq!(
            quality(&r, "application/json"),
            0,
            "not named: not acceptable"
        );
        assert_eq!(
            quality(&[], "application/json"),
            FULL,
            "no Accept: anything"
        );
    }
}
