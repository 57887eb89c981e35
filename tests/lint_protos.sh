#!/usr/bin/env bash
# Lints the protobuf contracts and checks that they compile, with buf (from
# the npm tooling in tests/node; install it with `make tools`).
#
# Usage: tests/lint_protos.sh
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
buf=$repo_root/tests/node/node_modules/.bin/buf
protos=$repo_root/protos

if [ ! -f "$protos/buf.yaml" ]; then
  echo "lint_protos: no protos/buf.yaml: skipped"
  exit 0
fi
if [ ! -x "$buf" ]; then
  echo "lint_protos: error: $buf not found (run: make tools)" >&2
  exit 1
fi

cd "$protos"
echo "lint_protos: buf lint"
"$buf" lint
echo "lint_protos: buf build"
"$buf" build -o /dev/null
echo "lint_protos: ok"
