#!/usr/bin/env bash
# Runs carepath's whole test suite, PostgreSQL tests included (`make test`).
#
# PostgreSQL comes from TEST_DATABASE_URL when it is set. Otherwise this script starts a
# throwaway cluster with the machine's initdb/pg_ctl (as a non-root user, since initdb
# refuses root), on a free local port with fsync off, and removes it on exit. With no
# initdb it falls back to a server on 127.0.0.1:5432. REQUIRE_TEST_DATABASE=1 makes the
# PostgreSQL tests fail, never skip, if the database is missing.
#
# The browser tests (internal/browsertest, internal/console) need Chromium and axe-core:
# this script installs Chromium with apt-get when it is missing and it runs as root (else
# it says what to install), runs `make tools` (axe-core comes from tools/package.json), and
# sets REQUIRE_BROWSER=1 so those tests fail, never skip, without a browser.
#
# Extra arguments go to `go test`, e.g. `tools/test.sh -run Conformance`.
#
# `tools/test.sh --clock-matrix` instead runs the time-sensitive packages (reminders,
# readiness, ages, care-leaver status, the API over them) once at each instant of
# CLOCK_MATRIX, as if it were that moment (CAREPATH_TEST_NOW, read by internal/testclock).
# One instant by hand: CAREPATH_TEST_NOW=2027-03-28T00:30:00Z make test
set -euo pipefail
cd "$(dirname "$0")/.."

find_bin() { # find_bin NAME: a PostgreSQL program on PATH or in Debian's versioned dirs
  command -v "$1" 2>/dev/null || ls -1d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_cluster() {
  local initdb pg_ctl owner port
  initdb=$(find_bin initdb) && pg_ctl=$(find_bin pg_ctl) || return 1
  [ -n "$initdb" ] && [ -n "$pg_ctl" ] || return 1
  PGTMP=$(mktemp -d "${TMPDIR:-/tmp}/carepath-pg.XXXXXX")
  as_owner=()
  if [ "$(id -u)" = 0 ]; then
    owner=postgres
    id -u "$owner" >/dev/null 2>&1 || owner=nobody
    chown "$owner" "$PGTMP"
    as_owner=(runuser -u "$owner" --)
  fi
  for port in $(seq 54320 54399); do port_free "$port" && break; done
  "${as_owner[@]}" "$initdb" -D "$PGTMP/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$PGTMP/initdb.log" 2>&1 \
    || { cat "$PGTMP/initdb.log" >&2; return 1; }
  "${as_owner[@]}" "$pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 start \
    -o "-p $port -k $PGTMP -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null \
    || { cat "$PGTMP/server.log" >&2; return 1; }
  PG_CTL=("${as_owner[@]}" "$pg_ctl")
  trap stop_cluster EXIT
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  echo "test.sh: started a throwaway PostgreSQL on 127.0.0.1:$port" >&2
}

stop_cluster() {
  "${PG_CTL[@]}" -D "$PGTMP/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGTMP"
}

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if ! start_cluster; then
    if ! port_free 5432; then
      export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
      echo "test.sh: no initdb; using the PostgreSQL server on 127.0.0.1:5432" >&2
    else
      echo "test.sh: no PostgreSQL: install it (initdb/pg_ctl) or set TEST_DATABASE_URL" >&2
      exit 1
    fi
  fi
fi
export REQUIRE_TEST_DATABASE=1

# London times: an ordinary (summer) day at 00:30, 08:59, 09:00 and 23:55; the spring and
# autumn clock-change Sundays at 00:30 and 09:00; a leap day; the last minutes of a year.
# The clock runs on from each instant, so a late instant is five minutes before midnight, not
# one: the longest package (internal/app) takes one to two minutes, and a run that crossed
# midnight partway would let a test's expected date and the server's fall on different days.
CLOCK_MATRIX=(
  2027-06-16T00:30:00+01:00 2027-06-16T08:59:00+01:00 2027-06-16T09:00:00+01:00 2027-06-16T23:55:00+01:00
  2027-03-28T00:30:00Z 2027-03-28T09:00:00+01:00 2027-10-31T00:30:00+01:00 2027-10-31T09:00:00Z
  2028-02-29T00:30:00Z 2028-02-29T09:00:00Z 2027-12-31T23:55:00Z
)
CLOCK_PACKAGES=(./internal/domain/... ./internal/planner ./internal/app)
# CLOCK_MATRIX_ONLY="instant ..." runs only those instants.
if [ -n "${CLOCK_MATRIX_ONLY:-}" ]; then read -ra CLOCK_MATRIX <<<"$CLOCK_MATRIX_ONLY"; fi

if [ "${1:-}" = "--clock-matrix" ]; then
  shift
  go test -count=1 -exec true "${CLOCK_PACKAGES[@]}" >/dev/null # build once
  for instant in "${CLOCK_MATRIX[@]}"; do
    start=$SECONDS
    if ! out=$(CAREPATH_TEST_NOW=$instant go test -count=1 "$@" "${CLOCK_PACKAGES[@]}" 2>&1); then
      printf '%s\n' "$out"
      echo "test.sh: the suite fails as of $instant (CAREPATH_TEST_NOW=$instant)" >&2
      exit 1
    fi
    echo "test.sh: as of $instant: ok ($((SECONDS - start)) s)"
  done
  exit 0
fi

# The browser tests: Chromium ($CAREPATH_CHROMIUM, else Debian's) and axe-core.
if [ -n "${CAREPATH_CHROMIUM:-}" ]; then
  [ -x "$CAREPATH_CHROMIUM" ] || { echo "test.sh: CAREPATH_CHROMIUM=$CAREPATH_CHROMIUM is not an executable" >&2; exit 1; }
elif [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "test.sh: no Chromium for the browser tests: install it (Debian: sudo apt-get install chromium) or set CAREPATH_CHROMIUM" >&2
    exit 1
  fi
  echo "test.sh: installing Chromium for the browser tests (apt-get install chromium)" >&2
  apt_log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    echo "test.sh: could not install Chromium" >&2
    exit 1
  fi
  rm -f "$apt_log"
fi
make --no-print-directory -s tools # axe-core (and the other npm tools), when missing or stale
export REQUIRE_BROWSER=1

go test -race -count=1 "$@" ./...
