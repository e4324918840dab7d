#!/usr/bin/env bash
# Install (Debian package) and start a local PostgreSQL for the store's tests, then print the
# URL to export as BAYTWIN_TEST_PG_URL. Listens on loopback only. Safe to run twice.
# `postgres-for-tests.sh stop` stops the server again.
#
# The server is a daemon: it must not inherit this script's standard output or error, or a
# caller reading them (`URL=$(...)`, a CI log pipe) would wait for it forever.
set -euo pipefail
exec 3>&1 1>&2  # only the URL goes to standard output
log=/var/log/postgresql/baytwin-tests.log

installed_version() { ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1; }

if [ "${1:-start}" = stop ]; then
  version=$(installed_version)
  [ -n "$version" ] && pg_ctlcluster "$version" main stop </dev/null >/dev/null 2>&1 3>&- || true
  exit 0
fi

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null >/dev/null 3>&-
  apt-get install -y -qq postgresql </dev/null >/dev/null 3>&-
fi
version=$(installed_version)
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then
  pg_createcluster "$version" main </dev/null >/dev/null 3>&-
fi
mkdir -p "$(dirname "$log")"
pg_ctlcluster "$version" main start </dev/null >>"$log" 2>&1 3>&- || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
pg_isready -q -h 127.0.0.1 || { echo "PostgreSQL did not start; see $log" ; exit 1; }
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_roles WHERE rolname='baytwin'\"" 3>&- | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE baytwin LOGIN PASSWORD 'baytwin' CREATEDB\"" 3>&-
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_database WHERE datname='baytwin_test'\"" 3>&- | grep -q 1 \
  || su postgres -c "createdb -O baytwin baytwin_test" 3>&-
echo "postgresql+psycopg://baytwin:baytwin@127.0.0.1:5432/baytwin_test" >&3
