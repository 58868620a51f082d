//! The OpenAPI 3.1 description of every route of [`crate::router`] and [`crate::admin_router`]
//! (`src/openapi.json`), served by [`openapi_router`] at `GET /openapi.json`. A test compares
//! it with the routes in this crate's source and probes every described operation, so the two
//! cannot drift apart.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

const DOCUMENT: &str = include_str!("openapi.json");

/// The description, with `server_url` as its one server when given.
pub fn openapi(server_url: Option<&str>) -> Value {
    let mut document: Value = serde_json::from_str(DOCUMENT).unwrap_or(Value::Null);
    if let (Some(url), Some(map)) = (server_url, document.as_object_mut()) {
        map.insert("servers".into(), json!([{ "url": url }]));
    }
    document
}

/// `GET /openapi.json`: [`openapi`] for `server_url`.
pub fn openapi_router(server_url: Option<&str>) -> Router {
    let document = openapi(server_url);
    Router::new().route("/openapi.json", get(move || async move { Json(document) }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_description_parses() {
        let document = super::openapi(Some("https://issuer.example.com"));
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(document["servers"][0]["url"], "https://issuer.example.com");
        assert!(document["paths"].as_object().is_some_and(|p| p.len() > 15));
    }
}
