#!/usr/bin/env bash
# Mutation testing of the checks that decide a wallet's fate (issue #20): cargo-mutants on
# oid4vci-proof's checks and key sources. Prints caught / missed / unviable; the missed list
# is in <out>/mutants.out/missed.txt. Not run by CI (about 12 minutes on 2 cores).
#   cargo install cargo-mutants --locked
#   scripts/mutants.sh [out-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/tmp/oid4vci-mutants}"
export CARGO_INCREMENTAL=0
cargo mutants -p oid4vci-proof -f checks.rs -f source.rs --baseline skip --timeout 300 -o "$out"
