#!/usr/bin/env bash
# Instruction profile of the cached read path: iop-scheduling under
# valgrind's callgrind while h2load sends GetGroup calls that hit the cache.
# Prints the functions with the most inclusive and self instructions, and
# instructions per call (total / calls), the figure compared before and
# after a change. perf would do with hardware counters; where they are not
# available (virtual machines) callgrind counts exactly instead.
#
# usage: tests/bench/profile.sh [CALLS]     (IOP_BUILD_DIR, default build)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
# shellcheck source=deploy/local/ports.sh
source deploy/local/ports.sh
bin="$repo/${IOP_BUILD_DIR:-build}/bin"
calls=${1:-5000}
work=$(mktemp -d /tmp/iop-profile.XXXXXX)
# PostgreSQL runs as another user when we are root: it must reach the folder
# (else its data goes to a folder of its own under /tmp).
chmod 755 "$work"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  deploy/local/stack.sh destroy --dir "$work/stack" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

deploy/local/stack.sh start --test --dir "$work/stack" >/dev/null
eval "$(deploy/local/stack.sh env --test --dir "$work/stack")"
IOP_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export IOP_JWT_SECRET
psql -q -X -h 127.0.0.1 -p "$IOP_LOCAL_PG_PORT" -U postgres -d postgres -c "CREATE DATABASE iop_scheduling"
port=$(free_port)
IOP_GRPC_ADDR=127.0.0.1:$port IOP_METRICS_ADDR=127.0.0.1:$(free_port "$port") \
  IOP_DATABASE_URL="postgresql://postgres@127.0.0.1:$IOP_LOCAL_PG_PORT/iop_scheduling" \
  IOP_REDIS_URL=$IOP_TEST_REDIS_URL IOP_LOG_LEVEL=warn \
  valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" --dump-instr=no \
  --collect-atstart=yes "$bin/iop-scheduling" 2>"$work/service.log" &
pid=$!
for _ in $(seq 1 300); do
  "$bin/iopctl" health --addr "127.0.0.1:$port" >/dev/null 2>&1 && break
  sleep 0.2
done
token=$("$bin/iopctl" token --org bench --role admin)
call() { "$bin/iopctl" call --addr "127.0.0.1:$port" --token "$token" "SchedulingService/$1" "$2" | first_id; }
site=$(call CreateSite '{"site":{"display_name":"P","time_zone":"America/New_York"}}')
room=$(call CreateRoom "{\"room\":{\"site_id\":\"$site\",\"display_name\":\"R\",\"capacity\":12}}")
staff=$(call CreateStaff "{\"staff\":{\"display_name\":\"S\",\"site_ids\":[\"$site\"]}}")
program=$(call CreateProgram "{\"program\":{\"site_id\":\"$site\",\"display_name\":\"P\",\"age_group\":\"AGE_GROUP_ADULT\",\"focus\":\"PROGRAM_FOCUS_MENTAL_HEALTH\"}}")
group=$(call CreateGroup "{\"group\":{\"program_id\":\"$program\",\"display_name\":\"G\",\"modality\":\"MODALITY_DBT_SKILLS\",\"facilitator_ids\":[\"$staff\"],\"room_id\":\"$room\",\"recurrence\":{\"weekdays\":[\"WEEKDAY_MONDAY\"],\"start_local_time\":\"10:00\",\"duration_minutes\":120,\"starts_on\":\"2030-01-07\",\"ends_on\":\"2030-03-31\"}}}")
"$bin/iopctl" encode SchedulingService/GetGroup "{\"id\":\"$group\"}" >"$work/read.bin"
check_grpc_ok "$port" iop.scheduling.v1.SchedulingService/GetGroup "$work/read.bin" "$token"

# Only the measured calls count: reset the counters, load, dump.
callgrind_control --zero "$pid" >/dev/null
grpc_load "$port" iop.scheduling.v1.SchedulingService/GetGroup "$work/read.bin" "$token" "$calls" 4 4 >/dev/null
callgrind_control --dump=getgroup "$pid" >/dev/null
sleep 1
out=$(ls "$work"/callgrind.out.* | head -1)
total=$(callgrind_annotate "$out" 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
echo "instructions per GetGroup call: $(( total / calls ))  ($calls calls)"
echo "--- inclusive"
callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null | grep -E '^ *[0-9,]+ ' | awk 'NR <= 40'
echo "--- self"
callgrind_annotate --threshold=100 "$out" 2>/dev/null | grep -E '^ *[0-9,]+ ' | awk 'NR <= 30'
