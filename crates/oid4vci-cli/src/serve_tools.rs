//! `GET /tools/proof-check/`: the browser proof checker, embedded in the binary. The folder
//! `proof-check/` is built from `web/proof-checker` by `scripts/build-proof-checker.sh` and
//! committed (CI checks it matches the sources); the same folder can be published as is by any
//! static host. The page runs the proof rules of `oid4vci proof check` in WebAssembly: nothing
//! pasted into it is sent to the server.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// Where the checker is served.
pub const PATH: &str = "/tools/proof-check/";

/// The files: (name, content type, bytes).
const FILES: [(&str, &str, &[u8]); 5] = [
    (
        "",
        "text/html; charset=utf-8",
        include_bytes!("../proof-check/index.html"),
    ),
    (
        "checker.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../proof-check/checker.js"),
    ),
    (
        "checker.css",
        "text/css; charset=utf-8",
        include_bytes!("../proof-check/checker.css"),
    ),
    (
        "pkg/oid4vci_proof_wasm.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../proof-check/pkg/oid4vci_proof_wasm.js"),
    ),
    (
        "pkg/oid4vci_proof_wasm_bg.wasm",
        "application/wasm",
        include_bytes!("../proof-check/pkg/oid4vci_proof_wasm_bg.wasm"),
    ),
];

/// The page's policy: its own scripts and WebAssembly only, no framing, nothing sent out.
const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

fn file(name: &'static str) -> Response {
    let Some((_, content_type, bytes)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = (*bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The routes: the page, its files, and `/tools/proof-check` redirecting to the page.
pub fn router() -> Router {
    let mut router = Router::new().route(
        "/tools/proof-check",
        get(|| async { Redirect::permanent(PATH) }),
    );
    for (name, _, _) in FILES {
        router = router.route(
            &format!("{PATH}{name}"),
            get(move || async move { file(name) }),
        );
    }
    router
}
