#!/usr/bin/env bash
# Run the whole pytest suite twice: on SQLite, then on a throwaway PostgreSQL
# cluster (private socket directory, no TCP, removed on exit).
#   scripts/test.sh [pytest args...]   -- the args are passed to both runs.
# Run `make test`, not this directly (bootstrap.sh prepares .venv first).
set -euo pipefail

cd "$(dirname "$0")/.."

export DJANGO_ALLOW_ASYNC_UNSAFE=true   # Playwright's sync API runs an event loop
export DJANGO_SETTINGS_MODULE=clusterdesk.settings
PY=.venv/bin/python

if [[ ! -x "$PY" ]]; then
  echo "test: .venv is missing; use 'make test' (it runs scripts/bootstrap.sh test first)" >&2
  exit 1
fi

# One pytest worker per core (pytest-xdist); a test file stays on one worker so its
# module- and class-scoped fixtures are built once. PYTEST_WORKERS=0 runs in-process.
pytest_opts=(-n "${PYTEST_WORKERS:-auto}" --dist loadfile)
if [[ -n "${CI:-}" ]]; then
  pytest_opts+=(-p no:cacheprovider)    # CI clones are throwaway: write no .pytest_cache
fi

# Runs pytest; prints the reason when it collected nothing. Never fails, the
# caller reads the exit code from $last_rc.
last_rc=0
run_pytest() {
  set +e
  "$@" -m pytest ${pytest_opts[@]+"${pytest_opts[@]}"} ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"}
  last_rc=$?
  set -e
  if [[ $last_rc -eq 5 ]]; then
    echo "test: pytest collected no tests (exit 5), counted as a failure" >&2
  fi
}
PYTEST_ARGS=("$@")

# --- Run 1: SQLite -------------------------------------------------------------
echo "==> pytest on SQLite"
run_pytest env -u DATABASE_URL "$PY"
sqlite_rc=$last_rc

# --- Run 2: throwaway PostgreSQL cluster ---------------------------------------
PG_BIN=""
PG_DIR=""
PG_PORT=""
PG_STARTED=""

# Server tools refuse to run as root: as root run them as postgres.
as_pg() {
  if [[ "$(id -u)" -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# True when something already owns port $1: a socket file in the usual
# places, or a TCP listener (state 0A in /proc/net/tcp{,6}).
port_in_use() {
  local hex
  hex="$(printf ':%04X' "$1")"
  [[ -e "/tmp/.s.PGSQL.$1" || -e "/var/run/postgresql/.s.PGSQL.$1" ]] && return 0
  awk -v p="$hex" 'substr($2, length($2) - 4) == p && $4 == "0A" { f = 1 } END { exit !f }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

stop_pg() {
  if [[ -n "$PG_STARTED" ]]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    PG_STARTED=""
  fi
  if [[ -n "$PG_DIR" ]]; then
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}
trap stop_pg EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Every step checks its own status: errexit does not apply inside a function
# called from an `if`.
start_pg() {
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  if [[ -z "$PG_BIN" || ! -x "$PG_BIN/initdb" ]]; then
    echo "test: no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
    return 1
  fi

  # A short, world-traversable path: the socket path must stay under 107 bytes
  # and the postgres user must reach it (so not under $TMPDIR or /root).
  PG_DIR="$(mktemp -d /tmp/clusterdesk-pg.XXXXXX)" || return 1
  if [[ "$(id -u)" -eq 0 ]]; then
    chown postgres: "$PG_DIR" || return 1
  fi

  if ! as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-sync -E UTF8 \
         --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1; then
    rm -rf "$PG_DIR/data"
    if ! as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-sync -E UTF8 \
           --locale=C >"$PG_DIR/initdb.log" 2>&1; then
      echo "test: initdb failed:" >&2
      cat "$PG_DIR/initdb.log" >&2
      return 1
    fi
  fi

  local p
  for p in $(seq 55432 55532); do
    if ! port_in_use "$p"; then PG_PORT="$p"; break; fi
  done
  if [[ -z "$PG_PORT" ]]; then
    echo "test: no free port between 55432 and 55532" >&2
    return 1
  fi

  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" \
         -o "-k $PG_DIR -p $PG_PORT -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
         -w -l "$PG_DIR/pg.log" start >/dev/null; then
    echo "test: PostgreSQL did not start; server log:" >&2
    cat "$PG_DIR/pg.log" >&2 || true
    return 1
  fi
  PG_STARTED=1

  if ! "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U postgres clusterdesk; then
    echo "test: createdb failed" >&2
    return 1
  fi
}

echo "==> pytest on PostgreSQL"
if start_pg; then
  # The socket directory goes in the host part, percent-encoded: dj-database-url
  # then fills HOST and PORT (the ?host= form would only fill OPTIONS).
  pg_url="postgres://postgres@${PG_DIR//\//%2F}:${PG_PORT}/clusterdesk"
  echo "    DATABASE_URL=$pg_url"
  run_pytest env DATABASE_URL="$pg_url" "$PY"
  postgres_rc=$last_rc
else
  postgres_rc=1
fi
stop_pg

# --- Summary -------------------------------------------------------------------
note() {
  case "$1" in
    0) echo "passed" ;;
    5) echo "pytest collected no tests" ;;
    *) echo "failed" ;;
  esac
}
echo
echo "================ test summary ================"
echo "SQLite: exit $sqlite_rc ($(note "$sqlite_rc"))"
echo "PostgreSQL: exit $postgres_rc ($(note "$postgres_rc"))"
echo "=============================================="

if [[ $sqlite_rc -ne 0 || $postgres_rc -ne 0 ]]; then
  exit 1
fi
