//! Placeholder until the proof crate's benchmark lands.
fn main() {}
