#!/usr/bin/env bash
# Starts the Docker Engine the way Skiff's tests expect it (default bridge off), unless one already answers.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-dockerd: dockerd is not installed: install docker.io (apt-get install docker.io)" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "start-dockerd: Docker Engine is not running and starting it needs root: run this script as root" >&2
  exit 1
fi

log=/var/log/skiff-dockerd.log
nohup dockerd --bridge=none --iptables=false --ip-masq=false >>"$log" 2>&1 </dev/null &

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "start-dockerd: Docker Engine did not answer within 30 s: see $log" >&2
exit 1
