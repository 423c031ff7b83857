#!/usr/bin/env bash
# `npm test`: installs what the suite needs, starts the real components it runs against, then lint,
# typecheck and every test with Node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prepare.sh
bash scripts/start-postgres.sh >/dev/null
npx eslint .
npx tsc --noEmit
npx tsc --noEmit -p web
shopt -s globstar
node --import tsx --test --test-concurrency=2 --test-timeout=900000 test/**/*.test.ts
