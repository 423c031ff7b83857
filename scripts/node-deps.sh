#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing or was installed from another lockfile. The lockfile's
# hash is recorded at install: a file time would say "stale" after every fresh checkout of an unchanged lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(sha256sum package-lock.json | cut -d' ' -f1)
have=$(cat node_modules/.skiff-lockfile-sha256 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  npm ci --no-audit --no-fund
  echo "$want" >node_modules/.skiff-lockfile-sha256
fi
