#!/usr/bin/env bash
# Project-local PostgreSQL and Redis for `make run` and `make test`.
#
# Usage: deploy/local/stack.sh start|stop|status|env|destroy [--dir DIR] [--test]
#
#   start    initialise (first time) and start both servers, wait until they answer
#   stop     stop both servers (also after a half-finished start)
#   status   show what runs; exit 0 only when both servers answer
#   env      print `export` lines for the URLs of the running stack
#   destroy  stop and delete the servers' data
#
#   --dir DIR  state folder (default: <repo>/.run)
#   --test     test stack: free ports, fsync off, no per-service databases
#
# Environment:
#   IOP_LOCAL_PG_PORT     PostgreSQL port of the local stack (default 55432)
#   IOP_LOCAL_REDIS_PORT  Redis port of the local stack (default 56379)
#   IOP_STACK_TIMEOUT     seconds to wait for a server to answer (default 60)
#   IOP_PG_BIN            folder holding initdb/pg_ctl (default: newest
#                         /usr/lib/postgresql/*/bin)
#
# Servers listen on 127.0.0.1 only and never on the default ports, so a
# PostgreSQL or Redis the machine already runs is left alone. PostgreSQL
# refuses to run as root: as root it runs as the `postgres` user, on a folder
# that user owns; if DIR is not reachable by that user (a parent folder closed
# to others, such as /root), its data goes to a folder under /tmp instead.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)

services=(scheduling attendance curriculum outcomes)

die() {
  echo "stack: error: $*" >&2
  exit 1
}
note() { echo "stack: $*"; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# ---------------------------------------------------------------- arguments
# shellcheck source=deploy/local/cli.sh
source "$repo_root/deploy/local/cli.sh"
cli_parse 1 "$@"

timeout_s=${IOP_STACK_TIMEOUT:-60}
state_file=$state_dir/stack.env
redis_dir=$state_dir/redis

is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1

# ---------------------------------------------------------------- state file
# Written by `start`, read by every other command: the ports and the
# PostgreSQL folder actually in use (which may be the /tmp fallback).
pg_port=""
redis_port=""
pg_base=""
mode=""
load_state() {
  if [ ! -f "$state_file" ]; then
    guess_pg_base
    return 0
  fi
  local key value
  while IFS='=' read -r key value; do
    case $key in
      PG_PORT) pg_port=$value ;;
      REDIS_PORT) redis_port=$value ;;
      PG_BASE) pg_base=$value ;;
      MODE) mode=$value ;;
    esac
  done <"$state_file"
  guess_pg_base
}
# Without a state file (deleted, or a start that died early), look where a
# start would have put PostgreSQL so that `stop` still finds it.
guess_pg_base() {
  [ -z "$pg_base" ] || return 0
  local fallback
  fallback=/tmp/iop-pg-$(printf '%s' "$state_dir" | sha256sum | cut -c1-12)
  if [ -d "$state_dir/postgres/data" ]; then
    pg_base=$state_dir/postgres
  elif [ -d "$fallback/data" ]; then
    pg_base=$fallback
  fi
}
save_state() {
  mkdir -p "$state_dir"
  printf 'PG_PORT=%s\nREDIS_PORT=%s\nPG_BASE=%s\nMODE=%s\n' \
    "$pg_port" "$redis_port" "$pg_base" "$mode" >"$state_file.tmp"
  mv "$state_file.tmp" "$state_file"
}

# ---------------------------------------------------------------- helpers
find_pg_bin() {
  if [ -n "${IOP_PG_BIN:-}" ]; then
    [ -x "$IOP_PG_BIN/pg_ctl" ] || die "IOP_PG_BIN=$IOP_PG_BIN holds no pg_ctl"
    echo "$IOP_PG_BIN"
    return
  fi
  local d best=""
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && best=$d
  done
  if [ -z "$best" ]; then
    # Versions sort wrongly as strings only from 100 on; fine here.
    die "PostgreSQL server binaries not found under /usr/lib/postgresql (run: make deps)"
  fi
  echo "$best"
}

