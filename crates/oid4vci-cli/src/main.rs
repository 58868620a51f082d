//! The `oid4vci` command line tool (work in progress).
#![forbid(unsafe_code)]
fn main() {}
