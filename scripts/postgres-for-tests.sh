#!/usr/bin/env bash
# Install (Debian package) and start a local PostgreSQL for the store's tests, then print the
# URL to export as BAYTWIN_TEST_PG_URL. Listens on loopback only. Safe to run twice.
set -euo pipefail
exec 3>&1 1>&2  # only the URL goes to standard output
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_roles WHERE rolname='baytwin'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE baytwin LOGIN PASSWORD 'baytwin' CREATEDB\""
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_database WHERE datname='baytwin_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O baytwin baytwin_test"
echo "postgresql+psycopg://baytwin:baytwin@127.0.0.1:5432/baytwin_test" >&3