# Runs a PostgreSQL server program as the user allowed to run it.
as_pg() {
  if [ "$is_root" -eq 1 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# shellcheck source=deploy/local/ports.sh
source "$(dirname "${BASH_SOURCE[0]}")/ports.sh"

log_tail() {
  local file=$1
  if [ -f "$file" ]; then
    echo "---- last lines of $file ----" >&2
    tail -n 30 "$file" >&2 || true
    echo "----" >&2
  else
    echo "(no log at $file)" >&2
  fi
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# ---------------------------------------------------------------- PostgreSQL
# Chooses (and creates) the folder PostgreSQL keeps its data in, owned by the
# user that runs it.
prepare_pg_base() {
  if [ -n "$pg_base" ] && [ -f "$pg_base/data/PG_VERSION" ]; then
    return 0
  fi
  local wanted=$state_dir/postgres
  mkdir -p "$state_dir"
  if [ "$is_root" -eq 0 ]; then
    mkdir -p "$wanted"
    chmod 700 "$wanted"
    pg_base=$wanted
    return 0
  fi
  id -u postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (run: make deps)"
  # Our own state folder must be traversable by the postgres user.
  chmod go+x "$state_dir" 2>/dev/null || true
  mkdir -p "$wanted"
  chown postgres:postgres "$wanted"
  chmod 700 "$wanted"
  if runuser -u postgres -- test -w "$wanted" -a -x "$wanted" 2>/dev/null; then
    pg_base=$wanted
    return 0
  fi
  rmdir "$wanted" 2>/dev/null || true
  local fallback
  fallback=/tmp/iop-pg-$(printf '%s' "$state_dir" | sha256sum | cut -c1-12)
  if [ -e "$fallback" ]; then
    if [ -L "$fallback" ] || [ ! -d "$fallback" ] || [ "$(stat -c %U "$fallback")" != postgres ]; then
      die "$fallback exists and is not a folder owned by postgres; remove it"
    fi
  else
    mkdir -m 700 "$fallback"
    chown postgres:postgres "$fallback"
  fi
  note "$state_dir is not reachable by the postgres user (a parent folder is closed to others);"
  note "PostgreSQL data goes to $fallback instead"
  pg_base=$fallback
}

# Settings that change between starts (port, durability) live in a file the
# main configuration includes; rewritten before every start.
write_pg_settings() {
  local data=$pg_base/data conf=$pg_base/data/iop-local.conf sockdir=$pg_base
  # A Unix socket path is limited to about 107 bytes; without room for one,
  # the server is reachable over TCP only.
  if [ "${#sockdir}" -gt 90 ]; then
    sockdir=""
  fi
  {
    echo "# Written by deploy/local/stack.sh before each start."
    echo "port = $pg_port"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$sockdir'"
    echo "max_connections = 200"
    echo "logging_collector = off"
    if [ "$mode" = test ]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
      # Throwaway data: keep the write-ahead log small (it grows to 1 GiB
      # by default, more than the data the tests write).
      echo "max_wal_size = 256MB"
      echo "min_wal_size = 64MB"
    fi
  } >"$conf.tmp"
  mv "$conf.tmp" "$conf"
  [ "$is_root" -eq 1 ] && chown postgres:postgres "$conf"
  grep -q "^include_if_exists = 'iop-local.conf'" "$data/postgresql.conf" ||
    die "$data/postgresql.conf does not include iop-local.conf"
}

init_pg() {
  local bin=$1 data=$pg_base/data
  [ -f "$data/PG_VERSION" ] && return 0
  note "initialising PostgreSQL in $data"
  rm -rf "$data"
  if ! as_pg "$bin/initdb" -D "$data" -U postgres -E UTF8 --no-locale \
    --auth-local=trust --auth-host=trust >"$pg_base/initdb.log" 2>&1; then
    log_tail "$pg_base/initdb.log"
    die "initdb failed"
  fi
  # Trust connections from this machine only.
  local hba
  hba=$(printf '%s\n' \
    "# Local development/test cluster: trust on loopback only." \
    "local all all trust" \
    "host all all 127.0.0.1/32 trust" \
    "host all all ::1/128 trust" \
    "local replication all trust" \
    "host replication all 127.0.0.1/32 trust")
  printf '%s\n' "$hba" | as_pg tee "$data/pg_hba.conf" >/dev/null
  printf "\ninclude_if_exists = 'iop-local.conf'\n" | as_pg tee -a "$data/postgresql.conf" >/dev/null
}

pg_running() {
  [ -n "$pg_base" ] && [ -f "$pg_base/data/postmaster.pid" ] || return 1
  local bin
  bin=$(find_pg_bin)
  as_pg "$bin/pg_ctl" -D "$pg_base/data" status >/dev/null 2>&1
}

pg_ready() {
  local bin
  bin=$(find_pg_bin)
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -d postgres -U postgres
}

start_pg() {
  local bin log
  bin=$(find_pg_bin)
  prepare_pg_base
  init_pg "$bin"
  log=$pg_base/postgres.log
  if pg_running; then
    note "PostgreSQL already running on 127.0.0.1:$pg_port"
  else
    if port_in_use "$pg_port"; then
      echo "stack: error: port $pg_port is taken by another program (set IOP_LOCAL_PG_PORT)" >&2
      return 1
    fi
    write_pg_settings
    if ! as_pg "$bin/pg_ctl" -D "$pg_base/data" -l "$log" -w -t "$timeout_s" start >/dev/null 2>&1; then
      echo "stack: error: PostgreSQL did not start on 127.0.0.1:$pg_port" >&2
      log_tail "$log"
      return 1
    fi
  fi
  local waited=0
  until pg_ready; do
    if [ "$waited" -ge "$timeout_s" ]; then
      echo "stack: error: PostgreSQL on 127.0.0.1:$pg_port did not answer within ${timeout_s}s" >&2
      log_tail "$log"
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

create_service_databases() {
  local bin svc exists
  bin=$(find_pg_bin)
  for svc in "${services[@]}"; do
    exists=$("$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -XtAq \
      -c "SELECT 1 FROM pg_database WHERE datname = 'iop_$svc'")
    if [ "$exists" != 1 ]; then
      "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -Xq \
        -c "CREATE DATABASE iop_$svc" >/dev/null
      note "created database iop_$svc"
    fi
  done
}

stop_pg() {
  [ -n "$pg_base" ] && [ -d "$pg_base/data" ] || return 0
  local bin pidfile=$pg_base/data/postmaster.pid pid
  [ -f "$pidfile" ] || return 0
  bin=$(find_pg_bin)
  if as_pg "$bin/pg_ctl" -D "$pg_base/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
    note "PostgreSQL stopped"
    return 0
  fi
  # pg_ctl could not stop it (or it was never fully up): end it by pid.
  pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
  if pid_alive "$pid" && grep -q postgres "/proc/$pid/comm" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do
      pid_alive "$pid" || break
      sleep 0.5
    done
    if pid_alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
    note "PostgreSQL stopped (by signal)"
  fi
  rm -f "$pidfile" 2>/dev/null || true
}

# ---------------------------------------------------------------- Redis
redis_pid() {
  local pid
  pid=$(cat "$redis_dir/redis.pid" 2>/dev/null || true)
  if pid_alive "$pid" && grep -q redis "/proc/$pid/comm" 2>/dev/null; then
    echo "$pid"
  fi
}

redis_ready() {
  [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ]
}

start_redis() {
  command -v redis-server >/dev/null || die "redis-server not found (run: make deps)"
  mkdir -p "$redis_dir"
  local log=$redis_dir/redis.log
  if [ -n "$(redis_pid)" ]; then
    note "Redis already running on 127.0.0.1:$redis_port"
  else
    if port_in_use "$redis_port"; then
      echo "stack: error: port $redis_port is taken by another program (set IOP_LOCAL_REDIS_PORT)" >&2
      return 1
    fi
    rm -f "$redis_dir/redis.pid"
    if ! redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$log" \
      --dir "$redis_dir" >/dev/null 2>&1; then
      echo "stack: error: redis-server did not start" >&2
      log_tail "$log"
      return 1
    fi
  fi
  local waited=0
  until redis_ready; do
    if [ "$waited" -ge $((timeout_s * 5)) ]; then
      echo "stack: error: Redis on 127.0.0.1:$redis_port did not answer within ${timeout_s}s" >&2
      log_tail "$log"
      return 1
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
}

stop_redis() {
  local pid
  pid=$(redis_pid)
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      pid_alive "$pid" || break
      sleep 0.2
    done
    if pid_alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
    note "Redis stopped"
  fi
  rm -f "$redis_dir/redis.pid"
}

# ---------------------------------------------------------------- commands
choose_ports() {
  if [ "$test_mode" -eq 1 ]; then
    pg_port=$(free_port)
    redis_port=$(free_port "$pg_port")
  else
    pg_port=${IOP_LOCAL_PG_PORT:-55432}
    redis_port=${IOP_LOCAL_REDIS_PORT:-56379}
  fi
}

cmd_start() {
  load_state
  mode="run"
  [ "$test_mode" -eq 0 ] || mode="test"
  local attempts=1 attempt
  [ "$mode" = test ] && attempts=3
  for attempt in $(seq 1 "$attempts"); do
    # Keep the ports of servers that already run; pick new ones otherwise.
    if ! pg_running && [ -z "$(redis_pid)" ]; then
      choose_ports
    fi
    save_state
    if start_pg && start_redis; then
      save_state
      [ "$mode" = run ] && create_service_databases
      note "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port (state in $state_dir)"
      return 0
    fi
    # A port may have been taken between the probe and the start: retry.
    stop_redis
    stop_pg
    [ "$attempt" -lt "$attempts" ] && note "retrying with other ports"
  done
  die "the local stack did not start (see the messages above)"
}

cmd_stop() {
  load_state
  stop_redis
  stop_pg
}

cmd_status() {
  load_state
  local ok=0
  if [ -z "$mode" ]; then
    echo "stack: not started (no state in $state_dir)"
    return 3
  fi
  if pg_running && pg_ready; then
    echo "postgres: running on 127.0.0.1:$pg_port (data in $pg_base/data)"
  else
    echo "postgres: stopped (port $pg_port, data in ${pg_base:-?}/data)"
    ok=3
  fi
  if [ -n "$(redis_pid)" ] && redis_ready; then
    echo "redis:    running on 127.0.0.1:$redis_port"
  else
    echo "redis:    stopped (port $redis_port)"
    ok=3
  fi
  return "$ok"
}

cmd_env() {
  load_state
  if [ -z "$pg_port" ]; then
    [ "$test_mode" -eq 1 ] && die "test stack not started in $state_dir"
    choose_ports
  fi
  cat <<EOF
export IOP_LOCAL_PG_PORT=$pg_port
export IOP_LOCAL_REDIS_PORT=$redis_port
export IOP_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:$pg_port/postgres
export IOP_TEST_REDIS_URL=redis://127.0.0.1:$redis_port
EOF
}

cmd_destroy() {
  cmd_stop
  if [ -n "$pg_base" ] && [ -d "$pg_base" ]; then
    rm -rf "$pg_base"
    note "removed $pg_base"
  fi
  rm -rf "$redis_dir" "$state_file"
}

case $command in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  destroy) cmd_destroy ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
