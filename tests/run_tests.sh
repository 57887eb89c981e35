#!/usr/bin/env bash
# Builds everything and runs every test: unit and integration tests (ctest)
# against a private PostgreSQL and Redis started on free ports in a temporary
# folder, then the protobuf lint. The servers are always stopped afterwards.
#
# Usage: tests/run_tests.sh [extra ctest arguments, e.g. -L unit or -R Name]
#
# Environment:
#   IOP_BUILD_DIR     build folder (default: build)
#   IOP_CMAKE_ARGS    extra arguments for the first configure (e.g. -DIOP_SANITIZE=ON)
#   IOP_JOBS          parallel build and test jobs (default: 2)
#   IOP_TEST_TIMEOUT  per-test timeout in seconds (default: 900)
#
# Exported to the tests: IOP_TEST_DATABASE_URL, IOP_TEST_REDIS_URL.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

build_dir=${IOP_BUILD_DIR:-build}
# Everything started below (suite, partner client, deploy checks) runs the
# binaries of this build, also when an outer IOP_BIN_DIR names another one.
case "$build_dir" in
  /*) IOP_BIN_DIR=$build_dir/bin ;;
  *) IOP_BIN_DIR=$repo_root/$build_dir/bin ;;
esac
export IOP_BUILD_DIR=$build_dir IOP_BIN_DIR
jobs=${IOP_JOBS:-2}
test_timeout=${IOP_TEST_TIMEOUT:-900}
stack=$repo_root/deploy/local/stack.sh
started=$(date +%s)

join() {
  local IFS=,
  echo "$*"
}

summary() {
  local elapsed=$(($(date +%s) - started))
  echo "run_tests: $* (${elapsed}s)"
}

# ---------------------------------------------------------------- build
# A build with its tests takes about 1 GiB (1.9 GiB with sanitizers) and the
# test servers a few hundred MiB; say so up front when the disk is short.
free_kib=$(df -Pk . | awk 'NR == 2 { print $4 }')
if [ -n "$free_kib" ] && [ "$free_kib" -lt $((2 * 1024 * 1024)) ]; then
  echo "run_tests: warning: only $((free_kib / 1024)) MiB free on this disk; the build and the test servers need about 2 GiB" >&2
fi
if [ ! -f "$build_dir/build.ninja" ] && [ ! -f "$build_dir/Makefile" ]; then
  if [ -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S . -B "$build_dir"
  elif command -v ninja >/dev/null 2>&1; then
    # shellcheck disable=SC2086 # IOP_CMAKE_ARGS is a list of arguments
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${IOP_CMAKE_ARGS:-}
  else
    # shellcheck disable=SC2086
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${IOP_CMAKE_ARGS:-}
  fi
fi
if ! cmake --build "$build_dir" -j "$jobs"; then
  summary "FAILED: build"
  exit 1
fi

# ---------------------------------------------------------------- servers
stack_dir=$(mktemp -d "${TMPDIR:-/tmp}/iop-test-stack.XXXXXX")
# PostgreSQL runs as another user when we are root: it must reach the folder.
chmod 755 "$stack_dir"

# The summary is printed last, after the servers are stopped.
result="FAILED: stopped early"
# shellcheck disable=SC2317  # runs from the EXIT trap
cleanup() {
  local rc=$?
  if "$stack" destroy --dir "$stack_dir" >/dev/null 2>&1; then
    echo "run_tests: test servers stopped"
  else
    echo "run_tests: warning: could not stop the test servers in $stack_dir" >&2
    [ "$rc" -ne 0 ] || rc=1
  fi
  rm -rf "$stack_dir"
  summary "$result"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! "$stack" start --test --dir "$stack_dir"; then
  result="FAILED: could not start the test PostgreSQL/Redis"
  exit 1
fi
eval "$("$stack" env --dir "$stack_dir" | grep '^export IOP_TEST_')"
export IOP_TEST_DATABASE_URL IOP_TEST_REDIS_URL
echo "run_tests: IOP_TEST_DATABASE_URL=$IOP_TEST_DATABASE_URL IOP_TEST_REDIS_URL=$IOP_TEST_REDIS_URL"

# ---------------------------------------------------------------- tests
passed=()
failed=()
status=0

ctest_status=0
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout "$test_timeout" "$@" ||
  ctest_status=$?
if [ "$ctest_status" -eq 0 ]; then
  passed+=("ctest")
else
  failed+=("ctest")
  status=$ctest_status
fi

# Other test kinds: each a script that exits non-zero on failure.
run_kind() {
  local name=$1 script=$2 kind_status=0
  [ -f "$script" ] || return 0
  bash "$script" || kind_status=$?
  if [ "$kind_status" -eq 0 ]; then
    passed+=("$name")
  else
    failed+=("$name")
    [ "$status" -ne 0 ] || status=$kind_status
  fi
}
run_kind "proto lint" tests/lint_protos.sh
run_kind "deploy checks" tests/deploy/check_deploy.sh
run_kind "partner client" tests/partner/run_partner.sh

if [ "$status" -eq 0 ]; then
  result="PASSED ($(join "${passed[@]}"))"
else
  result="FAILED ($(join "${failed[@]}"))${passed[*]:+; passed: $(join "${passed[@]}")}"
fi
exit "$status"
