#!/usr/bin/env bash
# What every entry point needs first: Debian packages, npm packages, the built CLI, a running Docker Engine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
bash scripts/node-deps.sh
npm run --silent build
bash scripts/start-dockerd.sh
