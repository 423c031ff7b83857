#!/usr/bin/env bash
# `npm run bench`: builds the corpus, prepares releases and bundles, measures every figure against its peer in
# the same run, and writes bench/RESULTS.md. Work files go to a temp dir, removed at the end; the install
# figures remove the corpus images from the engine, so they are saved first and loaded back on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prepare.sh

# The peers and tools the figures use beyond the test set-up: GNU time (peak RSS), nginx (blob download, check-ins),
# wrk (check-ins), Chromium (the console's fleet page).
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v nginx >/dev/null || missing+=(nginx-light)
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for tool in docker skopeo gzip sha256sum openssl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing; install it (see bench/RESULTS.md for the machine)" >&2; exit 1; }
done
docker info >/dev/null 2>&1 || { echo "bench: the Docker Engine does not answer; start dockerd first" >&2; exit 1; }

echo "== corpus (../shared/bench/make-corpus.sh)"
bash ../shared/bench/make-corpus.sh

suffix=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/skiff-bench-XXXXXX")
BENCH_APP="benchnet-$suffix"
BENCH_NETWORK="skiff-bench-$suffix"
BENCH_STARTED=$(date -u +%FT%TZ)
# bench/delta.ts builds a rebuild-only release of netapp 1.0.0 (same sources, new build) for its row.
BENCH_DELTA_REBUILD=${BENCH_DELTA_REBUILD:-1}
export BENCH_WORK BENCH_APP BENCH_NETWORK BENCH_STARTED BENCH_DELTA_REBUILD
corpus=(skiff-bench/base:bookworm skiff-bench/netapp:1.0.0 skiff-bench/netapp:1.0.1 skiff-bench/netapp:1.1.0 skiff-bench/netapp:2.0.0 skiff-bench/collector:1.0.0)

cleanup() {
  local ids tags
  ids=$(docker ps -aq --filter "label=skiff.app=$BENCH_APP")
  if [ -n "$ids" ]; then docker rm -f $ids >/dev/null 2>&1 || true; fi
  docker rm -f "$BENCH_APP-oldscript" >/dev/null 2>&1 || true
  docker network rm "$BENCH_NETWORK" "${BENCH_APP}_default" >/dev/null 2>&1 || true
  # By tag, not id: the agent's tags share their image ids with the corpus.
  tags=$(docker images --format '{{.Repository}}:{{.Tag}}' --filter "reference=skiff/$BENCH_APP/*")
  if [ -n "$tags" ]; then docker rmi $tags >/dev/null 2>&1 || true; fi
  for tag in "${corpus[@]}"; do
    if ! docker image inspect "$tag" >/dev/null 2>&1; then
      echo "== loading the corpus back into the engine"
      docker load -q -i "$BENCH_WORK/corpus.tar" >/dev/null
      break
    fi
  done
  rm -rf "$BENCH_WORK"
}
trap cleanup EXIT

echo "== saving the corpus (the install figures remove it from the engine)"
docker save -o "$BENCH_WORK/corpus.tar" "${corpus[@]}"

# BENCH_ONLY="install verify-large" measures only those steps (setup always runs): RESULTS.md then holds only their rows.
wanted() { [ -z "${BENCH_ONLY:-}" ] || [ "$1" = setup ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }
docker network create "$BENCH_NETWORK" >/dev/null
for step in setup cli-start-up bundle-size delta release-create sbom scan bundle-create verify-throughput verify-large downtime downtime-unchanged snapshot-cost install install-load peak-rss; do
  wanted "$step" || continue
  echo "== $step"
  node --import tsx "bench/$step.ts"
done
# The hub's figures print their result rows on stdout.
for step in hub-blob-download hub-push hub-checkins log-ingest web-fleet; do
  wanted "$step" || continue
  echo "== $step"
  node --import tsx "bench/$step.ts" | grep '^{' >>"$BENCH_WORK/results.jsonl"
done
# The scheduler's cost must stay flat as the fleet grows: one row per size.
if wanted rollout; then
  for n in 1000 10000; do
    echo "== rollout ($n instances)"
    ROLLOUT_N=$n node --import tsx bench/rollout.ts | grep '^{' >>"$BENCH_WORK/results.jsonl"
  done
fi
echo "== write-results"
node --import tsx bench/write-results.ts
