#!/usr/bin/env bash
# A throw-away PostgreSQL for tests and benches, on 127.0.0.1 only.
#
#   pg-test-server.sh ensure              install the Debian `postgresql` package if missing
#                                         (needs root), then print the server's bin directory
#   pg-test-server.sh init DIR            initdb into DIR/data (trust auth, superuser `postgres`)
#   pg-test-server.sh run DIR PORT [-c name=value]...
#                                         start the server on DIR/data, print `READY` once it
#                                         accepts connections, then serve until standard input
#                                         closes (the parent exited, or dropped its guard), and
#                                         shut down fast. Never daemonises: nothing outlives
#                                         the parent. DIR is removed afterwards when it holds
#                                         a file named `remove-on-exit`.
#
# As root, the server runs as the unprivileged system user `postgres` (created if missing), DIR
# chowned to it. Exit status 3 means "cannot be had here" (not root and no package): callers
# report their tests skipped with the reason printed on standard error.
set -euo pipefail

RUN_AS=postgres
LOCK=/tmp/oid4vci-pg-test-install.lock

die_unavailable() { echo "$*" >&2; exit 3; }

bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$d" && -x "$d/postgres" && -x "$d/initdb" ]]; then echo "$d"; return 0; fi
    if command -v postgres >/dev/null && command -v initdb >/dev/null; then
        dirname "$(command -v postgres)"; return 0
    fi
    return 1
}

ensure() {
    if d=$(bindir); then echo "$d"; return 0; fi
    [[ $(id -u) -eq 0 ]] || die_unavailable "postgresql is not installed and installing it needs root"
    command -v apt-get >/dev/null || die_unavailable "postgresql is not installed and there is no apt-get"
    (
        flock -w 1200 9 || die_unavailable "timed out waiting for another postgresql install"
        if ! bindir >/dev/null; then
            echo "pg-test-server: installing the Debian postgresql package (once)" >&2
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq >&2 || die_unavailable "apt-get update failed"
            apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql >&2 \
                || die_unavailable "apt-get install postgresql failed"
        fi
    ) 9>"$LOCK"
    bindir || die_unavailable "postgresql was installed but its binaries were not found"
}

# Runs (execs, no intermediate process) a command as the server user when we are root.
as_server_user() {
    if [[ $(id -u) -eq 0 ]]; then
        exec setpriv --reuid="$RUN_AS" --regid="$RUN_AS" --init-groups -- "$@"
    else
        exec "$@"
    fi
}

prepare_user() {
    [[ $(id -u) -eq 0 ]] || return 0
    if ! id "$RUN_AS" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS" \
            || die_unavailable "cannot create the system user $RUN_AS"
    fi
    chown -R "$RUN_AS" "$1"
}

cmd=${1:-}
case "$cmd" in
ensure)
    ensure
    ;;
init)
    dir=${2:?usage: init DIR}
    bin=$(ensure)
    mkdir -p "$dir"
    prepare_user "$dir"
    (as_server_user "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 --no-sync) >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    ;;
run)
    dir=${2:?usage: run DIR PORT}
    port=${3:?usage: run DIR PORT}
    shift 3
    bin=$(ensure)
    prepare_user "$dir"
    # $! is the postmaster itself (as_server_user execs), so signals reach it.
    (as_server_user "$bin/postgres" -D "$dir/data" -p "$port" -h 127.0.0.1 \
        -c unix_socket_directories= -c max_connections=200 -c logging_collector=off "$@") \
        </dev/null >>"$dir/server.log" 2>&1 &
    server=$!
    stop() {
        # SIGINT: fast shutdown (abort sessions, checkpoint, exit).
        kill -INT "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        # A server whose owner never cleans up (a process-wide test server) asks us to.
        if [[ -e "$dir/remove-on-exit" ]]; then rm -rf "$dir"; fi
    }
    trap stop EXIT
    trap 'exit 1' INT TERM HUP
    for _ in $(seq 1 300); do
        if ! kill -0 "$server" 2>/dev/null; then
            echo "pg-test-server: the server exited during start-up:" >&2
            tail -n 20 "$dir/server.log" >&2
            exit 1
        fi
        if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then
            echo READY
            # Serve until the parent closes our standard input (or dies).
            cat >/dev/null || true
            exit 0
        fi
        sleep 0.1
    done
    echo "pg-test-server: the server did not accept connections within 30 s" >&2
    tail -n 20 "$dir/server.log" >&2
    exit 1
    ;;
*)
    echo "usage: $0 ensure | init DIR | run DIR PORT [-c name=value]..." >&2
    exit 2
    ;;
esac
