# shellcheck shell=bash
# Helpers shared by the benchmark scripts (sourced, not run).

# h2load against one gRPC method with a pre-encoded body. Prints req/s.
# usage: grpc_load PORT METHOD BODY_FILE TOKEN REQUESTS CLIENTS STREAMS [extra h2load args]
grpc_load() {
  local port=$1 method=$2 body=$3 token=$4 n=$5 c=$6 m=$7
  shift 7
  local out
  out=$(h2load -n "$n" -c "$c" -m "$m" -t 1 \
    -H 'content-type: application/grpc' -H 'te: trailers' \
    -H "authorization: Bearer $token" -d "$body" "$@" \
    "http://127.0.0.1:$port/$method" 2>&1)
  local failed
  failed=$(sed -n 's/^requests: .* \([0-9]*\) failed.*/\1/p' <<<"$out")
  if [[ "$failed" != "0" ]]; then
    echo "bench: h2load reported failures for $method:" >&2
    echo "$out" >&2
    return 1
  fi
  sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out"
}

# Confirms one call of METHOD with BODY ends with grpc-status 0 (h2load only
# sees HTTP status; gRPC's verdict is in the trailers).
check_grpc_ok() {
  local port=$1 method=$2 body=$3 token=$4
  local out
  out=$(nghttp -v -H 'content-type: application/grpc' -H 'te: trailers' \
    -H "authorization: Bearer $token" -d "$body" "http://127.0.0.1:$port/$method" 2>&1 | tr -d '\0')
  if ! grep -q 'grpc-status: 0' <<<"$out"; then
    echo "bench: $method did not answer grpc-status 0:" >&2
    grep -E 'grpc-(status|message)' <<<"$out" >&2 || echo "$out" | tail -20 >&2
    return 1
  fi
}

# p-th percentile (0-100) of the latencies (µs, 3rd column) of an h2load log.
percentile_us() {
  local file=$1 p=$2
  awk '{print $3}' "$file" | sort -n | awk -v p="$p" '{a[NR]=$1} END {
    if (NR == 0) { print 0; exit }
    i = int((p / 100) * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print a[i] }'
}

# Resident set size high-water mark of a process, in MiB.
peak_rss_mib() {
  awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

# Median and p99 (µs) of serial calls: "p50 p99". Used for the P4 reads,
# where latency, not throughput, is the measure.
# usage: grpc_latency PORT METHOD BODY_FILE TOKEN REQUESTS LOG_FILE
grpc_latency() {
  local port=$1 method=$2 body=$3 token=$4 n=$5 log=$6
  grpc_load "$port" "$method" "$body" "$token" "$n" 1 1 --log-file "$log" >/dev/null
  echo "$(percentile_us "$log" 50) $(percentile_us "$log" 99)"
}

# pgbench transactions/s of a custom script against DATABASE.
# usage: pgbench_tps PG_PORT DATABASE SCRIPT CLIENTS SECONDS [PROTOCOL]
# PROTOCOL is pgbench's -M: simple (the default) or prepared.
pgbench_tps() {
  local port=$1 db=$2 script=$3 clients=$4 seconds=$5 protocol=${6:-simple}
  local out
  out=$(pgbench -h 127.0.0.1 -p "$port" -U postgres -n -M "$protocol" -c "$clients" -j 2 -T "$seconds" \
    -f "$script" "$db" 2>&1)
  local tps
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out" | tail -1)
  if [[ -z "$tps" ]]; then
    echo "bench: pgbench failed:" >&2
    echo "$out" >&2
    return 1
  fi
  awk -v t="$tps" 'BEGIN { printf "%.1f\n", t }'
}

# Mean latency in µs of the script's statement that starts with `prefix`,
# sent by one pgbench client, prepared (the latency, failures, statement
# lines of pgbench -r).
pgbench_statement_us() {
  local port=$1 db=$2 script=$3 seconds=$4 prefix=$5
  local out
  out=$(pgbench -h 127.0.0.1 -p "$port" -U postgres -n -M prepared -c 1 -T "$seconds" -r -f "$script" "$db" 2>&1)
  local ms
  ms=$(awk -v p="$prefix" '$3 == p { print $1; exit }' <<<"$out")
  if [[ -z "$ms" ]]; then
    echo "bench: pgbench failed:" >&2
    echo "$out" >&2
    return 1
  fi
  awk -v m="$ms" 'BEGIN { printf "%d\n", m * 1000 }'
}

# The "id" of the first object in iopctl's JSON answer.
first_id() { sed -n 's/.*"id": "\([^"]*\)".*/\1/p' | head -1; }

# The machine's CPU time so far as "busy total" ticks (from /proc/stat).
# Time stolen by the hypervisor is left out of both; guest time is already
# inside user time, so the sum stops at steal.
cpu_ticks() {
  awk '/^cpu / { total = $2 + $3 + $4 + $5 + $6 + $7 + $8
    print total - $5 - $6, total; exit }' /proc/stat
}

# Share of the CPU that was busy between two cpu_ticks readings, in percent.
cpu_busy_percent() {
  local b0 t0 b1 t1
  read -r b0 t0 <<<"$1"
  read -r b1 t1 <<<"$2"
  awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" 'BEGIN { if (t == 0) print 0; else printf "%.0f", 100 * b / t }'
}

# Microseconds of CPU per operation: TICKS clock ticks over COUNT operations
# (COUNT may be fractional, e.g. a rate times seconds).
# usage: cpu_us_per TICKS COUNT
cpu_us_per() {
  awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n == 0) print "n/a"; else printf "%.0f", t * 1000000 / hz / n }'
}

# Operations done at RATE per second over SECONDS (e.g. pgbench's tps).
# usage: ops_in RATE SECONDS
ops_in() { awk -v r="$1" -v s="$2" 'BEGIN { print r * s }'; }

# CPU time (clock ticks, user + system, all threads) a process has used.
# usage: process_cpu_ticks PID
process_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# CPU time (clock ticks) spent so far by one PostgreSQL instance: its live
# processes plus the backends that have exited (the postmaster reaps them, so
# their time is in its cutime/cstime). The difference of two readings is
# what the server did in between, whatever connected to it.
# usage: pg_cpu_ticks POSTMASTER_PID
pg_cpu_ticks() {
  local postmaster=$1 total=0 pid
  # Fields 14-17 of /proc/PID/stat: utime stime cutime cstime (the command
  # name, field 2, has no spaces for postgres).
  total=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$postmaster/stat")
  for pid in $(pgrep -P "$postmaster"); do
    total=$(( total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0) ))
  done
  echo "$total"
}
