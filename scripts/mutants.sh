#!/usr/bin/env bash
# Mutation testing (issue #20) with cargo-mutants, in three sets:
#   proof     oid4vci-proof's checks and key sources (checks.rs, source.rs)
#   sessions  the session steps (oid4vci-issuer src/machine/, the diagram generator excepted)
#             and the memory store's compare-and-swap paths
#   stores    the SQLite and PostgreSQL stores' compare-and-swap paths: insert, update, commit
#             (version check, lookup keys, status entries), nonce consumption, status reservation
# Each mutant is tested with the mutated crate's own tests (the stores' include the contract
# suites; PostgreSQL's start a throwaway server). Prints caught / missed / unviable per set;
# the missed list is in <out>/<set>/mutants.out/missed.txt. Not run by CI (on 2 cores: about 12
# minutes for `proof`, 30 for `sessions`, an hour for `stores`, whose timeouts wait 5 minutes each).
# Re-test only what a run missed with `cargo mutants --iterate -o <that run's dir> …`.
#   cargo install cargo-mutants --locked
#   scripts/mutants.sh [out-dir] [set ...]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/tmp/oid4vci-mutants}"
shift || true
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(proof sessions stores)
export CARGO_INCREMENTAL=0
# No debug info: the mutants are built once each, and linking dominates.
export CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0
cas='(update_on|commit_on|consume_nonce_on|insert_on|insert_lookups|replace_lookups|version_column|is_constraint_violation|session_exists|reserve_on|set_on|>::commit|>::update|>::insert|>::consume_nonce|>::reserve_statuses|>::set_status|Worker<.*>::(add_write|begin|commit|finish)|commit_error|write_error)'
run() {
  local set="$1"
  shift
  mkdir -p "$out/$set"
  cargo mutants --baseline skip --timeout 300 -o "$out/$set" "$@" || true
}
for set in "${sets[@]}"; do
  case "$set" in
    proof) run proof -p oid4vci-proof -f checks.rs -f source.rs ;;
    sessions)
      run sessions -p oid4vci-issuer \
        -f 'crates/oid4vci-issuer/src/machine/*.rs' -f crates/oid4vci-issuer/src/store/memory.rs \
        -e '**/diagram.rs' \
        -F 'machine/[a-z_]+\.rs|memory\.rs.*(check_write|index_is_free|unindex|reindex|Inner::write|>::insert|>::update|>::commit|>::consume_nonce)' ;;
    stores)
      run stores-sqlite -p oid4vci-store-sqlite -F "$cas"
      run stores-postgres -p oid4vci-store-postgres -F "$cas" ;;
    *) echo "unknown set: $set" >&2; exit 2 ;;
  esac
done
for set in "$out"/*/; do
  [ -f "$set/mutants.out/outcomes.json" ] || continue
  printf '%-18s caught %4s  missed %4s  unviable %4s  timeout %4s\n' "$(basename "$set")" \
    "$(wc -l <"$set/mutants.out/caught.txt")" "$(wc -l <"$set/mutants.out/missed.txt")" \
    "$(wc -l <"$set/mutants.out/unviable.txt")" "$(wc -l <"$set/mutants.out/timeout.txt")"
done
