#!/usr/bin/env bash
# A fuzzing campaign over every cargo-fuzz target: each runs SECONDS (default 600), FUZZ_JOBS (2) at a
# time, from its committed corpus into a scratch one; then prints per target the executions,
# the coverage (libFuzzer's `cov` edges and `ft` features) and the crashes. Crash inputs stay
# in fuzz/artifacts/<target>/. Not run by CI (see fuzz/README.md); needs cargo-fuzz and nightly.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
scratch="${FUZZ_SCRATCH:-/tmp/oid4vci-fuzz}"
mkdir -p "$scratch"
export CARGO_INCREMENTAL=0
cargo +nightly fuzz build -s none -a >/dev/null
run_one() {
  local t="$1" seconds="$2" scratch="$3"
  mkdir -p "$scratch/$t"
  cargo +nightly fuzz run -s none -a "$t" "$scratch/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096 \
    >"$scratch/$t.log" 2>&1 || true
}
export -f run_one
printf '%s\n' "${targets[@]}" | xargs -P "${FUZZ_JOBS:-2}" -I{} bash -c 'run_one "$@"' _ {} "$seconds" "$scratch"
printf '%-26s %14s %8s %8s %8s\n' target executions cov ft crashes
for t in "${targets[@]}"; do
  log="$scratch/$t.log"
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || echo "?")
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || echo "?")
  crashes=$(find "artifacts/$t" -type f 2>/dev/null | wc -l)
  printf '%-26s %14s %8s %8s %8s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
done
