#!/usr/bin/env bash
# Installs the Debian packages needed to build the services, run the tests and
# run the local stack. Does nothing (and returns at once) when all of them are
# already installed.
#
# Usage: deploy/local/install-deps.sh [EXTRA_PACKAGE...]
#   (extra packages are for optional tools, e.g. clang for make fuzz)
#
# As root it calls apt-get directly; otherwise it uses `sudo -n` when that works
# without a password; otherwise it prints the command to run and fails.
set -euo pipefail

packages=(
  # toolchain
  cmake ninja-build g++ make pkg-config
  # libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libhiredis-dev prometheus-cpp-dev libpqxx-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libjwt-dev nlohmann-json3-dev
  libssl-dev
  # tcmalloc for the service binaries
  libgoogle-perftools-dev
  # local stack and test tooling; tzdata for absl time zones
  redis-server postgresql curl openssl tzdata
  # benchmarks (h2load and the check-in driver speak gRPC over HTTP/2)
  nghttp2-client libnghttp2-dev
  # deployment checks: yamllint, promtool (and a local Prometheus for make run)
  yamllint python3-yaml prometheus
)

packages+=("$@")

# Packages whose status line says "installed".
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null |
  awk '$2 == "ii" { print $1 }' || true)

missing=()
for p in "${packages[@]}"; do
  if ! grep -qxF -- "$p" <<<"$installed"; then
    missing+=("$p")
  fi
done

# Node.js and npm (proto lint tooling). Checked by command rather than by
# package: a Node.js build from another source provides npm itself and
# conflicts with Debian's npm package, which must then not be installed.
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

install_cmd="sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "install-deps: missing Debian packages: ${missing[*]} -- run: $install_cmd" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"

# Package scripts must not start system-wide PostgreSQL/Redis servers (the
# local stack never uses them, and in a container without an init system
# starting them fails). Without an existing policy, add a temporary one.
policy=/usr/sbin/policy-rc.d
added_policy=0
remove_policy() {
  if [ "$added_policy" -eq 1 ]; then
    "${as_root[@]}" rm -f "$policy" || true
  fi
}
trap remove_policy EXIT
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# Temporary: keeps package scripts from starting services.\nexit 101\n' |
    "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  added_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
  install -y --no-install-recommends "${missing[@]}"

echo "install-deps: done"
