#!/usr/bin/env bash
# One release from CI, the steps both examples run: build the images, create the signed release (with its SBOM and
# signed build provenance: builder, CI run and commit from the CI's variables), push it to the hub (only the blobs
# the hub lacks), promote it into a channel.
#
# Environment:
#   SKIFF_HUB     hub URL, e.g. https://hub.example.com                      (required)
#   SKIFF_TOKEN   hub API token with release:push and channel:write           (required)
#   VERSION       release version; a leading "v" (a git tag) is dropped       (required)
#   SKIFF_TRUST   trust dir holding the release signing keys                  (required)
#   APP           app name on the hub                                          (default: netmon)
#   COMPOSE       the app's Compose file                                       (default: examples/netmon/compose.yaml)
#   SKIFF_STORE   content store the release is created in                     (default: .skiff-store)
#   CHANNEL       channel to promote into                                      (default: stable)
#   BUILD         command that builds the images into the local Docker Engine
#                 (default: examples/netmon/build-images.sh "$VERSION")
set -euo pipefail

: "${SKIFF_HUB:?set SKIFF_HUB to the hub URL}"
: "${SKIFF_TOKEN:?set SKIFF_TOKEN to a hub API token with release:push and channel:write}"
: "${SKIFF_TRUST:?set SKIFF_TRUST to the trust dir holding the release signing keys}"
version=${VERSION:?set VERSION to the release version, e.g. 1.2.0}
version=${version#v}
app=${APP:-netmon}
compose=${COMPOSE:-examples/netmon/compose.yaml}
store=${SKIFF_STORE:-.skiff-store}
channel=${CHANNEL:-stable}
export SKIFF_HUB SKIFF_TOKEN

echo "== build $app $version"
if [ -n "${BUILD:-}" ]; then
  bash -c "$BUILD"
else
  examples/netmon/build-images.sh "$version"
fi

echo "== create $app@$version"
skiff release create --compose "$compose" --app "$app" --version "$version" --trust "$SKIFF_TRUST" --store "$store" --provenance

echo "== push $app@$version to $SKIFF_HUB"
skiff release push --store "$store" "$app@$version"

echo "== promote $app@$version to $channel"
skiff channel promote "$app@$version" "$channel"
