#!/usr/bin/env bash
# A throw-away SoftHSM2 token for tests and benches.
#
#   softhsm-token.sh ensure        install the Debian `softhsm2` package if missing (needs root),
#                                  then print the PKCS#11 module's path
#   softhsm-token.sh init DIR LABEL
#                                  write DIR/softhsm2.conf (tokens under DIR/tokens) and
#                                  initialise a token LABEL in the first free slot; the user PIN
#                                  is read from standard input (one line), the SO PIN is random
#                                  and thrown away. Prints the configuration file's path: point
#                                  SOFTHSM2_CONF at it.
#
# Keys are generated inside the token by the caller (C_GenerateKeyPair through the library),
# never imported. Exit status 3 means "cannot be had here" (not root and no package): callers
# report their tests skipped with the reason printed on standard error.
set -euo pipefail

LOCK=/tmp/oid4vci-softhsm-install.lock

die_unavailable() { echo "$*" >&2; exit 3; }

module() {
    local m
    for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*-linux-gnu/softhsm/libsofthsm2.so; do
        if [[ -f "$m" ]]; then echo "$m"; return 0; fi
    done
    return 1
}

ensure() {
    if module >/dev/null && command -v softhsm2-util >/dev/null; then module; return 0; fi
    [[ $(id -u) -eq 0 ]] || die_unavailable "softhsm2 is not installed and installing it needs root"
    command -v apt-get >/dev/null || die_unavailable "softhsm2 is not installed and there is no apt-get"
    (
        flock 9
        if ! module >/dev/null; then
            export DEBIAN_FRONTEND=noninteractive
            apt-get install -y -q softhsm2 >&2 \
                || { apt-get update -q >&2 && apt-get install -y -q softhsm2 >&2; } \
                || die_unavailable "apt-get install softhsm2 failed"
        fi
    ) 9>"$LOCK"
    module || die_unavailable "softhsm2 installed but its module was not found"
}

init() {
    local dir=$1 label=$2 pin so_pin
    ensure >/dev/null
    IFS= read -r pin
    so_pin=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    mkdir -p "$dir/tokens"
    printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
        "$dir" >"$dir/softhsm2.conf"
    SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free --label "$label" \
        --pin "$pin" --so-pin "$so_pin" >&2
    echo "$dir/softhsm2.conf"
}

case "${1:-}" in
    ensure) ensure ;;
    init) [[ $# -eq 3 ]] || { echo "usage: $0 init DIR LABEL" >&2; exit 2; }; init "$2" "$3" ;;
    *) echo "usage: $0 ensure | init DIR LABEL" >&2; exit 2 ;;
esac
