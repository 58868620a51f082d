#!/usr/bin/env bash
# Builds the browser proof checker (web/proof-checker) into crates/oid4vci-cli/proof-check/
# (embedded in `oid4vci serve`, and a self-contained folder a static host can publish):
# oid4vci-proof on the pure-Rust backend compiled to wasm32-unknown-unknown, bound with
# wasm-bindgen (--target web), beside the static page. The build is reproducible: paths are
# remapped, the toolchain and wasm-bindgen are pinned (rust-toolchain of this machine, the
# wasm-bindgen version in web/proof-checker/Cargo.toml).
#
#   build-proof-checker.sh           build into crates/oid4vci-cli/proof-check/ (commit it)
#   build-proof-checker.sh --check   build into a temporary folder and compare it with the
#                                    committed folder, byte for byte (what CI runs)
#
# Installs what it needs when missing: the wasm32-unknown-unknown target (rustup), clang (the
# Debian package, for ring's C code) and wasm-bindgen-cli (cargo install, into
# <target dir>/tools). Exit status 3: a tool cannot be had here (the caller reports a skip).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
crate="$root/web/proof-checker"
target="${CARGO_TARGET_DIR:-$root/target}"
tools="$target/tools"
export CARGO_INCREMENTAL=0
unavailable() { echo "build-proof-checker.sh: $*" >&2; exit 3; }

version=$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' "$crate/Cargo.toml")
[[ -n "$version" ]] || { echo "no pinned wasm-bindgen version in $crate/Cargo.toml" >&2; exit 1; }

mkdir -p "$target"
exec 9>"$target/.proof-checker.lock"
flock 9

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown >&2 || unavailable "cannot add the wasm32-unknown-unknown target"
fi
if ! command -v clang >/dev/null; then
    [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null || unavailable "clang is missing and cannot be installed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang >&2 \
        || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang >&2; } \
        || unavailable "apt-get install clang failed"
fi
bindgen="$tools/bin/wasm-bindgen"
if [[ "$(wasm-bindgen --version 2>/dev/null)" == "wasm-bindgen $version" ]]; then
    bindgen="$(command -v wasm-bindgen)"
elif ! [[ -x "$bindgen" ]] || [[ "$("$bindgen" --version)" != "wasm-bindgen $version" ]]; then
    cargo install --quiet wasm-bindgen-cli --version "=$version" --root "$tools" >&2 \
        || unavailable "cargo install wasm-bindgen-cli $version failed"
fi

out="$root/crates/oid4vci-cli/proof-check"
if [[ "${1:-}" == "--check" ]]; then
    out="$(mktemp -d)/dist"
    trap 'rm -rf "$(dirname "$out")"' EXIT
fi
# Cargo hashes the absolute path of path dependencies outside a workspace into symbol names,
# which changes the layout of the module: build from a copy of the tracked files (as they are in
# the working tree) at a fixed path.
src=/tmp/oid4vci-proof-checker-src
rm -rf "$src"
mkdir -p "$src"
(cd "$root" && git ls-files -z | tar --null --no-recursion -T - -cf -) | tar -C "$src" -xf -
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$src=/oid4vci-rs"
(cd "$src/web/proof-checker" && CARGO_TARGET_DIR="$target/proof-checker" \
    cargo build --quiet --locked --release --target wasm32-unknown-unknown)
rm -rf "$out"
mkdir -p "$out/pkg"
"$bindgen" --target web --no-typescript --out-dir "$out/pkg" \
    "$target/proof-checker/wasm32-unknown-unknown/release/oid4vci_proof_wasm.wasm"
cp "$crate/static/"* "$out/"

if [[ "${1:-}" == "--check" ]]; then
    if ! diff -r "$root/crates/oid4vci-cli/proof-check" "$out" >&2; then
        echo "crates/oid4vci-cli/proof-check differs from a build of the sources: run scripts/build-proof-checker.sh and commit crates/oid4vci-cli/proof-check/" >&2
        exit 1
    fi
    echo "crates/oid4vci-cli/proof-check matches the sources"
else
    echo "$out"
fi
