# Entry points for developers and CI. See deploy/local/README.md.
#
#   make deps         install missing Debian packages (no-op when all present)
#   make tools        install the npm test tooling (buf) into tests/node
#   make build        configure (first time) and build into build/
#   make test         build, start a private PostgreSQL + Redis, run every test, stop them
#   make run          build, start the local stack and the services, seed demo data
#   make stop         stop the services and the local stack
#   make status       show what runs
#   make lint-protos  lint and compile the protobuf contracts with buf
#   make bench        measure throughput/latency ratios, write docs/benchmarks.md
#   make test-sanitize  the test suite built with ASan + UBSan
#   make fuzz         libFuzzer over every RPC of every service (clang)
#   make clean        stop everything, delete build/ and .run/ (local data included)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= 2
# Extra arguments for ctest, e.g. make test TEST_ARGS='-L unit'
TEST_ARGS ?=

export IOP_BUILD_DIR := $(BUILD_DIR)
export IOP_BIN_DIR := $(abspath $(BUILD_DIR))/bin
export IOP_JOBS := $(JOBS)

.PHONY: all help deps tools build test test-sanitize bench fuzz run stop status lint-protos clean

all: build

help:
	@sed -n '3,11p' Makefile | sed 's/^# *//'

deps:
	@deploy/local/install-deps.sh

tools: deps
	@if [ ! -x tests/node/node_modules/.bin/buf ] || \
	    [ tests/node/package-lock.json -nt tests/node/node_modules/.package-lock.json ]; then \
	  echo "tools: npm ci in tests/node"; \
	  cd tests/node && npm ci --no-audit --no-fund; \
	fi

build: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ] && [ ! -f $(BUILD_DIR)/Makefile ]; then \
	  if [ -f $(BUILD_DIR)/CMakeCache.txt ]; then \
	    cmake -S . -B $(BUILD_DIR); \
	  elif command -v ninja >/dev/null; then \
	    cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); \
	  else \
	    cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); \
	  fi; \
	fi
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: deps tools
	tests/run_tests.sh $(TEST_ARGS)

# Benchmarks: ratios against baselines measured in the same run (docs/benchmarks.md).
bench: deps build
	tests/bench/run_bench.sh

# libFuzzer over every RPC of every service (IOP_FUZZ_SECONDS each, default 60).
fuzz: deps
	tests/fuzz/run_fuzz.sh

# The whole suite built with AddressSanitizer + UndefinedBehaviorSanitizer.
test-sanitize: deps tools
	IOP_BUILD_DIR=build-sanitize IOP_CMAKE_ARGS="-DIOP_SANITIZE=ON -DIOP_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE=Debug" \
	  LSAN_OPTIONS=suppressions=$(abspath tests/sanitize/lsan.supp) UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/run_tests.sh $(TEST_ARGS)

run: deps build
	deploy/local/stack.sh start
	deploy/local/services.sh start
	@deploy/local/prometheus.sh start || echo "prometheus: not started (see above); the services run without it"
	@if [ -f deploy/local/demo.sh ]; then \
	  eval "$$(deploy/local/services.sh env)"; \
	  bash deploy/local/demo.sh || echo "demo: seeding stopped early (see above); the services keep running"; \
	fi
	@deploy/local/services.sh info

stop:
	deploy/local/prometheus.sh stop
	deploy/local/services.sh stop
	deploy/local/stack.sh stop

status:
	@deploy/local/stack.sh status || true
	@deploy/local/services.sh status || true

lint-protos: tools
	tests/lint_protos.sh

clean: stop
	deploy/local/stack.sh destroy
	rm -rf $(BUILD_DIR) .run
