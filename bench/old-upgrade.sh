#!/usr/bin/env bash
# The "old script" Skiff replaces: load the new image from the zip, destroy the old container, run the new one.
# Usage: old-upgrade.sh NEW.tar.gz IMAGE CONTAINER NETWORK PORT STOP_TIMEOUT
# With OLD_SCRIPT_TRACE=<file>, each step's end is appended there as "<step> <epoch ms>" (the install row's phase table).
set -euo pipefail
tarball=$1 image=$2 name=$3 network=$4 port=$5 stop=$6
mark() { if [ -n "${OLD_SCRIPT_TRACE:-}" ]; then echo "$1 $(date +%s%3N)" >>"$OLD_SCRIPT_TRACE"; fi; }
mark script-start
docker load -q -i "$tarball" >/dev/null
mark loaded
docker stop -t "$stop" "$name" >/dev/null 2>&1 || true
docker rm "$name" >/dev/null 2>&1 || true
mark removed
docker run -d --name "$name" --network "$network" -p "127.0.0.1:$port:8080" -e HOST=0.0.0.0 "$image" >/dev/null
mark started
