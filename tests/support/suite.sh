# Starts the whole suite for a test or a measurement (sourced, not run):
# a private PostgreSQL + Redis on free ports and every built service binary,
# wired to each other. Call suite_stop (or let the EXIT trap) to end it all.
#
#   source tests/support/suite.sh
#   suite_start "$workdir"     # exports IOP_<SERVICE>_ADDR, IOP_<SERVICE>_METRICS_ADDR, IOP_JWT_SECRET
#   ... run clients ...
#   suite_stop

suite_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
suite_bin=${IOP_BIN_DIR:-$suite_repo/${IOP_BUILD_DIR:-build}/bin}
suite_pids=()
suite_dir=""

# shellcheck source=deploy/local/ports.sh
source "$suite_repo/deploy/local/ports.sh"

suite_start() {
  suite_dir=$1
  mkdir -p "$suite_dir"
  # PostgreSQL runs as another user when we are root: it must reach the folder.
  chmod 755 "$suite_dir"
  "$suite_repo/deploy/local/stack.sh" start --test --dir "$suite_dir/stack" >/dev/null
  eval "$("$suite_repo/deploy/local/stack.sh" env --test --dir "$suite_dir/stack")"
  local pg_port=$IOP_LOCAL_PG_PORT redis_url=$IOP_TEST_REDIS_URL
  IOP_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  export IOP_JWT_SECRET
  local svc upper port taken=()
  # Addresses first: each service learns its peers' addresses at start.
  for svc in scheduling attendance curriculum outcomes; do
    upper=$(tr '[:lower:]' '[:upper:]' <<<"$svc")
    port=$(free_port "${taken[@]}")
    taken+=("$port")
    export "IOP_${upper}_ADDR=127.0.0.1:$port"
  done
  for svc in scheduling attendance curriculum outcomes; do
    [ -x "$suite_bin/iop-$svc" ] || { echo "suite: iop-$svc not built, skipped" >&2; continue; }
    upper=$(tr '[:lower:]' '[:upper:]' <<<"$svc")
    local addr_var="IOP_${upper}_ADDR"
    psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -c "CREATE DATABASE iop_$svc" >/dev/null 2>&1 || true
    local metrics_port
    metrics_port=$(free_port "${taken[@]}")
    taken+=("$metrics_port")
    export "IOP_${upper}_METRICS_ADDR=127.0.0.1:$metrics_port"
    IOP_GRPC_ADDR=${!addr_var} IOP_METRICS_ADDR=127.0.0.1:$metrics_port \
      IOP_DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/iop_$svc" IOP_REDIS_URL=$redis_url \
      IOP_LOG_LEVEL=${IOP_LOG_LEVEL:-warn} "$suite_bin/iop-$svc" 2>>"$suite_dir/$svc.log" &
    suite_pids+=("$!")
  done
  for svc in scheduling attendance curriculum outcomes; do
    [ -x "$suite_bin/iop-$svc" ] || continue
    upper=$(tr '[:lower:]' '[:upper:]' <<<"$svc")
    local addr_var="IOP_${upper}_ADDR" ok=0
    for _ in $(seq 1 300); do
      if "$suite_bin/iopctl" health --addr "${!addr_var}" >/dev/null 2>&1; then ok=1; break; fi
      sleep 0.05
    done
    if [ "$ok" -ne 1 ]; then
      echo "suite: iop-$svc did not become SERVING; log:" >&2
      tail -20 "$suite_dir/$svc.log" >&2
      return 1
    fi
  done
}

suite_stop() {
  local p
  for p in "${suite_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${suite_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  suite_pids=()
  # destroy, not stop: the data must not outlive the run.
  [ -z "$suite_dir" ] || "$suite_repo/deploy/local/stack.sh" destroy --dir "$suite_dir/stack" >/dev/null 2>&1 || true
}
