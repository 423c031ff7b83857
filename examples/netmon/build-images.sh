#!/usr/bin/env bash
# Builds the sample app's images into the local Docker Engine, as a vendor's CI would:
#   build-images.sh VERSION [broken]   → skiff-example/netmon-web:dev and skiff-example/netmon-probe:dev
# The base image is Debian's busybox-static imported as a root filesystem (no registry needed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=${1:?usage: build-images.sh VERSION [broken]}
export DOCKER_BUILDKIT=0
if ! docker image inspect skiff-example/base:1 >/dev/null 2>&1; then
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/results"
  cp /bin/busybox "$root/bin/busybox"
  for c in sh httpd wget sleep cat echo date tail kill sed ls mkdir; do ln -s busybox "$root/bin/$c"; done
  tar --numeric-owner --mtime=@0 --sort=name -C "$root" -cf - . | docker import - skiff-example/base:1 >/dev/null
  rm -rf "$root"
fi
ctx=$(mktemp -d)
cp -r "$here/web/." "$ctx/"
mkdir -p "$ctx/www"
echo "$version" > "$ctx/www/VERSION"
# A broken build forgets the health endpoint: the agent must roll it back by itself.
[ "${2:-}" = broken ] || echo ok > "$ctx/www/healthz"
build() { # quiet unless it fails (the legacy builder warns on every run)
  local log; log=$(mktemp)
  docker build -q -t "$1" "$2" >/dev/null 2>"$log" || { cat "$log" >&2; rm -f "$log"; exit 1; }
  rm -f "$log"
}
build skiff-example/netmon-web:dev "$ctx"
rm -rf "$ctx"
build skiff-example/netmon-probe:dev "$here/probe"
