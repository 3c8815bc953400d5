#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server on a private port, then stop it.
# Exports CURATOR_TEST_POSTGRES_URL for the tests (each test makes its own database).
set -euo pipefail
bindir=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
port=${CURATOR_PG_PORT:-55432}
data=$(mktemp -d /tmp/curator-pg.XXXXXX)
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root: use the postgres system user the package creates.
  id postgres >/dev/null 2>&1 || useradd --system --home "$data" postgres
  chown postgres "$data"
  run_as=(runuser -u postgres --)
fi
cleanup() {
  "${run_as[@]}" "$bindir/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT
"${run_as[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
"${run_as[@]}" "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w \
  -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
export CURATOR_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
export CURATOR_REQUIRE_POSTGRES=1
set +e
"$@"
status=$?
exit $status
