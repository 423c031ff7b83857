#!/usr/bin/env bash
# Starts Debian's PostgreSQL 15 cluster and creates the skiff test role and database; safe to run twice.
set -euo pipefail

ROLE="${SKIFF_PG_ROLE:-skiff}"
PASSWORD="${SKIFF_PG_PASSWORD:-skiff}"
DATABASE="${SKIFF_PG_DATABASE:-skiff_test}"

if ! command -v pg_lsclusters >/dev/null; then
  echo "start-postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
if pg_lsclusters --no-header | awk '$1=="15" && $2=="main" {print $4}' | grep -q down; then
  pg_ctlcluster 15 main start
fi

psql_admin() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -tAq "$@"; }

for _ in $(seq 1 30); do
  psql_admin -c 'SELECT 1' >/dev/null 2>&1 && break
  sleep 1
done

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='${ROLE}'")" != "1" ]; then
  psql_admin -c "CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}' CREATEDB"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='${DATABASE}'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE ${DATABASE} OWNER ${ROLE}"
fi
echo "postgres://${ROLE}:${PASSWORD}@127.0.0.1:5432/${DATABASE}"
