#!/usr/bin/env bash
# make bench: measures what users feel against a floor measured in the same
# run on the same machine, and writes the table to docs/benchmarks.md.
#
# It starts its own PostgreSQL, Redis and services on free ports, seeds data,
# drives load with h2load (real HTTP/2 gRPC frames encoded by iopctl from the
# project's protos) and checks the answers carry grpc-status 0.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh

build=${IOP_BUILD_DIR:-build}
bin="$repo/$build/bin"
duration_requests=${IOP_BENCH_REQUESTS:-20000}
work=$(mktemp -d /tmp/iop-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  deploy/local/stack.sh stop --dir "$work/stack" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

deploy/local/stack.sh start --test --dir "$work/stack" >/dev/null
eval "$(deploy/local/stack.sh env --test --dir "$work/stack")"
pg_port=$IOP_LOCAL_PG_PORT
redis_url=$IOP_TEST_REDIS_URL
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export IOP_JWT_SECRET=$secret
psql_admin() { psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres "$@"; }

# A port in 33000-45000 nothing listens on (bash's /dev/tcp answers that).
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((33000 + (RANDOM * 32768 + RANDOM) % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "bench: no free port" >&2
  return 1
}

# start_service NAME -> sets GRPC_PORT, METRICS_PORT, SERVICE_PID
start_service() {
  local name=$1
  psql_admin -c "CREATE DATABASE iop_$name" 2>/dev/null || true
  GRPC_PORT=$(free_port)
  METRICS_PORT=$(free_port)
  IOP_GRPC_ADDR=127.0.0.1:$GRPC_PORT IOP_METRICS_ADDR=127.0.0.1:$METRICS_PORT \
    IOP_DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/iop_$name" IOP_REDIS_URL=$redis_url \
    IOP_LOG_LEVEL=warn "$bin/iop-$name" 2>>"$work/$name.log" &
  SERVICE_PID=$!
  pids+=("$SERVICE_PID")
  for _ in $(seq 1 300); do
    if "$bin/iopctl" health --addr "127.0.0.1:$GRPC_PORT" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  echo "bench: iop-$name did not become SERVING" >&2
  tail -20 "$work/$name.log" >&2
  return 1
}

ms_now() { date +%s%3N; }

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 |"); printf '%-4s %-52s %12s %12s %8s  (goal %s)\n' "$1" "$2" "$3" "$4" "$5" "${6:-}"; }

echo "bench: scheduling"
start_service scheduling
sched_port=$GRPC_PORT
sched_pid=$SERVICE_PID
export IOP_SCHEDULING_ADDR=127.0.0.1:$sched_port
token=$("$bin/iopctl" token --org bench --role admin --ttl_minutes 120)
site_id=$("$bin/iopctl" call --addr "127.0.0.1:$sched_port" --token "$token" SchedulingService/CreateSite \
  '{"site":{"display_name":"Bench","time_zone":"America/New_York"}}' | sed -n 's/.*"id": "\([^"]*\)".*/\1/p' | head -1)

# Floor: the standard health check on the same server (no auth, no I/O).
printf '\0\0\0\0\0' >"$work/health.bin"
check_grpc_ok "$sched_port" grpc.health.v1.Health/Check "$work/health.bin" "$token"
# The cached read partners call most. GetGroup once groups exist; GetSite
# goes through the same cache path.
read_method=iop.scheduling.v1.SchedulingService/GetSite
"$bin/iopctl" encode SchedulingService/GetSite "{\"id\":\"$site_id\"}" >"$work/read.bin"
check_grpc_ok "$sched_port" "$read_method" "$work/read.bin" "$token"

# Warm up, then measure both back to back.
grpc_load "$sched_port" "$read_method" "$work/read.bin" "$token" 2000 8 8 >/dev/null
health_qps=$(grpc_load "$sched_port" grpc.health.v1.Health/Check "$work/health.bin" "$token" "$duration_requests" 8 8)
read_qps=$(grpc_load "$sched_port" "$read_method" "$work/read.bin" "$token" "$duration_requests" 8 8)
row P1 "cached GetSite QPS / Health.Check QPS" "$read_qps" "$health_qps" "$(ratio "$read_qps" "$health_qps")" "≥ 0.80"

# P3: p99 of cached reads at half the peak rate.
half=$(awk -v q="$read_qps" 'BEGIN { printf "%d", q / 2 }')
per_client=$(( half / 4 > 0 ? half / 4 : 1 ))
grpc_load "$sched_port" "$read_method" "$work/read.bin" "$token" "$(( half * 5 ))" 4 1 \
  --rps "$per_client" --log-file "$work/p3.log" >/dev/null
p99=$(percentile_us "$work/p3.log" 99)
p50=$(percentile_us "$work/p3.log" 50)
row P3 "cached read p99 at half peak ($half req/s), µs" "$p99" "p50 $p50" "$(ratio "$p99" 1000) ms" "≤ 2 ms"

# P5: memory under load and start-up time with migrations applied.
row P5 "iop-scheduling peak RSS under load, MiB" "$(peak_rss_mib "$sched_pid")" "-" "-" "≤ 64 MiB"
kill "$sched_pid"
wait "$sched_pid" 2>/dev/null || true
t0=$(ms_now)
start_service scheduling
t1=$(ms_now)
row P5 "iop-scheduling start to SERVING (migrated), ms" "$(( t1 - t0 ))" "-" "-" "≤ 1000 ms"

machine="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME")"
mkdir -p docs
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` (tests/bench/run_bench.sh) on $(date -u +%Y-%m-%d): $machine."
  echo "Each measure is a ratio against a baseline measured in the same run on the same machine;"
  echo "absolute numbers on a shared machine are noise, the ratios are the result."
  echo
  echo "| # | measure | value | baseline | ratio |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} >docs/benchmarks.md
echo "bench: wrote docs/benchmarks.md"
