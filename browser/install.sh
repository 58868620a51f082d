#!/usr/bin/env bash
# Installs what the browser test needs: Debian's `chromium` (when /usr/bin/chromium is missing)
# and the pinned `playwright-core` into browser/node_modules. Idempotent. Exit status 2 means
# "cannot be had on this machine" (the Rust test then prints SKIPPED with the reason).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if [ ! -x /usr/bin/chromium ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "browser/install.sh: /usr/bin/chromium is missing and apt-get is not available" >&2
    exit 2
  fi
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then as_root=(sudo -n); else
      echo "browser/install.sh: /usr/bin/chromium is missing and installing it needs root" >&2
      exit 2
    fi
  fi
  echo "browser: installing Debian chromium (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq ||
     ! "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium; then
    echo "browser/install.sh: apt-get could not install chromium" >&2
    exit 2
  fi
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "browser/install.sh: npm is not installed (Node.js >= 20 is needed)" >&2
  exit 2
fi
stamp="node_modules/.package-lock.json" # written by npm ci after a complete install
if [ -f "$stamp" ] && [ ! "package-lock.json" -nt "$stamp" ] && [ ! "package.json" -nt "$stamp" ]; then
  echo "browser: node_modules is up to date"
  exit 0
fi
echo "browser: installing pinned npm packages (npm ci)"
if ! npm ci --no-audit --no-fund --loglevel=error; then
  echo "browser/install.sh: npm ci failed in $here (is the npm registry reachable?)" >&2
  exit 2
fi
touch "$stamp"
