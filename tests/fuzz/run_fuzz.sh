#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets with clang (ASan + UBSan) into
# build-fuzz/, starts a private PostgreSQL + Redis, and fuzzes every service
# for IOP_FUZZ_SECONDS (default 60) each, starting from the committed seeds.
# New interesting inputs go to build-fuzz/corpus/<service>; a crash, a leak,
# a hang, undefined behaviour, an INTERNAL answer or an unwritten audit
# record stops the run with the input saved.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
seconds=${IOP_FUZZ_SECONDS:-60}
deploy/local/install-deps.sh clang libclang-rt-14-dev
build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DIOP_FUZZ=ON -DIOP_SANITIZE=ON \
    "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link"
fi
cmake --build "$build" -j 2 --target $(cd tests/fuzz && ls fuzz_*.cc | sed 's/\.cc$//' | tr '\n' ' ')

work=$(mktemp -d /tmp/iop-fuzz.XXXXXX)
chmod 755 "$work" # PostgreSQL, run as another user when we are root, must reach it
trap 'deploy/local/stack.sh destroy --dir "$work/stack" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
deploy/local/stack.sh start --test --dir "$work/stack" >/dev/null
eval "$(deploy/local/stack.sh env --test --dir "$work/stack")"
export IOP_TEST_DATABASE_URL IOP_TEST_REDIS_URL
# UBSan only prints and carries on by default; undefined behaviour is a
# finding like a crash, with the input saved.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for target in "$build"/fuzz/fuzz_*; do
  svc=${target##*/fuzz_}
  mkdir -p "$build/corpus/$svc"
  echo "fuzz: $svc for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
      -artifact_prefix="$build/corpus/$svc-" "$build/corpus/$svc" "tests/fuzz/corpus/$svc"; then
    echo "fuzz: $svc FOUND A PROBLEM (input saved under $build/corpus/$svc-*)"
    status=1
  fi
done
exit "$status"
