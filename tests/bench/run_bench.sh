#!/usr/bin/env bash
# make bench: measures what users feel against a floor measured in the same
# run on the same machine, and writes the table to docs/benchmarks.md.
#
# It starts its own PostgreSQL, Redis and services on free ports, seeds data,
# drives load with h2load (real HTTP/2 gRPC frames encoded by iopctl from the
# project's protos) or, where every call must differ, with iop-checkin-load (the
# same frames through libnghttp2, a distinct request per call),
# and checks the answers carry grpc-status 0. Everything it started is
# stopped on exit, also on failure.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh

build=${IOP_BUILD_DIR:-build}
[[ "$build" == /* ]] || build="$repo/$build"
bin="$build/bin"
requests=${IOP_BENCH_REQUESTS:-20000}
checkin_seconds=${IOP_BENCH_SECONDS:-5}
command_line="make bench"
# IOP_BENCH_ONLY=P1,P2,P4,P5 runs only those measures (P3 goes with P1) and
# prints the table without writing docs/benchmarks.md.
only=${IOP_BENCH_ONLY:-}
want() { [[ -z "$only" || ",$only," == *",$1,"* ]]; }
work=$(mktemp -d /tmp/iop-bench.XXXXXX)
# PostgreSQL runs as another user when we are root: it must reach the folder
# (else its data goes to a folder of its own under /tmp).
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # destroy, not stop: the data (over a GiB after P4) must not outlive the run.
  deploy/local/stack.sh destroy --dir "$work/stack" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -f "$build/CMakeCache.txt" ]]; then
  echo "bench: building the micro-benchmarks and the load driver"
  cmake --build "$build" --target bench -j "${IOP_JOBS:-2}" >"$work/build.log" 2>&1 || {
    tail -30 "$work/build.log" >&2
    exit 1
  }
fi

deploy/local/stack.sh start --test --dir "$work/stack" >/dev/null
eval "$(deploy/local/stack.sh env --test --dir "$work/stack")"
pg_port=$IOP_LOCAL_PG_PORT
redis_url=$IOP_TEST_REDIS_URL
redis_pid=$(redis-cli -h 127.0.0.1 -p "$IOP_LOCAL_REDIS_PORT" INFO server | tr -d '\r' |
  sed -n 's/^process_id:\([0-9]*\)$/\1/p')
IOP_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export IOP_JWT_SECRET
psql_admin() { psql -q -X -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres "$@"; }
psql_db() { local db=$1; shift; psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d "$db" "$@"; }

# pg_durable on|off: PostgreSQL's durability settings as in production
# (every commit flushed to disk before it returns), or back to the test
# stack's (fsync off). All three are reloadable without a restart.
pg_durable() {
  local settings=(fsync synchronous_commit full_page_writes) s args=()
  for s in "${settings[@]}"; do
    if [[ $1 == on ]]; then args+=(-c "ALTER SYSTEM SET $s = on"); else args+=(-c "ALTER SYSTEM RESET $s"); fi
  done
  psql_admin "${args[@]}" -c "SELECT pg_reload_conf()" >/dev/null
  # The reload is asynchronous: wait until a new session sees it.
  for _ in $(seq 1 50); do
    [[ $(psql_admin -tAc "SHOW fsync") == "$1" ]] && return 0
    sleep 0.1
  done
  echo "bench: PostgreSQL did not take fsync = $1" >&2
  return 1
}

# shellcheck source=deploy/local/ports.sh
source deploy/local/ports.sh

declare -A port_of metrics_port_of pid_of start_ms_of
# start_service NAME: starts iop-NAME on its own database and waits for
# SERVING; sets port_of[NAME], metrics_port_of[NAME], pid_of[NAME] and
# start_ms_of[NAME] (launch to SERVING, migrations included when the
# database is new).
start_service() {
  local name=$1
  psql_admin -c "CREATE DATABASE iop_$name" 2>/dev/null || true
  # A port found free may be taken by someone else before the service binds
  # it (the machine is shared): try again on new ports.
  for _ in 1 2 3; do
    if try_start "$name"; then return 0; fi
  done
  echo "bench: iop-$name did not become SERVING" >&2
  tail -20 "$work/$name.log" >&2
  return 1
}

try_start() {
  local name=$1 grpc_port metrics_port t0 pid
  grpc_port=$(free_port)
  metrics_port=$(free_port "$grpc_port")
  t0=$(date +%s%3N)
  IOP_GRPC_ADDR=127.0.0.1:$grpc_port IOP_METRICS_ADDR=127.0.0.1:$metrics_port \
    IOP_DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/iop_$name" IOP_REDIS_URL=$redis_url \
    IOP_LOG_LEVEL=warn "$bin/iop-$name" 2>>"$work/$name.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 600); do
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if "$bin/iopctl" health --addr "127.0.0.1:$grpc_port" >/dev/null 2>&1; then
      start_ms_of[$name]=$(( $(date +%s%3N) - t0 ))
      port_of[$name]=$grpc_port
      metrics_port_of[$name]=$metrics_port
      pid_of[$name]=$pid
      return 0
    fi
    sleep 0.02
  done
  kill "$pid" 2>/dev/null || true
  return 1
}

stop_service() {
  local name=$1
  kill "${pid_of[$name]}" 2>/dev/null || true
  wait "${pid_of[$name]}" 2>/dev/null || true
}

rows=()
row() {
  rows+=("| $1 | $2 | $3 | $4 | $5 | $6 |")
  printf '%-4s %-58s %12s %14s %10s  (goal %s)\n' "$1" "$2" "$3" "$4" "$5" "$6"
}
have() { [[ -x "$bin/iop-$1" ]]; }
sched() { "$bin/iopctl" call --addr "127.0.0.1:${port_of[scheduling]}" --token "$token" "SchedulingService/$1" "$2"; }

services=()
for s in scheduling attendance curriculum outcomes; do have "$s" && services+=("$s"); done
echo "bench: services ${services[*]}"

# ---- start every service (first start: migrations applied) ---------------------
start_service scheduling
export IOP_SCHEDULING_ADDR=127.0.0.1:${port_of[scheduling]}
for s in attendance curriculum; do
  if have "$s"; then start_service "$s"; fi
done
[[ -n "${port_of[attendance]:-}" ]] && export IOP_ATTENDANCE_ADDR=127.0.0.1:${port_of[attendance]}
[[ -n "${port_of[curriculum]:-}" ]] && export IOP_CURRICULUM_ADDR=127.0.0.1:${port_of[curriculum]}
if have outcomes; then start_service outcomes; fi
declare -A first_start_ms
for s in "${services[@]}"; do first_start_ms[$s]=${start_ms_of[$s]}; done

token=$("$bin/iopctl" token --org bench --role admin --ttl_minutes 240)

# ---- P1 / P3: cached GetGroup against the health check --------------------------
site_id=$(sched CreateSite '{"site":{"display_name":"Bench","time_zone":"America/New_York"}}' | first_id)
room_id=$(sched CreateRoom "{\"room\":{\"site_id\":\"$site_id\",\"display_name\":\"Room A\",\"capacity\":20}}" | first_id)
staff_id=$(sched CreateStaff "{\"staff\":{\"display_name\":\"Dana\",\"site_ids\":[\"$site_id\"]}}" | first_id)
program_id=$(sched CreateProgram "{\"program\":{\"site_id\":\"$site_id\",\"display_name\":\"Adult IOP\",\"age_group\":\"AGE_GROUP_ADULT\",\"focus\":\"PROGRAM_FOCUS_MENTAL_HEALTH\"}}" | first_id)
group_id=$(sched CreateGroup "{\"group\":{\"program_id\":\"$program_id\",\"display_name\":\"Evening DBT\",\"modality\":\"MODALITY_DBT_SKILLS\",\"facilitator_ids\":[\"$staff_id\"],\"room_id\":\"$room_id\",\"max_size\":20,\"recurrence\":{\"weekdays\":[\"WEEKDAY_MONDAY\",\"WEEKDAY_WEDNESDAY\",\"WEEKDAY_FRIDAY\"],\"start_local_time\":\"18:00\",\"duration_minutes\":180,\"starts_on\":\"2030-01-07\",\"ends_on\":\"2030-12-31\"}}}" | first_id)
if [[ -z "$group_id" ]]; then echo "bench: could not seed a group" >&2; exit 1; fi

sched_port=${port_of[scheduling]}
printf '\0\0\0\0\0' >"$work/health.bin"
check_grpc_ok "$sched_port" grpc.health.v1.Health/Check "$work/health.bin" "$token"
read_method=iop.scheduling.v1.SchedulingService/GetGroup
"$bin/iopctl" encode SchedulingService/GetGroup "{\"id\":\"$group_id\"}" >"$work/read.bin"
check_grpc_ok "$sched_port" "$read_method" "$work/read.bin" "$token"

if want P1; then
echo "bench: P1 cached GetGroup vs Health.Check"
# Warm up, then measure both back to back in several rounds and keep the
# median of the per-round ratios: on a shared machine the load of others
# drifts between runs, but rarely within one pair of short runs.
grpc_load "$sched_port" "$read_method" "$work/read.bin" "$token" 4000 8 8 >/dev/null
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
p1_rounds=()
for _ in 1 2 3 4 5; do
  h=$(grpc_load "$sched_port" grpc.health.v1.Health/Check "$work/health.bin" "$token" "$(( requests / 2 ))" 8 8)
  r=$(grpc_load "$sched_port" "$read_method" "$work/read.bin" "$token" "$(( requests / 2 ))" 8 8)
  p1_rounds+=("$h $r $(ratio "$r" "$h")")
done
health_qps=$(printf '%s\n' "${p1_rounds[@]}" | awk '{ print $1 }' | median)
read_qps=$(printf '%s\n' "${p1_rounds[@]}" | awk '{ print $2 }' | median)
p1_ratio=$(printf '%s\n' "${p1_rounds[@]}" | awk '{ print $3 }' | median)
row P1 "cached GetGroup QPS / Health.Check QPS (median of 5 rounds)" "$read_qps" "$health_qps" "$p1_ratio" "≥ 0.80"

echo "bench: P3 p99 at half of peak"
half=$(awk -v q="$read_qps" 'BEGIN { printf "%d", q / 2 }')
per_client=$(( half / 4 > 0 ? half / 4 : 1 ))
grpc_load "$sched_port" "$read_method" "$work/read.bin" "$token" "$(( half * 5 ))" 4 1 \
  --rps "$per_client" --log-file "$work/p3.log" >/dev/null
p99=$(percentile_us "$work/p3.log" 99)
p50=$(percentile_us "$work/p3.log" 50)
row P3 "cached GetGroup p99 at half peak ($half req/s), µs" "$p99" "p50 $p50" "$(ratio "$p99" 1000) ms" "≤ 2 ms"
fi

# ---- P2: durable check-ins against single-row INSERTs --------------------------
if want P2 && [[ -n "${port_of[attendance]:-}" ]]; then
  echo "bench: P2 CheckIn vs pgbench INSERT"
  # A check-in is durable when it is acknowledged, so P2 runs with
  # PostgreSQL's production settings (commits flushed to disk before they
  # return), not the test stack's fsync off; reset after P2.
  pg_durable on
  psql_admin -c "CREATE DATABASE iop_pgbench" >/dev/null
  psql_db iop_pgbench -c "CREATE TABLE checkins (id bigserial PRIMARY KEY, session_id text NOT NULL,
    client_id text NOT NULL, check_in_time timestamptz NOT NULL DEFAULT now())"
  cat >"$work/insert.sql" <<'SQL'
\set n random(1, 1000000000)
INSERT INTO checkins (session_id, client_id) VALUES ('s' || :n, 'c' || :client_id);
SQL
  postmaster=$(head -1 "$(psql_admin -tAc 'SHOW data_directory')/postmaster.pid")
  pg_before=$(pg_cpu_ticks "$postmaster")
  insert_tps=$(pgbench_tps "$pg_port" iop_pgbench "$work/insert.sql" 16 "$checkin_seconds")
  pg_insert_ticks=$(( $(pg_cpu_ticks "$postmaster") - pg_before ))
  pg_before=$(pg_cpu_ticks "$postmaster")
  service_before=$(process_cpu_ticks "${pid_of[attendance]}")
  redis_before=$(process_cpu_ticks "$redis_pid")
  cpu_before=$(cpu_ticks)
  read -r checkin_qps checkin_calls checkin_p50 _ driver_us_checkin < <("$bin/iop-checkin-load" \
    --scheduling "127.0.0.1:$sched_port" --attendance "127.0.0.1:${port_of[attendance]}" \
    --token "$token" --clients 100 --callers "${IOP_BENCH_CHECKIN_CALLERS:-16}" --seconds "$checkin_seconds")
  checkin_busy=$(cpu_busy_percent "$cpu_before" "$(cpu_ticks)")
  pg_checkin_ticks=$(( $(pg_cpu_ticks "$postmaster") - pg_before ))
  service_checkin_ticks=$(( $(process_cpu_ticks "${pid_of[attendance]}") - service_before ))
  redis_checkin_ticks=$(( $(process_cpu_ticks "$redis_pid") - redis_before ))
  if [[ -z "${checkin_qps:-}" ]]; then echo "bench: the check-in load failed" >&2; exit 1; fi
  row P2 "CheckIn QPS ($checkin_calls distinct, p50 ${checkin_p50} µs, CPU ${checkin_busy}% busy) / pgbench INSERT tps, fsync on" \
    "$checkin_qps" "$insert_tps" "$(ratio "$checkin_qps" "$insert_tps")" "≥ 0.50"
  # Where the gap comes from: PostgreSQL's own CPU time per write. The
  # check-in side includes seeding its one group (a few hundred writes).
  pg_us_checkin=$(cpu_us_per "$pg_checkin_ticks" "$checkin_calls")
  pg_us_insert=$(cpu_us_per "$pg_insert_ticks" "$(ops_in "$insert_tps" "$checkin_seconds")")
  row P2 "PostgreSQL CPU µs per CheckIn / per pgbench INSERT" "$pg_us_checkin" "$pg_us_insert" \
    "$(ratio "$pg_us_checkin" "$pg_us_insert")" "-"
  service_us_checkin=$(cpu_us_per "$service_checkin_ticks" "$checkin_calls")
  row P2 "iop-attendance CPU µs per CheckIn (all its threads)" "$service_us_checkin" "-" "-" "-"
  redis_us_checkin=$(cpu_us_per "$redis_checkin_ticks" "$checkin_calls")
  row P2 "load driver / Redis CPU µs per CheckIn" "$driver_us_checkin" "$redis_us_checkin" "-" "-"
  # How many check-ins went to the database together: the batches' mean
  # size, from the service's own histogram.
  batch_mean=$(curl -fsS --max-time 5 "http://127.0.0.1:${metrics_port_of[attendance]}/metrics" |
    awk '/^iop_attendance_checkin_batch_size_sum/ { s = $2 } /^iop_attendance_checkin_batch_size_count/ { n = $2 }
         END { if (n > 0) printf "%.1f", s / n; else print "n/a" }')
  row P2 "check-ins per batch written together, mean (of $checkin_calls check-ins, ${IOP_BENCH_CHECKIN_CALLERS:-16} callers)" \
    "$batch_mean" "-" "-" "-"
  # One batch under this load: its database call as the service timed it
  # (connection, statement, commit flushed), and one batch every so often.
  read -r batch_call_us batch_every_us < <(curl -fsS --max-time 5 \
    "http://127.0.0.1:${metrics_port_of[attendance]}/metrics" |
    awk -v calls="$checkin_calls" -v qps="$checkin_qps" '
      /^iop_db_query_duration_seconds_sum\{op="CheckIn batch"\}/ { s = $NF }
      /^iop_db_query_duration_seconds_count\{op="CheckIn batch"\}/ { n = $NF }
      END { if (n > 0 && qps > 0) printf "%d %d\n", s / n * 1e6, calls / qps / n * 1e6; else print "n/a n/a" }')
  row P2 "a batch under load, µs: its database call / one batch written every" \
    "$batch_call_us" "$batch_every_us" "-" "-"
  # What the cores could give at that CPU per check-in, were nothing else
  # to limit it: next to the measured P2, it says whether CPU is the bound.
  checkin_cpu_us=$(( pg_us_checkin + service_us_checkin + driver_us_checkin + redis_us_checkin ))
  cpu_ceiling=$(awk -v n="$(nproc)" -v us="$checkin_cpu_us" 'BEGIN { printf "%.1f", n * 1000000 / us }')
  row P2 "CheckIn QPS $(nproc) cores give at ${checkin_cpu_us} µs of CPU each / pgbench INSERT tps" \
    "$cpu_ceiling" "$insert_tps" "$(ratio "$cpu_ceiling" "$insert_tps")" "-"
  # The floor PostgreSQL alone sets under this write: pgbench sending a
  # check-in's own statements (prepared, as the service does) to a copy of
  # the attendance schema, triggers included; one check-in per transaction,
  # then eight per transaction in multi-row statements (the most batching
  # concurrent check-ins could reach).
  psql_admin -c "CREATE DATABASE iop_pgbench_checkin" >/dev/null
  pg_dump --schema-only -h 127.0.0.1 -p "$pg_port" -U postgres iop_attendance |
    psql_db iop_pgbench_checkin >/dev/null
  pg_before=$(pg_cpu_ticks "$postmaster")
  writes_tps=$(pgbench_tps "$pg_port" iop_pgbench_checkin tests/bench/sql/checkin_writes.sql 16 \
    "$checkin_seconds" prepared)
  pg_writes_ticks=$(( $(pg_cpu_ticks "$postmaster") - pg_before ))
  pg_us_writes=$(cpu_us_per "$pg_writes_ticks" "$(ops_in "$writes_tps" "$checkin_seconds")")
  batch_tps=$(pgbench_tps "$pg_port" iop_pgbench_checkin tests/bench/sql/checkin_writes_batch8.sql 16 \
    "$checkin_seconds" prepared)
  batch_checkins=$(awk -v t="$batch_tps" 'BEGIN { printf "%.1f", t * 8 }')
  row P2 "pgbench, a check-in's writes, 1 per transaction: check-ins/s / INSERT tps" \
    "$writes_tps" "$insert_tps" "$(ratio "$writes_tps" "$insert_tps")" "-"
  row P2 "pgbench, the same writes 8 per transaction: check-ins/s / INSERT tps" \
    "$batch_checkins" "$insert_tps" "$(ratio "$batch_checkins" "$insert_tps")" "-"
  row P2 "CheckIn QPS / pgbench check-ins/s of the same writes, 1 per transaction" \
    "$checkin_qps" "$writes_tps" "$(ratio "$checkin_qps" "$writes_tps")" "-"
  row P2 "PostgreSQL CPU µs per CheckIn / per check-in sent by pgbench" "$pg_us_checkin" "$pg_us_writes" \
    "$(ratio "$pg_us_checkin" "$pg_us_writes")" "-"
  # What one batch's statement costs on its own, from one client with
  # nothing else running: a part every statement pays and a part per
  # check-in, from batches of 1 and of 16.
  for n in 1 16; do
    sed "s/generate_series(1, 8)/generate_series(1, $n)/" tests/bench/sql/checkin_writes_batch8.sql >"$work/batch$n.sql"
  done
  batch1_us=$(pgbench_statement_us "$pg_port" iop_pgbench_checkin "$work/batch1.sql" 3 WITH)
  batch16_us=$(pgbench_statement_us "$pg_port" iop_pgbench_checkin "$work/batch16.sql" 3 WITH)
  per_checkin_us=$(( (batch16_us - batch1_us) / 15 ))
  row P2 "one batch statement alone, µs: fixed part / each check-in (from batches of 1 and 16)" \
    "$(( batch1_us - per_checkin_us ))" "$per_checkin_us" "-" "-"
  pg_durable off
fi

# ---- P4: reads over large tables against the same reads over small ones ---------
# shellcheck source=tests/bench/p4.sh
source tests/bench/p4.sh
if want P4 && [[ -n "${port_of[attendance]:-}" && -n "${port_of[outcomes]:-}" ]]; then
  echo "bench: P4 seeding and reading (this takes a while)"
  p4_run
fi

# ---- P5: memory under load and start-up ------------------------------------------
if want P5; then
if [[ -n "${port_of[curriculum]:-}" ]]; then
  # Some load on curriculum too, so every service's peak is measured under load.
  "$bin/iopctl" encode CurriculumService/ListLessons '{"page_size":50}' >"$work/lessons.bin"
  grpc_load "${port_of[curriculum]}" iop.curriculum.v1.CurriculumService/ListLessons "$work/lessons.bin" \
    "$token" 5000 8 8 >/dev/null || true
fi
for s in "${services[@]}"; do
  row P5 "iop-$s peak RSS under load, MiB" "$(peak_rss_mib "${pid_of[$s]}")" "-" "-" "≤ 64 MiB"
done
for s in "${services[@]}"; do
  stop_service "$s"
  start_service "$s"
  row P5 "iop-$s start to SERVING: new DB (migrating) / migrated, ms" \
    "${first_start_ms[$s]}" "${start_ms_of[$s]}" "-" "≤ 1000 ms"
done
fi

# ---- micro-benchmarks of the pure hot paths --------------------------------------
micro=""
if [[ -z "$only" && -x "$bin/iop-micro-bench" ]]; then
  echo "bench: micro-benchmarks"
  micro=$("$bin/iop-micro-bench" --benchmark_min_time=0.2 --benchmark_format=console \
    2>/dev/null | sed 's/\x1b\[[0-9;]*m//g')
fi

machine="$(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME")"
run_date=$(date -u '+%Y-%m-%d %H:%M UTC')
table=$(
  echo "| # | measure | value | baseline | ratio | goal |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
)
if [[ -n "$only" ]]; then
  echo
  echo "$table"
  exit 0
fi
mkdir -p docs
notes=tests/bench/findings.md
{
  echo "# Benchmarks"
  echo
  echo "Command: \`$command_line\` (tests/bench/run_bench.sh), $run_date, on $machine."
  echo "Each measure is a ratio against a baseline measured in the same run on the same machine;"
  echo "absolute numbers on a shared machine are noise, the ratios are the result."
  echo
  echo "$table"
  if [[ -n "${p4_plans:-}" ]]; then
    echo
    echo "## P4 query plans (1M attendance rows, 100k assessments)"
    echo
    echo "$p4_plans"
  fi
  if [[ -n "$micro" ]]; then
    echo
    echo "## Micro-benchmarks (Google Benchmark, tests/bench/*_bench.cc)"
    echo
    echo '```'
    echo "$micro"
    echo '```'
  fi
  if [[ -f "$notes" ]]; then
    echo
    cat "$notes"
  fi
} >docs/benchmarks.md
echo
echo "$table"
echo "bench: wrote docs/benchmarks.md"
