#!/usr/bin/env bash
# Installs the pinned npm packages of the interop wallet into interop/node_modules.
# Idempotent: runs `npm ci` only when node_modules is missing or older than
# package-lock.json (or package.json). Touches nothing outside interop/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v node >/dev/null 2>&1; then
  echo "interop/install.sh: node is not installed or not on PATH; the interop tests need Node.js >= 20 (https://nodejs.org)" >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "interop/install.sh: npm is not installed or not on PATH; it comes with Node.js >= 20" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "interop/install.sh: Node.js $(node --version) is too old; the interop wallet needs Node.js >= 20" >&2
  exit 1
fi

# Tests run in parallel and each calls this script: one install at a time, the others wait and
# then find node_modules up to date.
exec 9>"$here/.install.lock"
flock 9

stamp="node_modules/.package-lock.json" # written by npm ci after a complete install
if [ -f "$stamp" ] && [ ! "package-lock.json" -nt "$stamp" ] && [ ! "package.json" -nt "$stamp" ]; then
  echo "interop: node_modules is up to date"
  exit 0
fi

echo "interop: installing pinned npm packages (npm ci)"
if ! npm ci --no-audit --no-fund --loglevel=error; then
  echo "interop/install.sh: npm ci failed in $here (is the npm registry reachable?)" >&2
  exit 1
fi
# npm ci preserves the lockfile's mtime; make the stamp newer so the next run skips.
touch "$stamp"
echo "interop: installed $(node -p 'require("./node_modules/@openid4vc/openid4vci/package.json").version') of @openid4vc/openid4vci"
