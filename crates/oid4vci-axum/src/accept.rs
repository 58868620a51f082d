//! The `Accept` header as media ranges with their quality values (RFC 9110 §12.5.1).

use axum::http::{header, HeaderMap};

/// Every media range of the request's `Accept` headers with its `q` (1 when absent; a value
/// that does not parse counts as 0, refusing the range). Empty when there is no `Accept`.
pub(crate) fn ranges(headers: &HeaderMap) -> Vec<(String, f32)> {
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
                .filter_map(|p| p.trim().strip_prefix("q="))
                .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                .next()
                .unwrap_or(1.0);
            Some((media, q))
        })
        .collect()
}

/// The highest quality the request gives to exactly `media` (wildcards not counted), if named.
pub(crate) fn quality_of(ranges: &[(String, f32)], media: &str) -> Option<f32> {
    ranges
        .iter()
        .filter(|(m, _)| m.eq_ignore_ascii_case(media))
        .map(|(_, q)| *q)
        .reduce(f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &'static str) -> Vec<(String, f32)> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        ranges(&headers)
    }

    #[test]
    fn ranges_carry_their_quality() {
        let r = accept("application/JWT;q=0.5, application/json, */*;q=0, text/html;q=x");
        assert_eq!(quality_of(&r, "application/jwt"), Some(0.5));
        assert_eq!(quality_of(&r, "application/json"), Some(1.0));
        assert_eq!(quality_of(&r, "*/*"), Some(0.0));
        assert_eq!(
            quality_of(&r, "text/html"),
            Some(0.0),
            "an unparsable q refuses"
        );
        assert_eq!(quality_of(&r, "image/png"), None);
        assert!(ranges(&HeaderMap::new()).is_empty());
    }
}
