#!/usr/bin/env bash
# `npm run quickstart`: the whole path on this machine, with embedded defaults. It installs what is missing,
# starts the Docker Engine if none answers, builds the sample app, creates signed releases, writes bundles,
# installs with the agent, upgrades with a delta, shows a broken upgrade rolling back by itself, and says
# where the app answers. Work files go to $SKIFF_QUICKSTART_DIR (default .quickstart/ in the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prepare.sh

dir=${SKIFF_QUICKSTART_DIR:-$PWD/.quickstart}
skiff() { node bin/skiff.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
page() { wget -q -O - "http://127.0.0.1:18480/" 2>/dev/null | sed -n 's:.*<h1>\(.*\)</h1>.*:\1:p' || true; }

# A previous run's app is removed first, so the quick start always starts from nothing.
docker rm -f netmon-web-1 netmon-probe-1 >/dev/null 2>&1 || true
docker volume rm netmon_results >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir"

step "vendor: trust root and release-signing key"
skiff trust init --dir "$dir/trust"

for v in 1.0.0 1.1.0 1.2.0; do
  step "vendor: build netmon $v and create the signed release"
  if [ "$v" = 1.2.0 ]; then bash examples/netmon/build-images.sh "$v" broken; else bash examples/netmon/build-images.sh "$v"; fi
  skiff release create --compose examples/netmon/compose.yaml --app netmon --version "$v" --trust "$dir/trust" --store "$dir/store"
done

step "vendor: bundles (1.0.0 full; 1.1.0 and 1.2.0 as deltas)"
skiff bundle create --store "$dir/store" netmon@1.0.0 -o "$dir/netmon-1.0.0.skiff"
skiff bundle create --store "$dir/store" netmon@1.1.0 --from netmon@1.0.0 -o "$dir/netmon-1.1.0.skiff"
skiff bundle create --store "$dir/store" netmon@1.2.0 --from netmon@1.1.0 -o "$dir/netmon-1.2.0.skiff"

step "customer site: verify and install 1.0.0"
skiff bundle verify --trust "$dir/trust/root.json" "$dir/netmon-1.0.0.skiff"
skiff agent install "$dir/netmon-1.0.0.skiff" --state "$dir/agent" --trust "$dir/trust/root.json" --stop-timeout 5
echo "the app answers: $(page)"

step "customer site: upgrade to 1.1.0 (delta bundle)"
skiff agent install "$dir/netmon-1.1.0.skiff" --state "$dir/agent" --stop-timeout 5
echo "the app answers: $(page)"

step "customer site: upgrade to 1.2.0, whose health check fails: the agent rolls back by itself"
if skiff agent install "$dir/netmon-1.2.0.skiff" --state "$dir/agent" --stop-timeout 5 --health-timeout 30; then
  echo "quickstart: 1.2.0 should have failed its health check" >&2
  exit 1
fi
echo "the app answers: $(page)"

step "customer site: status"
skiff agent status --state "$dir/agent"

printf '\nnetmon is running: http://127.0.0.1:18480/  (probe results: http://127.0.0.1:18480/results/last.txt)\n'
printf 'state: %s/agent — try: bin/skiff agent status --state %s/agent\n' "$dir" "$dir"
printf 'next: export PATH="$PWD/bin:$PATH" puts skiff on your PATH; then try the hub walkthrough in README.md\n'
