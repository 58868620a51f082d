#!/usr/bin/env bash
# Installs the Python test tools (schemathesis, openapi-spec-validator, kubernetes-validate,
# prometheus_client; versions pinned in scripts/python-tools.lock) into a virtual environment and
# prints its bin directory.
# Idempotent: installs only when the environment is missing or older than the lock file.
# The environment lives in $OID4VCI_PYTHON_TOOLS, default <target dir>/python-tools.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${OID4VCI_PYTHON_TOOLS:-${CARGO_TARGET_DIR:-$root/target}/python-tools}"
lock="$root/scripts/python-tools.lock"
mkdir -p "$(dirname "$venv")"
# Tests run in parallel: one install at a time, the others wait and find it done.
exec 9>"$venv.lock"
flock 9
stamp="$venv/.installed"
if [ -f "$stamp" ] && [ ! "$lock" -nt "$stamp" ]; then
  echo "$venv/bin"
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "scripts/python-tools.sh: python3 (>= 3.10) is needed for the OpenAPI tests" >&2
  exit 1
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$lock" >&2; then
  echo "scripts/python-tools.sh: pip install failed (is PyPI reachable?)" >&2
  exit 1
fi
touch "$stamp"
echo "$venv/bin"
