#!/usr/bin/env bash
# Starts and stops the service binaries against the local stack
# (deploy/local/stack.sh must be running).
#
# Usage: deploy/local/services.sh start|stop|status|env|info [--dir DIR]
#
#   start   start every service binary found in build/bin, wait until each
#           accepts gRPC connections and serves /metrics
#   stop    stop them (SIGTERM: graceful drain; SIGKILL after a grace period)
#   status  show which run; exit 0 only when every built service runs
#   env     print `export` lines a client (iopctl, demo seeding) needs
#   info    print how to call the running services
#
#   --dir DIR  state folder shared with stack.sh (default: <repo>/.run)
#
# Environment:
#   IOP_BIN_DIR                folder of the binaries (default: <repo>/build/bin)
#   IOP_LOG_LEVEL              passed to the services (default: info)
#   IOP_SERVICE_START_TIMEOUT  seconds to wait for each service (default: 60)
#
# Per service: log in DIR/logs/<service>.log, pid in DIR/iop-<service>.pid.
# A JWT signing secret is generated once into DIR/jwt-secret and handed to
# the services through IOP_JWT_SECRET_FILE.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)

# name grpc-port metrics-port
service_table=(
  "scheduling 50051 9101"
  "attendance 50052 9102"
  "curriculum 50053 9103"
  "outcomes 50054 9104"
)

