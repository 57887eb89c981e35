#!/usr/bin/env bash
# Runs a local Prometheus that scrapes the local services (metrics ports
# 9101-9104) with the repository's scrape config and alert/recording rules.
#
# Usage: deploy/local/prometheus.sh start|stop|status|address [--dir DIR]
#
#   start    start Prometheus when the `prometheus` binary is installed
#            (Debian package prometheus); without it, say so and exit 0
#   stop     stop it
#   status   show whether it runs (exit 3 when it does not)
#   address  print its URL when it runs
#
#   --dir DIR  state folder shared with stack.sh (default: <repo>/.run)
#
# Environment:
#   IOP_PROMETHEUS_PORT  first port to try (default 9190; the next free one
#                        up to +9 is taken when busy, never 9090)
#
# The config is deploy/prometheus/prometheus.yml, copied to
# DIR/prometheus/prometheus.yml with its rule paths made absolute and its
# self-scrape target set to the chosen port. Data: DIR/prometheus/data;
# log: DIR/logs/prometheus.log.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
source_config=$repo_root/deploy/prometheus/prometheus.yml
rules_dir=$repo_root/deploy/prometheus/rules

note() { echo "prometheus: $*"; }
die() {
  echo "prometheus: error: $*" >&2
  exit 1
}
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }

# shellcheck source=deploy/local/cli.sh
source "$repo_root/deploy/local/cli.sh"
cli_parse 0 "$@"

prom_dir=$state_dir/prometheus
pid_file=$state_dir/prometheus.pid
port_file=$state_dir/prometheus.port
log_file=$state_dir/logs/prometheus.log

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Pid of our Prometheus, checked against the process name so a stale pid
# file never leads to signalling an unrelated process.
running_pid() {
  local pid
  pid=$(cat "$pid_file" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "prometheus" ]; then
    echo "$pid"
  fi
}

address() { echo "http://127.0.0.1:$(cat "$port_file")"; }

# The scrape targets must be the metrics ports services.sh gives the services.
check_targets() {
  local port
  for port in 9101 9102 9103 9104; do
    grep -q "127.0.0.1:$port" "$source_config" ||
      note "warning: $source_config does not scrape 127.0.0.1:$port (see services.sh)"
  done
}

write_config() {
  local port=$1
  mkdir -p "$prom_dir/data"
  sed -e "s|^\([[:space:]]*-[[:space:]]*\)rules/|\1$rules_dir/|" \
    -e "s|127\.0\.0\.1:9090|127.0.0.1:$port|" \
    "$source_config" >"$prom_dir/prometheus.yml"
  if command -v promtool >/dev/null 2>&1; then
    promtool check config "$prom_dir/prometheus.yml" >"$prom_dir/check.log" 2>&1 ||
      die "the config does not check out: $(tail -n 3 "$prom_dir/check.log")"
  fi
}

cmd_start() {
  if ! command -v prometheus >/dev/null 2>&1; then
    note "not installed (Debian package prometheus): skipped; metrics stay on 127.0.0.1:9101-9104"
    return 0
  fi
  local pid
  pid=$(running_pid)
  if [ -n "$pid" ]; then
    note "already running (pid $pid): $(address)"
    return 0
  fi
  local first=${IOP_PROMETHEUS_PORT:-9190} port=""
  for candidate in $(seq "$first" $((first + 9))); do
    if ! port_open "$candidate"; then
      port=$candidate
      break
    fi
  done
  [ -n "$port" ] || die "no free port in $first-$((first + 9)) (set IOP_PROMETHEUS_PORT)"
  check_targets
  write_config "$port"
  mkdir -p "$(dirname "$log_file")"
  printf '==== %s starting prometheus\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$log_file"
  (exec setsid prometheus --config.file="$prom_dir/prometheus.yml" \
    --storage.tsdb.path="$prom_dir/data" --storage.tsdb.retention.time=7d \
    --web.listen-address="127.0.0.1:$port" --web.enable-lifecycle) >>"$log_file" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pid_file"
  echo "$port" >"$port_file"
  local waited=0
  until curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/-/ready" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pid_file"
      tail -n 20 "$log_file" >&2 || true
      die "exited during start (log: $log_file)"
    fi
    [ "$waited" -lt 120 ] || die "not ready after 30s (log: $log_file)"
    sleep 0.25
    waited=$((waited + 1))
  done
  note "running (pid $pid): http://127.0.0.1:$port (targets: http://127.0.0.1:$port/targets, alerts: http://127.0.0.1:$port/alerts)"
}

cmd_stop() {
  local pid
  pid=$(running_pid)
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
      note "did not stop within 15s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    note "stopped"
  fi
  rm -f "$pid_file" "$port_file"
}

cmd_status() {
  local pid
  pid=$(running_pid)
  if [ -n "$pid" ]; then
    echo "prometheus  running (pid $pid) $(address)"
  elif command -v prometheus >/dev/null 2>&1; then
    echo "prometheus  stopped"
    return 3
  else
    echo "prometheus  not installed"
    return 3
  fi
}

case $command in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  address) [ -n "$(running_pid)" ] && address ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
