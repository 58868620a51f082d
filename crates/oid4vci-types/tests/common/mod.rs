//! Helpers shared by the integration tests: where the external vectors live and how to read them.
#![allow(dead_code)]

use std::path::PathBuf;

/// `testdata/` at the repository root (copies of the external vectors, see its PROVENANCE.md).
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

pub fn read(relative: &str) -> String {
    let path = vectors_dir().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The JSON body of a vector file: HTTP headers dropped, and the line breaks the spec's examples
/// put inside long string values (display artefacts) removed.
pub fn json_body(text: &str) -> String {
    let text = text.trim_start();
    let body = if text.starts_with("HTTP/") {
        // Headers end at the first line that is blank once trimmed.
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            offset += line.len();
            if line.trim().is_empty() {
                break;
            }
        }
        text.get(offset..).unwrap_or_default()
    } else {
        text
    };
    let mut out = String::with_capacity(body.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else if c == '\n' {
                while chars.peek().is_some_and(|n| *n == ' ') {
                    chars.next();
                }
                continue;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    out
}

pub fn inline_examples() -> serde_json::Value {
    serde_json::from_str(&read("messages/spec/oid4vci_inline_examples.json"))
        .expect("inline examples are JSON")
}