die() {
  echo "services: error: $*" >&2
  exit 1
}
note() { echo "services: $*"; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# shellcheck source=deploy/local/cli.sh
source "$repo_root/deploy/local/cli.sh"
cli_parse 0 "$@"

bin_dir=${IOP_BIN_DIR:-$repo_root/build/bin}
timeout_s=${IOP_SERVICE_START_TIMEOUT:-60}
log_dir=$state_dir/logs
secret_file=$state_dir/jwt-secret

pid_file() { echo "$state_dir/iop-$1.pid"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Pid of the running service $1, if any (checked against the process name so
# a stale pid file never leads to signalling an unrelated process).
service_pid() {
  local file pid
  file=$(pid_file "$1")
  pid=$(cat "$file" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "iop-$1" ]; then
    echo "$pid"
  fi
}

log_tail() {
  echo "---- last lines of $1 ----" >&2
  tail -n 40 "$1" >&2 2>/dev/null || true
  echo "----" >&2
}

# Stack ports (from the state stack.sh keeps).
load_stack_env() {
  eval "$("$script_dir/stack.sh" env --dir "$state_dir")"
}

ensure_secret() {
  [ -s "$secret_file" ] && return 0
  mkdir -p "$state_dir"
  (
    umask 077
    if command -v openssl >/dev/null 2>&1; then
      openssl rand -hex 32 >"$secret_file.tmp"
    else
      od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$secret_file.tmp"
      echo >>"$secret_file.tmp"
    fi
    mv "$secret_file.tmp" "$secret_file"
  )
  note "generated a local JWT secret in $secret_file"
}

# Addresses every service and client uses to find the others.
peer_env() {
  local entry name grpc _metrics upper
  for entry in "${service_table[@]}"; do
    read -r name grpc _metrics <<<"$entry"
    upper=$(tr '[:lower:]' '[:upper:]' <<<"$name")
    echo "IOP_${upper}_ADDR=127.0.0.1:$grpc"
  done
}

start_one() {
  local name=$1 grpc=$2 metrics=$3
  local bin=$bin_dir/iop-$name log=$log_dir/$name.log pid
  if [ ! -x "$bin" ]; then
    note "iop-$name is not built yet ($bin missing): skipped"
    return 0
  fi
  pid=$(service_pid "$name")
  if [ -n "$pid" ]; then
    note "iop-$name already running (pid $pid)"
    return 0
  fi
  if port_open "$grpc"; then
    die "port $grpc (iop-$name gRPC) is taken by another program"
  fi
  if port_open "$metrics"; then
    die "port $metrics (iop-$name metrics) is taken by another program"
  fi

  local -a vars
  mapfile -t vars < <(peer_env)
  vars+=(
    "IOP_GRPC_ADDR=127.0.0.1:$grpc"
    "IOP_METRICS_ADDR=127.0.0.1:$metrics"
    "IOP_DATABASE_URL=postgresql://postgres@127.0.0.1:$IOP_LOCAL_PG_PORT/iop_$name"
    "IOP_REDIS_URL=redis://127.0.0.1:$IOP_LOCAL_REDIS_PORT"
    "IOP_JWT_SECRET_FILE=$secret_file"
    "IOP_LOG_LEVEL=${IOP_LOG_LEVEL:-info}"
  )
  printf '==== %s starting iop-%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" >>"$log"
  # setsid: the service outlives the shell (and terminal) that started it.
  (cd "$repo_root" && exec setsid env -u IOP_JWT_SECRET "${vars[@]}" "$bin") \
    >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pid_file "$name")"

  local waited=0 step=0.25 limit=$((timeout_s * 4))
  until port_open "$grpc"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      local status=0
      wait "$pid" 2>/dev/null || status=$?
      echo "services: error: iop-$name exited during start (status $status)" >&2
      log_tail "$log"
      rm -f "$(pid_file "$name")"
      exit 1
    fi
    if [ "$waited" -ge "$limit" ]; then
      echo "services: error: iop-$name does not accept connections on 127.0.0.1:$grpc after ${timeout_s}s" >&2
      log_tail "$log"
      exit 1
    fi
    sleep "$step"
    waited=$((waited + 1))
  done
  until curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$metrics/metrics" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      local status=0
      wait "$pid" 2>/dev/null || status=$?
      echo "services: error: iop-$name exited during start (status $status)" >&2
      log_tail "$log"
      rm -f "$(pid_file "$name")"
      exit 1
    fi
    if [ "$waited" -ge "$limit" ]; then
      echo "services: error: iop-$name serves no metrics on http://127.0.0.1:$metrics/metrics after ${timeout_s}s" >&2
      log_tail "$log"
      exit 1
    fi
    sleep "$step"
    waited=$((waited + 1))
  done
  note "iop-$name running (pid $pid): gRPC 127.0.0.1:$grpc, metrics http://127.0.0.1:$metrics/metrics"
}

stop_one() {
  local name=$1 pid
  pid=$(service_pid "$name")
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    # Graceful shutdown drains in-flight calls; give it some time.
    for _ in $(seq 1 80); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
      note "iop-$name did not stop within 20s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    note "iop-$name stopped"
  fi
  rm -f "$(pid_file "$name")"
}

cmd_start() {
  "$script_dir/stack.sh" status --dir "$state_dir" >/dev/null ||
    die "the local stack is not running (start it: deploy/local/stack.sh start, or make run)"
  load_stack_env
  ensure_secret
  mkdir -p "$log_dir"
  local entry name grpc metrics f
  for entry in "${service_table[@]}"; do
    read -r name grpc metrics <<<"$entry"
    start_one "$name" "$grpc" "$metrics"
  done
  # A service built from services/NAME but missing from the table above;
  # other iop-* binaries (the bench's load driver) are tools, not services.
  for f in "$bin_dir"/iop-*; do
    [ -x "$f" ] || continue
    name=${f##*/iop-}
    [ -d "$repo_root/services/$name" ] || continue
    if ! printf '%s\n' "${service_table[@]}" | grep -q "^$name "; then
      note "$f has no port assignment in services.sh: not started"
    fi
  done
}

cmd_stop() {
  local entry name _rest
  for entry in "${service_table[@]}"; do
    read -r name _rest <<<"$entry"
    stop_one "$name"
  done
}

cmd_status() {
  local entry name grpc metrics pid rc=0
  for entry in "${service_table[@]}"; do
    read -r name grpc metrics <<<"$entry"
    pid=$(service_pid "$name")
    if [ -n "$pid" ]; then
      printf '%-11s running (pid %s) gRPC 127.0.0.1:%s metrics http://127.0.0.1:%s/metrics\n' \
        "$name" "$pid" "$grpc" "$metrics"
    elif [ -x "$bin_dir/iop-$name" ]; then
      printf '%-11s stopped\n' "$name"
      rc=3
    else
      printf '%-11s not built\n' "$name"
    fi
  done
  return "$rc"
}

cmd_env() {
  local line
  while read -r line; do
    echo "export $line"
  done < <(peer_env)
  echo "export IOP_JWT_SECRET_FILE=$secret_file"
}

cmd_info() {
  local entry name grpc metrics any=0 first_grpc="" first_metrics=""
  echo
  echo "Local IOP stack:"
  "$script_dir/stack.sh" status --dir "$state_dir" | sed 's/^/  /' || true
  for entry in "${service_table[@]}"; do
    read -r name grpc metrics <<<"$entry"
    if [ -n "$(service_pid "$name")" ]; then
      printf '  %-11s gRPC 127.0.0.1:%s  metrics http://127.0.0.1:%s/metrics  log %s\n' \
        "$name" "$grpc" "$metrics" "$log_dir/$name.log"
      any=1
      if [ -z "$first_grpc" ]; then
        first_grpc=$grpc
        first_metrics=$metrics
      fi
    else
      printf '  %-11s not running\n' "$name"
    fi
  done
  [ "$any" -eq 1 ] || return 0
  local prometheus_url
  prometheus_url=$("$script_dir/prometheus.sh" address --dir "$state_dir" 2>/dev/null || true)
  cat <<EOF

Call it (the demo data above belongs to org "demo"):
  eval "\$(deploy/local/services.sh env)"        # service addresses + JWT secret file
  build/bin/iopctl sites                         # tables by default, --json for scripts
  build/bin/iopctl sessions --site SITE_ID       # this week, in the site's local time
  build/bin/iopctl alerts                        # open risk and attendance alerts
  build/bin/iopctl --help                        # every command (roster, attend, assess, progress, ...)
  TOKEN=\$(build/bin/iopctl token --org demo --role admin)

With grpcurl (server reflection is on; grpcurl is not a Debian package, get it separately):
  grpcurl -plaintext 127.0.0.1:$first_grpc list
  grpcurl -plaintext -d '{"service": ""}' 127.0.0.1:$first_grpc grpc.health.v1.Health/Check
  grpcurl -plaintext -H "authorization: Bearer \$TOKEN" 127.0.0.1:$first_grpc describe

Metrics:
  curl -s http://127.0.0.1:$first_metrics/metrics | grep grpc_server_handled_total
EOF
  if [ -n "$prometheus_url" ]; then
    echo "  Prometheus: $prometheus_url (targets: $prometheus_url/targets, rules: $prometheus_url/rules)"
  fi
  cat <<EOF

Stop everything: make stop
EOF
}

case $command in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  info) cmd_info ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
