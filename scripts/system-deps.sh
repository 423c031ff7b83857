#!/usr/bin/env bash
# Installs the Debian packages Skiff's quick start and tests use, when any is missing (needs root).
set -euo pipefail

packages=(docker.io skopeo docker-registry postgresql busybox-static curl tinyproxy openssl binutils ca-certificates systemd prometheus rsyslog rsyslog-gnutls python3-aiosmtpd zstd chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing Debian packages: ${missing[*]}: run as root, or apt-get install them" >&2
  exit 1
fi
echo "installing ${missing[*]} …" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
