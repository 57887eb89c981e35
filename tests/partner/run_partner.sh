#!/usr/bin/env bash
# A partner's day across all four services, from Node.js with @grpc/grpc-js,
# loading only the published .proto files: the contracts are enough to
# integrate. Starts its own stack and services; stops them at the end.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
# shellcheck source=tests/support/suite.sh
source tests/support/suite.sh
work=$(mktemp -d /tmp/iop-partner.XXXXXX)
trap 'suite_stop; rm -rf "$work"' EXIT

for svc in scheduling attendance curriculum outcomes; do
  if [ ! -x "$suite_bin/iop-$svc" ]; then
    echo "partner: iop-$svc is not built; the partner day needs all four services" >&2
    exit 1
  fi
done
suite_start "$work"
IOP_PARTNER_TOKEN_ADMIN=$("$suite_bin/iopctl" token --org partner-day --role admin --subject admin-1)
IOP_PARTNER_TOKEN_PARTNER=$("$suite_bin/iopctl" token --org partner-day --role partner --subject ehr-bridge)
IOP_PARTNER_TOKEN_CLINICIAN=$("$suite_bin/iopctl" token --org partner-day --role clinician --subject dr-lee)
IOP_PARTNER_TOKEN_FRONT_DESK=$("$suite_bin/iopctl" token --org partner-day --role front_desk --subject desk-1)
IOP_PARTNER_TOKEN_OTHER_ORG=$("$suite_bin/iopctl" token --org someone-else --role admin)
export IOP_PARTNER_TOKEN_ADMIN IOP_PARTNER_TOKEN_PARTNER IOP_PARTNER_TOKEN_CLINICIAN \
  IOP_PARTNER_TOKEN_FRONT_DESK IOP_PARTNER_TOKEN_OTHER_ORG
export IOP_PROTO_DIR="$repo/protos"
export NODE_PATH="$repo/tests/node/node_modules"
node --test tests/partner/

# The services have now served a whole day: their /metrics must be valid
# Prometheus text, and every metric a dashboard or alert queries must be there.
pages=()
for svc in SCHEDULING ATTENDANCE CURRICULUM OUTCOMES; do
  addr_var="IOP_${svc}_METRICS_ADDR"
  page="$work/metrics-$svc.txt"
  curl -sf "http://${!addr_var}/metrics" >"$page"
  if command -v promtool >/dev/null 2>&1; then
    promtool check metrics <"$page" || { echo "partner: promtool rejects $svc's /metrics" >&2; exit 1; }
  fi
  pages+=("$page")
done
python3 tests/deploy/check_metric_names.py "$repo" --live "${pages[@]}"
